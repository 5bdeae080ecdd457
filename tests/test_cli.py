"""The command line's start-up contract: a missing setting stops it with one line naming it."""

from __future__ import annotations

import os
import subprocess
import sys


def hirebot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HIREBOT_"))}
    return subprocess.run([sys.executable, "-m", "handlers.cli", *args], capture_output=True, text=True, timeout=60,
                          env={**base, **(env or {})}, cwd="/")


def test_run_without_token_names_the_setting() -> None:
    r = hirebot("run")
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == ["hirebot: SLACK_BOT_TOKEN is not set (export it or put it in .env)"]


def test_run_without_signing_secret_names_it() -> None:
    r = hirebot("run", env={"SLACK_BOT_TOKEN": "xoxb-1"})
    assert r.returncode == 2 and "SLACK_SIGNING_SECRET" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_socket_mode_needs_the_app_token() -> None:
    r = hirebot("run", "--socket", env={"SLACK_BOT_TOKEN": "xoxb-1"})
    assert r.returncode == 2 and "SLACK_APP_TOKEN" in r.stderr


def test_bad_time_zone_is_one_line() -> None:
    r = hirebot("run", env={"SLACK_BOT_TOKEN": "x", "SLACK_SIGNING_SECRET": "y", "HIREBOT_TZ": "Mars/Olympus"})
    assert r.returncode == 2 and "HIREBOT_TZ" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_digest_print_renders_from_the_database_offline(tmp_path: object) -> None:
    import asyncio
    from pathlib import Path

    from datetime import datetime, timezone

    from bot.hiring import Hiring
    from bot.storage import Store

    db = str(Path(str(tmp_path)) / "d.db")

    async def seed() -> None:
        store = await Store(db).open()
        hiring = Hiring(store)
        for channel, private in (("CJOBS", False), ("GHIRING", True)):
            async with store.transaction() as tx:  # an opening as publishing leaves it
                oid = await tx.insert_opening("Platform Engineer", {}, "UMGR", channel, private,
                                              datetime.now(timezone.utc))
            await hiring.add_candidate(oid, "UMGR", f"Candidate {channel}")
        await store.close()

    async def seed_sub() -> None:
        store = await Store(db).open()
        async with store.transaction() as tx:
            from datetime import datetime, timezone
            await tx.subscribe_digest("GHIRING", 0, "09:00", "Europe/Berlin", "channel", True, "UMGR",
                                      datetime.now(timezone.utc))
            await tx._run("UPDATE applications SET stage_since = '2020-01-01T09:00:00+00:00'")  # long overdue
        await store.close()

    asyncio.run(seed())
    asyncio.run(seed_sub())
    env = {"HIREBOT_DB": db}
    public = hirebot("digest", "--print", "--channel", "CJOBS", env=env)
    assert public.returncode == 0, public.stderr
    assert "Hiring this week" in public.stdout and "OP-1" in public.stdout and "Candidate CJOBS" not in public.stdout
    assert "1 waiting past their limit" in public.stdout
    private = hirebot("digest", "--print", "--channel", "GHIRING", env=env)
    assert "Mondays at 09:00 (Europe/Berlin)" in private.stdout and "Candidate GHIRING" in private.stdout
    everything = hirebot("digest", "--print", env=env)
    assert "OP-1" in everything.stdout and "OP-2" in everything.stdout and "Candidate " not in everything.stdout
    assert hirebot("digest", env=env).returncode == 2
