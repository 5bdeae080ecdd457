"""The ``/hiring`` slash command: answer it in the ack when the text alone decides the answer;
else record it, ack at once, then route to a subcommand.

Help (every form) and typing mistakes (an unknown subcommand, a missing or malformed argument)
need neither the database nor Slack, so :func:`answer_now` works them out before the ack and the
reply *is* the ack's body: no second request, no inbox record, and no wait behind the backlog.
Everything else goes through the durable inbox (``handlers/listeners/inbox.py``), as before.

Every error a user can cause becomes an ephemeral message that says what to type instead;
anything unexpected is logged with its traceback and shown as a short apology, never a trace.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import BadInput, HiringError, InvalidMove
from bot.inbox import InboxItem
from bot.storage import AlreadyApplied
from handlers.listeners.inbox import durable
from handlers.slack.replies import AppContext, Reply, Respond

from . import args, candidates, followups, openings, posting
from .base import Command, Sub

log = logging.getLogger("hirebot")


def suggest(name: str) -> str | None:
    """The subcommand ``name`` was probably meant to be (``movee`` → ``move``), or None."""
    close = difflib.get_close_matches(name.lower(), SUBS, n=1, cutoff=0.6)
    return close[0] if close else None


def _help(ctx: AppContext, rest: str) -> Reply:
    toks = args.tokens(rest)
    topic = toks[0].lower() if toks else None
    if topic is not None and topic not in SUBS:
        return _render_help(ctx, topic)  # an unknown topic: any text, so not kept
    cached = ctx.help_replies.get(topic)
    if cached is None:
        cached = _render_help(ctx, topic)
        if not ctx.renderer.env.auto_reload:
            ctx.help_replies[topic] = cached
    return cached


def _render_help(ctx: AppContext, topic: str | None) -> Reply:
    if topic and topic in SUBS:
        return ctx.rendered("help.j2", text=f"/hiring {topic}", topic=SUBS[topic], groups=[], unknown=None,
                            suggestion=None)
    groups: dict[str, list[Sub]] = {}
    for sub in SUBS.values():
        groups.setdefault(sub.group, []).append(sub)
    # An unknown topic is answered as such (with a guess) above the list, never silently with the list alone.
    return ctx.rendered("help.j2", text="/hiring help", topic=None, unknown=topic[:40] if topic else None,
                        suggestion=suggest(topic) if topic else None,
                        groups=[{"title": g, "commands": subs} for g, subs in groups.items()])


_LIST = [
    Sub('post', 'post [pasted posting]', 'Openings', posting.post),
    Sub('parse', 'parse <pasted posting>', 'Openings', posting.parse, posting.parse_args),
    Sub('openings', 'openings [mine|all|closed]', 'Openings', openings.openings),
    Sub('show', openings.SHOW_USAGE, 'Openings', openings.show, openings.show_args),
    Sub('close', openings.CLOSE_USAGE, 'Openings', openings.close, openings.close_args),
    Sub('reopen', openings.REOPEN_USAGE, 'Openings', openings.reopen, openings.reopen_args),
    Sub('team', 'team OP-12 add @user interviewer|recruiter|manager', 'Openings', openings.team, openings.team_args),
    Sub('discuss', openings.DISCUSS_USAGE, 'Openings', openings.discuss, openings.discuss_args),
    Sub('add', candidates.ADD_USAGE, 'Candidates', candidates.add, candidates.add_args),
    Sub('move', candidates.MOVE_USAGE, 'Candidates', candidates.move, candidates.move_args),
    Sub('pipeline', candidates.PIPELINE_USAGE, 'Candidates', candidates.pipeline, candidates.pipeline_args),
    Sub('history', candidates.HISTORY_USAGE, 'Candidates', candidates.history, candidates.history_args),
    Sub('note', candidates.NOTE_USAGE, 'Candidates', candidates.note, candidates.note_args),
    Sub('export', candidates.EXPORT_USAGE, 'Privacy', candidates.export, candidates.export_args),
    Sub('forget', candidates.FORGET_USAGE, 'Privacy', candidates.forget, candidates.forget_args),
    Sub('remind', followups.REMIND_USAGE, 'Follow-ups', followups.remind, followups.remind_args),
    Sub('reminders', 'reminders', 'Follow-ups', followups.reminders),
    Sub('sla', followups.SLA_USAGE, 'Follow-ups', followups.sla, followups.sla_args),
    Sub('notify', followups.NOTIFY_USAGE, 'Follow-ups', followups.notify, followups.notify_args),
    Sub('digest', followups.DIGEST_USAGE, 'Follow-ups', followups.digest, followups.digest_args),
    Sub('help', 'help [command]', 'Help', None),  # answered from the text alone: see answer_now
]
SUBS: dict[str, Sub] = {s.name: s for s in _LIST}


#: Longer text is a paste (``post``, ``parse``, ``note``), not a command line that might hold a typo:
#: checking it before the ack would hold the event loop (shlex takes ~0.2 s over 200,000
#: characters), so it goes the normal way, where the same check still gives the same words.
CHECK_BEFORE_ACK = 4000


#: The slash command, as the app manifest (deploy/slack-manifest.yaml) declares it.
COMMAND = "/hiring"


def answer_now(ctx: AppContext, name: str, rest: str, channel: str | None) -> Reply | None:
    """The reply to ``/hiring <name> <rest>`` when the text alone decides it: help, an unknown
    subcommand, a usage mistake its check catches. None when the domain must answer.

    Nothing here reads the database or calls Slack, so it is safe (and cheap) before the ack.
    Something unexpected is logged and left to the normal path, which apologises if it fails again."""
    sub = SUBS.get(name or "help")
    try:
        if sub is None:
            return ctx.error_reply(HiringError("unknown_command", name=name[:40], suggestion=suggest(name),
                                               rest=rest.strip()[:100]))
        if sub.run is None:
            return _help(ctx, rest)
        if sub.check is not None:
            try:
                sub.check(rest, channel)
            except BadInput as err:
                return ctx.error_reply(err, usage=sub.usage)
    except Exception:
        log.exception("could not answer /hiring %s from its text; it goes the normal way", name[:40])
    return None


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

    @app.use
    async def answer_at_the_door(body: dict[str, Any], ack: AsyncAck,
                                 next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        """Help and typing mistakes, answered before bolt's listener machinery: a listener's ack
        is noticed by bolt polling every 10 ms from another task, so the most frequent command
        would wait on that poll for an answer its text alone gives. The listener below gives the
        same answer for any request that does not come this way."""
        if body.get("command") == COMMAND:
            now = _answer_from_text(body)
            if now is not None:
                await ctx.answer_in_ack(ack, now)
                return ack.response
        await next()
        return None

    @app.command(COMMAND)
    async def hiring_command(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                             respond: AsyncRespond) -> None:
        # Decided by the text alone: the answer is the ack's body. Nothing to keep, so nothing recorded.
        now = _answer_from_text(body)
        if now is not None:
            await ctx.answer_in_ack(ack, now)
            return
        # Recorded before the ack (acknowledged means kept), processed after it.
        await inbox.command_ack(ack, body, client, respond if body.get("response_url") else None)

    def _answer_from_text(body: dict[str, Any]) -> Reply | None:
        name, rest = args.split_first(str(body.get("text") or ""))
        return answer_now(ctx, name, rest, body.get("channel_id")) if len(rest) <= CHECK_BEFORE_ACK else None


async def dispatch(cmd: Command, name: str) -> None:
    # A row recorded before answers went into the ack (help after an upgrade) is answered the old way.
    now = answer_now(cmd.ctx, name, cmd.rest, cmd.channel)
    if now is not None:
        await cmd.ctx.private_blocks(client=cmd.client, user=cmd.user, channel=cmd.channel, respond=cmd.respond,
                                     text=now.text, blocks=now.blocks)
        return
    sub = SUBS.get(name or "help")
    try:
        if sub is None or sub.run is None:  # answer_now failed on it: apologise below
            raise RuntimeError(f"/hiring {name[:40]} has no answer")
        await sub.run(cmd)
    except HiringError as err:
        # The usage line helps only with what was typed; a refusal or a lookup that found nothing is
        # not a typing mistake, so it never gets one.
        typed = isinstance(err, (BadInput, InvalidMove))
        await cmd.ctx.error(client=cmd.client, user=cmd.user, channel=cmd.channel, respond=cmd.respond,
                            err=err, usage=sub.usage if sub and typed else None)
    except AlreadyApplied:
        raise  # another replica applied it first and answers it (see bot/inbox.py)
    except Exception:  # the user gets a sentence, the log gets the trace
        log.exception("/hiring %s failed", name)
        await cmd.ctx.error(client=cmd.client, user=cmd.user, channel=cmd.channel, respond=cmd.respond,
                            err=HiringError("internal_command"))
