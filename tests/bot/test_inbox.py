"""The durable inbox (bot/inbox.py): replays, the claim that marks a command applied in its own
write transaction, and the start-up resume after a real kill -9 on either side of that commit."""

from __future__ import annotations

import asyncio
import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import utcnow
from bot.inbox import KEEP, REPLY_WINDOW, Inbox, InboxItem, Received
from bot.storage import AlreadyApplied, Store
from tests import databases
from tests.crash import kill_9_when

from .conftest import World


def command(text: str, n: int = 1, **kw: Any) -> Received:
    base: dict[str, Any] = {"kind": "command", "user_id": "UMGR", "channel_id": "CJOBS", "text": text,
                            "response_url": f"https://hooks.slack.test/commands/{n}", "trigger_id": f"trig-{n}"}
    return Received(**{**base, **kw})


async def seeded(world: World) -> int:
    """An opening with one candidate, APP-1; the opening's id."""
    op = await world.opening()
    await world.candidate(op, "Ada Lovelace")
    return op


async def notes(world: World, text: str) -> int:
    async with world.store.transaction() as tx:
        return len([n for n in await tx._all("SELECT text FROM notes") if n["text"] == text])


async def row(world: World, inbox_id: int) -> dict[str, Any]:
    async with world.store.reading() as tx:
        found = await tx.inbox_item(inbox_id)
    assert found is not None
    return found


class Calls:
    """Process and confirm callbacks that record what a resume asked for."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.processed: list[tuple[int, bool]] = []
        self.confirmed: list[tuple[int, bool]] = []

    async def process(self, item: InboxItem, fresh: bool) -> None:
        self.processed.append((item.id, fresh))
        text = item.received.text.split(None, 2)[2]
        await self.world.hiring.note_application(1, item.received.user_id, text)

    async def confirm(self, item: InboxItem, fresh: bool) -> None:
        self.confirmed.append((item.id, fresh))


async def test_an_exact_replay_is_recorded_once(world: World) -> None:
    inbox = Inbox(world.store, world.clock)
    first = await inbox.record(command("note APP-1 hello"))
    assert first is not None
    assert await inbox.record(command("note APP-1 hello")) is None, "the same signed request again"
    assert await inbox.record(command("note APP-1 hello", n=2)) is not None, "a new invocation"
    # Without a trigger id or response URL (a modal, a listener called directly) nothing is deduplicated.
    assert await inbox.record(command("help", response_url=None)) is not None
    assert await inbox.record(command("help", response_url=None)) is not None
    backlog = await inbox.backlog()
    assert len(backlog) == 4 and backlog[0].id == first.id
    assert [i.received.text for i in backlog] == ["note APP-1 hello"] * 2 + ["help"] * 2


async def test_records_arriving_together_share_one_insert_and_each_gets_its_own_answer(world: World) -> None:
    """Group commit: concurrent records go in one multi-row INSERT, told apart by key. A replay
    in the same batch, or of a row already there, is None; unkeyed requests each get a row."""
    inbox = Inbox(world.store, world.clock)
    earlier = await inbox.record(command("note APP-1 earlier", n=99))
    assert earlier is not None
    received = [command("note APP-1 a", n=1), command("note APP-1 b", n=2), command("note APP-1 a", n=1),
                command("help", response_url=None), command("help", response_url=None),
                command("note APP-1 earlier", n=99), command("note APP-1 c", n=3)]
    got = await asyncio.gather(*(inbox.record(r) for r in received))
    ids = [None if g is None else g.id for g in got]
    assert ids[2] is None and ids[5] is None, "replays: in the batch, and of an earlier row"
    kept = [i for i in ids if i is not None]
    assert len(kept) == len(set(kept)) == 5 and earlier.id not in kept
    for g, r in zip(got, received, strict=True):
        if g is not None:
            assert g.received == r and (await row(world, g.id))["text"] == r.text
    await inbox.answered(kept[0], "replied")
    await asyncio.gather(*(inbox.answered(i, "replied") for i in reversed(kept[1:])))
    assert all([(await row(world, i))["answered_at"] for i in kept])


async def test_records_and_answers_do_not_wait_behind_a_write_on_postgresql(world: World) -> None:
    """PostgreSQL: the inbox writes beside the write lock (Store.standalone), so a command is
    recorded, and another answered, while a long write holds the lock. (SQLite has one writer.)"""
    if world.store.dialect != "postgresql":
        pytest.skip("SQLite has one writer: everything waits for it")
    inbox = Inbox(world.store, world.clock)
    first = await inbox.record(command("note APP-1 first", n=1))
    assert first is not None
    holding, release = asyncio.Event(), asyncio.Event()

    async def long_write() -> None:
        async with world.store.transaction() as tx:
            await tx.audit("U1", "long", "x", None, world.clock())
            holding.set()
            await release.wait()

    writer = asyncio.create_task(long_write())
    await holding.wait()
    try:
        async with asyncio.timeout(30):  # behind the lock they would wait for the release
            second = await inbox.record(command("note APP-1 second", n=2))
            await inbox.answered(first.id, "replied")
    finally:
        release.set()
        await writer
    assert second is not None and (await row(world, second.id))["text"] == "note APP-1 second"
    assert (await row(world, first.id))["answered_at"]


async def test_answered_marks_chosen_to_break_a_deadlock_are_run_again(world: World) -> None:
    """PostgreSQL: the marks lock their rows in id order, beside the write lock. A write that
    locks the same rows in another order (a forget's scrub) can deadlock with them; the server
    then ends one, and when it picks the marks they are simply run again."""
    if world.store.dialect != "postgresql":
        pytest.skip("SQLite has one writer: nothing to deadlock with")
    inbox = Inbox(world.store, world.clock)
    a, b = await inbox.record(command("note APP-1 a", n=1)), await inbox.record(command("note APP-1 b", n=2))
    assert a is not None and b is not None and a.id < b.id
    holding_b, go = asyncio.Event(), asyncio.Event()

    async def scrub_backwards() -> None:
        async with world.store.transaction() as tx:
            await tx._run("UPDATE inbox SET text = text WHERE id = ?", (b.id,))
            holding_b.set()
            await go.wait()
            await tx._run("UPDATE inbox SET text = text WHERE id = ?", (a.id,))

    scrub = asyncio.create_task(scrub_backwards())
    await holding_b.wait()
    marks = asyncio.gather(inbox.answered(a.id, "replied"), inbox.answered(b.id, "replied"))
    async with asyncio.timeout(30):
        while True:  # the marks hold a and wait for b
            async with world.store.reading() as tx:
                waiting = await tx._one("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                        "AND datname = current_database()")
            if waiting and waiting["n"]:
                break
            await asyncio.sleep(0.02)
        go.set()  # the scrub now waits for a: a cycle, which the server breaks after deadlock_timeout
        await scrub
        await marks
    assert (await row(world, a.id))["answered_at"] and (await row(world, b.id))["answered_at"]


async def test_the_first_write_marks_it_applied_in_the_same_transaction(world: World) -> None:
    await seeded(world)
    inbox = Inbox(world.store, world.clock)
    item = await inbox.record(command("note APP-1 first"))
    assert item is not None

    async def work() -> None:
        await world.hiring.history(1, "UMGR")  # a read: not the command's effect
        assert (await row(world, item.id))["applied_at"] is None
        async with world.store.transaction() as tx:  # a write transaction that writes nothing
            await tx.prefs("UMGR")
        assert (await row(world, item.id))["applied_at"] is None, "the mark went with the BEGIN: taken back"
        await world.hiring.note_application(1, "UMGR", "first")
        assert (await row(world, item.id))["applied_at"] is not None
        await world.hiring.note_application(1, "UMGR", "second write, same command")  # no second mark

    await inbox.handle(item, work)
    r = await row(world, item.id)
    assert r["applied_at"] and r["answered_at"] and r["outcome"] == "replied"
    assert await inbox.backlog() == []


async def test_a_failed_write_leaves_it_unapplied(world: World) -> None:
    await seeded(world)
    inbox = Inbox(world.store, world.clock)
    item = await inbox.record(command("note APP-1 boom"))
    assert item is not None
    with pytest.raises(ZeroDivisionError), inbox.applying(item):
        async with world.store.transaction() as tx:
            await tx.insert_note(1, 1, "UMGR", "boom", "command", None, world.clock())
            raise ZeroDivisionError("the write fails after the insert")
    assert (await row(world, item.id))["applied_at"] is None and await notes(world, "boom") == 0


async def test_applying_an_applied_row_again_rolls_the_write_back(world: World) -> None:
    await seeded(world)
    inbox = Inbox(world.store, world.clock)
    item = await inbox.record(command("note APP-1 once"))
    assert item is not None
    with inbox.applying(item):
        await world.hiring.note_application(1, "UMGR", "once")
    with pytest.raises(AlreadyApplied), inbox.applying(item):
        await world.hiring.note_application(1, "UMGR", "once")
    assert await notes(world, "once") == 1


async def test_a_task_spawned_by_the_command_does_not_claim_it(world: World) -> None:
    """A scheduler job or card refresh started while a command runs is not the command."""
    await seeded(world)
    inbox = Inbox(world.store, world.clock)
    item = await inbox.record(command("pipeline OP-1"))
    assert item is not None
    with inbox.applying(item):
        await asyncio.create_task(world.hiring.note_application(1, "UMGR", "from a side task"))
    assert (await row(world, item.id))["applied_at"] is None


def _child(db: str, marker: Path, body: str) -> str:
    """A child process: record one command, run ``body`` under its claim, never answer it."""
    head = textwrap.dedent(f"""
        import asyncio, pathlib
        from bot.hiring import Hiring
        from bot.inbox import Inbox, Received
        from bot.storage import Store

        async def main():
            store = await Store({db!r}).open()
            hiring, inbox = Hiring(store), Inbox(store)
            item = await inbox.record(Received("command", "UMGR", "CJOBS", text="note APP-1 kept once",
                                               response_url="https://hooks.slack.test/commands/9",
                                               trigger_id="trig-9"))
            marker = pathlib.Path({str(marker)!r})
            with inbox.applying(item):
    """)
    tail = "    await asyncio.sleep(3600)\n\nasyncio.run(main())\n"
    return head + textwrap.indent(textwrap.dedent(body).strip("\n"), " " * 8) + "\n" + tail


async def test_a_crash_after_the_domain_commit_is_confirmed_once_and_not_applied_again(
        world: World, tmp_path: Path) -> None:
    await seeded(world)
    marker = tmp_path / "committed"
    # The note commits (and with it "applied"); the process dies before its reply is marked.
    script = _child(await databases.target(world.path), marker, """
        await hiring.note_application(1, "UMGR", "kept once")
        marker.write_text("x")
    """)
    await asyncio.to_thread(kill_9_when, script, marker.exists, 30)
    await world.restart()
    inbox, calls = Inbox(world.store, utcnow), Calls(world)
    backlog = await inbox.backlog()
    assert [i.applied_at is not None for i in backlog] == [True]
    done = await inbox.resume(backlog, calls.process, calls.confirm)
    assert calls.processed == [] and calls.confirmed == [(backlog[0].id, True)]
    assert done.confirmed == [backlog[0].id] and await notes(world, "kept once") == 1
    assert (await row(world, backlog[0].id))["outcome"] == "confirmed"
    again = await inbox.resume(await inbox.backlog(), calls.process, calls.confirm)  # a second restart
    assert again.confirmed == again.reprocessed == [] and len(calls.confirmed) == 1


async def test_a_crash_before_the_domain_commit_is_applied_exactly_once(world: World, tmp_path: Path) -> None:
    await seeded(world)
    marker = tmp_path / "writing"
    # Killed inside the command's write transaction: the note is written but never committed.
    script = _child(await databases.target(world.path), marker, """
        async with store.transaction() as tx:
            await tx.insert_note(1, 1, "UMGR", "kept once", "command", None, hiring.clock())
            marker.write_text("x")
            await asyncio.sleep(3600)
    """)
    await asyncio.to_thread(kill_9_when, script, marker.exists, 30)
    await world.restart()
    assert await notes(world, "kept once") == 0
    inbox, calls = Inbox(world.store, utcnow), Calls(world)
    backlog = await inbox.backlog()
    assert [i.applied_at for i in backlog] == [None]
    done = await inbox.resume(backlog, calls.process, calls.confirm)
    assert calls.processed == [(backlog[0].id, True)] and calls.confirmed == []
    assert done.reprocessed == [backlog[0].id] and await notes(world, "kept once") == 1
    r = await row(world, backlog[0].id)
    assert r["applied_at"] and r["answered_at"] and r["outcome"] == "replied"
    again = await inbox.resume(await inbox.backlog(), calls.process, calls.confirm)
    assert again.reprocessed == [] and await notes(world, "kept once") == 1


async def test_resume_reports_stale_response_urls_and_expires_what_is_too_old(world: World) -> None:
    await seeded(world)
    inbox, calls = Inbox(world.store, world.clock), Calls(world)
    old = await inbox.record(command("note APP-1 from yesterday", n=1))
    world.clock.advance(hours=2)
    stale = await inbox.record(command("note APP-1 an hour ago", n=2))
    world.clock.advance(hours=1)
    fresh = await inbox.record(command("note APP-1 just now", n=3))
    assert old and stale and fresh
    world.clock.advance(minutes=1)
    world.clock.now = old.received_at + KEEP + timedelta(minutes=1)  # the first is now over a day old
    stale_age = world.clock.now - stale.received_at
    assert stale_age > REPLY_WINDOW
    done = await inbox.resume(await inbox.backlog(), calls.process, calls.confirm)
    assert done.expired == [old.id] and done.reprocessed == [stale.id, fresh.id]
    assert calls.processed == [(stale.id, False), (fresh.id, False)]
    assert await notes(world, "from yesterday") == 0 and await notes(world, "just now") == 1


async def test_answered_rows_are_pruned_after_a_day(world: World) -> None:
    inbox = Inbox(world.store, world.clock)
    item = await inbox.record(command("help"))
    assert item is not None
    await inbox.answered(item.id, "replied")
    assert await inbox.prune() == 0
    world.clock.advance(days=1, minutes=1)
    assert await inbox.prune() == 1 and await inbox.item(item.id) is None


async def test_a_time_zone_cached_on_the_way_does_not_count_as_the_commands_effect(tmp_path: Path) -> None:
    """`/hiring remind` may first cache the user's Slack time zone: that write must not mark the
    command applied, or a crash before the reminder is saved would confirm a reminder that never was."""
    store = await Store(tmp_path / "c.db").open()
    try:
        inbox = Inbox(store)
        item = await inbox.record(Received(kind="command", user_id="U1", channel_id="C1", text="remind OP-1 in 2d",
                                           response_url="https://hooks.slack.test/1", trigger_id="trig-tz"))
        assert item is not None
        with store.claiming(item.id, utcnow) as claim:
            async with store.transaction(cache=True) as tx:
                await tx.set_prefs("U1", tz="Europe/Berlin")
            assert not claim.applied
            async with store.transaction() as tx:
                await tx.set_prefs("U1", notify="off")  # stands for the command's own write
            assert claim.applied
    finally:
        await store.close()
