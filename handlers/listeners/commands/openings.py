"""Openings: list, show, close, reopen, hiring team, discuss."""

from __future__ import annotations

from bot import ids, stages
from bot.errors import BadInput

from . import args
from .base import Command


def need_op(token: str | None, usage: str) -> int:
    n = ids.parse_op(token or "")
    if n is None:
        raise BadInput(f"`{token}` is not an opening id." if token else "Which opening?", f"Type `/hiring {usage}`.")
    return n


async def openings(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    scope = toks[0].lower() if toks else "open"
    found = await cmd.ctx.hiring.list_openings(cmd.user, scope)
    heading = {"open": "Open openings", "mine": "Your openings", "all": "All openings", "closed": "Closed openings"}
    await cmd.reply("openings.j2", text=heading[scope], openings=found, heading=heading[scope],
                    empty_hint="Nothing here. Post one with `/hiring post`.")


async def show(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    op = await cmd.ctx.hiring.opening(need_op(toks[0] if toks else None, "show OP-12"))
    team = [f"<@{m['user_id']}> ({m['role']})" for m in op.members]
    await cmd.reply("opening.j2", text=f"{op.ref} {op.title}", op=op, team=team, stages=stages.STAGES,
                    can_see=cmd.ctx.hiring.can_see_candidates(op, cmd.user))


async def close(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    n = need_op(toks[0] if toks else None, "close OP-12 [filled|cancelled]")
    reason = toks[1].lower() if len(toks) > 1 else "filled"
    op = await cmd.ctx.hiring.close(n, cmd.user, reason)
    await cmd.ctx.refresh_card(cmd.client, op)
    await cmd.info(f"Closed *{op.ref}* {op.title} as {op.status}.", f"Undo with `/hiring reopen {op.ref}`.")


async def reopen(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    op = await cmd.ctx.hiring.reopen(need_op(toks[0] if toks else None, "reopen OP-12"), cmd.user)
    await cmd.ctx.refresh_card(cmd.client, op)
    await cmd.info(f"Reopened *{op.ref}* {op.title}.")


async def team(cmd: Command) -> None:
    usage = "team OP-12 add @user interviewer|recruiter|manager` or `/hiring team OP-12 remove @user"
    toks = args.tokens(cmd.rest)
    n = need_op(toks[0] if toks else None, usage)
    if len(toks) == 1:
        op = await cmd.ctx.hiring.opening(n)
        members = ", ".join(f"<@{m['user_id']}> ({m['role']})" for m in op.members)
        await cmd.info(f"*{op.ref}* hiring team: {members}")
        return
    action = toks[1].lower() if len(toks) > 1 else ""
    target = args.user_id(toks[2]) if len(toks) > 2 else None
    if action not in {"add", "remove"} or target is None:
        raise BadInput("Tell me whom to add or remove, as an @mention.", f"Type `/hiring {usage}`.")
    if action == "add":
        role = toks[3].lower() if len(toks) > 3 else "interviewer"
        op = await cmd.ctx.hiring.team_add(n, cmd.user, target, role)
        await cmd.info(f"<@{target}> is now {role} on *{op.ref}* {op.title}.")
    else:
        op = await cmd.ctx.hiring.team_remove(n, cmd.user, target)
        await cmd.info(f"<@{target}> is no longer on the hiring team of *{op.ref}*.")


async def discuss(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    op = await cmd.ctx.hiring.opening(need_op(toks[0] if toks else None, "discuss OP-12"))
    if not (op.channel_id and op.message_ts):
        raise BadInput(f"{op.ref} has no card in a channel yet, so it has no thread.")
    link = f"<{op.permalink}|the thread under its card>" if op.permalink else f"the thread under its card in <#{op.channel_id}>"
    await cmd.info(f"Discuss *{op.ref}* {op.title} in {link}. Replies there are saved as notes on the opening; "
                   "start a reply with `APP-7` to note it on that candidate.")
