"""The chat window's page script: what the browser does without a round trip to the server.

- A source marker [n] in an answer scrolls to its source card, opens it and highlights it.
- "Read the whole section" (and each section of the guide's contents) opens the section beside the
  chat on a wide screen and in place on a phone: each button carries its section's HTML, hidden.
  A new answer opens its first source beside the chat on a wide screen.
- "Copy answer" puts the answer and its sources on the clipboard, and says so.
- Ask is disabled while the question box is empty.
- A new answer is scrolled to its start (not its end), so a long answer reads from the top.
- Screen readers hear each message as the text a sighted user sees: Gradio labels a message with
  its raw content (`aria-label="bot's message: <div class=…"`), so the script relabels them.
"""

from __future__ import annotations

WIDE_SCREEN = "(min-width: 1000px)"  # where the section panel sits beside the chat

PAGE_JS = """
() => {
  const WIDE = window.matchMedia("__WIDE_SCREEN__");
  const MARK = "message: ";

  const relabel = () => {
    for (const el of document.querySelectorAll('#chat [aria-label*="' + MARK + '"]')) {
      const label = el.getAttribute("aria-label");
      const prefix = label.slice(0, label.indexOf(MARK) + MARK.length);
      const wanted = prefix + el.innerText.replace(/\\s+/g, " ").trim();
      if (label !== wanted) el.setAttribute("aria-label", wanted);
    }
  };

  // Gradio's sanitizer drops aria-* attributes from messages: give them back from what it keeps
  const enhance = () => {
    for (const cite of document.querySelectorAll("#chat button.cite:not([aria-label])")) {
      cite.setAttribute("aria-label", cite.title);
    }
    for (const open of document.querySelectorAll("#chat button.open-section:not([aria-expanded])")) {
      open.setAttribute("aria-expanded", "false");
    }
  };

  const askButton = () => document.querySelector("#question button");
  const syncAsk = () => {
    const box = document.querySelector("#question textarea");
    const button = askButton();
    if (box && button) button.disabled = !box.value.trim();
  };

  const scroller = (el) => {
    for (let node = el.parentElement; node && node.id !== "chat"; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (/(auto|scroll)/.test(style.overflowY) && node.scrollHeight > node.clientHeight) return node;
    }
    return null;
  };
  let answers = 0;
  const showNewAnswer = () => {
    const cards = document.querySelectorAll("#chat .reply-card");
    if (cards.length > answers) {
      const card = cards[cards.length - 1];
      const box = scroller(card);
      if (box) box.scrollTop += card.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
      // on a wide screen the answer's first source opens beside the chat
      if (WIDE.matches) showBeside(card.querySelector(".source-card button.open-section"), false);
    }
    answers = cards.length;
  };

  const flash = (el) => {
    el.classList.remove("flash");
    void el.offsetWidth;
    el.classList.add("flash");
  };
  const showWhole = (card, open) => {
    const button = card.querySelector(":scope > button.open-section");
    if (button) {
      button.setAttribute("aria-expanded", String(open));
      button.textContent = open ? "Show less" : "Read the whole section";
    }
    const whole = card.querySelector(":scope > .whole");
    if (whole) whole.hidden = !open;
  };

  const panel = () => document.querySelector("#section .html-container") || document.querySelector("#section");
  let hint = null;
  const showBeside = (button, scroll) => {
    const whole = button && button.nextElementSibling;
    const target = panel();
    if (!target || !whole || !whole.classList.contains("whole")) return;
    if (hint === null) hint = target.innerHTML;
    target.innerHTML = whole.innerHTML;
    const box = document.querySelector("#section");
    box.scrollTop = 0;
    if (scroll) box.scrollIntoView({ block: "nearest" });
  };
  const resetPanel = () => {
    const target = panel();
    if (target && hint !== null) target.innerHTML = hint;
  };

  const copy = async (button) => {
    const text = button.value || "";
    try {
      await navigator.clipboard.writeText(text);
    } catch (error) {
      const area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    button.textContent = "Copied";
    button.classList.add("done");
    setTimeout(() => { button.textContent = "Copy answer"; button.classList.remove("done"); }, 2000);
  };

  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const cite = target.closest("#chat button.cite");
    if (cite) {
      event.preventDefault();
      const reply = cite.closest(".reply-card");
      const card = reply && reply.querySelectorAll(".source-card")[Number(cite.value) - 1];
      if (!card) return;
      card.classList.add("expanded");
      const mark = card.querySelector("mark") || card;
      mark.scrollIntoView({ block: "center" });
      card.focus({ preventScroll: true });
      flash(card);
      return;
    }
    const open = target.closest("button.open-section");
    if (open) {
      event.preventDefault();
      const card = open.closest(".source-card");
      const inChat = open.closest("#chat");
      if (inChat && !WIDE.matches) {  // a phone: open it in place
        if (card) showWhole(card, card.querySelector(":scope > .whole[hidden]") !== null);
        else {
          const whole = open.nextElementSibling;
          const shown = open.getAttribute("aria-expanded") === "true";
          open.setAttribute("aria-expanded", String(!shown));
          if (whole && whole.classList.contains("whole")) whole.hidden = shown;
        }
        return;
      }
      showBeside(open, true);
      return;
    }
    const copier = target.closest("#chat button.copy-answer");
    if (copier) {
      event.preventDefault();
      copy(copier);
    }
  });
  document.addEventListener("click", (event) => {  // capture: Gradio's own buttons stop the click
    if (event.target instanceof Element && event.target.closest("#chat button[aria-label='Clear']")) resetPanel();
  }, true);
  document.addEventListener("input", (event) => {
    if (event.target instanceof Element && event.target.closest("#question")) syncAsk();
  }, true);

  new MutationObserver(() => {
    enhance();
    relabel();
    syncAsk();
    showNewAnswer();
  }).observe(document.body, {
    subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["aria-label"],
  });
  relabel();
  syncAsk();
}
""".replace("__WIDE_SCREEN__", WIDE_SCREEN)
