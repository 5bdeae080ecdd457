"""Buttons and menus: preview Post/Edit/Cancel, card Refer/Discuss, pipeline moves."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import HiringError
from handlers.slack.replies import AppContext, who

log = logging.getLogger("hirebot")


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def register(app: AsyncApp, ctx: AppContext) -> None:
    async def guarded(body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond | None, work: Any) -> None:
        user, channel = who(body)
        async with ctx.reporting(client=client, user=user, channel=channel, respond=respond):
            await work(user, channel)

    @app.action("draft_post")
    async def draft_post(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                         respond: AsyncRespond) -> None:
        await ack()

        async def work(user: str, channel: str | None) -> None:
            draft_id = _int(action.get("value"))
            parsed, draft_channel = await ctx.hiring.draft(draft_id or 0, user)
            target = draft_channel or channel
            if not target:
                raise HiringError("I don't know which channel to post to.", "Use `/hiring post` in that channel.")
            private = await ctx.is_private_channel(client, target)
            op = await ctx.hiring.publish_draft(draft_id or 0, user, target, private)
            op = await ctx.post_card(client, op, target)
            await respond(replace_original=True, response_type="ephemeral",
                          text=f"Posted {op.ref} {op.title} to <#{target}>. You are its hiring manager.",
                          blocks=ctx.renderer.blocks(
                              "info.j2", message=f":white_check_mark: Posted *{op.ref}* {op.title} to <#{target}>. "
                                                 "You are its hiring manager.",
                              hint=f"Add people: `/hiring team {op.ref} add @user recruiter`. "
                                   f"Add candidates: `/hiring add \"Full Name\" {op.ref}`."))

        await guarded(body, client, respond, work)

    @app.action("draft_edit")
    async def draft_edit(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                         respond: AsyncRespond) -> None:
        await ack()

        async def work(user: str, channel: str | None) -> None:
            draft_id = _int(action.get("value")) or 0
            parsed, draft_channel = await ctx.hiring.draft(draft_id, user)
            view = ctx.renderer.view("edit_modal.j2", p=parsed, draft_id=draft_id, channel=draft_channel or channel,
                                     seniorities=SENIORITIES)
            await client.views_open(trigger_id=body["trigger_id"], view=view)

        await guarded(body, client, respond, work)

    @app.action("draft_cancel")
    async def draft_cancel(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond(delete_original=True)

    @app.action("card_refer")
    async def card_refer(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                         respond: AsyncRespond) -> None:
        await ack()

        async def work(user: str, channel: str | None) -> None:
            op = await ctx.hiring.opening(_int(action.get("value")) or 0)
            if op.status != "open":
                raise HiringError(f"{op.ref} is closed; it takes no new candidates.")
            await client.views_open(trigger_id=body["trigger_id"], view=ctx.renderer.view("refer_modal.j2", op=op))

        await guarded(body, client, None, work)

    @app.action("card_discuss")
    async def card_discuss(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()

        async def work(user: str, channel: str | None) -> None:
            op = await ctx.hiring.opening(_int(action.get("value")) or 0)
            await ctx.info(client=client, user=user, channel=channel, respond=None,
                           message=f"Reply in the thread under this card to discuss *{op.ref}*; replies are saved "
                                   "as notes. Start a reply with `APP-7` to note it on that candidate.")

        await guarded(body, client, None, work)

    @app.action("pipeline_move")
    async def pipeline_move(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                            respond: AsyncRespond) -> None:
        await ack()

        async def work(user: str, channel: str | None) -> None:
            value = ((action.get("selected_option") or {}).get("value") or action.get("value") or "")
            parts = value.split(":")
            if len(parts) != 3 or _int(parts[0]) is None:
                raise HiringError("That button is out of date.", "Open the pipeline again with `/hiring pipeline OP-12`.")
            op, app, before = await ctx.hiring.move(int(parts[0]), user, parts[2], None, expected_stage=parts[1])
            await ctx.refresh_card(client, op)
            op, by_stage = await ctx.hiring.pipeline(op.id, user)
            await respond(replace_original=True, response_type="ephemeral", text=f"{op.ref} pipeline",
                          blocks=ctx.pipeline_blocks(op, by_stage))

        await guarded(body, client, respond, work)


SENIORITIES = ["intern", "junior", "mid", "senior", "staff", "principal", "lead", "manager", "director", "executive"]
