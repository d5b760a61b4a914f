"""`bank add` appends only valid, new, confirmed lines (atomically); `bank check` reads the bank back
through the index and names the lines it answers against their label."""

from __future__ import annotations

import json
import shutil

import pytest

from chatbot.cli.commands import main
from chatbot.guide.bank import load_bank
from chatbot.guide.bank_edit import add_questions, guide_sections
from conftest import BANK, GUIDE

LINES = len(BANK.read_text(encoding="utf-8").splitlines())  # the real bank's lines, read at run time
QUESTIONS = sum('"question"' in line for line in BANK.read_text(encoding="utf-8").splitlines())  # its marks hold none

SALARY = ("Career Outlook and Salary in the U.S.", "Salary Range")
HOSPITALS = ("Work Settings for Medical Assistants", "Hospitals")
GOOD = {
    "section": SALARY[0],
    "subsection": SALARY[1],
    "question": "what does an MA take home in a year before taxes",
    "answered": True,
    "voice": "casual",
}


@pytest.fixture()
def corpus(tmp_path):
    """A private copy of the real corpus folder (guide and bank): tests never write the real bank."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(GUIDE, folder / GUIDE.name)
    shutil.copy(BANK, folder / BANK.name)
    return folder


def write_lines(path, *lines) -> str:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines), encoding="utf-8")
    return str(path)


def bank_add(corpus, path, capsys) -> tuple[int, str, str]:
    status = main(["bank", "add", str(path), "--corpus", str(corpus)])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "is not a JSON object"),
        ({**GOOD, "answered": None, "reason": None}, '"answered" is not set yet'),
        ({**GOOD, "subsection": "Hourly Pay"}, "the guide has no section"),
        ({**GOOD, "answered": False}, '"reason" must be one of'),
        ({**GOOD, "voice": "shouty"}, '"voice" must be one of'),
        ({**GOOD, "answer": "yes"}, "unknown field 'answer'"),
    ],
    ids=["not-json", "unconfirmed", "no-such-section", "missing-reason", "bad-voice", "unknown-field"],
)
def test_a_malformed_line_is_refused_with_file_line_and_the_bank_is_unchanged(corpus, tmp_path, capsys, bad, message):
    before = (corpus / BANK.name).read_bytes()
    good = {**GOOD, "question": "is the yearly MA pay before or after taxes"}
    lines = write_lines(tmp_path / "new.jsonl", good, bad)  # the good first line is not written either

    status, out, err = bank_add(corpus, lines, capsys)

    assert status == 1 and out == ""
    assert err.startswith(f"error: {lines}:2") and message in err and len(err.splitlines()) == 1
    assert (corpus / BANK.name).read_bytes() == before
    assert [p.name for p in corpus.iterdir() if p.name.endswith(".tmp")] == []


def test_a_good_line_is_appended_without_its_suggestion_and_the_bank_still_loads(corpus, tmp_path, capsys):
    before = (corpus / BANK.name).read_bytes()
    candidate = {**GOOD, "reason": None, "suggested": {"asked": 3, "comments": ["gave the hourly figure"]}}
    status, out, err = bank_add(corpus, write_lines(tmp_path / "new.jsonl", candidate), capsys)

    assert (status, err) == (0, "")
    assert "added 1 question to" in out and f"({QUESTIONS + 1} in the bank)" in out
    after = (corpus / BANK.name).read_bytes()
    assert after.startswith(before)
    assert json.loads(after[len(before) :]) == GOOD  # one line, the bank's own form: no "suggested", no null reason
    bank = load_bank(corpus, guide_sections(corpus))
    assert len(bank) == QUESTIONS + 1 and bank[-1].question == GOOD["question"] and bank[-1].section == SALARY


def test_a_dry_run_checks_and_writes_nothing(corpus, tmp_path):
    before = (corpus / BANK.name).read_bytes()
    added = add_questions(corpus, write_lines(tmp_path / "new.jsonl", GOOD), dry_run=True)
    assert [q.question for q in added.added] == [GOOD["question"]]
    assert (corpus / BANK.name).read_bytes() == before


def test_a_bank_without_a_final_newline_gets_one_before_the_new_line(corpus, tmp_path):
    bank = corpus / BANK.name
    bank.write_bytes(bank.read_bytes().rstrip(b"\n"))
    add_questions(corpus, write_lines(tmp_path / "new.jsonl", GOOD))
    assert len(load_bank(corpus, guide_sections(corpus))) == QUESTIONS + 1


@pytest.mark.parametrize("where", ["bank", "file"])
def test_a_duplicate_question_is_refused_and_the_bank_is_unchanged(corpus, tmp_path, capsys, where):
    before = (corpus / BANK.name).read_bytes()
    if where == "bank":  # an existing question, another case and spacing
        lines = write_lines(tmp_path / "new.jsonl", {**GOOD, "question": "HOW much do  MAs make a yr"})
        expected = f"{lines}:1: repeats the question of {corpus / BANK.name}:394"
    else:
        lines = write_lines(tmp_path / "new.jsonl", GOOD, {**GOOD, "voice": "plain"})
        expected = f"{lines}:2: repeats the question of {lines}:1"

    status, out, err = bank_add(corpus, lines, capsys)

    assert status == 1 and expected in err
    assert (corpus / BANK.name).read_bytes() == before


def test_adding_to_an_invalid_bank_is_refused(corpus, tmp_path, capsys):
    bank = corpus / BANK.name
    bank.write_text(bank.read_text(encoding="utf-8") + '{"question": "broken"}\n', encoding="utf-8")
    before = bank.read_bytes()
    status, _, err = bank_add(corpus, write_lines(tmp_path / "new.jsonl", GOOD), capsys)
    assert status == 1 and f"{bank}:{LINES + 1}" in err
    assert bank.read_bytes() == before


@pytest.mark.slow
def test_bank_check_reports_a_deliberately_mislabeled_line(real_settings, corpus, capsys, monkeypatch):
    from chatbot.feedback import bank_check

    run_check, checked = bank_check.check_bank, []

    def check_once(*args, **kwargs):  # the text form renders the same check: run once (~12 s), not twice
        if not checked:
            checked.append(run_check(*args, **kwargs))
        return checked[0]

    monkeypatch.setattr(bank_check, "check_bank", check_once)
    bank = corpus / BANK.name
    lines = bank.read_text(encoding="utf-8").splitlines()
    line = json.loads(lines[386])  # line 387: "What was the median annual salary for medical assistants in 2022?"
    assert (line["section"], line["subsection"]) == SALARY and line["answered"]
    lines[386] = json.dumps({**line, "section": HOSPITALS[0], "subsection": HOSPITALS[1]})
    bank.write_text("\n".join(lines) + "\n", encoding="utf-8")

    args = ["bank", "check", "--corpus", str(corpus), "--index", str(real_settings.index_dir)]
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    found = {f["source"]: f for f in report["findings"]}
    mislabeled = found[f"{bank}:387"]
    assert mislabeled["kind"] == "section" and mislabeled["cited"] == list(SALARY)
    assert mislabeled["label"]["subsection"] == "Hospitals" and mislabeled["new"] is False
    assert report["questions"] == QUESTIONS and report["agree"] + sum(report["disagree"].values()) == QUESTIONS
    assert "corpus changed since the index was built" in report["note"]  # the index predates the edited bank
    assert "fitted" in report["header"]

    assert main([*args, "--quiet"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Consistency report:")
    assert f"  {bank}:387\n      What was the median annual salary for medical assistants in 2022?\n" in text
    assert "answered from another section than the labeled one:" in text


def test_bank_check_on_an_invalid_bank_is_one_error_line(corpus, capsys, tmp_path):
    bank = corpus / BANK.name
    bank.write_text(bank.read_text(encoding="utf-8") + "[]\n", encoding="utf-8")
    assert main(["bank", "check", "--corpus", str(corpus), "--index", str(tmp_path / "none")]) == 1
    assert capsys.readouterr().err == f"error: {bank}:{LINES + 1}: not a JSON object; each line of a question bank is one\n"
