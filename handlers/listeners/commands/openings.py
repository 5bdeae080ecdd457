"""Openings: list, show, close, reopen, hiring team, discuss."""

from __future__ import annotations

from bot import ids, stages
from bot.errors import BadInput

from . import args
from .base import Command


def need_op(token: str | None, usage: str) -> int:
    n = ids.parse_op(token or "")
    if n is None:
        raise BadInput("bad_opening_id", token=token, usage=usage)
    return n


async def openings(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    scope = toks[0].lower() if toks else "open"
    found = await cmd.ctx.hiring.list_openings(cmd.user, scope)
    await cmd.reply("openings.j2", text=f"{scope} openings", openings=found, scope=scope)


async def show(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    op = await cmd.ctx.hiring.opening(need_op(toks[0] if toks else None, "show OP-12"), cmd.user)
    await cmd.reply("opening.j2", text=f"{op.ref} {op.title}", op=op, stages=stages.STAGES,
                    can_see=cmd.ctx.hiring.can_see_candidates(op, cmd.user))


async def close(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    n = need_op(toks[0] if toks else None, "close OP-12 [filled|cancelled]")
    reason = toks[1].lower() if len(toks) > 1 else "filled"
    op = await cmd.ctx.hiring.close(n, cmd.user, reason)
    await cmd.info("closed", op=op, still=stages.still_open(op.counts))


async def reopen(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    op = await cmd.ctx.hiring.reopen(need_op(toks[0] if toks else None, "reopen OP-12"), cmd.user)
    await cmd.info("reopened", op=op)


TEAM_USAGE = "team OP-12 add @user interviewer|recruiter|manager` or `/hiring team OP-12 remove @user"


async def team(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    n = need_op(toks[0] if toks else None, TEAM_USAGE)
    if len(toks) == 1:
        await cmd.info("team", op=await cmd.ctx.hiring.opening(n, cmd.user))
        return
    action = toks[1].lower() if len(toks) > 1 else ""
    target = args.user_id(toks[2]) if len(toks) > 2 else None
    if action not in {"add", "remove"} or target is None:
        raise BadInput("team_whom", usage=TEAM_USAGE)
    if action == "add":
        role = toks[3].lower() if len(toks) > 3 else "interviewer"
        op = await cmd.ctx.hiring.team_add(n, cmd.user, target, role)
        await cmd.info("team_added", op=op, user=target, role=role)
    else:
        op = await cmd.ctx.hiring.team_remove(n, cmd.user, target)
        await cmd.info("team_removed", op=op, user=target)


async def discuss(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    op = await cmd.ctx.hiring.opening(need_op(toks[0] if toks else None, "discuss OP-12"), cmd.user)
    if not op.posted:
        raise BadInput("no_thread", ref=op.ref)
    await cmd.info("discuss", op=op)
