"""The chat window in a real browser (Debian's headless Chromium driven by Playwright), at a
desktop size (1366×900) and a phone size (390×844). Screenshots go to `.artifacts/browser/`."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from chatbot.feedback.store import summarize
from chatbot.web.app import TITLE
from helpers.app_server import running_app

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
INJECTION = "<script>document.title='pwned';window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\"> what is a CMA?"
ARTIFACTS = Path(__file__).resolve().parents[1] / ".artifacts" / "browser"
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
MIN_CONTRAST = 4.5  # WCAG AA for normal text

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs Debian's chromium (make browser)"),
]


@pytest.fixture(scope="module")
def server(assistant, tmp_path_factory):
    with running_app(assistant, tmp_path_factory.mktemp("browser")) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(browser, server, size: str = "desktop"):
    context = browser.new_context(viewport=SIZES[size])
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server[0].rstrip("/"))
    page = context.new_page()
    page.outside = []
    page.on("request", lambda r: page.outside.append(r.url) if urlparse(r.url).hostname not in ("127.0.0.1", None) else None)
    page.goto(server[0])
    page.wait_for_selector("#question textarea")
    return page


@pytest.fixture(params=list(SIZES))
def sized(request, browser, server):
    """A page at each size, for what depends on the window: layout, the section panel, contrast."""
    page = open_page(browser, server, request.param)
    page.size = request.param
    yield page
    page.context.close()


@pytest.fixture()
def page(browser, server):
    """A page at the desktop size, for what does not depend on the window."""
    page = open_page(browser, server)
    page.size = "desktop"
    yield page
    page.context.close()


def ask(page, text: str) -> None:
    before = page.locator("#chat .reply-card").count()
    page.fill("#question textarea", text)
    page.press("#question textarea", "Enter")
    page.wait_for_function(f"document.querySelectorAll('#chat .reply-card').length > {before}", timeout=15_000)


def until(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}-{page.size}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def in_view(page, selector_or_handle) -> bool:
    """Whether an element is inside the window and inside every scrolling box around it."""
    handle = page.locator(selector_or_handle).element_handle() if isinstance(selector_or_handle, str) else selector_or_handle
    return page.evaluate(
        """el => {
          const r = el.getBoundingClientRect();
          if (r.height === 0 || r.bottom <= 0 || r.top >= window.innerHeight) return false;
          for (let box = el.parentElement; box; box = box.parentElement) {
            const s = getComputedStyle(box);
            if (!/(auto|scroll|hidden)/.test(s.overflowY)) continue;
            const b = box.getBoundingClientRect();
            if (r.bottom <= b.top || r.top >= b.bottom) return false;
          }
          return true;
        }""",
        handle,
    )


CONTRAST_JS = """() => {
  const rgba = (text) => (text.match(/[\\d.]+/g) || [0, 0, 0, 0]).map(Number).concat([1]).slice(0, 4);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const over = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const background = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const c = rgba(getComputedStyle(node).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let color = [255, 255, 255, 1];
    for (const layer of layers.reverse()) color = over(layer, color);
    return color;
  };
  const failures = [];
  let checked = 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || !node.textContent.trim() || el.closest("script, style, noscript")) continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.visibility === "hidden" || style.display === "none" || box.width === 0 || box.height === 0) continue;
    if (el.closest(".offscreen, [hidden]") || Number(style.opacity) === 0) continue;
    let opacity = 1;
    for (let n = el; n; n = n.parentElement) opacity *= Number(getComputedStyle(n).opacity);
    const bg = background(el);
    const fg = over([...rgba(style.color).slice(0, 3), rgba(style.color)[3] * opacity], bg);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    checked += 1;
    const where = el.className.toString().slice(0, 40);
    if (ratio < MIN_CONTRAST) failures.push([node.textContent.trim().slice(0, 40), where, ratio.toFixed(2)]);
  }
  return {checked, failures};
}""".replace("MIN_CONTRAST", str(MIN_CONTRAST))


def test_a_conversation_with_a_cited_list_a_follow_up_a_dislike_note_and_an_injection(page, server):
    assert page.get_by_text("How long is a medical assistant program?").is_visible()  # examples on an empty chat
    assert page.get_by_text("not medical advice").is_visible()

    ask(page, "What are the duties of a medical assistant?")
    answer = page.locator("#chat .reply-card").last
    items = answer.locator(".reply ul li")
    assert items.count() >= 5  # the guide's list, shown as a list
    assert answer.locator(".reply p").first.inner_text().rstrip("0123456789").endswith("include:")
    assert answer.locator("button.cite").first.inner_text() == "1"
    card = answer.locator(".source-card").first
    heading = card.locator(".card-head").inner_text().removeprefix("1").strip()
    assert heading.endswith("Clinical Responsibilities")
    assert card.locator("mark").count() >= 5  # the quoted sentences highlighted in the card
    assert page.locator("#section .path").inner_text() == heading  # the cited section opens beside the chat

    # screen readers hear the message as shown, not its HTML; the marker is named after its source
    labels = page.locator("#chat [aria-label*='message: ']")
    assert until(
        lambda: labels.count() >= 2 and all("<" not in labels.nth(i).get_attribute("aria-label") for i in range(labels.count()))
    )
    assert items.first.inner_text()[:30] in labels.last.get_attribute("aria-label")
    assert answer.locator("button.cite").first.get_attribute("aria-label") == f"Source 1: {heading}"

    ask(page, "and which of them need a doctor's direction?")
    assert (
        "Read as: “What are the duties of a medical assistant? and which" in page.locator("#chat .reply-card").last.inner_text()
    )

    ask(page, INJECTION)
    shown = page.locator("#chat .user-text").last
    assert shown.inner_text() == INJECTION
    assert shown.locator("script, img").count() == 0
    assert page.title() == TITLE
    assert page.evaluate("window.__pwned") is None

    page.locator("#chat button[aria-label='Dislike']").first.click()
    assert until(lambda: page.locator("#why").is_visible())
    assert "rating was saved" in page.locator("#status").inner_text()
    page.fill("#why-text textarea", "I wanted the office duties too")
    page.click("#why-send")
    assert until(lambda: "note was saved" in page.locator("#status").inner_text())
    assert not page.locator("#why").is_visible()
    assert until(lambda: summarize(server[1].path).dislikes == 1)
    disliked = summarize(server[1].path).disliked[0]
    assert (disliked["question"], disliked["comment"]) == (
        "What are the duties of a medical assistant?",
        "I wanted the office duties too",
    )

    screenshot(page, "conversation")
    assert page.outside == []  # nothing fetched from the internet


def test_a_list_answer_is_a_list_and_a_pay_answer_leads_with_the_median_then_the_range(sized):
    ask(sized, "What are the duties of a medical assistant?")
    duties = sized.locator("#chat .reply-card").last.locator(".reply")
    assert duties.locator("ul li").count() >= 5 and duties.locator("p").first.inner_text().rstrip("0123456789").endswith(":")
    ask(sized, "How much do medical assistants earn?")
    reply = sized.locator("#chat .reply-card").last.locator(".reply")
    assert "median" in reply.locator("p").first.inner_text()
    assert "$30,000" in reply.locator("ul").inner_text() and "$45,000" in reply.locator("ul").inner_text()
    assert in_view(sized, reply.locator("p").first.element_handle())  # a new answer is shown from its start
    assert in_view(sized, "#question textarea")  # the question box stays on screen
    screenshot(sized, "pay")


def test_clicking_a_marker_shows_its_source_with_the_quoted_sentence_highlighted_in_view(sized):
    ask(sized, "How long is a medical assistant program?")
    ask(sized, "What are the duties of a medical assistant?")  # a longer answer pushes the first card out of view
    first = sized.locator("#chat .reply-card").first
    first.locator("button.cite").first.click()
    card = first.locator(".source-card").first
    mark = card.locator("mark").first
    assert "9 months to 2 years" in mark.inner_text()
    assert until(lambda: in_view(sized, mark.element_handle()))
    assert "flash" in card.get_attribute("class")
    assert sized.evaluate("() => document.activeElement.classList.contains('source-card')")
    screenshot(sized, "marker")


def test_the_whole_section_opens_beside_the_chat_on_a_desktop_and_in_place_on_a_phone(sized):
    ask(sized, "How much do medical assistants earn?")
    card = sized.locator("#chat .reply-card").last.locator(".source-card").first
    button = card.locator("button.open-section")
    before = sized.locator("#section").inner_text()
    if sized.size == "desktop":
        sized.locator("#browse summary").first.click()  # open another section first, so the change shows
        sized.locator("#browse details button").first.click()
        sized.wait_for_function("!document.querySelector('#section .path').innerText.includes('Salary Range')")
        button.click()
        sized.wait_for_function("document.querySelector('#section .path').innerText.includes('Salary Range')")
        assert in_view(sized, "#section .path")
    else:
        button.click()
        assert until(lambda: card.locator(".whole").is_visible())
        assert "Salary Range" in card.locator(".whole .path").inner_text()
        assert button.get_attribute("aria-expanded") == "true"
        assert in_view(sized, card.locator(".whole .path").element_handle())
        assert sized.locator("#section").inner_text() == before  # nothing changed far below the screen
    screenshot(sized, "whole-section")


def test_every_visible_text_has_enough_contrast(sized):
    ask(sized, "What are the duties of a medical assistant?")
    ask(sized, "how much does the CMA exam cost")
    sized.locator("#browse summary").first.click()
    result = sized.evaluate(CONTRAST_JS)
    assert result["checked"] > 40
    assert result["failures"] == [], "\n".join(map(str, result["failures"]))


def test_the_conversation_survives_a_reload(page):
    ask(page, "Where do medical assistants work?")
    ask(page, "How long is a medical assistant program?")
    shown = page.locator("#chat .reply-card").last.inner_text()
    page.reload()
    page.wait_for_selector("#question textarea")
    page.wait_for_function("document.querySelectorAll('#chat .reply-card').length === 2")
    assert page.locator("#chat .reply-card").last.inner_text() == shown
    ask(page, "and how much does it cost?")  # follow-ups still read the restored conversation
    assert "How long is a medical assistant program?" in page.locator("#chat .reply-card").last.inner_text()


def tab_to(page, css_class: str, presses: int) -> None:
    """Press Tab until the focused element has `css_class`; fail after `presses`."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("c => document.activeElement.classList.contains(c)", css_class):
            return
    pytest.fail(f"no .{css_class} reached with {presses} presses of Tab")


def test_keyboard_only(page):
    page.keyboard.type("How much do medical assistants earn?")  # the box has the focus on load
    page.keyboard.press("Enter")
    page.wait_for_selector("#chat .reply-card")
    tab_to(page, "cite", 40)
    page.keyboard.press("Enter")
    assert until(lambda: page.evaluate("() => document.activeElement.classList.contains('source-card')"))
    tab_to(page, "copy-answer", 10)
    page.keyboard.press("Enter")
    assert until(lambda: page.locator("#chat button.copy-answer").inner_text() == "Copied")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith("The median yearly pay") and "(BLS). [1]\n- Junior level roles" in copied and "<br>" not in copied
    assert copied.endswith("\n[1] Career Outlook and Salary in the U.S. › Salary Range")


def test_ask_is_disabled_on_an_empty_box_and_clear_resets_everything(page):
    ask_button = page.locator("#question button")
    assert ask_button.is_disabled()
    page.fill("#question textarea", "   ")
    assert ask_button.is_disabled()
    page.press("#question textarea", "Enter")
    time.sleep(0.5)
    assert page.locator("#chat .message-row, #chat .reply-card").count() == 0  # no empty bubble
    page.fill("#question textarea", "What does a medical assistant do?")
    assert ask_button.is_enabled()
    page.press("#question textarea", "Enter")
    page.wait_for_selector("#chat .reply-card")
    assert ask_button.is_disabled()  # the box was emptied by the answer
    page.locator("#chat button[aria-label='Dislike']").first.click()
    assert until(lambda: page.locator("#why").is_visible())
    page.locator("#chat button[aria-label='Clear']").click()
    assert until(lambda: page.locator("#chat .reply-card").count() == 0)
    assert until(lambda: not page.locator("#why").is_visible())
    assert "Open a section" in page.locator("#section").inner_text()
    page.reload()
    page.wait_for_selector("#question textarea")
    time.sleep(1)
    assert page.locator("#chat .reply-card").count() == 0  # cleared for good, not restored


def test_follow_up_suggestions_are_asked_with_one_click(page):
    ask(page, "How long is a medical assistant program?")
    options = page.locator("#chat button.option")
    assert 2 <= options.count() <= 3
    question = options.first.inner_text()
    options.first.click()
    page.wait_for_function("document.querySelectorAll('#chat .reply-card').length === 2")
    assert page.locator("#chat .user-text").last.inner_text() == question
    assert "answered" in page.locator("#chat .reply-card").last.get_attribute("class")


def test_declines_are_one_sentence_with_at_most_two_near_sections(page):
    ask(page, "What is the capital of France?")
    reply = page.locator("#chat .reply-card").last
    assert reply.inner_text().strip() == "The guide doesn't cover this."
    assert "Open a section" in page.locator("#section").inner_text()  # nothing unrelated is opened

    ask(page, "how much does the CMA exam cost")
    near = page.locator("#chat .reply-card").last.locator(".near button.open-section")
    assert 1 <= near.count() <= 2
    label = near.first.inner_text()
    near.first.click()
    page.wait_for_function("l => document.querySelector('#section .path').innerText === l", arg=label)
    screenshot(page, "decline")


def test_a_partly_covered_reply_shows_its_caveat_first_apart_from_the_answer(page):
    ask(page, "Can a medical assistant work in an ambulance?")
    reply = page.locator("#chat .reply-card").last
    caveat = reply.locator(".caveat")
    assert "partial" in reply.get_attribute("class")
    assert caveat.is_visible() and "doesn't mention “ambulance”" in caveat.inner_text()
    first = reply.evaluate("el => el.querySelector('.caveat, .reply').className")
    assert first == "caveat", "the caveat comes before the quotes"
    colours = caveat.evaluate("el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).borderLeftStyle]")
    plain = reply.locator(".reply").evaluate("el => getComputedStyle(el).backgroundColor")
    assert colours[0] != plain and colours[1] == "solid", "the caveat is set apart from the quoted answer"
    assert reply.locator(".reply button.cite").count() >= 1
    screenshot(page, "partial")


def test_the_guide_is_browsed_by_part(page):
    parts = page.locator("#browse li.part")
    assert parts.count() >= 8
    details = page.locator("#browse details")
    assert details.count() >= 5
    details.nth(3).locator("summary").click()
    sub = details.nth(3).locator("button").nth(1)  # a sub-section (the first is the part's overview)
    name = sub.inner_text()
    sub.click()
    page.wait_for_function("n => document.querySelector('#section .path').innerText.endsWith(n)", arg=name)
    panel = page.locator("#section").element_handle()
    assert page.evaluate("el => el.scrollWidth <= el.clientWidth", panel)  # the text stays inside its border


def test_a_very_long_paste_keeps_the_question_at_its_end(page):
    page.evaluate(
        "() => { const t = document.querySelector('#question textarea');"
        " t.value = 'I worked in retail for years and want a change. '.repeat(400) + 'How much do medical assistants earn?';"
        " t.dispatchEvent(new Event('input', { bubbles: true })); }"
    )
    before = page.locator("#chat .reply-card").count()
    page.press("#question textarea", "Enter")
    page.wait_for_function(f"document.querySelectorAll('#chat .reply-card').length > {before}", timeout=20_000)
    reply = page.locator("#chat .reply-card").last
    assert "the last 1,000 characters" in reply.inner_text() and "$38,270" in reply.inner_text()
    user = page.locator("#chat .user-text").last.inner_text()
    assert "more characters not shown" in user and user.endswith("How much do medical assistants earn?")
