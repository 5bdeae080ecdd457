"""Applications: add, move, pipeline, history, note, export, forget."""

from __future__ import annotations

import json
import re

from bot import ids, stages
from bot.errors import BadInput

from . import args
from .base import Command
from .openings import need_op

ADD_USAGE = 'add "Full Name" OP-12 [email] [source or @referrer]'


def need_app(token: str | None, usage: str) -> int:
    n = ids.parse_app(token or "")
    if n is None:
        raise BadInput(f"`{token}` is not an application id." if token else "Which application?",
                       f"Type `/hiring {usage}` (ids look like APP-7).")
    return n


async def add(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    op_at = next((i for i, t in enumerate(toks) if ids.parse_op(t) is not None and t.upper().startswith("OP")), None)
    if op_at is None or op_at == 0:
        raise BadInput("I need the candidate's name and an opening id.", f"Type `/hiring {ADD_USAGE}`.")
    name = " ".join(toks[:op_at])
    email = source = referrer = None
    for extra in toks[op_at + 1:]:
        if "@" in extra and not extra.startswith("<@"):
            email = extra
        elif args.user_id(extra):
            referrer = args.user_id(extra)
        else:
            source = f"{source} {extra}" if source else extra
    if referrer and not source:
        source = "referral"
    op, app = await cmd.ctx.hiring.add_candidate(ids.parse_op(toks[op_at]) or 0, cmd.user, name, email, source,
                                                 referrer)
    await cmd.ctx.refresh_card(cmd.client, op)
    await cmd.info(f"Added *{app.ref}* {app.candidate_name} to *{op.ref}* {op.title}, in stage applied.",
                   f"Move them with `/hiring move {app.ref} screen`.")


async def move(cmd: Command) -> None:
    usage = "move APP-7 <stage> [reason]"
    toks = args.tokens(cmd.rest)
    n = need_app(toks[0] if toks else None, usage)
    if len(toks) < 2:
        raise BadInput("To which stage?", f"Type `/hiring {usage}`. Stages: {', '.join(stages.STAGES)}.")
    reason = cmd.rest.split(None, 2)[2].strip() if len(cmd.rest.split(None, 2)) > 2 else None
    op, app, before = await cmd.ctx.hiring.move(n, cmd.user, toks[1], reason)
    await cmd.ctx.refresh_card(cmd.client, op)
    await cmd.info(f"Moved *{app.ref}* {app.candidate_name}: {before} → *{app.stage}*.",
                   f"Next: {', '.join(stages.allowed_moves(app.stage)[:3])}. History: `/hiring history {app.ref}`.")


async def pipeline(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    op, by_stage = await cmd.ctx.hiring.pipeline(need_op(toks[0] if toks else None, "pipeline OP-12"), cmd.user)
    await cmd.ctx.private_blocks(client=cmd.client, user=cmd.user, channel=cmd.channel, respond=cmd.respond,
                                 text=f"{op.ref} pipeline", blocks=cmd.ctx.pipeline_blocks(op, by_stage))


async def history(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    op, app, moves, notes = await cmd.ctx.hiring.history(need_app(toks[0] if toks else None, "history APP-7"), cmd.user)
    await cmd.reply("history.j2", text=f"{app.ref} history", op=op, app=app, moves=moves, notes=notes,
                    now=cmd.ctx.hiring.clock())


async def note(cmd: Command) -> None:
    usage = "note APP-7 <text>"
    m = re.match(r"^\s*(\S+)\s*(.*)$", cmd.rest, re.S)
    if not m:
        raise BadInput("Which application, and what note?", f"Type `/hiring {usage}`.")
    n = need_app(m.group(1), usage)
    op, app = await cmd.ctx.hiring.note_application(n, cmd.user, m.group(2))
    await cmd.info(f"Noted on *{app.ref}* ({op.ref}).")


async def export(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    record = await cmd.ctx.hiring.export(need_app(toks[0] if toks else None, "export APP-7"), cmd.user)
    body = json.dumps(record, indent=2, ensure_ascii=False)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"Export of *{record['application']}*:"}}]
    for i in range(0, min(len(body), 2900 * 40), 2900):
        chunk = body[i:i + 2900].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"```{chunk}```"}})
    await cmd.ctx.dm(client=cmd.client, user=cmd.user, text=f"Export of {record['application']}", blocks=blocks[:50])
    await cmd.info(f"Sent you the full record of *{record['application']}* as a direct message.")


async def forget(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    app = await cmd.ctx.hiring.forget(need_app(toks[0] if toks else None, "forget APP-7"), cmd.user)
    await cmd.info(f"Forgot the personal data of *{app.ref}*: name, e-mail, source and notes are deleted. "
                   "The audit keeps only the id.")
