"""Listener unit tests: call one registered callback with a mock ``ack`` and a fake client.

As bolt-python-starter-template's tests do, each callback is called directly with the
arguments bolt would inject (``ack``, ``body``, ``action``/``view``/``event``, ``client``,
``respond``), no HTTP and no signature; the signed end-to-end scenarios live in
``tests/handlers/test_*.py``. The domain behind the callback is real: the services of
``handlers.app.build_app`` over a SQLite file in ``tmp_path`` and a controllable clock, so
each test reads back the domain effect through :class:`bot.hiring.Hiring`.

A listener module is registered on :class:`Recorder` (the real app, recording what each
decorator registers) with the same ``ctx`` the app was built with, so a test reaches
``draft_post`` of ``handlers/listeners/actions/posting.py`` by that module and that name.
"""

from __future__ import annotations

import functools
import inspect
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Config
from handlers.app import build_app, open_services
from handlers.listeners.inbox import durable
from handlers.slack.replies import AppContext
from tests.clock import Clock
from tests.handlers.conftest import blocks_text

ADMIN = "UADMIN"
MANAGER = "UMANAGER"
POSTING = (Path(__file__).parents[2] / "fixtures/postings/uk_bank.txt").read_text()

Callback = Callable[..., Awaitable[Any]]


class Recorder:
    """Stands in for the AsyncApp in ``register(app, ctx)``: each listener decorator records the
    callback under its function name (and still returns it); anything else is the real app's."""

    def __init__(self, app: Any, ctx: AppContext | None = None) -> None:
        self._app = app
        self._ctx = ctx
        self.callbacks: dict[str, Callback] = {}
        self.constraints: dict[str, Any] = {}
        self.middleware: dict[str, Callback] = {}

    def _record(self, constraint: Any) -> Callable[[Callback], Callback]:
        def deco(fn: Callback) -> Callback:
            assert fn.__name__ not in self.callbacks, f"two listeners named {fn.__name__}"
            self.callbacks[fn.__name__] = fn
            self.constraints[fn.__name__] = constraint
            return fn
        return deco

    def command(self, constraint: Any, *_: Any, **__: Any) -> Callable[[Callback], Callback]:
        return self._record(constraint)

    action = view = event = shortcut = options = message = command

    def use(self, fn: Any) -> Any:
        """A global middleware, a function or a bolt middleware object: recorded apart from the
        listeners (the real app has its own already)."""
        self.middleware[getattr(fn, "__name__", type(fn).__name__)] = fn
        return fn

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)

    def __getitem__(self, name: str) -> Callback:
        """The listener, returning once the work it queued after its ack is done too (as the
        request it stands for would be, see handlers/listeners/inbox.py's ``Durable``)."""
        fn = self.callbacks[name]
        if self._ctx is None:
            return fn
        after_ack = durable(self._ctx)

        @functools.wraps(fn)
        async def then_queued(**kw: Any) -> Any:
            result = await fn(**kw)
            await after_ack.quiet()
            return result
        return then_queued


def listeners_of(module: Any, ctx: AppContext, app: Any) -> Recorder:
    """Register one listener module (e.g. ``handlers.listeners.actions.posting``) on a Recorder."""
    rec = Recorder(app, ctx)
    module.register(rec, ctx)
    return rec


async def call(callback: Callback, **available: Any) -> Any:
    """Call a listener as bolt does: with the keyword arguments it names, taken from ``available``."""
    names = inspect.signature(callback).parameters
    missing = [n for n in names if n not in available]
    assert not missing, f"{callback.__name__} wants {missing}; pass them"
    return await callback(**{n: available[n] for n in names})


def slack_error(error: str) -> SlackApiError:
    return SlackApiError(error, {"ok": False, "error": error})


def fake_client() -> AsyncMock:
    """An ``AsyncWebClient`` whose Web API methods are AsyncMocks answering like Slack.

    ``client.chat_postMessage.side_effect = slack_error("not_in_channel")`` makes it refuse;
    ``client.chat_postMessage.await_args_list`` is what was sent."""
    client = AsyncMock(spec=AsyncWebClient)
    ts = itertools.count(1)

    async def post_message(**kw: Any) -> dict[str, Any]:
        return {"ok": True, "channel": kw.get("channel"), "ts": f"{1700000000 + next(ts)}.000100"}

    async def permalink(**kw: Any) -> dict[str, Any]:
        return {"ok": True, "permalink": f"https://example.slack.test/archives/{kw.get('channel')}/p1"}

    async def open_dm(**kw: Any) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": "D" + str(kw.get("users", "")).split(",")[0]}}

    async def info(**kw: Any) -> dict[str, Any]:
        cid = str(kw.get("channel"))
        return {"ok": True, "channel": {"id": cid, "is_private": cid.startswith("G"), "is_im": cid.startswith("D"),
                                        "is_member": True}}

    client.chat_postMessage.side_effect = post_message
    client.chat_getPermalink.side_effect = permalink
    client.conversations_open.side_effect = open_dm
    client.conversations_info.side_effect = info
    client.users_info.return_value = {"ok": True, "user": {"tz": "UTC"}}
    for method in ("chat_postEphemeral", "chat_update", "views_open", "views_publish", "views_update"):
        getattr(client, method).return_value = {"ok": True}
    return client


def sent(mock: AsyncMock) -> list[dict[str, Any]]:
    """The keyword arguments of every await of ``mock``."""
    return [c.kwargs for c in mock.await_args_list]


def text_of(kwargs: dict[str, Any]) -> str:
    """All visible text of a message's or view's keyword arguments (modal field errors too)."""
    return blocks_text({"text": kwargs.get("text"), "blocks": [kwargs.get("blocks"), kwargs.get("view"),
                                                                kwargs.get("errors")]})


@dataclass
class World:
    """The real app's context with every Slack client swapped for one fake."""

    app: Any
    ctx: AppContext
    client: AsyncMock
    clock: Clock

    @property
    def hiring(self) -> Any:
        return self.ctx.hiring

    def listeners(self, module: Any) -> Recorder:
        return listeners_of(module, self.ctx, self.app)

    async def draft(self, user: str = MANAGER, channel: str = "CJOBS") -> int:
        draft_id, _ = await self.ctx.publishing.create_draft(user, channel, POSTING)
        return draft_id

    async def opening(self, user: str = MANAGER, channel: str = "CJOBS") -> int:
        """A posted opening (through the domain), with ``user`` as its hiring manager."""
        op = await self.ctx.publishing.publish(await self.draft(user, channel), user)
        self.client.reset_mock()
        return op.id


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    config = Config(bot_token="xoxb-test", signing_secret="secret", api_url="http://127.0.0.1:9/api/",
                    db_path=str(tmp_path / "hirebot.db"), admins=frozenset({ADMIN}), send_interval=0)
    clock = Clock()
    services = await open_services(config, clock=clock)
    app, ctx = build_app(config, services)
    client = fake_client()
    # Seam: cards and the outbox post with the app-level client taken at build time, not with
    # the request's ``client`` a listener is given; point both at the fake.
    ctx.cards.client = client
    ctx.outbox.client = client
    durable(ctx).client = client  # and what is processed after its ack
    try:
        yield World(app, ctx, client, clock)
    finally:
        await services.store.close()


def action_body(user: str = MANAGER, channel: str = "CJOBS", **extra: Any) -> dict[str, Any]:
    return {"type": "block_actions", "user": {"id": user}, "channel": {"id": channel},
            "container": {"type": "message", "channel_id": channel}, "trigger_id": "trig-1", **extra}


def view_payload(callback_id: str, values: dict[str, Any], private_metadata: str = "") -> dict[str, Any]:
    """A submitted view; ``values`` maps block id → the element's state (one element a block)."""
    return {"id": "V1", "type": "modal", "callback_id": callback_id, "private_metadata": private_metadata,
            "state": {"values": {block: {"el": state} for block, state in values.items()}}}


def plain(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def channel_select(channel: str | None) -> dict[str, Any]:
    return {"type": "conversations_select", "selected_conversation": channel}
