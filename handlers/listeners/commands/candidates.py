"""Applications: add, move, pipeline, history, note, export, forget."""

from __future__ import annotations

import json
import re
from typing import Any

from bot import ids, stages
from bot.errors import BadInput
from bot.model import Application, Opening
from handlers.slack.replies import AppContext

from . import args
from .base import Command
from .openings import need_op

#: Slack allows 3,000 characters a section; the code fence and escaping need some of them.
EXPORT_CHUNK = 2800
#: Candidates listed per stage in the pipeline view (Slack shows at most 50 blocks a message).
PER_STAGE = 8
ADD_USAGE = 'add "Full Name" OP-12 [email] [source or @referrer]'


def need_app(token: str | None, usage: str) -> int:
    n = ids.parse_app(token or "")
    if n is None:
        raise BadInput("bad_application_id", token=token, usage=usage)
    return n


async def add(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    op_at = next((i for i, t in enumerate(toks) if ids.parse_op(t) is not None and t.upper().startswith("OP")), None)
    if op_at is None or op_at == 0:
        raise BadInput("add_what", usage=ADD_USAGE)
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
    await cmd.info("added", op=op, app=app, can_move=cmd.ctx.hiring.policy.can_manage(op, cmd.user),
                   elsewhere=await cmd.ctx.hiring.elsewhere(app.id, cmd.user))


async def move(cmd: Command) -> None:
    usage = "move APP-7 <stage> [reason]"
    toks = args.tokens(cmd.rest)
    n = need_app(toks[0] if toks else None, usage)
    if len(toks) < 2:
        raise BadInput("move_where", usage=usage, stages=stages.STAGES)
    reason = cmd.rest.split(None, 2)[2].strip() if len(cmd.rest.split(None, 2)) > 2 else None
    op, app, before = await cmd.ctx.hiring.move(n, cmd.user, toks[1], reason)
    await cmd.info("moved", op=op, app=app, before=before, allowed=stages.allowed_moves(app.stage))


def pipeline_blocks(ctx: AppContext, op: Opening, by_stage: dict[str, list[Application]],
                    viewer: str) -> list[dict[str, Any]]:
    """The pipeline as ``viewer`` sees it, shared by `/hiring pipeline` and the redraw after a menu
    move: every allowed move for those who may move candidates, no move controls for the others
    (an interviewer would only be refused)."""
    return ctx.renderer.blocks("pipeline.j2", op=op, by_stage=by_stage, stages=stages.STAGES,
                               open_stages=stages.OPEN_STAGES, allowed=stages.allowed_moves,
                               can_move=ctx.hiring.policy.can_manage(op, viewer), now=ctx.hiring.clock(),
                               per_stage=PER_STAGE)


async def pipeline(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    op, by_stage = await cmd.ctx.hiring.pipeline(need_op(toks[0] if toks else None, "pipeline OP-12"), cmd.user)
    await cmd.ctx.private_blocks(client=cmd.client, user=cmd.user, channel=cmd.channel, respond=cmd.respond,
                                 text=f"{op.ref} pipeline", blocks=pipeline_blocks(cmd.ctx, op, by_stage, cmd.user))


async def history(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    op, app, moves, notes = await cmd.ctx.hiring.history(need_app(toks[0] if toks else None, "history APP-7"), cmd.user)
    await cmd.reply("history.j2", text=f"{app.ref} history", op=op, app=app, moves=moves, notes=notes,
                    now=cmd.ctx.hiring.clock())


async def note(cmd: Command) -> None:
    usage = "note APP-7 <text>"
    m = re.match(r"^\s*(\S+)\s*(.*)$", cmd.rest, re.S)
    if not m:
        raise BadInput("note_what", usage=usage)
    n = need_app(m.group(1), usage)
    op, app = await cmd.ctx.hiring.note_application(n, cmd.user, m.group(2))
    await cmd.info("noted", op=op, app=app)


async def export(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    record = await cmd.ctx.hiring.export(need_app(toks[0] if toks else None, "export APP-7"), cmd.user)
    body = json.dumps(record, indent=2, ensure_ascii=False)
    chunks = [body[i:i + EXPORT_CHUNK] for i in range(0, len(body), EXPORT_CHUNK)]
    await cmd.ctx.dm(client=cmd.client, user=cmd.user, text=str(record["application"]),
                     blocks=cmd.ctx.renderer.blocks("export.j2", ref=record["application"], chunks=chunks))
    await cmd.info("exported", ref=record["application"])


async def forget(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    op, app = await cmd.ctx.hiring.may_forget(need_app(toks[0] if toks else None, "forget APP-7"), cmd.user)
    await cmd.reply("forget_confirm.j2", text=app.ref, op=op, app=app)  # erasing is final: ask first
