"""Storage: migrations, transactions all-or-nothing, nothing committed lost on kill -9, read-only
transactions, paged reads of active applications."""

from __future__ import annotations

import asyncio
import sqlite3
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import iso
from bot.hiring import Hiring
from bot.storage import MIGRATIONS, AlreadyApplied, GuardedMove, Scope, Store, UnreadMove
from bot.storage.schema import revisions
from tests import databases
from tests.crash import kill_9_when


async def test_migrations_apply_once_and_set_wal(tmp_path: Path) -> None:
    store = await Store(tmp_path / "h.db").open()
    async with store.transaction() as tx:
        assert (await tx._one("SELECT version_num FROM alembic_version"))["version_num"] == revisions()[-1]
        if store.dialect == "sqlite":
            assert (await tx._one("PRAGMA user_version"))["user_version"] == len(MIGRATIONS)
            assert (await tx._one("PRAGMA journal_mode"))["journal_mode"] == "wal"
        await tx.audit("U1", "kept", "x", None, datetime.now(UTC))
    await store.close()
    again = await Store(tmp_path / "h.db").open()  # re-running migrations is a no-op
    async with again.reading() as tx:
        assert len(await tx.audit_for("x")) == 1
    await again.close()


async def test_a_schema_revision_this_code_does_not_know_is_refused(tmp_path: Path) -> None:
    """A database a newer hirebot migrated (on either backend) is never written by an older one."""
    store = await Store(tmp_path / "h.db").open()
    async with store.transaction() as tx:
        await tx._run("UPDATE alembic_version SET version_num = '9999'")
    await store.close()
    with pytest.raises(RuntimeError, match="newer than this hirebot"):
        await Store(tmp_path / "h.db").open()


async def test_replicas_starting_together_migrate_once(tmp_path: Path) -> None:
    """Every replica migrates at start-up; the first to take the lock does it, the rest find it done."""

    stores = await asyncio.gather(*(Store(tmp_path / "h.db").open() for _ in range(4)))
    async with stores[0].reading() as tx:
        assert [r["version_num"] for r in await tx._all("SELECT version_num FROM alembic_version")] == [
            revisions()[-1]]
    for store in stores:
        await store.close()


async def opened_once_let_go(db: Path, holder: sqlite3.Connection, caplog: pytest.LogCaptureFixture,
                             says: str) -> Store:
    """A store opened on ``db`` while ``holder`` holds a write on it: waiting (not failed) until
    the log ``says`` so, then let go of; the store, once open."""
    holder.execute("BEGIN IMMEDIATE")
    opening = asyncio.create_task(Store(db).open())
    try:
        async with asyncio.timeout(60):
            while says not in caplog.text:
                assert not opening.done(), opening.exception()
                await asyncio.sleep(0.05)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    return await asyncio.wait_for(opening, 30)


@pytest.mark.sqlite_only
async def test_a_store_opening_while_another_process_holds_the_write_lock_waits_for_it(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A start beside a backup, a long write or replicas migrating step after step: the busy
    timeout (5 s) ran out and hirebot failed to start. Now it waits (and says so)."""
    db = tmp_path / "h.db"
    await (await Store(db).open()).close()
    holder = sqlite3.connect(db, isolation_level=None)
    # (the message comes after one busy timeout waited out)
    store = await opened_once_let_go(db, holder, caplog, "release the database's write lock")
    async with store.reading() as tx:
        assert (await tx._one("SELECT COUNT(*) AS n FROM alembic_version"))["n"] == 1
    await store.close()


@pytest.mark.sqlite_only
async def test_a_store_opening_a_new_file_another_process_is_writing_waits_to_switch_it_to_wal(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Replicas opening one new file together failed now and then in CI: switching the file to WAL
    needs it to themselves, and SQLite answers "database is locked" at once, without waiting out
    the busy timeout. Here another process holds a write on a file still in rollback mode."""
    db = tmp_path / "h.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("CREATE TABLE elsewhere (x)")
    store = await opened_once_let_go(db, holder, caplog, "to switch it to WAL")
    async with store.reading() as tx:
        assert (await tx._one("PRAGMA journal_mode"))["journal_mode"] == "wal"
        assert (await tx._one("SELECT COUNT(*) AS n FROM alembic_version"))["n"] == 1
    await store.close()


@pytest.mark.sqlite_only
async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    store = await Store(tmp_path / "h.db").open()
    async with store.transaction() as tx:
        await tx._run(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    await store.close()
    with pytest.raises(RuntimeError, match="newer than this hirebot"):
        await Store(tmp_path / "h.db").open()


async def test_a_failing_command_writes_nothing(tmp_path: Path) -> None:
    store = await Store(tmp_path / "h.db").open()
    with pytest.raises(ZeroDivisionError):
        async with store.transaction() as tx:
            await tx.insert_opening("Half", {}, "U1", "C1", False, __import__("datetime").datetime.now())
            raise ZeroDivisionError("fails after the insert")
    async with store.transaction() as tx:
        assert await tx._all("SELECT * FROM openings") == []
        assert await tx._all("SELECT * FROM opening_members") == []
    await store.close()


def test_kill_9_loses_nothing_committed(tmp_path: Path) -> None:

    db = tmp_path / "h.db"
    target = asyncio.run(databases.target(db))
    marker = tmp_path / "committed"
    script = textwrap.dedent(f"""
        import asyncio, pathlib
        from datetime import datetime, timezone
        from bot.hiring import Hiring
        from bot.storage import Store
        async def main():
            store = await Store({target!r}).open()
            hiring = Hiring(store)
            async with store.transaction() as tx:  # an opening as publishing leaves it
                oid = await tx.insert_opening("Nurse", {{}}, "U1", "C1", False, datetime.now(timezone.utc))
            op = await hiring.opening(oid)
            for i in range(50):
                await hiring.add_candidate(op.id, "U1", f"Person {{i}}")
            pathlib.Path({str(marker)!r}).write_text("50")
            while True:
                await hiring.add_candidate(op.id, "U1", "Extra")
        asyncio.run(main())
    """)
    kill_9_when(script, marker.exists, timeout=30, settle=0.2)

    async def check() -> None:
        hiring = Hiring(await Store(db).open())
        _, by_stage = await hiring.pipeline(1, "U1")
        names = [a.candidate_name for a in by_stage["applied"]]
        assert [f"Person {i}" for i in range(50)] == names[:50]
        ids_ = [a.id for a in by_stage["applied"]]
        assert ids_ == sorted(ids_) and len(set(ids_)) == len(ids_)
        async with hiring.store.transaction() as tx:
            moves = await tx._all("SELECT COUNT(*) AS n FROM stage_moves")
            assert moves[0]["n"] == len(names), "every application has its audited first move"
        await hiring.store.close()

    asyncio.run(check())


async def test_a_read_transaction_never_writes(tmp_path: Path) -> None:
    store = await Store(tmp_path / "h.db").open()
    # Caught by the store on SQLite, by PostgreSQL itself (a READ ONLY transaction) there.
    with pytest.raises(Exception, match=r"read transaction wrote|read-only transaction"):
        async with store.reading() as tx:
            await tx.audit("U1", "x", "y", None, datetime.now(UTC))
    async with store.reading() as tx:
        assert await tx.audit_for("y") == []
    await store.close()


async def test_active_pages_are_the_same_rows_in_any_page_size(tmp_path: Path) -> None:
    """Pages are ranges of the index: any size gives the same rows in the same order, openings
    not in scope are skipped, and only open stages of applications not forgotten, entered early
    enough, are read."""
    store = await Store(tmp_path / "h.db").open()
    now = datetime(2026, 11, 9, 10, 0, tzinfo=UTC)
    async with store.transaction() as tx:
        ops = [await tx.insert_opening(f"Role {i}", {}, "U1", "C1", False, now) for i in range(6)]
        apps = [(await tx.insert_application(ops[i % 6], f"P{i}", None, None, None,
                                             ["applied", "screen", "interview", "offer", "hired"][i % 5], "U1",
                                             now - timedelta(hours=i)))["id"] for i in range(120)]
        await tx.forget_application(apps[7], now)
        await tx.put_sla_state(apps[31], "screen", snoozed_until="2999-01-01T00:00:00+00:00")
        await tx.put_sla_state(apps[13], "screen", snoozed_until="2999-01-01T00:00:00+00:00")  # it is in offer
    late = iso(now - timedelta(hours=30))
    scopes = {ops[1]: Scope(("9999",) * 4), ops[2]: Scope((late, "9999", late, late)), ops[4]: Scope(("9999",) * 4)}
    expect = [a for i, a in enumerate(apps) if i % 6 in (1, 2, 4) and i % 5 != 4 and a != apps[7]
              and not (i % 6 == 2 and i % 5 != 1 and i < 30)]
    pages = {size: [[r["id"] for r in page] async for page in store.active_pages(scopes, size=size)]
             for size in (1, 3, 7, 1000)}
    flat = {size: [a for page in got for a in page] for size, got in pages.items()}
    assert sorted(flat[1000]) == sorted(expect) and all(f == flat[1000] for f in flat.values())
    assert len(pages[1000]) == 1 and len(pages[7]) > 5
    state = {r["id"]: (r["state_stage"], r["state_snoozed_until"])
             async for page in store.active_pages({ops[1]: Scope(("9999",) * 4)}) for r in page}
    assert state[apps[31]] == ("screen", "2999-01-01T00:00:00+00:00")
    assert state[apps[13]] == state[apps[1]] == (None, None), "only a state about the stage it is in"
    await store.close()


@pytest.mark.sqlite_only
async def test_a_version_4_database_upgrades_in_place(tmp_path: Path) -> None:
    """Migration 5 only adds indexes: a database written by the previous version keeps every row."""
    db = tmp_path / "v4.db"
    con = sqlite3.connect(db, isolation_level=None)
    for script in MIGRATIONS[:4]:
        con.executescript(script)
    con.execute("PRAGMA user_version = 4")
    con.execute("INSERT INTO openings (title, data, created_by, created_at) VALUES ('Old', '{}', 'U1', 'x')")
    con.executemany("INSERT INTO applications (opening_id, candidate_name, stage, stage_since, created_by, created_at, "
                    "forgotten_at) VALUES (1, ?, ?, '2026-01-01T00:00:00+00:00', 'U1', 'x', ?)",
                    [("A", "applied", None), ("B", "screen", None), ("C", "hired", None), ("D", "applied", "y")])
    con.close()
    store = await Store(db).open()
    async with store.reading() as tx:
        assert (await tx._one("PRAGMA user_version"))["user_version"] == len(MIGRATIONS)
        indexes = {r["name"] for r in await tx._all("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"applications_active", "applications_opening"} <= indexes
        assert await tx.stage_counts(1) == {"applied": 1, "screen": 1, "hired": 1}
    names = [r["candidate_name"] async for page in store.active_pages({1: Scope(("9999",) * 4)}) for r in page]
    assert sorted(names) == ["A", "B"]
    await store.close()


@asynccontextmanager
async def postgresql_store(tmp_path: Path) -> AsyncIterator[Store]:
    """A store on PostgreSQL, closed after; the test is skipped on SQLite (no server to lose)."""
    store = await Store(tmp_path / "h.db").open()
    try:
        if store.dialect != "postgresql":
            pytest.skip("SQLite has no server to lose")
        yield store
    finally:
        await store.close()


async def test_a_lost_write_connection_is_reopened_for_the_next_transaction(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: the connection writes run on is kept between transactions. When the server ends
    it (a restart, a failover, an idle timeout), the transaction on it fails and the next one
    opens a new connection instead of failing for good."""
    async with postgresql_store(tmp_path) as store:
        async with store.transaction() as tx:
            pid = (await tx._one("SELECT pg_backend_pid() AS pid"))["pid"]
        async with store.reading() as tx:  # another connection, a reader's
            assert (await tx._one("SELECT pg_terminate_backend(?, 5000) AS ok", (pid,)))["ok"]
        with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises for a dead connection
            async with store.transaction() as tx:
                await tx.audit("U1", "lost", "x", None, datetime.now(UTC))
        async with store.transaction() as tx:
            await tx.audit("U1", "kept", "x", None, datetime.now(UTC))
            assert (await tx._one("SELECT pg_backend_pid() AS pid"))["pid"] != pid
        async with store.reading() as tx:
            assert [r["action"] for r in await tx.audit_for("x")] == ["kept"]
        # After a quiet spell the connection is asked first: a lost one is replaced before the
        # transaction, which then succeeds (a command after a server restart overnight).
        import bot.storage

        monkeypatch.setattr(bot.storage, "WRITER_IDLE_CHECK", 0.0)
        async with store.transaction() as tx:
            pid = (await tx._one("SELECT pg_backend_pid() AS pid"))["pid"]
        async with store.reading() as tx:
            assert (await tx._one("SELECT pg_terminate_backend(?, 5000) AS ok", (pid,)))["ok"]
        async with store.transaction() as tx:
            await tx.audit("U1", "after a quiet spell", "x", None, datetime.now(UTC))
        async with store.reading() as tx:
            assert [r["action"] for r in await tx.audit_for("x")] == ["kept", "after a quiet spell"]


async def test_a_write_left_open_by_a_frozen_replica_is_ended_after_its_lease(tmp_path: Path) -> None:
    """PostgreSQL: a replica frozen inside a write (SIGSTOP, a paused VM) holds the advisory write
    lock. The server ends a transaction left idle for ``abandon_after`` (the replica's lease), so
    the other replicas' writes go on; the frozen one's work is rolled back, and it carries on with
    a new connection once it wakes."""
    async with postgresql_store(tmp_path) as other:
        frozen = await Store(tmp_path / "h.db", abandon_after=timedelta(seconds=1)).open()
        try:
            holding, thaw = asyncio.Event(), asyncio.Event()

            async def freeze() -> None:
                async with frozen.transaction() as tx:
                    await tx.audit("U1", "lost", "x", None, datetime.now(UTC))
                    holding.set()
                    await thaw.wait()  # idle in the transaction, the lock held: as if frozen

            stuck = asyncio.create_task(freeze())
            await holding.wait()
            async with asyncio.timeout(30):  # without the server's timeout: waits for ever
                async with other.transaction() as tx:
                    await tx.audit("U2", "kept", "x", None, datetime.now(UTC))
            thaw.set()
            with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises for a session the server ended
                await stuck
            async with frozen.transaction() as tx:
                await tx.audit("U1", "after waking", "x", None, datetime.now(UTC))
            async with other.reading() as tx:
                assert [r["action"] for r in await tx.audit_for("x")] == ["kept", "after waking"]
        finally:
            await frozen.close()


async def one_waits_for_the_write_lock(store: Store) -> None:
    """Returns once one request for the advisory write lock is waiting at the server (10 s at most)."""
    async with asyncio.timeout(10):
        while True:
            async with store.reading() as tx:
                waiting = await tx._one("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' "
                                        "AND NOT granted AND database = (SELECT oid FROM pg_database "
                                        "WHERE datname = current_database())")
            if waiting and waiting["n"] == 1:
                return
            await asyncio.sleep(0.01)


@asynccontextmanager
async def write_lock_held(store: Store) -> AsyncIterator[None]:
    """The writer held by an open write transaction (it has written an audit row on target
    "x") for as long as the block runs; committed as the block ends."""
    holding, go_on = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with store.transaction() as tx:
            await tx.audit("UMGR", "holding", "x", None, datetime.now(UTC))
            holding.set()
            await go_on.wait()

    holder = asyncio.create_task(hold())
    await holding.wait()  # the barrier: the write transaction is open and has written
    try:
        yield
    finally:
        go_on.set()
        await holder


async def test_a_second_write_waits_at_the_server_and_takes_over_at_the_commit(tmp_path: Path) -> None:
    """PostgreSQL: a store writes on two connections, so the next write's BEGIN already waits for
    the advisory lock while the current one runs (the server hands the lock over at the COMMIT),
    and the writes still run one at a time, in order."""
    async with postgresql_store(tmp_path) as store:
        holding, go_on = asyncio.Event(), asyncio.Event()

        async def first() -> None:
            async with store.transaction() as tx:
                await tx.audit("U1", "first", "x", None, datetime.now(UTC))
                holding.set()
                await go_on.wait()

        async def second() -> None:
            async with store.transaction() as tx:
                await tx.audit("U2", "second", "x", None, datetime.now(UTC))

        one = asyncio.create_task(first())
        await holding.wait()
        two = asyncio.create_task(second())
        await one_waits_for_the_write_lock(store)  # the barrier: the second write's lock request is at the server
        assert not two.done()
        go_on.set()
        await asyncio.gather(one, two)
        async with store.reading() as tx:
            assert [r["action"] for r in await tx.audit_for("x")] == ["first", "second"]


async def test_concurrent_read_check_writes_never_lose_an_update(tmp_path: Path) -> None:
    """Whatever connections writes run on, each write transaction sees every earlier one's
    effect: forty concurrent "read the count, write count + 1" leave forty distinct counts."""
    store = await Store(tmp_path / "h.db").open()
    try:
        async def bump() -> None:
            async with store.transaction() as tx:
                seen = len(await tx.audit_for("counter"))
                await asyncio.sleep(0)  # another write would slip in here, were writes not serialised
                await tx.audit("U1", f"after {seen}", "counter", None, datetime.now(UTC))

        await asyncio.gather(*(bump() for _ in range(40)))
        async with store.reading() as tx:
            assert sorted(r["action"] for r in await tx.audit_for("counter")) == sorted(
                f"after {n}" for n in range(40))
    finally:
        await store.close()


async def test_a_lost_read_connection_is_reopened_for_the_next_read(tmp_path: Path) -> None:
    """PostgreSQL keeps connections for reads too: one the server ended fails the read on it,
    and the next read gets a new connection."""
    async with postgresql_store(tmp_path) as store:
        async with store.reading() as tx:
            pid = (await tx._one("SELECT pg_backend_pid() AS pid"))["pid"]
        async with store.transaction() as tx:  # the writer's own connection
            assert (await tx._one("SELECT pg_terminate_backend(?, 5000) AS ok", (pid,)))["ok"]
        with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises for a dead connection
            async with store.reading() as tx:  # all readers idle: the first, the one just ended
                await tx._one("SELECT 1 AS x")
        async with store.reading() as tx:
            assert (await tx._one("SELECT pg_backend_pid() AS pid"))["pid"] != pid


async def test_a_read_runs_while_a_write_transaction_is_open_and_sees_what_was_committed(tmp_path: Path) -> None:
    """Reads do not queue behind writes (SQLite: a connection of their own; PostgreSQL: the pool):
    a pipeline is answered while a long move holds the writer, from the last committed state."""

    store = await Store(tmp_path / "h.db").open()
    try:
        async with store.transaction() as tx:
            await tx.audit("U1", "committed", "x", None, datetime.now(UTC))
        async with write_lock_held(store):
            async with asyncio.timeout(10):
                async with store.reading() as tx:
                    seen = [a["action"] for a in await tx.audit_for("x")]
            assert seen == ["committed"], "a read sees what was committed before it, not an open write"
        async with store.reading() as tx:
            assert len(await tx.audit_for("x")) == 2
    finally:
        await store.close()


async def test_a_move_logs_itself_drops_the_reminders_and_counts_as_the_transactions_write(tmp_path: Path) -> None:
    """One statement on PostgreSQL, three on SQLite: the same rows either way. It must count as a
    write, or the inbox claim would not mark the command applied (a restart would move twice)."""
    store = await Store(tmp_path / "h.db").open()
    now = datetime.now(UTC)
    async with store.transaction() as tx:
        oid = await tx.insert_opening("Engineer", {}, "UMGR", "C1", False, now)
        app = (await tx.insert_application(oid, "Ada", None, None, None, "applied", "UMGR", now))["id"]
        other = (await tx.insert_application(oid, "Bo", None, None, None, "applied", "UMGR", now))["id"]
        mine = await tx.insert_reminder("UMGR", oid, app, "applied", None, now, now + timedelta(days=1), now)
        theirs = await tx.insert_reminder("UMGR", oid, other, "applied", None, now, now + timedelta(days=1), now)
    async with store.transaction() as tx:
        row = await tx.move_application(app, "applied", "screen", "UMGR", "strong CV", now, drop_reminders=True)
        assert row is not None and row["stage"] == "screen" and row["id"] == app
        assert tx.changes > 0, "the move is this transaction's write"
    async with store.transaction() as tx:
        assert await tx.move_application(app, "applied", "offer", "UMGR", None, now, drop_reminders=True) is None
        assert tx.changes == 0, "a move from a stage it is no longer in writes nothing"
        kept = await tx.move_application(other, "applied", "screen", "UMGR", None, now)
        assert kept is not None
    async with store.reading() as tx:
        assert [(m["from_stage"], m["to_stage"], m["reason"]) for m in await tx.moves(app)] == [
            (None, "applied", "added"), ("applied", "screen", "strong CV")]
        assert [len(await tx.moves(other))] == [2]
        assert ((await tx.reminder(mine)) or {}).get("status") == "dropped"
        assert ((await tx.reminder(theirs)) or {}).get("status") == "pending", "not asked to drop: kept"
    await store.close()


async def test_literals_in_a_begin_round_trip_read_back_as_given(tmp_path: Path) -> None:
    """PostgreSQL's BEGIN, lock and first write share one simple query, which takes no
    parameters: values go in as literals, and must come back exactly as given."""
    from bot.storage.drivers import _literal

    with pytest.raises(TypeError):
        _literal(1.5)
    assert _literal(None) == "NULL"
    with pytest.raises(TypeError):
        _literal(True)
    async with postgresql_store(tmp_path) as store:
        tricky = ["it's", "back\\slash\\", "$$; DROP TABLE inbox; --", "ünï\u00a0cøde", "", "''", "\\'"]
        async with store.reading() as tx:
            for value in tricky:
                assert (await tx._one(f"SELECT {_literal(value)} AS v"))["v"] == value
            assert (await tx._one(f"SELECT {_literal(-42)} AS v"))["v"] == -42
            assert (await tx._one(f"SELECT {_literal(tricky)} AS v"))["v"] == tricky
            assert (await tx._one(f"SELECT {_literal(())} AS v"))["v"] == []
            assert (await tx._one(f"SELECT {_literal(None)} AS v"))["v"] is None


async def _moving_world(tmp_path: Path) -> tuple[Store, int, int]:
    """A store with OP-1 managed by UMGR and one application in ``applied`` with a pending
    reminder; (store, application id, inbox id of a recorded command)."""
    return await _moving_world_on(await Store(tmp_path / "h.db").open())


async def _moving_world_on(store: Store) -> tuple[Store, int, int]:
    from bot.storage import InboxRecord

    now = datetime.now(UTC)
    async with store.transaction() as tx:
        op = await tx.insert_opening("Engineer", {}, "UMGR", "C1", False, now)
        await tx.set_member(op, "UMGR", "manager", "UMGR", now)
        await tx.set_member(op, "UINT", "interviewer", "UMGR", now)
        app = int((await tx.insert_application(op, "Ann", None, None, None, "applied", "UMGR", now))["id"])
        await tx.insert_reminder("UMGR", op, app, "applied", "call Ann", now, now + timedelta(days=1), now)
    async with store.standalone() as tx:
        [inbox_id] = await tx.record_inbox_batch([InboxRecord(
            "command", "k1", None, None, "UMGR", "C1", "T1", None, "move APP-1 screen", None, now, "me",
            now + timedelta(minutes=5))])
    assert inbox_id is not None
    return store, app, inbox_id


def _guarded(app: int, from_stage: str, user: str = "UMGR", reason: str | None = None) -> GuardedMove:
    return GuardedMove(app, from_stage, "screen", user, reason, datetime.now(UTC), (user, ("manager", "recruiter")))


async def test_a_move_alone_is_made_and_marks_the_claim(tmp_path: Path) -> None:
    """Moved, logged, the application's reminders dropped and the claimed command's inbox row
    marked applied, all in one commit."""
    store, app, inbox_id = await _moving_world(tmp_path)
    try:
        tricky = "it's $$ back\\slash ' -- ünï"
        with store.claiming(inbox_id, lambda: datetime.now(UTC)) as claim:
            assert await store.move_alone(_guarded(app, "applied", reason=tricky))
            assert claim.applied
        async with store.reading() as tx:
            assert (await tx.application(app) or {})["stage"] == "screen"
            moves = await tx.moves(app)
            assert [(m["from_stage"], m["to_stage"], m["reason"]) for m in moves][-1] == ("applied", "screen", tricky)
            assert [r["status"] for r in await tx._all("SELECT status FROM reminders")] == ["dropped"]
            assert (await tx.inbox_item(inbox_id) or {})["applied_at"] is not None
    finally:
        await store.close()


async def test_a_move_alone_whose_grounds_changed_writes_nothing(tmp_path: Path) -> None:
    """Not in the stage it was read in, or the mover no longer manages the opening: nothing is
    written, the claim's row included, so the transaction that decides the move again marks it."""
    store, app, inbox_id = await _moving_world(tmp_path)
    try:
        assert not await store.move_alone(_guarded(app, "screen"))  # it is in "applied"
        assert not await store.move_alone(_guarded(app, "applied", user="UINT"))  # an interviewer
        with store.claiming(inbox_id, lambda: datetime.now(UTC)) as claim:
            assert not await store.move_alone(_guarded(app, "offer"))
            assert not claim.applied
            async with store.reading() as tx:
                assert (await tx.inbox_item(inbox_id) or {})["applied_at"] is None
            async with store.transaction() as tx:  # decided again
                await tx.audit("UMGR", "decided again", "x", None, datetime.now(UTC))
            assert claim.applied
        async with store.reading() as tx:
            assert (await tx.application(app) or {})["stage"] == "applied"
            assert all(m["to_stage"] != "screen" for m in await tx.moves(app))
            assert [r["status"] for r in await tx._all("SELECT status FROM reminders")] == ["pending"]
            assert (await tx.inbox_item(inbox_id) or {})["applied_at"] is not None
    finally:
        await store.close()


async def test_a_move_alone_of_an_applied_command_moves_nothing(tmp_path: Path) -> None:
    """Another replica applied the command first: the move is not made again, and deciding it
    again finds the command applied (as Hiring.move does)."""
    store, app, inbox_id = await _moving_world(tmp_path)
    try:
        async with store.transaction() as tx:
            await tx._run("UPDATE inbox SET applied_at = ? WHERE id = ?", (iso(datetime.now(UTC)), inbox_id))
        with store.claiming(inbox_id, lambda: datetime.now(UTC)), pytest.raises(AlreadyApplied):
            if not await store.move_alone(_guarded(app, "applied")):
                async with store.transaction():
                    pass
        async with store.reading() as tx:
            assert (await tx.application(app) or {})["stage"] == "applied"
    finally:
        await store.close()


async def test_a_move_alone_waits_for_the_write_lock_and_sees_what_was_committed_under_it(tmp_path: Path) -> None:
    """PostgreSQL: the move's one round trip takes the advisory lock first (it waits at the
    server while another write runs) and then reads afresh: a move committed meanwhile from the
    same stage means this one is not made, so the application is not moved twice."""
    async with postgresql_store(tmp_path) as store:
        _, app, _ = await _moving_world_on(store)
        holding, go_on = asyncio.Event(), asyncio.Event()

        async def meanwhile() -> None:
            async with store.transaction() as tx:
                assert await tx.move_application(app, "applied", "screen", "UMGR", None, datetime.now(UTC),
                                                 drop_reminders=True)
                holding.set()
                await go_on.wait()

        one = asyncio.create_task(meanwhile())
        await holding.wait()
        two = asyncio.create_task(store.move_alone(_guarded(app, "applied")._replace(to_stage="rejected")))
        await one_waits_for_the_write_lock(store)  # the barrier: the move's lock request is at the server
        assert not two.done()
        go_on.set()
        await one
        assert not await two
        async with store.reading() as tx:
            assert (await tx.application(app) or {})["stage"] == "screen"
            assert [m["to_stage"] for m in await tx.moves(app)][-1] == "screen"


async def test_the_guarded_move_is_prepared_once_per_connection(tmp_path: Path) -> None:
    """PostgreSQL: the move's statement is prepared on a write connection the first time and
    run with EXECUTE after that (a simple query's statement is planned every time, under the
    write lock)."""
    from bot.storage import GUARDED_MOVE

    async with postgresql_store(tmp_path) as store:
        _, app, _ = await _moving_world_on(store)
        for from_stage, to_stage in (("applied", "screen"), ("screen", "interview"), ("interview", "offer")):
            assert await store.move_alone(_guarded(app, from_stage)._replace(to_stage=to_stage))
        prepared = []
        for writer in store._writers:
            async with store._kept_connection(writer) as (_, db):
                prepared += [r["name"] for r in await db.fetch("SELECT name FROM pg_prepared_statements", ())]
        assert GUARDED_MOVE in prepared
        async with store.reading() as tx:
            assert (await tx.application(app) or {})["stage"] == "offer"


def _unread(app: int, *from_stages: str, user: str | None = "UMGR", to_stage: str = "screen",
            reason: str | None = None) -> UnreadMove:
    return UnreadMove(app, from_stages or ("applied",), to_stage, user or "UADMIN", reason, datetime.now(UTC),
                      None if user is None else (user, ("manager", "recruiter")))


async def test_a_move_unread_is_made_marks_the_claim_and_returns_the_rows(tmp_path: Path) -> None:
    """PostgreSQL: moved, logged, reminders dropped, the claimed command's row marked applied,
    and back come the application as written, its opening and team, and the stage it left."""
    async with postgresql_store(tmp_path) as store:
        _, app, inbox_id = await _moving_world_on(store)
        tricky = "it's $$ back\\slash ' -- ünï"
        with store.claiming(inbox_id, lambda: datetime.now(UTC)) as claim:
            moved = await store.move_unread(_unread(app, "applied", "interview", reason=tricky))
            assert moved is not None and claim.applied
        async with store.reading() as tx:
            rows = await tx.application_with_opening(app)
            assert rows is not None and (moved.application, moved.opening, moved.team) == rows
            assert moved.from_stage == "applied" and moved.application["stage"] == "screen"
            assert [(m["from_stage"], m["to_stage"], m["reason"]) for m in await tx.moves(app)][-1] == (
                "applied", "screen", tricky)
            assert [r["status"] for r in await tx._all("SELECT status FROM reminders")] == ["dropped"]
            assert (await tx.inbox_item(inbox_id) or {})["applied_at"] is not None
        assert await store.move_unread(_unread(app, "screen", user=None, to_stage="rejected")), "an admin"


async def test_a_move_unread_whose_grounds_do_not_hold_writes_nothing(tmp_path: Path) -> None:
    """PostgreSQL: not in an allowed stage, a mover who does not manage the opening, a forgotten
    application, a command applied already, no such application: None, and nothing written."""
    async with postgresql_store(tmp_path) as store:
        _, app, inbox_id = await _moving_world_on(store)
        assert await store.move_unread(_unread(app, "screen", "interview")) is None
        assert await store.move_unread(_unread(app, user="UINT")) is None  # an interviewer
        assert await store.move_unread(_unread(app, user="UOUT")) is None  # not on the team
        assert await store.move_unread(_unread(app + 1)) is None
        async with store.transaction() as tx:  # the command, applied by another replica
            await tx._run("UPDATE inbox SET applied_at = ? WHERE id = ?", (iso(datetime.now(UTC)), inbox_id))
        with store.claiming(inbox_id, lambda: datetime.now(UTC)) as claim:
            assert await store.move_unread(_unread(app)) is None and not claim.applied
        async with store.transaction() as tx:
            await tx._run("UPDATE applications SET forgotten_at = ? WHERE id = ?", (iso(datetime.now(UTC)), app))
        assert await store.move_unread(_unread(app)) is None
        async with store.reading() as tx:
            assert (await tx.application(app) or {})["stage"] == "applied"
            assert [m["to_stage"] for m in await tx.moves(app)] == ["applied"]
            assert [r["status"] for r in await tx._all("SELECT status FROM reminders")] == ["pending"]


async def test_a_move_unread_waits_for_the_write_lock_and_sees_what_was_committed_under_it(tmp_path: Path) -> None:
    """PostgreSQL: the function takes the advisory lock first (it waits at the server while
    another write runs) and only then reads, in a statement of its own: a move committed
    meanwhile is seen. Not allowed from the new stage, it is not made; allowed, it goes from
    there."""
    async with postgresql_store(tmp_path) as store:
        _, app, _ = await _moving_world_on(store)
        for allowed, made_from in ((("applied",), None), (("applied", "screen"), "screen")):
            holding, go_on = asyncio.Event(), asyncio.Event()
            async with store.reading() as tx:
                before = str((await tx.application(app) or {})["stage"])
            after = "screen" if before == "applied" else "applied"

            async def meanwhile(before: str = before, after: str = after, holding: asyncio.Event = holding,
                                go_on: asyncio.Event = go_on) -> None:
                async with store.transaction() as tx:
                    assert await tx.move_application(app, before, after, "UMGR", None, datetime.now(UTC),
                                                     drop_reminders=True)
                    holding.set()
                    await go_on.wait()

            one = asyncio.create_task(meanwhile())
            await holding.wait()
            two = asyncio.create_task(store.move_unread(_unread(app, *allowed, to_stage="rejected")))
            await one_waits_for_the_write_lock(store)  # the barrier: its lock request is at the server
            assert not two.done()
            go_on.set()
            await one
            moved = await two
            assert (moved.from_stage if moved else None) == made_from
            if moved is None:  # back to "applied" for the second round
                async with store.transaction() as tx:
                    assert await tx.move_application(app, "screen", "applied", "UMGR", None, datetime.now(UTC))
        async with store.reading() as tx:
            moves = [m["to_stage"] for m in await tx.moves(app)]
            assert moves == ["applied", "screen", "applied", "screen", "rejected"]


async def test_the_unread_move_function_is_made_once_per_write_connection(tmp_path: Path) -> None:
    """PostgreSQL: the function lives in the connection's temporary schema, made the first time a
    write connection runs it; a connection opened again after a loss makes it again."""
    from bot.storage.unread import UNREAD_MOVE

    async with postgresql_store(tmp_path) as store:
        _, app, _ = await _moving_world_on(store)
        steps = (("applied", "screen"), ("screen", "interview"), ("interview", "offer"), ("offer", "hired"))
        for a, b in steps:
            assert await store.move_unread(_unread(app, a, to_stage=b))
        defined = 0
        for writer in store._writers:
            async with store._kept_connection(writer) as (_, db):
                rows = await db.fetch("SELECT count(*) AS n FROM pg_proc WHERE proname = ? "
                                      "AND pronamespace = pg_my_temp_schema()", (UNREAD_MOVE,))
                defined += rows[0]["n"]
        assert 1 <= defined <= len(store._writers)
        async with store.reading() as tx:
            assert (await tx.application(app) or {})["stage"] == "hired"


async def test_a_failed_write_leaves_the_write_connections_usable(tmp_path: Path) -> None:
    """PostgreSQL: a move alone that fails (an id out of bigint's range) is rolled back by the
    server with its implicit transaction, and a claim found applied rolls back the transaction
    its mark began: on every write connection (as many at once take one each), the next writes
    go through."""
    async with postgresql_store(tmp_path) as store:
        _, app, _ = await _moving_world_on(store)

        async def claimed_write() -> None:
            with store.claiming(10**20, lambda: datetime.now(UTC)):  # no such row: found "applied"
                async with store.transaction() as tx:
                    await tx.audit("UMGR", "never", "x", None, datetime.now(UTC))

        n = len(store._writers)
        failed = await asyncio.gather(*(store.move_alone(_guarded(10**20, "applied")) for _ in range(n)),
                                      return_exceptions=True)
        assert len(failed) == n and all(isinstance(f, Exception) for f in failed), failed
        refused = await asyncio.gather(*(claimed_write() for _ in range(n)), return_exceptions=True)
        assert len(refused) == n and all(isinstance(f, AlreadyApplied) for f in refused), refused
        for writer in store._writers:  # none left inside a failed transaction
            async with store._kept_connection(writer) as (_, db):
                assert await db.fetch("SELECT 1 AS one", ()) == [{"one": 1}]

        async def audit(action: str) -> None:
            async with store.transaction() as tx:
                await tx.audit("UMGR", action, "x", None, datetime.now(UTC))

        for from_stage, to_stage in (("applied", "screen"), ("screen", "interview")):
            made, _ = await asyncio.gather(store.move_alone(_guarded(app, from_stage)._replace(to_stage=to_stage)),
                                           audit(f"beside {to_stage}"))
            assert made
        async with store.reading() as tx:
            assert (await tx.application(app) or {})["stage"] == "interview"
            assert sorted(r["action"] for r in await tx.audit_for("x")) == ["beside interview", "beside screen"]
