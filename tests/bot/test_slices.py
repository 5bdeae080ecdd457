"""The collector pause around bulk work (bot/slices.py)."""

from __future__ import annotations

import gc

from bot.slices import collector_paused


def test_the_collector_waits_while_bulk_work_runs_and_overlapping_users_keep_it_waiting() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled(), "the outer user is still inside"
    assert gc.isenabled()


async def test_building_thousands_of_openings_lets_the_event_loop_go_round() -> None:
    """A sweep or digest builds every open opening from its stored posting: at thousands of
    them that is tens of milliseconds of parsing, which must not hold acks and replies back."""
    import asyncio
    import json

    from bot.hiring import Hiring, Teams

    posting = json.dumps({"title": "Engineer", "sections": [{"heading": "About", "text": "x " * 2500}]})
    rows = [{"id": i, "title": f"Opening {i}", "status": "open", "data": posting, "channel_id": "C1",
             "message_ts": None, "permalink": None, "private_channel": 0, "created_by": "U1",
             "created_at": "2026-01-01T00:00:00+00:00"} for i in range(1, 5001)]
    teams = Teams({i: [{"user_id": "UM", "role": "manager"}] for i in range(1, 5001)}, {})
    teams.counts.update({i: {} for i in range(1, 5001)})
    rounds = 0

    def tick() -> None:
        nonlocal rounds
        rounds += 1

    asyncio.get_running_loop().call_soon(tick)
    openings = await Hiring.assemble(rows, teams)
    assert len(openings) == 5000 and openings[0].manager == "UM" and openings[-1].data["title"] == "Engineer"
    assert rounds == 1, "the loop went round while they were built"
