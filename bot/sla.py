"""Stage time limits (SLAs) and the nudges that enforce them.

The rules of who is nudged about which waiting candidate, and when; no Slack types. Sending is
the caller's job: :meth:`Sla.sweep` says what should go out now and the caller reports success
with :meth:`Sla.mark_nudged`, which records a unique delivery key in the same transaction that
marks the nudge done, so a restart sends nothing twice.

Noise control, because muted notification channels are how follow-ups die:
- one DM per person per sweep, batching every candidate waiting on them;
- a waiting candidate is nudged at most once per working day, only in working hours
  (the person's Slack time zone and their own hours), never when they said ``notify off``,
  and once a week on their first working day when they said ``notify digest-only``;
- after ``escalate_after`` nudges nobody acted on, the opening's recruiters are told once.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, overload

from . import ids, stages
from .clock import Clock, iso
from .errors import BadInput, Forbidden, InvalidMove, NotFound
from .hiring import Hiring
from .model import Opening
from .people import People, Person
from .slices import Slices
from .storage import ACTIVE_STAGES, Scope, Sweep

log = logging.getLogger("hirebot.sla")

#: Working days an application may sit in a stage before its manager hears about it.
DEFAULT_SLA = {"applied": 2, "screen": 3, "interview": 2, "offer": 3}
#: Nudges recorded per transaction by :meth:`Sla.mark_nudged` (each is a short one).
MARK_CHUNK = 1000
#: Nudge batches' items written per transaction by :meth:`Sla.sweep`.
SAVE_CHUNK = 5000


@dataclass(slots=True)
class NudgeItem:
    """One waiting candidate in a nudge DM."""

    application_id: int
    candidate: str | None
    opening_ref: str
    opening_title: str
    permalink: str | None
    stage: str
    waited: int
    limit: int
    kind: str = "nudge"  # or "escalation": told to a recruiter because the manager did not act
    opening_id: int = 0
    manager: str = ""
    ignored: int = 0
    #: After a button: what happened, as a code the template words: "moved" (to ``status_stage``),
    #: "closed", "snoozed" (until ``status_until``), "done" or "forgotten".
    status: str | None = None
    status_stage: str | None = None
    status_until: datetime | None = None

    @property
    def ref(self) -> str:
        return ids.app(self.application_id)

    @property
    def next_stage(self) -> str | None:
        return stages.next_stage(self.stage)

    def to_json(self) -> dict[str, Any]:
        return {"app": self.application_id, "stage": self.stage, "kind": self.kind, "manager": self.manager,
                "waited": self.waited, "limit": self.limit, "ignored": self.ignored}


#: A :class:`NudgeItem` as a plain tuple of its fields' values, in their order.
Packed = tuple[Any, ...]
_pack: Callable[[NudgeItem], Packed] = operator.attrgetter(*(f.name for f in dataclasses.fields(NudgeItem)))


class PackedItems(Sequence[NudgeItem]):
    """A sweep's items, kept as plain tuples; each :class:`NudgeItem` is made as it is looked at.

    A sweep at 100,000 overdue applications holds 100,000 items until their DMs are sent. As
    objects, every full collection of the garbage collector walked all of them, and full
    collections come often while that many new objects arrive: one blocked the event loop
    33-54 ms during a ``Sla.sweep()`` (bound 50; bench sla-sweep; ``gc.get_objects()`` then held
    100,000 NudgeItems of 126,000 objects). The collector stops tracking a plain tuple of plain
    values at the first collection it survives (a named tuple it keeps tracking), so these are
    not walked again; an item made to be read is freed as soon as it is dropped."""

    __slots__ = ("_rows",)

    def __init__(self, rows: list[Packed]) -> None:
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> NudgeItem: ...

    @overload
    def __getitem__(self, index: slice) -> list[NudgeItem]: ...

    def __getitem__(self, index: int | slice) -> NudgeItem | list[NudgeItem]:
        if isinstance(index, slice):
            return [NudgeItem(*row) for row in self._rows[index]]
        return NudgeItem(*self._rows[index])

    def __iter__(self) -> Iterator[NudgeItem]:
        return (NudgeItem(*row) for row in self._rows)

    def __eq__(self, other: object) -> bool:
        """Equal to the same items, packed or in a list (as the list it replaces was)."""
        if isinstance(other, PackedItems):
            return self._rows == other._rows
        if isinstance(other, list):
            return list(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # (a list's is too: it is not hashable)

    def __repr__(self) -> str:
        return f"PackedItems({list(self)!r})"


@dataclass(slots=True)
class NudgeBatch:
    """Everything one person is nudged about in one DM."""

    id: int
    user_id: str
    items: Sequence[NudgeItem] = field(default_factory=list)
    created_at: str = ""

    @property
    def key(self) -> str:
        """Its delivery key: recorded once the DM went out."""
        return f"nudge:{self.id}"


class Sla:
    def __init__(self, hiring: Hiring, people: People, escalate_after: int = 3) -> None:
        self.hiring = hiring
        self.store = hiring.store
        self.people = people
        self.escalate_after = max(1, escalate_after)

    @property
    def clock(self) -> Clock:
        return self.hiring.clock

    async def limits(self, opening_id: int | None = None) -> dict[str, int]:
        """Stage → working days for an opening (its own, else global, else default)."""
        async with self.store.transaction() as tx:
            if opening_id is not None:
                await self.hiring.load_opening(tx, opening_id)  # NotFound for unknown ids
            all_limits = await tx.sla_limits()
        return {s: _limit(all_limits, opening_id or 0, s) for s in DEFAULT_SLA}

    async def set_limit(self, user: str, opening_id: int | None, stage_text: str, days_text: str) -> dict[str, int]:
        """``opening_id=None`` sets the global limit (admins only)."""
        stage = stages.normalise(stage_text)
        if stage not in DEFAULT_SLA:
            raise BadInput("bad_sla_stage", stage=stage_text, stages=list(DEFAULT_SLA))
        if not days_text.isdigit() or not 1 <= int(days_text) <= 60:
            raise BadInput("bad_sla_days", days=days_text)
        async with self.store.transaction() as tx:
            if opening_id is None:
                if not self.hiring.policy.is_admin(user):
                    raise Forbidden("admins_only_sla")
            else:
                self.hiring.require_manage(await self.hiring.load_opening(tx, opening_id), user)
            await tx.set_sla(opening_id or 0, stage, int(days_text), user, self.clock())
            await tx.audit(user, "sla.set", ids.op(opening_id) if opening_id else "global", f"{stage}={days_text}",
                           self.clock())
        return await self.limits(opening_id)

    async def sweep(self) -> list[NudgeBatch]:
        """Who should hear about which waiting candidates now. Saves each batch (for its buttons)
        but marks nothing as nudged: that happens in :meth:`mark_nudged` once the DM went out.

        A query, not a walk over every active application: the database returns, a page at a
        time in short read transactions, only rows that can be due now (see :meth:`scopes`);
        the exact rule (:meth:`_overdue`, :meth:`_may_nudge`) runs on those in slices of the
        event loop; the batches are written in short transactions at the end. So at 100,000
        active applications neither the loop nor the database is held for long, and a sweep
        on a quiet day reads next to nothing."""
        now = self.clock()
        async with self.store.reading() as tx:
            limits = await tx.sla_limits()
            who = self.people.lookup(await tx.all_prefs())
            rows = await tx.list_openings("open")
            teams = await self.hiring.teams_of(tx, rows, counts=False)
        openings = {op.id: op for op in await self.hiring.assemble(rows, teams)}
        scopes = self.scopes(openings.values(), limits, who, now)
        slices = Slices()
        found: dict[str, _Found] = {}
        async for page in self.store.active_pages(scopes, Sweep(now, self.escalate_after)):
            for row in page:
                await slices.pause()
                op = openings[row["opening_id"]]
                manager = op.manager
                boss = who(manager)
                state = _state(row)
                item = self._overdue(row, op, boss, limits, state, now)
                if item is None:
                    continue
                if self._may_nudge(boss, state, now):
                    found.setdefault(manager, _Found()).add(item)
                if state and state["ignored"] >= self.escalate_after and not state["escalated_at"]:
                    for m in op.members:
                        rec = who(m.user_id)
                        if m.role == "recruiter" and m.user_id != manager and rec.notify != "off" \
                                and rec.is_working(now):
                            esc = dataclasses.replace(item, kind="escalation", ignored=state["ignored"])
                            found.setdefault(m.user_id, _Found()).add(esc)
        ready: list[tuple[str, list[Packed], str]] = []
        for user, one in sorted(found.items()):
            packed = one.in_order()
            ready.append((user, packed, await _json_list(packed, slices)))
        out = []
        for group in _groups(ready):
            async with self.store.transaction(background=True) as tx:
                for user, packed, text in group:
                    out.append(NudgeBatch(await tx.insert_nudge_batch(user, text, now), user, PackedItems(packed),
                                          iso(now)))
        return out

    def scopes(self, openings: Iterable[Opening], limits: dict[tuple[int, str], int], who: Callable[[str], Person],
               now: datetime) -> dict[int, Scope]:
        """What of each opening's active applications a sweep reads: a superset of what
        :meth:`_overdue` and :meth:`_may_nudge` can pass, decided by the database.

        The bound on when a candidate entered its stage: past the limit means ``limit + 1``
        whole working days, each a different date of the manager's local clock, so at least
        ``limit + 1`` days of that clock have passed; between two moments it drifts from UTC by
        less than a day (a daylight-saving change is an hour), so more than ``limit`` days of
        UTC have. A candidate who entered later (or was marked *Done* later) cannot be past the
        limit, in any time zone, whatever the working days; weekends only make it later. Then
        ``quiet``: the dates of a last nudge that leave the manager alone today (today; for
        digest-only, the last six days, and nothing outside their weekly day), and
        ``escalate``: a recruiter who could hear about an ignored candidate now.

        Each person and each limit is worked out once (thousands of openings share a few)."""
        cutoffs: dict[int, str] = {}
        quiet: dict[str, tuple[str, str] | None] = {}
        available: dict[str, bool] = {}

        def cutoff(days: int) -> str:
            if days not in cutoffs:
                cutoffs[days] = iso(now - timedelta(days=days))
            return cutoffs[days]

        def quiet_for(user: str) -> tuple[str, str] | None:
            if user not in quiet:
                quiet[user] = self._quiet(who(user), now)
            return quiet[user]

        def can_hear(user: str) -> bool:
            if user not in available:
                person = who(user)
                available[user] = person.notify != "off" and person.is_working(now)
            return available[user]

        out = {}
        for op in openings:
            a, b, c, d = (cutoff(_limit(limits, op.id, s)) for s in ACTIVE_STAGES)
            out[op.id] = Scope(entered_by=(a, b, c, d), quiet=quiet_for(op.manager),
                               escalate=any(m.role == "recruiter" and m.user_id != op.manager and can_hear(m.user_id)
                                            for m in op.members))
        return out

    @staticmethod
    def _quiet(boss: Person, now: datetime) -> tuple[str, str] | None:
        """The ``last_nudged_on`` dates that keep :meth:`_may_nudge` from nudging ``boss`` now,
        or None when it nudges them about nothing now."""
        if boss.notify == "off" or not boss.is_working(now):
            return None
        today = boss.local_date(now)
        if boss.notify != "digest-only":
            return (today, today)
        day = datetime.fromisoformat(today).date()
        if day.weekday() != min(boss.hours.days):
            return None
        return ((day - timedelta(days=5)).isoformat(), "9999-12-31")

    def overdue(self, row: dict[str, Any], op: Opening, boss: Person, limits: dict[tuple[int, str], int],
                now: datetime) -> NudgeItem | None:
        """A row of :meth:`bot.storage.Store.active_pages` as a nudge item, if it is past its
        limit by :meth:`_overdue`'s rule. The one rule behind both the nudges and the digest's
        waiting counts, so they agree."""
        return self._overdue(row, op, boss, limits, _state(row), now)

    def _overdue(self, a: dict[str, Any], op: Opening, boss: Person, limits: dict[tuple[int, str], int],
                 state: dict[str, Any] | None, now: datetime) -> NudgeItem | None:
        """A nudge item if the application is past its limit and not snoozed, else None.

        The rule, in the hiring manager's working days (their hours and time zone): an
        application is past its limit when more than ``limit`` whole working days have passed
        since it entered its stage, or since the last *Done* on it in this stage (``waited >
        limit``: with limit 2, entered Monday 10:00, it is past on Thursday 10:00, showing "3
        working days"); and it is not snoozed (a snooze runs until ``snoozed_until``)."""
        limit = _limit(limits, op.id, a["stage"])
        since = datetime.fromisoformat(a["stage_since"])
        base = max(since, datetime.fromisoformat(state["acked_at"])) if state and state["acked_at"] else since
        counted = boss.working_days_between(base, now)
        if counted <= limit:
            return None
        if state and state["snoozed_until"] and now < datetime.fromisoformat(state["snoozed_until"]):
            return None
        return NudgeItem(application_id=a["id"], candidate=a["candidate_name"], opening_ref=op.ref,
                         opening_title=op.title, permalink=op.permalink, stage=a["stage"],
                         waited=counted if base == since else boss.working_days_between(since, now), limit=limit,
                         manager=boss.user_id, ignored=state["ignored"] if state else 0, opening_id=op.id)

    def _may_nudge(self, person: Person, state: dict[str, Any] | None, now: datetime) -> bool:
        if person.notify == "off" or not person.is_working(now):
            return False
        today = person.local_date(now)
        if state and state["last_nudged_on"] == today:
            return False  # at most once per working day
        if person.notify == "digest-only":
            day = datetime.fromisoformat(today).date()
            first_day = min(person.hours.days)
            last = state["last_nudged_on"] if state else None
            recent = last is not None and (day - datetime.fromisoformat(last).date()).days < 6
            return day.weekday() == first_day and not recent
        return True

    async def mark_nudged(self, batch: NudgeBatch) -> bool:
        """After the DM went out: record it, count the nudge, note escalations. Once per batch.

        In transactions of :data:`MARK_CHUNK` items, each a couple of statements: a batch can
        hold tens of thousands, and one transaction for all of them held the write lock for
        seconds. The first records the delivery key with its items, so a second call for the
        batch changes nothing. A crash between two of them leaves the later items unmarked:
        the next sweep may nudge those once more (before, such a crash repeated all of them)."""
        now = self.clock()
        today = ""
        for start in range(0, max(len(batch.items), 1), MARK_CHUNK):
            chunk = batch.items[start:start + MARK_CHUNK]
            async with self.store.transaction(background=True) as tx:
                if start == 0:
                    if not await tx.record_delivery(batch.key, now):
                        return False
                    today = self.people.resolve(batch.user_id, await tx.prefs(batch.user_id)).local_date(now)
                await tx.mark_escalated([(i.application_id, i.stage) for i in chunk if i.kind == "escalation"], now)
                await tx.mark_nudged([(i.application_id, i.stage) for i in chunk if i.kind != "escalation"], today)
        return True

    async def batch(self, batch_id: int, user: str) -> NudgeBatch:
        """A nudge DM as it should look now: each item with its current state (for in-place updates)."""
        now = self.clock()
        async with self.store.transaction() as tx:
            row = await tx.nudge_batch(batch_id)
            if row is None or (row["user_id"] != user and user not in self.hiring.admins):
                raise NotFound("stale_button", where="nudge")
            prefs = await tx.all_prefs()
            items: list[NudgeItem] = []
            batch = NudgeBatch(batch_id, row["user_id"], items, row["created_at"])
            for it in json.loads(row["items"]):
                try:
                    app, op = await self.hiring.load_with_opening(tx, it["app"])
                except NotFound:
                    continue
                # As it was when sent: the row keeps its numbers after the candidate moves on.
                item = NudgeItem(application_id=app.id, candidate=app.candidate_name, opening_ref=op.ref,
                                 opening_title=op.title, permalink=op.permalink, stage=it["stage"],
                                 waited=it["waited"], limit=it["limit"], kind=it["kind"],
                                 manager=it.get("manager") or op.manager, ignored=it.get("ignored", 0),
                                 opening_id=op.id)
                state = await tx.sla_state(app.id)
                if state and state["stage"] != app.stage:
                    state = None
                if app.forgotten_at:
                    item.status = "forgotten"
                elif app.stage != it["stage"]:
                    item.status, item.status_stage = "moved", app.stage
                elif op.status != "open":
                    item.status = "closed"
                elif state and state["snoozed_until"] and now < datetime.fromisoformat(state["snoozed_until"]):
                    me = self.people.resolve(user, prefs.get(user))
                    item.status = "snoozed"
                    item.status_until = datetime.fromisoformat(state["snoozed_until"]).astimezone(me.tz)
                elif state and state["acked_at"] and state["acked_at"] >= row["created_at"]:
                    item.status = "done"
                items.append(item)
            return batch

    async def act_on_nudge(self, batch_id: int, application_id: int, stage: str, action: str,
                           user: str) -> NudgeBatch:
        """A button on a nudge DM: ``advance`` (to the next stage), ``reject``, ``snooze_1``,
        ``snooze_3`` or ``done``. ``stage`` is the one the DM was about, so a click after the
        candidate moved changes nothing. Returns the DM as it should look now."""
        if action in {"advance", "reject"}:
            target = stages.next_stage(stage) if action == "advance" else "rejected"
            if target is None:
                raise InvalidMove("cannot_move", ref=ids.app(application_id), stage=stage, target="-",
                                  allowed=stages.allowed_moves(stage))
            await self.hiring.move(application_id, user, target, "from a follow-up reminder", expected_stage=stage)
        elif action in {"snooze_1", "snooze_3"}:
            await self.snooze(application_id, user, int(action[-1]))
        elif action == "done":
            await self.done(application_id, user)
        else:
            raise BadInput("stale_button", where="nudge")
        return await self.batch(batch_id, user)

    async def snooze(self, application_id: int, user: str, days: int) -> None:
        """Quiet a waiting candidate for ``days`` working days of the person snoozing: Friday
        11:47 + 1 is Monday 11:47; from outside working hours it counts from the next start."""
        if days not in (1, 3, 7):
            raise BadInput("bad_snooze")
        async with self.store.transaction() as tx:
            app, op = await self.hiring.load_with_opening(tx, application_id)
            self.hiring.require_manage(op, user)
            person = self.people.resolve(user, await tx.prefs(user))
            until = person.add_working_days(self.clock(), days)
            await tx.put_sla_state(app.id, app.stage, snoozed_until=iso(until), ignored=0)
            await tx.audit(user, "sla.snooze", app.ref, iso(until), self.clock())

    async def done(self, application_id: int, user: str) -> None:
        """"Done": I followed up. The clock for this stage restarts from now."""
        async with self.store.transaction() as tx:
            app, op = await self.hiring.load_with_opening(tx, application_id)
            self.hiring.require_manage(op, user)
            await tx.put_sla_state(app.id, app.stage, acked_at=iso(self.clock()), ignored=0, snoozed_until=None,
                                   escalated_at=None)
            await tx.audit(user, "sla.done", app.ref, None, self.clock())

_STATE = ("stage", "snoozed_until", "acked_at", "last_nudged_on", "ignored", "escalated_at")


def _state(row: dict[str, Any]) -> dict[str, Any] | None:
    """A page row's follow-up state: only ever about the stage the application is in now (the
    query joins it on that stage), None when there is none."""
    if row.get("state_stage") is None:
        return None
    return {k: row[f"state_{k}"] for k in _STATE}


class _Found:
    """One person's items of a sweep (packed: see :class:`PackedItems`), put in the order their
    DM lists them: nudges before escalations, most overdue first, then by id. That order is one
    int per item, worked out as the items arrive (between turns of the loop) and kept beside
    them, so sorting even 50,000 is a short C sort on ints."""

    def __init__(self) -> None:
        self.rows: list[Packed] = []
        self.keys: list[int] = []

    def add(self, item: NudgeItem) -> None:
        self.keys.append(((item.kind != "nudge") << 100) | ((2**40 - (item.waited - item.limit)) << 50)
                         | item.application_id)
        self.rows.append(_pack(item))

    def in_order(self) -> list[Packed]:
        return [self.rows[i] for i in sorted(range(len(self.rows)), key=self.keys.__getitem__)]


async def _json_list(rows: list[Packed], slices: Slices) -> str:
    """The items as a JSON list, encoded a few hundred at a time between turns of the loop."""
    parts = []
    for start in range(0, len(rows), 500):
        parts.append(json.dumps([NudgeItem(*r).to_json() for r in rows[start:start + 500]])[1:-1])
        await slices.pause()
    return "[" + ", ".join(parts) + "]"


def _groups(ready: list[tuple[str, list[Packed], str]]) -> list[list[tuple[str, list[Packed], str]]]:
    """Batches to save, grouped so no transaction writes more than :data:`SAVE_CHUNK` items
    (a batch larger than that is a group of its own)."""
    groups: list[list[tuple[str, list[Packed], str]]] = []
    size = SAVE_CHUNK
    for entry in ready:
        if size + len(entry[1]) > SAVE_CHUNK:
            groups.append([])
            size = 0
        groups[-1].append(entry)
        size += len(entry[1])
    return groups


def _limit(limits: dict[tuple[int, str], int], opening_id: int, stage: str) -> int:
    return limits.get((opening_id, stage)) or limits.get((0, stage)) or DEFAULT_SLA.get(stage, 5)
