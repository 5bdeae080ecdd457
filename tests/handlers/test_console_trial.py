"""``hirebot console`` is faithful enough to try hirebot in (the issue "What a hiring team notices
in the first week"): its own database and log file, a clock that stops at every due moment,
modals that can be filled, every button drawn with a number that stays and a label, confirm
dialogs, channel names with dashes, and updates that print only what changed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from handlers.local.console import channel_id, channel_name

ROOT = Path(__file__).parents[2]
POSTING = ROOT / "tests/fixtures/postings/hospital_rn.txt"
UNTITLED = ROOT / "tests/fixtures/console/untitled.txt"


def console(script: str, cwd: Path, *args: str, env: dict[str, str] | None = None,
            ok: bool = True) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HIREBOT_"))}
    run = subprocess.run([sys.executable, "-m", "handlers.cli", "console", *args], input=script, capture_output=True,
                         text=True, timeout=120, env={**base, **(env or {})}, cwd=cwd)
    if ok:
        assert run.returncode == 0, run.stderr
        assert run.stderr == "", run.stderr  # nothing on the terminal but the console's own lines
        assert "Traceback" not in run.stdout
    return run


def lines(*typed: str) -> str:
    return "\n".join(typed) + "\n"


def test_own_database_and_log_file_never_hirebot_db(tmp_path: Path) -> None:
    live = tmp_path / "live" / "hirebot.db"
    live.parent.mkdir()
    out = console(lines(f"/hiring post < {POSTING}", ":click 1", ":advance 7d"), tmp_path,
                  env={"HIREBOT_DB": str(live)}).stdout
    assert not live.exists()  # a deployment's database is never touched
    assert (tmp_path / "hirebot-console.db").exists()
    log = (tmp_path / "hirebot-console.log").read_text()
    assert "hirebot.requests" in log and "apscheduler" in log
    assert "hirebot console — database hirebot-console.db, log hirebot-console.log" in out
    assert not re.search(r"\b(INFO|WARNING|DEBUG)\b|apscheduler|hirebot\.\w+:", out)  # no log line among replies
    # The next session goes on from the clock the last one reached: nothing written is in its future.
    again = console(lines("/hiring show OP-1"), tmp_path).stdout
    assert "The clock goes on from the last session" in again


def test_db_option_and_its_directory(tmp_path: Path) -> None:
    console(lines("/hiring help"), tmp_path, "--db", str(tmp_path / "mine.db"))
    assert (tmp_path / "mine.db").exists() and (tmp_path / "mine.log").exists()
    r = console(lines("/hiring help"), tmp_path, "--db", str(tmp_path / "no" / "c.db"), ok=False)
    assert r.returncode == 2 and r.stderr.strip() == f"hirebot: the database directory {tmp_path / 'no'} does not exist"
    assert not (tmp_path / "no").exists()


def test_advance_stops_at_the_monday_digest_instead_of_skipping_it(tmp_path: Path) -> None:
    out = console(lines(":advance to sun 10:00", "/hiring digest subscribe", ":advance 3d"), tmp_path).stdout
    assert re.search(r"^\(Mon \d{4}-\d\d-\d\d 09:00 UTC\)\n\[#jobs\]\n  == :bar_chart: Hiring this week ==", out, re.M)
    assert re.search(r"clock is now Wed \d{4}-\d\d-\d\d 10:00 UTC", out)


def test_modals_can_be_filled_and_submitted(tmp_path: Path) -> None:
    out = console(lines(
        "/hiring post",  # no text: the post modal
        ":submit",  # Slack does not send a modal with an empty required field
        f"/hiring post < {UNTITLED}",
        ":click Edit",  # the preview's Edit opens the edit modal, title empty
        ":fill title=\"Backend Engineer\" seniority=Senior nosuch=1",
        ":submit",
        ":click OP-1 Refer a candidate",
        ":fill email=not-an-address",
        ":submit",
        ":fill name=\"Ada Lovelace\"",
        ":submit",  # the app refuses the e-mail: the modal stays open with the error
        ":fill email=ada@example.com note=\"Worked with her\\nat Acme\"",
        ":submit",
        ":submit",
    ), tmp_path).stdout
    assert "[modal] Post an opening" in out and "please fill in: Paste the job posting" in out
    assert "No title found" in out and "title (required) · Title = (empty)" in out
    assert "no field 'nosuch'" in out and 'seniority · Seniority = "senior"' in out
    assert "== Backend Engineer ==" in out and "Posted *OP-1* Backend Engineer" in out
    assert "[modal] Refer a candidate" in out and "please fill in: Full name" in out
    assert "! email: That is not an e-mail address." in out
    assert "Thanks! Ada Lovelace is referred to *OP-1* Backend Engineer as *APP-1*." in out
    assert 'note · Why they fit = "Worked with her" (+1 more line)' in out
    assert out.rstrip().endswith("(no modal is open)")


def test_every_button_is_drawn_and_keeps_its_number(tmp_path: Path) -> None:
    out = console(lines(
        f"/hiring post < {POSTING}",
        "/hiring help",  # other output in between: the preview's buttons keep their numbers
        ":click 1",
        '/hiring add "Ada Lovelace" OP-1',
        "/hiring remind APP-1 in 2d call her",
        "/hiring remind OP-1 in 3d check the budget",
        "/hiring reminders",  # each reminder is a section with a Cancel button as its accessory
        ":click APP-1 Cancel",
        "/hiring reminders",
        ":click 99",
        ":click frobnicate",
        ":click 1",  # Post to channel: that preview has become "Posted", so the button is gone
        ":click canc",  # any unique part of a label on screen: the one Cancel left
    ), tmp_path).stdout
    assert "[1 Post to channel]" in out and "Posted *OP-1*" in out
    first, second = out.split("*Your reminders* (2)")[1], out.split("*Your reminders* (1)")[-1]
    assert re.search(r"call her\n +\[(\d+) APP-1 Cancel\]", first)
    number = re.search(r"\[(\d+) OP-1 Cancel\]", first)
    assert number and f"[{number.group(1)} OP-1 Cancel]" in second  # the same button, the same number
    cancelled = first.split("[message updated]")[1].split("\n[")[0]
    assert "~ *Your reminders* (1)" in cancelled and "-     [6 APP-1 Cancel]" in cancelled
    assert "APP-1" not in second.split("(no such")[0]
    assert "no such button" in out and "no button is labelled 'frobnicate'" in out
    assert "(button 1 is gone: the message it was in has changed since)" in out
    assert out.rstrip().endswith("*Your reminders* (0)\n    (None. Set one: `/hiring remind APP-7 in 2d call back` "
                                 "or `/hiring remind OP-12 tomorrow 9am`.)")


def test_confirm_dialogs_are_shown_and_asked(tmp_path: Path) -> None:
    out = console(lines(
        ":advance to mon 10:00",
        f"/hiring post < {POSTING}",
        ":click Post to channel",
        '/hiring add "Ada Lovelace" OP-1',
        "/hiring move APP-1 screen",
        ":advance 4d",  # past screen's limit of 3 working days: the nudge DM
        ":click APP-1 Reject",
        "n",
        ":click APP-1 Reject --yes",
    ), tmp_path).stdout
    assert "[dialog] Reject?: Move APP-1 to rejected?  [Reject] / [Cancel]" in out
    assert "(Cancel: nothing was done)" in out and "(Reject: confirmed with --yes)" in out
    assert out.count("[#jobs · card updated]") >= 3
    assert "rejected 1" in out.split("confirmed with --yes")[1]
    assert "rejected 1" not in out.split("confirmed with --yes")[0]


def test_channels_keep_their_dashes() -> None:
    assert channel_id("#eng-hiring") != channel_id("#enghiring")
    assert channel_name(channel_id("#eng-hiring")) == "eng-hiring"
    assert channel_id("jobs") == "CJOBS"  # plain names keep the ids earlier sessions stored


def test_in_a_channel_with_a_dash(tmp_path: Path) -> None:
    out = console(lines(":in #eng-hiring", f"/hiring post < {POSTING}", ":click 1", "/hiring digest subscribe"),
                  tmp_path).stdout
    assert "(you are now in #eng-hiring)" in out and "[#eng-hiring]" in out
    assert "#eng-hiring gets the hiring digest" in out and "#enghiring" not in out


def test_an_update_prints_only_what_changed(tmp_path: Path) -> None:
    out = console(lines(f"/hiring post < {POSTING}", ":click 1", '/hiring add "Ada Lovelace" OP-1',
                        "/hiring move APP-1 screen"), tmp_path).stdout
    assert out.count("== Registered Nurse - Emergency Department (Nights) ==") == 2  # preview and card, once each
    updates = out.split("[#jobs · card updated]\n")[1:]
    assert len(updates) == 2
    for update in updates:
        changed = update.split("\n[")[0].strip().splitlines()
        assert len(changed) == 1 and changed[0].startswith("~   (*OP-1* · open")
    assert "applied 1 · screen 0" in updates[0] and "applied 0 · screen 1" in updates[1]


def test_labels_that_match_several_buttons_ask_which() -> None:
    from handlers.local.console import Buttons, render_blocks
    from handlers.local.fake_slack import Call

    def button(text: str, value: str) -> dict[str, object]:
        return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": "a", "value": value}

    buttons = Buttons()
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"`APP-{n}` {name}"},
               "accessory": button("Snooze 1", str(n))} for n, name in ((1, "Ada"), (2, "Grace"))]
    drawn = render_blocks(blocks, buttons, Call("chat.postMessage", {}), ("msg", "D1", "1"))
    assert drawn == ["`APP-1` Ada", "    [1 APP-1 Snooze 1]", "`APP-2` Grace", "    [2 APP-2 Snooze 1]"]
    assert buttons.find("snooze") == "which one? APP-2 Snooze 1 | APP-1 Snooze 1"
    found = buttons.find("app-2 snooze 1")
    assert not isinstance(found, str) and found[0].element["value"] == "2"
    render_blocks(blocks[::-1], buttons, Call("chat.update", {}), ("msg", "D1", "1"))  # redrawn, reordered
    found = buttons.find("1")
    assert not isinstance(found, str) and found[0].label == "APP-1 Snooze 1"  # numbers follow the button
