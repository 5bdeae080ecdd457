"""What every listener needs: the domain services, the renderer, and ways to reply.

Reply rules live here so each listener stays a few lines: anything with candidate data goes
to one person only (ephemeral via ``response_url``, ``chat.postEphemeral``, or a DM); only
opening cards, which hold no candidate data, are posted to channels. Every word comes from
``templates/``: errors from ``replies/errors.j2`` by their code, confirmations from
``replies/messages.j2``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Config
from bot.digests import Digests
from bot.errors import HiringError
from bot.followups import Followups
from bot.hiring import Hiring
from bot.publishing import Publishing
from bot.scheduler import Scheduler
from handlers.slack.cards import SlackCards
from handlers.slack.render import MAX_SECTION, Renderer

if TYPE_CHECKING:
    from handlers.slack.outbox import SlackOutbox

log = logging.getLogger("hirebot")

Respond = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Reply:
    """A rendered private reply, before it is known how it goes out (the ack's body, or a
    response URL and its fallbacks): the notification text and the blocks."""

    text: str
    blocks: list[dict[str, Any]]


def who(body: dict[str, Any]) -> tuple[str, str | None]:
    """The acting user and the channel of an interaction payload (buttons, menus)."""
    user = (body.get("user") or {}).get("id", "")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    return str(user or ""), (str(channel) if channel else None)


@dataclass(slots=True)
class AppContext:
    config: Config
    hiring: Hiring
    publishing: Publishing
    renderer: Renderer
    followups: Followups
    digests: Digests
    outbox: SlackOutbox
    scheduler: Scheduler
    cards: SlackCards
    #: Help replies already rendered, by topic: help is the most frequent command and its words
    #: change only with the templates (kept empty when templates reload on every edit).
    help_replies: dict[str | None, Reply] = field(default_factory=dict)

    # ------------------------------------------------------------------ words
    def error_words(self, err: HiringError) -> tuple[str, str | None]:
        found = self.renderer.phrase("replies/errors.j2", err.code, err.params)
        if found is None:
            log.error("no wording for error code %r in replies/errors.j2", err.code)
            found = self.renderer.phrase("replies/errors.j2", "internal", {})
            assert found is not None
        return found

    def error_words_for(self, code: str, **params: Any) -> str:
        """Just the sentence, for a modal field's inline error."""
        return self.error_words(HiringError(code, **params))[0]

    def words(self, code: str, **params: Any) -> tuple[str, str | None]:
        found = self.renderer.phrase("replies/messages.j2", code, params)
        if found is None:
            raise KeyError(f"no wording for message {code!r} in replies/messages.j2")
        return found

    # ------------------------------------------------------------------ private replies
    def rendered(self, template: str, text: str, **ctx: Any) -> Reply:
        return Reply(text, self.renderer.blocks(template, **ctx))

    def error_reply(self, err: HiringError, usage: str | None = None) -> Reply:
        """The error's words; ``usage`` (a command's usage line) is shown when it has no hint."""
        message, hint = self.error_words(err)
        return self.rendered("error.j2", text=message, message=message, hint=hint, usage=usage)

    async def answer_in_ack(self, ack: AsyncAck, reply: Reply) -> None:
        """Acknowledge a slash command with its reply as the body: an ephemeral message like any
        other (the blocks are already within Slack's limits, see ``render.fit_blocks``), in the
        same HTTP response or Socket Mode envelope, so no second request follows. The fallback
        text is clipped like a section's: it can hold what was typed, up to 200,000 characters."""
        text = reply.text if len(reply.text) <= MAX_SECTION else reply.text[:MAX_SECTION - 1] + "…"
        await ack(text=text, blocks=reply.blocks, response_type="ephemeral")

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
            except Exception:  # response_url expired or missing: fall back below
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
                    err: HiringError, usage: str | None = None) -> None:
        """:meth:`error_reply`, to ``user`` only."""
        reply = self.error_reply(err, usage)
        await self.private_blocks(client=client, user=user, channel=channel, respond=respond, text=reply.text,
                                  blocks=reply.blocks)

    @asynccontextmanager
    async def reporting(self, *, client: AsyncWebClient, user: str, channel: str | None, respond: Respond | None,
                        failure: str = "internal") -> AsyncIterator[None]:
        """Run a listener's work; a domain error becomes its own message, anything else an apology
        (the traceback goes to the log, never to the user)."""
        try:
            yield
        except HiringError as err:
            await self.error(client=client, user=user, channel=channel, respond=respond, err=err)
        except Exception:
            log.exception("listener failed for %s", user)
            await self.error(client=client, user=user, channel=channel, respond=respond, err=HiringError(failure))

    async def replace(self, respond: Respond, code: str, **params: Any) -> None:
        """Replace the message a button sat on with a confirmation from ``replies/messages.j2``."""
        message, hint = self.words(code, **params)
        await respond(replace_original=True, response_type="ephemeral", text=message,
                      blocks=self.renderer.blocks("info.j2", message=message, hint=hint))

    async def info(self, *, client: AsyncWebClient, user: str, channel: str | None, respond: Respond | None,
                   code: str, params: dict[str, Any]) -> None:
        """A confirmation from ``replies/messages.j2``, to ``user`` only."""
        message, hint = self.words(code, **params)
        await self.private(client=client, user=user, channel=channel, respond=respond, template="info.j2",
                           text=message, message=message, hint=hint)

