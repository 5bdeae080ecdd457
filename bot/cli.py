"""The ``hirebot`` command line: ``parse``, ``run``, ``console``, ``digest``.

Sub-commands import their heavy dependencies lazily so ``hirebot parse`` starts fast and
works even where Slack settings are absent.
"""

from __future__ import annotations

import argparse
import json
import sys

from typing import Sequence

from bot.parsing import ParsedPosting, parse_posting
from bot.parsing.text import decode

#: Larger pastes are cut before parsing: the posting is at the top of any page dump.
MAX_INPUT_BYTES = 4 * 1024 * 1024


def _read_input(source: str) -> str:
    if source == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES)
    else:
        with open(source, "rb") as fh:
            data = fh.read(MAX_INPUT_BYTES)
    return decode(data)


def format_summary(p: ParsedPosting) -> str:
    """A readable, terminal-friendly view of a parsed posting."""
    def show(value: object) -> str:
        if value is None or value == [] or value == "":
            return "—"
        if isinstance(value, list):
            return ", ".join(map(str, value))
        return str(value)

    pay = "—"
    if p.salary:
        s = p.salary
        lo, hi = s.get("min"), s.get("max")
        span = f"{lo:,}" if lo == hi or hi is None else (f"up to {hi:,}" if lo is None else f"{lo:,} – {hi:,}")
        pay = f"{span} {s.get('currency') or ''} per {s.get('period') or '?'}".strip()
    rows = [
        ("Title", show(p.title)), ("Company", show(p.company)), ("Team", show(p.team)),
        ("Locations", show(p.locations)), ("Workplace", show(p.workplace)),
        ("Employment", show(p.employment_type)), ("Seniority", show(p.seniority)),
        ("Min. years", show(p.min_years_experience)), ("Education", show(p.education)),
        ("Languages", show(p.languages)), ("Salary", pay),
        ("Background check", "yes" if p.background_check else "no"),
    ]
    out = [f"{k + ':':18} {v}" for k, v in rows]
    for heading, items in (("Responsibilities", p.responsibilities), ("Requirements", p.requirements),
                           ("Nice to have", p.nice_to_have)):
        out.append("")
        out.append(f"{heading} ({len(items)})")
        out.extend(f"  • {item}" for item in items)
    return "\n".join(out)


def cmd_parse(args: argparse.Namespace) -> int:
    try:
        text = _read_input(args.file)
    except OSError as exc:
        print(f"hirebot parse: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    parsed = parse_posting(text)
    if args.json:
        print(json.dumps(parsed.to_dict(), ensure_ascii=False))
    else:
        print(format_summary(parsed))
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="hirebot", description="A Slack bot for team hiring pipelines.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("parse", help="parse a job posting file (or - for stdin) and print what was found")
    p.add_argument("file", help="path of a text file with the posting, or - to read stdin")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")
    p.set_defaults(func=cmd_parse)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = ["main", "format_summary"]
