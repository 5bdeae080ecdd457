"""Operations: metrics, health and readiness, request ids, for a bot that runs for months.

``install(app, ctx, store)`` is called once by ``handlers/app.py``. It observes the app from the
outside and changes nothing it does:

- it wraps ``app.async_dispatch`` (both transports call it) to give every Slack request an id
  (a context variable, so logs written after the ack carry it too) and to time and count it;
- it wraps ``api_call`` of the app's Web API client, and of each request's client through a
  bolt middleware, to count Web API calls by method and status;
- it listens to APScheduler's job events (lag, runs) and reads the scheduler's counters;
- it times every ``store.transaction()``: the wait to begin (queue, busy retries) and the hold;
- a logging handler counts errors per request kind and name, and database busy errors.

The transport finds what was installed with :func:`of` and serves ``/metrics``, ``/healthz``
and ``/readyz`` from it.
"""

from __future__ import annotations

import logging
import sqlite3
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_bolt.middleware.async_middleware import AsyncMiddleware

from .context import RequestInfo, current, describe, label, new_id
from .health import Health
from .metrics import Metrics

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.request.async_request import AsyncBoltRequest
    from slack_bolt.response import BoltResponse

    from bot.storage import Store
    from handlers.slack.replies import AppContext

log = logging.getLogger("hirebot.requests")


@dataclass(slots=True)
class Ops:
    metrics: Metrics
    health: Health


_installed: weakref.WeakKeyDictionary[Any, Ops] = weakref.WeakKeyDictionary()
_latest: list[Ops] = []  # where errors outside any request are counted (the app this process serves)


def of(app: Any) -> Ops | None:
    return _installed.get(app)


def install(app: AsyncApp, ctx: AppContext, store: Store) -> Ops:
    metrics = Metrics()
    ops = Ops(metrics, Health(store, ctx.scheduler, app.client))
    _installed[app] = ops
    _latest[:] = [ops]
    metrics.wrap_client(app.client)
    metrics.watch_scheduler(ctx.scheduler)
    metrics.watch_store(store)

    app.use(_CountApiCalls(metrics))
    original = app.async_dispatch

    async def dispatch(req: AsyncBoltRequest) -> BoltResponse:
        kind, raw = describe(req.body)
        info = RequestInfo(new_id(), kind, raw, ops)
        reset = current.set(info)
        started = time.perf_counter()
        try:
            resp = await original(req)
        except Exception:
            metrics.requests.labels(kind, label(kind, raw), "exception").inc()
            raise
        finally:
            current.reset(reset)
        elapsed = time.perf_counter() - started
        # Only a verified request may add a label value; a refused signature is counted as "-".
        name = "-" if resp.status in (401, 403) else label(kind, raw)
        outcome = "ok" if resp.status == 200 else str(resp.status)
        metrics.ack.labels(kind).observe(elapsed)
        metrics.requests.labels(kind, name, outcome).inc()
        level = logging.INFO if resp.status < 400 else logging.WARNING
        log.log(level, "%s %s answered %d in %.1f ms", kind, name, resp.status, elapsed * 1000,
                extra={"request_id": info.id, "request_kind": kind, "request_name": name, "status": resp.status,
                       "ack_ms": round(elapsed * 1000, 1)})
        return resp

    app.async_dispatch = dispatch  # type: ignore[method-assign]
    _install_error_counter()
    return ops


class _CountApiCalls(AsyncMiddleware):
    """Counts each request's Web API calls (bolt gives every request a client of its own). An
    object, not a function (see handlers/listeners/guard.py's ``Guard``)."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse | None:
        self.metrics.wrap_client(req.context.client)
        return await next()  # (None: bolt's next() only notes the call)


def _busy(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc)):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


class ErrorCounter(logging.Handler):
    """Counts ERROR records: per request when logged inside one, else as ``background``."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        info = current.get()
        ops = info.ops if info is not None else (_latest[0] if _latest else None)
        if ops is None:
            return
        kind, name = (info.kind, label(info.kind, info.name)) if info is not None else ("background", "-")
        ops.metrics.errors.labels(kind, name).inc()
        if record.exc_info and _busy(record.exc_info[1]):
            ops.metrics.db_busy.inc()


def _install_error_counter() -> None:
    # On the root logger: aiohttp's "Error handling request" and APScheduler's job errors count too.
    root = logging.getLogger()
    if not any(isinstance(h, ErrorCounter) for h in root.handlers):
        root.addHandler(ErrorCounter())


__all__ = ["Ops", "install", "of"]
