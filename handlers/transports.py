"""Transports: HTTP (aiohttp) at ``/slack/events``; Socket Mode. Both also serve operations:
``GET /healthz`` (liveness), ``GET /readyz`` (readiness), ``GET /metrics`` (Prometheus text).
:func:`serve` is the whole life of ``hirebot run``: listen first, catch up after."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.storage import Store
from handlers import ops
from handlers.listeners.inbox import durable
from handlers.slack.requests import check_http

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from handlers.slack.replies import AppContext

def settle_heap() -> None:
    """Once the app is built, before serving: move everything alive now (modules, templates, the
    app) out of the garbage collector's reach for good (``gc.freeze``). A full collection walks
    every tracked object; with ~100,000 of them from start-up, one took 70-80 ms in the middle of
    an SLA sweep over 20,000 candidates, the longest the event loop was blocked. They live as long
    as the process anyway; what requests and sweeps create is still collected as before."""
    gc.collect()
    gc.freeze()


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


async def serve_socket_mode(app: AsyncApp, app_token: str) -> AsyncSocketModeHandler:
    """Connected to Slack (slack_sdk reconnects by itself from then on); ``close_async()`` to end."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(app, app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    log.info("hirebot connected to Slack in Socket Mode")
    return handler


async def serve(app: AsyncApp, ctx: AppContext, store: Store, *, port: int, stopping: asyncio.Event,
                host: str = "0.0.0.0", app_token: str | None = None) -> None:
    """Serve Slack until ``stopping`` is set: HTTP on ``port``, or Socket Mode with ``app_token``
    (then ``port`` serves only the operations endpoints).

    Listen first, catch up after. What a start may have to do at length (the scheduler's catch-up
    on follow-ups that fell due while hirebot was down: 33 s with 100,000 applications and nudges
    due; finishing commands a crash interrupted) runs in the background once hirebot listens, so
    Slack never meets a closed port and commands arriving meanwhile are handled as usual.
    ``/readyz`` is 503 until both are done. On stop, the listener closes first; the resume
    finishes what it started and the scheduler its run in progress (it checks for the stop between
    its parts); the caller then closes the database."""
    inbox = durable(ctx)
    # Taken before serving, so the resume never touches a command this process is handling live;
    # from then on its leases are renewed, and rows of replicas that died are taken over.
    resume_inbox = await inbox.backlog()
    await ctx.scheduler.start(catch_up=False)  # wake-ups from now on; what was missed: after listening
    installed = ops.of(app)
    if installed is not None:
        installed.health.resuming = True
    token_check = asyncio.create_task(installed.health.check_token()) if installed else None
    runner: web.AppRunner | None = None
    socket: AsyncSocketModeHandler | None = None
    resumed: asyncio.Task[None] | None = None
    caught_up: asyncio.Task[None] | None = None
    leases_done = asyncio.Event()
    leases = asyncio.create_task(_logged(inbox.keep_up(app.client, leases_done)))
    try:
        runner = await serve_http(app, store, port, host, slack=app_token is None)
        if app_token is not None:
            socket = await serve_socket_mode(app, app_token)

        async def resume() -> None:
            try:
                await _logged(resume_inbox(app.client))
            finally:
                if installed is not None:
                    installed.health.resuming = False

        async def catch_up() -> None:
            await _logged(ctx.scheduler.catch_up())
            if ctx.scheduler.caught_up:
                log.info("caught up on the follow-ups due while hirebot was down")
        resumed = asyncio.create_task(resume())
        caught_up = asyncio.create_task(catch_up())
        await stopping.wait()
        log.info("stopping")
        ctx.scheduler.halt()  # before the other parts wind down: a catch-up ends at its next step
    finally:
        if token_check is not None:
            token_check.cancel()
        if socket is not None:
            await socket.close_async()  # type: ignore[no-untyped-call]
        if runner is not None:
            await runner.cleanup()
        await inbox.quiet()  # what was acknowledged is processed before the database closes
        if resumed is not None:
            await resumed
        await ctx.hiring.changes.drained()  # cards and wake-ups follow the last changes first
        await ctx.scheduler.stop()
        if caught_up is not None:
            await caught_up  # over: stop() waited for its run, or it saw the stop before it began
        leases_done.set()  # last: what the listener and the resume held was renewed until they ended
        await leases


async def _logged(work: Awaitable[object]) -> None:
    """Background start-up work: a failure is logged, never lost in a task. A failed catch-up keeps
    /readyz at 503 until a later run (the next sweep) gets through; the inbox resume leaves what
    failed for the next start, as before."""
    try:
        await work
    except Exception:
        log.exception("%s failed at start-up; the next start (or, for the scheduler, the next sweep) tries again",
                      getattr(work, "__qualname__", work))
