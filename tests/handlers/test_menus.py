"""Complete, honest menus: every allowed move is offered, only to people who may make it; hints list
every next stage; refusals name who can help."""

from __future__ import annotations

import json
import time
from typing import Any

from bot import stages

from .conftest import Bot, blocks_text
from .test_candidates import say
from .test_posting import post_opening


async def pipeline(bot: Bot, op: int, user: str = "UMANAGER") -> list[dict[str, Any]]:
    mark = bot.mark()
    await bot.command(f"pipeline OP-{op}", user=user)
    reply = await bot.slack.wait_for("response_url", after=mark)
    return list(reply.args["blocks"])


def control_of(blocks: list[dict[str, Any]], ref: str) -> dict[str, Any] | None:
    """The move control beside the candidate ``ref`` in a pipeline, or None."""
    [row] = [b for b in blocks if b["type"] == "section" and f"`{ref}`" in b["text"]["text"]]
    accessory: dict[str, Any] | None = row.get("accessory")
    return accessory


def targets(control: dict[str, Any]) -> list[str]:
    if control["type"] == "button":
        return [control["value"].split(":")[2]]
    return [o["value"].split(":")[2] for o in control["options"]]


async def select(bot: Bot, value: str, user: str = "UMANAGER") -> None:
    """Pick ``value`` in a pipeline's static_select, as Slack sends it."""
    await bot.interact({
        "type": "block_actions", "user": {"id": user}, "channel": {"id": "CJOBS"},
        "container": {"type": "message", "channel_id": "CJOBS", "is_ephemeral": True},
        "trigger_id": f"trig-{time.time_ns()}", "response_url": bot.slack.response_url(),
        "actions": [{"action_id": "pipeline_move", "block_id": "b", "type": "static_select", "action_ts": "1",
                     "selected_option": {"value": value, "text": {"type": "plain_text", "text": "x"}},
                     "placeholder": {"type": "plain_text", "text": "x"}}],
    })


async def test_every_allowed_move_is_offered_and_a_select_moves_an_offer_to_withdrawn(bot: Bot) -> None:
    op = await post_opening(bot)
    await say(bot, f'add "Ada Lovelace" OP-{op}')
    for stage in ("screen", "interview", "offer"):
        await say(bot, f"move APP-1 {stage}")
    control = control_of(await pipeline(bot, op), "APP-1")
    assert control is not None and control["type"] == "static_select", "six moves do not fit an overflow menu"
    assert targets(control) == stages.allowed_moves("offer")
    assert "withdrawn" in targets(control) and "rejected" in targets(control)
    assert len(control["options"]) <= 100 and control["placeholder"]["text"]
    assert all(len(o["text"]["text"]) <= 75 and len(o["value"]) <= 150 for o in control["options"])

    mark = bot.mark()
    await select(bot, "1:offer:withdrawn")
    redrawn = await bot.slack.wait_for("response_url", after=mark)
    assert redrawn.args["replace_original"] is True and " in withdrawn" in blocks_text(redrawn.args)
    _, app = await bot.hiring.application(1, "UMANAGER")
    assert app.stage == "withdrawn"


async def test_each_stage_offers_exactly_its_allowed_moves(bot: Bot) -> None:
    op = await post_opening(bot)
    for name in ("Ann Applied", "Sam Screen", "Ivy Interview", "Rex Rejected"):
        await say(bot, f'add "{name}" OP-{op}')
    await say(bot, "move APP-2 screen")
    await say(bot, "move APP-3 screen")
    await say(bot, "move APP-3 interview")
    await say(bot, "move APP-4 rejected")
    blocks = await pipeline(bot, op)
    for ref, stage in (("APP-1", "applied"), ("APP-2", "screen"), ("APP-3", "interview"), ("APP-4", "rejected")):
        control = control_of(blocks, ref)
        assert control is not None and targets(control) == stages.allowed_moves(stage), ref
    assert control_of(blocks, "APP-3")["type"] == "overflow"  # type: ignore[index]
    reconsider = control_of(blocks, "APP-4")
    assert reconsider is not None and reconsider["type"] == "button", "an overflow needs two options"

    mark = bot.mark()
    await bot.click("pipeline_move", reconsider["value"])  # a button sends its value, not a selected_option
    redrawn = await bot.slack.wait_for("response_url", after=mark)
    assert " in applied" in blocks_text(redrawn.args)
    _, app = await bot.hiring.application(4, "UMANAGER")
    assert app.stage == "applied"


async def test_interviewers_see_the_pipeline_without_move_controls(bot: Bot) -> None:
    op = await post_opening(bot)
    await say(bot, f'add "Ada Lovelace" OP-{op}')
    await say(bot, f"team OP-{op} add <@UINT> interviewer")
    await say(bot, f"team OP-{op} add <@URECRUIT> recruiter")
    blocks = await pipeline(bot, op, user="UINT")
    assert "Ada Lovelace" in json.dumps(blocks)
    assert control_of(blocks, "APP-1") is None
    assert "pipeline_move" not in json.dumps(blocks)
    assert control_of(await pipeline(bot, op, user="URECRUIT"), "APP-1") is not None


async def test_the_next_hint_lists_every_allowed_stage(bot: Bot) -> None:
    op = await post_opening(bot)
    await say(bot, f'add "Ada Lovelace" OP-{op}')
    await say(bot, "move APP-1 screen")
    await say(bot, "move APP-1 interview")
    out = await say(bot, "move APP-1 offer")
    assert "Next: hired, applied, screen, interview, rejected, withdrawn." in out


async def test_an_outsider_who_adds_a_candidate_is_not_told_to_move_them(bot: Bot) -> None:
    op = await post_opening(bot)
    out = await say(bot, f'add "Ada Lovelace" OP-{op}', user="UFRIEND")
    assert "Added *APP-1*" in out and "/hiring move" not in out and "hiring team takes it from here" in out
    out = await say(bot, f'add "Grace Hopper" OP-{op}')
    assert "/hiring move APP-2 screen" in out


async def test_refusals_name_the_manager_and_carry_no_usage_line(bot: Bot) -> None:
    op = await post_opening(bot)
    await say(bot, f'add "Ada Lovelace" OP-{op}')
    await say(bot, f"team OP-{op} add <@UINT> interviewer")
    out = await say(bot, "move APP-1 screen", user="UINT")
    assert "Ask <@UMANAGER>, the hiring manager" in out and "@you" not in out
    assert "Usage" not in out
    out = await say(bot, "history APP-1", user="UOUTSIDER")
    assert "Ask <@UMANAGER> to add you" in out and "@you" not in out and "Usage" not in out
    out = await say(bot, f"team OP-{op} remove <@UNOBODY>")
    assert "<@UNOBODY> is not on the hiring team" in out
    assert "Usage" not in out, "a lookup that found nothing is not a typing mistake"


async def test_input_errors_without_a_hint_still_show_the_usage_line(bot: Bot) -> None:
    op = await post_opening(bot)
    out = await say(bot, f"reopen OP-{op}")  # already open: BadInput without a hint
    assert "already open" in out and "Usage: `/hiring reopen OP-12`" in out
