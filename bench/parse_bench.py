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
from collections.abc import Callable
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


def timed(fn: Callable[[str], object], items: list[str], clock: Callable[[], float] = time.perf_counter) -> float:
    start = clock()
    for item in items:
        fn(item)
    return float(clock() - start)


#: Inputs that once made the parser backtrack for seconds or forever, each scaled to ~60 KB.
ADVERSARIAL = {
    "years + U+1680": ("5" + "\u1680" * 120 + "x\n") * 250,
    "based in Ab-Ab-": "based in " + "Ab-" * 990 + "x",
    "metadata Ab-Ab-": ("Acme · " + "Ab-" * 64 + "x\n") * 12,
    "legal suffix A.A.": "Acme Inc\n" + ("A." * 1499 + "\n") * 20,
    "inline bullets U+1680": ("a" + "\u1680" * 2998 + "b\n") * 20,
    "counter 1,1,1": ("1," * 1495 + " job\n") * 20,
    "glued places": ("AcmeAustin, TXDallas, TX" * 40 + "\n") * 60,
    "glued sentences": ("word.Word" * 300 + "\n") * 20,
}


def worst_adversarial(size: int = 60_000) -> tuple[str, float]:
    worst = ("", 0.0)
    for name, text in ADVERSARIAL.items():
        text = (text * (size // len(text) + 1))[:size]
        t = timed(cold_parse, [text])
        if t > worst[1]:
            worst = (name, t)
    return worst


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=3000)
    args = ap.parse_args()
    items = corpus(args.count)
    timed(cold_parse, items[:50])  # compile the regexes
    base = timed(split_lines, items)
    full = timed(cold_parse, items)
    # CPU time of this process: on a shared, loaded machine wall time mostly measures the neighbours.
    cpu = timed(cold_parse, items, time.process_time)
    big = "Requirements:\n- 3+ years of Python\n" + "lorem ipsum dolor sit amet " * 80_000
    big_s = timed(cold_parse, [big])
    print(f"postings:             {len(items)} x ~4 KB")
    print(f"baseline (read only): {len(items) / base:,.0f} postings/s")
    print(f"parse_posting:        {len(items) / full:,.0f} postings/s  (goal >= 200)")
    print(f"parse_posting (CPU):  {len(items) / cpu:,.0f} postings/s  (process time, robust to a loaded machine)")
    print(f"ratio parse/baseline: {full / base:.1f}x the cost of reading the text")
    print(f"one 2 MB paste:       {big_s * 1000:.0f} ms  (goal < 1000)")
    name, worst = worst_adversarial()
    print(f"worst adversarial:    {worst * 1000:.0f} ms  ({name}, 60 KB; goal < 1000)")


if __name__ == "__main__":
    main()
