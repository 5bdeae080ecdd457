"""Parsing in worker processes with a time limit: a stuck paste is stopped, the next one works."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path

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


HOLDER = """
import asyncio, json, sys
from bot.parser_pool import ParserPool

async def main() -> None:
    pool = ParserPool(workers=2)
    await pool.start()
    print(json.dumps(sorted(pool._executor()._processes)), flush=True)
    await asyncio.Event().wait()  # until killed

asyncio.run(main())
"""


def test_the_workers_exit_when_hirebot_is_killed() -> None:
    """kill -9 leaves the executor no chance to stop its workers: each must notice by itself,
    or every restart leaves two idle interpreters behind."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).parents[2])
    try:
        assert proc.stdout is not None
        workers = json.loads(proc.stdout.readline())  # the barrier: both workers are up
        assert len(workers) == 2
        exits = [os.pidfd_open(pid) for pid in workers]  # readable once that process has ended
    finally:
        proc.kill()
        proc.wait()
    try:
        for fd in exits:
            readable, _, _ = select.select([fd], [], [], 30)
            assert readable, "a parser worker outlived the process that started it"
    finally:
        for fd in exits:
            os.close(fd)
