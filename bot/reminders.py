"""Manual reminders: "/hiring remind APP-7 tomorrow 9am", delivered as DMs in working hours.

A reminder is dropped when it stops applying (the candidate moved, was forgotten, the opening
closed): eagerly in the transaction of that change, and again when it falls due. Delivery
records a unique key in the same transaction that marks it sent, so a restart repeats nothing.

With several replicas, the run that finds a reminder due claims it (:mod:`bot.leases`): the
others skip it while the claim lasts, and marking it sent or failed acts only under its claim.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from . import ids, stages
from .clock import Clock, iso
from .errors import BadInput, NotFound
from .hiring import Hiring
from .leases import Replica, new_token
from .people import People
from .storage import Tx
from .worktime import parse_when

log = logging.getLogger("hirebot.reminders")

MAX_REMINDER_TEXT = 500
MAX_PENDING_PER_USER = 100
#: A send that failed after its retries is tried again this much later, not dropped.
RETRY_LATER = timedelta(minutes=5)


@dataclass(slots=True)
class Reminder:
    """A reminder someone set with ``/hiring remind``, ready to show or send."""

    id: int
    user_id: str
    subject: str
    title: str
    candidate: str | None
    text: str | None
    due_at: datetime
    asked_for: datetime
    permalink: str | None = None
    attempts: int = 0
    #: It fell due while its person was off work and waited for the start of their working day.
    held: bool = False
    #: The claim this replica holds on it while sending (set by :meth:`Reminders.due_reminders`).
    token: str = ""

    @property
    def key(self) -> str:
        return f"reminder:{self.id}:{iso(self.due_at)}"


class Reminders:
    def __init__(self, hiring: Hiring, people: People, replica: Replica | None = None) -> None:
        self.hiring = hiring
        self.store = hiring.store
        self.people = people
        self.replica = replica or Replica()

    @property
    def clock(self) -> Clock:
        return self.hiring.clock

    async def remind(self, user: str, target: str, when_text: str) -> Reminder:
        """``/hiring remind APP-7 in 2d call back``: remind ``user`` about an application or opening."""
        app_id, op_id = ids.parse_app(target), ids.parse_op(target)
        if app_id is None and op_id is None:
            raise BadInput("bad_remind_target", target=target)
        person = await self.people.person(user)
        now = self.clock()
        asked, said = parse_when(when_text, now, person.tz, hours=person.hours)
        due = person.hours.next_working_moment(asked, person.tz)
        text = said.strip()[:MAX_REMINDER_TEXT] or None
        async with self.store.transaction() as tx:
            if len(await tx.pending_reminders_of(user, MAX_PENDING_PER_USER)) >= MAX_PENDING_PER_USER:
                raise BadInput("too_many_reminders", limit=MAX_PENDING_PER_USER)
            stage = None
            if app_id is not None:
                app, op = await self.hiring.load_with_opening(tx, app_id)
                self.hiring.require_team(op, user)
                if app.forgotten_at or app.stage not in stages.OPEN_STAGES:
                    raise BadInput("nothing_to_follow_up", ref=app.ref,
                                   state="forgotten" if app.forgotten_at else app.stage)
                stage, op_id = app.stage, op.id
            else:
                op = await self.hiring.load_opening(tx, op_id or 0)
                self.hiring.require_team(op, user)
            if op.status != "open":
                raise BadInput("nothing_to_follow_up", ref=op.ref, state=op.status)
            about_opening = op_id if app_id is None else None
            rid = await tx.insert_reminder(user, about_opening, app_id, stage, text, asked, due, now)
            await tx.audit(user, "reminder.create", ids.app(app_id) if app_id else op.ref, iso(due), now)
            row = await tx.reminder(rid)
            assert row is not None  # inserted just above, in the same transaction
            reminder = await self._reminder(tx, row)
        await self.hiring.changes.schedule_changed()
        return reminder

    async def _reminder(self, tx: Tx, row: dict[str, Any]) -> Reminder:
        """A reminder row with what it is about; a subject that no longer applies raises NotFound."""
        candidate, permalink = None, None
        if row["application_id"] is not None:
            app, op = await self.hiring.load_with_opening(tx, row["application_id"])
            subject, candidate = app.ref, app.candidate_name
            if app.forgotten_at or app.stage != row["stage"] or op.status != "open":
                raise NotFound("reminder_moot", ref=app.ref)
        else:
            op = await self.hiring.load_opening(tx, row["opening_id"])
            subject = op.ref
            if op.status != "open":
                raise NotFound("reminder_moot", ref=op.ref)
        permalink = op.permalink
        return Reminder(id=row["id"], user_id=row["user_id"], subject=subject, title=f"{op.ref} {op.title}",
                        candidate=candidate, text=row["text"], due_at=datetime.fromisoformat(row["due_at"]),
                        asked_for=datetime.fromisoformat(row["asked_for"]), permalink=permalink,
                        attempts=row["attempts"])

    async def reminders_of(self, user: str) -> list[Reminder]:
        out = []
        async with self.store.transaction() as tx:
            for row in await tx.pending_reminders_of(user):
                try:
                    out.append(await self._reminder(tx, row))
                except NotFound:
                    await tx.finish_reminder(row["id"], "dropped", self.clock())
        return out

    async def cancel(self, user: str, reminder_id: int) -> None:
        async with self.store.transaction() as tx:
            row = await tx.reminder(reminder_id)
            if row is None or row["user_id"] != user:
                raise NotFound("no_reminder")
            if not await tx.finish_reminder(reminder_id, "cancelled", self.clock()):
                raise BadInput("reminder_finished", status=row["status"])
            await tx.audit(user, "reminder.cancel", f"reminder:{reminder_id}", None, self.clock())
        await self.hiring.changes.schedule_changed()

    async def due_reminders(self, limit: int = 500) -> list[Reminder]:
        """Reminders due now, claimed for this replica (one lease): due ones another replica holds
        are left to it. Ones that no longer apply are dropped here, in the same pass.

        One that fell due in its person's working hours but is still unsent after they ended
        (the clock jumped, hirebot was down) waits for the start of their next working period,
        so everything that piled up arrives there together in one DM. (``remind`` only ever
        sets due times inside working hours.)"""
        now = self.clock()
        token, replica = new_token(), self.replica
        out = []
        async with self.store.transaction() as tx:
            who = self.people.lookup(await tx.all_prefs())
            for row in await tx.claim_due_reminders(now, replica.now(), replica.id, token, replica.until(), limit):
                person = who(row["user_id"])
                if not person.is_working(now) and person.is_working(datetime.fromisoformat(row["due_at"])):
                    await tx.retry_claimed_reminder(row["id"], token, person.hours.next_working_moment(now, person.tz))
                    continue
                try:
                    reminder = await self._reminder(tx, row)
                    reminder.held = reminder.due_at > reminder.asked_for and not person.is_working(
                        reminder.due_at - timedelta(seconds=1))  # due at the very start of a working period
                    reminder.token = token
                    out.append(reminder)
                except NotFound as gone:
                    log.info("dropping reminder %s: %s", row["id"], gone)
                    await tx.finish_reminder(row["id"], "dropped", now)
        return out

    async def next_reminder_due(self) -> datetime | None:
        """When the next reminder this replica could claim falls due (held ones are not)."""
        async with self.store.reading() as tx:
            due = await tx.next_unclaimed_reminder_due(self.replica.now())
        return datetime.fromisoformat(due) if due else None

    async def next_lease_end(self) -> datetime | None:
        """When the first claim held on a pending reminder runs out (on the replica's clock)."""
        async with self.store.reading() as tx:
            until = await tx.next_reminder_lease_end(self.replica.now())
        return datetime.fromisoformat(until) if until else None

    async def still_ours(self, reminders: list[Reminder]) -> bool:
        """The fence before a reminder DM goes out: every one of them still claimed by us (the
        claims renewed for one more lease) and none recorded as delivered."""
        if not reminders:
            return False
        async with self.store.transaction() as tx:
            renewed = 0
            for token in {r.token for r in reminders}:
                renewed += await tx.renew_reminder_claims([r.id for r in reminders if r.token == token], token,
                                                          self.replica.until())
            return renewed == len(reminders) and not await tx.any_delivered([r.key for r in reminders])

    async def release(self, reminders: list[Reminder]) -> None:
        """Give back the claims still ours (the DM did not go out), for any replica to send at once."""
        async with self.store.transaction() as tx:
            for token in {r.token for r in reminders}:
                await tx.release_reminder_claims([r.id for r in reminders if r.token == token], token)

    async def mark_sent(self, reminders: list[Reminder]) -> int:
        """:meth:`mark_reminder_sent` for the reminders of one DM, in one transaction; how many were
        still ours to finish."""
        done = 0
        async with self.store.transaction() as tx:
            for r in reminders:
                if await tx.finish_claimed_reminder(r.id, r.token, "sent", self.clock()) \
                        and await tx.record_delivery(r.key, self.clock()):
                    done += 1
        return done

    async def mark_reminder_sent(self, reminder: Reminder) -> bool:
        """Finish the reminder and record its delivery together, under our claim; False if the
        claim is not ours any more or it had gone out already."""
        async with self.store.transaction() as tx:
            if not await tx.finish_claimed_reminder(reminder.id, reminder.token, "sent", self.clock()):
                return False
            return await tx.record_delivery(reminder.key, self.clock())

    async def reminder_failed(self, reminder: Reminder) -> datetime | None:
        """Try again later (and give the claim back); None if the claim is not ours any more."""
        retry = self.clock() + RETRY_LATER * (1 << min(reminder.attempts, 5))
        async with self.store.transaction() as tx:
            if not await tx.retry_claimed_reminder(reminder.id, reminder.token, retry):
                return None
        return retry
