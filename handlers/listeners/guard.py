"""A global middleware in front of every listener: malformed payloads and replays stop here.

A payload whose shape no listener can read is answered 400 (bolt would raise inside its
listener matching and answer 500). A button click or modal submission seen before — the same
``trigger_id``, which Slack issues once per interaction — is acknowledged and not acted on
again: a replayed signed request within Slack's 5-minute window must not move a candidate
twice. Slash commands get the same protection from the durable inbox.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from handlers.slack.replies import AppContext
from handlers.slack.requests import malformed

log = logging.getLogger("hirebot.guard")

#: Interactions whose trigger_id is remembered (in the database, so a restart remembers too).
#: A modal submission needs no such guard: Slack closes the modal, and a second submit is refused
#: by the draft or referral it would repeat.
ONCE = {"block_actions"}


class Guard(AsyncMiddleware):
    """A bolt middleware object, not a function: for a function, bolt builds every argument a
    middleware might ask for (``build_async_required_kwargs``), on every request, for each one."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse | None:
        body = req.body
        reason = malformed(body)
        if reason is not None:
            log.info("refused a malformed payload: %s", reason)
            return BoltResponse(status=400, body={"error": reason})
        trigger = body.get("trigger_id")
        if body.get("type") in ONCE and isinstance(trigger, str) and trigger:
            if not await self.ctx.hiring.first_time(f"trigger:{trigger}"):
                log.info("ignored a replayed %s", body.get("type"))
                return BoltResponse(status=200, body="")
        return await next()  # (None: bolt's next() only notes the call)


def register(app: AsyncApp, ctx: AppContext) -> None:
    app.use(Guard(ctx))
