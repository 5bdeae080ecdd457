"""Buttons on follow-up DMs (advance, reject, snooze, done) and on `/hiring reminders` (cancel).

Each nudge button carries ``batch:application:stage``. It acts through the domain, then
redraws the whole DM in place from the database, so the row shows what happened and a stale
button (the candidate moved meanwhile) changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import stages
from bot.errors import HiringError
from handlers.slack.replies import AppContext, who
from handlers.slack.outbox import nudge_blocks

_VALUE = re.compile(r"^(\d{1,12}):(\d{1,12}):([a-z]+)$")
NUDGE_ACTIONS = re.compile(r"^nudge_(advance|reject|snooze_1|snooze_3|done)$")


def register(app: AsyncApp, ctx: AppContext) -> None:
    @app.action(NUDGE_ACTIONS)
    async def nudge_button(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                           respond: AsyncRespond) -> None:
        await ack()
        user, channel = who(body)
        async with ctx.reporting(client=client, user=user, channel=channel, respond=None):
            m = _VALUE.match(str(action.get("value") or ""))
            if not m:
                raise HiringError("That button is out of date.", "See waiting candidates with `/hiring pipeline OP-12`.")
            batch_id, app_id, stage = int(m.group(1)), int(m.group(2)), m.group(3)
            kind = str(action.get("action_id", ""))[len("nudge_"):]
            if kind in {"advance", "reject"}:
                target = stages.next_stage(stage) if kind == "advance" else "rejected"
                op, _, _ = await ctx.hiring.move(app_id, user, target or "", "from a follow-up reminder",
                                                 expected_stage=stage)
                await ctx.refresh_card(client, op)
            elif kind.startswith("snooze_"):
                await ctx.followups.snooze(app_id, user, int(kind[-1]))
            else:
                await ctx.followups.done(app_id, user)
            batch = await ctx.followups.batch(batch_id, user)
            await respond(replace_original=True, text=f"{len(batch.items)} waiting candidates",
                          blocks=nudge_blocks(ctx.renderer, batch))

    @app.action("reminder_cancel")
    async def reminder_cancel(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                              respond: AsyncRespond) -> None:
        await ack()
        user, channel = who(body)
        async with ctx.reporting(client=client, user=user, channel=channel, respond=None):
            value = str(action.get("value") or "")
            if not value.isdigit():
                raise HiringError("That button is out of date.", "See your reminders with `/hiring reminders`.")
            await ctx.followups.cancel(user, int(value))
            await ctx.scheduler.rearm()
            person = await ctx.followups.person(user)
            mine = await ctx.followups.reminders_of(user)
            await respond(replace_original=True, response_type="ephemeral", text="Your reminders",
                          blocks=ctx.renderer.blocks("reminders.j2", reminders=mine, tz=person.tz_name))
