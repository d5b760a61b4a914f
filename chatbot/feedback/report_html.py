"""The weekly report as one self-contained HTML page: the figures as tables, two small charts drawn
by matplotlib (Agg) and embedded as base64 PNG, every text escaped, nothing fetched from elsewhere."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from ..errors import ChatbotError
from .report import Report, Week, topic_label

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; color: #1b1b1b; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid #ddd; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: #555; } .wrong { color: #8a1c1c; }
figure { display: inline-block; margin: .5rem 1rem .5rem 0; } img { max-width: 100%; height: auto; }
"""


def write_html(report: Report, path: str | Path) -> Path:
    """Write the page to `path` (through a temporary file beside it); the path written."""
    path = Path(path)
    page = render_html(report)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(page, encoding="utf-8")
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ChatbotError(f"cannot write {path} ({exc.strerror or exc}); pass another --html FILE") from None
    return path


def render_html(report: Report) -> str:
    """The page as one string."""
    summary = report.summary
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Feedback report: {_e(summary.path.name)}</title><style>{STYLE}</style></head><body>",
        "<h1>What readers asked</h1>",
        f'<p class="muted">{_e(str(summary.path))}, written {_e(datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))}. '
        f"{summary.questions} questions ({summary.answered} answered, {summary.declined} declined); "
        f"{summary.likes} thumbs up, {summary.dislikes} thumbs down.</p>",
    ]
    if not summary.questions:
        parts.append("<p>No questions recorded yet.</p>")
    else:
        parts += _weeks(report.weeks)
        parts += _topics(report)
        parts += _declined(report)
        parts += _disliked(report)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _weeks(weeks: tuple[Week, ...]) -> list[str]:
    out = ["<h2>Per ISO week</h2>"]
    out += [_figure(png, alt) for png, alt in charts(weeks)]
    out.append(
        '<table><thead><tr><th>week</th><th class="n">asked</th><th class="n">declined</th>'
        '<th class="n">thumbs down / votes</th><th>top unanswered topics</th></tr></thead><tbody>'
    )
    for week in weeks:
        declined = f"{week.declined} ({_percent(week.declined_share)})" if week.asked else "–"
        down = f"{week.thumbs_down} / {week.votes} ({_percent(week.thumbs_down_rate)})" if week.votes else "no votes"
        topics = "<br>".join(f"{_e(topic)} ({count})" for topic, count in week.top_topics) or "–"
        out.append(
            f"<tr><td>{_e(week.week)}</td><td class='n'>{week.asked}</td><td class='n'>{_e(declined)}</td>"
            f"<td class='n'>{_e(down)}</td><td>{topics}</td></tr>"
        )
    out.append("</tbody></table>")
    return out


def _topics(report: Report) -> list[str]:
    out = ["<h2>Top unanswered topics</h2>", '<p class="muted">Declined questions grouped by their nearest bank question.</p>']
    if report.topics is None:
        return out + [f"<p>Not available: {_e(report.note)}</p>"]
    if report.note:
        out.append(f'<p class="muted">Note: {_e(report.note)}</p>')
    if not report.topics:
        return out + ["<p>None.</p>"]
    out.append('<table><thead><tr><th class="n">declined</th><th>topic</th><th>asked as</th></tr></thead><tbody>')
    for topic in report.topics:
        asked = "<br>".join(_e(q) for q in topic.questions)
        wrong = "".join(f'<br><span class="wrong">wrong: {_e(c)}</span>' for c in topic.comments)
        out.append(f"<tr><td class='n'>{topic.declined}</td><td>{_e(topic_label(topic))}</td><td>{asked}{wrong}</td></tr>")
    out.append("</tbody></table>")
    return out


def _declined(report: Report) -> list[str]:
    rows = report.summary.top_declined
    out = ["<h2>Most-asked declined questions</h2>"]
    if not rows:
        return out + ["<p>None.</p>"]
    out.append('<table><thead><tr><th class="n">asked</th><th>reason</th><th>question</th></tr></thead><tbody>')
    out += [
        f"<tr><td class='n'>{row['count']}</td><td>{_e(row['reason'])}</td><td>{_e(row['question'])}</td></tr>" for row in rows
    ]
    out.append("</tbody></table>")
    return out


def _disliked(report: Report) -> list[str]:
    rows = report.summary.disliked
    out = ["<h2>Disliked answers (latest first)</h2>"]
    if not rows:
        return out + ["<p>None.</p>"]
    out.append("<table><thead><tr><th>when</th><th>question and answer</th><th>what was wrong</th></tr></thead><tbody>")
    for row in rows:
        cited = f'<br><span class="muted">cited: {_e("; ".join(row["sections"]))}</span>' if row["sections"] else ""
        out.append(
            f"<tr><td>{_e(row['voted_at'][:16])}</td><td>{_e(row['question'])}<br>"
            f'<span class="muted">{_e(row["answer"])}</span>{cited}</td><td class="wrong">{_e(row["comment"])}</td></tr>'
        )
    out.append("</tbody></table>")
    return out


def charts(weeks: tuple[Week, ...]) -> list[tuple[bytes, str]]:
    """Two small PNG charts (questions asked and declined per week; declined share and thumbs-down
    rate per week), each with its alternative text."""
    if not weeks:
        return []
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    labels = [w.week.split("-")[1] if len(weeks) > 1 else w.week for w in weeks]
    positions = range(len(weeks))

    figure = Figure(figsize=(5.2, 2.4), dpi=110, layout="constrained")
    axes = figure.subplots()
    others = [w.asked - w.declined for w in weeks]
    axes.bar(positions, others, color="#4c78a8", label="answered or small talk")
    axes.bar(positions, [w.declined for w in weeks], bottom=others, color="#e45756", label="declined")
    _style(axes, labels, "questions", "Questions asked per week")
    axes.legend(fontsize=7, frameon=False)
    asked = _png(figure)

    figure = Figure(figsize=(5.2, 2.4), dpi=110, layout="constrained")
    axes = figure.subplots()
    axes.plot(positions, [_share(w.declined_share) for w in weeks], marker="o", color="#e45756", label="declined")
    axes.plot(positions, [_share(w.thumbs_down_rate) for w in weeks], marker="s", color="#72b7b2", label="thumbs down (of votes)")
    axes.set_ylim(0, 105)
    _style(axes, labels, "percent", "Declined and thumbs-down rate")
    axes.legend(fontsize=7, frameon=False)
    rates = _png(figure)

    first, last = weeks[0].week, weeks[-1].week
    return [
        (asked, f"Bar chart: questions asked per ISO week, {first} to {last}, declined ones stacked on top."),
        (rates, f"Line chart: share of questions declined and thumbs-down rate per ISO week, {first} to {last}."),
    ]


def _style(axes, labels: list[str], ylabel: str, title: str) -> None:
    axes.set_title(title, fontsize=9, loc="left")
    axes.set_xticks(range(len(labels)), labels, fontsize=7, rotation=45 if len(labels) > 8 else 0)
    axes.tick_params(axis="y", labelsize=7)
    axes.set_ylabel(ylabel, fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _figure(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<figure><img alt="{_e(alt)}" src="data:image/png;base64,{data}"></figure>'


def _share(value: float | None) -> float:
    return float("nan") if value is None else 100 * value


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _e(text: str) -> str:
    return escape(text, quote=True)
