"""Build the AsyncApp and the services behind it. Only wiring here: listeners live in their modules.

The same app serves HTTP mode, Socket Mode and ``hirebot console``; only the transport
differs. The Web API client retries 429s after ``Retry-After`` and transient connection
errors, using slack_sdk's own retry handlers. The follow-up scheduler is built here but
started by the transport (``await ctx.scheduler.start()``), after the database is open.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.middleware.authorization.async_single_team_authorization import AsyncSingleTeamAuthorization
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import utcnow
from bot.config import Config
from bot.digests import Digests
from bot.followups import Followups
from bot.hiring import Hiring
from bot.leases import Replica
from bot.parser_pool import ParserPool
from bot.ports import Parser
from bot.publishing import Publishing
from bot.scheduler import Scheduler
from bot.storage import Store
from handlers import listeners
from handlers.listeners.inbox import durable
from handlers.slack.cards import SlackCards
from handlers.slack.http import SharedRespond, shared_session
from handlers.slack.outbox import SlackOutbox
from handlers.slack.render import Renderer
from handlers.slack.replies import AppContext


@dataclass(slots=True)
class Services:
    """The domain, opened: one store, the services over it, the renderer."""

    store: Store
    hiring: Hiring
    followups: Followups
    digests: Digests
    renderer: Renderer
    #: Pastes are parsed in worker processes with a time limit, never on the event loop.
    parser: Parser = field(default_factory=ParserPool.shared)


def make_client(config: Config) -> AsyncWebClient:
    # Every call through the loop's one connection pool (handlers/slack/http.py), not a new
    # connection each; outside a running loop slack_sdk makes its own per call, as before.
    client = AsyncWebClient(token=config.bot_token, base_url=config.api_url, timeout=15, session=shared_session())
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    client.retry_handlers.append(AsyncConnectionErrorRetryHandler(max_retry_count=2))
    return client


#: On a shared database (PostgreSQL), how often each replica re-reads when the next reminder and
#: digests are due: a schedule changed on another replica reaches this one within this long.
SCHEDULE_POLL = timedelta(seconds=10)


def build_app(config: Config, services: Services) -> tuple[AsyncApp, AppContext]:
    app = AsyncApp(
        client=make_client(config),
        signing_secret=config.signing_secret,
        logger=logging.getLogger("hirebot.bolt"),
        # The HTTP transport checks every request's signature before it parses a byte
        # (handlers/transports.py, check_http), and a Socket Mode envelope has none to check:
        # bolt's own check would compute the same HMAC a second time on every request.
        request_verification_enabled=False,
    )
    outbox = SlackOutbox(app.client, services.renderer, services.followups,
                         per_channel_interval=config.send_interval)
    services.followups.people.directory = outbox
    scheduler = Scheduler(services.followups, services.digests, outbox,
                          sweep_every=timedelta(minutes=config.sweep_minutes),
                          watch_every=None if config.sqlite_file else SCHEDULE_POLL)
    # The two copies kept outside the database follow every committed change: cards (subscribed
    # by Publishing) and the scheduler's wake-ups.
    services.hiring.changes.on_schedule_changed(scheduler.rearm)
    cards = SlackCards(app.client, services.renderer)
    services.hiring.membership = cards
    publishing = Publishing(services.hiring, cards, cards, services.parser)
    ctx = AppContext(config=config, hiring=services.hiring, publishing=publishing, renderer=services.renderer,
                     followups=services.followups, digests=services.digests, outbox=outbox, scheduler=scheduler,
                     cards=cards)
    _share_http(app)
    listeners.register(app, ctx)
    from handlers import ops  # /metrics, /readyz, request ids; observes the app from outside
    durable(ctx).client = app.client  # what is processed after its ack calls Slack with
    ops.install(app, ctx, services.store).metrics.watch_backlog(durable(ctx).admission)
    return app, ctx


class _AuthTestOnce(AsyncSingleTeamAuthorization):
    """bolt's single-workspace authorization, with its ``auth.test`` made once: bolt caches the
    answer only after it arrives, so a first burst of 50 requests made 50 calls."""

    def __init__(self, base: AsyncSingleTeamAuthorization) -> None:
        super().__init__(user_facing_authorize_error_message=base.user_facing_authorize_error_message)
        self.logger = base.logger
        self._first: asyncio.Lock | None = None

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
        if self.auth_test_result is None:
            self._first = self._first or asyncio.Lock()
            async with self._first:  # the others wait for the first answer instead of asking too
                if self.auth_test_result is None and req.context.client is not None:
                    try:
                        self.auth_test_result = await req.context.client.auth_test()
                    except SlackApiError:
                        pass  # bolt asks again below and answers the refusal its own way
        return await super().async_process(req=req, resp=resp, next=next)


def _share_http(app: AsyncApp) -> None:
    """``respond()`` through the shared connection pool, and ``auth.test`` once."""
    chain = app._async_middleware_list
    for i, middleware in enumerate(chain):
        if type(middleware) is AsyncSingleTeamAuthorization:
            chain[i] = _AuthTestOnce(middleware)

    app.use(_RespondShared())


class _RespondShared(AsyncMiddleware):
    """Each request's ``respond`` posts through the shared session. An object, not a function
    (see handlers/listeners/guard.py's :class:`~handlers.listeners.guard.Guard`)."""

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse | None:
        context = req.context
        if context.response_url:
            context["respond"] = SharedRespond(response_url=context.response_url)
        return await next()  # (None: bolt's next() only notes the call)


async def open_services(config: Config, clock: Callable[[], datetime] | None = None) -> Services:
    """Check every template, then open the database (migrating it), before serving anything."""
    renderer = Renderer(config.templates_dir)
    renderer.check()
    lease = timedelta(seconds=config.lease_seconds)
    store = await Store(config.database, abandon_after=lease).open()
    hiring = Hiring(store, admins=config.admins, clock=clock or utcnow)
    replica = Replica(config.replica_id, lease)
    followups = Followups(hiring, default_tz=config.tz, escalate_after=config.escalate_after, replica=replica)
    return Services(store, hiring, followups, Digests(hiring, followups), renderer)
