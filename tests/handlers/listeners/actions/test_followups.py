"""Buttons on follow-up DMs and on ``/hiring reminders`` (handlers/listeners/actions/followups.py)."""

from __future__ import annotations

from typing import Any
from unittest.mock import AsyncMock

from handlers.listeners import commands
from handlers.listeners.actions import followups

from ..conftest import MANAGER, World, action_body, call, sent, text_of


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """action_id → the first such button of a message (actions blocks and section accessories)."""
    out: dict[str, dict[str, Any]] = {}
    for b in message.get("blocks") or []:
        for e in b.get("elements", []) if b.get("type") == "actions" else []:
            out.setdefault(e["action_id"], e)
        if (b.get("accessory") or {}).get("type") == "button":
            out.setdefault(b["accessory"]["action_id"], b["accessory"])
    return out


async def press(world: World, name: str, action_id: str, value: str, user: str = MANAGER,
                channel: str = "DUMANAGER") -> AsyncMock:
    ack, respond = AsyncMock(), AsyncMock()
    await call(world.listeners(followups)[name], ack=ack, body=action_body(user, channel),
               action={"action_id": action_id, "block_id": "b", "type": "button", "value": value},
               client=world.client, respond=respond)
    ack.assert_awaited_once_with()
    return respond


async def nudge_dm(world: World) -> dict[str, Any]:
    """Ada waits past screen's limit; the scheduler's sweep DMs the manager. That DM."""
    op = await world.opening()
    await world.hiring.add_candidate(op, MANAGER, "Ada Lovelace")
    await world.hiring.move(1, MANAGER, "screen")
    world.clock.advance(days=4, hours=1)  # Mon 09:00 → Fri 10:00: 4 working days, past the limit of 3
    world.client.reset_mock()
    await world.ctx.scheduler.tick()
    [dm] = [m for m in sent(world.client.chat_postMessage) if m["channel"] == "DUMANAGER"]
    return dm


async def test_nudge_advance_moves_the_candidate_and_redraws_the_dm(world: World) -> None:
    dm = await nudge_dm(world)
    b = buttons(dm)
    assert set(b) == {"nudge_advance", "nudge_reject", "nudge_snooze_1", "nudge_snooze_3", "nudge_done"}
    respond = await press(world, "nudge_button", "nudge_advance", b["nudge_advance"]["value"])
    redrawn = respond.await_args.kwargs
    assert redrawn["replace_original"] is True
    assert "now in interview" in text_of(redrawn) and not buttons(redrawn)
    _, app = await world.hiring.application(1, MANAGER)
    assert app.stage == "interview"

    world.client.reset_mock()  # the same button again changes nothing, and says why
    respond = await press(world, "nudge_button", "nudge_advance", b["nudge_advance"]["value"])
    respond.assert_not_awaited()
    [eph] = sent(world.client.chat_postEphemeral)
    assert eph["channel"] == "DUMANAGER" and "already moved to interview" in text_of(eph)
    _, app = await world.hiring.application(1, MANAGER)
    assert app.stage == "interview"


async def test_nudge_snooze_and_done_keep_the_stage(world: World) -> None:
    b = buttons(await nudge_dm(world))
    respond = await press(world, "nudge_button", "nudge_snooze_3", b["nudge_snooze_3"]["value"])
    assert "snoozed until Wed 11 Nov 10:00" in text_of(respond.await_args.kwargs)  # Fri + 3 working days
    respond = await press(world, "nudge_button", "nudge_done", b["nudge_done"]["value"])
    assert ":white_check_mark: done" in text_of(respond.await_args.kwargs)
    _, app = await world.hiring.application(1, MANAGER)
    assert app.stage == "screen"


async def test_nudge_buttons_refuse_interviewers_and_junk(world: World) -> None:
    b = buttons(await nudge_dm(world))
    await world.hiring.team_add(1, MANAGER, "UINTERVIEW", "interviewer")
    world.client.reset_mock()
    respond = await press(world, "nudge_button", "nudge_advance", b["nudge_advance"]["value"], user="UINTERVIEW",
                          channel="DUINTERVIEW")
    respond.assert_not_awaited()
    [refused] = sent(world.client.chat_postEphemeral)
    assert refused["user"] == "UINTERVIEW" and "Only the hiring manager or a recruiter" in text_of(refused)
    world.client.reset_mock()
    await press(world, "nudge_button", "nudge_done", "junk")
    [junk] = sent(world.client.chat_postEphemeral)
    assert "out of date" in text_of(junk)
    _, app = await world.hiring.application(1, MANAGER)
    assert app.stage == "screen"


async def reminders_listing(world: World) -> dict[str, Any]:
    respond = AsyncMock()
    await call(world.listeners(commands)["hiring_command"], ack=AsyncMock(), client=world.client, respond=respond,
               body={"text": "reminders", "user_id": MANAGER, "channel_id": "CJOBS",
                     "response_url": "https://hooks.slack.test/1"})
    return respond.await_args.kwargs


async def test_reminder_cancel_cancels_that_reminder_and_redraws_the_list(world: World) -> None:
    op = await world.opening()
    await world.hiring.add_candidate(op, MANAGER, "Ada Lovelace")
    set_reminder = world.listeners(commands)["hiring_command"]
    for text in ("remind APP-1 tomorrow 9am chase references", f"remind OP-{op} in 2h budget sync"):
        await call(set_reminder, ack=AsyncMock(), client=world.client, respond=AsyncMock(),
                   body={"text": text, "user_id": MANAGER, "channel_id": "CJOBS", "response_url": "https://h/1"})
    listing = await reminders_listing(world)
    assert "Your reminders* (2)" in text_of(listing)
    budget = next(b["accessory"] for b in listing["blocks"]
                  if (b.get("accessory") or {}).get("action_id") == "reminder_cancel"
                  and "budget sync" in b["text"]["text"])

    respond = await press(world, "reminder_cancel", "reminder_cancel", budget["value"], channel="CJOBS")
    redrawn = respond.await_args.kwargs
    assert redrawn["replace_original"] is True and "Your reminders* (1)" in text_of(redrawn)
    assert "budget sync" not in text_of(redrawn) and "chase references" in text_of(redrawn)
    assert "Your reminders* (1)" in text_of(await reminders_listing(world))

    world.client.reset_mock()
    respond = await press(world, "reminder_cancel", "reminder_cancel", "not-a-number", channel="CJOBS")
    respond.assert_not_awaited()
    [stale] = sent(world.client.chat_postEphemeral)
    assert "out of date" in text_of(stale)
