"""Stage moves through the domain (``Hiring.move``: permission check, state machine, audit, one
transaction each) against raw sqlite3 in WAL doing the same writes per move: read the stage,
update the application, insert the stage move and the audit row, commit; and against the same
statements through raw aiosqlite (one ``execute`` each, as an event-loop program must pay for).

On PostgreSQL (``run(n, server)``): the domain on a PostgreSQL database against the same
statements through raw asyncpg (one ``execute`` each, one transaction per move), and against
hirebot's own domain on SQLite in the same run."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.ack import seed

PATH = ["screen", "interview", "offer"]


def movers(n: int, skip: int = 0) -> list[int]:
    """Application ids of OP-2's candidates as :func:`bench.ack.seed` inserts them (after OP-1's 200)."""
    return list(range(201 + skip, 201 + skip + n))


async def domain(target: str | Path, apps: list[int]) -> float:
    """Seconds for ``Hiring.move`` through ``apps`` along PATH; ``target``: a SQLite file or a database URL."""
    from bot.config import Config
    from handlers.app import open_services

    env = {"HIREBOT_DATABASE_URL": str(target)} if "://" in str(target) else {"HIREBOT_DB": str(target)}
    services = await open_services(Config.from_env(env, dotenv=None))
    try:
        started = time.perf_counter()
        for stage in PATH:
            for app in apps:
                await services.hiring.move(app, "UMGR", stage)
        return time.perf_counter() - started
    finally:
        await services.store.close()


def raw(db: Path, apps: list[int]) -> float:
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = NORMAL")
    started = time.perf_counter()
    for stage in PATH:
        for app in apps:
            now = datetime.now(UTC).isoformat(timespec="seconds")
            con.execute("BEGIN IMMEDIATE")
            (old,) = con.execute("SELECT stage FROM applications WHERE id = ?", (app,)).fetchone()
            con.execute("UPDATE applications SET stage = ?, stage_since = ? WHERE id = ?", (stage, now, app))
            con.execute("INSERT INTO stage_moves (application_id, from_stage, to_stage, actor, at) "
                        "VALUES (?, ?, ?, 'UMGR', ?)", (app, old, stage, now))
            con.execute("INSERT INTO audit (actor, action, subject, detail, at) VALUES ('UMGR', 'move', ?, ?, ?)",
                        (f"APP-{app}", stage, now))
            con.execute("COMMIT")
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


async def raw_aiosqlite(db: Path, apps: list[int]) -> float:
    import aiosqlite

    con = await aiosqlite.connect(db, isolation_level=None)
    try:
        await con.execute("PRAGMA journal_mode = WAL")
        await con.execute("PRAGMA synchronous = NORMAL")
        started = time.perf_counter()
        for stage in PATH:
            for app in apps:
                now = datetime.now(UTC).isoformat(timespec="seconds")
                await con.execute("BEGIN IMMEDIATE")
                ((old,),) = await con.execute_fetchall("SELECT stage FROM applications WHERE id = ?", (app,))
                await con.execute("UPDATE applications SET stage = ?, stage_since = ? WHERE id = ?", (stage, now, app))
                await con.execute("INSERT INTO stage_moves (application_id, from_stage, to_stage, actor, at) "
                                  "VALUES (?, ?, ?, 'UMGR', ?)", (app, old, stage, now))
                await con.execute("INSERT INTO audit (actor, action, subject, detail, at) "
                                  "VALUES ('UMGR', 'move', ?, ?, ?)", (f"APP-{app}", stage, now))
                await con.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        await con.close()


async def raw_asyncpg(url: str, apps: list[int]) -> float:
    """The raw-aiosqlite baseline's statements on PostgreSQL through asyncpg: ``BEGIN``, read the
    stage, update, two inserts, ``COMMIT``, one ``execute`` (one round trip) each."""
    from bench.backend import connect

    con = await connect(url)
    try:
        started = time.perf_counter()
        for stage in PATH:
            for app in apps:
                now = datetime.now(UTC).isoformat(timespec="seconds")
                await con.execute("BEGIN")
                old = await con.fetchval("SELECT stage FROM applications WHERE id = $1", app)
                await con.execute("UPDATE applications SET stage = $1, stage_since = $2 WHERE id = $3", stage, now, app)
                await con.execute("INSERT INTO stage_moves (application_id, from_stage, to_stage, actor, at) "
                                  "VALUES ($1, $2, $3, 'UMGR', $4)", app, old, stage, now)
                await con.execute("INSERT INTO audit (actor, action, subject, detail, at) "
                                  "VALUES ('UMGR', 'move', $1, $2, $3)", f"APP-{app}", stage, now)
                await con.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        await con.close()


async def run_postgresql(n: int, server: str) -> dict[str, float]:
    """Moves/s: "domain" (hirebot on PostgreSQL), "asyncpg" (raw, same database server), "sqlite"
    (hirebot on SQLite), each on its own freshly seeded database."""
    from bench.backend import places

    async with places(server) as where:
        assert where.pg is not None
        a, b = await where.pg.new("moves_domain"), await where.pg.new("moves_raw")
        c = where.tmp / "domain.db"
        for target in (a, b, c):
            await seed(target, n)
        for target in (a, b):
            await where.loaded(target)
        d = await domain(a, movers(n))
        raw_pg = await raw_asyncpg(b, movers(n))
        lite = await domain(c, movers(n))
    moves = n * len(PATH)
    return {"domain": moves / d, "asyncpg": moves / raw_pg, "sqlite": moves / lite, "moves": moves}


async def run(n: int, server: str | None = None) -> dict[str, float]:
    """Moves/s through the domain and the baselines; on PostgreSQL when ``server`` is its URL
    (:func:`run_postgresql`)."""
    if server is not None:
        return await run_postgresql(n, server)
    with tempfile.TemporaryDirectory() as tmp:
        a, b, c = Path(tmp) / "domain.db", Path(tmp) / "raw.db", Path(tmp) / "aio.db"
        for path in (a, b, c):
            await seed(path, n)
        d = await domain(a, movers(n))
        r = await asyncio.to_thread(raw, b, movers(n))
        aio = await raw_aiosqlite(c, movers(n))
    moves = n * len(PATH)
    return {"domain": moves / d, "raw": moves / r, "aiosqlite": moves / aio, "moves": moves}
