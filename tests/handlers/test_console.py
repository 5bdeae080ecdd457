"""``hirebot console`` as a new user tries it: post a seed, add two candidates, move, discuss, pipeline."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
POSTING = ROOT / "tests/fixtures/postings/hospital_rn.txt"


def run_console(script: str, db: Path, *args: str, env: dict[str, str] | None = None) -> str:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HIREBOT_"))}, **(env or {})}
    run = subprocess.run([sys.executable, "-m", "handlers.cli", "console", "--db", str(db), *args], input=script,
                         capture_output=True, text=True, timeout=120, env=env, cwd=db.parent)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    return run.stdout


def test_console_full_flow(tmp_path: Path) -> None:
    db = tmp_path / "console.db"
    out = run_console("\n".join([
        f"/hiring post < {POSTING}",
        ":click 1",
        '/hiring add "Ada Lovelace" OP-1 ada@example.com',
        '/hiring add "Grace Hopper" OP-1 @dana',
        "/hiring move APP-1 screen great call",
        "/hiring move APP-2 offer",
        ":reply OP-1 APP-2 referred by Dana, strong",
        ":reply OP-1 budget approved",
        "/hiring pipeline OP-1",
        ":click APP-1 Move to interview",  # a menu option, by its label
        ":as dana",
        "/hiring pipeline OP-1",
        ":quit",
    ]) + "\n", db)
    assert "Registered Nurse - Emergency Department (Nights)" in out
    assert "[#jobs]" in out and "Posted *OP-1*" in out
    assert "Added *APP-1* Ada Lovelace" in out and "Added *APP-2* Grace Hopper" in out
    assert "applied → *screen*" in out
    assert "cannot move to offer" in out
    assert "(saved as a note)" in out
    assert "`APP-1` Ada Lovelace · 0 working days in screen" in out
    assert "You are not on the hiring team of OP-1" in out
    channel_output = [block for block in out.split("\n[") if block.startswith("#jobs")]
    assert channel_output and not any("Ada" in b or "Grace" in b for b in channel_output)


def test_console_keeps_data_in_the_sqlite_file_across_runs(tmp_path: Path) -> None:
    db = tmp_path / "console.db"
    run_console(f"/hiring post < {POSTING}\n:click 1\n/hiring add \"Ada Lovelace\" OP-1\n", db)
    out = run_console("/hiring history APP-1\n:advance 7d\n:home\n", db)  # real time: 4 or 5 working days
    assert "Ada Lovelace" in out and "Waiting on you* (1)" in out
    assert re.search(r"[45] working days in applied", out)


def test_console_multiline_paste_and_bad_lines(tmp_path: Path) -> None:
    out = run_console("/hiring parse <<\nSenior Nurse\nRequirements:\n- BSN required\n.\n:click 9\n:advance x\n"
                      "hello\n/hiring post < /nope/missing.txt\n", tmp_path / "c.db")
    assert "Senior Nurse" in out and "BSN required" in out
    assert "no such button" in out and "usage: :advance" in out and "cannot read /nope/missing.txt" in out


def test_console_advance_produces_the_managers_dm_with_working_buttons(tmp_path: Path) -> None:
    out = run_console("\n".join([
        ":advance to mon 10:00",  # start from a working morning, whatever the time now
        f"/hiring post < {POSTING}",
        ":click 1",
        '/hiring add "Ada Lovelace" OP-1',
        "/hiring move APP-1 screen",
        "/hiring remind APP-1 in 1h ask about references",
        "/hiring digest subscribe",
        ":advance 4d",  # Friday 10:00: 4 working days, past screen's limit of 3
        ":click APP-1 Move to interview",  # on the DM
        "/hiring digest preview",
        ":quit",
    ]) + "\n", tmp_path / "c.db")
    dm = out.split("[DM to @you]")
    assert len(dm) >= 3, out
    assert "ask about references" in out
    nudge = next(part for part in dm if "waiting" in part)
    assert "Ada Lovelace" in nudge and "4 working days in *screen* (limit 3)" in nudge
    assert ("[6 APP-1 Move to interview] [7 APP-1 Reject …asks first] [8 APP-1 Snooze 1 working day] "
            "[9 APP-1 Snooze 3 working days] [10 APP-1 Done]") in nudge  # numbers go on from the preview's and card's
    updated = out.split("[message updated]")[-1]
    assert "now in interview" in updated
    preview = out.split("Hiring this week · preview")[1]
    assert "*Stage moves:* 2" in preview and "interview 1" in preview and "Ada" not in preview


def test_console_shows_a_reply_given_in_the_ack_like_any_private_reply(tmp_path: Path) -> None:
    """Help and typing mistakes are answered in the ack's body (no response URL is called): the
    console prints that body where Slack shows it, as a message only the typist sees."""
    out = run_console("/hiring help move\n/hiring movee APP-1 screen\n:quit\n", tmp_path / "console.db")
    assert "[only you]\n  */hiring move* — move a candidate" in out
    assert "[only you]\n  :warning: `movee` is not a /hiring command. Did you mean `move`?" in out
