"""SQLite's writer runs quick statements on the event loop (bot.storage.drivers.InlineSqliteDriver),
and keeps off it what would block it: a read that overstays, a write that took long, a wait for
another process's write lock, the WAL's checkpoint."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage import Store
from bot.storage.drivers import SLOW_STRIKES, InlineSqliteDriver

pytestmark = pytest.mark.sqlite_only

ROWS = 200_000


@asynccontextmanager
async def store_with_thread_probe(path: Path) -> AsyncIterator[Store]:
    """A store whose writer's SQL can call ``thread_of(x)``: the id of the thread it runs on."""
    store = await Store(path).open()
    try:
        async with store.transaction() as tx:  # opens the writer; the probe goes on its connection
            await tx._run("CREATE TABLE numbers (x INTEGER)")
        driver = store._writer.driver
        assert isinstance(driver, InlineSqliteDriver)
        driver._db.create_function("thread_of", 1, lambda _: threading.get_ident())
        yield store
    finally:
        await store.close()


async def test_quick_statements_run_on_the_loop(tmp_path: Path) -> None:
    async with store_with_thread_probe(tmp_path / "h.db") as store:
        async with store.transaction() as tx:
            row = await tx._one("SELECT thread_of(1) AS t")
        assert row is not None and row["t"] == threading.get_ident()


async def test_a_long_write_goes_to_a_thread_from_then_on_and_a_long_read_is_moved_there_at_once(
        tmp_path: Path) -> None:
    """A write that took long a few times in a row (it cannot be interrupted without undoing the
    transaction) is sent to a thread from then on; a long read is interrupted and run again in a
    thread, the transaction's earlier writes intact."""
    loop_thread = threading.get_ident()
    fill = ("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?) "
            "INSERT INTO numbers SELECT thread_of(x) FROM n")

    async def filled_from(store: Store) -> set[int]:
        async with store.transaction() as tx:
            await tx._run("DELETE FROM numbers")
            await tx._run(fill, (ROWS,))
        async with store.transaction() as tx:
            return {r["x"] for r in await tx._all("SELECT DISTINCT x FROM numbers")}

    async with store_with_thread_probe(tmp_path / "h.db") as store:
        for _ in range(SLOW_STRIKES):
            assert await filled_from(store) == {loop_thread}, "a long run may have been bad luck: on the loop"
        threads = await filled_from(store)  # the same statement again
        assert threads and loop_thread not in threads, "long every time: now in a thread"

        async with store.transaction() as tx:
            await tx.audit("U1", "before the long read", "x", None, datetime.now(UTC))
            row = await tx._one("SELECT max(thread_of(x)) AS t, count(*) AS n FROM numbers")
            assert row is not None and row["n"] == ROWS
            assert row["t"] != loop_thread, "interrupted on the loop, answered from a thread"
        async with store.reading() as tx:
            assert [a["action"] for a in await tx.audit_for("x")] == ["before the long read"]


async def test_a_write_waits_for_another_process_lock_in_a_thread_while_the_loop_goes_on(tmp_path: Path) -> None:
    """Another process (a backup, an operator's sqlite3 shell) holds the write lock: the waiting
    write must not hold the event loop, or no ack goes out meanwhile."""
    path = tmp_path / "h.db"
    store = await Store(path).open()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        async with store.transaction() as tx:  # the writer is open and set up
            await tx.audit("U1", "first", "x", None, datetime.now(UTC))
        other.execute("BEGIN IMMEDIATE")

        async def write() -> None:
            async with store.transaction() as tx:
                await tx.audit("U1", "after the lock", "x", None, datetime.now(UTC))

        writing = asyncio.create_task(write())
        async with asyncio.timeout(3):  # the busy timeout is 5 s: on the loop, this read could not run
            async with store.reading() as tx:
                assert [a["action"] for a in await tx.audit_for("x")] == ["first"]
        assert not writing.done(), "the other process still holds the lock"
        other.execute("ROLLBACK")
        await asyncio.wait_for(writing, 10)
        async with store.reading() as tx:
            assert [a["action"] for a in await tx.audit_for("x")] == ["first", "after the lock"]
    finally:
        other.close()
        await store.close()


async def test_the_wal_is_checkpointed_off_the_writer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer never checkpoints at a COMMIT (on the loop); every so many commits a thread
    copies the WAL into the database file, and the next write starts the WAL afresh."""
    import bot.storage

    monkeypatch.setattr(bot.storage, "CHECKPOINT_EVERY_COMMITS", 16)
    path = tmp_path / "h.db"
    store = await Store(path).open()
    try:
        before = path.stat().st_size
        for i in range(64):
            async with store.transaction() as tx:
                await tx.audit("U1", "x" * 100_000, f"blob{i}", None, datetime.now(UTC))
            if store._checkpoint is not None:
                await store._checkpoint  # the barrier: this round's checkpoint is over
        assert path.stat().st_size > before + 6_000_000, "the WAL's pages reached the database file"
        wal = (tmp_path / "h.db-wal").stat().st_size
        assert wal < 4_000_000, f"the WAL was started afresh, not grown to {wal} bytes"
        async with store.reading() as tx:
            assert len(await tx._all("SELECT id FROM audit WHERE subject LIKE 'blob%'")) == 64
    finally:
        await store.close()


async def test_transaction_after_transaction_lets_the_loop_go_round(tmp_path: Path) -> None:
    """Statements that never wait must not let a caller (a sweep's batches, a resume) hold the
    loop for all of its transactions: no ack would go out meanwhile."""
    store = await Store(tmp_path / "h.db").open()
    try:
        async with store.transaction() as tx:  # the connection is open: nothing below need wait
            await tx.audit("U1", "warm", "x", None, datetime.now(UTC))
        went_round = asyncio.Event()
        asyncio.get_running_loop().call_soon(went_round.set)
        done = 0
        while not went_round.is_set() and done < 20_000:
            async with store.transaction() as tx:
                await tx.audit("U1", "busy", "x", None, datetime.now(UTC))
            done += 1
        assert went_round.is_set(), f"{done} transactions in a row without the loop going round"
    finally:
        await store.close()


async def test_background_writes_leave_the_lock_free_for_another_process_between_them(tmp_path: Path) -> None:
    """A run of background transactions (a sweep recording its nudges) lets another process's
    writer in between them: SQLite's lock has no queue, and that writer's busy handler only
    tries again after sleeping (1, 2, 5, 10, ... ms), so back-to-back transactions would keep it
    out until the run ends."""
    path = tmp_path / "h.db"
    store = await Store(path).open()
    waiting = threading.Event()

    def outside() -> None:
        con = sqlite3.connect(path, timeout=10, isolation_level=None)  # SQLite's own busy handler
        try:
            waiting.set()
            con.execute("BEGIN IMMEDIATE")
            con.execute("INSERT INTO audit (actor, action, subject, at) VALUES ('UOUT', 'outside', 'x', '')")
            con.execute("COMMIT")
        finally:
            con.close()

    try:
        thread: threading.Thread | None = None
        for n in range(12):
            async with store.transaction(background=True) as tx:
                await tx.audit("UBG", f"background {n}", "x", None, datetime.now(UTC))
                if thread is None:  # the outside writer starts waiting while the lock is held
                    thread = threading.Thread(target=outside)
                    thread.start()
                    await asyncio.to_thread(waiting.wait)
                await asyncio.sleep(0.03)  # held 30 ms, as a large batch of nudges might be
        assert thread is not None
        await asyncio.to_thread(thread.join)
        async with store.reading() as tx:
            order = [a["action"] for a in await tx.audit_for("x")]
    finally:
        await store.close()
    assert order.index("outside") < 6, f"the outside writer waited for most of the run: {order}"
