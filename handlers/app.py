"""Build the AsyncApp. Only wiring here: the listeners live in their own modules.

The same app serves HTTP mode, Socket Mode and ``hirebot console``; only the transport
differs. The Web API client retries 429s after ``Retry-After`` and transient connection
errors, using slack_sdk's own retry handlers.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Config
from bot.hiring import Hiring
from bot.render import Renderer
from bot.storage import Store
from handlers import actions, commands, events, views
from handlers.context import AppContext


def make_client(config: Config) -> AsyncWebClient:
    client = AsyncWebClient(token=config.bot_token, base_url=config.api_url, timeout=15)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    client.retry_handlers.append(AsyncConnectionErrorRetryHandler(max_retry_count=2))
    return client


def build_app(config: Config, hiring: Hiring, renderer: Renderer) -> tuple[AsyncApp, AppContext]:
    ctx = AppContext(config=config, hiring=hiring, renderer=renderer)
    app = AsyncApp(
        client=make_client(config),
        signing_secret=config.signing_secret,
        logger=logging.getLogger("hirebot.bolt"),
    )
    commands.register(app, ctx)
    actions.register(app, ctx)
    views.register(app, ctx)
    events.register(app, ctx)
    return app, ctx


async def open_services(config: Config, clock=None) -> tuple[Store, Hiring, Renderer]:  # type: ignore[no-untyped-def]
    """Open the database (migrating it) and check every template, before serving anything."""
    renderer = Renderer(config.templates_dir)
    renderer.check()
    store = await Store(config.db_path).open()
    hiring = Hiring(store, admins=config.admins, **({"clock": clock} if clock else {}))
    return store, hiring, renderer
