"""``hirebot backup`` of a live database while the bot writes, and ``hirebot restore`` of that copy
into a fresh directory: every row committed before the backup began is there, and each
transaction is in the copy whole or not at all."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.handlers.running import ROOT

from .conftest import Bot, blocks_text
from .test_posting import post_opening

WORKERS = 4


def snapshot(path: Path | str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, read in one transaction."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        con.execute("BEGIN")
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    finally:
        con.close()


async def hirebot(*args: str, db: Path | str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HIREBOT_"))}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "handlers.cli", *args, cwd=ROOT,
                                                env={**env, "HIREBOT_DB": str(db)},
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.sqlite_only
async def test_backup_during_a_write_burst_then_restore_into_a_fresh_directory(bot: Bot, tmp_path: Path) -> None:
    op = await post_opening(bot)
    stop = asyncio.Event()
    added: list[str] = []
    progress = asyncio.Event()

    async def until_added(n: int) -> None:
        while len(added) < n:
            progress.clear()
            await asyncio.wait_for(progress.wait(), 30)

    async def writer(w: int) -> None:
        i = 0
        while not stop.is_set():
            name = f"Burst Candidate {w}-{i}"
            mark = bot.mark()
            await bot.command(f'add "{name}" OP-{op} burst{w}.{i}@example.com')
            await bot.slack.wait_for("response_url", lambda c, n=name: n in blocks_text(c.args), after=mark,
                                     timeout=30)
            added.append(name)  # its reply came after its commit
            progress.set()
            i += 1

    workers = [asyncio.create_task(writer(w)) for w in range(WORKERS)]
    await until_added(20)  # the burst is under way
    before = snapshot(bot.db_path)
    dest = tmp_path / "backups" / "hirebot-backup.db"
    rc, out, err = await hirebot("backup", str(dest), db=bot.db_path)
    after_backup = len(added)
    await until_added(after_backup + WORKERS)  # writes go on after the copy
    stop.set()
    await asyncio.gather(*workers)
    assert rc == 0, err
    assert "backed up" in out and str(dest) in out
    live = snapshot(bot.db_path)

    copy = snapshot(dest)
    assert sorted(copy) == sorted(live), "every table is in the backup"
    apps_before = {r[0] for r in before["applications"]}
    apps_copy = {r[0]: r for r in copy["applications"]}
    apps_live = {r[0]: r for r in live["applications"]}
    assert apps_before <= set(apps_copy), "every application committed before the backup began is in it"
    assert set(apps_copy) < set(apps_live), "the bot kept writing during and after the backup"
    assert all(apps_live[i] == row for i, row in apps_copy.items())
    # Each add is one transaction (the application and its first stage move): never half of one.
    moved = {r[1] for r in copy["stage_moves"]}
    assert moved == set(apps_copy)
    con = sqlite3.connect(dest)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete", "a backup is one self-contained file"
    finally:
        con.close()
    assert not list(dest.parent.glob(".*partial")), "no temporary file is left behind"

    fresh = tmp_path / "fresh" / "state" / "hirebot.db"
    rc, out, err = await hirebot("restore", str(dest), db=fresh)
    assert rc == 0, err
    assert "integrity ok" in out and "restored into" in out
    restored = snapshot(fresh)
    assert restored == copy, "the restored database is the backup, row for row"
    assert {r[0] for r in restored["applications"]} >= apps_before
    rc, out, _ = await hirebot("db", "status", "--json", "--check", db=fresh)
    status = json.loads(out)
    assert rc == 0 and status["state"] == "up to date" and status["integrity"] == "ok"
    assert status["rows"]["applications"] == len(apps_copy)
