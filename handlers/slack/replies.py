"""What every listener needs: the domain service, the renderer, and ways to reply.

Reply rules live here so each listener stays a few lines: anything with candidate data goes
to one person only (ephemeral via ``response_url``, ``chat.postEphemeral``, or a DM); only
opening cards, which hold no candidate data, are posted to channels.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import stages
from bot.config import Config
from bot.digests import Digests
from bot.errors import HiringError
from bot.followups import Followups
from bot.hiring import Hiring, Opening
from handlers.slack.render import Renderer
from bot.scheduler import Scheduler

if TYPE_CHECKING:
    from handlers.slack.outbox import SlackOutbox

log = logging.getLogger("hirebot")

Respond = Callable[..., Awaitable[Any]]


def who(body: dict[str, Any]) -> tuple[str, str | None]:
    """The acting user and the channel of an interaction payload (buttons, menus)."""
    user = (body.get("user") or {}).get("id", "")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    return user, channel


def is_private(channel_info: dict[str, Any]) -> bool:
    """Private channel, DM or group DM: places where only invited people read."""
    return bool(channel_info.get("is_private") or channel_info.get("is_im") or channel_info.get("is_mpim"))


@dataclass(slots=True)
class AppContext:
    config: Config
    hiring: Hiring
    renderer: Renderer
    followups: Followups
    digests: Digests
    outbox: "SlackOutbox"
    scheduler: Scheduler

    # ------------------------------------------------------------------ private replies
    async def private(self, *, client: AsyncWebClient, user: str, channel: str | None, respond: Respond | None,
                      template: str, text: str, **ctx: Any) -> None:
        """Render ``template`` and show it to ``user`` only."""
        await self.private_blocks(client=client, user=user, channel=channel, respond=respond, text=text,
                                  blocks=self.renderer.blocks(template, **ctx))

    async def private_blocks(self, *, client: AsyncWebClient, user: str, channel: str | None,
                             respond: Respond | None, text: str, blocks: list[dict[str, Any]]) -> None:
        """Show rendered blocks to ``user`` only: response_url, else postEphemeral, else a DM."""
        if respond is not None:
            try:
                await respond(response_type="ephemeral", replace_original=False, text=text, blocks=blocks)
                return
            except Exception:  # noqa: BLE001 - response_url expired or missing: fall back below
                log.info("response_url failed; falling back to postEphemeral/DM", exc_info=True)
        if channel:
            try:
                await client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks)
                return
            except SlackApiError as exc:
                log.info("postEphemeral failed (%s); sending a DM", exc.response.get("error"))
        await self.dm(client=client, user=user, text=text, blocks=blocks)

    async def dm(self, *, client: AsyncWebClient, user: str, text: str, blocks: list[dict[str, Any]]) -> str | None:
        opened = await client.conversations_open(users=user)
        channel = opened["channel"]["id"]
        resp = await client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        return str(resp.get("ts") or "") or None

    async def error(self, *, client: AsyncWebClient, user: str, channel: str | None, respond: Respond | None,
                    err: HiringError | str, hint: str | None = None) -> None:
        message = str(err)
        hint = hint if hint is not None else getattr(err, "hint", None)
        await self.private(client=client, user=user, channel=channel, respond=respond, template="error.j2",
                           text=message, message=message, hint=hint)

    @asynccontextmanager
    async def reporting(self, *, client: AsyncWebClient, user: str, channel: str | None, respond: Respond | None,
                        failure: str = "Something went wrong on hirebot's side.",
                        hint: str = "Try again in a minute.") -> AsyncIterator[None]:
        """Run a listener's work; a domain error becomes its own message, anything else an apology
        (the traceback goes to the log, never to the user)."""
        try:
            yield
        except HiringError as err:
            await self.error(client=client, user=user, channel=channel, respond=respond, err=err)
        except Exception:  # noqa: BLE001
            log.exception("listener failed for %s", user)
            await self.error(client=client, user=user, channel=channel, respond=respond, err=failure, hint=hint)

    async def info(self, *, client: AsyncWebClient, user: str, channel: str | None, respond: Respond | None,
                   message: str, hint: str | None = None) -> None:
        await self.private(client=client, user=user, channel=channel, respond=respond, template="info.j2",
                           text=message, message=message, hint=hint)

    def pipeline_blocks(self, op: Opening, by_stage: dict[str, list[Any]]) -> list[dict[str, Any]]:
        """The pipeline view, shared by `/hiring pipeline` and the refresh after a menu move."""
        return self.renderer.blocks("pipeline.j2", op=op, by_stage=by_stage, stages=stages.STAGES,
                                    open_stages=stages.OPEN_STAGES, allowed=stages.allowed_moves,
                                    now=self.hiring.clock(), per_stage=8)

    # ------------------------------------------------------------------ cards
    def card_blocks(self, op: Opening) -> list[dict[str, Any]]:
        return self.renderer.blocks("card.j2", op=op, stages=stages.STAGES)

    async def post_card(self, client: AsyncWebClient, op: Opening, channel: str) -> Opening:
        resp = await client.chat_postMessage(channel=channel, text=f"{op.ref} {op.title}", blocks=self.card_blocks(op),
                                             unfurl_links=False)
        ts = str(resp["ts"])
        channel_id = str(resp.get("channel") or channel)
        permalink = None
        try:
            permalink = (await client.chat_getPermalink(channel=channel_id, message_ts=ts)).get("permalink")
        except SlackApiError:
            log.info("no permalink for %s", op.ref)
        await self.hiring.attach_card(op.id, channel_id, ts, permalink)
        return await self.hiring.opening(op.id)

    async def refresh_card(self, client: AsyncWebClient, op: Opening) -> None:
        """Update the card's counts/status in place. A failure here must not fail the command."""
        if not (op.channel_id and op.message_ts):
            return
        try:
            await client.chat_update(channel=op.channel_id, ts=op.message_ts, text=f"{op.ref} {op.title}",
                                     blocks=self.card_blocks(op))
        except SlackApiError as exc:
            log.warning("could not update card of %s: %s", op.ref, exc.response.get("error"))

    async def channel_info(self, client: AsyncWebClient, channel: str) -> dict[str, Any]:
        """conversations.info's channel, or {} when Slack will not say (treated as public)."""
        try:
            info = await client.conversations_info(channel=channel)
            return dict(info.get("channel") or {})
        except SlackApiError:
            return {}

    async def is_private_channel(self, client: AsyncWebClient, channel: str) -> bool:
        return is_private(await self.channel_info(client, channel))
