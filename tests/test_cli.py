"""The command line's start-up contract: a missing setting stops it with one line naming it."""

from __future__ import annotations

import os
import subprocess
import sys


def hirebot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HIREBOT_"))}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, timeout=60,
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
