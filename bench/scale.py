"""How the read paths grow: ``openings all`` and App Home at 1× (200 openings × 10,000
applications) and 10× (2,000 × 100,000), against one raw grouped count query of the same rows."""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from pathlib import Path


def _median(times: list[float]) -> float:
    return statistics.median(times) * 1000


async def run(scales: list[int], rounds: int = 3) -> dict[int, dict[str, float]]:
    from bench.digest_bench import seed
    from bot.config import Config
    from handlers.app import open_services

    out: dict[int, dict[str, float]] = {}
    for scale in scales:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "scale.db"
            await seed(db, 200 * scale, 10_000 * scale)
            services = await open_services(Config.from_env({"HIREBOT_DB": str(db)}, dotenv=None))
            try:
                lists, homes = [], []
                for _ in range(rounds):
                    t = time.perf_counter()
                    await services.hiring.list_openings("UMGR", "all")
                    lists.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    await services.hiring.home("UMGR")
                    homes.append(time.perf_counter() - t)
            finally:
                await services.store.close()
            con = sqlite3.connect(db)
            base = []
            for _ in range(rounds):
                t = time.perf_counter()
                con.execute("SELECT o.id, o.title, a.stage, COUNT(a.id) FROM openings o LEFT JOIN applications a "
                            "ON a.opening_id = o.id GROUP BY o.id, a.stage").fetchall()
                base.append(time.perf_counter() - t)
            con.close()
            out[scale] = {"openings": _median(lists), "home": _median(homes), "baseline": _median(base)}
    return out
