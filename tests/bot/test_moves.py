"""A move is decided on a read beside the write lock and made under it only if what it rested on
still holds (bot.hiring.Hiring.move, bot.storage.GuardedMove); otherwise it is decided again
under the lock. Most tests here change the grounds between the read and the write.

On PostgreSQL a move is first tried with no read at all (bot.storage.Store.move_unread): one
round trip that makes it if every check holds, and reads back what the reply needs. The read
path is what runs when that declines, and what the race tests below drive."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from bot.errors import BadInput, Forbidden, InvalidMove
from bot.storage import Moved, Tx, UnreadMove
from tests.bot.conftest import World


def after_the_read(world: World, change: Callable[[], Awaitable[object]]) -> None:
    """Run ``change`` once, just after the next move's read (before its write). The move takes
    the read path: the one-round-trip move of PostgreSQL has no "between" to change things in."""
    original = world.store.glance
    pending = [change]

    async def declined(move: UnreadMove) -> Moved | None:
        return None

    world.store.move_unread = declined  # type: ignore[method-assign]

    @asynccontextmanager
    async def glance() -> AsyncIterator[Tx]:
        async with original() as tx:
            yield tx
        if pending:
            await pending.pop()()

    world.store.glance = glance  # type: ignore[method-assign]


async def test_a_mover_removed_from_the_team_meanwhile_is_refused(world: World) -> None:
    op = await world.opening()
    await world.hiring.team_add(op, "UMGR", "UREC", "recruiter")
    app = await world.candidate(op)
    after_the_read(world, lambda: world.hiring.team_remove(op, "UMGR", "UREC"))
    with pytest.raises(Forbidden):
        await world.hiring.move(app, "UREC", "screen")
    _, now = await world.hiring.application(app, "UMGR")
    assert now.stage == "applied"


async def test_a_move_made_meanwhile_is_built_on(world: World) -> None:
    """Read in "applied", moved to "screen" by someone else before the write: the move to
    "rejected" (allowed from either) is decided again and goes from "screen"."""
    op = await world.opening()
    app = await world.candidate(op)
    after_the_read(world, lambda: world.hiring.move(app, "UMGR", "screen"))
    _, moved, from_stage = await world.hiring.move(app, "UMGR", "rejected")
    assert (from_stage, moved.stage) == ("screen", "rejected")
    _, _, history, _ = await world.hiring.history(app, "UMGR")
    assert [(m["from_stage"], m["to_stage"]) for m in history][-2:] == [("applied", "screen"), ("screen", "rejected")]


async def test_an_unchanged_move_returns_what_was_written(world: World) -> None:
    op = await world.opening()
    app = await world.candidate(op)
    _, moved, from_stage = await world.hiring.move(app, "UMGR", "screen", reason="strong CV")
    _, stored = await world.hiring.application(app, "UMGR")
    assert (from_stage, moved.stage, moved.stage_since) == ("applied", stored.stage, stored.stage_since)


def reads_of(world: World) -> list[str]:
    """The reads before a move from now on (one entry each)."""
    original, reads = world.store.glance, []

    @asynccontextmanager
    async def glance() -> AsyncIterator[Tx]:
        reads.append("glance")
        async with original() as tx:
            yield tx

    world.store.glance = glance  # type: ignore[method-assign]
    return reads


async def test_a_move_on_postgresql_reads_nothing_first_and_returns_what_a_read_would(world: World) -> None:
    op = await world.opening()
    await world.hiring.team_add(op, "UMGR", "UREC", "recruiter")
    app = await world.candidate(op)
    reads = reads_of(world)
    got_op, moved, from_stage = await world.hiring.move(app, "UREC", "screen", reason="strong CV")
    assert reads == ([] if world.store.dialect == "postgresql" else ["glance"])
    fresh_op, fresh_app = await world.hiring.application(app, "UMGR")
    assert (moved, from_stage) == (fresh_app, "applied")
    got_op.counts = fresh_op.counts  # (a move does not count the opening's candidates)
    assert got_op == fresh_op
    assert [m.user_id for m in got_op.members] == ["UMGR", "UREC"]
    _, _, history, _ = await world.hiring.history(app, "UMGR")
    assert [(m["from_stage"], m["to_stage"], m["actor"], m["reason"]) for m in history][-1] == (
        "applied", "screen", "UREC", "strong CV")


async def test_a_move_that_may_not_happen_is_refused_for_its_reason_and_writes_nothing(world: World) -> None:
    """Each check the move makes, on either path: refused with the reason the read path gives."""
    op = await world.opening()
    await world.hiring.team_add(op, "UMGR", "UINT", "interviewer")
    await world.hiring.team_add(op, "UMGR", "UREC", "recruiter")
    app = await world.candidate(op)
    gone = await world.candidate(op, name="Grace Hopper")
    await world.hiring.forget(gone, "UREC")
    with pytest.raises(Forbidden) as refused:
        await world.hiring.move(app, "UINT", "screen")
    assert refused.value.code == "manage_only"
    with pytest.raises(Forbidden):
        await world.hiring.move(app, "UOUT", "screen")
    with pytest.raises(InvalidMove) as stale:
        await world.hiring.move(app, "UMGR", "interview", expected_stage="screen")
    assert stale.value.code == "already_moved"
    with pytest.raises(InvalidMove) as skipped:
        await world.hiring.move(app, "UMGR", "hired")
    assert skipped.value.code == "cannot_move"
    with pytest.raises(BadInput) as forgotten:
        await world.hiring.move(gone, "UMGR", "screen")
    assert forgotten.value.code == "forgotten_cannot_move"
    _, now = await world.hiring.application(app, "UMGR")
    _, _, history, _ = await world.hiring.history(app, "UMGR")
    assert now.stage == "applied" and [m["to_stage"] for m in history] == ["applied"]
