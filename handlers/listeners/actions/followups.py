"""Buttons on follow-up DMs (advance, reject, snooze, done) and on `/hiring reminders` (cancel).

Each nudge button carries ``batch:application:stage``. The domain acts (it decides what each
button means) and returns the DM as it should look now, which replaces the message in place,
so the row shows what happened and a stale button changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import BadInput
from handlers.listeners.inbox import durable
from handlers.slack.outbox import nudge_blocks
from handlers.slack.replies import AppContext, Respond, who

_VALUE = re.compile(r"^(\d{1,12}):(\d{1,12}):([a-z]{1,20})$")
NUDGE_ACTIONS = re.compile(r"^nudge_(advance|reject|snooze_1|snooze_3|done)$")


def register(app: AsyncApp, ctx: AppContext) -> None:
    inbox = durable(ctx)  # a click that was acknowledged is done even if hirebot dies right after

    async def act_on_nudge(body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                           respond: Respond | None) -> None:
        user, channel = who(body)
        async with ctx.reporting(client=client, user=user, channel=channel, respond=None):
            m = _VALUE.match(str(action.get("value") or ""))
            if not m:
                raise BadInput("stale_button", where="nudge")
            kind = str(action.get("action_id", ""))[len("nudge_"):]
            batch = await ctx.followups.sla.act_on_nudge(int(m.group(1)), int(m.group(2)), m.group(3), kind, user)
            if respond is not None:
                await respond(replace_original=True, text=str(len(batch.items)),
                              blocks=nudge_blocks(ctx.renderer, batch))

    async def cancel_reminder(body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                              respond: Respond | None) -> None:
        user, channel = who(body)
        async with ctx.reporting(client=client, user=user, channel=channel, respond=None):
            value = str(action.get("value") or "")
            if not value.isdigit():
                raise BadInput("stale_button", where="reminders")
            await ctx.followups.reminders.cancel(user, int(value))
            person = await ctx.followups.people.person(user)
            mine = await ctx.followups.reminders.reminders_of(user)
            if respond is not None:
                await respond(replace_original=True, response_type="ephemeral", text="reminders",
                              blocks=ctx.renderer.blocks("reminders.j2", reminders=mine, tz=person.tz_name))

    inbox.action("nudge", act_on_nudge)
    inbox.action("reminder_cancel", cancel_reminder)

    @app.action(NUDGE_ACTIONS)
    async def nudge_button(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                           respond: AsyncRespond) -> None:
        await inbox.action_ack("nudge", ack, body, action, client, respond)

    @app.action("reminder_cancel")
    async def reminder_cancel(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                              respond: AsyncRespond) -> None:
        await inbox.action_ack("reminder_cancel", ack, body, action, client, respond)
