"""The maintainer's report on the feedback file: per ISO week, questions asked, the share declined
and the thumbs-down rate, and the top unanswered topics (declined questions grouped by the bank
question nearest to them in the current index)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from ..errors import IndexError_
from ..guide.reasons import Reason
from ..settings import Settings
from .store import LoggedQuestion, Summary, format_summary, read_log, summarize

if TYPE_CHECKING:
    from ..index.neighbours import Neighbour
    from .triage import Location

TOPICS_PER_WEEK = 3
EXAMPLES = 3


@dataclass(frozen=True)
class Week:
    """One ISO week's figures; a question counts in the week it was asked, with its vote."""

    week: str  # "2026-W03"
    monday: date
    asked: int = 0
    declined: int = 0
    votes: int = 0
    thumbs_down: int = 0
    top_topics: tuple[tuple[str, int], ...] = ()  # (topic, declined questions of the week), most first

    @property
    def declined_share(self) -> float | None:
        return self.declined / self.asked if self.asked else None

    @property
    def thumbs_down_rate(self) -> float | None:
        """Thumbs down over all votes (None without votes)."""
        return self.thumbs_down / self.votes if self.votes else None

    def to_dict(self) -> dict:
        return {
            "week": self.week,
            "monday": self.monday.isoformat(),
            "asked": self.asked,
            "declined": self.declined,
            "declined_share": _round(self.declined_share),
            "votes": self.votes,
            "thumbs_down": self.thumbs_down,
            "thumbs_down_rate": _round(self.thumbs_down_rate),
            "top_topics": [{"topic": topic, "declined": count} for topic, count in self.top_topics],
        }


@dataclass(frozen=True)
class Topic:
    """Declined questions that share their nearest bank question (or one question, when no bank
    question is near it)."""

    label: str  # the bank question, or the asked question itself
    bank_answered: bool | None  # the bank's label of that question; None when no bank question is near
    section: tuple[str, ...]  # the bank question's part of the guide
    similarity: float  # cosine of the nearest wording to the bank question (0 without one)
    declined: int  # declined questions in the group
    questions: tuple[str, ...]  # the most asked wordings
    comments: tuple[str, ...]  # "what was wrong?" left on thumbs-down votes of these questions

    def to_dict(self) -> dict:
        return {
            "topic": self.label,
            "bank_answered": self.bank_answered,
            "section": list(self.section),
            "similarity": round(self.similarity, 4),
            "declined": self.declined,
            "questions": list(self.questions),
            "comments": list(self.comments),
        }


@dataclass(frozen=True)
class Report:
    """The summary, the weeks and the topics (None when there is no index to group them with)."""

    summary: Summary
    weeks: tuple[Week, ...]
    topics: tuple[Topic, ...] | None
    note: str = ""  # why topics are missing, or that the index is older than the corpus

    def to_dict(self) -> dict:
        return {
            **self.summary.to_dict(),
            "weeks": [w.to_dict() for w in self.weeks],
            "topics": None if self.topics is None else [t.to_dict() for t in self.topics],
            "note": self.note,
        }


def build_report(settings: Settings, *, limit: int = 10, weeks: int = 12) -> Report:
    """The report on `settings.feedback_db`; topics come from the index in `settings.index_dir`
    (when there is none, the report says so and shows the rest)."""
    summary = summarize(settings.feedback_db, limit=limit)
    rows = read_log(settings.feedback_db)
    if not any(row.declined for row in rows):
        return Report(summary, tuple(weekly(rows, weeks=weeks)), (), "")
    from .triage import current_assistant, locate

    try:
        assistant, note = current_assistant(settings)
    except IndexError_ as exc:
        return Report(summary, tuple(weekly(rows, weeks=weeks)), None, f"grouping needs the index: {exc}")
    topics, topic_of = group_topics(rows, lambda question: locate(assistant, question), limit=limit)
    return Report(summary, tuple(weekly(rows, topic_of=topic_of, weeks=weeks)), tuple(topics), note)


def question_key(row: LoggedQuestion) -> str:
    """The question as the assistant read it (follow-ups with their context), case and spaces folded."""
    return " ".join((row.interpreted_as or row.question).split()).casefold()


def group_topics(
    rows: Sequence[LoggedQuestion], locate: Callable[[str], Location], *, limit: int = 10
) -> tuple[list[Topic], dict[str, str]]:
    """The `limit` largest groups of declined questions, and every declined question's topic label
    (by `question_key`). `locate` is asked once per distinct question."""
    declined = [row for row in rows if row.declined]
    counts = Counter(question_key(row) for row in declined)
    wording: dict[str, str] = {}  # each question as first asked
    for row in declined:
        wording.setdefault(question_key(row), " ".join((row.interpreted_as or row.question).split()))
    comments: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if row.disliked and row.comment:
            comments[question_key(row)].append(row.comment)
    members: dict[str, list[str]] = defaultdict(list)
    nearest: dict[str, Neighbour | None] = {}
    similarity: dict[str, float] = defaultdict(float)
    for key, _ in counts.most_common():
        near = locate(wording[key]).near  # none near: a topic of its own, not an unrelated bank question's
        label = near.question if near else wording[key]
        members[label].append(key)
        nearest.setdefault(label, near)
        similarity[label] = max(similarity[label], near.score if near else 0.0)
    topics = [
        Topic(
            label=label,
            bank_answered=None if nearest[label] is None else nearest[label].reason is Reason.ANSWERED,
            section=nearest[label].section if nearest[label] else (),
            similarity=similarity[label],
            declined=sum(counts[k] for k in keys),
            questions=tuple(wording[k] for k in keys[:EXAMPLES]),
            comments=tuple(dict.fromkeys(c for k in keys for c in comments[k]))[:EXAMPLES],
        )
        for label, keys in members.items()
    ]
    topics.sort(key=lambda t: -t.declined)  # stable: equally large groups keep the order of their most asked question
    return topics[:limit], {key: label for label, keys in members.items() for key in keys}


def weekly(rows: Iterable[LoggedQuestion], *, topic_of: dict[str, str] | None = None, weeks: int = 12) -> list[Week]:
    """The last `weeks` ISO weeks up to the latest question, oldest first; weeks without questions
    between the first and the last are shown with zeros."""
    rows = list(rows)
    if not rows:
        return []
    topic_of = topic_of or {}
    by_week: dict[date, list[LoggedQuestion]] = defaultdict(list)
    for row in rows:
        by_week[_monday(row.asked_at.date())].append(row)
    last = max(by_week)
    first = max(min(by_week), last - timedelta(weeks=weeks - 1))
    out = []
    monday = first
    while monday <= last:
        week = by_week.get(monday, [])
        topics = Counter(topic_of[question_key(r)] for r in week if r.declined and question_key(r) in topic_of)
        year, number, _ = monday.isocalendar()
        out.append(
            Week(
                week=f"{year}-W{number:02d}",
                monday=monday,
                asked=len(week),
                declined=sum(r.declined for r in week),
                votes=sum(r.liked is not None for r in week),
                thumbs_down=sum(r.disliked for r in week),
                top_topics=tuple(topics.most_common(TOPICS_PER_WEEK)),
            )
        )
        monday += timedelta(weeks=1)
    return out


def format_report(report: Report) -> str:
    """The report as a maintainer reads it in a terminal: weeks, topics, then the summary."""
    if not report.summary.questions:
        return format_summary(report.summary)
    lines = ["Per ISO week (a question counts in the week it was asked):"]
    lines.append(f"  {'week':<9} {'asked':>6} {'declined':>13} {'thumbs down':>16}  top unanswered topics")
    for week in report.weeks:
        down = f"{week.thumbs_down} of {week.votes} ({_percent(week.thumbs_down_rate)})" if week.votes else "no votes"
        declined = f"{week.declined} ({_percent(week.declined_share)})" if week.asked else "-"
        topics = "; ".join(f"{_short(t, 40)} ({n})" for t, n in week.top_topics) or "-"
        lines.append(f"  {week.week:<9} {week.asked:>6} {declined:>13} {down:>16}  {topics}")
    lines += ["", "Top unanswered topics (declined questions grouped by their nearest bank question):"]
    if report.topics is None:
        lines.append(f"  (not available: {report.note})")
    else:
        if report.note:
            lines.append(f"  (note: {report.note})")
        for topic in report.topics:
            lines.append(f"  {topic.declined:>4}  {topic_label(topic)}")
            lines.append(f"        asked as: {'; '.join(_short(q, 60) for q in topic.questions)}")
            for comment in topic.comments:
                lines.append(f"        wrong:    {_short(comment, 100)}")
        if not report.topics:
            lines.append("  (none)")
    return "\n".join(lines + ["", format_summary(report.summary)])


def topic_label(topic: Topic) -> str:
    """How a topic is named: its bank question with the bank's label, or the lone question."""
    if topic.bank_answered is None:
        return f"{topic.label} (no bank question near it)"
    where = " › ".join(topic.section) or "general"
    label = "answered" if topic.bank_answered else "not answered"
    return f"{topic.label} (bank: {label}, {where})"


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
