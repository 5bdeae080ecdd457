"""100,000 pending reminders: start-up rebuild time, resident memory, lateness under load.

Goals (issue 5): rebuild < 5 s, RSS < 300 MB, reminders fire within 1 s of due.

The baseline, measured in the same run on the same rows, is the obvious alternative design:
one APScheduler date job per pending reminder. hirebot keeps one wake-up job per kind
(``reminders`` at the earliest due time) and reads the rest from SQLite when it fires, so the
ratio shows what that choice buys.

Lateness: 1,000 of the reminders fall due over five consecutive seconds, to 1,000 different
people, while the other 99,000 wait. Two deliveries are measured: an in-process outbox (the
cost of the scheduler + SQLite alone) and the real SlackOutbox posting over loopback HTTP to
``FakeSlack`` (conversations.open + chat.postMessage per person, as in production).

    .venv/bin/python bench/reminders_bench.py [--pending 100000] [--burst 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.clock import iso
from bot.digests import Digests
from bot.followups import Followups, Reminder
from bot.hiring import Hiring
from bot.scheduler import Scheduler
from bot.storage import Store
from handlers.slack.render import Renderer


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Recorder:
    """An outbox that only notes when each reminder was handed over."""

    def __init__(self) -> None:
        self.sent: dict[int, datetime] = {}
        self.changed = asyncio.Event()

    async def send_reminders(self, user: str, reminders: list[Reminder], still_ours: Any) -> bool:
        if not await still_ours():
            return False
        now = datetime.now(UTC)
        for r in reminders:
            self.sent[r.id] = now
        self.changed.set()
        return True

    async def send_nudges(self, batch: Any, still_ours: Any) -> bool:
        return False

    async def send_digest(self, due: Any, digest: Any, still_ours: Any) -> bool:
        return False


class TimedSlackOutbox:
    """The real SlackOutbox, noting when each reminder's DM was accepted by (fake) Slack."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.sent: dict[int, datetime] = {}
        self.changed = asyncio.Event()

    async def send_reminders(self, user: str, reminders: list[Reminder], still_ours: Any) -> bool:
        if not await self.inner.send_reminders(user, reminders, still_ours):
            return False
        now = datetime.now(UTC)
        for r in reminders:
            self.sent[r.id] = now
        self.changed.set()
        return True

    async def send_nudges(self, batch: Any, still_ours: Any) -> bool:
        return bool(await self.inner.send_nudges(batch, still_ours))

    async def send_digest(self, due: Any, digest: Any, still_ours: Any) -> bool:
        return bool(await self.inner.send_digest(due, digest, still_ours))


async def seed(path: Path, pending: int, burst_at: datetime, burst: int) -> list[tuple[int, datetime]]:
    """``pending`` reminders on one opening; ``burst`` of them due in the 5 s from ``burst_at``."""
    store = await Store(path).open()
    hiring = Hiring(store)
    async with store.transaction() as tx:  # an opening as publishing leaves it
        oid = await tx.insert_opening("Backend Engineer", {}, "UMGR", "CJOBS", False, datetime.now(UTC))
    op = await hiring.opening(oid)
    now = datetime.now(UTC)
    rows = []
    for i in range(pending):
        if i < burst:
            due = burst_at + timedelta(seconds=i % 5)
        else:
            due = now + timedelta(days=2, seconds=i * 25)  # spread over the next ~4 weeks
        rows.append((f"U{i:06d}", op.id, None, None, f"reminder {i}", iso(due), iso(due), iso(now)))
    async with store.transaction() as tx:
        await tx._many(
            "INSERT INTO reminders (user_id, opening_id, application_id, stage, text, asked_for, due_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        burst_rows = await tx._all("SELECT id, due_at FROM reminders WHERE id <= ?", (burst + 0,))
    await store.close()
    return [(r["id"], datetime.fromisoformat(r["due_at"])) for r in burst_rows]


async def baseline_rebuild(path: Path) -> tuple[float, int]:
    """The alternative: one APScheduler job per pending reminder."""
    store = await Store(path).open()
    aps = AsyncIOScheduler(timezone=UTC)
    aps.start(paused=True)

    async def fire(_: int) -> None:
        return None

    t0 = time.perf_counter()
    async with store.transaction() as tx:
        rows = await tx._all("SELECT id, due_at FROM reminders WHERE status = 'pending'")
    for r in rows:
        aps.add_job(fire, DateTrigger(run_date=datetime.fromisoformat(r["due_at"])), args=[r["id"]],
                    id=f"reminder:{r['id']}", replace_existing=True, misfire_grace_time=None)
    took = time.perf_counter() - t0
    n = len(aps.get_jobs())
    aps.shutdown(wait=False)
    await store.close()
    return took, n


async def hirebot_run(path: Path, burst: list[tuple[int, datetime]], slack: bool) -> dict[str, float]:
    store = await Store(path).open()
    hiring = Hiring(store)
    followups = Followups(hiring)
    digests = Digests(hiring, followups)
    fake = None
    if slack:
        from slack_sdk.web.async_client import AsyncWebClient

        from handlers.local.fake_slack import FakeSlack
        from handlers.slack.outbox import SlackOutbox

        fake = await FakeSlack().start()
        client = AsyncWebClient(token="xoxb-bench", base_url=fake.api_url)
        inner = SlackOutbox(client, Renderer(), followups, per_channel_interval=1.0)
        async with store.transaction() as tx:  # time zones already known: no users.info per person
            await tx._run("INSERT INTO user_prefs (user_id, tz, tz_checked_at) SELECT DISTINCT user_id, "
                                 "'UTC', '2999-01-01T00:00:00+00:00' FROM reminders")
        outbox: Any = TimedSlackOutbox(inner)
    else:
        outbox = Recorder()
    scheduler = Scheduler(followups, digests, outbox)
    gc.collect()
    t0 = time.perf_counter()
    await scheduler.start()
    rebuild = time.perf_counter() - t0
    rss = rss_mb()
    give_up = max(d for _, d in burst) + timedelta(seconds=5)
    while len(outbox.sent) < len(burst) and (left := (give_up - datetime.now(UTC)).total_seconds()) > 0:
        outbox.changed.clear()  # woken by each delivery; gives up 5 s after the last one was due
        try:
            await asyncio.wait_for(outbox.changed.wait(), left)
        except TimeoutError:
            break
    late = [(outbox.sent[i] - due).total_seconds() for i, due in burst if i in outbox.sent]
    await scheduler.stop()
    await store.close()
    if fake:
        await fake.stop()
    late.sort()
    nan = float("nan")
    return {"rebuild": rebuild, "rss": rss, "fired": len(late), "p50": statistics.median(late) if late else nan,
            "p99": late[int(len(late) * 0.99) - 1] if late else nan, "max": late[-1] if late else nan,
            "early": sum(1 for x in late if x < 0)}


async def main(pending: int, burst: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for slack in (False, True):
            path = Path(tmp) / f"bench-{slack}.db"
            start = (datetime.now(UTC) + timedelta(seconds=12)).replace(microsecond=0)
            burst_rows = await seed(path, pending, start, burst)
            if not slack:
                base, jobs = await baseline_rebuild(path)
            results[slack] = await hirebot_run(path, burst_rows, slack)
        r = results[False]
        print(f"pending reminders:        {pending:,} ({burst:,} due over 5 s, to {burst:,} people)")
        print(f"baseline rebuild:         {base:.2f} s  (one APScheduler job per reminder, {jobs:,} jobs)")
        print(f"hirebot rebuild:          {r['rebuild'] * 1000:.1f} ms  ({base / r['rebuild']:.0f}x faster than "
              f"baseline; goal < 5 s)")
        print(f"resident memory:          {r['rss']:.0f} MB after rebuild (goal < 300 MB)")
        for label, res in (("in-process outbox", results[False]), ("SlackOutbox → FakeSlack", results[True])):
            print(f"lateness, {label + ':':25} p50 {res['p50']:.3f} s · p99 {res['p99']:.3f} s · max {res['max']:.3f} s"
                  f" · {int(res['fired'])}/{burst} fired · {int(res['early'])} early (goal: within 1 s)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--pending", type=int, default=100_000)
    ap.add_argument("--burst", type=int, default=1_000)
    a = ap.parse_args()
    asyncio.run(main(a.pending, a.burst))
