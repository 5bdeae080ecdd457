"""PostgreSQL: unread moves waiting together go in one round trip (bot.storage.unread).

Each test holds the write lock in a transaction on one write connection, so the first move's
round trip waits at the server on the other and every later move waits in the store: the
barrier is that queue's length and the lock request seen in ``pg_locks``, never a sleep."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.storage import Moved, Store, UnreadMove, unread
from tests.bot.test_storage import _moving_world_on, one_waits_for_the_write_lock, postgresql_store, write_lock_held


def _move(app: int, from_stage: str, to_stage: str, reason: str | None = None) -> UnreadMove:
    return UnreadMove(app, (from_stage,), to_stage, "UMGR", reason, datetime.now(UTC), ("UMGR", ("manager",)))


async def _applications(store: Store, count: int) -> list[int]:
    """``count`` applications in "applied" on one opening managed by UMGR."""
    _, first, _ = await _moving_world_on(store)
    apps = [first]
    async with store.transaction() as tx:
        opening = int((await tx.application(first) or {})["opening_id"])
        for i in range(count - 1):
            row = await tx.insert_application(opening, f"Candidate {i}", None, None, None, "applied", "UMGR",
                                              datetime.now(UTC))
            apps.append(int(row["id"]))
    return apps


async def _queued(store: Store, moves: list[Awaitable[Moved | None]]) -> list[asyncio.Future[Any]]:
    """The moves started in order: the first, once it waits for the lock at the server, then the
    others; returns once they all wait in the store for a write connection."""
    tasks = [asyncio.ensure_future(moves[0])]
    await one_waits_for_the_write_lock(store)
    tasks += [asyncio.ensure_future(m) for m in moves[1:]]
    async with asyncio.timeout(10):
        while True:
            if len(store._unread._waiting) == len(moves) - 1:
                return tasks
            await asyncio.sleep(0.005)


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every round trip of unread moves."""
    sizes: list[int] = []
    real = unread._round_trip

    async def counted(db: Any, moves: list[dict[str, Any]]) -> list[str | None]:
        sizes.append(len(moves))
        return await real(db, moves)

    monkeypatch.setattr(unread, "_round_trip", counted)
    return sizes


async def test_moves_waiting_together_go_in_one_round_trip_in_order(tmp_path: Path, batches: list[int]) -> None:
    """Ten moves behind the lock: the first goes by itself, the nine waiting go in one round
    trip, made in the order they came (the same application's second move sees its first), each
    with its own answer."""
    async with postgresql_store(tmp_path) as store:
        apps = await _applications(store, 9)
        async with write_lock_held(store):
            tasks = await _queued(store, [store.move_unread(_move(apps[0], "applied", "screen"))]
                                  + [store.move_unread(_move(a, "applied", "screen", f"r{a}")) for a in apps[1:]]
                                  + [store.move_unread(_move(apps[-1], "screen", "interview"))])
        moved = await asyncio.gather(*tasks)
        assert batches == [1, 9]
        assert [m.from_stage if m else None for m in moved] == ["applied"] * 9 + ["screen"]
        assert [m.application["id"] if m else None for m in moved] == [*apps, apps[-1]]
        async with store.reading() as tx:
            for app, m in zip(apps[1:-1], moved[1:-2], strict=True):
                rows = await tx.application_with_opening(app)
                assert rows is not None and m is not None and (m.application, m.opening, m.team) == rows
                assert [(mv["to_stage"], mv["reason"]) for mv in await tx.moves(app)][-1] == ("screen", f"r{app}")
            assert [mv["to_stage"] for mv in await tx.moves(apps[-1])] == ["applied", "screen", "interview"]


async def test_a_move_refused_in_a_batch_leaves_the_others_made(tmp_path: Path, batches: list[int]) -> None:
    """A move whose grounds do not hold is None in its batch; the rest are made."""
    async with postgresql_store(tmp_path) as store:
        apps = await _applications(store, 4)
        async with write_lock_held(store):
            tasks = await _queued(store, [store.move_unread(_move(apps[0], "applied", "screen")),
                                          store.move_unread(_move(apps[1], "applied", "screen")),
                                          store.move_unread(_move(apps[2], "offer", "hired")),
                                          store.move_unread(_move(apps[3], "applied", "screen"))])
        moved = await asyncio.gather(*tasks)
        assert batches == [1, 3]
        assert [m is not None for m in moved] == [True, True, False, True]
        async with store.reading() as tx:
            assert (await tx.application(apps[2]) or {})["stage"] == "applied"


async def test_a_batch_the_server_refuses_is_sent_again_move_by_move_in_order(tmp_path: Path,
                                                                               batches: list[int]) -> None:
    """A move that fails at the server half-way through a batch (a stage that may not be NULL)
    rolls back the moves made before it in that batch; each is then sent by itself, in the
    batch's order, in the same turn: only the one at fault fails, the others are made once, and
    an application's second move still comes after its first."""
    async with postgresql_store(tmp_path) as store:
        apps = await _applications(store, 4)
        at_fault = _move(apps[2], "applied", "screen")._replace(to_stage=None)  # type: ignore[arg-type]
        async with write_lock_held(store):
            tasks = await _queued(store, [store.move_unread(_move(apps[0], "applied", "screen")),
                                          store.move_unread(_move(apps[1], "applied", "screen")),
                                          store.move_unread(at_fault),
                                          store.move_unread(_move(apps[3], "applied", "screen")),
                                          store.move_unread(_move(apps[1], "screen", "interview"))])
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        assert batches == [1, 4, 1, 1, 1, 1]
        assert [isinstance(o, Moved) for o in outcomes] == [True, True, False, True, True]
        assert getattr(outcomes[2], "sqlstate", None) == "23502"  # not_null_violation
        async with store.reading() as tx:
            assert [(await tx.application(a) or {})["stage"] for a in apps] == [
                "screen", "interview", "applied", "screen"]
            assert [m["to_stage"] for m in await tx.moves(apps[1])] == ["applied", "screen", "interview"]
            assert [m["to_stage"] for m in await tx.moves(apps[2])] == ["applied"]


async def test_a_batch_whose_answer_is_lost_is_not_sent_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              batches: list[int]) -> None:
    """The connection lost after the server ran a batch (here: committed, then the answer lost):
    whether it committed is unknown to hirebot, so each caller is told the error and nothing is
    sent again (a move sent again could be made twice)."""
    async with postgresql_store(tmp_path) as store:
        apps = await _applications(store, 3)
        counted = unread._round_trip

        async def answer_lost(db: Any, moves: list[dict[str, Any]]) -> list[str | None]:
            results = await counted(db, moves)
            if len(moves) > 1:
                raise ConnectionResetError("connection lost")
            return results

        monkeypatch.setattr(unread, "_round_trip", answer_lost)
        async with write_lock_held(store):
            tasks = await _queued(store, [store.move_unread(_move(a, "applied", "screen")) for a in apps])
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        assert batches == [1, 2]
        assert isinstance(outcomes[0], Moved)
        assert [type(o) for o in outcomes[1:]] == [ConnectionResetError] * 2
        async with store.reading() as tx:
            for app in apps:
                assert [m["to_stage"] for m in await tx.moves(app)] == ["applied", "screen"]


async def test_claimed_commands_in_a_batch_are_each_marked_applied_if_made(tmp_path: Path,
                                                                           batches: list[int]) -> None:
    """Each move carries its own claim: in one batch, the commands whose moves are made are
    marked applied (and their claims know it); one another replica applied already is not made."""
    from bot.storage import InboxRecord

    async with postgresql_store(tmp_path) as store:
        apps = await _applications(store, 3)
        now = datetime.now(UTC)
        async with store.standalone() as tx:
            inbox = await tx.record_inbox_batch([InboxRecord(
                "command", f"batch-{a}", None, None, "UMGR", "C1", "T1", None, f"move APP-{a} screen", None, now, "me",
                now) for a in apps])
        async with store.transaction() as tx:  # the last one, applied by another replica
            await tx._run("UPDATE inbox SET applied_at = ? WHERE id = ?", (now.isoformat(), inbox[2]))

        async def claimed(app: int, inbox_id: int | None) -> tuple[bool, bool]:
            assert inbox_id is not None
            with store.claiming(inbox_id, lambda: datetime.now(UTC)) as claim:
                moved = await store.move_unread(_move(app, "applied", "screen"))
                return moved is not None, claim.applied

        async with write_lock_held(store):
            tasks = await _queued(store, [claimed(a, i) for a, i in zip(apps, inbox, strict=True)])
        assert await asyncio.gather(*tasks) == [(True, True), (True, True), (False, False)]
        assert batches == [1, 2]
        async with store.reading() as tx:
            assert [(await tx.inbox_item(i or 0) or {})["applied_at"] is not None for i in inbox] == [True] * 3
            assert [(await tx.application(a) or {})["stage"] for a in apps] == ["screen", "screen", "applied"]


async def test_a_move_cancelled_before_it_went_is_taken_back(tmp_path: Path, batches: list[int]) -> None:
    """A caller cancelled while its move waits in the store (a request given up): the move is
    not sent, and the moves beside it are."""
    async with postgresql_store(tmp_path) as store:
        apps = await _applications(store, 3)
        async with write_lock_held(store):
            first, given_up, last = await _queued(store, [store.move_unread(_move(a, "applied", "screen"))
                                                          for a in apps])
            given_up.cancel()
            with pytest.raises(asyncio.CancelledError):
                await given_up
            assert len(store._unread._waiting) == 1
        assert await first and await last
        assert batches == [1, 1]
        async with store.reading() as tx:
            assert [(await tx.application(a) or {})["stage"] for a in apps] == ["screen", "applied", "screen"]
