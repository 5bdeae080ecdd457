"""Domain fixtures: a real SQLite file, the real services, a controllable clock, and an outbox
that records what would go to Slack (the Slack side is tested end to end in tests/handlers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.digests import Digest, Digests, DueDigest
from bot.errors import DeliveryFailed
from bot.followups import Followups, NudgeBatch, Reminder
from bot.hiring import Hiring
from bot.leases import Replica
from bot.model import Opening
from bot.ports import PostedCard, StillOurs
from bot.publishing import Publishing
from bot.scheduler import Scheduler
from bot.storage import Store
from tests.clock import Clock


@dataclass
class RecordingOutbox:
    """Outbox that records messages; ``fail`` makes the next N sends raise (Slack down). Like the
    Slack one, it asks ``still_ours`` right before "posting" and records nothing when told no
    (``fenced`` counts those)."""

    nudges: list[NudgeBatch] = field(default_factory=list)
    reminders: list[tuple[str, list[Reminder]]] = field(default_factory=list)
    digests: list[tuple[DueDigest, Digest]] = field(default_factory=list)
    fail: int = 0
    sent_at: list[tuple[int, datetime]] = field(default_factory=list)
    fenced: int = 0

    def _maybe_fail(self) -> None:
        if self.fail > 0:
            self.fail -= 1
            raise ConnectionError("slack is down")

    async def _ours(self, still_ours: StillOurs) -> bool:
        if await still_ours():
            return True
        self.fenced += 1
        return False

    async def send_nudges(self, batch: NudgeBatch, still_ours: StillOurs) -> bool:
        self._maybe_fail()
        if not await self._ours(still_ours):
            return False
        self.nudges.append(batch)
        return True

    async def send_reminders(self, user: str, reminders: list[Reminder], still_ours: StillOurs) -> bool:
        self._maybe_fail()
        if not await self._ours(still_ours):
            return False
        self.reminders.append((user, reminders))
        now = datetime.now(UTC)
        self.sent_at.extend((r.id, now) for r in reminders)
        return True

    async def send_digest(self, due: DueDigest, digest: Digest, still_ours: StillOurs) -> bool:
        self._maybe_fail()
        if not await self._ours(still_ours):
            return False
        self.digests.append((due, digest))
        return True


@dataclass
class RecordingCards:
    """The Cards and Channels ports, in memory. ``refuse`` makes the next posts fail with
    that Slack error (e.g. ``not_in_channel``); ``private`` lists private channel ids."""

    posted: list[tuple[int, str]] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    refuse: list[str] = field(default_factory=list)
    private: set[str] = field(default_factory=set)

    async def post(self, op: Opening, channel_id: str) -> PostedCard:
        if self.refuse:
            raise DeliveryFailed(self.refuse.pop(0))
        self.posted.append((op.id, channel_id))
        return PostedCard(channel_id, f"1700.{op.id}", f"https://x.slack.test/{channel_id}/p{op.id}")

    async def update(self, op: Opening) -> None:
        self.updated.append(op.id)

    async def is_private(self, channel_id: str) -> bool:
        return channel_id in self.private


@dataclass
class World:
    path: Path
    store: Store
    clock: Clock
    hiring: Hiring
    followups: Followups
    digests: Digests
    outbox: RecordingOutbox
    scheduler: Scheduler
    cards: RecordingCards
    publishing: Publishing

    async def opening(self, manager: str = "UMGR", channel: str = "CJOBS", private: bool = False,
                      title: str = "Backend Engineer") -> int:
        # The channel's privacy as Slack reports it when the card is posted.
        (self.cards.private.add if private else self.cards.private.discard)(channel)
        draft, _ = await self.publishing.create_draft(manager, channel, f"{title}\nAcme\n\nRequirements:\n- Python")
        await self.publishing.edit_draft(draft, manager, {"title": title}, channel)  # as if typed in Edit
        op = await self.publishing.publish(draft, manager, channel)
        return op.id

    async def candidate(self, opening_id: int, name: str = "Ada Lovelace", stage: str = "applied",
                        manager: str = "UMGR") -> int:
        _, app = await self.hiring.add_candidate(opening_id, manager, name)
        path = ["screen", "interview", "offer"]
        for s in path[: path.index(stage) + 1] if stage != "applied" else []:
            await self.hiring.move(app.id, manager, s)
        return app.id

    async def restart(self) -> World:
        """Stop everything and open the same database file again, as after a crash or deploy."""
        await self.scheduler.stop()
        await self.store.close()
        fresh = await make_world(self.path, self.clock, self.outbox, cards=self.cards,
                                 replica=self.followups.replica)
        self.__dict__.update(fresh.__dict__)
        return self


async def make_world(path: Path, clock: Clock, outbox: RecordingOutbox | None = None,
                     admins: frozenset[str] = frozenset({"UADMIN"}), tz: str = "UTC",
                     cards: RecordingCards | None = None, replica: Replica | None = None) -> World:
    store = await Store(path).open()
    hiring = Hiring(store, admins=admins, clock=clock)
    followups = Followups(hiring, default_tz=tz, escalate_after=2, replica=replica)
    digests = Digests(hiring, followups)
    outbox = outbox or RecordingOutbox()
    scheduler = Scheduler(followups, digests, outbox)
    hiring.changes.on_schedule_changed(scheduler.rearm)
    cards = cards or RecordingCards()
    publishing = Publishing(hiring, cards, cards)
    return World(path, store, clock, hiring, followups, digests, outbox, scheduler, cards, publishing)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    # Monday 2 Nov 2026, 10:00 UTC: a working morning in UTC.
    w = await make_world(tmp_path / "h.db", Clock(datetime(2026, 11, 2, 10, 0, tzinfo=UTC)))
    yield w
    await w.hiring.changes.drained()  # card redraws read the database
    await w.scheduler.stop()
    await w.store.close()


__all__ = ["Any", "Clock", "RecordingCards", "RecordingOutbox", "World", "make_world"]
