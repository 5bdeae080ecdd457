"""Transports: HTTP (aiohttp) at ``/slack/events`` plus ``/healthz``; Socket Mode."""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.storage import Store

log = logging.getLogger("hirebot")
#: Slack sends at most a few KB; a body larger than this is not Slack.
MAX_BODY = 2 * 1024 * 1024


def make_web_app(app: AsyncApp, store: Store) -> web.Application:
    async def slack_events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        bolt_response = await app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def healthz(_: web.Request) -> web.Response:
        ok = await store.ping()
        return web.json_response({"ok": ok, "db": "reachable" if ok else "unreachable"}, status=200 if ok else 503)

    web_app = web.Application(client_max_size=MAX_BODY)
    web_app.router.add_post("/slack/events", slack_events)
    web_app.router.add_get("/healthz", healthz)
    return web_app


async def serve_http(app: AsyncApp, store: Store, port: int, host: str = "0.0.0.0") -> web.AppRunner:
    runner = web.AppRunner(make_web_app(app, store), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("hirebot listening on http://%s:%d/slack/events", host, port)
    return runner


async def serve_socket_mode(app: AsyncApp, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(app, app_token)
    await handler.start_async()
