"""Events: replies in a card's thread become notes; App Home shows your pipeline."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import stages
from bot.errors import HiringError
from handlers.slack.replies import AppContext

log = logging.getLogger("hirebot")
_IGNORED_SUBTYPES = {"message_changed", "message_deleted", "bot_message", "channel_join", "channel_leave"}


def register(app: AsyncApp, ctx: AppContext) -> None:
    @app.event("message")
    async def on_message(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        thread_ts, ts = event.get("thread_ts"), event.get("ts")
        if not thread_ts or thread_ts == ts or event.get("subtype") in _IGNORED_SUBTYPES or event.get("bot_id"):
            return
        # Slack retries an event it thinks we missed, to any replica; the event id, recorded with
        # the note in one transaction, makes the second one a no-op.
        key = str(body.get("event_id") or f"{event.get('channel')}:{ts}")
        channel, user = str(event.get("channel") or ""), str(event.get("user") or "")
        try:
            subject = await ctx.hiring.thread_reply(channel, str(thread_ts), user, str(event.get("text") or ""),
                                                    str(ts or ""), event_key=key)
        except HiringError as err:  # under our card but not kept: tell the author, only them
            message, hint = ctx.error_words(err)
            try:
                await client.chat_postEphemeral(channel=channel, user=user, thread_ts=str(thread_ts), text=message,
                                                blocks=ctx.renderer.blocks("error.j2", message=message, hint=hint,
                                                                           usage=None))
            except Exception:  # an exception escaping an event listener makes bolt drop its ack
                log.exception("could not tell %s why a thread reply was not kept", user)
            return
        except Exception:
            log.exception("a thread reply could not be handled")
            return
        if subject:
            log.info("saved thread reply as a note on %s", subject)

    @app.event("app_home_opened")
    async def on_home(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user = str(event.get("user") or "")
        try:  # an exception escaping an event listener makes bolt drop its ack (Slack then retries)
            data = await ctx.hiring.home(user)
            view = ctx.renderer.view("home.j2", stages=stages.STAGES, **data)
            await client.views_publish(user_id=user, view=view)
        except Exception:
            log.exception("App Home failed for %s", user)
