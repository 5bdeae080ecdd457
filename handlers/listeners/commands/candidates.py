"""Applications: add, move, pipeline, history, note, export, forget.

Each ``*_args`` reads what was typed and nothing else (the usage check, see ``openings.py``)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot import ids, stages
from bot.errors import BadInput
from bot.model import Application, Opening
from handlers.slack.replies import AppContext

from . import args
from .base import Command
from .openings import first_op

#: Slack allows 3,000 characters a section; the code fence and escaping need some of them.
EXPORT_CHUNK = 2800
HISTORY_USAGE = "history APP-7 [page 2]"
#: A section of notes in `history` stays under Slack's 3,000 characters; each note's date and author
#: take up to NOTE_HEAD of them. A page holds NOTE_SECTIONS sections (Slack shows 50 blocks a message).
NOTE_SECTION = 2900
NOTE_HEAD = 60
NOTE_SECTIONS = 20
#: Candidates listed per stage in the pipeline view (Slack shows at most 50 blocks a message).
PER_STAGE = 8
ADD_USAGE = 'add "Full Name" OP-12 [email] [source or @referrer]'
MOVE_USAGE = "move APP-7 <stage> [reason]"
PIPELINE_USAGE = "pipeline OP-12"
NOTE_USAGE = "note APP-7 <text>"
EXPORT_USAGE = "export APP-7"
FORGET_USAGE = "forget APP-7"


def need_app(token: str | None, usage: str) -> int:
    n = ids.parse_app(token or "")
    if n is None:
        raise BadInput("bad_application_id", token=token, usage=usage)
    return n


def add_args(rest: str, channel: str | None = None) -> tuple[int, str, str | None, str | None, str | None]:
    """(opening, name, e-mail, source, referrer) from ``"Full Name" OP-12 [email] [source or @referrer]``."""
    toks = args.tokens(rest)
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
    return ids.parse_op(toks[op_at]) or 0, name, email, source, referrer


async def add(cmd: Command) -> None:
    opening_id, name, email, source, referrer = add_args(cmd.rest)
    op, app = await cmd.ctx.hiring.add_candidate(opening_id, cmd.user, name, email, source, referrer)
    await cmd.info("added", op=op, app=app, can_move=cmd.ctx.hiring.policy.can_manage(op, cmd.user),
                   elsewhere=await cmd.ctx.hiring.elsewhere(app.id, cmd.user))


def move_args(rest: str, channel: str | None = None) -> tuple[int, str, str | None]:
    """(application, stage as typed, reason or None)."""
    toks = args.tokens(rest)
    n = need_app(toks[0] if toks else None, MOVE_USAGE)
    if len(toks) < 2:
        raise BadInput("move_where", usage=MOVE_USAGE, stages=stages.STAGES)
    words = rest.split(None, 2)
    return n, toks[1], words[2].strip() if len(words) > 2 else None


async def move(cmd: Command) -> None:
    n, stage, reason = move_args(cmd.rest)
    op, app, before = await cmd.ctx.hiring.move(n, cmd.user, stage, reason)
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


def pipeline_args(rest: str, channel: str | None = None) -> int:
    return first_op(rest, PIPELINE_USAGE)


async def pipeline(cmd: Command) -> None:
    op, by_stage = await cmd.ctx.hiring.pipeline(pipeline_args(cmd.rest), cmd.user, first=PER_STAGE)
    await cmd.ctx.private_blocks(client=cmd.client, user=cmd.user, channel=cmd.channel, respond=cmd.respond,
                                 text=f"{op.ref} pipeline", blocks=pipeline_blocks(cmd.ctx, op, by_stage, cmd.user))


@dataclass(frozen=True, slots=True)
class NotePiece:
    """A note, or the part of a long one that fits a section: ``first`` carries its date and author."""

    note: dict[str, Any]
    text: str
    first: bool
    last: bool


def split_to_fit(text: str, limit: int, escape: Callable[[str], str]) -> list[str]:
    """``text`` in consecutive parts whose escaped length (as Slack gets it) is at most ``limit``,
    broken at a line end or space where one is near; nothing is dropped."""
    if len(escape(text)) <= limit:
        return [text] if text else []
    costs = {c: len(escape(c)) for c in set(text)}
    parts: list[str] = []
    start = 0
    while start < len(text):
        end, cost = start, 0
        while end < len(text) and cost + costs[text[end]] <= limit:
            cost += costs[text[end]]
            end += 1
        if end < len(text):
            space = max(text.rfind("\n", start, end), text.rfind(" ", start, end))
            if space > start + (end - start) // 2:
                end = space + 1
        parts.append(text[start:end])
        start = end
    return parts


def note_pages(notes: list[dict[str, Any]], escape: Callable[[str], str]) -> list[list[list[NotePiece]]]:
    """Every note in full, packed into sections within Slack's 3,000 characters (a long note spans
    several) and into pages of at most NOTE_SECTIONS sections. Page 1 holds the newest notes; each
    page, and each section, reads oldest first."""
    sections: list[list[NotePiece]] = []
    size = NOTE_SECTION  # start a new section with the first piece
    for n in notes:
        parts = split_to_fit(str(n["text"] or ""), NOTE_SECTION - NOTE_HEAD, escape) or [""]
        for i, part in enumerate(parts):
            cost = len(escape(part)) + NOTE_HEAD
            if size + cost > NOTE_SECTION:
                sections.append([])
                size = 0
            sections[-1].append(NotePiece(n, part, i == 0, i == len(parts) - 1))
            size += cost
    pages = [sections[max(0, end - NOTE_SECTIONS):end] for end in range(len(sections), 0, -NOTE_SECTIONS)]
    return pages or [[]]


def history_page(toks: list[str]) -> int:
    """``history APP-7 page 2`` (or ``history APP-7 2``): the page asked for, 1 by default."""
    words = [t.lower() for t in toks[1:] if t.lower() not in {"page", "p"}]
    if not words:
        return 1
    n = words[0].removeprefix("p")
    if not n.isdigit() or int(n) < 1:
        raise BadInput("bad_history_page", page=words[0][:20], usage=HISTORY_USAGE)
    return int(n)


def history_args(rest: str, channel: str | None = None) -> tuple[int, int]:
    """(application, page)."""
    toks = args.tokens(rest)
    return need_app(toks[0] if toks else None, HISTORY_USAGE), history_page(toks)


async def history(cmd: Command) -> None:
    n, page = history_args(cmd.rest)
    op, app, moves, notes = await cmd.ctx.hiring.history(n, cmd.user)
    pages = note_pages(notes, cmd.ctx.renderer.env.filters["mrkdwn"])
    if page > len(pages):
        raise BadInput("no_history_page", ref=app.ref, page=page, pages=len(pages))
    older = {id(p.note) for section in (s for later in pages[page:] for s in later) for p in section}
    await cmd.reply("history.j2", text=f"{app.ref} history", op=op, app=app, moves=moves, now=cmd.ctx.hiring.clock(),
                    sections=pages[page - 1], page=page, pages=len(pages), older=len(older))


def note_args(rest: str, channel: str | None = None) -> tuple[int, str]:
    """(application, the note as typed, spacing kept)."""
    m = re.match(r"^\s*(\S+)\s*(.*)$", rest, re.S)
    if not m:
        raise BadInput("note_what", usage=NOTE_USAGE)
    return need_app(m.group(1), NOTE_USAGE), m.group(2)


async def note(cmd: Command) -> None:
    n, text = note_args(cmd.rest)
    op, app = await cmd.ctx.hiring.note_application(n, cmd.user, text)
    await cmd.info("noted", op=op, app=app)


def first_app(rest: str, usage: str) -> int:
    """The application id a command starts with (``export APP-7``)."""
    toks = args.tokens(rest)
    return need_app(toks[0] if toks else None, usage)


def export_args(rest: str, channel: str | None = None) -> int:
    return first_app(rest, EXPORT_USAGE)


def forget_args(rest: str, channel: str | None = None) -> int:
    return first_app(rest, FORGET_USAGE)


async def export(cmd: Command) -> None:
    record = await cmd.ctx.hiring.export(export_args(cmd.rest), cmd.user)
    body = json.dumps(record, indent=2, ensure_ascii=False)
    chunks = [body[i:i + EXPORT_CHUNK] for i in range(0, len(body), EXPORT_CHUNK)]
    await cmd.ctx.dm(client=cmd.client, user=cmd.user, text=str(record["application"]),
                     blocks=cmd.ctx.renderer.blocks("export.j2", ref=record["application"], chunks=chunks))
    await cmd.info("exported", ref=record["application"])


async def forget(cmd: Command) -> None:
    op, app = await cmd.ctx.hiring.may_forget(forget_args(cmd.rest), cmd.user)
    await cmd.reply("forget_confirm.j2", text=app.ref, op=op, app=app)  # erasing is final: ask first
