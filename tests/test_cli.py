"""The command line's start-up contract: a missing setting stops it with one line naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC
from pathlib import Path


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
    from datetime import datetime
    from pathlib import Path

    from bot.hiring import Hiring
    from bot.storage import Store

    db = str(Path(str(tmp_path)) / "d.db")

    async def seed() -> None:
        store = await Store(db).open()
        hiring = Hiring(store)
        for channel, private in (("CJOBS", False), ("GHIRING", True)):
            async with store.transaction() as tx:  # an opening as publishing leaves it
                oid = await tx.insert_opening("Platform Engineer", {}, "UMGR", channel, private,
                                              datetime.now(UTC))
            await hiring.add_candidate(oid, "UMGR", f"Candidate {channel}")
        await store.close()

    async def seed_sub() -> None:
        store = await Store(db).open()
        async with store.transaction() as tx:
            from datetime import datetime
            await tx.subscribe_digest("GHIRING", 0, "09:00", "Europe/Berlin", "channel", True, "UMGR",
                                      datetime.now(UTC))
            await tx._run("UPDATE applications SET stage_since = '2020-01-01T09:00:00+00:00'")  # long overdue
        await store.close()

    asyncio.run(seed())
    asyncio.run(seed_sub())
    from tests import databases

    env = asyncio.run(databases.env_for(db))
    public = hirebot("digest", "--print", "--channel", "CJOBS", env=env)
    assert public.returncode == 0, public.stderr
    assert "Hiring this week" in public.stdout and "OP-1" in public.stdout and "Candidate CJOBS" not in public.stdout
    assert "1 waiting past their limit" in public.stdout
    private = hirebot("digest", "--print", "--channel", "GHIRING", env=env)
    assert "Mondays at 09:00 (Europe/Berlin)" in private.stdout and "Candidate GHIRING" in private.stdout
    everything = hirebot("digest", "--print", env=env)
    assert "OP-1" in everything.stdout and "OP-2" in everything.stdout and "Candidate " not in everything.stdout
    assert hirebot("digest", env=env).returncode == 2


async def test_run_with_a_refused_token_stops_with_one_line(tmp_path: Path) -> None:
    """Before: it started, and the first command spent 2.6 s retrying auth.test, then answered 500."""
    import asyncio

    from handlers.local.fake_slack import FakeSlack

    slack = await FakeSlack().start()
    slack.fail_next["auth.test"] = ["invalid_auth"]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HIREBOT_"))},
           "SLACK_BOT_TOKEN": "xoxb-revoked", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": slack.api_url,
           "HIREBOT_DB": str(tmp_path / "run.db")}
    try:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "handlers.cli", "run", env=env, cwd="/",
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        await slack.stop()
    assert proc.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hirebot: Slack refused SLACK_BOT_TOKEN (auth.test: invalid_auth)")
    assert [c.method for c in slack.calls] == ["auth.test:invalid_auth"]  # asked once, no retries
    assert not (tmp_path / "run.db").exists()  # stopped before opening anything


async def test_run_starts_without_the_token_unused_warning(tmp_path: Path) -> None:
    import asyncio

    from handlers.local.fake_slack import FakeSlack
    from tests.ports import free_port

    port = free_port()
    slack = await FakeSlack().start()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HIREBOT_"))},
           "SLACK_BOT_TOKEN": "xoxb-good", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": slack.api_url,
           "HIREBOT_DB": str(tmp_path / "run.db"), "HIREBOT_PORT": str(port)}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "handlers.cli", "run", env=env, cwd="/",
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        await slack.wait_for("auth.test", timeout=20)
        for _ in range(200):  # until it serves
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                await asyncio.sleep(0.05)
    finally:
        proc.terminate()
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
        await slack.stop()
    log = out.decode()
    assert "will be unused" not in log and "will be ignored" not in log, log
    assert "Traceback" not in log


def test_missing_database_directory_is_one_line_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such"
    env = {"HIREBOT_DB": str(missing / "x.db")}
    expected = [f"hirebot: the database directory {missing} does not exist"]
    for args in (("digest", "--print"), ("db", "status"), ("backup", str(tmp_path / "b.db")),
                 ("run",)):
        extra = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"} if args == ("run",) else {}
        r = hirebot(*args, env={**env, **extra})
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.strip().splitlines() == expected, (args, r.stderr)
        assert not (tmp_path / "no").exists(), args
    made = hirebot("db", "migrate", env=env)  # the one command that makes a database on purpose: says so
    assert made.returncode == 0 and f"created the directory {missing}" in made.stdout


def test_parse_into_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    """``hirebot parse big.txt | head -1``: the reader leaves early; no BrokenPipeError traceback."""
    posting = tmp_path / "p.txt"
    posting.write_text("Senior Nurse\nRequirements:\n- BSN required\n")
    proc = subprocess.Popen([sys.executable, "-m", "handlers.cli", "parse", str(posting)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd="/",
                            env={k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HIREBOT_"))})
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head -0`: the reader is gone before the first line is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141  # 128 + SIGPIPE, what a shell shows for `cat big | head`
    assert err == ""
