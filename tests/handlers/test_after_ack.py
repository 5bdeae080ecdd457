"""What is processed after its ack (handlers/listeners/inbox.py, ``Durable``): queued, so the
request bolt built ends with the ack; processed at most ``IN_FLIGHT`` at once, first come first
served, with the app's Web API client and the request's own log context; a failure is logged and
gives its room back."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from handlers.listeners.inbox import IN_FLIGHT, durable
from handlers.ops.context import current

from .conftest import Bot


class Held:
    """The /hiring runner, held at its start until released: what each run saw, in order."""

    def __init__(self, bot: Bot, fail: bool = False) -> None:
        self.after_ack = durable(bot.ctx)
        self.real = self.after_ack.command
        self.fail = fail
        self.started: list[tuple[str, Any, Any]] = []  # (command text, client, request info)
        self.release = asyncio.Event()
        self.changed = asyncio.Event()

    async def __call__(self, item: Any, client: Any, respond: Any) -> None:
        self.started.append((item.received.text, client, current.get()))
        self.changed.set()
        await self.release.wait()
        if self.fail:
            raise RuntimeError("disk on fire")
        assert self.real is not None
        await self.real(item, client, respond)

    async def until_started(self, n: int) -> None:
        async with asyncio.timeout(10):
            while len(self.started) < n:
                self.changed.clear()
                await self.changed.wait()


async def test_the_request_ends_at_its_ack_and_its_work_runs_after_with_the_apps_client(
        bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    held = Held(bot)
    monkeypatch.setattr(held.after_ack, "command", held)
    assert bot.handled is not None
    resp = await bot.command("openings")
    assert resp.status == 200
    await held.until_started(1)
    assert bot.handled._idle.is_set(), "bolt's listener for the request has ended"
    assert held.after_ack.working() == 1 and bot.handled.busy == 1
    assert not await bot.handled.idle(timeout=0.05), "the barrier still waits for the work"
    [(text, client, info)] = held.started
    assert text == "openings" and client is bot.ctx.cards.client, "the app's own client"
    assert info is not None and (info.kind, info.name) == ("command", "openings"), "the request's log context"
    mark = bot.mark()
    held.release.set()
    await bot.settled()
    assert [c.method for c in bot.slack.calls[mark:]] == ["response_url"]
    assert held.after_ack.working() == 0 and held.after_ack.admission.pending == 0


async def test_at_most_in_flight_at_once_first_come_first_served(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    held = Held(bot)
    monkeypatch.setattr(held.after_ack, "command", held)
    sent = [f"openings n{i}" for i in range(IN_FLIGHT + 3)]
    for text in sent:
        assert (await bot.command(text)).status == 200  # each acked while the earlier ones wait
    await held.until_started(IN_FLIGHT)  # and every request acked: the others wait in the queue
    assert len(held.started) == IN_FLIGHT and held.after_ack.working() == IN_FLIGHT + 3
    assert held.after_ack.admission.pending == IN_FLIGHT + 3
    held.release.set()
    await bot.settled()
    assert [text for text, _, _ in held.started] == sent
    assert held.after_ack.working() == 0 and held.after_ack.admission.pending == 0


async def test_a_failure_after_the_ack_is_logged_and_gives_its_room_back(
        bot: Bot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    held = Held(bot, fail=True)
    monkeypatch.setattr(held.after_ack, "command", held)
    assert (await bot.command("openings")).status == 200
    await held.until_started(1)
    with caplog.at_level(logging.ERROR, logger="hirebot.inbox"):
        held.release.set()
        await bot.settled()
    [failed] = [r for r in caplog.records if "failed after its ack" in r.getMessage()]
    assert failed.exc_info is not None and "disk on fire" in str(failed.exc_info[1])
    assert held.after_ack.working() == 0 and held.after_ack.admission.pending == 0
