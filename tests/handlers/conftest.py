"""End-to-end harness: signed HTTP requests into the real app, a local Slack Web API stand-in.

Like bolt-python's own scenario tests: the real ``AsyncApp`` behind hirebot's real aiohttp
server on a loopback port, ``SLACK_API_URL`` pointed at :class:`FakeSlack`, a real SQLite file.

Waiting, never sleeping: a test waits for what it expects to appear (``slack.wait_for``, which
polls until a deadline), and asserts that something did *not* happen only after a positive
barrier: :meth:`Bot.settled` returns once every request sent so far has been handled to the
end (the listener work after the ack included), using the console's :class:`Handled` signal.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from bot.config import Config
from handlers.app import build_app, open_services
from handlers.listeners.inbox import durable
from handlers.local.console import Handled
from handlers.local.fake_slack import FakeSlack
from handlers.slack.http import PARKED, close_shared_session
from handlers.transports import make_web_app
from tests.clock import Clock

SECRET = "test-signing-secret"
ADMIN = "UADMIN"


@dataclass
class Bot:
    url: str
    slack: FakeSlack
    hiring: Any
    store: Any
    clock: Clock
    http: aiohttp.ClientSession
    db_path: str
    ctx: Any = None
    handled: Handled | None = None

    async def settled(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - a deadline to report, not to cancel
        """The positive barrier: every request sent so far has been handled, its work after the ack done."""
        assert self.handled is not None
        assert await self.handled.idle(timeout), f"{self.handled.busy} request(s) still running after {timeout}s"
        await asyncio.wait_for(self.hiring.changes.drained(), timeout)  # and the card redraws they caused

    async def post(self, body: str, content_type: str, *, timestamp: int | None = None, secret: str = SECRET,
                   headers: dict[str, str] | None = None) -> aiohttp.ClientResponse:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        sig = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
        h = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig, "Content-Type": content_type}
        h.update(headers or {})
        resp = await self.http.post(self.url + "/slack/events", data=body.encode(), headers=h)
        await resp.read()
        return resp

    async def command(self, text: str, user: str = "UMANAGER", channel: str = "CJOBS") -> aiohttp.ClientResponse:
        body = urlencode({
            "token": "legacy", "team_id": "T0001", "team_domain": "hirebot", "channel_id": channel,
            "channel_name": "jobs", "user_id": user, "user_name": user.lower(), "command": "/hiring", "text": text,
            "api_app_id": "A0001", "response_url": self.slack.response_url(), "trigger_id": f"trig-{time.time_ns()}",
        })
        resp = await self.post(body, "application/x-www-form-urlencoded")
        assert resp.status == 200, await resp.text()
        return resp

    async def interact(self, payload: dict[str, Any]) -> aiohttp.ClientResponse:
        payload.setdefault("team", {"id": "T0001"})
        payload.setdefault("api_app_id", "A0001")
        payload.setdefault("token", "legacy")
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    async def click(self, action_id: str, value: str, user: str = "UMANAGER", channel: str = "CJOBS",
                    selected: str | None = None) -> aiohttp.ClientResponse:
        action: dict[str, Any] = {"action_id": action_id, "block_id": "b", "type": "button", "value": value,
                                  "action_ts": "1"}
        if selected is not None:
            action = {"action_id": action_id, "block_id": "b", "type": "overflow", "action_ts": "1",
                      "selected_option": {"value": selected, "text": {"type": "plain_text", "text": "x"}}}
        return await self.interact({
            "type": "block_actions", "user": {"id": user}, "channel": {"id": channel},
            "container": {"type": "message", "channel_id": channel, "is_ephemeral": True},
            "trigger_id": f"trig-{time.time_ns()}", "response_url": self.slack.response_url(), "actions": [action],
        })

    async def submit(self, callback_id: str, values: dict[str, dict[str, Any]], user: str = "UMANAGER",
                     private_metadata: str = "") -> aiohttp.ClientResponse:
        return await self.interact({
            "type": "view_submission", "user": {"id": user}, "trigger_id": "trig",
            "view": {"id": "V1", "type": "modal", "callback_id": callback_id, "private_metadata": private_metadata,
                     "state": {"values": values}},
        })

    async def event(self, event: dict[str, Any], event_id: str, retry: int | None = None) -> aiohttp.ClientResponse:
        body = json.dumps({"token": "legacy", "team_id": "T0001", "api_app_id": "A0001", "type": "event_callback",
                           "event_id": event_id, "event_time": int(time.time()), "event": event})
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return await self.post(body, "application/json", headers=headers)

    async def reply_text(self, after: int, predicate: Any = lambda c: True) -> str:
        """Text of the next private reply (response_url, postEphemeral or DM) after call index ``after``."""
        call = await self.slack.wait_for("response_url", predicate, after=after) if predicate else None
        return blocks_text(call.args) if call else ""

    def mark(self) -> int:
        return len(self.slack.calls)

    async def answered_in_ack(self, text: str, user: str = "UMANAGER", channel: str = "CJOBS") -> str:
        """``/hiring <text>`` answered in its ack's body: the reply's text, once the app has settled
        and no other private reply followed (no response URL, postEphemeral or DM) and nothing was
        recorded in the inbox."""
        mark, rows = self.mark(), inbox_rows(self.db_path)
        body = await ack_body(await self.command(text, user=user, channel=channel))
        assert body is not None, f"/hiring {text} was acked empty"
        assert body.get("response_type") == "ephemeral" and body.get("blocks"), body
        await self.settled()
        after = [c.method for c in self.slack.calls[mark:] if c.method in PRIVATE_REPLIES]
        assert after == [], f"/hiring {text} was answered in its ack, then again: {after}"
        assert inbox_rows(self.db_path) == rows, f"/hiring {text} was recorded in the inbox"
        return blocks_text(body)


#: Where a private reply can go after the ack (DMs are chat.postMessage to a D… channel).
PRIVATE_REPLIES = frozenset({"response_url", "chat.postEphemeral", "chat.postMessage"})


async def ack_body(resp: aiohttp.ClientResponse) -> dict[str, Any] | None:
    """The JSON body of an ack (a reply in it), or None for an empty ack."""
    raw = await resp.text()
    return json.loads(raw) if raw.startswith("{") else None


def inbox_rows(db_path: str) -> int:
    """How many requests the inbox holds, read from the file as another process would."""
    from tests import databases

    return int(databases.query(db_path, "SELECT COUNT(*) FROM inbox")[0][0])


def blocks_text(args: dict[str, Any]) -> str:
    """All visible text of a message or view, for assertions."""
    out: list[str] = [str(args.get("text") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "text" and isinstance(v, str):
                    out.append(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(args.get("blocks") or args.get("view") or [])
    return "\n".join(out)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def bot(slack: FakeSlack, tmp_path: Any) -> AsyncIterator[Bot]:
    db = str(tmp_path / "hirebot.db")
    config = Config.from_env({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
                              "SLACK_API_URL": slack.api_url, "HIREBOT_DB": db, "HIREBOT_ADMINS": ADMIN})
    clock = Clock()
    services = await open_services(config.with_(send_interval=0.05), clock=clock)
    app, ctx = build_app(config.with_(send_interval=0.05), services)
    handled = Handled(app, durable(ctx))
    ctx.outbox.backoff = 0.01
    await ctx.scheduler.start()
    runner = web.AppRunner(make_web_app(app, services.store), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    async with aiohttp.ClientSession() as http:
        yield Bot(f"http://127.0.0.1:{port}", slack, services.hiring, services.store, clock, http, db, ctx, handled)
    await handled.idle(10)
    await services.hiring.changes.drained()
    await ctx.scheduler.stop()
    await close_shared_session()  # its keep-alive connections would hold the stand-in's handlers open
    await runner.cleanup()
    # Listeners go on working after their ack (as they must); let them finish before closing the DB.
    pending = [t for t in asyncio.all_tasks()
               if t is not asyncio.current_task() and not t.done() and t.get_name() != PARKED]
    if pending:
        await asyncio.wait(pending, timeout=5)
    await services.store.close()
