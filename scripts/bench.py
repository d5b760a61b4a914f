"""Where the time goes: cold start, warm answers by stage, index builds, memory, build throughput
and retrieval at 100,000 passages, each beside a plain encode + FAISS flat baseline.

    .venv/bin/python scripts/bench.py                    # table on stdout (~10-15 min on 2 cores)
    .venv/bin/python scripts/bench.py --json             # the figures as JSON on stdout
    .venv/bin/python scripts/bench.py --output bench.json --quick   # small sizes, JSON file + table
    .venv/bin/python scripts/bench.py --corpus DIR       # one corpus folder: build, memory, cold and warm `ask`

Progress goes to stderr. See scripts/benchmarks/ for what each figure measures.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from benchmarks import BenchOptions, run, table, to_json  # noqa: E402
from benchmarks.corpus import corpus_bench, corpus_table  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    parser.add_argument("--output", metavar="FILE", type=Path, help="also write the figures as JSON to FILE")
    parser.add_argument("--quick", action="store_true", help="tiny sizes and few repeats (a smoke test, not figures)")
    parser.add_argument("--repeats", type=int, help="warm passes over the 30 questions (default 5)")
    parser.add_argument(
        "--synthetic-passages", type=int, metavar="N", help="passages of the build-throughput corpus (default 2,000)"
    )
    parser.add_argument("--large-passages", type=int, metavar="N", help="passages of the synthetic large index (default 100,000)")
    parser.add_argument("--no-serve", action="store_true", help="skip the memory of `python -m chatbot serve`")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile runs")
    parser.add_argument(
        "--corpus",
        metavar="DIR",
        type=Path,
        help="only measure this corpus folder: build from scratch (time, peak memory, progress estimate), cold and warm `ask`",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="bench %(relativeCreated)7.0f ms: %(message)s", stream=sys.stderr)
    logging.getLogger("chatbot").setLevel(logging.INFO)

    changes = {
        key: value
        for key, value in (
            ("repeats", args.repeats),
            ("synthetic_passages", args.synthetic_passages),
            ("large_passages", args.large_passages),
        )
        if value is not None
    }
    changes.update({key: False for key, off in (("serve", args.no_serve), ("profile", args.no_profile)) if off})
    options = BenchOptions.quick(**changes) if args.quick else BenchOptions(**changes)
    with tempfile.TemporaryDirectory(prefix="chatbot-bench-") as work:
        if args.corpus is not None:
            if not args.corpus.is_dir():
                parser.error(f"--corpus {args.corpus} is not a folder")
            results = corpus_bench(args.corpus.resolve(), Path(work), options)
        else:
            results = run(options, Path(work))
    text = to_json(results)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
    print(text if args.json else (corpus_table(results) if args.corpus is not None else table(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
