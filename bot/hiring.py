"""The hiring service: openings, hiring teams, applications, stage moves, notes.

All rules live here, none in the Slack handlers: who may see a candidate, who may move one,
which moves are possible. Every public method is one transaction. Methods take the acting
user's id and raise :mod:`bot.errors` with a sentence fit to show that user.

Privacy rule: candidate data (names, emails, notes) is returned only to the opening's hiring
team and admins. Callers render it only to that person (ephemeral, DM, App Home).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from . import ids, stages
from .errors import BadInput, Forbidden, InvalidMove, NotFound
from .parsing import ParsedPosting, parse_posting
from .storage import Store, Tx, utcnow

ROLES = ("manager", "recruiter", "interviewer")
MANAGING_ROLES = {"manager", "recruiter", "admin"}
MAX_NAME = 120
MAX_NOTE = 4000
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


@dataclass(slots=True)
class Opening:
    id: int
    title: str
    status: str
    data: dict[str, Any]
    channel_id: str | None
    message_ts: str | None
    permalink: str | None
    private_channel: bool
    created_by: str
    created_at: str
    members: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return ids.op(self.id)

    @property
    def manager(self) -> str:
        for m in self.members:
            if m["role"] == "manager":
                return m["user_id"]
        return self.created_by

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(slots=True)
class Application:
    id: int
    opening_id: int
    candidate_name: str | None
    email: str | None
    source: str | None
    referrer: str | None
    stage: str
    stage_since: str
    created_by: str
    created_at: str
    forgotten_at: str | None

    @property
    def ref(self) -> str:
        return ids.app(self.id)

    def days_in_stage(self, now: datetime) -> int:
        return max(0, (now - datetime.fromisoformat(self.stage_since)).days)


def _opening(row: dict[str, Any]) -> Opening:
    return Opening(id=row["id"], title=row["title"], status=row["status"], data=json.loads(row["data"]),
                   channel_id=row["channel_id"], message_ts=row["message_ts"], permalink=row["permalink"],
                   private_channel=bool(row["private_channel"]), created_by=row["created_by"],
                   created_at=row["created_at"])


def _application(row: dict[str, Any]) -> Application:
    return Application(**{k: row[k] for k in Application.__slots__})  # type: ignore[attr-defined]


class Hiring:
    """Domain service over a :class:`Store`. ``clock`` is injectable so tests control time."""

    def __init__(self, store: Store, admins: set[str] | frozenset[str] = frozenset(),
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.admins = frozenset(admins)
        self.clock = clock

    # ------------------------------------------------------------------ helpers
    async def load_opening(self, tx: Tx, opening_id: int) -> Opening:
        row = await tx.opening(opening_id)
        if row is None:
            raise NotFound(f"There is no opening {ids.op(opening_id)}.", "List them with `/hiring openings all`.")
        op = _opening(row)
        op.members = await tx.members(opening_id)
        op.counts = await tx.stage_counts(opening_id)
        return op

    async def _load_application(self, tx: Tx, application_id: int) -> Application:
        row = await tx.application(application_id)
        if row is None:
            raise NotFound(f"There is no application {ids.app(application_id)}.",
                           "See an opening's candidates with `/hiring pipeline OP-<n>`.")
        return _application(row)

    async def load_with_opening(self, tx: Tx, application_id: int) -> tuple[Application, Opening]:
        """An application and the opening it belongs to: every permission check needs both."""
        app = await self._load_application(tx, application_id)
        return app, await self.load_opening(tx, app.opening_id)

    def role_of(self, op: Opening, user: str) -> str | None:
        """The user's role on the opening's hiring team ('admin' for workspace admins), or None."""
        if user in self.admins:
            return "admin"
        for m in op.members:
            if m["user_id"] == user:
                return str(m["role"])
        return None

    def require_team(self, op: Opening, user: str) -> str:
        role = self.role_of(op, user)
        if role is None:
            raise Forbidden(f"You are not on the hiring team of {op.ref}.",
                            f"Ask <@{op.manager}> to add you: `/hiring team {op.ref} add @you interviewer`.")
        return role

    def require_manage(self, op: Opening, user: str) -> str:
        role = self.require_team(op, user)
        if role not in MANAGING_ROLES:
            raise Forbidden(f"Only the hiring manager or a recruiter of {op.ref} can do that; you are an {role}.")
        return role

    def can_see_candidates(self, op: Opening, user: str) -> bool:
        return self.role_of(op, user) is not None

    # ------------------------------------------------------------------ parsing and drafts
    @staticmethod
    def parse(text: str) -> ParsedPosting:
        return parse_posting(text)

    async def create_draft(self, user: str, channel_id: str | None, text: str) -> tuple[int, ParsedPosting]:
        parsed = parse_posting(text)
        async with self.store.transaction() as tx:
            draft_id = await tx.insert_draft(user, channel_id, parsed.to_dict(), self.clock())
        return draft_id, parsed

    async def draft(self, draft_id: int, user: str) -> tuple[ParsedPosting, str | None]:
        async with self.store.transaction() as tx:
            row = await tx.draft(draft_id)
        if row is None or row["user_id"] != user:
            raise NotFound("That draft is gone.", "Start again with `/hiring post`.")
        if row["used_at"]:
            raise BadInput("That opening was already posted.")
        return ParsedPosting.from_dict(json.loads(row["data"])), row["channel_id"]

    async def edit_draft(self, draft_id: int, user: str, edits: dict[str, Any], channel_id: str | None) -> ParsedPosting:
        parsed, _ = await self.draft(draft_id, user)
        data = parsed.to_dict()
        for key, value in edits.items():
            if key in data:
                data[key] = value
        async with self.store.transaction() as tx:
            await tx.update_draft(draft_id, data, channel_id)
        return ParsedPosting.from_dict(data)

    async def publish_draft(self, draft_id: int, user: str, channel_id: str, private_channel: bool) -> Opening:
        """Turn a draft into an opening with ``user`` as hiring manager. Once per draft."""
        parsed, _ = await self.draft(draft_id, user)
        title = (parsed.title or "Untitled opening").strip()[:150]
        async with self.store.transaction() as tx:
            if not await tx.use_draft(draft_id, self.clock()):
                raise BadInput("That opening was already posted.")
            oid = await tx.insert_opening(title, parsed.to_dict(), user, channel_id, private_channel, self.clock())
            await tx.audit(user, "opening.create", ids.op(oid), None, self.clock())
            return await self.load_opening(tx, oid)

    async def attach_card(self, opening_id: int, channel_id: str, ts: str, permalink: str | None) -> None:
        async with self.store.transaction() as tx:
            await tx.set_opening_message(opening_id, channel_id, ts, permalink)

    # ------------------------------------------------------------------ openings
    async def opening(self, opening_id: int) -> Opening:
        async with self.store.transaction() as tx:
            return await self.load_opening(tx, opening_id)

    async def list_openings(self, user: str, scope: str = "open") -> list[Opening]:
        if scope not in {"open", "mine", "all", "closed"}:
            raise BadInput(f"Unknown list `{scope}`.", "Use `/hiring openings [mine|all|closed]`.")
        async with self.store.transaction() as tx:
            rows = await tx.list_openings(status=None if scope in {"all", "mine"} else scope,
                                          member=user if scope == "mine" else None)
            return await self.with_teams(tx, rows)

    @staticmethod
    async def with_teams(tx: Tx, rows: list[dict[str, Any]], counts: bool = True) -> list[Opening]:
        """Openings with members (and stage counts unless ``counts=False``), in grouped queries
        whatever the number."""
        ids_ = [r["id"] for r in rows]
        members = await tx.members_of(ids_)
        counted = await tx.stage_counts_of(ids_) if counts else {i: {} for i in ids_}
        out = []
        for row in rows:
            op = _opening(row)
            op.members, op.counts = members[op.id], counted[op.id]
            out.append(op)
        return out

    async def close(self, opening_id: int, user: str, reason: str) -> Opening:
        if reason not in {"filled", "cancelled"}:
            raise BadInput(f"`{reason}` is not a way to close an opening.",
                           "Use `/hiring close OP-12 filled` or `/hiring close OP-12 cancelled`.")
        async with self.store.transaction() as tx:
            op = await self.load_opening(tx, opening_id)
            self.require_manage(op, user)
            if op.status != "open":
                raise BadInput(f"{op.ref} is already closed ({op.status}).", f"Reopen it with `/hiring reopen {op.ref}`.")
            await tx.set_opening_status(opening_id, reason, self.clock())
            await tx.drop_reminders(self.clock(), opening_id=opening_id)  # nothing left to follow up
            await tx.audit(user, f"opening.close.{reason}", op.ref, None, self.clock())
            return await self.load_opening(tx, opening_id)

    async def reopen(self, opening_id: int, user: str) -> Opening:
        async with self.store.transaction() as tx:
            op = await self.load_opening(tx, opening_id)
            self.require_manage(op, user)
            if op.status == "open":
                raise BadInput(f"{op.ref} is already open.")
            await tx.set_opening_status(opening_id, "open", None)
            await tx.audit(user, "opening.reopen", op.ref, None, self.clock())
            return await self.load_opening(tx, opening_id)

    async def team_add(self, opening_id: int, user: str, target: str, role: str) -> Opening:
        if role not in ROLES:
            raise BadInput(f"`{role}` is not a hiring-team role.", "Roles: interviewer, recruiter, manager.")
        async with self.store.transaction() as tx:
            op = await self.load_opening(tx, opening_id)
            self.require_manage(op, user)
            if role == "manager":
                # One hiring manager: the previous one stays on the team as recruiter.
                for m in op.members:
                    if m["role"] == "manager" and m["user_id"] != target:
                        await tx.set_member(opening_id, m["user_id"], "recruiter", user, self.clock())
            await tx.set_member(opening_id, target, role, user, self.clock())
            await tx.audit(user, f"team.add.{role}", op.ref, target, self.clock())
            return await self.load_opening(tx, opening_id)

    async def team_remove(self, opening_id: int, user: str, target: str) -> Opening:
        async with self.store.transaction() as tx:
            op = await self.load_opening(tx, opening_id)
            self.require_manage(op, user)
            if self.role_of(op, target) == "manager" and target in {m["user_id"] for m in op.members}:
                raise BadInput(f"<@{target}> is the hiring manager of {op.ref}.",
                               f"Make someone else manager first: `/hiring team {op.ref} add @user manager`.")
            if not await tx.remove_member(opening_id, target):
                raise NotFound(f"<@{target}> is not on the hiring team of {op.ref}.")
            await tx.audit(user, "team.remove", op.ref, target, self.clock())
            return await self.load_opening(tx, opening_id)

    # ------------------------------------------------------------------ applications
    async def add_candidate(self, opening_id: int, user: str, name: str, email: str | None = None,
                            source: str | None = None, referrer: str | None = None) -> tuple[Opening, Application]:
        """Anyone may refer a candidate; the record is visible to the hiring team only."""
        name = " ".join(name.split())
        if not name:
            raise BadInput("A candidate needs a name.", 'Type `/hiring add "Full Name" OP-12 [email] [source or @referrer]`.')
        if len(name) > MAX_NAME:
            raise BadInput(f"That name is {len(name)} characters; the limit is {MAX_NAME}.")
        if email and not _EMAIL.match(email):
            raise BadInput(f"`{email}` is not an e-mail address.")
        async with self.store.transaction() as tx:
            op = await self.load_opening(tx, opening_id)
            if op.status != "open":
                raise BadInput(f"{op.ref} is closed ({op.status}); it takes no new candidates.")
            aid = await tx.insert_application(opening_id, name, email, (source or "")[:200] or None, referrer,
                                              "applied", user, self.clock())
            await tx.audit(user, "application.add", ids.app(aid), op.ref, self.clock())
            return await self.load_opening(tx, opening_id), await self._load_application(tx, aid)

    async def application(self, application_id: int, user: str) -> tuple[Opening, Application]:
        async with self.store.transaction() as tx:
            app, op = await self.load_with_opening(tx, application_id)
            self.require_team(op, user)
            return op, app

    async def move(self, application_id: int, user: str, target: str, reason: str | None = None,
                   expected_stage: str | None = None) -> tuple[Opening, Application, str]:
        """Move an application. ``expected_stage`` (from a button) makes stale clicks harmless."""
        stage = stages.normalise(target)
        async with self.store.transaction() as tx:
            app, op = await self.load_with_opening(tx, application_id)
            self.require_manage(op, user)
            if app.forgotten_at:
                raise BadInput(f"{app.ref} was forgotten; it cannot move.")
            if stage is None:
                raise InvalidMove(f"`{target}` is not a stage.",
                                  f"{app.ref} can move to: {', '.join(stages.allowed_moves(app.stage))}.")
            if expected_stage and expected_stage != app.stage:
                raise InvalidMove(f"{app.ref} already moved to {app.stage}; nothing changed.")
            if not stages.can_move(app.stage, stage):
                allowed = stages.allowed_moves(app.stage)
                raise InvalidMove(f"{app.ref} is in {app.stage} and cannot move to {stage}.",
                                  f"It can move to: {', '.join(allowed) if allowed else 'nothing'}.")
            from_stage = app.stage
            if not await tx.move_application(application_id, from_stage, stage, user, (reason or "")[:500] or None,
                                             self.clock()):
                raise InvalidMove(f"{app.ref} moved meanwhile; nothing changed.")
            await tx.drop_reminders(self.clock(), application_id=application_id)  # they were about the old stage
            return await self.load_opening(tx, op.id), await self._load_application(tx, application_id), from_stage

    async def pipeline(self, opening_id: int, user: str) -> tuple[Opening, dict[str, list[Application]]]:
        async with self.store.transaction() as tx:
            op = await self.load_opening(tx, opening_id)
            self.require_team(op, user)
            rows = await tx.applications(opening_id)
        by_stage: dict[str, list[Application]] = {s: [] for s in stages.STAGES}
        for row in rows:
            a = _application(row)
            by_stage.setdefault(a.stage, []).append(a)
        return op, by_stage

    async def history(self, application_id: int, user: str) -> tuple[Opening, Application, list[dict[str, Any]],
                                                                      list[dict[str, Any]]]:
        async with self.store.transaction() as tx:
            app, op = await self.load_with_opening(tx, application_id)
            self.require_team(op, user)
            return op, app, await tx.moves(application_id), await tx.notes(op.id, application_id)

    # ------------------------------------------------------------------ notes and threads
    async def note_application(self, application_id: int, user: str, text: str, source: str = "command",
                               slack_ts: str | None = None) -> tuple[Opening, Application]:
        text = text.strip()
        if not text:
            raise BadInput("The note is empty.", "Type `/hiring note APP-7 <text>`.")
        async with self.store.transaction() as tx:
            app, op = await self.load_with_opening(tx, application_id)
            self.require_team(op, user)
            await tx.insert_note(op.id, app.id, user, text[:MAX_NOTE], source, slack_ts, self.clock())
            return op, app

    async def thread_reply(self, channel_id: str, thread_ts: str, user: str, text: str, ts: str) -> str | None:
        """Save a reply in a card's thread as a note. Returns the note's subject, or None if the
        thread is not under one of our cards. A reply starting with ``APP-7`` goes on that application
        when it belongs to the opening and the author is on its hiring team."""
        async with self.store.transaction() as tx:
            row = await tx.opening_by_message(channel_id, thread_ts)
            if row is None:
                return None
            op = await self.load_opening(tx, row["id"])
            m = re.match(r"^\s*(APP-?\d{1,9})\b[:\s-]*(.*)$", text or "", re.I | re.S)
            if m:
                app_id = ids.parse_app(m.group(1))
                app_row = await tx.application(app_id) if app_id else None
                if app_row and app_row["opening_id"] == op.id and self.role_of(op, user) is not None:
                    body = m.group(2).strip() or text
                    await tx.insert_note(op.id, app_id, user, body[:MAX_NOTE], "thread", ts, self.clock())
                    return ids.app(app_id)  # type: ignore[arg-type]
            await tx.insert_note(op.id, None, user, (text or "")[:MAX_NOTE], "thread", ts, self.clock())
            return op.ref

    async def opening_notes(self, opening_id: int, user: str) -> list[dict[str, Any]]:
        async with self.store.transaction() as tx:
            op = await self.load_opening(tx, opening_id)
            self.require_team(op, user)
            return await tx.notes(opening_id, None)

    async def first_time(self, event_key: str) -> bool:
        async with self.store.transaction() as tx:
            return await tx.first_time(event_key, self.clock())

    # ------------------------------------------------------------------ personal data
    def _require_recruiter(self, op: Opening, user: str) -> None:
        role = self.require_team(op, user)
        if role not in {"recruiter", "admin"}:
            raise Forbidden(f"Only recruiters of {op.ref} and admins can do that.")

    async def export(self, application_id: int, user: str) -> dict[str, Any]:
        async with self.store.transaction() as tx:
            app, op = await self.load_with_opening(tx, application_id)
            self._require_recruiter(op, user)
            record = {
                "application": app.ref, "opening": op.ref, "opening_title": op.title,
                "candidate_name": app.candidate_name, "email": app.email, "source": app.source,
                "referrer": app.referrer, "stage": app.stage, "stage_since": app.stage_since,
                "created_at": app.created_at, "created_by": app.created_by, "forgotten_at": app.forgotten_at,
                "history": [{k: m[k] for k in ("from_stage", "to_stage", "actor", "reason", "at")}
                            for m in await tx.moves(application_id)],
                "notes": [{k: n[k] for k in ("author", "text", "source", "at")}
                          for n in await tx.notes(op.id, application_id)],
            }
            await tx.audit(user, "application.export", app.ref, None, self.clock())
            return record

    async def forget(self, application_id: int, user: str) -> Application:
        async with self.store.transaction() as tx:
            app, op = await self.load_with_opening(tx, application_id)
            self._require_recruiter(op, user)
            if app.forgotten_at:
                raise BadInput(f"{app.ref} was already forgotten.")
            await tx.forget_application(application_id, self.clock())
            await tx.drop_reminders(self.clock(), application_id=application_id)
            await tx.audit(user, "application.forget", app.ref, None, self.clock())
            return await self._load_application(tx, application_id)

    # ------------------------------------------------------------------ App Home
    async def home(self, user: str, idle_days: int = 3) -> dict[str, Any]:
        """What a user sees on App Home: their openings, candidates waiting on them, counts."""
        now = self.clock()
        mine = await self.list_openings(user, "mine")
        waiting: list[tuple[Opening, Application, int]] = []
        async with self.store.transaction() as tx:
            for op in mine:
                if op.status != "open" or self.role_of(op, user) not in MANAGING_ROLES:
                    continue
                for row in await tx.applications(op.id):
                    a = _application(row)
                    days = a.days_in_stage(now)
                    if a.stage in stages.OPEN_STAGES and days >= idle_days:
                        waiting.append((op, a, days))
        waiting.sort(key=lambda t: -t[2])
        totals: dict[str, int] = {}
        for op in mine:
            for s, n in op.counts.items():
                totals[s] = totals.get(s, 0) + n
        return {"openings": mine, "waiting": waiting, "totals": totals}
