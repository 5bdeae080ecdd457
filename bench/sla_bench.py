"""The SLA sweep at 100,000 active applications, every one of them overdue, with their managers
at work (so the first run nudges everyone): how long the event loop is blocked and how long a
transaction holds the database, measured from outside through the public API (``Sla.sweep``
and ``Scheduler.tick``), so it measures any implementation of them.

While each phase runs, three probes do:

- a *ticker* coroutine sleeping 1 ms at a time: the longest gap beyond that is the longest the
  event loop was blocked;
- a *store writer* coroutine: a one-row write through ``Store.transaction`` every 10 ms; its
  longest wait is what a command's write waits behind the sweep (the longest transaction, plus
  any queued ahead of it);
- a *SQLite writer* on its own connection in a thread: ``BEGIN IMMEDIATE`` retried every 1 ms,
  then one row, every 10 ms; its longest wait is the longest anyone held the database's write
  lock. On PostgreSQL, an *outside writer* on its own asyncpg connection, in a thread with its
  own event loop: ``BEGIN; SELECT pg_advisory_xact_lock(WRITE_LOCK)`` (hirebot's write lock,
  which every hirebot write transaction takes first: ``bot/storage/drivers.py``), one row,
  ``COMMIT``, every 10 ms; its longest wait for the lock (one round trip when nobody holds it) is
  the longest anyone held hirebot's write lock.

Phases: idle (the probes alone: the noise floor of a loaded machine, the baseline), ``Sla.sweep()``
alone, the first ``Scheduler.tick()`` (sweep, nudges handed to an outbox that only counts them,
each recorded as sent), and a second tick (nothing new due: the steady state every few minutes).
The sweep's own duration is set against one raw SQL read of the same active applications.

On PostgreSQL (``--postgres URL``, or ``python -m bench --backend postgresql``), the same on a
new database there (seeded, then analyzed), the raw read through asyncpg.

    .venv/bin/python -m bench.sla_bench [--applications 100000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.ack import posting_data
from bot import stages
from bot.clock import iso
from bot.storage import Store

#: Hiring managers the openings are spread over (each gets one nudge DM per sweep).
MANAGERS = 200
ACTIVE_QUERY = ("SELECT a.id, a.opening_id, a.candidate_name, a.stage, a.stage_since FROM applications a "
                "JOIN openings o ON o.id = a.opening_id WHERE o.status = 'open' AND a.forgotten_at IS NULL "
                "AND a.stage IN ('applied', 'screen', 'interview', 'offer') ORDER BY a.id")


def working_now(now: datetime) -> tuple[str, str]:
    """Working hours (UTC) that cover ``now`` and the next 23 hours: a 23 h 59 min shift
    starting on the hour before now."""
    start = (now - timedelta(hours=1)).replace(minute=0)
    end = start - timedelta(minutes=1)
    return f"{start:%H:%M}", f"{end:%H:%M}"


async def seed(path: str | Path, applications: int, managers: int = MANAGERS) -> int:
    """``applications`` overdue in open stages over applications // 50 openings; returns the
    number of managers (each is owed one nudge DM). ``path``: a SQLite file or an empty
    PostgreSQL database's URL (rows go in with ``executemany``, one round trip per statement)."""
    rng = random.Random(15)
    openings = max(1, applications // 50)
    managers = min(managers, openings)
    store = await Store(path).open()
    now = datetime.now(UTC)
    start, end = working_now(now)
    data = posting_data("Opening")
    async with store.transaction() as tx:
        await tx._many(
            "INSERT INTO openings (title, data, channel_id, message_ts, permalink, created_by, created_at) "
            "VALUES (?, ?, 'CJOBS', ?, ?, 'UADMIN', ?)",
            [(f"Opening {i}", data, f"17000.{i}", f"https://x.slack.test/archives/CJOBS/p{i}",
              iso(now - timedelta(days=60))) for i in range(1, openings + 1)])
        await tx._many("INSERT INTO opening_members (opening_id, user_id, role, added_by, added_at) "
                             "VALUES (?, ?, ?, 'UADMIN', ?)",
                             [(o, u, r, iso(now)) for o in range(1, openings + 1)
                              for u, r in ((f"UM{o % managers:04d}", "manager"), (f"UR{o % 50:03d}", "recruiter"))])
        rows = []
        for a in range(applications):
            since = now - timedelta(days=rng.uniform(10, 40))  # past any limit, in working days too
            rows.append((a % openings + 1, f"Candidate {a}", rng.choice(stages.OPEN_STAGES), iso(since),
                         iso(since - timedelta(days=1))))
        await tx._many("INSERT INTO applications (opening_id, candidate_name, stage, stage_since, created_by, "
                             "created_at) VALUES (?, ?, ?, ?, 'UADMIN', ?)", rows)
        await tx._run("INSERT INTO stage_moves (application_id, from_stage, to_stage, actor, at) "
                         "SELECT id, NULL, stage, 'UADMIN', stage_since FROM applications")
        people = [f"UM{m:04d}" for m in range(managers)] + [f"UR{r:03d}" for r in range(min(50, openings))]
        await tx._many("INSERT INTO user_prefs (user_id, notify, work_start, work_end, work_days, tz, "
                             "tz_checked_at) VALUES (?, 'on', ?, ?, 'mon-sun', 'UTC', '2999-01-01T00:00:00+00:00')",
                             [(u, start, end) for u in people])
    await store.close()
    return managers


class Outbox:
    """Counts what the scheduler hands over; sends nothing."""

    def __init__(self) -> None:
        self.batches = 0
        self.items = 0

    async def send_reminders(self, user: str, reminders: list[Any], still_ours: Any) -> bool:
        return False

    async def send_nudges(self, batch: Any, still_ours: Any) -> bool:
        if not await still_ours():
            return False
        self.batches += 1
        self.items += len(getattr(batch, "items", ()))
        return True

    async def send_digest(self, due: Any, digest: Any, still_ours: Any) -> bool:
        return False


@dataclass
class Phase:
    seconds: float
    loop_block: float  # s
    store_wait: float  # s
    lock_wait: float  # s: the outside writer's longest wait for the write lock (SQLite's, or hirebot's advisory one)
    result: Any = None


async def outside_postgresql(url: str, stop: threading.Event, lock_wait: list[float]) -> None:
    """The outside writer on PostgreSQL (see the module docstring), until ``stop``."""
    from bench.backend import connect
    from bot.storage.drivers import WRITE_LOCK

    con = await connect(url)
    try:
        while not stop.is_set():
            t0 = time.perf_counter()
            await con.execute(f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})")
            lock_wait[0] = max(lock_wait[0], time.perf_counter() - t0)
            await con.execute("INSERT INTO audit (actor, action, subject, detail, at) "
                              "VALUES ('UPROBE', 'bench.probe', 'postgresql', NULL, $1)", iso(datetime.now(UTC)))
            await con.execute("COMMIT")
            await asyncio.sleep(0.01)
    finally:
        await con.close()


async def probed(store: Store, path: str | Path, work: Callable[[], Awaitable[Any]]) -> Phase:
    """Run ``work`` with the three probes (see the module docstring) around it; ``path``: the
    SQLite file, or the PostgreSQL database's URL."""
    done = False
    block = store_wait = 0.0
    lock_wait = [0.0]
    failed: list[BaseException] = []
    stop = threading.Event()

    def outside() -> None:
        if "://" in str(path):
            try:
                asyncio.run(outside_postgresql(str(path), stop, lock_wait))
            except BaseException as exc:  # re-raised below: a dead probe must not read as "0 ms"
                failed.append(exc)
            return
        con = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
        try:
            while not stop.is_set():
                t0 = time.perf_counter()
                while True:
                    try:
                        con.execute("BEGIN IMMEDIATE")
                        break
                    except sqlite3.OperationalError:
                        if stop.is_set():
                            return
                        time.sleep(0.001)
                lock_wait[0] = max(lock_wait[0], time.perf_counter() - t0)
                con.execute("INSERT INTO audit (actor, action, subject, detail, at) "
                            "VALUES ('UPROBE', 'bench.probe', 'sqlite', NULL, ?)", (iso(datetime.now(UTC)),))
                con.execute("COMMIT")
                time.sleep(0.01)
        finally:
            con.close()

    async def ticker() -> None:
        nonlocal block
        while not done:
            t0 = time.perf_counter()
            await asyncio.sleep(0.001)
            block = max(block, time.perf_counter() - t0 - 0.001)

    async def writer() -> None:
        nonlocal store_wait
        while not done:
            t0 = time.perf_counter()
            async with store.transaction() as tx:
                await tx.audit("UPROBE", "bench.probe", "store", None, datetime.now(UTC))
            store_wait = max(store_wait, time.perf_counter() - t0)
            await asyncio.sleep(0.01)

    thread = threading.Thread(target=outside, daemon=True)
    thread.start()
    probes = [asyncio.create_task(ticker()), asyncio.create_task(writer())]
    await asyncio.sleep(0.05)  # the probes are running before the work starts
    started = time.perf_counter()
    try:
        result = await work()
    finally:
        seconds = time.perf_counter() - started
        done = True
        stop.set()
        await asyncio.gather(*probes)
        await asyncio.to_thread(thread.join)
    if failed:
        raise RuntimeError(f"the outside writer failed: {failed[0]!r}") from failed[0]
    return Phase(seconds, block, store_wait, lock_wait[0], result)


async def raw_read_postgresql(url: str, rounds: int = 3) -> float:
    """:func:`raw_read` through asyncpg."""
    from bench.backend import connect

    con = await connect(url)
    times = []
    try:
        for _ in range(rounds):
            t0 = time.perf_counter()
            await con.fetch(ACTIVE_QUERY)
            times.append(time.perf_counter() - t0)
    finally:
        await con.close()
    return statistics.median(times)


def raw_read(path: Path, rounds: int = 3) -> float:
    """One raw SQL read of the active applications the sweep looks at, s (median)."""
    con = sqlite3.connect(path)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        con.execute(ACTIVE_QUERY).fetchall()
        times.append(time.perf_counter() - t0)
    con.close()
    return statistics.median(times)


async def run(applications: int, idle: float = 2.0, server: str | None = None) -> dict[str, Any]:
    """The phases (see the module docstring); on PostgreSQL when ``server`` is its URL."""
    from bench.backend import db_env, places
    from bot.config import Config
    from bot.scheduler import Scheduler
    from handlers.app import open_services
    from handlers.transports import settle_heap

    async with places(server) as where:
        path = await where.new("sla")
        managers = await seed(path, applications)
        await where.loaded(path)
        raw = (await raw_read_postgresql(str(path)) if where.pg is not None
               else await asyncio.to_thread(raw_read, Path(path)))
        services = await open_services(Config.from_env(db_env(path), dotenv=None))
        settle_heap()  # as `hirebot run` does once it has built the app
        outbox = Outbox()
        scheduler = Scheduler(services.followups, services.digests, outbox)
        try:
            out: dict[str, Any] = {"applications": applications, "managers": managers, "raw": raw}
            await probed(services.store, path, lambda: asyncio.sleep(0.5))  # warm-up, not counted
            out["idle"] = await probed(services.store, path, lambda: asyncio.sleep(idle))
            out["sweep"] = await probed(services.store, path, services.followups.sla.sweep)
            out["tick"] = await probed(services.store, path, scheduler.tick)
            out["nudged"] = (outbox.batches, outbox.items)
            out["tick2"] = await probed(services.store, path, scheduler.tick)
            out["nudged2"] = (outbox.batches - out["nudged"][0], outbox.items - out["nudged"][1])
            await scheduler.stop()
        finally:
            await services.store.close()
    return out


def main(applications: int, server: str | None = None) -> None:
    r = asyncio.run(run(applications, server=server))
    lock = "SQLite lock" if server is None else "PostgreSQL write lock"
    ms = 1000
    print(f"active applications:   {r['applications']:,} overdue, {r['managers']} managers at work")
    print(f"raw read of them:      {r['raw'] * ms:.0f} ms")
    for key, label in (("idle", "idle (probes alone)"), ("sweep", "Sla.sweep()"), ("tick", "first tick"),
                       ("tick2", "second tick")):
        p: Phase = r[key]
        print(f"{label + ':':22} {p.seconds * ms:8.0f} ms · loop blocked ≤ {p.loop_block * ms:.0f} ms · "
              f"store write waited ≤ {p.store_wait * ms:.0f} ms · {lock} waited ≤ {p.lock_wait * ms:.0f} ms")
    print(f"nudges (first tick):   {r['nudged'][0]} DMs, {r['nudged'][1]:,} items; second tick: {r['nudged2'][0]} DMs")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--applications", type=int, default=100_000)
    ap.add_argument("--postgres", default=None, metavar="URL", help="a PostgreSQL server (default: SQLite)")
    a = ap.parse_args()
    main(a.applications, a.postgres)
