"""The maintainer's report: weekly figures, topics grouped by nearest bank question, one
self-contained HTML page, and candidate bank lines from what readers asked."""

from __future__ import annotations

import base64
import json
import re
import shutil
import sqlite3
from datetime import UTC, date, datetime

import pytest

from chatbot.answering.answer import ANSWERED, GREETING, NOT_IN_GUIDE, Answer
from chatbot.cli.commands import main
from chatbot.feedback.report import Week, group_topics, weekly
from chatbot.feedback.store import FeedbackStore, LoggedQuestion, read_log
from chatbot.feedback.triage import Location
from chatbot.guide.bank_edit import add_questions
from chatbot.guide.reasons import Reason
from chatbot.index.neighbours import Neighbour
from conftest import BANK, GUIDE

SALARY = ("Career Outlook and Salary in the U.S.", "Salary Range")


def row(when: str, question: str = "q", *, declined: bool = False, liked: bool | None = None, comment: str = "", reason=None):
    reason = reason or (NOT_IN_GUIDE if declined else ANSWERED)
    return LoggedQuestion(
        datetime.fromisoformat(when).replace(tzinfo=UTC), question, question, reason is ANSWERED, reason, (), liked, comment
    )


def test_weekly_figures_from_rows_with_known_dates():
    rows = [
        row("2025-12-29T08:00", declined=True),  # a Monday: ISO week 2026-W01
        row("2026-01-04T23:59", liked=False),  # the Sunday of the same week
        row("2026-01-02T12:00", liked=True),
        row("2026-01-03T12:00", "hi", reason=GREETING),  # small talk: asked, not declined
        # 2026-W02: nothing asked
        row("2026-01-12T09:00", declined=True, liked=False),
        row("2026-01-13T09:00", declined=True),
    ]
    assert weekly(rows) == [
        Week("2026-W01", date(2025, 12, 29), asked=4, declined=1, votes=2, thumbs_down=1),
        Week("2026-W02", date(2026, 1, 5)),
        Week("2026-W03", date(2026, 1, 12), asked=2, declined=2, votes=1, thumbs_down=1),
    ]
    first, empty, last = weekly(rows)
    assert (first.declined_share, first.thumbs_down_rate) == (0.25, 0.5)
    assert (empty.declined_share, empty.thumbs_down_rate) == (None, None)
    assert (last.declined_share, last.thumbs_down_rate) == (1.0, 1.0)
    assert [w.week for w in weekly(rows, weeks=2)] == ["2026-W02", "2026-W03"]


def near(question: str, score: float, reason: Reason = Reason.NOT_IN_GUIDE) -> Location:
    return Location("", Reason.NOT_IN_GUIDE, Neighbour(question, reason, SALARY, score), SALARY, (SALARY,))


def test_declined_questions_are_grouped_by_their_nearest_bank_question():
    places = {
        "hourly pay?": near("What is the hourly wage?", 0.91),
        "pay per hour": near("What is the hourly wage?", 0.83),
        "how much an hour": near("What is the hourly wage?", 0.77),
        "capital of france": near("which city pays most?", 0.15),  # nothing near: a topic of its own
        "ma salary": near("how much do MAs make a yr", 0.95, Reason.ANSWERED),
    }
    asked = []

    def locate(question: str) -> Location:
        asked.append(question)
        return places[question]

    rows = [
        row("2026-01-05T10:00", "hourly pay?", declined=True),
        row("2026-01-05T11:00", "Hourly  pay?", declined=True),
        row("2026-01-06T10:00", "pay per hour", declined=True, liked=False, comment="it gave the yearly figure"),
        row("2026-01-06T10:00", "how much an hour", declined=True),
        row("2026-01-12T10:00", "capital of france", declined=True),
        row("2026-01-12T10:00", "capital of france", declined=True),
        row("2026-01-13T10:00", "ma salary", declined=True),
        row("2026-01-13T10:00", "what does an MA do"),  # answered: not a topic
    ]
    topics, topic_of = group_topics(rows, locate, limit=10)

    assert sorted(asked) == sorted(places)  # once per distinct question
    assert [(t.label, t.declined, t.bank_answered) for t in topics] == [
        ("What is the hourly wage?", 4, False),
        ("capital of france", 2, None),
        ("how much do MAs make a yr", 1, True),
    ]
    assert topics[0].questions == ("hourly pay?", "pay per hour", "how much an hour")
    assert topics[0].comments == ("it gave the yearly figure",) and topics[0].similarity == 0.91
    assert topics[1].section == () and topics[2].section == SALARY
    weeks = weekly(rows, topic_of=topic_of)
    assert weeks[0].top_topics == (("What is the hourly wage?", 4),)
    assert weeks[1].top_topics == (("capital of france", 2), ("how much do MAs make a yr", 1))


def declined(question: str) -> Answer:
    return Answer(question=question, answer="The guide doesn't cover this.", in_scope=False, reason=NOT_IN_GUIDE)


@pytest.fixture()
def feedback_db(tmp_path):
    """A feedback file filled through FeedbackStore, its questions re-dated to known weeks."""
    path = tmp_path / "feedback.sqlite3"
    store = FeedbackStore(path)
    dates = {}
    for n, question in enumerate(["<script>alert(1)</script> pay?", "pay?", "how long is training?"]):
        qid = store.log_question(declined(question), channel="chat")
        dates[qid] = f"2026-03-0{2 + n}T10:00:00.000+00:00"  # Monday 2 March 2026 onwards: 2026-W10
    qid = store.log_question(
        Answer(question="what do MAs do", answer="They help. [1]", in_scope=True, reason=ANSWERED), channel="api"
    )
    store.vote(qid, False, 'quoted the wrong <part> & "missed" duties')
    dates[qid] = "2026-03-16T10:00:00.000+00:00"  # 2026-W12, after an empty week
    store.close()
    db = sqlite3.connect(path)
    db.executemany("UPDATE questions SET asked_at = ? WHERE id = ?", [(when, qid) for qid, when in dates.items()])
    db.commit()
    db.close()
    return path


def test_the_report_without_an_index_shows_the_weeks_and_says_why_topics_are_missing(feedback_db, tmp_path, capsys):
    days = [r.asked_at.date().isoformat() for r in read_log(feedback_db)]
    assert days == ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-16"]
    args = ["feedback", "--feedback-db", str(feedback_db), "--index", str(tmp_path / "no-index")]

    assert main(args) == 0
    text = capsys.readouterr().out
    assert "  2026-W10       3      3 (100%)         no votes  -\n" in text
    assert "  2026-W11       0             -         no votes  -\n" in text
    assert "  2026-W12       1        0 (0%)    1 of 1 (100%)  -\n" in text
    assert f"(not available: grouping needs the index: no index in {tmp_path / 'no-index'}" in text
    assert 'wrong:  quoted the wrong <part> & "missed" duties' in text

    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["topics"] is None and "no index in" in data["note"]
    assert [(w["week"], w["asked"], w["declined_share"], w["thumbs_down_rate"]) for w in data["weeks"]] == [
        ("2026-W10", 3, 1.0, None),
        ("2026-W11", 0, None, None),
        ("2026-W12", 1, 0.0, 1.0),
    ]


def test_html_is_one_self_contained_page_with_charts_and_escaped_text(feedback_db, tmp_path, capsys):
    page = tmp_path / "out" / "report.html"
    page.parent.mkdir()
    args = ["feedback", "--feedback-db", str(feedback_db), "--index", str(tmp_path / "no-index"), "--html", str(page)]
    assert main(args) == 0
    assert capsys.readouterr().out == f"wrote {page}\n"
    assert [p.name for p in page.parent.iterdir()] == ["report.html"]
    html = page.read_text(encoding="utf-8")

    assert not re.search(r"https?:", html, re.I)
    assert not re.search(r"<script|<link|@import|url\(", html, re.I)  # no script at all, no fetched style
    assert not re.search(r"""src=["'](?!data:image/png;base64,)""", html)
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)">', html)
    assert len(images) == 2 and all(alt for alt, _ in images)
    assert all(base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n") for _, data in images)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; pay?" in html
    assert "quoted the wrong &lt;part&gt; &amp; &quot;missed&quot; duties" in html
    assert "2026-W10" in html and "No index in" not in html and "no index in" in html


def test_an_unwritable_html_path_is_one_error_line(feedback_db, tmp_path, capsys):
    args = ["feedback", "--feedback-db", str(feedback_db), "--index", str(tmp_path), "--html", str(tmp_path / "no" / "x.html")]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot write {tmp_path / 'no' / 'x.html'}") and len(err.splitlines()) == 1


@pytest.mark.slow
def test_suggest_gives_valid_candidate_lines_with_the_nearest_section(real_settings, assistant, tmp_path, capsys):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    hourly = "what is the hourly pay of a medical assistant?"  # declined: the guide gives yearly figures only
    for _ in range(3):
        store.log_question(assistant.ask(hourly), channel="chat")
    disliked = store.log_question(assistant.ask("how much do medical assistants earn in a year"), channel="chat")
    store.vote(disliked, False, "I wanted the pay in Ohio")
    store.log_question(assistant.ask("how much do MAs make a yr"), channel="chat")  # in the bank already
    store.vote(store.log_question(assistant.ask("how much do MAs make a yr"), channel="chat"), False)
    store.log_question(assistant.ask("what does a medical assistant do?"), channel="chat")  # answered, not disliked
    store.close()

    args = ["feedback", "--suggest", "--feedback-db", str(store.path), "--index", str(real_settings.index_dir)]
    assert main([*args, "--corpus", str(real_settings.corpus_dir)]) == 0
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]

    assert [c["question"] for c in lines] == [hourly, "how much do medical assistants earn in a year"]
    first, second = lines
    assert assistant.ask(hourly).reason in ("not_in_guide", "partial")  # declined, or shown as only partly covered
    assert (first["section"], first["subsection"]) == SALARY and (second["section"], second["subsection"]) == SALARY
    assert first["answered"] is None and first["suggested"]["asked"] == 3 and first["suggested"]["declined"] == 3
    assert first["suggested"]["reason_if_not_answered"] == "not_in_guide"
    assert second["suggested"]["thumbs_down"] == 1 and second["suggested"]["comments"] == ["I wanted the pay in Ohio"]
    assert "2 candidate lines" in err

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(GUIDE, corpus / GUIDE.name)
    shutil.copy(BANK, corpus / BANK.name)
    candidates = tmp_path / "candidates.jsonl"
    candidates.write_text(out, encoding="utf-8")
    with pytest.raises(Exception, match=r'candidates.jsonl:1: "answered" is not set yet'):
        add_questions(corpus, candidates)  # as printed: nothing unconfirmed goes in

    first.update(answered=False, reason="not_in_guide")
    second.update(answered=True, reason=None)
    candidates.write_text("".join(json.dumps(c) + "\n" for c in lines), encoding="utf-8")
    added = add_questions(corpus, candidates)
    assert [(q.question, q.answered, q.section) for q in added.added] == [
        (hourly, False, SALARY),
        ("how much do medical assistants earn in a year", True, SALARY),
    ]


@pytest.mark.parametrize(
    ("question", "voice"),
    [
        ("What does a medical assistant do?", "plain"),
        ("how much do u make as an MA?", "casual"),
        ("what does a medical asistant earn?", "typo"),
        ("MA salary range", "keywords"),
    ],
)
def test_the_voice_of_a_suggestion_is_guessed_from_its_words(question, voice):
    from chatbot.feedback.suggest import guess_voice
    from chatbot.guide.query import Reader

    reader = Reader(vocabulary=frozenset({"medical", "assistant", "salary", "range", "earn"}), known=frozenset({"what", "does"}))
    assert guess_voice(question, reader) == voice
