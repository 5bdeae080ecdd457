"""Listen first, catch up after (issue 15): ``hirebot run`` serves Slack while the scheduler
catches up on what fell due during the downtime (33 s with 100,000 applications, during which
Slack used to get "connection refused"), and ``/readyz`` says 503 until the catch-up is done.

In-process, through :func:`handlers.transports.serve` (what ``hirebot run`` runs), on a real port,
with the catch-up held at its first step by a test barrier."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import Config
from handlers.app import build_app, open_services
from handlers.listeners.inbox import durable
from handlers.local.console import Handled
from handlers.local.fake_slack import FakeSlack
from handlers.slack.http import close_shared_session
from handlers.transports import serve
from tests.clock import Clock
from tests.ports import free_port

from .conftest import SECRET, Bot, ack_body, blocks_text


@dataclass
class Held:
    """The catch-up, stopped at its first step until ``release`` is set."""

    bot: Bot
    began: asyncio.Event
    release: asyncio.Event
    stopping: asyncio.Event
    serving: asyncio.Task[None]
    swept: list[int]

    async def readyz(self) -> tuple[int, dict[str, Any]]:
        async with self.bot.http.get(self.bot.url + "/readyz") as r:
            return r.status, await r.json()


@asynccontextmanager
async def held_catch_up(slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Held]:
    config = Config.from_env({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
                              "SLACK_API_URL": slack.api_url, "HIREBOT_DB": str(tmp_path / "hirebot.db")})
    services = await open_services(config)
    app, ctx = build_app(config, services)
    handled = Handled(app, durable(ctx))
    began, release, stopping = asyncio.Event(), asyncio.Event(), asyncio.Event()
    due_reminders, sweep = ctx.followups.reminders.due_reminders, ctx.followups.sla.sweep
    swept: list[int] = []

    async def held_due_reminders() -> Any:  # the catch-up's first step
        began.set()
        await release.wait()
        return await due_reminders()

    async def counted_sweep() -> Any:
        swept.append(1)
        return await sweep()

    monkeypatch.setattr(ctx.followups.reminders, "due_reminders", held_due_reminders)
    monkeypatch.setattr(ctx.followups.sla, "sweep", counted_sweep)
    port = free_port()
    serving = asyncio.create_task(serve(app, ctx, services.store, port=port, host="127.0.0.1", stopping=stopping))
    try:
        await asyncio.wait_for(began.wait(), 30)
        async with aiohttp.ClientSession() as http:
            bot = Bot(f"http://127.0.0.1:{port}", slack, services.hiring, services.store, Clock(), http,
                      config.db_path, ctx, handled)
            yield Held(bot, began, release, stopping, serving, swept)
            await bot.settled()
    finally:
        stopping.set()
        release.set()
        await asyncio.wait_for(serving, 30)
        await close_shared_session()
        await services.store.close()


async def test_commands_are_served_during_the_catch_up_and_readyz_waits_for_it(
        slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with held_catch_up(slack, tmp_path, monkeypatch) as held:
        bot = held.bot
        status, body = await held.readyz()  # listening, with the catch-up still to do
        assert status == 503 and body["ok"] is False and body["catch_up"] == "running", body
        async with bot.http.get(bot.url + "/healthz") as r:
            assert r.status == 200, "alive while catching up"
        assert "/hiring commands" in await bot.answered_in_ack("help")
        mark = bot.mark()
        assert await ack_body(await bot.command("openings")) is None  # acked, recorded, answered after
        reply = await slack.wait_for("response_url", after=mark, timeout=15)
        assert "openings" in blocks_text(reply.args).lower()
        status, body = await held.readyz()
        assert status == 503 and body["catch_up"] == "running", "still not caught up: nothing else says so"

        held.release.set()
        deadline = asyncio.get_running_loop().time() + 30
        while (found := await held.readyz())[0] != 200:  # the catch-up ends in the background
            assert asyncio.get_running_loop().time() < deadline, found
            await asyncio.sleep(0.05)
        assert found[1] == {"ok": True, "db": "reachable", "scheduler": "running", "catch_up": "done",
                            "inbox": "resumed", "token": "ok"}
        assert held.swept == [1], "the catch-up went on to the sweep"


async def test_a_stop_during_the_catch_up_ends_it_at_its_next_step(
        slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with held_catch_up(slack, tmp_path, monkeypatch) as held:
        held.stopping.set()  # SIGTERM while the catch-up is in its first step
        held.release.set()
        await asyncio.wait_for(held.serving, 30)  # the positive barrier: serve() has returned
        assert held.swept == [], "stopped before the sweep, not after the whole catch-up"
        assert held.bot.ctx.scheduler.caught_up is False
