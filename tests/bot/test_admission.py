"""Admission: the queue of acknowledged work is bounded in seconds of work at the measured pace."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.admission import Admission


class Watched(Admission):
    """Tells when a request starts waiting for room: the barrier before asserting it has not got in."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.someone_waits = asyncio.Event()

    def queued(self) -> None:
        self.someone_waits.set()


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def processed(adm: Admission, clock: Clock, seconds: float) -> None:
    """One request admitted, then through a slot that holds it ``seconds`` of (fake) time, then done."""
    await adm.admit()
    async with adm.slot():
        clock.now += seconds
    adm.done()


async def test_until_a_busy_spell_shows_its_pace_the_queue_holds_least() -> None:
    adm = Watched(2, least=4, most=10, clock=Clock())
    for _ in range(4):
        await adm.admit()
    assert adm.pending == 4 and adm.limit() == 4
    waiting = asyncio.create_task(adm.admit())
    await adm.someone_waits.wait()  # the barrier: the 5th is queued for room
    assert not waiting.done()
    adm.done()
    await waiting
    assert adm.pending == 4


async def test_the_bound_is_the_budget_times_what_the_process_finishes() -> None:
    clock = Clock()
    adm = Watched(2, budget=1.0, least=1, most=1000, clock=clock)
    await adm.admit()  # one request stays pending throughout: one busy spell
    for _ in range(20):  # 20 items finished in the spell's first second: 20 items/s, 1 s of work is 20
        async with adm.slot():
            clock.now += 0.05
    assert adm.pace() == pytest.approx(20) and adm.limit() == 20
    for _ in range(19):
        await adm.admit()
    late = asyncio.create_task(adm.admit())
    await adm.someone_waits.wait()
    assert adm.pending == 20 and not late.done()
    adm.done()  # one finished: exactly one let in, first come first served
    await late
    assert adm.pending == 20 and adm.waiting() == 0


async def test_the_pace_of_a_past_spell_is_not_carried_into_the_next() -> None:
    """Quick commands then slow ones: the next burst is not let in at the quick ones' pace."""
    clock = Clock()
    adm = Admission(2, budget=1.0, least=3, most=1000, clock=clock)
    await adm.admit()
    for _ in range(100):
        async with adm.slot():
            clock.now += 0.002
    assert adm.limit() == 500
    adm.done()  # the spell ends
    assert adm.pace() == 0 and adm.limit() == 3


async def test_slower_work_means_a_shorter_queue() -> None:
    async def limit_at(seconds_each: float) -> int:
        clock = Clock()
        adm = Admission(2, budget=1.0, least=3, most=1000, clock=clock)
        await adm.admit()
        for _ in range(40):
            async with adm.slot():
                clock.now += seconds_each
        return adm.limit()

    assert 19 <= await limit_at(0.05) <= 21 and 9 <= await limit_at(0.1) <= 11  # (an item on the window's edge)
    assert await limit_at(0.5) == 3, "too few finished in the last second to tell: least"


async def test_a_request_waits_at_most_its_patience() -> None:
    adm = Admission(1, least=1, most=1, patience=0.0, clock=Clock())
    await adm.admit()
    await adm.admit()  # no room, and no patience: admitted anyway rather than kept from Slack's 3 s
    assert adm.pending == 2 and adm.waiting() == 0


async def test_a_waiter_that_gives_up_leaves_no_room_taken() -> None:
    adm = Watched(1, least=1, most=1, clock=Clock())
    await adm.admit()
    gone = asyncio.create_task(adm.admit())
    await adm.someone_waits.wait()
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert adm.waiting() == 0 and adm.pending == 1
    adm.done()
    await adm.admit()
    assert adm.pending == 1



async def test_when_the_pace_falls_a_finished_item_still_lets_one_in_within_the_hold() -> None:
    """The bound falls below the queue admitted earlier: within ``hold`` over the bound, each item
    finished is replaced by a waiting request (acks keep the pace of replies); beyond it the
    queue drains first."""
    clock = Clock()
    adm = Watched(2, budget=1.0, least=1, most=1000, hold=0.25, patience=60, clock=clock)

    async def finish(count: int, seconds_each: float) -> None:
        for _ in range(count):
            async with adm.slot():
                clock.now += seconds_each

    await adm.admit()  # pending throughout: one busy spell
    await finish(20, 0.05)  # 20 items/s: the bound is 20
    for _ in range(19):
        await adm.admit()
    await finish(20, 1 / 16)  # the last second now says 16 items/s: bound 16, hold up to 20
    assert adm.limit() == 16 and adm.pending == 20
    kept = asyncio.create_task(adm.admit())
    await adm.someone_waits.wait()
    adm.done()  # 19 pending, within 16 × 1.25: the waiter takes the finished item's place
    assert adm.pending == 20 and adm.waiting() == 0
    await kept

    await finish(20, 0.1)  # 10 items/s: bound 10, hold up to 12, and 20 are pending
    assert adm.limit() == 10
    adm.someone_waits.clear()
    held = asyncio.create_task(adm.admit())
    await adm.someone_waits.wait()
    for _ in range(8):  # down to 12: still over the hold, so nobody is let in
        adm.done()
    assert adm.pending == 12 and not held.done()
    assert adm.waiting() == 1
    adm.done()  # 11: within the hold again, so the waiter takes that place
    assert adm.pending == 12 and adm.waiting() == 0
    await held
