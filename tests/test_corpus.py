"""Reading the guide: Markdown and plain-text headings, advert lines, unreadable and empty corpora."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chatbot.errors import CorpusError
from chatbot.guide.corpus import INTRODUCTION, detect_headings, is_link_line, load_corpus, parse_document

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "corpus" / "medical-assistant-guide.md"
GUIDE_TEXT = ROOT / "tests" / "fixtures" / "medical-assistant-guide.txt"


def outline(text: str, source: str = "guide.md") -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    return [(s.path, s.lines) for s in parse_document(text, source=source).sections]


# --- Markdown -------------------------------------------------------------------------------

MARKDOWN_CASES = [
    pytest.param(
        "# Guide\n\n## One\ntext one\n## Two\ntext two\n",
        "Guide",
        [(("One",), ("text one",)), (("Two",), ("text two",))],
        id="lone-leading-hash-is-the-title",
    ),
    pytest.param(
        "# Guide\nintro\n# One\ntext\n## Sub\nmore\n",
        "My file name",
        [(("Guide",), ("intro",)), (("One",), ("text",)), (("One", "Sub"), ("more",))],
        id="two-top-headings-are-sections",
    ),
    pytest.param(
        "opening words\n\n# A\ntext\n",
        "My file name",
        [((INTRODUCTION,), ("opening words",)), (("A",), ("text",))],
        id="text-before-first-heading-is-introduction",
    ),
    pytest.param(
        "## B ##\ntext\n### C\nmore\n## D\nd\n",
        "My file name",
        [(("B",), ("text",)), (("B", "C"), ("more",)), (("D",), ("d",))],
        id="shallowest-level-is-section-closing-hashes-dropped",
    ),
    pytest.param(
        "# A\r\n\r\n  first line  \r\n\r\nsecond line\r\n## B\r\nb\x00ody\r\n",
        "A",
        [((INTRODUCTION,), ("first line", "second line")), (("B",), ("body",))],
        id="crlf-blank-lines-padding-and-nul-bytes",
    ),
    pytest.param(
        "# A\nintro text\n## B\nbody\n",
        "A",
        [((INTRODUCTION,), ("intro text",)), (("B",), ("body",))],
        id="title-then-text-before-first-section",
    ),
    pytest.param(
        "#hashtag is not a heading\n# A\ntext\n",
        "My file name",
        [((INTRODUCTION,), ("#hashtag is not a heading",)), (("A",), ("text",))],
        id="hash-without-space-is-text",
    ),
]


@pytest.mark.parametrize("text, title, sections", MARKDOWN_CASES)
def test_markdown_sections(text, title, sections):
    document = parse_document(text, source="my_file-name.md")
    assert document.title == title
    assert document.source == "my_file-name.md"
    assert [(s.path, s.lines) for s in document.sections] == sections


def test_txt_file_with_hash_headings_is_read_as_markdown():
    assert outline("## Pay\nIt varies.\n## Hours\nLong.\n", source="notes.txt") == [
        (("Pay",), ("It varies.",)),
        (("Hours",), ("Long.",)),
    ]


LINK_CASES = [
    ("Suggested Read: The Essential Skills Needed for Health Department Jobs", False),
    ("Suggested Read: How to become a Physician Assistant?", False),
    ("Recommended Reading: Another Article", False),
    ("Read more: Something", False),
    ("suggested reading: lower case too", True),  # not a title
    ("We suggested read: this line is prose and stays.", True),
    ("Medical assistants read charts: this stays.", True),
    ("Note: Pay Varies By State.", True),  # a sentence, with its full stop
]


@pytest.mark.parametrize("line, kept", LINK_CASES)
def test_a_line_pointing_to_another_article_is_dropped(line, kept):
    lines = outline(f"# A\nfirst.\n{line}\n# B\nlast.\n")[0][1]
    assert lines == (("first.", line) if kept else ("first.",))


def test_a_title_shaped_line_with_text_after_it_in_its_section_stays():
    lines = outline("# A\nfirst.\nStarting Point: High School Diploma\nMost start here.\n# B\nlast.\n")[0][1]
    assert lines == ("first.", "Starting Point: High School Diploma", "Most start here.")


def test_adverts_are_dropped_from_the_real_guide():
    for text in (GUIDE.read_text(encoding="utf-8"), GUIDE_TEXT.read_text(encoding="utf-8")):
        document = parse_document(text, source="guide.md")
        assert not [line for s in document.sections for line in s.lines if "Suggested Read" in line]


# --- Plain text -----------------------------------------------------------------------------

HEADING_CASES = [
    ("Salary Range", True),
    ("Career Outlook and Salary in the U.S.", True),
    ("Why Medical Assistants Are Important in Healthcare?", True),
    ("Medical Assistant vs. CNA (Certified Nursing Assistant)", True),
    ("Starting Point: High School Diploma", True),
    ("On-the-Job Training", True),
    ("Medical assistants need more than classroom training to succeed.", False),
    ("Their everyday clinical duties include:", False),
    ("These often include:", False),
    ("- Scheduling Patient Visits", False),
    ("1. Choose The Program", False),
    ("lower case start", False),
    ("Mostly lower case words here", False),
    ("Great Job!", False),
    ("One Two Three Four Five Six Seven Eight Nine Ten Eleven Twelve Thirteen", False),
]


@pytest.mark.parametrize("line, is_heading", HEADING_CASES)
def test_plain_text_heading_detection(line, is_heading):
    lines = ["Some opening prose.", line, "Some body text follows."]
    assert (1 in detect_headings(lines)) is is_heading


def test_last_line_is_never_a_heading():
    assert detect_headings(["Some opening prose.", "Salary Range"]) == {}
    assert detect_headings(["Some opening prose.", "Salary Range", "", ""]) == {}


DOG_GUIDE = """Dog walkers help owners every day. A dog walker plans routes and a dog walker keeps dogs safe.
Daily Work of a Dog Walker
A dog walker meets dogs at home. Every dog walker carries water.
Morning Routes
Walks start early.
Evening Routes
Walks end late.
Pay for a Dog Walker
Pay varies by city.
Hourly Rates
Rates range from $15 to $25.
Dog Walker vs. Other Pet Jobs
Several jobs look alike.
Dog Walker vs. Pet Sitter
A sitter stays overnight.
Conclusion
Dog walking is rewarding.
"""


def test_plain_text_levels_follow_the_topic_phrase():
    assert [s.path for s in parse_document(DOG_GUIDE, source="dogs.txt").sections] == [
        (INTRODUCTION,),
        ("Daily Work of a Dog Walker",),
        ("Daily Work of a Dog Walker", "Morning Routes"),
        ("Daily Work of a Dog Walker", "Evening Routes"),
        ("Pay for a Dog Walker",),
        ("Pay for a Dog Walker", "Hourly Rates"),
        ("Dog Walker vs. Other Pet Jobs",),
        ("Dog Walker vs. Other Pet Jobs", "Dog Walker vs. Pet Sitter"),
        ("Conclusion",),
    ]


def test_plain_text_without_a_topic_has_flat_sections():
    text = "Opening line here.\nFirst Part\nSome words.\nSecond Part\nOther words.\n"
    assert outline(text, source="flat.txt") == [
        ((INTRODUCTION,), ("Opening line here.",)),
        (("First Part",), ("Some words.",)),
        (("Second Part",), ("Other words.",)),
    ]


def markdown_outline(path: Path) -> list[tuple[int, str]]:
    """Headings of a Markdown file read by a plain regex, independent of the parser."""
    found = [re.match(r"^(#+)\s+(.*?)\s*$", line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [(len(m.group(1)), m.group(2)) for m in found if m]


def test_plain_text_guide_headings_equal_the_markdown_guide():
    text = GUIDE_TEXT.read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for i, line in enumerate(lines) if not is_link_line(lines, i)]
    detected = [detect_headings(lines)[i] for i in sorted(detect_headings(lines))]
    assert detected == markdown_outline(GUIDE)
    assert len(detected) == 43


def test_plain_text_guide_sections_equal_the_markdown_guide():
    markdown = parse_document(GUIDE.read_text(encoding="utf-8"), source="medical-assistant-guide.md")
    plain = parse_document(GUIDE_TEXT.read_text(encoding="utf-8"), source="medical-assistant-guide.txt")
    expected_paths: list[tuple[str, ...]] = [(INTRODUCTION,)]
    for level, name in markdown_outline(GUIDE):
        expected_paths.append((name,) if level == 1 else (expected_paths[-1][0], name))
    assert [s.path for s in markdown.sections] == expected_paths
    assert [s.path for s in plain.sections] == expected_paths
    assert [s.lines for s in plain.sections] == [s.lines for s in markdown.sections]
    assert plain.title == markdown.title == "Medical assistant guide"


# --- Files and folders ----------------------------------------------------------------------


def test_load_corpus_reads_md_and_txt_sorted_and_skips_hidden_and_other_files(tmp_path):
    (tmp_path / "b.txt").write_text("Opening line.\nFirst Part\nBody b.\n", encoding="utf-8")
    (tmp_path / "a.md").write_text("\ufeff# Alpha\n\n## One\nBody a.\n", encoding="utf-8")
    (tmp_path / ".draft.md").write_text("# Draft\nnot ready\n", encoding="utf-8")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4 \xff\xfe")
    documents = load_corpus(tmp_path)
    assert [(d.source, d.title) for d in documents] == [("a.md", "Alpha"), ("b.txt", "B")]
    assert [s.path for s in documents[0].sections] == [("One",)]


def test_non_utf8_file_is_a_corpus_error_naming_the_file(tmp_path):
    (tmp_path / "good.md").write_text("# A\ntext\n", encoding="utf-8")
    (tmp_path / "latin.md").write_bytes("# Café\nPrix : 12 €\n".encode("latin-1", errors="replace"))
    with pytest.raises(CorpusError, match=r"latin\.md.*UTF-8"):
        load_corpus(tmp_path)


@pytest.mark.parametrize(
    "make, message",
    [
        pytest.param(lambda d: None, r"holds no \.md or \.txt file", id="empty-folder"),
        pytest.param(lambda d: (d / "guide.pdf").write_bytes(b"%PDF"), r"holds no \.md or \.txt file", id="only-other-files"),
        pytest.param(lambda d: (d / "guide.md").write_text("", encoding="utf-8"), "only empty files", id="empty-file"),
        pytest.param(lambda d: (d / "guide.md").write_text("\n  \n\t\n", encoding="utf-8"), "only empty files", id="blank-file"),
        pytest.param(
            lambda d: (d / "guide.md").write_text("# Title Only\n", encoding="utf-8"), "only empty files", id="headings-only"
        ),
    ],
)
def test_empty_corpus_is_a_corpus_error(tmp_path, make, message):
    make(tmp_path)
    with pytest.raises(CorpusError, match=message):
        load_corpus(tmp_path)


def test_missing_corpus_folder_is_a_corpus_error(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "nowhere")


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda p: p.mkdir(), id="directory-named-like-a-file"),
        pytest.param(lambda p: p.symlink_to(p.parent / "missing-target.md"), id="dangling-symlink"),
    ],
)
def test_unreadable_corpus_file_is_a_corpus_error_naming_it(tmp_path, make):
    (tmp_path / "a.md").write_text("# A\ntext\n", encoding="utf-8")
    make(tmp_path / "broken.md")
    with pytest.raises(CorpusError, match=r"broken\.md.*cannot be read"):
        load_corpus(tmp_path)
