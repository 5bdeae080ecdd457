"""Parsing in worker processes with a time limit: a stuck paste is stopped, the next one works."""

from __future__ import annotations

import pytest

from bot.parser_pool import ParserPool, ParseTooSlow

HUGE = ("Responsibilities\n" + "• Own the on-call rota for the billing platform and its runbooks\n" * 900)


async def test_a_paste_over_the_limit_is_stopped_and_the_pool_recovers() -> None:
    pool = ParserPool(limit=0.001, workers=1)
    try:
        with pytest.raises(ParseTooSlow) as slow:
            await pool.parse(HUGE)
        assert slow.value.code == "paste_too_slow"
        pool.limit = 30.0  # the same pool, a fresh worker
        parsed = await pool.parse("Registered Nurse, ICU\nRiverside Health\n\nRequirements:\n- RN licence\n")
        assert parsed.title == "Registered Nurse, ICU"
    finally:
        pool.close()
