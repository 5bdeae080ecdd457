"""Openings: list, show, close, reopen, hiring team, discuss.

Each ``*_args`` reads what was typed and nothing else (the subcommand's usage check, run before the
ack too); the handler below it calls it again and goes on to the domain."""

from __future__ import annotations

from bot import ids, stages
from bot.errors import BadInput

from . import args
from .base import Command

SHOW_USAGE = "show OP-12"
CLOSE_USAGE = "close OP-12 [filled|cancelled]"
REOPEN_USAGE = "reopen OP-12"
DISCUSS_USAGE = "discuss OP-12"
TEAM_USAGE = "team OP-12 add @user interviewer|recruiter|manager` or `/hiring team OP-12 remove @user"


def need_op(token: str | None, usage: str) -> int:
    n = ids.parse_op(token or "")
    if n is None:
        raise BadInput("bad_opening_id", token=token, usage=usage)
    return n


def first_op(rest: str, usage: str) -> int:
    """The opening id a command starts with (``show OP-12``)."""
    toks = args.tokens(rest)
    return need_op(toks[0] if toks else None, usage)


def show_args(rest: str, channel: str | None = None) -> int:
    return first_op(rest, SHOW_USAGE)


def reopen_args(rest: str, channel: str | None = None) -> int:
    return first_op(rest, REOPEN_USAGE)


def discuss_args(rest: str, channel: str | None = None) -> int:
    return first_op(rest, DISCUSS_USAGE)


def close_args(rest: str, channel: str | None = None) -> tuple[int, str]:
    toks = args.tokens(rest)
    n = need_op(toks[0] if toks else None, CLOSE_USAGE)
    return n, toks[1].lower() if len(toks) > 1 else "filled"


def team_args(rest: str, channel: str | None = None) -> tuple[int, str | None, str | None, str]:
    """(opening, "add"/"remove" or None to show the team, whom, role)."""
    toks = args.tokens(rest)
    n = need_op(toks[0] if toks else None, TEAM_USAGE)
    if len(toks) == 1:
        return n, None, None, ""
    action = toks[1].lower()
    target = args.user_id(toks[2]) if len(toks) > 2 else None
    if action not in {"add", "remove"} or target is None:
        raise BadInput("team_whom", usage=TEAM_USAGE)
    return n, action, target, toks[3].lower() if len(toks) > 3 else "interviewer"


async def openings(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    scope = toks[0].lower() if toks else "open"
    found = await cmd.ctx.hiring.list_openings(cmd.user, scope)
    await cmd.reply("openings.j2", text=f"{scope} openings", openings=found, scope=scope)


async def show(cmd: Command) -> None:
    op = await cmd.ctx.hiring.opening(show_args(cmd.rest), cmd.user)
    await cmd.reply("opening.j2", text=f"{op.ref} {op.title}", op=op, stages=stages.STAGES,
                    can_see=cmd.ctx.hiring.can_see_candidates(op, cmd.user))


async def close(cmd: Command) -> None:
    n, reason = close_args(cmd.rest)
    op = await cmd.ctx.hiring.close(n, cmd.user, reason)
    await cmd.info("closed", op=op, still=stages.still_open(op.counts))


async def reopen(cmd: Command) -> None:
    op = await cmd.ctx.hiring.reopen(reopen_args(cmd.rest), cmd.user)
    await cmd.info("reopened", op=op)


async def team(cmd: Command) -> None:
    n, action, target, role = team_args(cmd.rest)
    if action is None or target is None:
        await cmd.info("team", op=await cmd.ctx.hiring.opening(n, cmd.user))
    elif action == "add":
        op = await cmd.ctx.hiring.team_add(n, cmd.user, target, role)
        await cmd.info("team_added", op=op, user=target, role=role)
    else:
        op = await cmd.ctx.hiring.team_remove(n, cmd.user, target)
        await cmd.info("team_removed", op=op, user=target)


async def discuss(cmd: Command) -> None:
    op = await cmd.ctx.hiring.opening(discuss_args(cmd.rest), cmd.user)
    if not op.posted:
        raise BadInput("no_thread", ref=op.ref)
    await cmd.info("discuss", op=op)
