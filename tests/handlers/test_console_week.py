"""A week of hiring in ``hirebot console``, from the script a new team would type.

tests/fixtures/console/week.txt posts a paste with no title and names it in the modal, adds
three candidates, moves two, adds a recruiter in New York who sets a reminder for 9 am her time,
snoozes one candidate on Friday from the follow-up DM, and runs the clock to Monday. The
assertions are the numbers a person reads: card counts, working days in stage, when each DM
arrived, and the lines of Monday's digest. The console steps its clock through every due
moment, so each thing appears under the time it happened, e.g. ``(Tue 2026-12-01 14:00 UTC)``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "tests/fixtures/console/week.txt"
STAMP = re.compile(r"^\((Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-\d\d-\d\d (\d\d:\d\d) UTC\)$", re.M)


def run_week(tmp_path: Path) -> str:
    script = "\n".join(line for line in SCRIPT.read_text().splitlines() if not line.startswith("#")) + "\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HIREBOT_"))}
    run = subprocess.run([sys.executable, "-m", "handlers.cli", "console", "--db", str(tmp_path / "week.db")],
                         input=script, capture_output=True, text=True, timeout=180, env=env, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert run.stderr == "" and "Traceback" not in run.stdout
    return run.stdout


def at(out: str, day: str, hhmm: str) -> str:
    """What appeared at one moment of the stepped clock (up to the next stamp or typed line's output)."""
    for m in STAMP.finditer(out):
        if (m.group(1), m.group(2)) == (day, hhmm):
            rest = out[m.end():]
            nxt = re.search(r"^\((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-|^\(clock is now", rest, re.M)
            return rest[: nxt.start()] if nxt else rest
    raise AssertionError(f"nothing happened at {day} {hhmm}:\n{out}")


def test_a_week_of_hiring(tmp_path: Path) -> None:
    out = run_week(tmp_path)

    # Monday: the paste had no title; the Edit modal shows the empty required field, and is filled.
    assert "title (required) · Title = (empty)" in out
    assert "[#eng-hiring]\n  == Backend Engineer ==\n  *Team:* Platform" in out
    assert "Posted *OP-1* Backend Engineer to #eng-hiring" in out and "#enghiring" not in out
    # The card is drawn once; each add or move prints only its counts line.
    assert out.count("== Backend Engineer ==") == 1
    counts = re.findall(r"\[#eng-hiring · card updated\]\n  ~ .*?(applied \d · screen \d)", out)
    assert counts == ["applied 1 · screen 0", "applied 2 · screen 0", "applied 3 · screen 0",
                      "applied 2 · screen 1", "applied 1 · screen 2"]

    # Tuesday: Dana's reminder, 9 am in New York, is 14:00 UTC, and says her local time.
    tuesday = at(out, "Tue", "14:00")
    assert tuesday.startswith("\n[DM to @dana]") and "call Alan about the offer letter" in tuesday
    assert re.search(r"You asked for Tue \d\d \w{3} 09:00", tuesday)
    assert "on Tue" in out and "at 09:00 (America/New_York)" in out

    # Thursday 10:00: Alan, added Monday 10:00, has 3 working days in applied: past its limit of 2.
    thursday = at(out, "Thu", "10:00")
    assert "`APP-3` *Alan Turing*" in thursday and "3 working days in *applied* (limit 2)" in thursday
    assert "Ada" not in thursday  # 3 working days in screen is not past a limit of 3
    # Friday 10:00: Ada and Grace have 4 working days in screen, past the limit of 3.
    friday = at(out, "Fri", "10:00")
    assert "2 candidates are waiting" in friday
    assert friday.count("4 working days in *screen* (limit 3)") == 2
    assert "[21 APP-2 Snooze 3 working days]" in friday
    pipeline = out.split("== OP-1 pipeline · Backend Engineer ==")[1]
    assert "`APP-1` Ada Lovelace · 4 working days in screen" in pipeline
    assert "`APP-3` Alan Turing · 4 working days in applied" in pipeline

    # Friday: the snooze by label pressed Grace's button (not whichever was 19th), until Wednesday.
    snoozed = out.split("[message updated]")[1].split("\n(")[0]
    assert "APP-2" in snoozed and "snoozed until Wed" in snoozed and "APP-1" not in snoozed

    # Monday 09:00: the weekly digest, on time (not skipped as late), and the nudge without Grace.
    monday = at(out, "Mon", "09:00")
    digest = monday.split("[#eng-hiring]")[1]
    assert "== :bar_chart: Hiring this week ==" in digest and "1 opening in #eng-hiring" in digest
    assert "*New openings:* 1" in digest and "*Stage moves:* 2" in digest and "*Hires:* 0" in digest
    assert "applied 1 · screen 2 · interview 0 · offer 0" in digest
    assert "*Waiting past their limit:* 2" in digest  # Alan and Ada; Grace is snoozed
    assert re.search(r"Median working days in stage, candidates there now: applied 4 · screen 4(\.0)?\)", digest)
    assert "Ada" not in digest and "Grace" not in digest  # a public channel: counts only
    nudge = monday.split("[#eng-hiring]")[0]
    assert "APP-1" in nudge and "APP-3" in nudge and "APP-2" not in nudge
