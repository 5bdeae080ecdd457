"""PostgreSQL databases standing in for the SQLite files tests open (``pytest --backend=postgresql``).

A test names its database by a file path as it always did; these helpers make that name mean the
right thing on the backend the suite runs on: :func:`target` is what to hand a child process's
``Store``, :func:`env_for` the environment of a ``hirebot run`` child, :func:`query` reads the
database as another process would.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.storage import Store
from bot.storage.drivers import database_url

#: The backend of the test running now (set by tests/conftest.py's ``_backend`` fixture).
BACKEND = "sqlite"
_CREATED: set[str] = set()


def admin_url() -> str:
    """The throwaway cluster's maintenance database, as asyncpg spells it."""
    url = make_url(os.environ["HIREBOT_TEST_POSTGRES_URL"]).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def url_for(name: str) -> str:
    return make_url(os.environ["HIREBOT_TEST_POSTGRES_URL"]).set(
        drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)


def name_for(path: str) -> str:
    return "t_" + hashlib.sha1(os.path.abspath(path).encode()).hexdigest()[:24]


async def create(name: str) -> None:
    admin = await asyncpg.connect(admin_url())
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            try:
                await admin.execute(f'CREATE DATABASE "{name}"')
            except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
                pass  # stores opened together on the same "file": one of them made it
    finally:
        await admin.close()


async def drop(names: set[str]) -> None:
    if not names:
        return
    admin = await asyncpg.connect(admin_url())
    try:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def target(path: str | os.PathLike[str]) -> str:
    """What ``Store(...)`` opens for the database called ``path`` in this test: the file on SQLite,
    the URL of the database standing in for it on PostgreSQL (created if needed)."""
    if BACKEND != "postgresql":
        return str(path)
    name = name_for(str(path))
    await create(name)
    _CREATED.add(name)
    return url_for(name)


async def env_for(path: str | os.PathLike[str]) -> dict[str, str]:
    """The environment a ``hirebot run`` child needs to use the database called ``path``."""
    if BACKEND != "postgresql":
        return {"HIREBOT_DB": str(path)}
    return {"HIREBOT_DB": str(path), "HIREBOT_DATABASE_URL": await target(path)}


def query(path: str | os.PathLike[str], sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (``?`` placeholders) read from the database called ``path``, on a connection
    of its own, as another process would; callable from sync code inside a running event loop."""
    if BACKEND != "postgresql":
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            return [tuple(r) for r in con.execute(sql, args).fetchall()]
        finally:
            con.close()
    pg_sql, n = sql, 0
    while "?" in pg_sql:
        n += 1
        pg_sql = pg_sql.replace("?", f"${n}", 1)
    url = make_url(url_for(name_for(str(path)))).set(drivername="postgresql").render_as_string(hide_password=False)

    async def fetch() -> list[tuple[Any, ...]]:
        con = await asyncpg.connect(url)
        try:
            return [tuple(r) for r in await con.fetch(pg_sql, *args)]
        finally:
            await con.close()

    out: list[list[tuple[Any, ...]]] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            out.append(asyncio.run(fetch()))
        except BaseException as exc:
            failed.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if failed:
        raise failed[0]
    return out[0]


def text_columns(path: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """Every (table, column) of text in the database called ``path``."""
    if BACKEND != "postgresql":
        sql = ("SELECT m.name, c.name FROM sqlite_master m JOIN pragma_table_info(m.name) c WHERE m.type = 'table' "
               "AND m.name NOT LIKE 'sqlite_%' AND upper(c.type) LIKE '%TEXT%'")
    else:
        sql = ("SELECT table_name::text, column_name::text FROM information_schema.columns "
               "WHERE table_schema = current_schema() AND data_type = 'text'")
    return [(str(t), str(c)) for t, c in query(path, sql)]


@asynccontextmanager
async def postgres_for_sqlite_paths(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[set[str]]:
    """While open: ``Store(path).open()`` opens a PostgreSQL database named after ``path``."""
    created: set[str] = set()
    real_open = Store.open

    async def open_on_postgres(self: Store) -> Any:
        if self.dialect == "sqlite" and self.path != ":memory:":
            name = name_for(self.path)
            await create(name)
            created.add(name)
            self.url = database_url(url_for(name))
            self.dialect = "postgresql"
            self.path = ""
        return await real_open(self)

    global BACKEND
    monkeypatch.setattr(Store, "open", open_on_postgres)
    BACKEND = "postgresql"
    try:
        yield created
    finally:
        BACKEND = "sqlite"
        await drop(created | _CREATED)
        _CREATED.clear()
