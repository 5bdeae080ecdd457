"""The Slack side of the domain's ``Cards`` and ``Channels`` ports.

A card holds an opening and its stage counts, never a candidate, so it may go to any channel.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import stages
from bot.errors import DeliveryFailed
from bot.model import Opening
from bot.ports import PostedCard
from handlers.slack.render import Renderer

log = logging.getLogger("hirebot.cards")
#: How long a channel's member list is trusted (joins and leaves are rare, lists can be long).
MEMBERS_TTL = 60.0


def is_private(channel_info: dict[str, Any]) -> bool:
    """Private channel, DM or group DM: places where only invited people read."""
    return bool(channel_info.get("is_private") or channel_info.get("is_im") or channel_info.get("is_mpim"))


class SlackCards:
    def __init__(self, client: AsyncWebClient, renderer: Renderer) -> None:
        self.client = client
        self.renderer = renderer
        self._members: dict[str, tuple[float, frozenset[str]]] = {}

    def blocks(self, op: Opening) -> list[dict[str, Any]]:
        return self.renderer.blocks("card.j2", op=op, stages=stages.STAGES)

    def _text(self, op: Opening) -> str:
        return self.renderer.text("replies/card_text.j2", op=op)

    async def post(self, op: Opening, channel_id: str) -> PostedCard:
        try:
            resp = await self.client.chat_postMessage(channel=channel_id, text=self._text(op),
                                                      blocks=self.blocks(op), unfurl_links=False)
        except SlackApiError as exc:
            raise DeliveryFailed(str(exc.response.get("error") or "unknown_error")) from exc
        ts = str(resp["ts"])
        where = str(resp.get("channel") or channel_id)
        permalink = None
        try:
            permalink = (await self.client.chat_getPermalink(channel=where, message_ts=ts)).get("permalink")
        except SlackApiError:
            log.info("no permalink for %s", op.ref)
        return PostedCard(where, ts, permalink)

    async def update(self, op: Opening) -> None:
        """Update the card's counts/status in place. A failure here must not fail the command."""
        if not (op.channel_id and op.message_ts):
            return
        try:
            await self.client.chat_update(channel=op.channel_id, ts=op.message_ts, text=self._text(op),
                                          blocks=self.blocks(op))
        except SlackApiError as exc:
            log.warning("could not update card of %s: %s", op.ref, exc.response.get("error"))

    async def channel_info(self, channel_id: str) -> dict[str, Any]:
        """conversations.info's channel, or {} when Slack will not say (treated as public)."""
        try:
            info = await self.client.conversations_info(channel=channel_id)
            return dict(info.get("channel") or {})
        except SlackApiError:
            return {}

    async def is_private(self, channel_id: str) -> bool:
        return is_private(await self.channel_info(channel_id))

    async def is_member(self, channel_id: str, user: str) -> bool:
        """conversations.members, paged and cached briefly (a list is a burst of Slack calls
        otherwise). Unknown (Slack refuses, hirebot is not in the channel) means no."""
        now = time.monotonic()
        cached = self._members.get(channel_id)
        if cached is None or now - cached[0] > MEMBERS_TTL:
            members: set[str] = set()
            cursor = None
            try:
                while True:
                    resp = await self.client.conversations_members(channel=channel_id, limit=1000,
                                                                   **({"cursor": cursor} if cursor else {}))
                    members.update(str(m) for m in resp.get("members") or [])
                    cursor = (resp.get("response_metadata") or {}).get("next_cursor")
                    if not cursor:
                        break
            except SlackApiError as exc:
                log.info("no member list for %s: %s", channel_id, exc.response.get("error"))
            cached = (now, frozenset(members))
            self._members[channel_id] = cached
        return user in cached[1]
