"""A move is decided on a read beside the write lock and made under it only if what it rested on
still holds (bot.hiring.Hiring.move, bot.storage.GuardedMove); otherwise it is decided again
under the lock. These tests change the grounds between the read and the write."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from bot.errors import Forbidden
from bot.storage import Tx
from tests.bot.conftest import World


def after_the_read(world: World, change: Callable[[], Awaitable[object]]) -> None:
    """Run ``change`` once, just after the next move's read (before its write)."""
    original = world.store.glance
    pending = [change]

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
