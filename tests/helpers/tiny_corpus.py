"""A two-file corpus small enough to index in a fraction of a second with the tiny model."""

from __future__ import annotations

from pathlib import Path

ALPHA = """# Parcel Sorting

Parcel sorters work in large depots. They start before sunrise.

## Parcel Sorter Pay

Parcel sorters earn about $20 an hour. Night shifts pay more.
Weekend work adds a bonus:
- Saturday pays ten percent more
- Sunday pays twenty percent more
"""

BETA = """# Bike Repair

Bike mechanics fix brakes, gears and wheels. Most learn on the job.

## Bike Mechanic Training

A short course teaches wheel truing. Some shops pay for the course.
"""

FILES = {"alpha.md": ALPHA, "beta.md": BETA}


def write_corpus(folder: Path, files: dict[str, str] = FILES) -> Path:
    """Write the corpus files to `folder` (created) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
