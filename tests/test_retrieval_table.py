"""Plainly worded questions over the real guide and model: the expected section comes first."""

from __future__ import annotations

import json

import pytest

from helpers.cli import run_cli

pytestmark = pytest.mark.slow

EDUCATION = "Education and Training Path For Becoming a Medical Assistant"
OUTLOOK = "Career Outlook and Salary in the U.S."
CORE = "Core Role of a Medical Assistant"
SETTINGS = "Work Settings for Medical Assistants"
ROLES = "Medical Assistant vs. Other Healthcare Roles"
SKILLS = "Skills and Qualities Needed to Become a Medical Assistant"
WHY = "Why Medical Assistants Are Important in Healthcare?"

# question -> the section its first passage must come from
TABLE = {
    "What certifications can a medical assistant get?": (EDUCATION, "Certification Options"),
    "How long are medical assistant programs?": (EDUCATION, "Program Length"),
    "Do I need a high school diploma to become a medical assistant?": (EDUCATION, "Starting Point: High School Diploma"),
    "Can I get trained on the job without going to school?": (EDUCATION, "On-the-Job Training"),
    "What is the median salary for a medical assistant?": (OUTLOOK, "Salary Range"),
    "Which states pay medical assistants the most?": (OUTLOOK, "Regional Pay Differences"),
    "How fast are medical assistant jobs expected to grow?": (OUTLOOK, "Job Growth"),
    "How can a medical assistant advance their career?": (OUTLOOK, "Career Growth"),
    "What clinical tasks does a medical assistant perform?": (CORE, "Clinical Responsibilities"),
    "What office tasks does a medical assistant handle?": (CORE, "Administrative Duties"),
    "What does a medical assistant do in a hospital?": (SETTINGS, "Hospitals"),
    "What do medical assistants do at urgent care clinics?": (SETTINGS, "Urgent Care Facilities"),
    "What is the difference between a medical assistant and a nurse?": (ROLES, "Medical Assistant vs. Nurse"),
    "How is a medical assistant different from a physician assistant?": (ROLES, "Medical Assistant vs. Physician Assistant"),
    "How does a CNA differ from a medical assistant?": (ROLES, "Medical Assistant vs. CNA (Certified Nursing Assistant)"),
    "Why do medical assistants need to know medical terminology?": (SKILLS, "Knowledge of Medical Terms"),
    "What technical skills does a medical assistant need?": (SKILLS, "Technical Skills"),
    "How do medical assistants help clinics save money?": (WHY, "Helping Facilities Save Costs"),
}


BAR = 0.9  # share of the table whose expected section must come first; misses are listed on failure


@pytest.mark.parametrize("question", TABLE)
def test_table_questions_are_answered(assistant, question):
    answer = assistant.ask(question)
    assert answer.passages, "no passage retrieved"
    assert answer.in_scope


def test_expected_section_comes_first_for_most_of_the_table(assistant):
    misses = {
        q: assistant.ask(q).passages[0].passage.heading for q in TABLE if assistant.ask(q).passages[0].passage.section != TABLE[q]
    }
    assert 1 - len(misses) / len(TABLE) >= BAR, misses


def test_the_certification_question_finds_certification_options_first(assistant):
    question = "What certifications can a medical assistant get?"
    assert assistant.ask(question).passages[0].passage.section == TABLE[question]


def test_cli_ask_json_puts_certification_options_first(real_settings):
    question = "What certifications can a medical assistant get?"
    result = run_cli("ask", "--json", "--corpus", real_settings.corpus_dir, "--index", real_settings.index_dir, question)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    answer = json.loads(result.stdout)
    assert tuple(answer["passages"][0]["section"]) == TABLE[question]
    assert answer["in_scope"] is True


def test_cli_batch_agrees_with_the_api_on_the_whole_table(real_settings, assistant, tmp_path):
    """The table through `ask --batch` in one child process gives what the API gives in this one."""
    batch = tmp_path / "table.jsonl"
    batch.write_text("".join(json.dumps({"question": q}) + "\n" for q in TABLE), encoding="utf-8")
    result = run_cli("ask", "--batch", batch, "--corpus", real_settings.corpus_dir, "--index", real_settings.index_dir)
    assert result.returncode == 0, result.stderr
    firsts = [tuple(json.loads(line)["passages"][0]["section"]) for line in result.stdout.splitlines()]
    assert firsts == [assistant.ask(q).passages[0].passage.section for q in TABLE]
