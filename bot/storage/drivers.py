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

Why SQLite's statements then skip even aiosqlite's thread (:class:`InlineSqliteDriver`): writes
are serialised on one connection, so the time a write transaction holds it bounds throughput. Each
thread hop resumes only when the busy event loop comes round to it, so under load a seven-statement
stage move held the writer for about 2 ms, of which the statements themselves took 0.1 ms. Run on
the loop thread, straight on sqlite3, the same moves doubled the replies per second a process
sends (bench ``ack``: 324-367 -> 584-688/s); reads (a pipeline's five, then) gain the same way. What
must not run there is kept off it:

- a read that runs longer than :data:`INLINE_BUDGET` is interrupted and run again in a thread,
  one with more rows than the loop converts in that time hands the rest of them to a thread, and
  both run there from then on; a write that took longer three times in a row runs in a thread
  from then on (an interrupted write would undo its whole transaction);
- ``executemany`` over :data:`INLINE_MANY` rows, and every wait for another process's write lock
  (the busy timeout is 0 on the loop), run in a thread;
- a caller running many quick statements lets the loop go round every :data:`INLINE_BUDGET`,
  between write transactions (never inside one: that would hold SQLite's write lock meanwhile);
- the WAL is checkpointed in a thread (:meth:`bot.storage.Store._after_commit`), never inside a
  COMMIT on the loop.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, cast

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

log = logging.getLogger("hirebot.storage")

#: How long one statement may hold the event loop. A read still running then is interrupted and
#: run again in a thread; a write that took longer runs in a thread from then on. Counted in the
#: loop thread's CPU time: a quick statement that waited for the GIL (the parser pool's feeder
#: thread, a checkpoint) took long on the clock, and must not be sent to a thread for good.
INLINE_BUDGET = 0.004
#: Rows a read converts at a time on the loop between looks at the CPU it has taken.
FETCH_CHUNK = 64
#: An ``executemany`` with more parameter sets than this runs in a thread.
INLINE_MANY = 64
#: How long a statement waits in a thread for another process's write lock (SQLite's busy
#: timeout, as every other connection has): on the loop it never waits at all.
LOCK_PATIENCE_MS = 5000
#: How long a starting hirebot waits for another process's SQLite lock (to switch a new file to
#: WAL, to migrate) before it gives up.
START_PATIENCE = 120.0
#: Runs in a row over :data:`INLINE_BUDGET` that send a write to a thread for good: one alone may
#: have carried a garbage collection of the whole heap (13-50 ms) that happened to start in it.
SLOW_STRIKES = 3
_STRIKES: dict[str, int] = {}
#: Statements (driver SQL) seen to take longer than :data:`INLINE_BUDGET` on the loop: they run
#: in a thread for the rest of the process's life.
_SLOW_SQL: set[str] = set()


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

    async def begin_with(self, sql: str, args: Sequence[Any]) -> int:
        """Begin a write transaction and run the write ``sql`` in it; the rows it changed."""
        ...

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

    def _batched(self, sql: str, rows: Iterable[Sequence[Any]]) -> tuple[str, list[tuple[Any, ...]]]:
        driver_sql, order = statement(sql, self._dialect)
        return driver_sql, [tuple(r[i] for i in order) for r in rows]

    async def many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        driver_sql, batch = self._batched(sql, rows)
        if batch:
            await self._db.executemany(driver_sql, batch)
        return len(batch)

    async def begin_with(self, sql: str, args: Sequence[Any]) -> int:
        """Two statements (PostgreSQL's driver does both in one round trip)."""
        me = cast(Driver, self)
        await me.begin(write=True)
        return await me.run(sql, args)

    async def commit(self) -> None:
        await self._db.execute("COMMIT")

    async def rollback(self) -> None:
        """Roll back; a connection that cannot (it was lost) is marked broken instead, so the
        error that made the caller roll back is the one raised, and the connection is not reused."""
        try:
            await self._db.execute("ROLLBACK")
        except Exception:
            self._broken = True


class InlineSqliteDriver(_Shared):
    """SQLite statements on the event loop's own thread, straight on sqlite3: why, and what is
    kept off the loop, in the module's docstring.

    The connection is aiosqlite's sqlite3 connection, opened with ``check_same_thread=False``; the
    store's turns make sure one statement at a time uses it, from the loop or from a thread."""

    _db: sqlite3.Connection

    def __init__(self, connection: sqlite3.Connection, dialect: Dialect) -> None:
        super().__init__(connection, dialect)
        self._ready = False
        self._started = 0.0
        self._interruptible = False
        self._writing = False  # between BEGIN IMMEDIATE and its end: SQLite's write lock is held
        self._loop_thread = 0
        #: The stretch of statements run since the loop last went round: its loop round (see
        #: :meth:`_round_mark`) and when it began.
        self._round = 0
        self._round_pending = False
        self._stretch_round = -1
        self._stretch_began = 0.0

    def _prepare(self) -> None:
        """On the first transaction (after the migrations, which may wait for a lock in their
        thread): never wait for a lock on the loop, never checkpoint at a COMMIT, and let
        :meth:`_progress` interrupt a read that overstays."""
        self._db.execute("PRAGMA busy_timeout = 0")
        self._db.execute("PRAGMA wal_autocheckpoint = 0")
        self._db.set_progress_handler(self._progress, 1000)
        self._loop_thread = threading.get_ident()
        self._ready = True

    def _progress(self) -> int:
        """sqlite3 calls this every 1,000 VM steps: non-zero interrupts the statement."""
        return int(self._interruptible and time.thread_time() - self._started > INLINE_BUDGET)

    def _fetch_now(self, sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        return self._drain(self._db.execute(sql, args))

    def _fetch_some(self, sql: str, args: tuple[Any, ...]) -> tuple[list[dict[str, Any]], sqlite3.Cursor | None]:
        """The rows, read and converted a chunk at a time; on the loop, once that has taken
        :data:`INLINE_BUDGET` of CPU, the rows so far and the open cursor with the rest (the
        interrupt covers SQLite's own steps, not the Python that turns rows into dicts)."""
        on_loop = threading.get_ident() == self._loop_thread
        cursor = self._db.execute(sql, args)
        rows: list[dict[str, Any]] = []
        while True:
            chunk = cursor.fetchmany(FETCH_CHUNK)
            rows.extend(dict(r) for r in chunk)
            if len(chunk) < FETCH_CHUNK:
                cursor.close()
                return rows, None
            if on_loop and time.thread_time() - self._started > INLINE_BUDGET:
                return rows, cursor

    @staticmethod
    def _drain(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
        try:
            return [dict(r) for r in cursor.fetchall()]
        finally:
            cursor.close()

    def _run_now(self, sql: str, args: tuple[Any, ...]) -> int:
        cursor = self._db.execute(sql, args)
        changed = int(cursor.rowcount)
        cursor.close()
        return changed

    def _many_now(self, sql: str, batch: list[tuple[Any, ...]]) -> int:
        self._db.executemany(sql, batch).close()
        return len(batch)

    def _patiently(self, call: Callable[[str, Any], Any], sql: str, args: Any) -> Any:
        """In a thread: ``call`` with the busy timeout every other connection has."""
        self._db.execute(f"PRAGMA busy_timeout = {LOCK_PATIENCE_MS}")
        try:
            return call(sql, args)
        finally:
            self._db.execute("PRAGMA busy_timeout = 0")

    async def _statement(self, call: Callable[[str, Any], Any], sql: str, args: Any, *, small: bool = True) -> Any:
        """``call(sql, args)`` on the loop when it is quick, else in a thread (see the class)."""
        if not self._ready:
            self._prepare()
        if not small or sql in _SLOW_SQL:
            return await self._in_thread(call, sql, args)
        if not self._writing:  # inside a write, yielding would hold SQLite's write lock meanwhile
            await self._share_the_loop()
        self._interruptible = sql.lstrip()[:6].upper() == "SELECT"  # an interrupted write undoes the transaction
        self._started = time.thread_time()
        try:
            result = call(sql, args)
        except sqlite3.OperationalError as error:
            reason = str(error)
            if reason == "interrupted" and self._interruptible:
                self._slow(sql, "interrupted")
            elif "locked" not in reason and "busy" not in reason:
                raise
            # A statement that failed this way changed nothing and left the transaction open.
            self._interruptible = False
            return await self._in_thread(call, sql, args)
        finally:
            self._interruptible = False
        took = time.thread_time() - self._started
        if took > INLINE_BUDGET:
            strikes = _STRIKES[sql] = _STRIKES.get(sql, 0) + 1
            if strikes >= SLOW_STRIKES:
                self._slow(sql, f"took {took * 1000:.1f} ms of CPU {strikes} times in a row")
        elif sql in _STRIKES:
            del _STRIKES[sql]
        return result

    async def _share_the_loop(self) -> None:
        """Statements that never wait would let a caller run transaction after transaction (a
        sweep's batches, a resume) without the loop ever going round: no ack, no reply, no
        checkpoint meanwhile. So once a stretch of them has held the loop for
        :data:`INLINE_BUDGET`, let it go round once (under load, that costs what a thread hop did)."""
        if self._round != self._stretch_round:  # the loop went round since the stretch began
            self._stretch_round, self._stretch_began = self._round_mark(), time.perf_counter()
        elif time.perf_counter() - self._stretch_began > INLINE_BUDGET:
            await asyncio.sleep(0)
            self._stretch_round, self._stretch_began = self._round_mark(), time.perf_counter()

    def _round_mark(self) -> int:
        """The loop round now; the count moves on at the loop's next round."""
        if not self._round_pending:
            self._round_pending = True
            asyncio.get_running_loop().call_soon(self._next_round)
        return self._round

    def _next_round(self) -> None:
        self._round += 1
        self._round_pending = False

    async def _in_thread(self, call: Callable[[str, Any], Any], sql: str, args: Any) -> Any:
        return await asyncio.to_thread(self._patiently, call, sql, args)

    async def checkpoint(self) -> dict[str, Any]:
        """Copy the WAL into the database file, in a thread: it writes and syncs up to megabytes
        (see :meth:`bot.storage.Store._after_commit`). PASSIVE: it never waits, nor makes anyone
        wait (FULL would hold every writer, another process's too, while it copies: an outside
        writer waited 247 ms for it during a sweep); a reader still on an older snapshot only
        leaves the rest for the next one. SQLite's answer: ``busy``, ``log`` and ``checkpointed``
        frames."""
        rows: list[dict[str, Any]] = await self._in_thread(
            self._fetch_now, "PRAGMA wal_checkpoint(PASSIVE)", ())
        return rows[0]

    @staticmethod
    def _slow(sql: str, what: str) -> None:
        _SLOW_SQL.add(sql)
        log.info("a statement %s on the event loop; it runs in a thread from now on: %.200s", what, sql)

    async def fetch(self, sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        driver_sql, bound = self._compiled(sql, args)
        rows: list[dict[str, Any]]
        rows, rest = await self._statement(self._fetch_some, driver_sql, bound)
        if rest is not None:  # the turn is still ours: nothing else uses the connection meanwhile
            self._slow(driver_sql, "had more rows than the loop should convert")
            rows.extend(await asyncio.to_thread(self._drain, rest))
        return rows

    async def run(self, sql: str, args: Sequence[Any]) -> int:
        return int(await self._statement(self._run_now, *self._compiled(sql, args)))

    async def many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        driver_sql, batch = self._batched(sql, rows)
        if batch:
            await self._statement(self._many_now, driver_sql, batch, small=len(batch) <= INLINE_MANY)
        return len(batch)

    async def begin(self, write: bool) -> None:
        # IMMEDIATE takes the write lock up front: two writers never deadlock upgrading a read lock.
        await self._statement(self._run_now, "BEGIN IMMEDIATE" if write else "BEGIN DEFERRED", ())
        self._writing = write

    async def commit(self) -> None:
        try:
            await self._statement(self._run_now, "COMMIT", ())
        finally:
            self._writing = False

    async def rollback(self) -> None:
        """As :meth:`_Shared.rollback`: a connection that cannot roll back is not reused."""
        self._writing = False
        try:
            self._db.execute("ROLLBACK")
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

    def __init__(self, connection: Any, dialect: Dialect) -> None:
        super().__init__(connection, dialect)
        self._prepared: set[str] = set()  # names prepared or defined on this connection

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
            await self._db.execute(_BEGIN_WRITE)
        else:
            await self._db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    async def begin_with(self, sql: str, args: Sequence[Any]) -> int:
        """In the same round trip as the BEGIN and the lock: a simple query may hold several
        statements, but takes no parameters, so ``args`` go in as literals (see :func:`_literal`)
        and the status is the last statement's ("UPDATE 1")."""
        return await self._simple(_BEGIN_WRITE, sql, args, None)

    async def run_alone(self, sql: str, args: Sequence[Any], *, prepared: str) -> int:
        """The write ``sql`` as a transaction by itself, under the advisory write lock, in one
        round trip: the lock and the statement go as one simple query, which PostgreSQL runs as
        one implicit transaction and commits at its end (so the lock is held for no round trip
        at all, only while the server runs them); it rolls back by itself if either fails. Each
        statement of it takes a new snapshot, so ``sql`` sees every write committed before the
        lock was granted. Call it outside a transaction. The rows ``sql`` changed."""
        return await self._simple(_LOCK_WRITE, sql, args, prepared)

    async def fetch_defined(self, name: str, definition: str, sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        """``sql``, once ``definition`` (the ``CREATE FUNCTION pg_temp.<name>`` that ``sql`` calls)
        has been run on this connection: the first time, one round trip more. A temporary
        function lives as long as its connection, as a PREPAREd statement does."""
        if name not in self._prepared:
            await self._db.execute(definition)
            self._prepared.add(name)
        return await self.fetch(sql, args)

    async def _simple(self, before: str, sql: str, args: Sequence[Any], prepared: str | None) -> int:
        """``before``, then ``sql`` with ``args`` as literals, as one simple query; the rows
        ``sql`` changed. ``prepared``: ``sql`` is prepared under that name the first time on this
        connection (one round trip, once) and run with EXECUTE: a simple query's statement is
        otherwise parsed and planned every time, under the write lock (a move's data-modifying
        CTEs took longer to plan than to run)."""
        if prepared is None:
            values = iter(args)
            status = await self._db.execute(f"{before}; " + _QMARK.sub(lambda _: _literal(next(values)), sql))
        else:
            driver_sql, bound = self._compiled(sql, args)
            if prepared not in self._prepared:
                await self._db.execute(f"PREPARE {prepared} AS {driver_sql}")
                self._prepared.add(prepared)
            status = await self._db.execute(f"{before}; EXECUTE {prepared}({', '.join(map(_literal, bound))})")
        found = _STATUS_COUNT.search(status or "")
        return int(found.group(1)) if found else 0


_LOCK_WRITE = f"SELECT pg_advisory_xact_lock({WRITE_LOCK})"
_BEGIN_WRITE = f"BEGIN ISOLATION LEVEL READ COMMITTED; {_LOCK_WRITE}"


def _literal(value: Any) -> str:
    """A PostgreSQL literal for :meth:`PostgresDriver._simple` (standard-conforming strings,
    the server's default since 9.1: a quote is doubled, a backslash is just a backslash): whole
    numbers, text, None as NULL, and a list or tuple of text as a text array."""
    if value is None:
        return "NULL"
    if isinstance(value, list | tuple):
        return "CAST(ARRAY[" + ", ".join(map(_literal, value)) + "] AS text[])" if value else "CAST('{}' AS text[])"
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"no literal for {type(value).__name__}")
    return str(value) if isinstance(value, int) else "'" + value.replace("'", "''") + "'"


def make_engine(url: URL, *, abandon_after: float | None = None) -> AsyncEngine:
    """The engine for ``url``. Connections are in autocommit mode: every transaction is begun and
    ended by :class:`Driver` statements (SQLite's ``BEGIN IMMEDIATE`` for writes), never implicitly.

    ``abandon_after`` (PostgreSQL): seconds a transaction may sit idle, waiting for its client,
    before the server ends it and closes the session. A replica frozen inside a write (SIGSTOP, a
    VM paused, a debugger) would otherwise hold the advisory write lock, and so every replica's
    writes, for as long as it stays frozen. SQLite has no such remedy: its lock belongs to a file
    descriptor nothing else can close."""
    if url.get_backend_name() == "sqlite":
        # check_same_thread=False: the writer's statements run on the loop's thread, not only in
        # aiosqlite's (InlineSqliteDriver); the store's turns keep them one at a time.
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT", connect_args={"check_same_thread": False})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_settings(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
            # WAL: a kill -9 loses nothing committed and readers never block the writer. The busy
            # timeout lets another process (a backup, a second replica) finish its write first.
            cursor = dbapi_connection.cursor()
            _switch_to_wal(cursor)
            for pragma in ("synchronous = NORMAL", "busy_timeout = 5000", "foreign_keys = ON"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        return engine
    # A pool per replica: reads run side by side; writes queue for the advisory lock anyway.
    # Read committed whatever the database's default: PostgresDriver.run_alone's implicit
    # transactions take the session's level (every BEGIN here names its own).
    settings = {"default_transaction_isolation": "read committed"}
    if abandon_after is not None:
        settings["idle_in_transaction_session_timeout"] = str(max(1, int(abandon_after * 1000)))
    connect: dict[str, Any] = {"statement_cache_size": 512, "server_settings": settings}
    return create_async_engine(url, isolation_level="AUTOCOMMIT", pool_size=8, max_overflow=8,
                               pool_pre_ping=True, connect_args=connect)


def _switch_to_wal(cursor: Any) -> None:
    """``PRAGMA journal_mode = WAL``, however long other processes take to let it through (up to
    :data:`START_PATIENCE`). Several hirebots opening one new file together (replicas starting
    side by side, a ``hirebot status`` beside the bot) each need the file to themselves for the
    switch, and SQLite answers "database is locked" at once, without its busy timeout, to all but
    one of them (to avoid a deadlock among readers that all want to write): hirebot failed to
    start. Runs inside SQLAlchemy's connect, on the event loop, so it waits with ``await_only``."""
    from sqlalchemy.util import await_only

    deadline = time.monotonic() + START_PATIENCE
    pause = 0.01
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except Exception as exc:  # SQLAlchemy's adapted cursor raises the driver's own error
            if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                raise
        if pause == 0.01:
            log.warning("waiting for another process to let go of the database file to switch it to WAL")
        await_only(asyncio.sleep(pause))
        pause = min(pause * 2, 0.5)


async def driver_for(connection: AsyncConnection, *, inline: bool = False) -> Driver:
    """The :class:`Driver` over an engine connection's driver-level connection; on SQLite with
    ``inline``, one that runs quick statements on the event loop (:class:`InlineSqliteDriver`)."""
    raw = await connection.get_raw_connection()
    dbapi = raw.driver_connection
    dialect = connection.dialect
    if dialect.name == "sqlite":
        dbapi.row_factory = sqlite3.Row  # type: ignore[union-attr]
        raw_sqlite = getattr(dbapi, "_conn", None)  # aiosqlite's sqlite3 connection
        if inline and isinstance(raw_sqlite, sqlite3.Connection):
            return InlineSqliteDriver(raw_sqlite, dialect)
        return SqliteDriver(dbapi, dialect)
    return PostgresDriver(dbapi, dialect)
