"""Where a benchmark's databases live, for ``python -m bench --backend sqlite|postgresql``.

- ``sqlite`` (the default): SQLite files in a temporary directory, as each benchmark always did.
- ``postgresql``: a new database per server or per measured thing on one PostgreSQL server
  (:class:`bench.scaleout.Databases`), dropped when the section ends. The server is given
  (``--postgres URL``) or a throwaway cluster started once for the whole run (``.ci/postgres``).

A *target* is what hirebot is pointed at: a SQLite file path (``HIREBOT_DB``) or a database URL
(``HIREBOT_DATABASE_URL``). The raw-driver baselines on PostgreSQL use asyncpg directly, on the
same schema (hirebot's own, created by opening ``bot.storage.Store`` on the database once).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.scaleout import Databases

BACKENDS = ("sqlite", "postgresql")
_QMARK = re.compile(r"\?")


def is_url(target: str | Path) -> bool:
    return "://" in str(target)


def db_env(target: str | Path) -> dict[str, str]:
    """The environment that points hirebot at ``target`` (the other variable emptied for a URL)."""
    if is_url(target):
        return {"HIREBOT_DATABASE_URL": str(target), "HIREBOT_DB": ""}
    return {"HIREBOT_DB": str(target)}


def dsn(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+asyncpg://…``) as asyncpg takes it (``postgresql://…``)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def dollar(sql: str) -> str:
    """``?`` placeholders as asyncpg's ``$1, $2…`` (the statements here have no ``?`` in literals)."""
    count = 0

    def number(_: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return f"${count}"

    return _QMARK.sub(number, sql)


async def connect(url: str) -> Any:
    """A raw asyncpg connection to the database at ``url``."""
    import asyncpg

    return await asyncpg.connect(dsn(url))


async def analyze(url: str) -> None:
    """Planner statistics for freshly loaded tables (what autovacuum gathers within a minute of a
    bulk load): a benchmark measures the steady state, not the minute after an import."""
    con = await connect(url)
    try:
        await con.execute("ANALYZE")
    finally:
        await con.close()


async def server_version(url: str) -> str:
    con = await connect(url)
    try:
        return str(await con.fetchval("SHOW server_version")).split()[0]
    finally:
        await con.close()


@asynccontextmanager
async def databases(server: str | None) -> AsyncIterator[Databases | None]:
    """New databases on ``server`` for the block, all dropped after it; None for SQLite."""
    if server is None:
        yield None
        return
    from bench.scaleout import Databases

    pg = Databases(server)
    try:
        yield pg
    finally:
        await pg.drop_all()


@dataclass
class Places:
    """Where one section's databases go: files in ``tmp``, or new databases on ``pg``."""

    tmp: Path
    pg: Databases | None

    @property
    def backend(self) -> str:
        return "sqlite" if self.pg is None else "postgresql"

    async def new(self, label: str) -> str | Path:
        """A new, empty place for a database (``label`` names it: letters, digits, ``_``)."""
        return await self.pg.new(label) if self.pg is not None else self.tmp / f"{label}.db"

    async def copy(self, source: str | Path, label: str) -> str | Path:
        """A fresh copy of the database ``source`` made here (PostgreSQL: ``CREATE DATABASE …
        TEMPLATE``, with nobody connected to ``source``)."""
        if self.pg is not None:
            return await self.pg.new(label, template=str(source))
        path = self.tmp / f"{label}.db"
        await asyncio.to_thread(shutil.copyfile, source, path)
        return path

    async def drop(self, target: str | Path) -> None:
        if self.pg is not None:
            await self.pg.drop(str(target))
        else:
            await asyncio.to_thread(Path(target).unlink, missing_ok=True)

    async def loaded(self, target: str | Path) -> None:
        """After seeding: on PostgreSQL, :func:`analyze` (SQLite: nothing, as before)."""
        if self.pg is not None:
            await analyze(str(target))


@asynccontextmanager
async def places(server: str | None) -> AsyncIterator[Places]:
    """A temporary directory and, with a PostgreSQL ``server``, its :func:`databases`."""
    with tempfile.TemporaryDirectory() as tmp:
        async with databases(server) as pg:
            yield Places(Path(tmp), pg)


def prefix(backend: str) -> str:
    """What row labels start with: "" on SQLite (the table as it always was), "PostgreSQL: " else."""
    return "PostgreSQL: " if backend == "postgresql" else ""
