"""Modal submissions: paste → editable preview → post; refer a candidate."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.publishing import SENIORITIES
from handlers.slack.replies import AppContext


def _value(view: dict[str, Any], block: str) -> Any:
    state = ((view.get("state") or {}).get("values") or {}).get(block) or {}
    for element in state.values():
        kind = element.get("type")
        if kind == "conversations_select":
            return element.get("selected_conversation")
        if kind == "static_select":
            return (element.get("selected_option") or {}).get("value")
        return element.get("value")
    return None


def _text(view: dict[str, Any], block: str) -> str:
    value = _value(view, block)
    return value.strip() if isinstance(value, str) else ""


def _lines(value: str | None) -> list[str]:
    return [ln.strip(" •-*\t") for ln in (value or "").splitlines() if ln.strip(" •-*\t")]


def register(app: AsyncApp, ctx: AppContext) -> None:
    def field_error(block: str, code: str) -> dict[str, str]:
        return {block: ctx.error_words_for(code)}

    @app.view("post_modal")
    async def post_modal(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        text = _value(view, "posting") or ""
        channel = _value(view, "channel")
        if not str(text).strip():
            await ack(response_action="errors", errors=field_error("posting", "paste_here"))
            return
        user = body["user"]["id"]
        # Parsing takes milliseconds, so the preview can be the ack itself (inside Slack's 3 s).
        draft_id, parsed = await ctx.publishing.create_draft(user, channel, str(text))
        await ack(response_action="update", view=ctx.renderer.view(
            "edit_modal.j2", p=parsed, draft_id=draft_id, channel=channel, seniorities=SENIORITIES))

    @app.view("edit_modal")
    async def edit_modal(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        title = _text(view, "title")
        channel = _value(view, "channel")
        if not title:
            await ack(response_action="errors", errors=field_error("title", "title_required"))
            return
        if not channel:
            await ack(response_action="errors", errors=field_error("channel", "channel_required"))
            return
        await ack()
        user = body["user"]["id"]
        async with ctx.reporting(client=client, user=user, channel=channel, respond=None, failure="internal_post"):
            draft_id = int(view.get("private_metadata") or 0)
            seniority = _value(view, "seniority")
            edits = {"title": title, "team": _text(view, "team") or None,
                     "locations": _lines(_value(view, "locations")),
                     "seniority": seniority if seniority in SENIORITIES else None,
                     "requirements": _lines(_value(view, "requirements"))}
            await ctx.publishing.edit_draft(draft_id, user, edits, channel)
            op = await ctx.publishing.publish(draft_id, user, channel)
            await ctx.info(client=client, user=user, channel=channel, respond=None, code="posted", params={"op": op})

    @app.view("refer_modal")
    async def refer_modal(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        name = _text(view, "name")
        email = _text(view, "email") or None
        if not name:
            await ack(response_action="errors", errors=field_error("name", "name_required"))
            return
        if email and ("@" not in email or " " in email):
            await ack(response_action="errors", errors=field_error("email", "bad_email_field"))
            return
        await ack()
        user = body["user"]["id"]
        op_id = int(view.get("private_metadata") or 0)
        async with ctx.reporting(client=client, user=user, channel=None, respond=None, failure="internal_refer"):
            op, application = await ctx.hiring.refer(op_id, user, name, email, _text(view, "note"))
            await ctx.info(client=client, user=user, channel=op.channel_id, respond=None, code="referred",
                           params={"op": op, "app": application})
