"""The honest boundary end to end, on the real guide and model: questions the guide covers only in
part get a caveat naming what is missing, then what it says nearby; made-up terms are never
answered as if covered; broad questions get their part's structure; the guide's housekeeping is
never quoted to an unrelated question; another language gets a reply in English."""

from __future__ import annotations

import json
import random

import pytest

from chatbot.guide.reasons import Reason
from helpers.cli import cli_env, run_cli

pytestmark = pytest.mark.slow

SYLLABLES = ("bla", "zor", "vex", "tri", "quo", "mib", "dra", "kel", "fum", "yst", "glo", "pran")
# kinds of question a real user asks about something the guide never names: a credential, a place, a profession
KINDS = (
    "Is the {w} certification worth getting for a medical assistant?",
    "Can a medical assistant work in a {w}?",
    "How does a medical assistant compare with a {w}?",
    "do i need the {w} badge to get hired as an MA",
)


def made_up_words(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(SYLLABLES) for _ in range(3)) for _ in range(count)]


@pytest.mark.parametrize("template", KINDS)
def test_a_made_up_term_is_never_answered_as_if_the_guide_covered_it(assistant, template):
    for word in made_up_words(6):
        answer = assistant.ask(template.format(w=word))
        assert answer.reason is not Reason.ANSWERED, (word, answer.answer)
        if answer.reason is Reason.PARTIAL:
            assert any(word in term.lower() for term in answer.missing), (word, answer.missing)
            assert answer.answer.startswith(answer.caveat) and word in answer.caveat.lower()


def test_a_partial_reply_names_what_is_missing_first_then_quotes_the_guide_nearby(assistant):
    answer = assistant.ask("Can a medical assistant work in an ambulance?")
    assert answer.reason is Reason.PARTIAL and answer.in_scope
    assert answer.missing == ("ambulance",)
    assert answer.answer.splitlines()[0] == "The guide doesn't mention “ambulance”."
    passages = {c.marker: c.passage for c in answer.citations}
    assert answer.quotes and all(q.text in passages[q.marker].sentences for q in answer.quotes)


def test_a_state_the_guide_never_names_is_what_is_missing(assistant):
    answer = assistant.ask("How much do medical assistants make in Ohio?")
    assert answer.reason is Reason.PARTIAL and "Ohio" in answer.missing


def test_partial_json_from_the_command_line(real_settings):
    question = "Can a medical assistant work in an ambulance?"
    where = ("--corpus", real_settings.corpus_dir, "--index", real_settings.index_dir)
    result = run_cli("ask", *where, "--json", question, env=cli_env())
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["reason"], data["in_scope"], data["missing"]) == ("partial", True, ["ambulance"])
    assert data["answer"].startswith(data["caveat"]) and data["citations"]


def test_an_answered_question_names_nothing_missing(assistant):
    answer = assistant.ask("How long are medical assistant programs?")
    assert (answer.reason, answer.missing, answer.caveat) == (Reason.ANSWERED, (), "")


@pytest.mark.parametrize("question", ["What skills do I need to be a medical assistant?", "Where can medical assistants work?"])
def test_a_broad_question_gets_every_sub_section_of_its_part(assistant, question):
    answer = assistant.ask(question)
    assert answer.reason is Reason.ANSWERED
    part = answer.citations[0].passage.section
    assert len(part) == 1, "a broad question is answered from its part's opening"
    subs = list(dict.fromkeys(p.section[-1] for p in assistant.index.passages if len(p.section) > 1 and p.section[0] == part[0]))
    assert [q.heading for q in answer.quotes if q.heading] == subs
    assert all(f"- {s}: " in answer.answer for s in subs)


def test_the_guides_housekeeping_is_never_quoted_to_a_question_not_about_it(assistant):
    marked = assistant.housekeeping
    assert marked.sentences, "the bank marks the guide's closing advertisement"
    questions = [q.question for q in assistant.index.bank.questions if q.answered]
    with open("tests/fixtures/questions-real.jsonl", encoding="utf-8") as handle:
        questions += [json.loads(line)["question"] for line in handle if line.strip()]
    for question in questions:
        asked = assistant.reader.read(question).lexical
        answer = assistant.ask(question)
        for quote in answer.quotes:
            if quote.text in marked.sentences:
                from chatbot.guide.text import content_words, stems

                assert marked.stems & stems(content_words(asked)), (question, quote.text)


@pytest.mark.parametrize(
    "question, recognisable",
    [("¿Cuánto gana un asistente médico en California?", True), ("Wie lange dauert die Ausbildung zum Friseur?", False)],
)
def test_another_language_gets_a_reply_in_english(assistant, question, recognisable):
    answer = assistant.ask(question)
    assert "I answer in English" in (answer.notice + answer.answer)
    assert answer.answer != "The guide doesn't cover this."
    if not recognisable:
        assert answer.reason is Reason.OTHER_LANGUAGE and not answer.in_scope
