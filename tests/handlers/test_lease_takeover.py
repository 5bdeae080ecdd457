"""A replica frozen (SIGSTOP) while it holds a scheduled job loses the job to another replica when
its lease ends, and its late completion sends nothing: two real ``hirebot run`` processes on one
database (PostgreSQL under ``--backend=postgresql``), one Web API stand-in.

On SQLite the freeze waits for a moment A holds no write lock: nothing can take SQLite's lock
from a stopped process (on PostgreSQL the server ends a transaction left idle past the lease,
tests/bot/test_storage.py), so a freeze inside A's lease renewal would stop B as well."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bot.clock import iso
from bot.storage import Store
from handlers.local.fake_slack import FakeSlack
from tests import databases

from .running import Running, hirebot_run

#: A moment in the past when nobody works (a Sunday night): the reminder is due at once, whenever
#: the test runs, and nothing holds it for working hours.
LONG_AGO = datetime(2026, 1, 4, 3, 0, tzinfo=UTC)


async def seed(db: Path) -> int:
    """An open opening and one reminder for UREMIND, due long ago; the reminder's id."""
    store = await Store(db).open()
    try:
        async with store.transaction() as tx:
            oid = await tx.insert_opening("Staff Nurse", {"title": "Staff Nurse"}, "UMANAGER", "CJOBS", False,
                                          LONG_AGO)
            return await tx.insert_reminder("UREMIND", oid, None, None, "call back", LONG_AGO, LONG_AGO, LONG_AGO)
    finally:
        await store.close()


async def until(check: object, what: str, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def stopped(pid: int) -> bool:
    """The kernel has stopped ``pid`` (a SIGSTOP is delivered asynchronously)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T"


def write_lock_free(db: Path) -> bool:
    """Nobody holds the SQLite file's write lock right now."""
    probe = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


async def freeze(pid: int, db: Path) -> None:
    """SIGSTOP ``pid``; on SQLite, at a moment it holds no write lock (retried until it does not)."""
    while True:
        os.kill(pid, signal.SIGSTOP)
        await until(lambda: stopped(pid), "the kernel to stop A", within=10)
        if databases.BACKEND == "postgresql" or write_lock_free(db):
            return
        os.kill(pid, signal.SIGCONT)
        await asyncio.sleep(0.005)


@contextmanager
def explained(*runs: Running) -> Iterator[None]:
    """A failure carries what each replica logged (a timeout alone says nothing about why)."""
    try:
        yield
    except (AssertionError, TimeoutError) as failure:
        logs = "\n".join(f"--- {name} stderr:\n" + "\n".join(run.stderr[-80:])
                         for name, run in zip("AB", runs, strict=False))
        raise AssertionError(f"{failure}\n{logs}") from failure


async def test_a_frozen_replica_loses_its_job_after_the_lease_and_its_late_completion_sends_nothing(
        slack: FakeSlack, tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    rid = await seed(db)
    release = asyncio.Event()
    slack.hold_next["conversations.open"] = [release]  # A's first DM: in flight when A freezes
    lease = {"HIREBOT_LEASE_SECONDS": "2"}
    async with hirebot_run(slack, db, HIREBOT_REPLICA_ID="replica-a", **lease) as a:
        await slack.wait_for("conversations.open:held", timeout=30)  # A claimed the reminder, is sending
        claimed = databases.query(db, "SELECT claimed_by FROM reminders WHERE id = ?", rid)
        assert claimed == [("replica-a",)]
        await freeze(a.proc.pid, db)
        try:
            async with hirebot_run(slack, db, HIREBOT_REPLICA_ID="replica-b", **lease) as b:
                with explained(a, b):
                    # B finds the job held and takes it once A's lease has run out, then delivers it.
                    posted = await slack.wait_for("chat.postMessage", lambda c: c.args.get("channel") == "DUREMIND",
                                                  timeout=30)
                    assert "call back" in str(posted.args)
                    await until(lambda: databases.query(db, "SELECT status FROM reminders WHERE id = ?", rid)
                                == [("sent",)], "B to record the reminder as sent")
                    # A wakes with its request answered: it must notice the job is no longer its own.
                    release.set()
                    os.kill(a.proc.pid, signal.SIGCONT)
                    await until(lambda: any("another replica took them over" in line for line in a.stderr),
                                "A to give the reminder up")
        finally:
            os.kill(a.proc.pid, signal.SIGCONT)
    dms = [c for c in slack.of("chat.postMessage") if c.args.get("channel") == "DUREMIND"]
    assert len(dms) == 1, "delivered once, by B"
    assert databases.query(db, "SELECT COUNT(*) FROM deliveries WHERE key LIKE ?", f"reminder:{rid}:%") == [(1,)]
    assert iso(LONG_AGO) in databases.query(db, "SELECT due_at FROM reminders WHERE id = ?", rid)[0]
