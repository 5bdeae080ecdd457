"""Transports: HTTP (aiohttp) at ``/slack/events``; Socket Mode. Both also serve operations:
``GET /healthz`` (liveness), ``GET /readyz`` (readiness), ``GET /metrics`` (Prometheus text)."""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.storage import Store
from handlers import ops
from handlers.slack.requests import check_http

log = logging.getLogger("hirebot")
#: Slack sends at most a few KB; a body larger than this is not Slack.
MAX_BODY = 2 * 1024 * 1024


def make_web_app(app: AsyncApp, store: Store, *, slack: bool = True) -> web.Application:
    """The aiohttp application; ``slack=False`` serves only the operations endpoints (Socket Mode)."""
    installed = ops.of(app)

    secret = app._signing_secret  # bolt keeps it; the transport must check it before parsing

    async def slack_events(request: web.Request) -> web.Response:
        raw = await request.read()
        refused = check_http(raw, request.headers, secret)
        if refused is not None:
            status, reason = refused
            log.info("refused a request to /slack/events: %s", reason)
            if installed is not None:  # counted, but an unverified request may not choose a label
                kind = "command" if b"command=" in raw else "action" if b"payload=" in raw else "other"
                installed.metrics.requests.labels(kind, "-", str(status)).inc()
            return web.json_response({"error": reason}, status=status)
        bolt_request = AsyncBoltRequest(body=raw.decode("utf-8"), query=request.query_string,
                                        headers=request.headers)  # type: ignore[arg-type]
        bolt_response = await app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def healthz(_: web.Request) -> web.Response:
        if installed is not None:
            body = await installed.health.live()
        else:
            ok = await store.ping()
            body = {"ok": ok, "db": "reachable" if ok else "unreachable"}
        return web.json_response(body, status=200 if body["ok"] else 503)

    async def readyz(_: web.Request) -> web.Response:
        assert installed is not None
        body = await installed.health.ready()
        installed.metrics.ready.set(1 if body["ok"] else 0)
        return web.json_response(body, status=200 if body["ok"] else 503)

    async def metrics(_: web.Request) -> web.Response:
        assert installed is not None
        from handlers.ops.metrics import CONTENT_TYPE

        return web.Response(body=installed.metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    web_app = web.Application(client_max_size=MAX_BODY)
    if slack:
        web_app.router.add_post("/slack/events", slack_events)
    web_app.router.add_get("/healthz", healthz)
    if installed is not None:
        web_app.router.add_get("/readyz", readyz)
        web_app.router.add_get("/metrics", metrics)
    return web_app


async def serve_http(app: AsyncApp, store: Store, port: int, host: str = "0.0.0.0", *,
                     slack: bool = True) -> web.AppRunner:
    runner = web.AppRunner(make_web_app(app, store, slack=slack), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    if slack:
        log.info("hirebot listening on http://%s:%d/slack/events", host, port)
    else:
        log.info("operations endpoints on http://%s:%d (/healthz, /readyz, /metrics)", host, port)
    return runner


async def serve_socket_mode(app: AsyncApp, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(app, app_token)
    await handler.start_async()  # type: ignore[no-untyped-call]
