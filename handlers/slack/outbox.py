"""Scheduled messages out to Slack: nudge DMs, reminder DMs, channel digests; time zones in.

The adapter between :mod:`bot.scheduler` (which decides what goes out) and Slack. It renders
from templates, paces posts to about one message per second per channel (Slack's rule for
chat.postMessage) across every replica, through :class:`bot.leases.ChannelPacing`, lets slack_sdk
retry 429s after ``Retry-After``, and retries other transient failures with exponential backoff.
A send that still fails raises, so the scheduler keeps the work pending and logs it: nothing is
silently dropped. Right before the chat.postMessage of a scheduled job it asks the domain whether
the job is still this replica's (``still_ours``) and posts nothing if not.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import stages
from bot.digests import Digest, DueDigest
from bot.followups import Followups, NudgeBatch, Reminder
from bot.leases import ChannelPacing
from bot.ports import StillOurs
from handlers.slack.render import Renderer

log = logging.getLogger("hirebot.outbox")

#: Errors where trying again cannot help (the channel is gone, hirebot was removed...).
PERMANENT = {"channel_not_found", "not_in_channel", "is_archived", "account_inactive", "user_not_found",
             "invalid_auth", "not_authed", "token_revoked", "cannot_dm_bot", "user_disabled", "missing_scope"}
NUDGE_ITEMS = 20


def nudge_blocks(renderer: Renderer, batch: NudgeBatch) -> list[dict[str, Any]]:
    """A nudge DM; also what its buttons redraw in place."""
    return renderer.blocks("nudge.j2", batch=batch, limit=NUDGE_ITEMS)


def digest_blocks(renderer: Renderer, digest: Digest, tz: str, *, schedule: str | None = None,
                  preview: bool = False) -> list[dict[str, Any]]:
    """A digest as posted, previewed, or printed by ``hirebot digest --print`` (no Slack needed)."""
    return renderer.blocks("digest.j2", digest=digest, tz=tz, stages=stages.STAGES,
                           open_stages=stages.OPEN_STAGES, schedule=schedule, preview=preview)


class SlackOutbox:
    def __init__(self, client: AsyncWebClient, renderer: Renderer, followups: Followups, *,
                 per_channel_interval: float = 1.0, attempts: int = 4, backoff: float = 1.0,
                 pacing: ChannelPacing | None = None) -> None:
        self.client = client
        self.renderer = renderer
        self.followups = followups
        self.interval = per_channel_interval
        self.attempts = attempts
        self.backoff = backoff
        self.pacing = pacing or ChannelPacing(followups.hiring.store, followups.replica)
        self._dm_channels: dict[str, str] = {}

    # ------------------------------------------------------------------ Directory
    async def timezone(self, user: str) -> str | None:
        resp = await self.client.users_info(user=user)
        return (resp.get("user") or {}).get("tz")

    # ------------------------------------------------------------------ Outbox
    async def send_nudges(self, batch: NudgeBatch, still_ours: StillOurs) -> bool:
        blocks = nudge_blocks(self.renderer, batch)
        return await self.dm(batch.user_id, self._words("nudge_text", batch=batch), blocks, still_ours)

    async def send_reminders(self, user: str, reminders: list[Reminder], still_ours: StillOurs) -> bool:
        person = await self.followups.people.person(user)
        blocks = self.renderer.blocks("reminder_dm.j2", reminders=reminders, tz=person.tz_name)
        return await self.dm(user, self._words("reminder_text", reminders=reminders), blocks, still_ours)

    async def send_digest(self, due: DueDigest, digest: Digest, still_ours: StillOurs) -> bool:
        sub = due.subscription
        blocks = digest_blocks(self.renderer, digest, sub.tz, schedule=sub.describe())
        return await self.post(sub.channel_id, self._words("digest_text", digest=digest), blocks, still_ours)

    def _words(self, code: str, **params: Any) -> str:
        """A notification's plain-text line (what Slack shows in alerts), from replies/messages.j2."""
        found = self.renderer.phrase("replies/messages.j2", code, params)
        if found is None:
            raise KeyError(f"no wording for {code!r} in replies/messages.j2")
        return found[0]

    # ------------------------------------------------------------------ sending
    async def dm(self, user: str, text: str, blocks: list[dict[str, Any]], still_ours: StillOurs | None = None) -> bool:
        if user not in self._dm_channels:
            opened = await self._call(lambda: self.client.conversations_open(users=user), f"DM {user}")
            self._dm_channels[user] = opened["channel"]["id"]
        return await self.post(self._dm_channels[user], text, blocks, still_ours)

    async def post(self, channel: str, text: str, blocks: list[dict[str, Any]],
                   still_ours: StillOurs | None = None) -> bool:
        """Post when the channel's pace allows (about one message per second, across replicas);
        False, and nothing posted, when ``still_ours`` says the job is not ours any more."""
        async with self.pacing.turn(channel, self.interval) as turn:
            if still_ours is not None and not await still_ours():
                turn.posted = False
                return False
            await self._call(lambda: self.client.chat_postMessage(channel=channel, text=text, blocks=blocks,
                                                                  unfurl_links=False), channel)
        return True

    async def _call(self, send: Any, where: str) -> Any:
        """Retry transient failures with exponential backoff (429s are retried inside slack_sdk)."""
        for attempt in range(1, self.attempts + 1):
            try:
                return await send()
            except SlackApiError as exc:
                error = exc.response.get("error")
                if error in PERMANENT or attempt == self.attempts:
                    log.error("giving up sending to %s after %d attempt(s): %s", where, attempt, error)
                    raise
                log.warning("sending to %s failed (%s); retry %d in %.1fs", where, error, attempt,
                            self.backoff * 2 ** (attempt - 1))
            except Exception as exc:
                if attempt == self.attempts:
                    log.error("giving up sending to %s after %d attempt(s): %r", where, attempt, exc)
                    raise
                log.warning("sending to %s failed (%r); retry %d", where, exc, attempt)
            await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        raise RuntimeError("unreachable")
