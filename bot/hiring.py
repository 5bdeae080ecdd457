"""The hiring service: openings, hiring teams, applications, stage moves, notes.

Workflows live here, none in the Slack handlers: which moves are possible (``stages``), who
may do what (``policy``), what happens after a change (``changes``: the card is redrawn and
the scheduler re-armed by their subscribers). Every public method is one transaction (a read,
one snapshot), takes the acting user's id and raises :mod:`bot.errors` values that templates
turn into words.

Privacy rule: candidate data (names, emails, notes) is returned only to the opening's hiring
team and admins. Callers render it only to that person (ephemeral, DM, App Home).
"""

from __future__ import annotations

import dataclasses
import heapq
import re
from collections.abc import Callable, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

from . import ids, stages
from .changes import Changes
from .clock import Clock, iso, utcnow
from .errors import BadInput, Forbidden, HiringError, InvalidMove, NotFound
from .model import ROLES, Application, DefaultWorkingTime, Member, Opening, WorkingTime
from .policy import MANAGING_ROLES, Policy
from .ports import Membership
from .slices import Slices
from .storage import GuardedMove, Scope, Store, Tx, UnreadMove

MAX_NAME = 120
MAX_NOTE = 4000
#: App Home lists this many of the candidates waiting longest (and says how many more there are).
HOME_SHOWN = 15
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


@dataclass(slots=True)
class Teams:
    """What :meth:`Hiring.teams_of` read for a list of openings, by opening id."""

    members: dict[int, list[dict[str, Any]]]
    counts: dict[int, dict[str, int]]


class Hiring:
    """Domain service over a :class:`Store`. ``clock`` is injectable so tests control time."""

    def __init__(self, store: Store, admins: Set[str] = frozenset(), clock: Clock = utcnow,
                 changes: Changes | None = None, membership: Membership | None = None) -> None:
        self.store = store
        self.policy = Policy(admins)
        self.clock = clock
        self.changes = changes or Changes()
        #: Slack's channel membership; without it only the team and admins see confidential openings.
        self.membership = membership
        #: A user's working time from their settings row (set by :class:`bot.people.People`, which
        #: knows the default time zone): days in stage are the hiring manager's working days.
        self.working_time: Callable[[str, dict[str, Any] | None], WorkingTime] = \
            lambda _user, _row: DefaultWorkingTime()

    @property
    def admins(self) -> frozenset[str]:
        return self.policy.admins

    # ------------------------------------------------------------------ helpers
    async def load_opening(self, tx: Tx, opening_id: int) -> Opening:
        row = await tx.opening(opening_id)
        if row is None:
            raise NotFound("no_opening", ref=ids.op(opening_id))
        return await self._with_team(tx, row)

    @classmethod
    async def _with_team(cls, tx: Tx, row: dict[str, Any]) -> Opening:
        return cls._opening_with_team(row, *await tx.team_and_counts(row["id"]))

    async def _load_application(self, tx: Tx, application_id: int) -> Application:
        row = await tx.application(application_id)
        if row is None:
            raise NotFound("no_application", ref=ids.app(application_id))
        return Application.from_row(row)

    async def load_with_opening(self, tx: Tx, application_id: int,
                                counts: bool = True) -> tuple[Application, Opening]:
        """An application and the opening it belongs to: every permission check needs both.
        ``counts=False`` leaves the opening's ``counts`` empty: counting reads every candidate of
        the opening, which a move does not need (its card is redrawn from the database)."""
        rows = await tx.application_with_opening(application_id)
        if rows is None:
            raise NotFound("no_application", ref=ids.app(application_id))
        app_row, opening_row, team = rows
        op = self._opening_with_team(opening_row, team)
        if counts:
            op.counts = await tx.stage_counts(op.id)
        return Application.from_row(app_row), op

    @staticmethod
    def _opening_with_team(row: dict[str, Any], team: list[dict[str, Any]],
                           counts: dict[str, int] | None = None) -> Opening:
        """An opening from its row, its team's rows and its candidates per stage, if read (as the
        storage reads them together)."""
        op = Opening.from_row(row)
        op.members = [Member(m["user_id"], m["role"]) for m in team]
        if counts is not None:
            op.counts = counts
        return op

    async def manager_time(self, tx: Tx, op: Opening) -> WorkingTime:
        """The working time days in stage are counted in: the opening's hiring manager's."""
        return self.working_time(op.manager, await tx.prefs(op.manager))

    # Permission checks are decided in :mod:`bot.policy`; these keep call sites short.
    def role_of(self, op: Opening, user: str) -> str | None:
        return self.policy.role_of(op, user)

    def require_team(self, op: Opening, user: str) -> str:
        return self.policy.require_team(op, user)

    def require_manage(self, op: Opening, user: str) -> str:
        return self.policy.require_manage(op, user)

    def can_see_candidates(self, op: Opening, user: str) -> bool:
        return self.policy.can_see_candidates(op, user)

    # ------------------------------------------------------------------ openings
    async def opening(self, opening_id: int, user: str | None = None) -> Opening:
        """The opening; when ``user`` is given, only if they may see it (else NotFound, as for an
        id that does not exist, so a confidential opening's existence does not leak)."""
        async with self.store.reading() as tx:
            op = await self.load_opening(tx, opening_id)
        if user is not None and not await self.sees(op, user):
            raise NotFound("no_opening", ref=op.ref)
        return op

    async def sees(self, op: Opening, user: str) -> bool:
        """May ``user`` see this opening at all? (Asks Slack only for confidential ones.)"""
        if self.policy.sees_opening_without_asking(op, user):
            return True
        if self.membership is None or not op.channel_id:
            return False
        return await self.membership.is_member(op.channel_id, user)

    async def list_openings(self, user: str, scope: str = "open") -> list[Opening]:
        if scope not in {"open", "mine", "all", "closed"}:
            raise BadInput("unknown_list", scope=scope)
        async with self.store.reading() as tx:
            rows = await tx.list_openings(status=None if scope in {"all", "mine"} else scope,
                                          member=user if scope == "mine" else None)
            teams = await self.teams_of(tx, rows)
        return [op for op in await self.assemble(rows, teams) if await self.sees(op, user)]

    @staticmethod
    async def teams_of(tx: Tx, rows: list[dict[str, Any]], counts: bool = True) -> Teams:
        """The members (and stage counts unless ``counts=False``) of the openings in ``rows``:
        two grouped queries, whatever the number. The openings are built by :meth:`assemble`,
        after the transaction, so no transaction waits on the building."""
        ids_ = [r["id"] for r in rows]
        members = await tx.members_of(ids_)
        return Teams(members, await tx.stage_counts_of(ids_) if counts else {i: {} for i in ids_})

    @staticmethod
    async def assemble(rows: list[dict[str, Any]], teams: Teams) -> list[Opening]:
        """The openings in ``rows`` with their teams, built in slices of the event loop: each
        parses its stored posting, and a sweep or digest over thousands of openings would
        otherwise hold the loop for tens of milliseconds (2,000 took 30-50 ms in the SLA bench)."""
        slices = Slices()
        out = []
        for row in rows:
            await slices.pause()
            op = Opening.from_row(row)
            op.members = [Member(m["user_id"], m["role"]) for m in teams.members[op.id]]
            op.counts = teams.counts[op.id]
            out.append(op)
        return out

    async def close(self, opening_id: int, user: str, reason: str) -> Opening:
        if reason not in {"filled", "cancelled"}:
            raise BadInput("bad_close_reason", reason=reason)
        async with self.store.transaction() as tx:
            op = await self.load_opening(tx, opening_id)
            self.require_manage(op, user)
            if op.status != "open":
                raise BadInput("already_closed", ref=op.ref, status=op.status)
            await tx.set_opening_status(opening_id, reason, self.clock())
            await tx.drop_reminders(self.clock(), opening_id=opening_id)  # nothing left to follow up
            await tx.audit(user, f"opening.close.{reason}", op.ref, None, self.clock())
            op = await self.load_opening(tx, opening_id)
        await self.changes.opening_changed(op)
        await self.changes.schedule_changed()
        return op

    async def reopen(self, opening_id: int, user: str) -> Opening:
        async with self.store.transaction() as tx:
            op = await self.load_opening(tx, opening_id)
            self.require_manage(op, user)
            if op.status == "open":
                raise BadInput("already_open", ref=op.ref)
            await tx.set_opening_status(opening_id, "open", None)
            await tx.audit(user, "opening.reopen", op.ref, None, self.clock())
            op = await self.load_opening(tx, opening_id)
        await self.changes.opening_changed(op)
        return op

    async def team_add(self, opening_id: int, user: str, target: str, role: str) -> Opening:
        if role not in ROLES:
            raise BadInput("bad_role", role=role, roles=ROLES)
        async with self.store.transaction() as tx:
            op = await self.load_opening(tx, opening_id)
            self.require_manage(op, user)
            managers = [m.user_id for m in op.members if m.role == "manager"]
            if role != "manager" and managers == [target]:
                raise BadInput("last_manager", ref=op.ref, user=target)
            if role == "manager":
                # One hiring manager: the previous one stays on the team as recruiter.
                for m in op.members:
                    if m.role == "manager" and m.user_id != target:
                        await tx.set_member(opening_id, m.user_id, "recruiter", user, self.clock())
            await tx.set_member(opening_id, target, role, user, self.clock())
            await tx.audit(user, f"team.add.{role}", op.ref, target, self.clock())
            op = await self.load_opening(tx, opening_id)
        await self.changes.opening_changed(op)
        return op

    async def team_remove(self, opening_id: int, user: str, target: str) -> Opening:
        async with self.store.transaction() as tx:
            op = await self.load_opening(tx, opening_id)
            self.require_manage(op, user)
            if any(m.user_id == target and m.role == "manager" for m in op.members):
                raise BadInput("remove_manager", ref=op.ref, user=target)
            if not await tx.remove_member(opening_id, target):
                raise NotFound("not_a_member", ref=op.ref, user=target)
            await tx.audit(user, "team.remove", op.ref, target, self.clock())
            op = await self.load_opening(tx, opening_id)
        await self.changes.opening_changed(op)
        return op

    # ------------------------------------------------------------------ applications
    async def add_candidate(self, opening_id: int, user: str, name: str, email: str | None = None,
                            source: str | None = None, referrer: str | None = None) -> tuple[Opening, Application]:
        """Anyone may refer a candidate; the record is visible to the hiring team only."""
        name = " ".join(name.split())
        if not name:
            raise BadInput("name_missing")
        if len(name) > MAX_NAME:
            raise BadInput("name_too_long", length=len(name), limit=MAX_NAME)
        if email and not _EMAIL.match(email):
            raise BadInput("bad_email", email=email)
        # A confidential opening takes referrals from those who see it. Whether they do is decided
        # in the transaction when no Slack call is needed (the usual case: one load, not two);
        # otherwise Slack is asked outside it (never with the lock held) and the opening loaded again.
        asked = False
        while True:
            async with self.store.transaction() as tx:
                op = await self.load_opening(tx, opening_id)
                if asked or self.policy.sees_opening_without_asking(op, user):
                    if op.status != "open":
                        raise BadInput("opening_closed", ref=op.ref, status=op.status)
                    same = [r for r in await tx.same_person(name, email) if r["opening_id"] == opening_id]
                    if same:
                        # Refused with the existing id; only the hiring team learns the name is already there.
                        raise BadInput("duplicate_candidate", ref=op.ref,
                                       existing=ids.app(same[0]["id"]) if self.can_see_candidates(op, user) else None)
                    app = Application.from_row(await tx.insert_application(
                        opening_id, name, email, (source or "")[:200] or None, referrer, "applied", user, self.clock()))
                    await tx.audit(user, "application.add", app.ref, op.ref, self.clock())
                    op.counts[app.stage] = op.counts.get(app.stage, 0) + 1  # what was just written
                    break
            if not await self.sees(op, user):
                raise NotFound("no_opening", ref=op.ref)
            asked = True
        await self.changes.opening_changed(op)
        return op, app

    async def elsewhere(self, application_id: int, user: str) -> list[tuple[Opening, Application]]:
        """The same person's applications to other openings that ``user`` may see: the hiring team
        should know a candidate is also in another pipeline."""
        async with self.store.reading() as tx:
            app = await self._load_application(tx, application_id)
            out = []
            for row in await tx.same_person(app.candidate_name or "", app.email):
                if row["id"] != app.id and row["opening_id"] != app.opening_id:
                    other = await self.load_opening(tx, row["opening_id"])
                    if self.can_see_candidates(other, user):
                        out.append((other, Application.from_row(row)))
            return out

    async def referable(self, opening_id: int, user: str) -> Opening:
        """The opening, if it takes candidates (anyone who sees an open opening may refer one)."""
        op = await self.opening(opening_id, user)
        if op.status != "open":
            raise BadInput("opening_closed", ref=op.ref, status=op.status)
        return op

    async def refer(self, opening_id: int, user: str, name: str, email: str | None,
                    why: str | None) -> tuple[Opening, Application]:
        """A referral from the card's form: the referrer is the user, their reason a note the
        hiring team sees (saved only when the referrer may see the candidate's notes)."""
        op, app = await self.add_candidate(opening_id, user, name, email, "referral", user)
        if why and why.strip() and self.can_see_candidates(op, user):
            await self.note_application(app.id, user, why, "referral")
        return op, app

    async def application(self, application_id: int, user: str) -> tuple[Opening, Application]:
        async with self.store.reading() as tx:
            app, op = await self.load_with_opening(tx, application_id)
            self.require_team(op, user)
            return op, app

    async def move(self, application_id: int, user: str, target: str, reason: str | None = None,
                   expected_stage: str | None = None) -> tuple[Opening, Application, str]:
        """Move an application. ``expected_stage`` (from a button) makes stale clicks harmless.

        Decided on a read beside the write lock, then made under it only if everything the
        decision rests on still holds (:class:`~bot.storage.GuardedMove`: the stage it moves
        from, not forgotten, the mover still managing the opening). On PostgreSQL that write
        is one round trip that takes the lock and commits (:meth:`~bot.storage.Store.move_alone`),
        so the lock is held only while the server runs it, where reading, checking and writing
        under it held it for four. If anything changed meanwhile, the move is decided again under
        the lock, as if it had come a moment later: an outcome the commands could have had one
        after the other.

        First, on PostgreSQL, the move is tried with no read at all (:meth:`_move_unread`): one
        round trip makes it if every check holds and brings back what the reply needs. Only a
        move it does not make takes the read path above, which refuses it with its reason."""
        stage = stages.normalise(target)
        note = (reason or "")[:500] or None
        unread = None if stage is None else await self._move_unread(application_id, user, stage, note, expected_stage)
        op, app, from_stage = unread or await self._move_read(application_id, user, stage, target, note,
                                                              expected_stage)
        await self.changes.opening_changed(op)
        await self.changes.schedule_changed()
        return op, app, from_stage

    def _held_by(self, user: str) -> tuple[str, frozenset[str]] | None:
        """What a guarded move requires of its mover: a managing role on the opening's team (None
        for a workspace admin, who needs none)."""
        return None if self.policy.is_admin(user) else (user, MANAGING_ROLES)

    async def _move_read(self, application_id: int, user: str, stage: str | None, target: str, note: str | None,
                         expected_stage: str | None) -> tuple[Opening, Application, str]:
        """The move decided on a read, made if its grounds still hold, else decided again under
        the lock (see :meth:`move`); refused with its reason when it may not happen."""
        async with self.store.glance() as tx:
            app, op = await self.load_with_opening(tx, application_id, counts=False)
        to_stage = self._check_move(app, op, user, stage, target, expected_stage)
        now = self.clock()
        guarded = GuardedMove(application_id, app.stage, to_stage, user, note, now, self._held_by(user))
        if await self.store.move_alone(guarded):
            from_stage = app.stage
            app = dataclasses.replace(app, stage=to_stage, stage_since=iso(now))
        else:  # changed since the read: decide again, under the lock
            async with self.store.transaction() as tx:
                app, op = await self.load_with_opening(tx, application_id, counts=False)
                to_stage = self._check_move(app, op, user, stage, target, expected_stage)
                from_stage = app.stage
                row = await tx.move_application(application_id, from_stage, to_stage, user, note, self.clock(),
                                                drop_reminders=True)  # they were about the old stage
                if row is None:
                    raise InvalidMove("moved_meanwhile", ref=app.ref)
                app = Application.from_row(row)  # what was just written, not loaded again
        return op, app, from_stage

    async def _move_unread(self, application_id: int, user: str, stage: str, note: str | None,
                           expected_stage: str | None) -> tuple[Opening, Application, str] | None:
        """The move made with no read first, where the store can (PostgreSQL:
        :meth:`~bot.storage.Store.move_unread`), if everything :meth:`_check_move` would ask
        holds: the application is in a stage the move is allowed from (the button's, if it came
        from one), not forgotten, and the user manages the opening. None if it was not made: the
        caller reads, and refuses with the reason or decides again (:meth:`_move_read`). The
        result is what that returns."""
        froms = (expected_stage,) if expected_stage else stages.STAGES
        allowed = tuple(s for s in froms if stages.can_move(s, stage))
        if not allowed:
            return None
        moved = await self.store.move_unread(UnreadMove(application_id, allowed, stage, user, note, self.clock(),
                                                        self._held_by(user)))
        if moved is None:
            return None
        return (self._opening_with_team(moved.opening, moved.team), Application.from_row(moved.application),
                moved.from_stage)

    def _check_move(self, app: Application, op: Opening, user: str, stage: str | None, target: str,
                    expected_stage: str | None) -> str:
        """Refuse a move that may not happen now; else the stage it goes to."""
        self.require_manage(op, user)
        if app.forgotten_at:
            raise BadInput("forgotten_cannot_move", ref=app.ref)
        if stage is None:
            raise InvalidMove("not_a_stage", stage=target, ref=app.ref, allowed=stages.allowed_moves(app.stage))
        if expected_stage and expected_stage != app.stage:
            raise InvalidMove("already_moved", ref=app.ref, stage=app.stage)
        if not stages.can_move(app.stage, stage):
            raise InvalidMove("cannot_move", ref=app.ref, stage=app.stage, target=stage,
                              allowed=stages.allowed_moves(app.stage))
        return stage

    async def pipeline(self, opening_id: int, user: str,
                       first: int | None = None) -> tuple[Opening, dict[str, list[Application]]]:
        """The opening's candidates by stage, longest waiting first; with ``first``, only that many
        per stage (``op.counts`` has how many each stage holds in all). A read-only snapshot: it
        does not queue behind writes (on PostgreSQL, it runs beside them on the read pool)."""
        if first is None:
            async with self.store.reading() as tx:
                op = await self.load_opening(tx, opening_id)
                self.require_team(op, user)
                rows = await tx.applications(opening_id)
                worktime = await self.manager_time(tx, op)
        else:  # what a card or /hiring pipeline shows: read together (one round trip on PostgreSQL)
            view = await self.store.pipeline_view(opening_id, first, stages.STAGES)
            if view is None:
                raise NotFound("no_opening", ref=ids.op(opening_id))
            op = self._opening_with_team(view.opening, view.team, view.counts)
            self.require_team(op, user)
            rows = view.applications
            worktime = self.working_time(op.manager, view.prefs.get(op.manager))
        by_stage: dict[str, list[Application]] = {s: [] for s in stages.STAGES}
        for row in rows:
            a = Application.from_row(row)
            a.worktime = worktime
            by_stage.setdefault(a.stage, []).append(a)
        return op, by_stage

    async def history(self, application_id: int, user: str) -> tuple[Opening, Application, list[dict[str, Any]],
                                                                      list[dict[str, Any]]]:
        async with self.store.reading() as tx:
            app, op = await self.load_with_opening(tx, application_id)
            self.require_team(op, user)
            app.worktime = await self.manager_time(tx, op)
            return op, app, await tx.moves(application_id), await tx.notes(op.id, application_id)

    # ------------------------------------------------------------------ notes and threads
    async def note_application(self, application_id: int, user: str, text: str, source: str = "command",
                               slack_ts: str | None = None) -> tuple[Opening, Application]:
        text = text.strip()
        if not text:
            raise BadInput("note_empty")
        if len(text) > MAX_NOTE:  # refused whole, never cut: the author keeps their text and splits it
            raise BadInput("note_too_long", ref=ids.app(application_id), length=len(text), limit=MAX_NOTE)
        async with self.store.transaction() as tx:
            app, op = await self.load_with_opening(tx, application_id)
            self.require_team(op, user)
            await tx.insert_note(op.id, app.id, user, text, source, slack_ts, self.clock())
            return op, app

    async def thread_reply(self, channel_id: str, thread_ts: str, user: str, text: str, ts: str,
                           event_key: str | None = None) -> str | None:
        """Save a reply in a card's thread as a note. Returns the note's subject (``OP-3`` or
        ``APP-7`` when the reply starts with that id), or None if the thread is not under one of
        our cards, or ``event_key`` was seen before (a Slack retry). Raises when the reply is under
        a card but will not be kept, so the author is told why instead of believing it was saved:
        only the hiring team's replies are notes, and an ``APP-`` id must be a candidate of that
        opening.

        ``event_key`` is recorded in the note's own transaction: a replica that dies after taking
        the event leaves neither, so Slack's retry (to any replica) still saves it, once."""
        refused: HiringError | None = None
        async with self.store.transaction() as tx:
            if event_key is not None and not await tx.first_time(event_key, self.clock()):
                return None
            try:
                return await self._thread_note(tx, channel_id, thread_ts, user, text, ts)
            except HiringError as err:  # nothing written; the key is kept, so a retry is not told twice
                refused = err
        assert refused is not None
        raise refused

    async def _thread_note(self, tx: Tx, channel_id: str, thread_ts: str, user: str, text: str,
                           ts: str) -> str | None:
        row = await tx.opening_by_message(channel_id, thread_ts)
        if row is None:
            return None
        op = await self.load_opening(tx, row["id"])
        if self.role_of(op, user) is None:
            raise Forbidden("thread_not_on_team", ref=op.ref, manager=op.manager)
        m = re.match(r"^\s*(APP-?\d{1,9})\b[:\s-]*(.*)$", text or "", re.I | re.S)
        if m:
            ref = m.group(1).upper()
            app_id = ids.parse_app(ref)
            app_row = await tx.application(app_id) if app_id else None
            if app_id is None or app_row is None or app_row["opening_id"] != op.id or app_row["forgotten_at"]:
                raise NotFound("thread_unknown_app", ref=ids.app(app_id) if app_id else ref, opening=op.ref)
            body = m.group(2).strip() or text
            self._fits(body)
            await tx.insert_note(op.id, app_id, user, body, "thread", ts, self.clock())
            return ids.app(app_id)
        self._fits(text or "")
        await tx.insert_note(op.id, None, user, text or "", "thread", ts, self.clock())
        return op.ref

    @staticmethod
    def _fits(reply: str) -> None:
        """A thread reply longer than a note may be is not kept (never cut); its author is told why."""
        if len(reply) > MAX_NOTE:
            raise BadInput("thread_note_too_long", length=len(reply), limit=MAX_NOTE)

    async def opening_notes(self, opening_id: int, user: str) -> list[dict[str, Any]]:
        async with self.store.transaction() as tx:
            op = await self.load_opening(tx, opening_id)
            self.require_team(op, user)
            return await tx.notes(opening_id, None)

    async def first_time(self, event_key: str) -> bool:
        async with self.store.transaction() as tx:
            return await tx.first_time(event_key, self.clock())

    # ------------------------------------------------------------------ personal data
    async def export(self, application_id: int, user: str) -> dict[str, Any]:
        async with self.store.transaction() as tx:
            app, op = await self.load_with_opening(tx, application_id)
            self.policy.require_data_access(op, user)
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

    async def may_forget(self, application_id: int, user: str) -> tuple[Opening, Application]:
        """Check before asking for confirmation: the same refusals :meth:`forget` would give."""
        async with self.store.transaction() as tx:
            app, op = await self.load_with_opening(tx, application_id)
        self.policy.require_data_access(op, user)
        if app.forgotten_at:
            raise BadInput("already_forgotten", ref=app.ref)
        return op, app

    async def forget(self, application_id: int, user: str) -> Application:
        async with self.store.transaction() as tx:
            app, op = await self.load_with_opening(tx, application_id)
            self.policy.require_data_access(op, user)
            if app.forgotten_at:
                raise BadInput("already_forgotten", ref=app.ref)
            await tx.forget_application(application_id, self.clock())
            await tx.drop_reminders(self.clock(), application_id=application_id)
            await tx.audit(user, "application.forget", app.ref, None, self.clock())
            forgotten, op = await self.load_with_opening(tx, application_id)
        await self.changes.opening_changed(op)
        await self.changes.schedule_changed()
        return forgotten

    # ------------------------------------------------------------------ App Home
    async def home(self, user: str, idle_days: int = 3, shown: int = HOME_SHOWN) -> dict[str, Any]:
        """What a user sees on App Home: their openings, candidates waiting on them, counts.
        Waiting: in an open stage for ``idle_days`` or more working days of the hiring manager.

        Everything, however much: all their openings (teams and counts in grouped queries) and
        the totals over all of them; of the waiting candidates, the ``shown`` who waited longest
        and how many there are (``waiting_total``), so the view can say how many it left out.
        The candidates of every opening they manage come in one paged query, only those that
        entered their stage at least ``idle_days - 1`` days ago (sooner, nobody has had
        ``idle_days`` working days: see :meth:`bot.sla.Sla.scopes`), counted between pages."""
        now = self.clock()
        mine = await self.list_openings(user, "mine")
        managed = {op.id: op for op in mine if op.status == "open" and self.role_of(op, user) in MANAGING_ROLES}
        async with self.store.reading() as tx:
            managers = sorted({op.manager for op in managed.values()})
            times = {m: self.working_time(m, await tx.prefs(m)) for m in managers}
        entered_by = iso(now - timedelta(days=idle_days - 1)) if idle_days > 0 else "9999"
        scope = Scope(entered_by=(entered_by,) * 4)
        longest: list[tuple[tuple[int, int, str, int], int, dict[str, Any]]] = []
        total = 0
        slices = Slices()
        async for page in self.store.active_pages(dict.fromkeys(managed, scope)):
            found = []
            for row in page:
                await slices.pause()
                worktime = times[managed[row["opening_id"]].manager]
                days = worktime.working_days_between(datetime.fromisoformat(row["stage_since"]), now)
                if days >= idle_days:
                    # Longest first; ties as the list always showed them: newest opening, then by entry.
                    found.append(((-days, -row["opening_id"], row["stage_since"], row["id"]), days, row))
            total += len(found)
            longest = heapq.nsmallest(shown, [*longest, *found], key=itemgetter(0))
        waiting = []
        for _, days, row in longest:  # only these become records: thousands may be counted
            a = Application.from_row(row)
            a.worktime = times[managed[a.opening_id].manager]
            waiting.append((managed[a.opening_id], a, days))
        totals: dict[str, int] = {}
        for op in mine:
            for s, n in op.counts.items():
                totals[s] = totals.get(s, 0) + n
        return {"openings": mine, "waiting": waiting, "waiting_total": total, "totals": totals}
