"""The request a subcommand works on, and the table of subcommands."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.replies import AppContext, Respond


@dataclass(slots=True)
class Command:
    """One ``/hiring`` invocation after ack."""

    ctx: AppContext
    client: AsyncWebClient
    user: str
    channel: str | None
    respond: Respond | None
    rest: str
    trigger_id: str | None = None

    async def reply(self, template: str, text: str, **kw: Any) -> None:
        await self.ctx.private(client=self.client, user=self.user, channel=self.channel, respond=self.respond,
                               template=template, text=text, **kw)

    async def info(self, code: str, **params: Any) -> None:
        """A confirmation worded by ``templates/replies/messages.j2``."""
        await self.ctx.info(client=self.client, user=self.user, channel=self.channel, respond=self.respond,
                            code=code, params=params)


Handler = Callable[[Command], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Sub:
    """A subcommand: its name, its syntax, its help group, and the function that runs it.
    What it is for (summary, example, detail) is worded in ``templates/replies/help_topics.j2``."""

    name: str
    usage: str
    group: str
    run: Handler
