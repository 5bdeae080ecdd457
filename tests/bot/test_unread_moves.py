"""PostgreSQL: unread moves waiting together go in one round trip (bot.storage.unread).

Each test holds the write lock in a transaction on one write connection, so the first move's
round trip waits at the server on the other and every later move waits in the store: the
barrier is that queue's length and the lock request seen in ``pg_locks``, never a sleep."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.storage import Moved, Store, UnreadMove, unread
from tests.bot.test_storage import _moving_world_on, one_waits_for_the_write_lock, postgresql_store


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


@asynccontextmanager
async def _write_lock_held(store: Store) -> AsyncIterator[asyncio.Event]:
    """The write lock held by a transaction until the event is set (or the block ends)."""
    holding, go_on = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with store.transaction() as tx:
            await tx.audit("UMGR", "holding", "x", None, datetime.now(UTC))
            holding.set()
            await go_on.wait()

    holder = asyncio.create_task(hold())
    await holding.wait()
    try:
        yield go_on
    finally:
        go_on.set()
        await holder


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
        async with _write_lock_held(store):
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
        async with _write_lock_held(store):
            tasks = await _queued(store, [store.move_unread(_move(apps[0], "applied", "screen")),
                                          store.move_unread(_move(apps[1], "applied", "screen")),
                                          store.move_unread(_move(apps[2], "offer", "hired")),
                                          store.move_unread(_move(apps[3], "applied", "screen"))])
        moved = await asyncio.gather(*tasks)
        assert batches == [1, 3]
        assert [m is not None for m in moved] == [True, True, False, True]
        async with store.reading() as tx:
            assert (await tx.application(apps[2]) or {})["stage"] == "applied"


async def test_a_batch_that_fails_is_sent_again_move_by_move(tmp_path: Path, batches: list[int]) -> None:
    """A database error in one move rolls its whole batch back; each move is then sent by
    itself, so only the one at fault fails (an id out of bigint's range) and the others are made."""
    async with postgresql_store(tmp_path) as store:
        apps = await _applications(store, 3)
        async with _write_lock_held(store):
            tasks = await _queued(store, [store.move_unread(_move(apps[0], "applied", "screen")),
                                          store.move_unread(_move(apps[1], "applied", "screen")),
                                          store.move_unread(_move(10**20, "applied", "screen")),
                                          store.move_unread(_move(apps[2], "applied", "screen"))])
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        assert sorted(batches) == [1, 1, 1, 1, 3]
        assert [isinstance(o, Moved) for o in outcomes] == [True, True, False, True]
        assert isinstance(outcomes[2], Exception)
        async with store.reading() as tx:
            assert [(await tx.application(a) or {})["stage"] for a in apps] == ["screen"] * 3


async def test_a_move_cancelled_before_it_went_is_taken_back(tmp_path: Path, batches: list[int]) -> None:
    """A caller cancelled while its move waits in the store (a request given up): the move is
    not sent, and the moves beside it are."""
    async with postgresql_store(tmp_path) as store:
        apps = await _applications(store, 3)
        async with _write_lock_held(store):
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
