"""Bulk seeding for the benchmarks: plain SQL inside a :class:`bot.storage.Tx`, on either backend."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.storage import Tx


class Seed:
    """``execute``/``executemany`` over a transaction's statements (``?`` placeholders), so seeding
    code reads like the sqlite3 it was written for and runs on PostgreSQL as well."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        return await self.tx._run(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        await self.tx._many(sql, rows)
