"""The "request handled" signal (handlers/local/console.py ``Handled``) the console and the
end-to-end tests wait on: busy from dispatch until the listener's work after the ack is done."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from .conftest import Bot, blocks_text


async def test_busy_after_the_ack_until_the_listener_finishes(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    assert bot.handled is not None
    entered, release = asyncio.Event(), asyncio.Event()
    real = bot.hiring.list_openings

    async def gated(*a: Any, **k: Any) -> Any:
        entered.set()
        await release.wait()
        return await real(*a, **k)

    monkeypatch.setattr(bot.hiring, "list_openings", gated)
    before = bot.handled.handled
    mark = bot.mark()
    resp = await bot.command("openings")  # acked at once, the work still to do
    assert resp.status == 200
    await asyncio.wait_for(entered.wait(), 10)
    assert bot.handled.busy == 1
    assert not await bot.handled.idle(timeout=0.05)
    release.set()
    await bot.settled()
    assert bot.handled.busy == 0 and bot.handled.handled == before + 1
    [reply] = [c for c in bot.slack.calls[mark:] if c.method == "response_url"]  # recorded before idle
    assert "openings" in blocks_text(reply.args).lower()


async def test_a_failing_listener_still_counts_as_handled(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    release = asyncio.Event()

    async def fails(*_: Any, **__: Any) -> None:
        await release.wait()  # fail only after the ack has been answered
        raise RuntimeError("disk on fire")

    def cannot_render(*_: Any, **__: Any) -> None:
        raise RuntimeError("templates on fire")

    monkeypatch.setattr(bot.hiring, "list_openings", fails)
    # Every reply is rendered, the apology too: the exception leaves the listener for bolt.
    monkeypatch.setattr(bot.ctx.renderer, "blocks", cannot_render)
    await bot.command("openings")
    assert bot.handled is not None and bot.handled.busy == 1
    release.set()
    await bot.settled()
    assert bot.handled.busy == 0


async def test_requests_no_listener_takes_do_not_count(bot: Bot) -> None:
    resp = await bot.event({"type": "reaction_added", "user": "U1", "reaction": "+1",
                            "item": {"type": "message", "channel": "C1", "ts": "1.2"}}, "EvR")
    assert resp.status in (200, 404)
    assert bot.handled is not None and bot.handled.busy == 0
    await bot.settled()


async def test_many_at_once(bot: Bot) -> None:
    mark = bot.mark()
    await asyncio.gather(*(bot.command("openings") for _ in range(8)))  # each answered after its ack
    await bot.settled()
    assert len([c for c in bot.slack.calls[mark:] if c.method == "response_url"]) == 8
