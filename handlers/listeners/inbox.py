"""The Slack side of the durable inbox (``bot/inbox.py``): record before ``ack()``, resume at start.

A listener that changes data does, in order: record the request (one INSERT), ``ack()``, then
process it under the inbox's claim, so its first write marks the row applied atomically, and mark
it answered after the reply. An exact replay is acknowledged and answered with nothing: the first
copy's reply goes (or went) to the very same response URL, so a second message would only be noise
for the user, and it would tell a replaying attacker something.

After a restart :meth:`Durable.resume` re-runs what was not applied (through the same code the
listener uses) and confirms what was applied but not answered, with ``inbox_done`` from
``templates/replies/messages.j2``. A reply goes to the response URL while it is valid (30 minutes),
else as a DM.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import functools
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.admission import Admission
from bot.config import gone_from_this_host
from bot.errors import HiringError
from bot.hiring import Hiring
from bot.inbox import Inbox, InboxItem, Received, Resumed
from handlers.slack.http import SharedRespond
from handlers.slack.replies import AppContext, Respond, who

log = logging.getLogger("hirebot.inbox")

#: Re-runs a recorded command: (item, client, respond or None).
CommandRun = Callable[[InboxItem, AsyncWebClient, Respond | None], Awaitable[None]]
#: Re-runs a recorded button: (body, action, client, respond or None), as the listener would.
ActionRun = Callable[[dict[str, Any], dict[str, Any], AsyncWebClient, Respond | None], Awaitable[None]]


def received_command(body: dict[str, Any]) -> Received:
    return Received(kind="command", user_id=str(body.get("user_id") or ""), channel_id=body.get("channel_id"),
                    text=str(body.get("text") or ""), response_url=body.get("response_url"),
                    trigger_id=body.get("trigger_id"), team_id=body.get("team_id"),
                    enterprise_id=body.get("enterprise_id"))


def received_action(body: dict[str, Any], action: dict[str, Any], name: str) -> Received:
    """A button (``name``: its durable runner): the parts of its payload a re-run needs (who,
    where, which action), not the message it sits in."""
    user, channel = who(body)
    kept = {k: body[k] for k in ("type", "user", "channel", "container", "trigger_id", "response_url") if k in body}
    return Received(kind="action", user_id=user, channel_id=channel, text=name,
                    response_url=body.get("response_url"), trigger_id=body.get("trigger_id"),
                    team_id=(body.get("team") or {}).get("id"), enterprise_id=(body.get("enterprise") or {}).get("id"),
                    payload={"body": kept, "action": action})


#: Acknowledged commands and clicks processed at once; the others wait their turn, first come
#: first served. Unbounded, a burst interleaves every request's work, so every reply waits for
#: the whole burst; bounded, replies go out in order and keep pace with the acks. Most of an
#: item's time in a slot is waiting (its turn at the database, the reply's round trip), so eight
#: per core: with four, on 2 cores, PostgreSQL's `move` ack p99 was 90-105 ms against 77-86 with
#: eight, and SQLite's `post` 174 against 79 (bench ack, one run each).
IN_FLIGHT = int(os.environ.get("HIREBOT_IN_FLIGHT") or 0) or 8 * (os.cpu_count() or 1)
#: Seconds of acknowledged work queued before a new request waits for room (before its record and
#: ack), at the pace this process finishes work (see bot/admission.py): at saturation acks slow
#: down to the pace of replies instead of racing ahead while replies queue for seconds.
QUEUE_SECONDS = float(os.environ.get("HIREBOT_QUEUE_SECONDS") or 0) or 1.0
#: The queue allowed before a busy spell has shown its pace, and at most whatever the pace says
#: (bot/admission.py): as they were with four slots per core, when these were 16 and 128 per slot.
QUEUE_LEAST = 64 * (os.cpu_count() or 1)
QUEUE_MOST = 512 * (os.cpu_count() or 1)
#: The longest a request waits for room before it is admitted anyway: never near Slack's 3 s.
ADMIT_WAIT = 1.0


class _Queued(NamedTuple):
    """An acknowledged item waiting to be processed: only what that takes (see
    :meth:`Durable._after_ack`)."""

    item: InboxItem
    #: The runner's call, with the app's Web API client and the request's ``respond``.
    work: Callable[[], Awaitable[None]]
    claim: bool
    #: The request's context variables as at its ack (its request id, for the logs).
    context: contextvars.Context


class Durable:
    """One app's inbox, and the runners a resume needs (registered by the listener modules)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        replica = ctx.followups.replica  # this process among the replicas, as the scheduler's claims name it
        self.inbox = Inbox(ctx.hiring.store, clock=ctx.hiring.clock, holder=replica.id, lease=replica.lease)
        self.command: CommandRun | None = None
        self.command_claims: Callable[[str], bool] = lambda text: True
        self.actions: dict[str, ActionRun] = {}
        self.admission = Admission(IN_FLIGHT, budget=QUEUE_SECONDS, patience=ADMIT_WAIT, least=QUEUE_LEAST,
                                   most=QUEUE_MOST)
        #: The app's own Web API client (set by ``build_app``): what is processed after its ack
        #: uses it, as a resume does, not the client bolt built for the request.
        self.client: AsyncWebClient | None = None
        self._queued: collections.deque[_Queued] = collections.deque()
        self._workers: set[asyncio.Task[None]] = set()
        self._quiet = asyncio.Event()
        self._quiet.set()

    async def _in_turn(self, item: InboxItem, work: Callable[[], Awaitable[None]], *, claim: bool = True) -> None:
        """Process an acknowledged item in one of the slots (see :data:`IN_FLIGHT`)."""
        async with self.admission.slot():
            await self.inbox.handle(item, work, claim=claim)

    # ------------------------------------------------------------------ after the ack
    def _after_ack(self, queued: _Queued) -> None:
        """Queue an acknowledged item for processing, first come first served, and let the
        request that brought it end: at most :data:`IN_FLIGHT` workers take items off the queue.

        Processed inside its listener, each of the second's worth of acknowledged items waiting
        for a slot (bot/admission.py) kept alive everything bolt had built for its request: the
        parsed body, the context, a Web API client of its own, the listener's chain of
        coroutines. The garbage collector promoted those to its oldest generation while they
        waited, and every full collection walked them all (PostgreSQL, bench ack ``move``:
        39,000 objects there, full collections of 40-60 ms, each added to every ack waiting
        meanwhile). Queued, an item is its inbox row, one call and the request's context
        variables, and bolt's request ends with its ack (same run: half the objects, full
        collections of 25-33 ms; bench ack, ``move`` on PostgreSQL, nine alternating pairs: more
        replies a second in seven, a lower ack p99 in six)."""
        self._queued.append(queued)
        self._quiet.clear()
        if len(self._workers) < self.admission.slots:
            self._start_worker()

    def _start_worker(self) -> None:
        worker = asyncio.get_running_loop().create_task(self._work())
        self._workers.add(worker)
        worker.add_done_callback(self._worker_ended)

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queued:
            queued = self._queued.popleft()
            # In the request's own context, as its listener was: its logs keep its request id.
            await loop.create_task(self._process_queued(queued), context=queued.context)

    async def _process_queued(self, queued: _Queued) -> None:
        try:
            await self._in_turn(queued.item, queued.work, claim=queued.claim)
        except Exception:  # as bolt logged a listener's failure; the row stays for a resume
            log.exception("inbox %d failed after its ack", queued.item.id)
        finally:
            self.admission.done()

    def _worker_ended(self, worker: asyncio.Task[None]) -> None:
        """A worker ends when it finds the queue empty, or when it is cancelled as the loop
        closes; anything else that ends one with items left gets them a new worker."""
        self._workers.discard(worker)
        if self._queued and not worker.cancelled():
            self._start_worker()
        elif not self._workers and not self._queued:
            self._quiet.set()

    def working(self) -> int:
        """Acknowledged items queued or being processed."""
        return len(self._queued) + len(self._workers)

    async def quiet(self) -> None:
        """Return once every acknowledged item queued so far is processed (stop, the console,
        tests' barriers)."""
        while not self._quiet.is_set():
            await self._quiet.wait()

    # ------------------------------------------------------------------ the ack path
    async def command_ack(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                          respond: Respond | None) -> None:
        """Record, ack, queue the processing: the ack path of a ``/hiring`` request."""
        await self._admitted(lambda: self._command_ack(ack, body, client, respond))

    async def _admitted(self, ack_path: Callable[[], Awaitable[_Queued | None]]) -> None:
        """Run a request's ack path once admitted (bot/admission.py). What it queued for after
        the ack holds its room until processed; a request that queued nothing gives it back."""
        await self.admission.admit()
        queued: _Queued | None = None
        try:
            queued = await ack_path()
        finally:
            if queued is None:
                self.admission.done()
            else:
                self._after_ack(queued)

    async def _command_ack(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                           respond: Respond | None) -> _Queued | None:
        try:
            item = await self.inbox.record(received_command(body))
        except Exception:
            # Not recorded, so not accepted: say so in the ack itself (a 500 would show the user
            # only Slack's "dispatch_failed", and hirebot could not promise to do it later).
            log.exception("could not record a command; refusing it")
            await self.ctx.answer_in_ack(ack, self.ctx.error_reply(HiringError("unavailable")))
            return None
        await ack()
        if item is None or self.command is None:
            return None
        return _Queued(item, functools.partial(self.command, item, self.client or client, respond),
                       self.command_claims(item.received.text), contextvars.copy_context())

    def action(self, name: str, run: ActionRun) -> ActionRun:
        """Make button ``name`` durable: ``run`` is what its listener does after the ack, and what
        a resume calls again."""
        self.actions[name] = run
        return run

    async def action_ack(self, name: str, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                         client: AsyncWebClient, respond: Respond | None) -> None:
        """Record, ack, queue the processing of a button registered with :meth:`action`."""
        await self._admitted(lambda: self._action_ack(name, ack, body, action, client, respond))

    async def _action_ack(self, name: str, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                          client: AsyncWebClient, respond: Respond | None) -> _Queued | None:
        run = self.actions[name]
        try:
            item = await self.inbox.record(received_action(body, action, name))
        except Exception:  # not recorded, so not accepted: ack, and say so to the clicker only
            log.exception("could not record a click; refusing it")
            await ack()
            user, channel = who(body)
            await self.ctx.error(client=client, user=user, channel=channel, respond=None,
                                 err=HiringError("unavailable"))
            return None
        await ack()
        if item is None:
            return None
        return _Queued(item, functools.partial(run, body, action, self.client or client, respond), True,
                       contextvars.copy_context())

    # ------------------------------------------------------------------ after a restart
    async def backlog(self) -> Callable[[AsyncWebClient], Awaitable[Resumed]]:
        """Take the backlog now (before serving); the returned function resumes it (after)."""
        items = await self.inbox.backlog(gone=gone_from_this_host)

        async def resume(client: AsyncWebClient) -> Resumed:
            return await self.inbox.resume(items, lambda item, fresh: self._process(item, fresh, client),
                                           lambda item, fresh: self._confirm(item, fresh, client),
                                           claims=self._claims)
        return resume

    async def keep_up(self, client: AsyncWebClient, stopping: asyncio.Event) -> None:
        """Renew this replica's leases and take over what a dead replica held, until ``stopping``
        (see :meth:`bot.inbox.Inbox.keep_up`)."""
        await self.inbox.keep_up(lambda item, fresh: self._process(item, fresh, client),
                                 lambda item, fresh: self._confirm(item, fresh, client), stopping, claims=self._claims)

    def _claims(self, item: InboxItem) -> bool:
        return item.received.kind != "command" or self.command_claims(item.received.text)

    def _respond(self, item: InboxItem, fresh: bool, client: AsyncWebClient) -> Respond:
        """The response URL while it is valid, else a DM to the user."""
        if fresh and item.received.response_url:
            return SharedRespond(response_url=item.received.response_url)
        ctx, user = self.ctx, item.received.user_id

        async def by_dm(**kw: Any) -> None:
            if kw.get("delete_original"):
                return
            await ctx.dm(client=client, user=user, text=str(kw.get("text") or ""), blocks=kw.get("blocks") or [])
        return by_dm

    async def _process(self, item: InboxItem, fresh: bool, client: AsyncWebClient) -> None:
        respond = self._respond(item, fresh, client)
        if item.received.kind == "command":
            if self.command is None:
                raise RuntimeError("no /hiring runner registered")
            await self.command(item, client, respond)
            return
        payload = item.received.payload or {}
        run = self.actions.get(item.received.text)
        if run is None:
            raise RuntimeError(f"no runner for action {item.received.text!r}")
        await run(dict(payload.get("body") or {}), dict(payload.get("action") or {}), client, respond)

    async def _confirm(self, item: InboxItem, fresh: bool, client: AsyncWebClient) -> None:
        r = item.received
        params = {"command": r.text} if r.kind == "command" else {"action": r.text}
        await self.ctx.info(client=client, user=r.user_id, channel=None, respond=self._respond(item, fresh, client),
                            code="inbox_done", params=params)


_DURABLE: WeakKeyDictionary[Hiring, Durable] = WeakKeyDictionary()


def durable(ctx: AppContext) -> Durable:
    """The app's one :class:`Durable` (keyed by its domain, as the context has no room for it)."""
    found = _DURABLE.get(ctx.hiring)
    if found is None or found.ctx is not ctx:
        found = _DURABLE[ctx.hiring] = Durable(ctx)
    return found
