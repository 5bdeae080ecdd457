"""Parser throughput: postings per second on one core, as a ratio to a baseline.

The baseline, measured in the same run on the same inputs, is hirebot's own text clean-up
(``split_lines``) alone: the cost of merely reading a posting. The ratio says how many times
that the whole parse costs, which is comparable across machines; postings/s is for the goal
(>= 200/s for a 4 KB posting).

    .venv/bin/python bench/parse_bench.py [--count 3000]
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from bot.parsing import parse_posting
from bot.parsing.noise import is_chrome, is_legal
from bot.parsing.text import split_lines

ROOT = Path(__file__).resolve().parents[1]


def corpus(count: int, size: int = 4096) -> list[str]:
    """``count`` distinct postings of about ``size`` bytes, built from the test fixtures."""
    sources = [p.read_text() for p in sorted((ROOT / "tests/fixtures/postings").glob("*.[tm][xd]*"))]
    seeds = ROOT.parent / "shared/jd/seeds"
    if seeds.is_dir():
        sources += [p.read_text(errors="replace") for p in sorted(seeds.glob("seed*.txt"))]
    rng = random.Random(42)
    out = []
    for i in range(count):
        text = rng.choice(sources)
        while len(text.encode()) < size:
            text += "\n" + rng.choice(sources)
        out.append(text.encode()[:size].decode(errors="ignore") + f"\nRef {i}\n")
    return out


def cold_parse(text: str) -> object:
    """Parse with the per-line caches emptied first: the corpus repeats lines across postings,
    real traffic does not, so only reuse within one posting may count."""
    is_chrome.cache_clear()
    is_legal.cache_clear()
    return parse_posting(text)


def timed(fn, items: list[str]) -> float:
    start = time.perf_counter()
    for item in items:
        fn(item)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=3000)
    args = ap.parse_args()
    items = corpus(args.count)
    timed(cold_parse, items[:50])  # compile the regexes
    base = timed(split_lines, items)
    full = timed(cold_parse, items)
    big = "Requirements:\n- 3+ years of Python\n" + "lorem ipsum dolor sit amet " * 80_000
    big_s = timed(cold_parse, [big])
    print(f"postings:             {len(items)} x ~4 KB")
    print(f"baseline (read only): {len(items) / base:,.0f} postings/s")
    print(f"parse_posting:        {len(items) / full:,.0f} postings/s  (goal >= 200)")
    print(f"ratio parse/baseline: {full / base:.1f}x the cost of reading the text")
    print(f"one 2 MB paste:       {big_s * 1000:.0f} ms  (goal < 1000)")


if __name__ == "__main__":
    main()
