"""Publishing: paste → draft → opening → card in a channel, as one workflow.

The steps, and why they are split this way:

1. ``create_draft`` parses the paste and keeps it (the preview the user edits).
2. ``publish`` claims the draft (a double click posts once), creates the opening with the
   user as hiring manager — or finds the one an earlier, failed attempt created — and posts
   its card through the :class:`~bot.ports.Cards` port *outside* any transaction.
3. The card's place is recorded. If Slack refused the post (``not_in_channel`` is every
   new app's first error), the opening stays *unposted* with the reason, the claim is
   released, and publishing the same draft again posts it: nothing is stuck half-done.

Afterwards every change to an opening redraws its card: :meth:`Publishing.refresh` is
subscribed to :class:`~bot.changes.Changes` at start-up.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from . import ids
from .errors import BadInput, DeliveryFailed, NotFound
from .hiring import Hiring
from .model import Opening
from .parser_pool import InlineParser
from .parsing import ParsedPosting
from .ports import Cards, Channels, Parser

log = logging.getLogger("hirebot.publishing")

MAX_TITLE = 150
#: The seniority levels an opening may be given (the parser's vocabulary, offered in the edit form).
SENIORITIES = ("intern", "junior", "mid", "senior", "staff", "principal", "lead", "manager", "director",
               "executive")
#: A publish attempt that has not finished after this long was abandoned (the process died).
CLAIM_TIMEOUT = timedelta(minutes=2)


class PublishFailed(BadInput):
    """The opening exists but its card could not be posted; ``reason`` is Slack's error code."""


class Publishing:
    def __init__(self, hiring: Hiring, cards: Cards, channels: Channels, parser: Parser | None = None) -> None:
        self.hiring = hiring
        self.store = hiring.store
        self.cards = cards
        self.channels = channels
        self.parser = parser or InlineParser()
        hiring.changes.on_opening_changed(self.refresh)

    async def parse(self, text: str) -> ParsedPosting:
        """What hirebot reads in a paste (``/hiring parse``): nothing is saved."""
        return await self.parser.parse(text)

    async def create_draft(self, user: str, channel_id: str | None, text: str) -> tuple[int, ParsedPosting]:
        parsed = await self.parser.parse(text)
        async with self.store.transaction() as tx:
            draft_id = await tx.insert_draft(user, channel_id, parsed.to_dict(), self.hiring.clock())
        return draft_id, parsed

    async def _draft_row(self, draft_id: int, user: str) -> dict[str, Any]:
        async with self.store.transaction() as tx:
            row = await tx.draft(draft_id)
        if row is None or row["user_id"] != user:
            raise NotFound("draft_gone")
        if row["used_at"]:
            raise BadInput("already_posted", ref=ids.op(row["opening_id"]) if row["opening_id"] else None)
        return row

    async def draft(self, draft_id: int, user: str) -> tuple[ParsedPosting, str | None]:
        row = await self._draft_row(draft_id, user)
        return ParsedPosting.from_dict(json.loads(row["data"])), row["channel_id"]

    async def edit_draft(self, draft_id: int, user: str, edits: dict[str, Any],
                         channel_id: str | None) -> ParsedPosting:
        parsed, _ = await self.draft(draft_id, user)
        data = parsed.to_dict()
        data.update({k: v for k, v in edits.items() if k in data})
        async with self.store.transaction() as tx:
            await tx.update_draft(draft_id, data, channel_id)
        return ParsedPosting.from_dict(data)

    async def publish(self, draft_id: int, user: str, channel_id: str | None = None) -> Opening:
        """Post the draft's opening to ``channel_id`` (default: the channel it was drafted in)."""
        row = await self._draft_row(draft_id, user)
        target = channel_id or row["channel_id"]
        if not target:
            raise BadInput("no_channel")
        parsed = ParsedPosting.from_dict(json.loads(row["data"]))
        title = (parsed.title or "").strip()[:MAX_TITLE]
        if not title:
            raise BadInput("title_missing")
        private = await self.channels.is_private(target)
        now = self.hiring.clock()
        async with self.store.transaction() as tx:
            if not await tx.claim_draft(draft_id, now, now - CLAIM_TIMEOUT):
                raise BadInput("already_posting")
            opening_id = row["opening_id"]
            if opening_id is None:
                opening_id = await tx.insert_opening(title, parsed.to_dict(), user, target, private, now)
                await tx.link_draft(draft_id, opening_id)
                await tx.audit(user, "opening.create", ids.op(opening_id), None, now)
            op = await self.hiring.load_opening(tx, opening_id)
        try:
            card = await self.cards.post(op, target)
        except DeliveryFailed as exc:
            async with self.store.transaction() as tx:
                await tx.set_post_error(op.id, exc.reason)
                await tx.release_draft(draft_id)
            raise PublishFailed("card_not_posted", ref=op.ref, channel=target, reason=exc.reason) from exc
        except BaseException:
            async with self.store.transaction() as tx:
                await tx.release_draft(draft_id)
            raise
        async with self.store.transaction() as tx:
            await tx.set_opening_message(op.id, card.channel_id, card.ts, card.permalink)
            await tx.finish_draft(draft_id, self.hiring.clock())
            return await self.hiring.load_opening(tx, op.id)

    async def refresh(self, op: Opening) -> None:
        """Redraw a posted card after a change (subscribed to opening changes), as the database
        has it now: redraws are paced (bot/changes.py), so the changes since the last one all
        show, and whoever announced the change need not have counted the candidates."""
        if not op.posted:
            return
        async with self.store.reading() as tx:
            now = await self.hiring.load_opening(tx, op.id)
        if now.posted:
            await self.cards.update(now)
