"""Buttons and menus on previews, cards and pipelines: Post/Edit/Cancel, Refer/Discuss, moves."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import BadInput
from bot.publishing import SENIORITIES
from handlers.listeners.commands.candidates import PER_STAGE, pipeline_blocks
from handlers.slack.replies import AppContext, Respond, who

log = logging.getLogger("hirebot")

Work = Callable[[str, str | None], Awaitable[None]]


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def register(app: AsyncApp, ctx: AppContext) -> None:
    async def guarded(body: dict[str, Any], client: AsyncWebClient, respond: Respond | None, work: Work) -> None:
        user, channel = who(body)
        async with ctx.reporting(client=client, user=user, channel=channel, respond=respond):
            await work(user, channel)

    @app.action("draft_post")
    async def draft_post(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                         respond: AsyncRespond) -> None:
        await ack()

        async def work(user: str, channel: str | None) -> None:
            op = await ctx.publishing.publish(_int(action.get("value")) or 0, user, None)
            await ctx.replace(respond, "posted", op=op)

        await guarded(body, client, respond, work)

    @app.action("draft_edit")
    async def draft_edit(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                         respond: AsyncRespond) -> None:
        await ack()

        async def work(user: str, channel: str | None) -> None:
            draft_id = _int(action.get("value")) or 0
            parsed, draft_channel = await ctx.publishing.draft(draft_id, user)
            view = ctx.renderer.view("edit_modal.j2", p=parsed, draft_id=draft_id, channel=draft_channel or channel,
                                     seniorities=SENIORITIES)
            await client.views_open(trigger_id=body["trigger_id"], view=view)

        await guarded(body, client, respond, work)

    @app.action("draft_cancel")
    async def draft_cancel(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        if body.get("response_url"):  # bolt's respond raises without one; nothing to delete then
            await respond(delete_original=True)

    @app.action("card_refer")
    async def card_refer(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                         respond: AsyncRespond) -> None:
        await ack()

        async def work(user: str, channel: str | None) -> None:
            op = await ctx.hiring.referable(_int(action.get("value")) or 0, user)
            await client.views_open(trigger_id=body["trigger_id"], view=ctx.renderer.view("refer_modal.j2", op=op))

        await guarded(body, client, None, work)

    @app.action("card_discuss")
    async def card_discuss(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()

        async def work(user: str, channel: str | None) -> None:
            op = await ctx.hiring.opening(_int(action.get("value")) or 0, user)
            await ctx.info(client=client, user=user, channel=channel, respond=None, code="discuss", params={"op": op})

        await guarded(body, client, None, work)

    @app.action("forget_confirm")
    async def forget_confirm(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                             respond: AsyncRespond) -> None:
        await ack()

        async def work(user: str, channel: str | None) -> None:
            app = await ctx.hiring.forget(_int(action.get("value")) or 0, user)
            await ctx.replace(respond, "forgotten", app=app)

        await guarded(body, client, respond, work)

    @app.action("pipeline_move")
    async def pipeline_move(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                            respond: AsyncRespond) -> None:
        await ack()

        async def work(user: str, channel: str | None) -> None:
            value = ((action.get("selected_option") or {}).get("value") or action.get("value") or "")
            parts = str(value).split(":")
            app_id = _int(parts[0]) if len(parts) == 3 else None
            if app_id is None:
                raise BadInput("stale_button", where="pipeline")
            op, _, _ = await ctx.hiring.move(app_id, user, parts[2], None, expected_stage=parts[1])
            op, by_stage = await ctx.hiring.pipeline(op.id, user, first=PER_STAGE)
            await respond(replace_original=True, response_type="ephemeral", text=op.ref,
                          blocks=pipeline_blocks(ctx, op, by_stage, user))

        await guarded(body, client, respond, work)
