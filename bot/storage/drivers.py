"""How statements reach the database: one SQLAlchemy engine per store, SQLite or PostgreSQL.

The queries (in :mod:`bot.storage`) are written once, with ``?`` placeholders, as SQLAlchemy Core
``text()`` constructs: :func:`statement` compiles each one, once per dialect, to the driver's own
SQL and parameter order (``?`` for sqlite3, ``$1`` for asyncpg). The engine owns connecting,
pooling, the per-connection set-up (SQLite's WAL and busy timeout) and Alembic's migrations.

Why statements then run on the driver connection the engine hands out, rather than through
``AsyncConnection.execute``: the generic async adapter costs several thread hops or greenlet
switches per statement. Measured on this machine, one indexed SELECT took 440-610 µs through
``AsyncConnection.execute`` on aiosqlite against 110-140 µs on aiosqlite itself (260 against 117 µs
on asyncpg), and a stage move is seven statements. So a :class:`Driver` does exactly four
things per dialect (fetch rows, run a write, run a write for many parameter sets, and the
transaction statements), and everything else, SQL included, is shared.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

#: Every write transaction on PostgreSQL takes this advisory lock first: writes are serialised
#: across all replicas, as SQLite's one writer serialises them, so every read-check-write in the
#: domain (a move only from the stage it was read in, at most 100 reminders a person...) holds
#: on both backends without a retry loop. Reads run concurrently in snapshots. ("hire")
WRITE_LOCK = 0x68697265

_QMARK = re.compile(r"\?")


def database_url(target: str | Path) -> URL:
    """A SQLAlchemy URL for ``target``: a URL as given, or a SQLite file path (``HIREBOT_DB``)."""
    raw = str(target)
    if "://" in raw:
        url = make_url(raw)
        if url.get_backend_name() == "postgresql" and url.get_driver_name() != "asyncpg":
            url = url.set(drivername="postgresql+asyncpg")
        if url.get_backend_name() == "sqlite" and url.get_driver_name() != "aiosqlite":
            url = url.set(drivername="sqlite+aiosqlite")
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {url.get_backend_name()!r}: use sqlite or postgresql")
        return url
    return URL.create("sqlite+aiosqlite", database=raw)


@functools.lru_cache(maxsize=2048)
def statement(sql: str, dialect: Dialect) -> tuple[str, tuple[int, ...]]:
    """``sql`` with ``?`` placeholders, compiled for ``dialect``: the driver's SQL, and for each of
    its placeholders the index of the argument it takes. Compiled once per (SQL, dialect)."""
    count = 0

    def named(_: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return f":p{count - 1}"

    compiled = text(_QMARK.sub(named, sql)).compile(dialect=dialect)
    order = tuple(int(name[1:]) for name in compiled.positiontup or ())
    return str(compiled), order


class Driver(Protocol):
    """One open connection's statements, for a transaction of :class:`bot.storage.Tx`."""

    async def fetch(self, sql: str, args: Sequence[Any]) -> list[dict[str, Any]]: ...

    def alive(self) -> bool: ...

    async def run(self, sql: str, args: Sequence[Any]) -> int:
        """Execute a write; the number of rows it changed."""
        ...

    async def many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int: ...

    async def begin(self, write: bool) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class _Shared:
    """What both drivers do the same way: compile, run one statement for many rows, end a transaction
    (aiosqlite's and asyncpg's connections both have ``execute`` and ``executemany``)."""

    def __init__(self, connection: Any, dialect: Dialect) -> None:
        self._db = connection
        self._dialect = dialect
        self._broken = False

    def alive(self) -> bool:
        """False once the connection is gone or could not end a transaction: do not reuse it."""
        return not self._broken and not self._closed()

    def _closed(self) -> bool:
        return False

    def _compiled(self, sql: str, args: Sequence[Any]) -> tuple[str, tuple[Any, ...]]:
        driver_sql, order = statement(sql, self._dialect)
        return driver_sql, tuple(args[i] for i in order)

    async def many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        driver_sql, order = statement(sql, self._dialect)
        batch = [tuple(r[i] for i in order) for r in rows]
        if batch:
            await self._db.executemany(driver_sql, batch)
        return len(batch)

    async def commit(self) -> None:
        await self._db.execute("COMMIT")

    async def rollback(self) -> None:
        """Roll back; a connection that cannot (it was lost) is marked broken instead, so the
        error that made the caller roll back is the one raised, and the connection is not reused."""
        try:
            await self._db.execute("ROLLBACK")
        except Exception:
            self._broken = True


class SqliteDriver(_Shared):
    """aiosqlite: one thread hop per statement (``execute_fetchall``)."""

    async def fetch(self, sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        rows = await self._db.execute_fetchall(*self._compiled(sql, args))
        return [dict(r) for r in rows]

    async def run(self, sql: str, args: Sequence[Any]) -> int:
        # The statement is complete (and reset) when execute returns: no fetch, no close hop.
        return int((await self._db.execute(*self._compiled(sql, args))).rowcount)

    async def begin(self, write: bool) -> None:
        # IMMEDIATE takes the write lock up front: two writers never deadlock upgrading a read lock.
        await self._db.execute("BEGIN IMMEDIATE" if write else "BEGIN DEFERRED")


_STATUS_COUNT = re.compile(r"(\d+)$")


class PostgresDriver(_Shared):
    """asyncpg: prepared statements from its per-connection cache, one round trip each."""

    def _closed(self) -> bool:
        return bool(self._db.is_closed())

    async def fetch(self, sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        driver_sql, bound = self._compiled(sql, args)
        return [dict(r) for r in await self._db.fetch(driver_sql, *bound)]

    async def run(self, sql: str, args: Sequence[Any]) -> int:
        driver_sql, bound = self._compiled(sql, args)
        status = await self._db.execute(driver_sql, *bound)  # "UPDATE 3", "INSERT 0 1"…
        found = _STATUS_COUNT.search(status or "")
        return int(found.group(1)) if found else 0

    async def begin(self, write: bool) -> None:
        if write:  # one round trip: a simple query may hold several statements
            await self._db.execute(f"BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock({WRITE_LOCK})")
        else:
            await self._db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")


def make_engine(url: URL) -> AsyncEngine:
    """The engine for ``url``. Connections are in autocommit mode: every transaction is begun and
    ended by :class:`Driver` statements (SQLite's ``BEGIN IMMEDIATE`` for writes), never implicitly."""
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_settings(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
            # WAL: a kill -9 loses nothing committed and readers never block the writer. The busy
            # timeout lets another process (a backup, a second replica) finish its write first.
            cursor = dbapi_connection.cursor()
            for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "busy_timeout = 5000",
                           "foreign_keys = ON"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        return engine
    # A pool per replica: reads run side by side; writes queue for the advisory lock anyway.
    return create_async_engine(url, isolation_level="AUTOCOMMIT", pool_size=8, max_overflow=8,
                               pool_pre_ping=True, connect_args={"statement_cache_size": 512})


async def driver_for(connection: AsyncConnection) -> Driver:
    """The :class:`Driver` over an engine connection's driver-level connection."""
    raw = await connection.get_raw_connection()
    dbapi = raw.driver_connection
    dialect = connection.dialect
    if dialect.name == "sqlite":
        import sqlite3

        dbapi.row_factory = sqlite3.Row  # type: ignore[union-attr]
        return SqliteDriver(dbapi, dialect)
    return PostgresDriver(dbapi, dialect)
