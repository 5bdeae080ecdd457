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
