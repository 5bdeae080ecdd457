"""Modal submissions: paste → editable preview → post; refer a candidate."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from handlers.listeners.actions.posting import SENIORITIES
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


def _lines(value: str | None) -> list[str]:
    return [ln.strip(" •-*\t") for ln in (value or "").splitlines() if ln.strip(" •-*\t")]


def register(app: AsyncApp, ctx: AppContext) -> None:
    @app.view("post_modal")
    async def post_modal(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        text = _value(view, "posting") or ""
        channel = _value(view, "channel")
        if not text.strip():
            await ack(response_action="errors", errors={"posting": "Paste the posting here."})
            return
        user = body["user"]["id"]
        # Parsing takes milliseconds, so the preview can be the ack itself (inside Slack's 3 s).
        draft_id, parsed = await ctx.hiring.create_draft(user, channel, text)
        await ack(response_action="update", view=ctx.renderer.view(
            "edit_modal.j2", p=parsed, draft_id=draft_id, channel=channel, seniorities=SENIORITIES))

    @app.view("edit_modal")
    async def edit_modal(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        title = (_value(view, "title") or "").strip()
        channel = _value(view, "channel")
        if not title:
            await ack(response_action="errors", errors={"title": "An opening needs a title."})
            return
        if not channel:
            await ack(response_action="errors", errors={"channel": "Pick the channel to post to."})
            return
        await ack()
        user = body["user"]["id"]
        async with ctx.reporting(client=client, user=user, channel=channel, respond=None,
                                 failure="Something went wrong posting the opening.", hint="Try `/hiring post` again."):
            draft_id = int(view.get("private_metadata") or 0)
            edits = {"title": title, "team": (_value(view, "team") or "").strip() or None,
                     "locations": _lines(_value(view, "locations")),
                     "seniority": _value(view, "seniority") if _value(view, "seniority") in SENIORITIES else None,
                     "requirements": _lines(_value(view, "requirements"))}
            await ctx.hiring.edit_draft(draft_id, user, edits, channel)
            private = await ctx.is_private_channel(client, channel)
            op = await ctx.hiring.publish_draft(draft_id, user, channel, private)
            op = await ctx.post_card(client, op, channel)
            await ctx.info(client=client, user=user, channel=channel, respond=None,
                           message=f":white_check_mark: Posted *{op.ref}* {op.title}. You are its hiring manager.",
                           hint=f"Add candidates: `/hiring add \"Full Name\" {op.ref}`.")

    @app.view("refer_modal")
    async def refer_modal(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        name = (_value(view, "name") or "").strip()
        email = (_value(view, "email") or "").strip() or None
        if not name:
            await ack(response_action="errors", errors={"name": "Their full name, please."})
            return
        if email and ("@" not in email or " " in email):
            await ack(response_action="errors", errors={"email": "That is not an e-mail address."})
            return
        await ack()
        user = body["user"]["id"]
        op_id = int(view.get("private_metadata") or 0)
        channel = None
        async with ctx.reporting(client=client, user=user, channel=None, respond=None,
                                 failure="Something went wrong saving the referral."):
            op, application = await ctx.hiring.add_candidate(op_id, user, name, email, "referral", user)
            channel = op.channel_id
            why = (_value(view, "note") or "").strip()
            if why and ctx.hiring.can_see_candidates(op, user):
                await ctx.hiring.note_application(application.id, user, why, "referral")
            await ctx.refresh_card(client, op)
            await ctx.info(client=client, user=user, channel=channel, respond=None,
                           message=f"Thanks! {name} is referred to *{op.ref}* {op.title} as *{application.ref}*. "
                                   "The hiring team will take it from here.")
