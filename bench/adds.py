"""Adding candidates through the domain (``Hiring.add_candidate``: validation, the opening's
visibility and status, the duplicate check, the application, its first stage move and the audit
line, one transaction each) against the same work written by hand, in one transaction per
candidate: read the opening, run the same duplicate check (the same statement as
``Tx.same_person``), insert the application, its stage move and the audit row, commit. Raw
sqlite3 in WAL, and the same statements through raw aiosqlite (one ``execute`` each, as an
event-loop program must pay for). Rounds alternate the three, each on a fresh copy of the seed.

On PostgreSQL (``run(n, rounds, server)``): the domain on a PostgreSQL database against the same
statements through raw asyncpg (one ``execute`` each, ``RETURNING id`` for the new application,
one transaction per candidate), and against hirebot's own domain on SQLite; rounds alternate the
three, each on a fresh copy of the seed (``CREATE DATABASE … TEMPLATE`` on PostgreSQL)."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.ack import seed

OPENING = 2  # bench.ack.seed: OP-1 has 200 candidates, OP-2 none; the UMGR manages both
DUPLICATE = ("SELECT * FROM applications WHERE forgotten_at IS NULL AND (lower(email) = lower(?) OR "
             "(email IS NULL AND lower(candidate_name) = lower(?))) ORDER BY id")
INSERT_APP = ("INSERT INTO applications (opening_id, candidate_name, email, source, referrer, stage, stage_since, "
              "created_by, created_at) VALUES (?, ?, ?, 'bench', NULL, 'applied', ?, 'UMGR', ?)")
INSERT_MOVE = ("INSERT INTO stage_moves (application_id, from_stage, to_stage, actor, reason, at) "
               "VALUES (?, NULL, 'applied', 'UMGR', 'added', ?)")
INSERT_AUDIT = "INSERT INTO audit (actor, action, subject, detail, at) VALUES ('UMGR', 'application.add', ?, ?, ?)"


def people(n: int) -> list[tuple[str, str]]:
    return [(f"Added Person {i}", f"added.{i}@example.test") for i in range(n)]


async def domain(db: str | Path, who: list[tuple[str, str]]) -> float:
    """Seconds for ``Hiring.add_candidate`` of everyone in ``who``; ``db``: a SQLite file or a URL."""
    from bench.backend import db_env
    from bot.config import Config
    from handlers.app import open_services

    services = await open_services(Config.from_env(db_env(db), dotenv=None))
    try:
        started = time.perf_counter()
        for name, email in who:
            await services.hiring.add_candidate(OPENING, "UMGR", name, email, "bench")
        return time.perf_counter() - started
    finally:
        await services.store.close()


def _check(op: Any, same: list[Any]) -> None:
    if op is None or op[0] != "open" or same:
        raise RuntimeError("the raw baseline refused an add the domain accepts")


def raw(db: Path, who: list[tuple[str, str]]) -> float:
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = NORMAL")
    started = time.perf_counter()
    for name, email in who:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        con.execute("BEGIN IMMEDIATE")
        op = con.execute("SELECT status, title FROM openings WHERE id = ?", (OPENING,)).fetchone()
        _check(op, con.execute(DUPLICATE, (email, name)).fetchall())
        aid = con.execute(INSERT_APP, (OPENING, name, email, now, now)).lastrowid
        con.execute(INSERT_MOVE, (aid, now))
        con.execute(INSERT_AUDIT, (f"APP-{aid}", f"OP-{OPENING}", now))
        con.execute("COMMIT")
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


async def raw_aiosqlite(db: Path, who: list[tuple[str, str]]) -> float:
    import aiosqlite

    con = await aiosqlite.connect(db, isolation_level=None)
    try:
        await con.execute("PRAGMA journal_mode = WAL")
        await con.execute("PRAGMA synchronous = NORMAL")
        started = time.perf_counter()
        for name, email in who:
            now = datetime.now(UTC).isoformat(timespec="seconds")
            await con.execute("BEGIN IMMEDIATE")
            ops = list(await con.execute_fetchall("SELECT status, title FROM openings WHERE id = ?", (OPENING,)))
            _check(ops[0] if ops else None, list(await con.execute_fetchall(DUPLICATE, (email, name))))
            aid = (await con.execute(INSERT_APP, (OPENING, name, email, now, now))).lastrowid
            await con.execute(INSERT_MOVE, (aid, now))
            await con.execute(INSERT_AUDIT, (f"APP-{aid}", f"OP-{OPENING}", now))
            await con.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        await con.close()


async def raw_asyncpg(url: str, who: list[tuple[str, str]]) -> float:
    """The raw-aiosqlite baseline's statements on PostgreSQL through asyncpg, one round trip each."""
    from bench.backend import connect, dollar

    duplicate, insert_app = dollar(DUPLICATE), dollar(INSERT_APP) + " RETURNING id"
    insert_move, insert_audit = dollar(INSERT_MOVE), dollar(INSERT_AUDIT)
    con = await connect(url)
    try:
        started = time.perf_counter()
        for name, email in who:
            now = datetime.now(UTC).isoformat(timespec="seconds")
            await con.execute("BEGIN")
            op = await con.fetchrow("SELECT status, title FROM openings WHERE id = $1", OPENING)
            _check(op, list(await con.fetch(duplicate, email, name)))
            aid = await con.fetchval(insert_app, OPENING, name, email, now, now)
            await con.execute(insert_move, aid, now)
            await con.execute(insert_audit, f"APP-{aid}", f"OP-{OPENING}", now)
            await con.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        await con.close()


async def run_postgresql(n: int, rounds: int, server: str) -> dict[str, list[float]]:
    """Adds per second, one value per round, for "domain" (hirebot on PostgreSQL), "asyncpg" (raw,
    same server) and "sqlite" (hirebot on SQLite)."""
    from bench.backend import places

    who = people(n)
    out: dict[str, list[float]] = {"domain": [], "asyncpg": [], "sqlite": []}
    async with places(server) as where:
        pg_seed, lite_seed = await where.new("adds_seed"), where.tmp / "seed.db"
        for target in (pg_seed, lite_seed):
            await seed(target, 0)
        await where.loaded(pg_seed)
        for r in range(rounds):
            kinds = ["domain", "asyncpg", "sqlite"]
            for kind in kinds[r % 3:] + kinds[:r % 3]:
                if kind == "sqlite":
                    db: str | Path = where.tmp / f"sqlite-{r}.db"
                    await asyncio.to_thread(shutil.copyfile, lite_seed, db)
                else:
                    db = await where.copy(pg_seed, f"adds_{kind}")
                took = await (raw_asyncpg(str(db), who) if kind == "asyncpg" else domain(db, who))
                out[kind].append(n / took)
                if kind == "sqlite":
                    await asyncio.to_thread(Path(db).unlink)
                else:
                    await where.drop(db)
    return out


async def run(n: int, rounds: int, server: str | None = None) -> dict[str, list[float]]:
    """Adds per second, one value per round, for "domain", "raw" (sqlite3) and "aiosqlite"; on
    PostgreSQL when ``server`` is its URL (:func:`run_postgresql`)."""
    if server is not None:
        return await run_postgresql(n, rounds, server)
    who = people(n)
    out: dict[str, list[float]] = {"domain": [], "raw": [], "aiosqlite": []}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "seed.db"
        await seed(base, 0)
        for r in range(rounds):
            kinds = ["domain", "raw", "aiosqlite"]
            for kind in kinds[r % 3:] + kinds[:r % 3]:
                db = Path(tmp) / f"{kind}-{r}.db"
                db.write_bytes(base.read_bytes())
                if kind == "domain":
                    took = await domain(db, who)
                elif kind == "raw":
                    took = await asyncio.to_thread(raw, db, who)
                else:
                    took = await raw_aiosqlite(db, who)
                out[kind].append(n / took)
                db.unlink()
    return out


if __name__ == "__main__":
    res = asyncio.run(run(500, 3))
    for k, v in res.items():
        print(f"{k:10} {statistics.median(v):8,.0f}/s  ({', '.join(f'{x:,.0f}' for x in v)})")
