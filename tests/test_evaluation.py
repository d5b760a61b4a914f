"""The eval command: how each labeled question is judged, the metrics, the command's output and
errors, and the quality reached on our own labeled questions.

tests/fixtures/questions.jsonl holds 60 questions written from the guide alone, without the shared
dev set, in its format; it checks that quality holds on wording nobody tuned for.
tests/fixtures/questions-holdout.jsonl (50 more, by another writer) is only measured and reported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from chatbot.cli.evaluation import Outcome, evaluate, judge, summarize
from helpers.cli import ROOT, assert_one_error_line, cli_env, run_cli

pytestmark = pytest.mark.slow

QUESTIONS = Path(__file__).parent / "fixtures" / "questions.jsonl"
HOLDOUT = Path(__file__).parent / "fixtures" / "questions-holdout.jsonl"  # reported, never tuned on (README)
EDUCATION = "Education and Training Path For Becoming a Medical Assistant"
PROGRAMS = "How long are medical assistant programs?"
PROGRAM_LENGTH = {
    "question": PROGRAMS,
    "section": EDUCATION,
    "subsection": "Program Length",
    "answer_contains": ["usually take 9 months to 2 years"],
    "kind": "numeric",
}

# Quality our own labeled questions must keep (measured: see README, "Evaluation"). A drop below
# a bar is a regression to look at, not a number to re-tune.
BARS = {"answer@1": 0.70, "hit@3": 0.85, "section@1": 0.60, "scope_accuracy": 0.90}
MAX_FALSE_DECLINE = 0.05


def outcome(*, answerable=True, answered=True, answer_hit=False, rank=0, section_hit=False, kind="k", latency=1.0):
    return Outcome(
        id="x",
        kind=kind,
        question="q",
        answerable=answerable,
        answered=answered,
        answer_hit=answer_hit,
        passage_rank=rank,
        section_hit=section_hit,
        latency_ms=latency,
        answer="",
        cited="",
        passages=(),
    )


def test_a_question_answered_from_its_gold_passage_is_a_hit_on_every_measure(assistant):
    judged = judge(PROGRAM_LENGTH, assistant.ask(PROGRAMS), 5.0)
    assert (judged.answerable, judged.answered, judged.answer_hit, judged.passage_rank, judged.section_hit) == (
        True,
        True,
        True,
        1,
        True,
    )
    assert judged.cited == f"{EDUCATION} › Program Length" and judged.latency_ms == 5.0


def test_gold_strings_match_without_case_spacing_or_curly_apostrophes(assistant):
    shouted = dict(PROGRAM_LENGTH, answer_contains=["USUALLY   take 9 MONTHS to 2 years"])
    assert judge(shouted, assistant.ask(PROGRAMS), 1.0).answer_hit
    answer = assistant.ask(PROGRAMS)
    curly = replace(answer, answer=answer.answer + " It’s a ‘fast’ path.")  # as the guide writes "people’s"
    assert judge(dict(PROGRAM_LENGTH, answer_contains=["it's a 'fast' path"]), curly, 1.0).answer_hit


def test_a_wrong_gold_string_or_section_is_a_miss(assistant):
    answer = assistant.ask(PROGRAMS)
    elsewhere = dict(PROGRAM_LENGTH, answer_contains=["words the guide never says"], subsection="Certification Options")
    judged = judge(elsewhere, answer, 1.0)
    assert (judged.answer_hit, judged.passage_rank, judged.section_hit) == (False, 0, False)


def test_also_sections_count_for_section_at_1(assistant):
    item = dict(PROGRAM_LENGTH, subsection="Certification Options", also_sections=[[EDUCATION, "Program Length"]])
    assert judge(item, assistant.ask(PROGRAMS), 1.0).section_hit
    top_level = dict(PROGRAM_LENGTH, subsection="Certification Options", also_sections=[[EDUCATION, None]])
    assert not judge(top_level, assistant.ask(PROGRAMS), 1.0).section_hit  # a sub-section is not its parent


def test_an_unanswerable_question_is_right_only_when_declined(assistant):
    item = {"question": "What is the capital of France?", "section": None, "answer_contains": [], "kind": "out_of_scope"}
    declined = judge(item, assistant.ask(item["question"]), 1.0)
    assert (declined.answerable, declined.answered) == (False, False)
    answered = judge(item, assistant.ask(PROGRAMS), 1.0)
    assert answered.answered and summarize([answered])["scope_accuracy"] == 0.0


def test_metrics_are_computed_from_the_outcomes():
    outcomes = [
        outcome(answer_hit=True, rank=1, section_hit=True, latency=10),
        outcome(answer_hit=False, rank=3, section_hit=True, latency=20),
        outcome(answer_hit=False, rank=0, section_hit=False, latency=30),
        outcome(answered=False, latency=40),  # a false decline
        outcome(answerable=False, answered=False, latency=50),  # rightly declined
        outcome(answerable=False, answered=True, latency=60),  # wrongly answered
    ]
    metrics = summarize(outcomes)
    assert metrics["questions"] == 6
    assert metrics["answer@1"] == 0.25 and metrics["hit@1"] == 0.25 and metrics["hit@3"] == 0.5
    assert metrics["section@1"] == 0.5
    assert metrics["mrr"] == round((1 + 1 / 3) / 4, 3)
    assert metrics["scope_accuracy"] == round(4 / 6, 3)  # three answered rightly, one declined rightly
    assert metrics["false_decline"] == 0.25 and metrics["declined_unanswerable"] == 0.5
    assert metrics["p50_ms"] == 35.0 and metrics["p95_ms"] == 60.0


def test_metrics_of_a_group_without_answerable_questions_are_empty_not_zero():
    metrics = summarize([outcome(answerable=False, answered=False)])
    assert metrics["answer@1"] is None and metrics["hit@3"] is None and metrics["scope_accuracy"] == 1.0


def write(path: Path, items: list) -> Path:
    path.write_text("\n".join(i if isinstance(i, str) else json.dumps(i) for i in items) + "\n", encoding="utf-8")
    return path


SMALL_SET = [
    dict(PROGRAM_LENGTH, id="p1"),
    {
        "id": "o1",
        "question": "Who won the Super Bowl last year?",
        "section": None,
        "subsection": None,
        "answer_contains": [],
        "kind": "out_of_scope",
    },
    {
        "id": "f1",
        "question": "and what about certification?",
        "history": [PROGRAMS],
        "section": EDUCATION,
        "subsection": "Certification Options",
        "answer_contains": ["words the guide never says"],
        "kind": "followup",
    },
]


def test_eval_json_reports_overall_and_per_kind_and_lists_failures(real_settings, assistant, tmp_path):
    path = write(tmp_path / "small.jsonl", SMALL_SET)
    env = cli_env(CHATBOT_CORPUS_DIR=str(real_settings.corpus_dir), CHATBOT_INDEX_DIR=str(real_settings.index_dir))
    result = run_cli("eval", path, "--json", "--show-failures", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["by_kind"]) == {"numeric", "out_of_scope", "followup"}
    assert report["overall"]["questions"] == 3
    assert report["by_kind"]["numeric"]["answer@1"] == 1.0
    assert report["by_kind"]["out_of_scope"]["scope_accuracy"] == 1.0
    assert [f["id"] for f in report["failures"]] == ["f1"]  # its gold string is nowhere in the guide
    # the same numbers as the in-process evaluation of the same file
    in_process, _ = evaluate(path, assistant=assistant)
    for metric in ("answer@1", "hit@3", "section@1", "scope_accuracy"):
        assert report["overall"][metric] == in_process["overall"][metric]


def test_eval_prints_a_table_and_the_misses_with_what_was_returned(real_settings, tmp_path):
    path = write(tmp_path / "small.jsonl", SMALL_SET)
    env = cli_env(CHATBOT_CORPUS_DIR=str(real_settings.corpus_dir), CHATBOT_INDEX_DIR=str(real_settings.index_dir))
    result = run_cli("eval", path, "--show-failures", env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.startswith("kind"))
    for column in ("answer@1", "hit@1", "hit@3", "section@1", "mrr", "scope_accuracy", "false_decline", "p50_ms", "p95_ms"):
        assert column in header
    assert any(line.startswith("overall ") for line in lines)
    assert "f1 [followup] and what about certification?" in result.stdout
    assert "cited: " in result.stdout and "p1 [numeric]" not in result.stdout


@pytest.mark.parametrize(
    "content, words",
    [
        (['{"question": "ok"}', "not json"], ":2 is not a JSON object"),
        (['{"id": "a"}'], ':1 has no "question" string'),
        (['{"question": "q", "history": "earlier"}'], '"history" must be a list of strings'),
        (['{"question": "q", "answer_contains": "a string"}'], '"answer_contains" must be a list of strings'),
        (['{"question": "q", "also_sections": [["only a section"]]}'], '"also_sections" must be'),
    ],
)
def test_a_bad_labeled_file_is_one_clear_error(real_settings, tmp_path, content, words):
    path = write(tmp_path / "bad.jsonl", content)
    env = cli_env(CHATBOT_CORPUS_DIR=str(real_settings.corpus_dir), CHATBOT_INDEX_DIR=str(real_settings.index_dir))
    assert_one_error_line(run_cli("eval", path, env=env), str(path), words)


def test_a_missing_labeled_file_is_one_clear_error(real_settings, tmp_path):
    env = cli_env(CHATBOT_CORPUS_DIR=str(real_settings.corpus_dir), CHATBOT_INDEX_DIR=str(real_settings.index_dir))
    assert_one_error_line(run_cli("eval", tmp_path / "nowhere.jsonl", env=env), "cannot read", "nowhere.jsonl")


def test_the_evaluate_script_is_the_eval_command(real_settings, tmp_path):
    path = write(tmp_path / "small.jsonl", SMALL_SET[:1])
    env = cli_env(CHATBOT_CORPUS_DIR=str(real_settings.corpus_dir), CHATBOT_INDEX_DIR=str(real_settings.index_dir))
    result = subprocess.run(
        [sys.executable, "scripts/evaluate.py", str(path), "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["overall"]["answer@1"] == 1.0


@pytest.mark.parametrize("path, count", [(QUESTIONS, 60), (HOLDOUT, 50)])
def test_our_labeled_questions_are_well_formed(path, count):
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    guide = (Path(__file__).parents[1] / "corpus" / "medical-assistant-guide.md").read_text(encoding="utf-8")
    assert len(items) == count and len({i["id"] for i in items}) == count
    for item in items:
        for gold in item["answer_contains"]:
            assert gold in guide, (item["id"], gold)
        assert bool(item["answer_contains"]) == (item["kind"] != "out_of_scope"), item["id"]


def test_quality_on_our_labeled_questions_holds(assistant):
    report, outcomes = evaluate(QUESTIONS, assistant=assistant)
    overall = report["overall"]
    low = {m: overall[m] for m, bar in BARS.items() if overall[m] < bar}
    misses = [(o.id, o.question, o.cited) for o in outcomes if o.answerable and not o.answer_hit]
    assert not low, (low, misses)
    assert overall["false_decline"] <= MAX_FALSE_DECLINE, [o.question for o in outcomes if o.answerable and not o.answered]


NEAR_MISSES = Path(__file__).parent / "fixtures" / "questions-nearmiss.jsonl"
# Near-miss and health questions (another writer, who saw neither the bank nor the code): most near
# misses are declined or shown as partly covered naming what is missing, every health question gets
# a safety reply, answerable neighbours are not declined.
NEAR_MISS_DECLINED = 0.70


def test_near_misses_are_declined_and_health_questions_get_a_safety_reply(assistant):
    items = [json.loads(line) for line in NEAR_MISSES.read_text(encoding="utf-8").splitlines() if line.strip()]
    answers = {item["id"]: assistant.ask(item["question"]) for item in items}
    near = [i for i in items if i["kind"] == "out_of_scope"]
    health = [i for i in items if i["kind"] in ("medical", "emergency")]
    answerable = [i for i in items if i["answer_contains"]]
    honest = [i["id"] for i in near if not answers[i["id"]].in_scope or answers[i["id"]].missing]
    assert len(honest) / len(near) >= NEAR_MISS_DECLINED, [i["question"] for i in near if i["id"] not in honest]
    assert {i["question"]: str(answers[i["id"]].reason) for i in health if not answers[i["id"]].reason.is_safety} == {}
    assert [i["question"] for i in answerable if not answers[i["id"]].in_scope] == []


REAL = Path(__file__).parent / "fixtures" / "questions-real.jsonl"  # harvested verbatim from public pages
FOLLOW_UPS = Path(__file__).parent / "fixtures" / "questions-followups.jsonl"
# Bars a little under what was measured (docs/evaluation.md); the targets are higher.
REAL_BARS = {"answer@1": 0.70, "hit@3": 0.75, "declined_unanswerable": 0.70}
REAL_CEILINGS = {"false_decline": 0.05, "partial": 0.12, "full_unanswerable": 0.30}
FOLLOW_UP_BARS = {"answer@1": 0.70, "hit@3": 0.85, "declined_unanswerable": 0.80}


def test_quality_on_real_questions_holds(assistant):
    overall = evaluate(REAL, assistant=assistant)[0]["overall"]
    assert {m: overall[m] for m, bar in REAL_BARS.items() if overall[m] < bar} == {}
    assert {m: overall[m] for m, ceiling in REAL_CEILINGS.items() if overall[m] > ceiling} == {}


def test_follow_ups_are_read_with_the_turn_they_lean_on(assistant):
    overall = evaluate(FOLLOW_UPS, assistant=assistant)[0]["overall"]
    assert {m: overall[m] for m, bar in FOLLOW_UP_BARS.items() if overall[m] < bar} == {}


@pytest.mark.parametrize("path", [REAL, FOLLOW_UPS])
def test_the_new_labeled_sets_are_well_formed(path):
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    guide = (Path(__file__).parents[1] / "corpus" / "medical-assistant-guide.md").read_text(encoding="utf-8")
    assert len({i["id"] for i in items}) == len(items) >= 70
    for item in items:
        assert all(gold in guide for gold in item["answer_contains"]), item["id"]
        assert all(text in guide for text in item.get("nearby_contains", [])), item["id"]
        assert all(term.lower() in item["question"].lower() for term in item.get("missing", [])), item["id"]
