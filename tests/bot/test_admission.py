"""Admission: the queue of acknowledged work is bounded in seconds of work at the measured pace."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.admission import TRUSTED_AFTER, Admission


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


async def test_before_any_pace_is_known_a_burst_is_let_in_up_to_the_memory_bound() -> None:
    adm = Watched(2, least=4, most=10, clock=Clock())
    for _ in range(10):
        await adm.admit()
    assert adm.pending == 10 and adm.limit() == 10
    waiting = asyncio.create_task(adm.admit())
    await adm.someone_waits.wait()  # the barrier: the 11th is queued for room
    assert not waiting.done()
    adm.done()
    await waiting
    assert adm.pending == 10


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


async def test_before_a_spell_has_a_rate_the_time_in_a_slot_gives_the_pace() -> None:
    clock = Clock()
    adm = Admission(2, budget=1.0, least=1, most=1000, clock=clock)
    for _ in range(TRUSTED_AFTER - 1):
        await processed(adm, clock, 0.1)  # each its own spell: no finishing rate to count
    assert adm.limit() == 1000, "not enough items yet to trust their time in a slot: the memory bound"
    await processed(adm, clock, 0.1)  # 2 slots, 0.1 s each: 20 items/s
    assert adm.pace() == pytest.approx(20) and adm.limit() == 20


async def test_slower_work_means_a_shorter_queue_but_never_below_least() -> None:
    clock = Clock()
    adm = Admission(2, budget=1.0, least=3, most=1000, clock=clock)
    for _ in range(300):  # the moving average settles on 2 s an item: 1 item/s
        await processed(adm, clock, 2.0)
    assert adm.pace() == pytest.approx(1.0, rel=0.05)
    assert adm.limit() == 3


async def test_slow_first_items_do_not_linger_in_the_pace() -> None:
    """After start-up the first items are slow (new connections, cold caches): a plain mean over
    the first ones lets the next ones outweigh them, where a moving average would drag them on."""
    clock = Clock()
    adm = Admission(2, budget=1.0, least=1, most=1000, clock=clock)
    await processed(adm, clock, 2.0)
    for _ in range(99):
        await processed(adm, clock, 0.1)
    assert 17 < adm.pace() < 20  # a moving average started at the first would say 5.5 items/s


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

