"""Parsing off the event loop, with a time limit.

Parsing is CPU work. On the event loop, one long paste would delay every other user's ack
(Slack wants one within 3 s), so pastes are parsed in worker processes: the loop only waits.
A paste that takes longer than the limit is abandoned — its worker is terminated, because a
thread cannot be stopped and a hung worker would keep a core — and the caller gets
:class:`ParseTooSlow`, which the user reads as "paste less". The parser is linear-time by
construction, so the limit is a guard for what nobody foresaw, not a normal path.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
from concurrent.futures import ProcessPoolExecutor

from .errors import BadInput
from .parsing import ParsedPosting, parse_posting

log = logging.getLogger("hirebot.parsing")

#: Seconds a paste may take; well above the parser's worst case (under 0.5 s for 60 KB).
DEFAULT_LIMIT = 2.0


class ParseTooSlow(BadInput):
    """The paste hit the time limit (it is reported, never retried)."""


def follow_parent() -> None:
    """In each worker, at its start: exit when hirebot does, however it ended. After a kill -9 the
    executor cannot stop its workers, and they would wait for work forever, two idle
    interpreters per restart; a supervisor's restart loop would pile them up."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])  # readable once the parent is gone
        os._exit(0)

    threading.Thread(target=watch, name="hirebot-parent-watch", daemon=True).start()


def _warm() -> bool:
    """Run once in each worker so the first real paste does not pay the imports and gazetteer."""
    parse_posting("Registered Nurse\nBerlin, Germany\n")
    return True


class ParserPool:
    """``await pool.parse(text)``: a :class:`ParsedPosting`, computed in a worker process."""

    _shared: ParserPool | None = None

    @classmethod
    def shared(cls) -> ParserPool:
        """One pool per process, however many apps it builds (the console, tests), closed at exit."""
        if cls._shared is None:
            cls._shared = cls()
            atexit.register(cls._shared.close)
        return cls._shared

    def __init__(self, limit: float = DEFAULT_LIMIT, workers: int | None = None) -> None:
        self.limit = limit
        self.workers = workers or max(1, min(2, os.cpu_count() or 1))
        self._pool: ProcessPoolExecutor | None = None
        self._warm = False

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # "spawn": forking a process that runs an event loop and database threads is unsafe.
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=follow_parent)
        return self._pool

    async def start(self) -> None:
        """Start the workers now (at start-up) rather than on the first paste. Two pastes arriving
        together while it starts both wait for it (each warms a worker: harmless); no lock, as
        the shared pool outlives any one event loop."""
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(self._executor(), _warm) for _ in range(self.workers)))
        self._warm = True

    async def parse(self, text: str) -> ParsedPosting:
        # Starting a worker (a new interpreter, the imports, the gazetteer) is not the paste's
        # time: on a busy machine it alone can pass the limit, and the paste would be refused.
        if not self._warm or self._pool is None:
            await self.start()
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor(), parse_posting, text)
        try:
            return await asyncio.wait_for(future, self.limit)
        except TimeoutError:
            log.warning("a paste of %d characters took over %.1f s to parse; its worker is stopped",
                        len(text), self.limit)
            self._kill()
            raise ParseTooSlow("paste_too_slow", limit=self.limit) from None

    def _kill(self) -> None:
        """Terminate the workers (one of them is stuck) and start afresh on the next paste."""
        pool, self._pool = self._pool, None
        self._warm = False
        if pool is None:
            return
        for process in list(getattr(pool, "_processes", {}).values()):  # no public API to stop a busy worker
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


class InlineParser:
    """Parse on the calling thread: for tests and tools that have no event loop to protect."""

    async def parse(self, text: str) -> ParsedPosting:
        return parse_posting(text)
