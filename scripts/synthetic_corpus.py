"""Write a synthetic corpus of distinct guide-like Markdown files, for measuring scale.

    .venv/bin/python scripts/synthetic_corpus.py OUT_DIR                 # ~10 MB, seed 0
    .venv/bin/python scripts/synthetic_corpus.py OUT_DIR --megabytes 2 --seed 7

Every file is a career guide for an invented occupation: `#` sections and `##` sub-sections of
prose and bulleted lists (with a lead-in line ending in ":"), like the real guide. Sentences are
drawn from templates, word lists and numbers, so no two are the same text; the same seed writes
the same files. The output is a benchmark input, never committed.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROLES = (
    "assistant technician coordinator specialist aide technologist clerk scheduler coder inspector "
    "therapist counselor planner analyst navigator liaison dispatcher recorder monitor operator"
).split()
FIELDS = (
    "dental pharmacy veterinary laboratory radiology surgical optical hearing dietary sleep cardiac "
    "respiratory physical occupational speech orthopedic dermatology pediatric geriatric renal "
    "hospice nursing-home ambulance billing records imaging blood-bank sterile-processing wellness "
    "community-health behavioral rehabilitation maternity oncology neurology urgent-care telehealth"
).split()
SECTIONS = (
    "What the Job Involves",
    "Daily Duties",
    "Skills and Qualities",
    "Education and Training",
    "Certification and Licensing",
    "Pay and Benefits",
    "Job Outlook",
    "Work Settings",
    "Career Advancement",
    "Comparing Related Roles",
    "Challenges of the Work",
    "Getting Hired",
)
SUBSECTIONS = (
    "Overview",
    "Typical Day",
    "Clinical Work",
    "Office Work",
    "Soft Skills",
    "Technical Skills",
    "Program Length",
    "Online Options",
    "Externships",
    "Exams",
    "Renewal",
    "Salary Range",
    "Regional Differences",
    "Growth",
    "Hospitals",
    "Clinics",
    "Private Practice",
    "Remote Work",
    "Promotions",
    "Further Study",
    "Stress",
    "Schedules",
    "Resumes",
    "Interviews",
    "Networking",
)
SUBJECTS = (
    "a new {role}",
    "an experienced {role}",
    "the {field} {role}",
    "most employers",
    "many programs",
    "a supervising {boss}",
    "the hiring manager",
    "a typical clinic",
    "a busy hospital",
    "the training school",
    "every certifying board",
    "some states",
    "a part-time {role}",
    "the senior {role}",
    "a recent graduate",
)
BOSSES = "physician nurse manager director dentist pharmacist therapist surgeon administrator".split()
VERBS = (
    "prepares",
    "reviews",
    "schedules",
    "records",
    "explains",
    "checks",
    "updates",
    "organizes",
    "handles",
    "supports",
    "tracks",
    "orders",
    "cleans",
    "verifies",
    "files",
    "documents",
    "measures",
    "labels",
    "confirms",
    "reports",
    "manages",
    "coordinates",
    "answers",
    "processes",
    "inspects",
    "calibrates",
)
OBJECTS = (
    "patient charts",
    "insurance claims",
    "appointment calendars",
    "supply inventories",
    "lab samples",
    "billing codes",
    "safety checklists",
    "intake forms",
    "equipment logs",
    "referral letters",
    "medication lists",
    "visit summaries",
    "consent forms",
    "sterilized instruments",
    "test results",
    "follow-up calls",
    "waiting-room questions",
    "electronic records",
    "shift handoffs",
    "treatment plans",
)
MANNERS = (
    "before the first appointment",
    "at the end of each shift",
    "under close supervision",
    "with great care",
    "during busy mornings",
    "twice a week",
    "as the law requires",
    "for every new patient",
    "without delay",
    "using the clinic's software",
    "on weekends",
    "in small rural offices",
    "in large city hospitals",
    "when the team is short-staffed",
    "according to written protocols",
    "after each procedure",
)
FACTS = (
    "Programs usually take {a} to {b} months, and about {p} percent of students finish on time.",
    "Pay ranges from ${lo},{x}00 to ${hi},{y}00 a year, with a median near ${mid},{z}00.",
    "Employment is projected to grow {p} percent over the next {a} years in the {region} region.",
    "Roughly {p} percent of {field} {role}s in {place} hold a national certification.",
    "The {exam} exam has {n} questions and a passing score of {s} out of {t}.",
    "A typical week in {place} is {h} hours, with {a} evening shifts each month.",
    "Renewal costs ${c} every {a} years and requires {n} hours of continuing education.",
    "In {year}, {place} reported {n},{x}{y}{z} openings for {field} {role}s.",
)
LEADS = (
    "The main {thing} are:",
    "Common {thing} include:",
    "Employers in {place} look for these {thing}:",
    "A {field} {role} should know these {thing}:",
    "Steps that help with {thing}:",
)
THINGS = "tasks duties skills requirements options benefits risks tools exams settings habits".split()
SYLLABLES = "ka lo mi ren dor vel sa tan bri cor lun mor pel qui ras sol tev uma zan wil".split()


def pseudo_word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(syllables))


class Writer:
    """Sentences for one guide; `seen` (shared by the corpus) keeps every sentence and item distinct."""

    def __init__(self, rng: random.Random, role: str, field: str, places: list[str], seen: set[str]) -> None:
        self.rng, self.role, self.field, self.places, self.seen = rng, role, field, places, seen

    def distinct(self, make) -> str:
        text = make()
        while text in self.seen:
            text = make()
        self.seen.add(text)
        return text

    def fill(self, template: str) -> str:
        r = self.rng
        lo = r.randint(24, 45)
        values = {
            "role": self.role,
            "field": self.field.replace("-", " "),
            "boss": r.choice(BOSSES),
            "place": r.choice(self.places),
            "region": r.choice(["northern", "southern", "coastal", "mountain", "central", "border"]),
            "exam": pseudo_word(r, 2).upper()[:4],
            "thing": r.choice(THINGS),
            "a": r.randint(2, 9),
            "b": r.randint(10, 24),
            "p": r.randint(3, 97),
            "n": r.randint(20, 300),
            "s": r.randint(60, 80),
            "t": 100,
            "h": r.randint(30, 50),
            "c": r.randint(40, 400),
            "lo": lo,
            "hi": lo + r.randint(8, 30),
            "mid": lo + r.randint(3, 8),
            "x": r.randint(0, 9),
            "y": r.randint(0, 9),
            "z": r.randint(0, 9),
            "year": r.randint(2015, 2026),
        }
        return template.format(**values)

    def sentence(self) -> str:
        return self.distinct(self._sentence)

    def item(self) -> str:
        return self.distinct(self._item)

    def _sentence(self) -> str:
        r = self.rng
        if r.random() < 0.3:
            return self.fill(r.choice(FACTS))
        subject = self.fill(r.choice(SUBJECTS))
        text = f"{subject} {r.choice(VERBS)} {r.choice(OBJECTS)} {r.choice(MANNERS)}"
        if r.random() < 0.5:
            text += f", and {r.choice(VERBS)} {r.choice(OBJECTS)} in {r.choice(self.places)}"
        return text[0].upper() + text[1:] + "."

    def _item(self) -> str:
        r = self.rng
        text = f"{r.choice(VERBS).capitalize()} {r.choice(OBJECTS)} {r.choice(MANNERS)}"
        return text + (f" ({r.randint(1, 99)} times a month)" if r.random() < 0.5 else "")


def guide(rng: random.Random, number: int, seen: set[str]) -> tuple[str, str]:
    """(file name, Markdown text) of guide `number`."""
    role, field = rng.choice(ROLES), rng.choice(FIELDS)
    places = [pseudo_word(rng, rng.randint(2, 3)).capitalize() for _ in range(6)]
    writer = Writer(rng, role, field, places, seen)
    lines: list[str] = []
    for section in rng.sample(SECTIONS, rng.randint(5, 8)):
        lines += [f"# {section} for a {field.replace('-', ' ').title()} {role.title()}", ""]
        lines += [" ".join(writer.sentence() for _ in range(rng.randint(2, 4))), ""]
        for sub in rng.sample(SUBSECTIONS, rng.randint(2, 4)):
            lines += [f"## {sub}", ""]
            for _ in range(rng.randint(1, 2)):
                lines += [" ".join(writer.sentence() for _ in range(rng.randint(2, 5))), ""]
            if rng.random() < 0.45:
                lines += [writer.fill(rng.choice(LEADS))]
                lines += [f"- {writer.item()}" for _ in range(rng.randint(3, 6))]
                lines += [""]
    return f"guide-{number:05d}-{field}-{role}.md", "\n".join(lines)


def write_corpus(folder: Path, *, megabytes: float = 10.0, seed: int = 0) -> tuple[int, int]:
    """Write guides into `folder` until they hold `megabytes`; return (files, bytes)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    target = int(megabytes * 1_000_000)
    written = files = 0
    seen: set[str] = set()
    while written < target:
        name, text = guide(rng, files + 1, seen)
        data = text.encode("utf-8")
        (folder / name).write_bytes(data)
        written += len(data)
        files += 1
    return files, written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="where to write the guides (created; should be empty)")
    parser.add_argument("--megabytes", type=float, default=10.0, help="total size to write (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    if args.folder.exists() and any(args.folder.iterdir()):
        print(f"error: {args.folder} is not empty; give a new folder", file=sys.stderr)
        return 1
    files, size = write_corpus(args.folder, megabytes=args.megabytes, seed=args.seed)
    print(f"wrote {files} guides, {size / 1e6:.1f} MB, to {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
