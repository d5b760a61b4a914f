"""The chat window in a real browser (Debian's headless Chromium driven by Playwright)."""

from __future__ import annotations

import os
import shutil
import time
from urllib.parse import urlparse

import pytest

from chatbot.app import TITLE
from chatbot.feedback import summarize
from helpers.app_server import running_app

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
INJECTION = "<script>document.title='pwned';window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\"> what is a CMA?"

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


@pytest.fixture()
def page(browser, server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.outside = []
    page.on("request", lambda r: page.outside.append(r.url) if urlparse(r.url).hostname not in ("127.0.0.1", None) else None)
    page.goto(server[0])
    page.wait_for_selector("#question textarea")
    yield page
    page.close()


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


def test_a_conversation_with_citations_sources_follow_up_and_injection(page, server, tmp_path):
    assert page.get_by_text("How long is a medical assistant program?").is_visible()  # examples on an empty chat
    assert page.get_by_text("not medical advice").is_visible()

    ask(page, "What certifications can a medical assistant get?")
    answer = page.locator("#chat .reply-card").last
    assert answer.locator("sup.cite").first.inner_text() == "[1]"
    cited = answer.locator("ul.cited li")
    assert "Certification Options" in answer.locator("ul.cited").inner_text()
    first_cited = cited.first.inner_text().removeprefix("[1]").strip()
    sources = answer.locator("details.sources")
    assert sources.locator("summary").is_visible()
    sources.locator("summary").click()
    assert sources.locator(".source .path").first.is_visible()
    assert sources.locator("mark").first.is_visible()
    assert page.locator("#section .path").inner_text() == first_cited  # the cited section opens beside

    # screen readers hear the message as shown, not its HTML (Gradio labels messages with raw content)
    labels = page.locator("#chat [aria-label*='message: ']")
    assert until(
        lambda: labels.count() >= 2 and all("<" not in labels.nth(i).get_attribute("aria-label") for i in range(labels.count()))
    )
    spoken = labels.last.get_attribute("aria-label")
    assert first_cited.split(" › ")[0] in spoken and answer.locator("p.reply").inner_text()[:40] in spoken

    ask(page, "and how long does it take?")
    followup = page.locator("#chat .reply-card").last
    assert "Read as: “What certifications can a medical assistant get? and how long does it take?”" in followup.inner_text()

    ask(page, INJECTION)
    shown = page.locator("#chat .user-text").last
    assert shown.inner_text() == INJECTION
    assert shown.locator("script, img").count() == 0
    assert page.title() == TITLE
    assert page.evaluate("window.__pwned") is None

    page.locator("#chat button[aria-label='Dislike']").first.click()
    assert until(lambda: summarize(server[1].path).dislikes == 1)
    assert summarize(server[1].path).disliked[0]["question"] == "What certifications can a medical assistant get?"

    page.screenshot(path=str(tmp_path / "conversation.png"), full_page=True)
    assert (tmp_path / "conversation.png").stat().st_size > 10_000
    assert page.outside == []  # nothing fetched from the internet


def test_not_in_guide_offers_sections_that_open_beside_the_chat(page, tmp_path):
    ask(page, "What is the capital of France?")
    reply = page.locator("#chat .reply-card").last
    assert "doesn't cover this" in reply.inner_text()
    options = page.locator("#chat button.option")
    assert options.count() >= 1
    label = options.last.inner_text().removeprefix("Open: ").strip()
    options.last.click()
    page.wait_for_function(
        "label => document.querySelector('#section .path') && document.querySelector('#section .path').innerText.includes(label)",
        arg=label,
    )
    assert page.locator("#section .section-view p, #section .section-view li").first.is_visible()
    page.screenshot(path=str(tmp_path / "not-in-guide.png"), full_page=True)


def test_example_question_answers_and_guide_can_be_browsed(page):
    page.get_by_text("How much do medical assistants earn?").click()
    page.wait_for_selector("#chat .reply-card")
    assert "Salary Range" in page.locator("#chat .reply-card").last.inner_text()
    page.locator("#picker input").fill("Program Length")
    page.get_by_role("option", name="Education and Training Path For Becoming a Medical Assistant › Program Length").click()
    page.wait_for_function("document.querySelector('#section .path').innerText.includes('Program Length')")
    assert "program" in page.locator("#section").inner_text().lower()


def test_a_very_long_paste_is_trimmed_with_a_notice(page):
    page.evaluate(
        "() => { const t = document.querySelector('#question textarea');"
        " t.value = 'How much do medical assistants earn? '.repeat(5500);"
        " t.dispatchEvent(new Event('input', { bubbles: true })); }"
    )
    before = page.locator("#chat .reply-card").count()
    page.press("#question textarea", "Enter")
    page.wait_for_function(f"document.querySelectorAll('#chat .reply-card').length > {before}", timeout=20_000)
    assert "the last 1,000 characters" in page.locator("#chat .reply-card").last.inner_text()
    assert "more characters not shown" in page.locator("#chat .user-text").last.inner_text()
