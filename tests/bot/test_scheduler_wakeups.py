"""The wake-up for a due reminder is never lost while a run is in progress (real APScheduler)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.digests import Digest, DueDigest
from bot.ports import StillOurs
from tests.clock import Clock

from .conftest import RecordingOutbox, make_world


class SlowDigestOutbox(RecordingOutbox):
    """Posting the digest takes a while, so reminders fall due while a run is busy with it."""

    def __init__(self) -> None:
        super().__init__()
        self.digesting = asyncio.Event()

    async def send_digest(self, due: DueDigest, digest: Digest, still_ours: StillOurs) -> bool:
        self.digesting.set()
        await asyncio.sleep(0.5)
        return await super().send_digest(due, digest, still_ours)


async def test_a_reminder_set_while_a_run_is_busy_is_sent_without_waiting_for_the_sweep(tmp_path: Path) -> None:
    outbox = SlowDigestOutbox()
    world = await make_world(tmp_path / "w.db", Clock(datetime.now(UTC)), outbox)
    real = lambda: datetime.now(UTC)  # noqa: E731
    world.hiring.clock = real
    world.scheduler.clock = real
    try:
        op = await world.opening()
        await world.scheduler.start()  # nothing due yet; the sweep is 10 minutes away: no rescue from it
        now = real()
        # A digest due this very minute (subscribed yesterday), and a reminder due in a second:
        # the reminder's wake-up starts a run that then spends a while posting the digest.
        async with world.store.transaction() as tx:
            await tx.subscribe_digest("CJOBS", now.weekday(), now.strftime("%H:%M"), "UTC", "channel", False, "UMGR",
                                      now - timedelta(days=1))
            first = (now + timedelta(seconds=1)).replace(microsecond=0)
            a = await tx.insert_reminder("UA", op, None, None, "first", first, first, now)
        await world.scheduler.rearm()
        await asyncio.wait_for(outbox.digesting.wait(), 10)  # the run woken for `a` is now busy
        due = real().replace(microsecond=0)
        async with world.store.transaction() as tx:
            b = await tx.insert_reminder("UB", op, None, None, "set during the run", due, due, real())
        await world.scheduler.rearm()  # what setting a reminder does (the schedule changed)
        deadline = asyncio.get_running_loop().time() + 5
        while len(outbox.sent_at) < 2 and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110 - poll to a deadline
            await asyncio.sleep(0.05)
        assert [r for r, _ in outbox.sent_at] == [a, b]
        assert (outbox.sent_at[1][1] - due) < timedelta(seconds=3)
    finally:
        await world.scheduler.stop()
        await world.store.close()
