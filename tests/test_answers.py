"""The direct answer on the real guide and model: what is quoted, from where, and what is declined.

Every question below is written for these tests, in the ways people ask: plainly, in chat shorthand
with typos, with abbreviations (MA, CMA, RMA, CNA, PA, EHR, GED). Expectations come from reading the
guide, never from what the assistant happened to answer.
"""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.slow

CORE = "Core Role of a Medical Assistant"
SKILLS = "Skills and Qualities Needed to Become a Medical Assistant"
EDUCATION = "Education and Training Path For Becoming a Medical Assistant"
SETTINGS = "Work Settings for Medical Assistants"
OUTLOOK = "Career Outlook and Salary in the U.S."
WHY = "Why Medical Assistants Are Important in Healthcare?"
ROLES = "Medical Assistant vs. Other Healthcare Roles"
SUCCESS = "How to Become a Successful Medical Assistant?"

CERTIFICATION = (EDUCATION, "Certification Options")
PROGRAM_LENGTH = (EDUCATION, "Program Length")
SALARY = (OUTLOOK, "Salary Range")
REGIONAL_PAY = (OUTLOOK, "Regional Pay Differences")
JOB_GROWTH = (OUTLOOK, "Job Growth")
URGENT_CARE = (SETTINGS, "Urgent Care Facilities")

# question -> the section of the first citation (or a set of sections, where the guide answers the
# question in so many words in more than one place)
SECTIONS = {
    # plainly worded
    "What clinical duties do medical assistants have?": (CORE, "Clinical Responsibilities"),
    "Do medical assistants handle billing and insurance paperwork?": (CORE, "Administrative Duties"),
    "Which certifications are available to medical assistants?": CERTIFICATION,
    "Can I start working as a medical assistant without formal schooling and learn at work?": (EDUCATION, "On-the-Job Training"),
    "How many months does a medical assistant program take?": PROGRAM_LENGTH,
    "What is the typical yearly salary of a medical assistant?": SALARY,
    "Do medical assistants in Massachusetts earn more than average?": REGIONAL_PAY,
    # "Demand for medical assistants continues to rise" opens the outlook section; Job Growth has the figure
    "Is demand for medical assistants growing?": {(OUTLOOK,), JOB_GROWTH},
    "Can a medical assistant move into office management later on?": (OUTLOOK, "Career Growth"),
    "What is a medical assistant's day like in a small family practice?": (SETTINGS, "Private Clinics"),
    "Can medical assistants work in dermatology or orthopedics?": (SETTINGS, "Specialty Practices"),
    "What do medical assistants do at outpatient centers?": (SETTINGS, "Outpatient Care Centers"),
    "Why does a medical assistant need to learn medical terminology?": (SKILLS, "Knowledge of Medical Terms"),
    "How do medical assistants shorten wait times for patients?": (WHY, "Improving Patient Flow"),
    "Why should I pick an accredited program?": (SUCCESS, "Choose the Right Program"),
    "Are internships useful while training to be a medical assistant?": (SUCCESS, "Gain Hands-On Experience"),
    # colloquial, typos, slang, abbreviations
    "wat do MAs make in cali": REGIONAL_PAY,
    "whats the avg pay for an MA": SALARY,
    "wat certs can i get as an MA": CERTIFICATION,
    "do i need a GED or hs diploma to get into an MA program?": (EDUCATION, "Starting Point: High School Diploma"),
    "how many yrs is MA school": PROGRAM_LENGTH,
    "r there gonna be jobs for MAs in the future": JOB_GROWTH,
    "do MAs update the EHR and schedule pt visits": (CORE, "Administrative Duties"),
    "wut people skills does an MA need": (SKILLS, "Communication and People Skills"),
    "wat do MAs do at an urgent care": URGENT_CARE,
    "MA jobs in hospitals, wat r they like?": (SETTINGS, "Hospitals"),
    "whats the diff between an MA and a PA": (ROLES, "Medical Assistant vs. Physician Assistant"),
    "how do i keep up w/ new tech as an MA": (SUCCESS, "Keep Learning"),
    "do MAs help clinics cut staffing costs": (WHY, "Helping Facilities Save Costs"),
}

# question -> a figure one of the quotes must contain
FIGURES = {
    "how much do MAs earn": r"\$\d",
    "How much does a medical assistant make a year?": r"\$\d",
    "what's the starting pay for a junior medical assistant": r"\$\d",
    "How much can a certified, experienced MA earn?": r"\$45,000",
    "how long are programs": r"\b\d+ (months|years)\b",
    "How long does medical assistant training take?": r"\b\d+ (months|years)\b",
    "how fast will jobs grow": r"\d+%",
    "By what percentage are MA jobs projected to grow?": r"\d+%",
}

# "how much" questions whose answering passage holds several amounts -> how many quotes must hold one
ALL_FIGURES = {
    "How much will I earn as a medical assistant?": 2,
    "how much do MAs get paid per year": 2,
    "how much money does an MA make a year": 2,
}

# "how many" questions the guide answers with a list -> items every answer must quote
COUNTED_LISTS = {
    "how many certifications are there for MAs": ("CMA (Certified Medical Assistant)", "RMA (Registered Medical Assistant)"),
    "How many different certifications can a medical assistant get?": ("CMA (", "RMA ("),
}

# questions about what pay depends on -> what a quote must name (the reasons, not an amount)
REASONS = {
    "what affects how much an MA gets paid": r"location|experience",
    "Why do some medical assistants earn more than others?": r"location|experience",
    "what does a medical assistant's pay depend on": r"location|experience",
}

# question -> the two labelled sides of the comparison that must both be quoted
COMPARISONS = {
    "MA vs nurse": ("Medical Assistants:", "Nurses:"),
    "difference between a CNA and an MA": ("Medical Assistants:", "CNAs:"),
    "How is a nurse different from a medical assistant?": ("Medical Assistants:", "Nurses:"),
    "medical assistant versus physician assistant": ("Medical Assistants:", "Physician Assistants (PAs):"),
    "whats the difference btwn a PA and an MA": ("Medical Assistants:", "Physician Assistants (PAs):"),
    "Compare a CNA with a medical assistant": ("Medical Assistants:", "CNAs:"),
}

# questions the guide does not answer
OFF_TOPIC = [
    "What's the weather going to be like in Chicago tomorrow?",
    "Who won the Super Bowl last year?",
    "How do I bake sourdough bread?",
    "What is the capital of France?",
    "Can you recommend a gaming laptop?",
]
NOT_IN_GUIDE = OFF_TOPIC + [
    "how much does the CMA exam cost",
    "what percentage of MAs are certified",
    "how long does it take to get exam results",
    "How many hours a week do medical assistants usually work?",
    "how many MAs are there in the US",
    "What is the passing score for the RMA exam?",
]

# questions asking which option is better: the guide describes options but never ranks them
RANKINGS = [
    "cma or rma, which one is better",
    "Should I get the CMA or the RMA?",
    "is being an MA better than being a CNA?",
    "which work setting is best for a new MA?",
]
# ...while questions naming the guide's own judgement, or asking for differences, are answered
NOT_RANKINGS = {
    "what makes the best medical assistant": r"The best medical assistants",
    "How is a nurse different from a medical assistant?": r"Nurses:",
}

# the rules of a state the guide never names -> declined (a general answer could pass for that state's rule)
STATE_RULES = {
    "Are medical assistants allowed to give shots in Texas?": "Texas",
    "Is certification required in Florida?": "Florida",
}
# other questions naming such a state -> the general answer, with a notice naming the state
STATE_GENERAL = {
    "how much do MAs make in west virginia": "West Virginia",
    "I live in Ohio, what does an MA do?": "Ohio",
}

MEDICAL_ADVICE = [
    "I have a red rash on my arm, what should I put on it?",
    "how much ibuprofen should i take for a headache",
    "my blood pressure is 150 over 95, is that bad?",
    "What can I take for a sore throat?",
    "Is it safe to take tylenol while pregnant?",
    "my kid has a fever of 102, what should i do",
]

EMERGENCIES = [
    "my dad has chest pain and his left arm is numb",
    "I think my friend overdosed on pills",
    "help I can't breathe",
    "someone is choking at the table",
    "my son is having a seizure right now",
]

GREETINGS = ["hi", "Hello there!", "good morning", "hey"]
THANKS = ["thanks!", "thank you so much", "ok thanks", "thx"]

# career questions that mention medicines or needles -> a pattern one of the quotes must contain
NOT_MEDICAL_ADVICE = {
    "can MAs give injections?": r"injections",
    "Are medical assistants allowed to give medications to patients?": r"medications",
    "As an MA will I have to give patients their meds?": r"medications",
    "do medical assistants draw blood": r"draw blood|lab samples",
    "Can a CMA give shots?": r"injections",
    "will I have to check patients' blood pressure?": r"vital signs",
    "would I have to give people their medications": r"medications",
}

# (earlier questions, follow-up) -> the section of the first citation
FOLLOW_UPS = [
    (["How long are medical assistant programs?"], "and what about certification?", CERTIFICATION),
    (["What do MAs do in hospitals?"], "what about urgent care?", URGENT_CARE),
    (["How much do medical assistants make?"], "and in california?", REGIONAL_PAY),
    (
        ["What is the difference between a medical assistant and a nurse?"],
        "what about a CNA?",
        (ROLES, "Medical Assistant vs. CNA (Certified Nursing Assistant)"),
    ),
    (["What does a medical assistant do in a private clinic?"], "and in specialty practices?", (SETTINGS, "Specialty Practices")),
    (["What skills does a medical assistant need?"], "what about technical ones?", (SKILLS, "Technical Skills")),
    (["What does a medical assistant do in a hospital?"], "and how much do they earn?", SALARY),
    (["Which certifications can MAs get?"], "how long does that take?", PROGRAM_LENGTH),
]

# (earlier questions, a new full question) -> the section of the first citation; no merging
STANDALONE_AFTER_HISTORY = [
    (["How much do medical assistants earn?"], "Which certifications can a medical assistant get?", CERTIFICATION),
    (["What do MAs do in hospitals?"], "How fast is employment of medical assistants expected to grow?", JOB_GROWTH),
    (
        ["How long are medical assistant programs?"],
        "What is the difference between a medical assistant and a nurse?",
        (ROLES, "Medical Assistant vs. Nurse"),
    ),
]

# Answerable questions the bank's neighbour decision declines with the default model: their nearest
# bank questions are near misses ("ma hourly wage", "can MAs start IVs"). Strict: a fix makes them fail.
KNOWN_MISSES = {"Can a CMA give shots?"}


def cases(questions):
    """Parameters for `questions`, the known misses marked as expected failures."""
    miss = pytest.mark.xfail(strict=True, reason="declined by the bank decision (issue 9: near misses sit closer)")
    return [pytest.param(q, marks=miss) if q in KNOWN_MISSES else q for q in questions]


ANSWERABLE = [
    *SECTIONS,
    *FIGURES,
    *COMPARISONS,
    *NOT_MEDICAL_ADVICE,
    "What does a medical assistant do?",
    "is being an MA a good career?",
    "what makes a good medical assistant",
]

CONTRACT = {
    "question": str,
    "answer": str,
    "in_scope": bool,
    "reason": str,
    "citations": list,
    "passages": list,
    "quotes": list,
    "interpreted_as": str,
    "suggestions": list,
    "notice": str,
}


def assert_verbatim_and_cited(answer) -> None:
    """Every quote is a sentence of the passage it cites; the answer text carries the markers."""
    assert answer.in_scope and answer.reason == "answered", (answer.reason, answer.answer)
    assert answer.quotes and answer.citations
    assert [c.marker for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    cited = {c.marker: c.passage for c in answer.citations}
    for quote in answer.quotes:
        assert quote.text in cited[quote.marker].sentences, quote.text
        shown = f"- {quote.heading + ': ' if quote.heading else ''}{quote.text}" if quote.item else quote.text
        assert (f"{shown} [{quote.marker}]" if quote.cited else shown) in answer.answer
        if quote.item:
            assert f"\n{shown}" in f"\n{answer.answer}"  # a list item on a line of its own
    for marker in cited:
        assert f"[{marker}]" in answer.answer
    assert {q.marker for q in answer.quotes} == set(cited)


def assert_a_quote_matches(answer, pattern: str) -> None:
    assert_verbatim_and_cited(answer)
    assert any(re.search(pattern, q.text) for q in answer.quotes), (pattern, [q.text for q in answer.quotes])


def assert_declined_with_suggestions(answer, words: str) -> None:
    assert not answer.in_scope and answer.reason in ("not_in_guide", "other_topic"), answer.answer
    assert words in answer.answer, answer.answer
    assert 1 <= len(answer.suggestions) <= 2 and answer.quotes == ()


def assert_no_sources(answer) -> None:
    assert answer.in_scope is False
    assert (answer.citations, answer.quotes, answer.passages) == ((), (), ())


# Retrieval quality is a rate, not a promise for every wording: each table below must reach its bar,
# and the misses are listed in the failure message (measured on this table when the bars were set).
SECTION_BAR = 0.85
DECLINE_BAR = 0.75
FOLLOW_UP_BAR = 0.85


def expected_section(expected, answer) -> bool:
    expected = expected if isinstance(expected, set) else {expected}
    return bool(answer.citations) and answer.citations[0].passage.section in expected


@pytest.mark.parametrize("question", cases(SECTIONS))
def test_table_questions_are_answered_verbatim_with_citations(assistant, question):
    assert_verbatim_and_cited(assistant.ask(question))


def test_first_citation_is_the_expected_section_for_most_of_the_table(assistant):
    cited = lambda answer: answer.citations[0].heading if answer.citations else "(declined)"  # noqa: E731
    misses = {q: cited(assistant.ask(q)) for q, e in SECTIONS.items() if not expected_section(e, assistant.ask(q))}
    assert 1 - len(misses) / len(SECTIONS) >= SECTION_BAR, misses


@pytest.mark.parametrize("question", FIGURES)
def test_numeric_questions_quote_the_figure(assistant, question):
    assert_a_quote_matches(assistant.ask(question), FIGURES[question])


@pytest.mark.parametrize("question", ALL_FIGURES)
def test_amount_questions_quote_every_amount_of_the_answering_passage(assistant, question):
    answer = assistant.ask(question)
    assert_verbatim_and_cited(answer)
    holders = [q.text for q in answer.quotes if re.search(r"\$\d", q.text)]
    assert len(holders) >= ALL_FIGURES[question], [q.text for q in answer.quotes]
    assert len({q.marker for q in answer.quotes}) == 1, "the amounts come from one passage"


@pytest.mark.parametrize("question", COUNTED_LISTS)
def test_how_many_questions_answered_by_a_list_quote_its_items(assistant, question):
    answer = assistant.ask(question)
    assert_verbatim_and_cited(answer)
    for item in COUNTED_LISTS[question]:
        assert any(q.text.startswith(item) for q in answer.quotes), (item, [q.text for q in answer.quotes])


@pytest.mark.parametrize(
    "question",
    [
        pytest.param(
            q, marks=pytest.mark.xfail(strict=True, reason="issue 18: quotes the amounts since the bank's made-up-term lines")
        )
        if q == "what affects how much an MA gets paid"
        else q
        for q in REASONS
    ],
)
def test_questions_about_what_pay_depends_on_quote_the_reasons(assistant, question):
    answer = assistant.ask(question)
    assert_a_quote_matches(answer, REASONS[question])
    assert not all(re.search(r"\$\d", q.text) for q in answer.quotes), "amounts instead of reasons"


@pytest.mark.parametrize("question", COMPARISONS)
def test_comparisons_quote_both_sides(assistant, question):
    answer = assistant.ask(question)
    assert_verbatim_and_cited(answer)
    quotes = [q.text for q in answer.quotes]
    for side in COMPARISONS[question]:
        assert any(q.startswith(side) for q in quotes), (side, quotes)


def test_most_questions_the_guide_does_not_answer_are_declined(assistant):
    # declined, or shown as partly covered naming what the guide lacks
    answered = {q: a.answer for q in NOT_IN_GUIDE if (a := assistant.ask(q)).in_scope and not a.missing}
    assert 1 - len(answered) / len(NOT_IN_GUIDE) >= DECLINE_BAR, answered


@pytest.mark.parametrize("question", RANKINGS)
def test_asking_which_option_is_better_says_the_guide_ranks_nothing_then_quotes_the_options(assistant, question):
    answer = assistant.ask(question)
    assert answer.reason == "partial" and answer.caveat == "The guide describes these options but doesn't say which is better."
    assert answer.answer.startswith(answer.caveat) and answer.quotes and answer.citations


@pytest.mark.parametrize("question", NOT_RANKINGS)
def test_the_guides_own_judgements_and_differences_are_answered(assistant, question):
    assert_a_quote_matches(assistant.ask(question), NOT_RANKINGS[question])


@pytest.mark.parametrize("question", STATE_RULES)
def test_rules_of_a_state_the_guide_never_names_are_declined(assistant, question):
    assert_declined_with_suggestions(assistant.ask(question), f"doesn't cover the rules in {STATE_RULES[question]}")


@pytest.mark.parametrize("question", STATE_GENERAL)
def test_other_questions_naming_such_a_state_say_the_guide_does_not_mention_it_then_quote_the_general_text(assistant, question):
    answer = assistant.ask(question)
    assert answer.reason == "partial" and STATE_GENERAL[question] in answer.missing, answer.answer
    assert answer.answer.startswith(f"The guide doesn't mention “{STATE_GENERAL[question]}”")
    passages = {c.marker: c.passage for c in answer.citations}
    assert answer.quotes and all(q.text in passages[q.marker].sentences for q in answer.quotes)


def test_a_state_the_guide_never_names_is_never_answered_as_if_covered(assistant):
    answer = assistant.ask("how many questions are on the CMA exam in Ohio")
    assert answer.reason != "answered" and answer.notice == "", (answer.answer, answer.notice)
    assert not answer.in_scope or "Ohio" in answer.missing


def test_states_the_guide_names_get_no_notice(assistant):
    for question in ("wat do MAs make in cali", "Do medical assistants in Massachusetts earn more than average?"):
        answer = assistant.ask(question)
        assert answer.in_scope and "specific to" not in answer.notice, (question, answer.notice)


@pytest.mark.parametrize("question", NOT_IN_GUIDE)
def test_a_decline_says_so_and_suggests_sections(assistant, question):
    answer = assistant.ask(question)
    if answer.in_scope:
        pytest.skip("answered (counted against the decline bar above)")
    if question in OFF_TOPIC:  # nothing in the guide is near: no section is named
        assert (answer.reason, answer.suggestions) in (("not_in_guide", ()), ("other_topic", ()))
        return
    assert_declined_with_suggestions(answer, "guide doesn't cover")
    assert answer.citations == ()
    sections = assistant.sections()
    assert all(s in sections for s in answer.suggestions) and len(set(answer.suggestions)) == len(answer.suggestions)


@pytest.mark.parametrize("question", MEDICAL_ADVICE)
def test_medical_advice_is_refused(assistant, question):
    answer = assistant.ask(question)
    # a safety reply either way: the emergency one also refuses advice ("cannot give medical advice")
    assert answer.reason in ("medical_advice", "emergency")
    assert_no_sources(answer)
    assert "medical advice" in answer.answer


@pytest.mark.parametrize("question", EMERGENCIES)
def test_emergencies_are_told_to_call_911(assistant, question):
    answer = assistant.ask(question)
    assert answer.reason == "emergency"
    assert_no_sources(answer)
    assert "911" in answer.answer


@pytest.mark.parametrize(("question", "reason"), [(q, "greeting") for q in GREETINGS] + [(q, "thanks") for q in THANKS])
def test_greetings_and_thanks_get_example_questions(assistant, question, reason):
    answer = assistant.ask(question)
    assert answer.reason == reason
    assert_no_sources(answer)
    examples = re.findall(r"“([^”]+\?)”", answer.answer)
    assert examples, answer.answer
    # the examples are questions the assistant answers
    assert all(assistant.ask(example).in_scope for example in examples), examples


@pytest.mark.parametrize("question", cases(NOT_MEDICAL_ADVICE))
def test_career_questions_about_medicines_are_answered_from_the_guide(assistant, question):
    answer = assistant.ask(question)
    assert answer.reason == "answered", answer.answer
    assert_a_quote_matches(answer, NOT_MEDICAL_ADVICE[question])


@pytest.mark.parametrize(("history", "question", "section"), FOLLOW_UPS, ids=[f[1] for f in FOLLOW_UPS])
def test_follow_ups_are_read_with_the_earlier_question(assistant, history, question, section):
    answer = assistant.ask(question, history)
    assert answer.interpreted_as.startswith(history[-1])
    assert answer.interpreted_as.endswith(question)
    assert_verbatim_and_cited(answer)


def test_follow_ups_cite_the_expected_section_for_most_pairs(assistant):
    misses = {
        q: assistant.ask(q, h).citations[0].heading
        for h, q, s in FOLLOW_UPS
        if assistant.ask(q, h).citations[0].passage.section != s
    }
    assert 1 - len(misses) / len(FOLLOW_UPS) >= FOLLOW_UP_BAR, misses


@pytest.mark.parametrize(
    ("history", "question", "section"), STANDALONE_AFTER_HISTORY, ids=[s[1] for s in STANDALONE_AFTER_HISTORY]
)
def test_a_full_question_after_history_stands_alone(assistant, history, question, section):
    answer = assistant.ask(question, history)
    assert answer.interpreted_as == question
    assert_verbatim_and_cited(answer)
    assert answer.citations[0].passage.section == section
    assert answer.to_dict() == assistant.ask(question).to_dict()  # history made no difference


@pytest.mark.parametrize("question", cases(ANSWERABLE))
def test_answerable_questions_are_not_declined(assistant, question):
    answer = assistant.ask(question)
    assert (answer.in_scope, answer.reason) == (True, "answered"), answer.answer


@pytest.mark.parametrize("question", ["How much do MAs earn?", "how much does the CMA exam cost", "I can't breathe", "hi"])
def test_json_contract(assistant, question):
    answer = assistant.ask(question)
    data = json.loads(json.dumps(answer.to_dict()))
    assert set(CONTRACT) <= set(data)
    assert all(isinstance(data[key], kind) for key, kind in CONTRACT.items()), data
    assert data["question"] == question and data["answer"] == answer.answer
    assert data["in_scope"] == (data["reason"] == "answered") == bool(data["citations"]) == bool(data["quotes"])
    markers = {c["marker"] for c in data["citations"]}
    assert all(q["marker"] in markers and q["text"] in data["answer"] for q in data["quotes"])
    assert all(set(c) >= {"marker", "section", "heading", "source", "passage_id"} for c in data["citations"])
    assert all(set(p) >= {"section", "text", "score", "passage_id", "highlights"} for p in data["passages"])
    assert all(isinstance(s, list) and all(isinstance(part, str) for part in s) for s in data["suggestions"])


# --- how an answer reads (issue 10): lists as lists, the headline figure first, no rhetoric ---

LIST_QUESTIONS = {
    "What are the duties of a medical assistant?": (CORE, "Clinical Responsibilities"),
    "what admin tasks does an MA handle": (CORE, "Administrative Duties"),
    "which certifications can I get": CERTIFICATION,
}


@pytest.mark.parametrize("question", LIST_QUESTIONS)
def test_a_list_question_gets_the_whole_list_with_its_lead_in(assistant, question):
    from chatbot.guide.chunking import bullet_runs

    answer = assistant.ask(question)
    assert_verbatim_and_cited(answer)
    passage = next(c.passage for c in answer.citations if c.passage.section == LIST_QUESTIONS[question])
    lead_in, items = next(run for run in bullet_runs(passage) if run[0])
    quoted = [q.text for q in answer.quotes if q.marker == answer.citations[0].marker]
    assert [q for q in quoted if q in items] == items  # every item, in the guide's order
    assert quoted[: quoted.index(items[0])][-1] == lead_in.rsplit(". ", 1)[-1]  # introduced by its lead-in
    assert all(q.item for q in answer.quotes if q.text in items)


@pytest.mark.parametrize(
    "question", ["How much do medical assistants earn?", "what's an MA's salary", "how much do MAs make a year"]
)
def test_an_amount_question_leads_with_the_median_then_the_range(assistant, question):
    answer = assistant.ask(question)
    assert_verbatim_and_cited(answer)
    texts = [q.text for q in answer.quotes]
    assert "median" in texts[0]
    assert any("$30,000" in t for t in texts[1:]) and any("$45,000" in t for t in texts[1:])


def test_no_answer_quotes_a_rhetorical_question_or_a_sentence_about_the_article(assistant):
    """Over every answered question of the bank (many wordings of every part of the guide)."""
    from chatbot.answering.question_kinds import quotable

    bank = assistant.index.bank.questions
    quoted = {q.text for item in bank if item.answered for q in assistant.ask(item.question).quotes}
    assert quoted  # the bank's questions are answered
    assert not [t for t in quoted if t.endswith("?") or not quotable(t) and not t.endswith(":")]
    assert not [t for t in quoted if "blog" in t.lower()]
