"""The ``/hiring`` slash command: ack at once, then route to a subcommand.

Every error a user can cause becomes an ephemeral message that says what to type instead;
anything unexpected is logged with its traceback and shown as a short apology, never a trace.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import HiringError
from handlers.slack.replies import AppContext

from . import args, candidates, followups, openings, posting
from .base import Command, Sub

log = logging.getLogger("hirebot")


async def _help(cmd: Command) -> None:
    topic = args.tokens(cmd.rest)[0].lower() if args.tokens(cmd.rest) else None
    if topic and topic in SUBS:
        await cmd.reply("help.j2", text=f"/hiring {topic}", topic=SUBS[topic], groups=[])
        return
    groups: dict[str, list[Sub]] = {}
    for sub in SUBS.values():
        groups.setdefault(sub.group, []).append(sub)
    await cmd.reply("help.j2", text="/hiring help", topic=None,
                    groups=[{"title": g, "commands": subs} for g, subs in groups.items()])


_LIST = [
    Sub("post", "post [pasted posting]", "post an opening: paste a posting, check the preview, post its card",
        "Openings", posting.post, "post Senior Nurse, ICU … (paste the whole posting)",
        "Without text, a form opens where you paste the posting and pick the channel. You become its hiring manager."),
    Sub("parse", "parse <pasted posting>", "show what hirebot reads in a posting; nothing is saved", "Openings",
        posting.parse, "parse Data Analyst at Acme …"),
    Sub("openings", "openings [mine|all|closed]", "list openings (default: open ones)", "Openings",
        openings.openings, "openings mine"),
    Sub("show", "show OP-12", "an opening's details, team and stage counts", "Openings", openings.show, "show OP-12"),
    Sub("close", "close OP-12 [filled|cancelled]", "close an opening (default: filled)", "Openings", openings.close,
        "close OP-12 cancelled"),
    Sub("reopen", "reopen OP-12", "reopen a closed opening", "Openings", openings.reopen, "reopen OP-12"),
    Sub("team", "team OP-12 add @user interviewer|recruiter|manager", "manage the hiring team (or `remove @user`)",
        "Openings", openings.team, "team OP-12 add @dana recruiter"),
    Sub("discuss", "discuss OP-12", "link to the thread under the opening's card; replies become notes",
        "Openings", openings.discuss, "discuss OP-12"),
    Sub("add", candidates.ADD_USAGE, "add a candidate's application, in stage applied", "Candidates",
        candidates.add, 'add "Ada Lovelace" OP-12 ada@example.com @referrer'),
    Sub("move", "move APP-7 <stage> [reason]", "move a candidate: applied → screen → interview → offer → hired, "
        "or rejected/withdrawn", "Candidates", candidates.move, "move APP-7 interview strong screen"),
    Sub("pipeline", "pipeline OP-12", "candidates by stage with days in stage, with move buttons", "Candidates",
        candidates.pipeline, "pipeline OP-12"),
    Sub("history", "history APP-7", "a candidate's moves and notes", "Candidates", candidates.history,
        "history APP-7"),
    Sub("note", "note APP-7 <text>", "add a note to a candidate", "Candidates", candidates.note,
        "note APP-7 great system design answers"),
    Sub("export", "export APP-7", "DM yourself the candidate's full record as JSON (recruiters)", "Privacy",
        candidates.export, "export APP-7"),
    Sub("forget", "forget APP-7", "delete the candidate's personal data for good (recruiters)", "Privacy",
        candidates.forget, "forget APP-7"),
    Sub("remind", followups.REMIND_USAGE, "a DM reminder to yourself about a candidate or opening", "Follow-ups",
        followups.remind, "remind APP-7 tomorrow 9am chase the reference",
        "When: `in 2d`, `in 3h`, `tomorrow 9am`, `fri 14:00`, `2026-12-01 10:00`, in your Slack time zone. "
        "Outside your working hours it arrives at the start of the next working period. It is dropped if the "
        "candidate moves on or the opening closes."),
    Sub("reminders", "reminders", "your pending reminders, with cancel buttons", "Follow-ups", followups.reminders,
        "reminders"),
    Sub("sla", followups.SLA_USAGE, "working days a candidate may wait in each stage before the manager is nudged",
        "Follow-ups", followups.sla, "sla OP-12 interview 1",
        "Defaults: applied 2, screen 3, interview 2, offer 3. `global` changes the default (admins)."),
    Sub("notify", followups.NOTIFY_USAGE, "your follow-up DMs: on, off, weekly (digest-only), and your working hours",
        "Follow-ups", followups.notify, "notify hours 08:30-17:00 mon-fri"),
    Sub("digest", followups.DIGEST_USAGE, "a weekly digest of openings in a channel; preview it now",
        "Follow-ups", followups.digest, "digest subscribe #hiring mon 09:00 Europe/Berlin",
        "Public channels get counts only; a private channel that holds an opening's card also sees its "
        "candidates' names. `all` covers every opening, not only those posted in the channel."),
    Sub("help", "help [command]", "this list, or one command in detail", "Help", _help, "help move"),
]
SUBS: dict[str, Sub] = {s.name: s for s in _LIST}


def register(app: AsyncApp, ctx: AppContext) -> None:
    @app.command("/hiring")
    async def hiring_command(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                             respond: AsyncRespond) -> None:
        await ack()
        name, rest = args.split_first(body.get("text", ""))
        cmd = Command(ctx=ctx, client=client, user=body.get("user_id", ""), channel=body.get("channel_id"),
                      respond=respond if body.get("response_url") else None, rest=rest,
                      trigger_id=body.get("trigger_id"))
        await dispatch(cmd, name)


async def dispatch(cmd: Command, name: str) -> None:
    sub = SUBS.get(name or "help")
    try:
        if sub is None:
            raise HiringError("unknown_command", name=name[:40])
        await sub.run(cmd)
    except HiringError as err:
        await cmd.ctx.error(client=cmd.client, user=cmd.user, channel=cmd.channel, respond=cmd.respond,
                            err=err, usage=sub.usage if sub else None)
    except Exception:  # the user gets a sentence, the log gets the trace
        log.exception("/hiring %s failed", name)
        await cmd.ctx.error(client=cmd.client, user=cmd.user, channel=cmd.channel, respond=cmd.respond,
                            err=HiringError("internal_command"))
