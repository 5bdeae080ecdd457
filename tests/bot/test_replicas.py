"""Replicas sharing one database (bot/inbox.py, "Replicas"): who holds an inbox row, when another
replica may take it over, and the de-duplication keys every replica checks atomically.

Two stores on the same file stand for two processes (each has its own connection; SQLite's write
lock, or PostgreSQL's row locks, decide between them)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import iso_us
from bot.inbox import SEEN_AT_LEAST, Inbox, Received
from bot.storage import MIGRATIONS, Store

from .conftest import World

LEASE = timedelta(seconds=30)


def command(text: str, n: int) -> Received:
    return Received(kind="command", user_id="UMGR", channel_id="CJOBS", text=text,
                    response_url=f"https://hooks.slack.test/commands/{n}", trigger_id=f"trig-{n}")


@pytest.fixture
async def other(world: World) -> AsyncIterator[Store]:
    """A second connection to the world's database: another replica's."""
    store = await Store(world.path).open()
    yield store
    await store.close()


def replica(store: Store, world: World, name: str) -> Inbox:
    return Inbox(store, world.clock, holder=name, lease=LEASE)


async def row(world: World, inbox_id: int) -> dict[str, Any]:
    async with world.store.transaction() as tx:
        found = await tx.inbox_item(inbox_id)
    assert found is not None
    return found


async def test_a_live_replicas_rows_are_left_alone_until_its_lease_runs_out(world: World, other: Store) -> None:
    a, b = replica(world.store, world, "a"), replica(other, world, "b")
    item = await a.record(command("note APP-1 held by a", 1))
    assert item is not None and a.held() == {item.id}
    r = await row(world, item.id)
    assert r["holder"] == "a" and r["lease_until"] == iso_us(world.clock() + LEASE)

    assert await b.backlog() == [] and await b.take_expired() == [], "a holds it, and its lease is ahead"
    world.clock.advance(seconds=20)
    await a.renew()  # a is alive: 30 s more from now
    world.clock.advance(seconds=20)
    assert await b.take_expired() == [], "renewed, so not yet expired"
    world.clock.advance(seconds=31)  # a stopped renewing (it died)
    taken = await b.take_expired()
    assert [i.id for i in taken] == [item.id] and b.held() == {item.id}
    assert (await row(world, item.id))["holder"] == "b"
    assert await b.take_expired() == [] and await a.take_expired() == [], "taken once"
    await a.renew()
    assert a.held() == set(), "a, had it lived on, lets go of what b took over"


async def test_a_replica_restarted_under_its_id_takes_its_rows_back_at_once(world: World, other: Store) -> None:
    a = replica(world.store, world, "a")
    mine = await a.record(command("note APP-1 mine", 1))
    theirs = await replica(other, world, "b").record(command("note APP-1 theirs", 2))
    assert mine and theirs
    again = replica(other, world, "a")  # a's new process: same replica id, nothing in memory
    assert [i.id for i in await again.backlog()] == [mine.id], "b's row is b's while b's lease runs"
    world.clock.advance(seconds=31)
    assert [i.id for i in await again.backlog()] == [mine.id, theirs.id], "b died: its lease ran out"


async def test_racing_replicas_take_each_expired_row_exactly_once(world: World, other: Store) -> None:
    a = replica(world.store, world, "a")
    ids = [item.id for n in range(40) if (item := await a.record(command(f"note APP-1 n{n}", n)))]
    world.clock.advance(seconds=31)
    third = await Store(world.path).open()
    try:
        takers = [replica(s, world, name) for s, name in ((world.store, "b"), (other, "c"), (third, "d"))]
        got = await asyncio.gather(*(t.take_expired(limit=5) for t in takers for _ in range(4)))
        rest = await takers[0].take_expired(limit=100)
    finally:
        await third.close()
    taken = [i.id for batch in got for i in batch] + [i.id for i in rest]
    assert sorted(taken) == ids, "every row taken by exactly one replica"


async def test_a_row_another_replica_applied_is_left_to_it(world: World, other: Store) -> None:
    """a stalled past its lease; b took the row over and applied it. a's late attempt rolls back
    and a sends no reply and marks nothing: the row is b's to answer."""
    op = await world.opening()
    await world.candidate(op, "Ada Lovelace")
    a, b = replica(world.store, world, "a"), replica(other, world, "b")
    item = await a.record(command("note APP-1 once", 1))
    assert item is not None
    world.clock.advance(seconds=31)
    [taken] = await b.take_expired()
    replied: list[str] = []

    async def work(who: str) -> None:
        await world.hiring.note_application(1, "UMGR", "once")
        replied.append(who)

    await b.handle(taken, lambda: work("b"))
    await a.handle(item, lambda: work("a"))
    assert replied == ["b"]
    async with world.store.transaction() as tx:
        assert await tx._all("SELECT text FROM notes WHERE text = 'once'") == [{"text": "once"}]
    r = await row(world, item.id)
    assert r["outcome"] == "replied" and r["holder"] == "b"


async def test_a_row_whose_answered_mark_failed_is_let_go_and_confirmed_once_its_lease_runs_out(
        world: World, other: Store) -> None:
    """PostgreSQL: the command was applied and its reply went out, then the connection the
    "answered" mark goes on broke (a server restart ends it the same way). Renewed, the row would
    wait for this process's next start; it is let go instead, and once its lease runs out it is
    taken over and confirmed, not applied a second time."""
    if world.store.dialect != "postgresql":
        pytest.skip("on SQLite the marks share the one writer's connection: no connection of their own to lose")
    op = await world.opening()
    await world.candidate(op, "Ada Lovelace")
    a = replica(world.store, world, "a")
    item = await a.record(command("note APP-1 once", 1))
    assert item is not None
    async with world.store._kept_connection(world.store._standalone) as (_, db):  # the marks' connection
        [marks] = await db.fetch("SELECT pg_backend_pid() AS pid", ())

    async def work() -> None:
        await world.hiring.note_application(1, "UMGR", "once")
        async with other.reading() as tx:  # waits until that backend is gone
            assert (await tx._one("SELECT pg_terminate_backend(?, 5000) AS ok", (marks["pid"],)))["ok"]

    with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises for a dead connection
        await a.handle(item, work)
    assert a.held() == set()
    r = await row(world, item.id)
    assert r["applied_at"] and r["answered_at"] is None
    await a.renew()
    assert (await row(world, item.id))["lease_until"] == r["lease_until"], "not renewed"
    world.clock.advance(seconds=31)
    taken = await a.take_expired()  # this replica's keep_up, or any other's
    assert [i.id for i in taken] == [item.id]
    processed: list[int] = []
    confirmed: list[int] = []

    async def process(i: Any, fresh: bool) -> None:
        processed.append(i.id)

    async def confirm(i: Any, fresh: bool) -> None:
        confirmed.append(i.id)

    done = await a.resume(taken, process, confirm)
    assert done.confirmed == confirmed == [item.id] and processed == []
    assert (await row(world, item.id))["outcome"] == "confirmed"
    async with world.store.reading() as tx:
        assert await tx._all("SELECT text FROM notes WHERE text = 'once'") == [{"text": "once"}]


@pytest.mark.sqlite_only
async def test_rows_from_before_leases_are_taken_by_any_replica(tmp_path: Path) -> None:
    """An unanswered row written by a version without leases (schema 5) has no holder: whichever
    replica starts first resumes it."""
    db = tmp_path / "v5.db"
    con = sqlite3.connect(db, isolation_level=None)
    for script in MIGRATIONS[:5]:
        con.executescript(script)
    con.execute("PRAGMA user_version = 5")
    con.execute("INSERT INTO inbox (kind, user_id, text, received_at) VALUES ('command', 'U1', 'help', "
                "'2026-11-02T09:00:00+00:00')")
    con.close()
    store = await Store(db).open()
    try:
        taken = await Inbox(store, holder="new").take_expired()
        assert [i.received.text for i in taken] == ["help"]
    finally:
        await store.close()


async def test_seen_keys_are_checked_atomically_across_processes(world: World, other: Store) -> None:
    from bot.hiring import Hiring

    there = Hiring(other, clock=world.clock)
    keys = [f"Ev{n}" for n in range(30)]
    firsts = await asyncio.gather(*(h.first_time(k) for k in keys for h in (world.hiring, there, world.hiring)))
    assert sum(firsts) == len(keys), "each key is first exactly once"


async def test_seen_keys_are_kept_an_hour_at_least(world: World) -> None:
    inbox = Inbox(world.store, world.clock)
    assert await world.hiring.first_time("Ev-old")
    world.clock.advance(minutes=59)
    assert await world.hiring.first_time("Ev-recent")
    assert await inbox.forget_seen(keep=timedelta(0)) == 0, "asked to keep nothing: an hour is kept anyway"
    assert not await world.hiring.first_time("Ev-old"), "a retry 59 minutes on is still refused"
    world.clock.advance(minutes=2)
    assert await inbox.forget_seen(keep=timedelta(0)) == 1
    assert not await world.hiring.first_time("Ev-recent")
    world.clock.advance(days=1)
    assert await inbox.forget_seen() == 1
    assert await world.hiring.first_time("Ev-recent"), "forgotten after a day"
    assert SEEN_AT_LEAST == timedelta(hours=1)


async def test_a_default_id_of_a_process_gone_from_this_host_is_taken_back_at_once(world: World,
                                                                                   other: Store) -> None:
    """With the default replica id (host:pid, new at every start), a restarted single replica finds
    its predecessor's rows held by a pid no longer running here: it takes them at once."""
    import socket
    import sys

    from bot.config import gone_from_this_host

    child = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await child.wait()  # reaped: its pid runs nothing now
    done = str(child.pid)
    dead = f"{socket.gethostname()}:{done}"
    alive = f"{socket.gethostname()}:{os.getppid()}"
    assert gone_from_this_host(dead) and not gone_from_this_host(alive)
    assert not gone_from_this_host(f"elsewhere:{done}") and not gone_from_this_host("web-1")
    before = await replica(world.store, world, dead).record(command("note APP-1 before the crash", 1))
    running = await replica(world.store, world, alive).record(command("note APP-1 elsewhere", 2))
    assert before and running
    taken = await replica(other, world, f"{socket.gethostname()}:{os.getpid()}").backlog(gone=gone_from_this_host)
    assert [i.id for i in taken] == [before.id]
