"""The ``/hiring`` slash command: record it, ack at once, then route to a subcommand.

Every error a user can cause becomes an ephemeral message that says what to type instead;
anything unexpected is logged with its traceback and shown as a short apology, never a trace.
"""

from __future__ import annotations

import difflib
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import BadInput, HiringError, InvalidMove
from bot.inbox import InboxItem
from handlers.listeners.inbox import durable
from handlers.slack.replies import AppContext, Respond

from . import args, candidates, followups, openings, posting
from .base import Command, Sub

log = logging.getLogger("hirebot")


def suggest(name: str) -> str | None:
    """The subcommand ``name`` was probably meant to be (``movee`` → ``move``), or None."""
    close = difflib.get_close_matches(name.lower(), SUBS, n=1, cutoff=0.6)
    return close[0] if close else None


async def _help(cmd: Command) -> None:
    topic = args.tokens(cmd.rest)[0].lower() if args.tokens(cmd.rest) else None
    if topic and topic in SUBS:
        await cmd.reply("help.j2", text=f"/hiring {topic}", topic=SUBS[topic], groups=[], unknown=None,
                        suggestion=None)
        return
    groups: dict[str, list[Sub]] = {}
    for sub in SUBS.values():
        groups.setdefault(sub.group, []).append(sub)
    # An unknown topic is answered as such (with a guess) above the list, never silently with the list alone.
    await cmd.reply("help.j2", text="/hiring help", topic=None, unknown=topic[:40] if topic else None,
                    suggestion=suggest(topic) if topic else None,
                    groups=[{"title": g, "commands": subs} for g, subs in groups.items()])


_LIST = [
    Sub('post', 'post [pasted posting]', 'Openings', posting.post),
    Sub('parse', 'parse <pasted posting>', 'Openings', posting.parse),
    Sub('openings', 'openings [mine|all|closed]', 'Openings', openings.openings),
    Sub('show', 'show OP-12', 'Openings', openings.show),
    Sub('close', 'close OP-12 [filled|cancelled]', 'Openings', openings.close),
    Sub('reopen', 'reopen OP-12', 'Openings', openings.reopen),
    Sub('team', 'team OP-12 add @user interviewer|recruiter|manager', 'Openings', openings.team),
    Sub('discuss', 'discuss OP-12', 'Openings', openings.discuss),
    Sub('add', candidates.ADD_USAGE, 'Candidates', candidates.add),
    Sub('move', 'move APP-7 <stage> [reason]', 'Candidates', candidates.move),
    Sub('pipeline', 'pipeline OP-12', 'Candidates', candidates.pipeline),
    Sub('history', candidates.HISTORY_USAGE, 'Candidates', candidates.history),
    Sub('note', 'note APP-7 <text>', 'Candidates', candidates.note),
    Sub('export', 'export APP-7', 'Privacy', candidates.export),
    Sub('forget', 'forget APP-7', 'Privacy', candidates.forget),
    Sub('remind', followups.REMIND_USAGE, 'Follow-ups', followups.remind),
    Sub('reminders', 'reminders', 'Follow-ups', followups.reminders),
    Sub('sla', followups.SLA_USAGE, 'Follow-ups', followups.sla),
    Sub('notify', followups.NOTIFY_USAGE, 'Follow-ups', followups.notify),
    Sub('digest', followups.DIGEST_USAGE, 'Follow-ups', followups.digest),
    Sub('help', 'help [command]', 'Help', _help),
]
SUBS: dict[str, Sub] = {s.name: s for s in _LIST}


#: Subcommands a restart simply runs again instead of claiming them: they only read, or write
#: scratch (a draft) or an audit line, so a second run is harmless and a first reply is what counts.
RERUN = frozenset({"help", "parse", "openings", "show", "pipeline", "history", "reminders", "discuss", "export",
                   "post"})


def claims(text: str) -> bool:
    """Whether ``/hiring <text>`` is processed under the inbox's claim (see bot/inbox.py)."""
    return args.split_first(text)[0] not in RERUN


def register(app: AsyncApp, ctx: AppContext) -> None:
    inbox = durable(ctx)

    async def run(item: InboxItem, client: AsyncWebClient, respond: Respond | None) -> None:
        r = item.received
        name, rest = args.split_first(r.text)
        cmd = Command(ctx=ctx, client=client, user=r.user_id, channel=r.channel_id, respond=respond, rest=rest,
                      trigger_id=r.trigger_id)
        await dispatch(cmd, name)

    inbox.command, inbox.command_claims = run, claims

    @app.command("/hiring")
    async def hiring_command(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                             respond: AsyncRespond) -> None:
        # Recorded before the ack (acknowledged means kept), processed after it.
        await inbox.command_ack(ack, body, client, respond if body.get("response_url") else None)


async def dispatch(cmd: Command, name: str) -> None:
    sub = SUBS.get(name or "help")
    try:
        if sub is None:
            raise HiringError("unknown_command", name=name[:40], suggestion=suggest(name),
                              rest=cmd.rest.strip()[:100])
        await sub.run(cmd)
    except HiringError as err:
        # The usage line helps only with what was typed; a refusal or a lookup that found nothing is
        # not a typing mistake, so it never gets one.
        typed = isinstance(err, (BadInput, InvalidMove))
        await cmd.ctx.error(client=cmd.client, user=cmd.user, channel=cmd.channel, respond=cmd.respond,
                            err=err, usage=sub.usage if sub and typed else None)
    except Exception:  # the user gets a sentence, the log gets the trace
        log.exception("/hiring %s failed", name)
        await cmd.ctx.error(client=cmd.client, user=cmd.user, channel=cmd.channel, respond=cmd.respond,
                            err=HiringError("internal_command"))
