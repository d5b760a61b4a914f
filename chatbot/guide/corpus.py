"""Read the guide: Markdown or plain-text files become documents of headed sections."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..errors import CorpusError
from .text import raw_words, title_case

INTRODUCTION = "Introduction"
SUFFIXES = (".md", ".markdown", ".txt")

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[-*•–]|\d+[.)])\s+")
_ABBREVIATION_END = re.compile(r"\b(?:[A-Z]\.){2,}$")
_SMALL_WORDS = frozenset("a an and as at but by for from in into nor of on or per the to vs vs. via with".split())
_LONG_HEADING_WORDS = 6
_CLOSING_HEADINGS = frozenset("conclusion conclusions summary final thoughts takeaways key takeaways wrap-up faq faqs".split())


@dataclass(frozen=True)
class Section:
    """Consecutive lines of text under one heading path (section, optional sub-section)."""

    path: tuple[str, ...]
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Document:
    """One corpus file: its title, its file name and its sections in reading order."""

    title: str
    source: str
    sections: tuple[Section, ...]


def load_corpus(corpus_dir: str | Path) -> list[Document]:
    """Parse every Markdown and text file in `corpus_dir`, sorted by file name."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist; create it and add the guide")
    files = corpus_files(corpus_dir)
    if not files:
        raise CorpusError(f"corpus folder {corpus_dir} holds no .md or .txt file; add the guide")
    documents = [parse_document(read_text(path), source=path.name) for path in files]
    if not any(section.lines for doc in documents for section in doc.sections):
        raise CorpusError(f"corpus folder {corpus_dir} holds only empty files; add the guide's text")
    return documents


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The files the loader reads, sorted, hidden files skipped.

    Chosen by name alone, so a dangling link or a folder named like a guide file is reported
    as unreadable rather than silently left out of the index.
    """
    return sorted(path for path in corpus_dir.iterdir() if path.suffix.lower() in SUFFIXES and not path.name.startswith("."))


def read_text(path: Path) -> str:
    """Read a UTF-8 file, turning OS and decoding errors into one clear CorpusError."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"corpus file {path} is not UTF-8 text (byte {exc.start}); re-save it as UTF-8") from None
    except OSError as exc:
        raise CorpusError(f"corpus file {path} cannot be read: {exc.strerror}; fix or remove it") from None


def parse_document(text: str, *, source: str) -> Document:
    """Split a file's text into sections; Markdown headings if present, else detected ones."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [line.replace("\x00", "") for line in lines]
    lines = [line for i, line in enumerate(lines) if not is_link_line(lines, i)]
    title = _title_from_source(source)
    if is_markdown(source, lines):
        headings, title = _markdown_headings(lines, title)
    else:
        headings = detect_headings(lines)
    return Document(title=title, source=source, sections=tuple(_sections(lines, headings)))


def is_link_line(lines: list[str], i: int) -> bool:
    """Whether line `i` points to another article instead of saying something ("Suggested Read: How to
    Become a Physician Assistant?"): a label of one to three words and a colon, then a title, and
    nothing more of its section after it (a heading follows, or the end). A heading of the same shape
    ("Starting Point: High School Diploma") has its text under it."""
    line = lines[i]
    label, colon, title = line.partition(":")
    if not colon or not 1 <= len(label.split()) <= 3 or line.endswith(".") or _MD_HEADING.match(line) or _BULLET.match(line):
        return False
    if not title_case(raw_words(title)):
        return False
    after = next((j for j in range(i + 1, len(lines)) if lines[j]), None)
    return after is None or bool(_MD_HEADING.match(lines[after])) or _looks_like_heading(lines, after)


def is_markdown(source: str, lines: list[str]) -> bool:
    """A file is read as Markdown when it is named so or uses `#` headings."""
    return source.lower().endswith((".md", ".markdown")) or any(_MD_HEADING.match(line) for line in lines)


def _markdown_headings(lines: list[str], title: str) -> tuple[dict[int, tuple[int, str]], str]:
    found = {i: (len(m.group(1)), m.group(2)) for i, line in enumerate(lines) if (m := _MD_HEADING.match(line))}
    levels = [level for level, _ in found.values()]
    # A lone top-level heading opening the file is the document's title, not a section.
    if levels and levels.count(min(levels)) == 1 and found.get(_first_text_line(lines), (0,))[0] == min(levels):
        first = _first_text_line(lines)
        title = found.pop(first)[1]
        lines[first] = ""
    top = min((level for level, _ in found.values()), default=1)
    return {i: (1 if level == top else 2, name) for i, (level, name) in found.items()}, title


def _first_text_line(lines: list[str]) -> int:
    return next((i for i, line in enumerate(lines) if line), -1)


def detect_headings(lines: list[str]) -> dict[int, tuple[int, str]]:
    """Find headings in plain text: short title-case lines that end without a full stop.

    Levels: a heading is a section when it names the document's main topic (its most
    frequent two-word phrase), is long (six words or more, where sub-section headings tend to
    be two or three) or is a closing heading such as "Conclusion"; such a heading that
    repeats the opening words of the section it follows ("X vs. Nurse"
    after "X vs. Other Roles") is one of its sub-sections. Every other heading is a sub-section.
    When no heading names the topic, all headings are sections.
    """
    candidates = [i for i, line in enumerate(lines) if _looks_like_heading(lines, i)]
    topic = topic_phrase([line for i, line in enumerate(lines) if i not in candidates])
    named = {i for i in candidates if topic and topic in " ".join(_words(lines[i], stem=True))}
    if not named:
        return {i: (1, lines[i]) for i in candidates}
    headings: dict[int, tuple[int, str]] = {}
    parent: list[str] = []
    for i in candidates:
        words = _words(lines[i])
        broad = i in named or len(words) >= _LONG_HEADING_WORDS
        is_section = (broad and words[:3] != parent[:3]) or " ".join(words) in _CLOSING_HEADINGS
        if is_section:
            parent = words
        headings[i] = (1 if is_section or not parent else 2, lines[i])
    return headings


def _looks_like_heading(lines: list[str], i: int) -> bool:
    line = lines[i]
    if not line or len(line) > 90 or _BULLET.match(line):
        return False
    if line[-1] in ".:;,!" and not _ABBREVIATION_END.search(line):
        return False
    words = line.split()
    if len(words) > 12 or not line[0].isupper():
        return False
    following = next((line for line in lines[i + 1 :] if line), "")
    if not following:
        return False
    capitalised = [w for w in words if w.lower() not in _SMALL_WORDS and w[0].isalpha()]
    return all(w[0].isupper() for w in capitalised)


def _words(text: str, *, stem: bool = False) -> list[str]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return [w.rstrip("s") if stem and len(w) > 3 else w for w in words]


def topic_phrase(lines: list[str]) -> str:
    """The most frequent two-word phrase of content words, e.g. 'medical assistant'."""
    counts: Counter[str] = Counter()
    for line in lines:
        words = [w for w in _words(line, stem=True) if w not in _SMALL_WORDS and len(w) > 2]
        counts.update(f"{a} {b}" for a, b in zip(words, words[1:]))
    phrase = counts.most_common(1)
    return phrase[0][0] if phrase and phrase[0][1] >= 3 else ""


def _sections(lines: list[str], headings: dict[int, tuple[int, str]]):
    path: tuple[str, ...] = (INTRODUCTION,)
    body: list[str] = []
    for i, line in enumerate(lines):
        if i in headings:
            if body:
                yield Section(path=path, lines=tuple(body))
            level, name = headings[i]
            path = (name,) if level == 1 or path == (INTRODUCTION,) else (path[0], name)
            body = []
        elif line:
            body.append(line)
    if body:
        yield Section(path=path, lines=tuple(body))


def _title_from_source(source: str) -> str:
    stem = Path(source).stem.replace("_", " ").replace("-", " ").strip()
    return stem[:1].upper() + stem[1:] if stem else source
