"""Weekly digests: what a channel's openings did this week, and when each channel gets one.

A subscription is a channel, a weekday, a local time and a time zone ("Mondays 09:00
Europe/Berlin"). A digest covers the openings whose card is in that channel, or every
opening with ``all``. Privacy: candidate names appear only for an opening whose card lives in
that same *private* channel; everywhere else a digest carries counts only.

Each scheduled digest has a delivery key (channel + the local date it was due), recorded in
the same transaction as its success, so a restart never posts one twice; one missed during
downtime is posted late if less than 24 h late, else skipped with a log line.
"""

from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from . import stages
from .clock import iso
from .errors import BadInput, Forbidden, NotFound
from .followups import Followups, NudgeItem
from .hiring import Hiring
from .slices import Slices
from .storage import Scope
from .worktime import DAY_ALIASES, DAY_NAMES, is_zone, parse_clock, zone

log = logging.getLogger("hirebot.digests")

#: A digest that could not go out on time is still worth sending up to this late.
CATCH_UP_WINDOW = timedelta(hours=24)
WEEK = timedelta(days=7)
_FULL_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass(frozen=True, slots=True)
class Subscription:
    channel_id: str
    weekday: int
    at: time
    tz: str
    scope: str = "channel"
    private_channel: bool = False
    created_by: str = ""
    created_at: str = ""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Subscription:
        return cls(row["channel_id"], row["weekday"], parse_clock(row["at"]), row["tz"], row["scope"],
                   bool(row["private_channel"]), row["created_by"], row["created_at"])

    def describe(self) -> str:
        return f"{_FULL_DAYS[self.weekday]}s at {self.at:%H:%M} ({self.tz})"

    def last_due(self, now: datetime) -> datetime:
        """The most recent scheduled moment at or before ``now`` (UTC)."""
        tz = zone(self.tz)
        local = now.astimezone(tz)
        day = local.date() - timedelta(days=(local.weekday() - self.weekday) % 7)
        due = datetime.combine(day, self.at, tzinfo=tz)
        if due > local:
            due = datetime.combine(day - timedelta(days=7), self.at, tzinfo=tz)
        return due.astimezone(UTC)

    def next_due(self, now: datetime) -> datetime:
        """The next scheduled moment strictly after ``now`` (UTC)."""
        tz = zone(self.tz)
        last = self.last_due(now).astimezone(tz)
        return datetime.combine(last.date() + timedelta(days=7), self.at, tzinfo=tz).astimezone(UTC)

    def key(self, due: datetime) -> str:
        return f"digest:{self.channel_id}:{due.astimezone(zone(self.tz)).date().isoformat()}"


@dataclass(slots=True)
class DigestOpening:
    ref: str
    title: str
    permalink: str | None
    status: str
    is_new: bool
    closed_this_week: bool
    counts: dict[str, int]
    moves: int
    hires: int
    waiting: list[NudgeItem]
    names: bool

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(slots=True)
class Digest:
    channel_id: str | None
    scope: str
    since: datetime
    now: datetime
    openings: list[DigestOpening] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    medians: dict[str, float] = field(default_factory=dict)
    new: int = 0
    closed: int = 0
    moves: int = 0
    hires: int = 0
    waiting: int = 0
    names: bool = False


@dataclass(slots=True)
class DueDigest:
    subscription: Subscription
    due: datetime

    @property
    def key(self) -> str:
        return self.subscription.key(self.due)


class Digests:
    def __init__(self, hiring: Hiring, followups: Followups) -> None:
        self.hiring = hiring
        self.followups = followups
        self.store = hiring.store

    @property
    def clock(self):  # type: ignore[no-untyped-def]
        return self.hiring.clock

    # ------------------------------------------------------------------ subscriptions
    async def subscribe(self, user: str, channel_id: str, private_channel: bool, words: list[str]) -> Subscription:
        """``[mon] [09:00] [Europe/Berlin] [all]`` in any order; defaults Monday 09:00, your time zone."""
        weekday, at, tz, scope = 0, time(9, 0), None, "channel"
        for w in words:
            low = w.lower().rstrip(",")
            if low in DAY_ALIASES:
                weekday = DAY_ALIASES[low]
            elif low in {"all", "everything", "workspace"}:
                scope = "all"
            elif "/" in w or low == "utc":
                if not is_zone(w if low != "utc" else "UTC"):
                    raise BadInput("bad_time_zone", tz=w)
                tz = w if low != "utc" else "UTC"
            else:
                try:
                    at = parse_clock(low)
                except BadInput:
                    raise BadInput("bad_digest_word", word=w) from None
        if scope == "all" and not self.hiring.policy.is_admin(user):
            raise Forbidden("admins_only_digest_all")  # it would carry every opening's counts into one channel
        if tz is None:
            tz = (await self.followups.people.person(user)).tz_name
        now = self.clock()
        async with self.store.transaction() as tx:
            await tx.subscribe_digest(channel_id, weekday, f"{at:%H:%M}", tz, scope, private_channel, user, now)
            await tx.audit(user, "digest.subscribe", channel_id, f"{DAY_NAMES[weekday]} {at:%H:%M} {tz} {scope}", now)
            row = await tx.digest_subscription(channel_id)
        assert row is not None  # written just above, in the same transaction
        await self.hiring.changes.schedule_changed()
        return Subscription.from_row(row)

    async def unsubscribe(self, user: str, channel_id: str) -> None:
        async with self.store.transaction() as tx:
            if not await tx.unsubscribe_digest(channel_id):
                raise NotFound("no_digest", channel=channel_id)
            await tx.audit(user, "digest.unsubscribe", channel_id, None, self.clock())
        await self.hiring.changes.schedule_changed()

    async def subscription(self, channel_id: str) -> Subscription | None:
        async with self.store.transaction() as tx:
            row = await tx.digest_subscription(channel_id)
        return Subscription.from_row(row) if row else None

    async def subscriptions(self) -> list[Subscription]:
        async with self.store.transaction() as tx:
            return [Subscription.from_row(r) for r in await tx.digest_subscriptions()]

    # ------------------------------------------------------------------ content
    async def build(self, channel_id: str | None, private_channel: bool = False, scope: str = "channel") -> Digest:
        """The digest for a channel as of now. ``channel_id=None`` or scope ``all``: every opening.

        Every opening in scope however many there are: the template lists the first ones and
        says how many it left out, and the totals add up all of them (the stage counts are one
        grouped query). The openings and the week's moves come in one short read; the active
        applications (for who is waiting and the medians) a page at a time, with the working-day
        arithmetic done between pages in slices of the event loop."""
        now = self.clock()
        since = now - WEEK
        only = channel_id if scope == "channel" and channel_id else None
        digest = Digest(channel_id, "channel" if only else "all", since, now)
        async with self.store.reading() as tx:
            # A confidential opening (card in a private channel) appears only in that channel's digest.
            rows = [r for r in await tx.openings_for_digest(only, since)
                    if not (r["private_channel"] and channel_id and r["channel_id"] != channel_id)]
            teams = await self.hiring.teams_of(tx, rows)
            moves = await tx.moves_since([r["id"] for r in rows], since)
            limits = await tx.sla_limits()
            who = self.followups.people.lookup(await tx.all_prefs())
        openings = {op.id: op for op in await self.hiring.assemble(rows, teams)}
        moved, hired = week_moves(moves)
        sla = self.followups.sla
        waiting: dict[str, list[NudgeItem]] = {}
        in_stage: dict[str, list[float]] = {}
        slices = Slices()
        everyone = Scope(entered_by=("9999",) * 4)  # every active application, whenever it entered
        async for page in self.store.active_pages({op.id: everyone for op in openings.values() if op.status == "open"}):
            for row in page:
                await slices.pause()
                op = openings[row["opening_id"]]
                boss = who(op.manager)  # days in the working days of each opening's hiring manager
                item = sla.overdue(row, op, boss, limits, now)
                if item is not None:
                    waiting.setdefault(item.opening_ref, []).append(item)
                    days = item.waited  # the same count, already made
                else:
                    days = boss.working_days_between(datetime.fromisoformat(row["stage_since"]), now)
                in_stage.setdefault(row["stage"], []).append(days)
        digest.medians = {s: round(statistics.median(in_stage[s]), 1) for s in stages.OPEN_STAGES if in_stage.get(s)}
        for op in sorted(openings.values(), key=lambda o: (o.status != "open", -len(waiting.get(o.ref, [])), -o.id)):
            await slices.pause()
            names = bool(private_channel and channel_id and op.channel_id == channel_id and op.private_channel)
            d = DigestOpening(ref=op.ref, title=op.title, permalink=op.permalink, status=op.status,
                              is_new=op.created_at >= iso(since), closed_this_week=op.status != "open",
                              counts=op.counts, moves=moved.get(op.id, 0), hires=hired.get(op.id, 0),
                              waiting=sorted(waiting.get(op.ref, []),
                                             key=lambda i: (-(i.waited - i.limit), i.application_id)),
                              names=names)
            for s, n in (op.counts.items() if op.status == "open" else ()):
                digest.totals[s] = digest.totals.get(s, 0) + n
            digest.openings.append(d)
            digest.new += d.is_new
            digest.closed += d.closed_this_week
            digest.moves += d.moves
            digest.hires += d.hires
            digest.waiting += len(d.waiting)
            digest.names = digest.names or names
        return digest

    async def may_preview(self, user: str, channel_id: str, typed_in: str | None) -> None:
        """A digest shows what its channel may see, so previewing another channel's is for its
        members and admins (a private channel's digest names candidates)."""
        if channel_id == typed_in or self.hiring.policy.is_admin(user):
            return
        membership = self.hiring.membership
        if membership is None or not await membership.is_member(channel_id, user):
            raise Forbidden("preview_members_only", channel=channel_id)

    async def for_channel(self, channel_id: str, private_channel: bool) -> Digest:
        """What this channel's digest would say now (its subscription's scope, if any)."""
        sub = await self.subscription(channel_id)
        return await self.build(channel_id, private_channel, sub.scope if sub else "channel")

    # ------------------------------------------------------------------ schedule
    async def due(self) -> list[DueDigest]:
        """Digests to post now: each subscription's latest due time, unless already posted.
        One more than :data:`CATCH_UP_WINDOW` late is skipped (and recorded, so logged once)."""
        now = self.clock()
        out = []
        for sub in await self.subscriptions():
            due = sub.last_due(now)
            if iso(due) < sub.created_at:
                continue  # subscribed after that slot: the first digest is the next one
            key = sub.key(due)
            async with self.store.transaction() as tx:
                if await tx.delivered(key):
                    continue
                if now - due > CATCH_UP_WINDOW:
                    await tx.record_delivery(key, now)
                    log.warning("skipped the digest for %s due %s: %s late (more than %s)", sub.channel_id,
                                iso(due), now - due, CATCH_UP_WINDOW)
                    continue
            out.append(DueDigest(sub, due))
        return out

    async def mark_sent(self, due: DueDigest) -> bool:
        async with self.store.transaction() as tx:
            return await tx.record_delivery(due.key, self.clock())


def week_moves(moves: list[dict[str, Any]]) -> tuple[dict[int, int], dict[int, int]]:
    """Per opening, from one week's stage moves: how many moves, and how many hires.

    Every move of the week counts as a move (an undo too). A hire is an application that was
    not hired when the week began and is hired at its end, judged from its moves in the week:
    the first one's ``from_stage`` and the last one's ``to_stage``. So hired → applied within
    the week is no hire, and neither is undoing and redoing a hire made before the week."""
    moved: dict[int, int] = {}
    first: dict[int, dict[str, Any]] = {}
    last: dict[int, dict[str, Any]] = {}
    for m in sorted(moves, key=lambda m: m["at"]):  # stable: same-second moves keep their order
        moved[m["opening_id"]] = moved.get(m["opening_id"], 0) + 1
        first.setdefault(m["application_id"], m)
        last[m["application_id"]] = m
    hired: dict[int, int] = {}
    for app_id, m in last.items():
        if m["to_stage"] == "hired" and first[app_id]["from_stage"] != "hired":
            hired[m["opening_id"]] = hired.get(m["opening_id"], 0) + 1
    return moved, hired


__all__ = ["Digest", "DigestOpening", "Digests", "DueDigest", "Subscription", "week_moves"]
