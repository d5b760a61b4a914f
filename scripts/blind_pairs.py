"""Blind judging of two versions' replies to the same questions (docs/judging.md says how to use it).

    python scripts/blind_pairs.py make QUESTIONS.jsonl BEFORE.jsonl AFTER.jsonl OUT_DIR [--seed N]
    python scripts/blind_pairs.py tally OUT_DIR VERDICTS.jsonl

`make` takes the labeled questions and each version's `chatbot ask --batch` output for them (one
answer a line, in the questions' order) and writes OUT_DIR/pairs.jsonl (id, question, reply A,
reply B, in shuffled order, nothing saying which version wrote which) and OUT_DIR/key.jsonl (which
side is which, with each question's kind). Give readers pairs.jsonl and docs/judging.md only.

`tally` reads the readers' verdicts (one JSON object a line: {"id", "A": {"verdict", "readable"},
"B": {...}, "preferred": "A" | "B" | "same"}) and prints, per kind and overall, each version's
accepted / partly / rejected / readable shares and how often it was preferred.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

VERDICTS = ("accepted", "partly", "rejected")


def reply_text(answer: dict) -> str:
    """A reply as a reader sees it: the answer, then its numbered sources (or the nearby sections)."""
    lines = [answer.get("notice", ""), answer["answer"]]
    if answer.get("citations"):
        lines.append("Sources: " + "; ".join(f"[{c['marker']}] {c['heading']}" for c in answer["citations"]))
    elif answer.get("suggestions"):
        lines.append("Nearby in the guide: " + "; ".join(" › ".join(s) for s in answer["suggestions"]))
    return "\n".join(line for line in lines if line)


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def make(questions: Path, before: Path, after: Path, out: Path, seed: int) -> None:
    items, old, new = read_lines(questions), read_lines(before), read_lines(after)
    if not len(items) == len(old) == len(new):
        sys.exit(f"{questions}, {before} and {after} must have one line per question ({len(items)}, {len(old)}, {len(new)})")
    rng = random.Random(seed)
    order = list(range(len(items)))
    rng.shuffle(order)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "pairs.jsonl").open("w", encoding="utf-8") as pairs, (out / "key.jsonl").open("w", encoding="utf-8") as key:
        for n, i in enumerate(order, 1):
            swap = rng.random() < 0.5
            a, b = (new[i], old[i]) if swap else (old[i], new[i])
            pair_id = f"p{n:03d}"
            history = items[i].get("history") or []
            pairs.write(
                json.dumps(
                    {"id": pair_id, "history": history, "question": items[i]["question"], "A": reply_text(a), "B": reply_text(b)},
                    ensure_ascii=False,
                )
                + "\n"
            )
            sides = {"A": "after" if swap else "before", "B": "before" if swap else "after"}
            key.write(json.dumps({"id": pair_id, "kind": items[i].get("kind", "unknown"), **sides}) + "\n")
    print(f"wrote {len(order)} pairs to {out / 'pairs.jsonl'} and the key to {out / 'key.jsonl'}")


def tally(out: Path, verdicts: Path) -> None:
    key = {row["id"]: row for row in read_lines(out / "key.jsonl")}
    counts: dict[str, dict[str, Counter]] = defaultdict(lambda: {"before": Counter(), "after": Counter()})
    for row in read_lines(verdicts):
        sides = key[row["id"]]
        for group in (sides["kind"], "overall"):
            for side in ("A", "B"):
                version = sides[side]
                counts[group][version][row[side]["verdict"]] += 1
                counts[group][version]["readable"] += bool(row[side]["readable"])
                counts[group][version]["n"] += 1
                counts[group][version]["preferred"] += row.get("preferred") == side
    print(f"{'kind':<22}{'version':<8}{'n':>5}" + "".join(f"{c:>11}" for c in (*VERDICTS, "readable", "preferred")))
    for group in sorted(counts, key=lambda g: (g == "overall", g)):
        for version in ("before", "after"):
            c = counts[group][version]
            shares = "".join(f"{c[v] / c['n']:>11.2f}" for v in (*VERDICTS, "readable", "preferred"))
            print(f"{group:<22}{version:<8}{c['n']:>5}{shares}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    m = commands.add_parser("make", help="write blinded pairs and their key")
    m.add_argument("questions", type=Path)
    m.add_argument("before", type=Path)
    m.add_argument("after", type=Path)
    m.add_argument("out", type=Path)
    m.add_argument("--seed", type=int, default=13)
    t = commands.add_parser("tally", help="verdicts per kind, unblinded with the key")
    t.add_argument("out", type=Path)
    t.add_argument("verdicts", type=Path)
    args = parser.parse_args()
    if args.command == "make":
        make(args.questions, args.before, args.after, args.out, args.seed)
    else:
        tally(args.out, args.verdicts)


if __name__ == "__main__":
    main()
