"""What screen readers hear for a chat message.

Gradio labels each message for assistive technology with its raw content (`aria-label="bot's
message: <div class=…"`), so a reader would spell out the HTML of an answer. This page script
relabels every message with the text a sighted user sees, and keeps doing so as messages arrive.
"""

from __future__ import annotations

PLAIN_MESSAGE_LABELS_JS = """
() => {
  const MARK = "message: ";
  const relabel = () => {
    for (const el of document.querySelectorAll('#chat [aria-label*="' + MARK + '"]')) {
      const label = el.getAttribute("aria-label");
      const prefix = label.slice(0, label.indexOf(MARK) + MARK.length);
      const wanted = prefix + el.innerText.replace(/\\s+/g, " ").trim();
      if (label !== wanted) el.setAttribute("aria-label", wanted);
    }
  };
  new MutationObserver(relabel).observe(document.body, {
    subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["aria-label"],
  });
  relabel();
}
"""
