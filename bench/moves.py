"""Stage moves through the domain (``Hiring.move``: permission check, state machine, audit, one
transaction each) against raw sqlite3 in WAL doing the same writes per move: read the stage,
update the application, insert the stage move and the audit row, commit."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.ack import seed

PATH = ["screen", "interview", "offer"]


async def domain(db: Path, apps: list[int]) -> float:
    from bot.config import Config
    from handlers.app import open_services

    services = await open_services(Config.from_env({"HIREBOT_DB": str(db)}, dotenv=None))
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


async def run(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "domain.db", Path(tmp) / "raw.db"
        await seed(a, n)
        await seed(b, n)
        apps = list(range(201, 201 + n))
        d = await domain(a, apps)
        r = await asyncio.to_thread(raw, b, apps)
    moves = n * len(PATH)
    return {"domain": moves / d, "raw": moves / r, "moves": moves}
