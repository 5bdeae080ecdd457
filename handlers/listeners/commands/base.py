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
#: A subcommand's usage check: reads only what was typed after it (and the channel it was typed in),
#: raises :class:`bot.errors.BadInput` for a usage error and returns the parsed arguments. Nothing
#: else: it runs before the ack, where a mistake is answered in the ack body (see ``answer_now``),
#: and its handler calls it again for the same arguments, so the two never disagree.
Check = Callable[[str, str | None], object]


@dataclass(frozen=True, slots=True)
class Sub:
    """A subcommand: its name, its syntax, its help group, the function that runs it (None: answered
    from the text alone, as help is), and its usage check, if a typing mistake can be caught without
    the domain. What it is for (summary, example, detail) is worded in ``templates/replies/help_topics.j2``."""

    name: str
    usage: str
    group: str
    run: Handler | None
    check: Check | None = None
