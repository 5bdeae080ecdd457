"""A local stand-in for Slack's Web API, on loopback, recording every call.

Used by the end-to-end tests (``SLACK_API_URL`` points here) and by ``hirebot console``, so
both exercise the real slack_sdk client over real HTTP. It implements the methods hirebot
calls, keeps channel messages (so ``chat.update`` edits them in place), serves
``response_url`` endpoints, and can answer a method with 429 + ``Retry-After`` on demand.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    #: What the stand-in answered (e.g. the ``ts`` of a posted message), once it has.
    result: dict[str, Any] = field(default_factory=dict)


class FakeSlack:
    """Start with ``await FakeSlack().start()``; ``api_url`` and ``response_url()`` point at it."""

    def __init__(self, team_id: str = "T0001", bot_user: str = "UBOT") -> None:
        self.team_id = team_id
        self.bot_user = bot_user
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.private_channels: set[str] = set()
        #: channels hirebot has not been invited to
        self.not_member: set[str] = set()
        #: channel → user ids (conversations.members); a channel not listed has no known members.
        self.channel_members: dict[str, set[str]] = {}
        self.user_tz: dict[str, str] = {}
        self.rate_limit_next: dict[str, int] = {}
        #: method → errors to answer with, one per call (e.g. ["internal_error"]), then success.
        self.fail_next: dict[str, list[str]] = {}
        #: Method → events: the next call of that method is recorded as ``<method>:held`` and
        #: answered only once its event is set (a request in flight when its sender froze).
        self.hold_next: dict[str, list[asyncio.Event]] = {}
        #: Cleared: replies to response URLs wait (unrecorded, unanswered) until it is set again,
        #: so a test can have commands in flight at a moment of its choosing.
        self.replies_open = asyncio.Event()
        self.replies_open.set()
        self._ts = itertools.count(1)
        self._response_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.changed = asyncio.Event()

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{rid}", self._response)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/response/{next(self._response_ids)}"

    # ------------------------------------------------------------------ inspection
    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, predicate: Callable[[Call], bool] = lambda c: True,
                       timeout: float = 5.0, after: int = 0) -> Call:  # noqa: ASYNC109 (a bound, not a deadline)
        """Wait until a call of ``method`` (at index >= ``after``) satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        while True:
            for c in self.calls[after:]:
                if c.method == method and predicate(c):
                    return c
            if time.monotonic() > deadline:
                seen = ", ".join(c.method for c in self.calls[after:]) or "nothing"
                raise AssertionError(f"no {method} call within {timeout}s (saw: {seen})")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), timeout=0.05)
            except TimeoutError:
                pass

    def _record(self, method: str, args: dict[str, Any]) -> None:
        self.calls.append(Call(method, args))
        self.changed.set()

    # ------------------------------------------------------------------ HTTP
    @staticmethod
    async def _args(request: web.Request) -> dict[str, Any]:
        raw = await request.text()
        if request.content_type == "application/json":
            return {**dict(request.query), **json.loads(raw or "{}")}
        args: dict[str, Any] = {**dict(request.query), **dict(parse_qsl(raw))}
        for key in ("blocks", "view", "attachments"):
            if isinstance(args.get(key), str):
                try:
                    args[key] = json.loads(args[key])
                except json.JSONDecodeError:
                    pass
        return args

    async def _response(self, request: web.Request) -> web.Response:
        args = await self._args(request)
        args["response_url"] = str(request.url)
        await self.replies_open.wait()  # cleared: replies arrive but are not taken in yet
        self._record("response_url", args)
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        if self.rate_limit_next.get(method, 0) > 0:
            self.rate_limit_next[method] -= 1
            self._record(f"{method}:429", args)
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"})
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return web.json_response({"ok": False, "error": "not_authed"})
        if self.hold_next.get(method):
            release = self.hold_next[method].pop(0)
            self._record(f"{method}:held", args)
            await release.wait()  # answered normally once released (a caller frozen meanwhile)
        if self.fail_next.get(method):
            error = self.fail_next[method].pop(0)
            self._record(f"{method}:{error}", args)
            return web.json_response({"ok": False, "error": error})
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        body = handler(args) if handler else {}
        self.calls.append(Call(method, args, result=body))
        self.changed.set()
        return web.json_response({"ok": True, **body})

    # ------------------------------------------------------------------ methods
    def m_auth_test(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"user_id": self.bot_user, "bot_id": "BBOT", "team_id": self.team_id, "team": "hirebot-local",
                "user": "hirebot", "url": "https://hirebot-local.slack.test/"}

    def m_chat_postMessage(self, a: dict[str, Any]) -> dict[str, Any]:
        ts = f"{1700000000 + next(self._ts)}.000100"
        channel = str(a.get("channel"))
        msg = {"ts": ts, "channel": channel, "text": a.get("text"), "blocks": a.get("blocks"),
               "thread_ts": a.get("thread_ts")}
        self.messages[(channel, ts)] = msg
        return {"channel": channel, "ts": ts, "message": msg}

    def m_chat_postEphemeral(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"message_ts": f"{1700000000 + next(self._ts)}.000200"}

    def m_chat_update(self, a: dict[str, Any]) -> dict[str, Any]:
        key = (str(a.get("channel")), str(a.get("ts")))
        if key in self.messages:
            self.messages[key].update(text=a.get("text"), blocks=a.get("blocks"))
        return {"channel": key[0], "ts": key[1]}

    def m_chat_getPermalink(self, a: dict[str, Any]) -> dict[str, Any]:
        ts = str(a.get("message_ts", "")).replace(".", "")
        return {"permalink": f"https://hirebot-local.slack.test/archives/{a.get('channel')}/p{ts}"}

    def m_conversations_open(self, a: dict[str, Any]) -> dict[str, Any]:
        return {"channel": {"id": "D" + str(a.get("users", "")).split(",")[0]}}

    def m_conversations_info(self, a: dict[str, Any]) -> dict[str, Any]:
        cid = str(a.get("channel"))
        private = cid in self.private_channels or cid.startswith("G")
        return {"channel": {"id": cid, "is_private": private, "is_im": cid.startswith("D"),
                            "is_member": cid not in self.not_member}}

    def m_conversations_members(self, a: dict[str, Any]) -> dict[str, Any]:
        return {"members": sorted(self.channel_members.get(str(a.get("channel")), set())),
                "response_metadata": {"next_cursor": ""}}

    def m_users_info(self, a: dict[str, Any]) -> dict[str, Any]:
        uid = str(a.get("user"))
        return {"user": {"id": uid, "tz": self.user_tz.get(uid, "UTC"), "name": uid.lower()}}

    def m_views_open(self, a: dict[str, Any]) -> dict[str, Any]:
        return {"view": {"id": f"V{next(self._ts)}", **(a.get("view") or {})}}

    m_views_update = m_views_open
    m_views_push = m_views_open

    def m_views_publish(self, a: dict[str, Any]) -> dict[str, Any]:
        return {"view": {"id": f"V{next(self._ts)}", **(a.get("view") or {})}}
