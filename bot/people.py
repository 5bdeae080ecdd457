"""People: each user's follow-up settings (notify mode, working hours) and Slack time zone.

Reminders and nudges both ask here "is this person working now, and in which zone?", so one
service owns the settings and the time-zone cache (refreshed from the ``Directory`` port).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .clock import Clock, iso
from .errors import BadInput
from .hiring import Hiring
from .ports import Directory
from .worktime import WorkHours, zone

log = logging.getLogger("hirebot.people")

NOTIFY_MODES = ("on", "off", "digest-only")
#: Slack time zones change rarely (travel); look again after this long.
TZ_FRESH_FOR = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Person:
    """One user's follow-up settings, resolved: defaults filled in."""

    user_id: str
    notify: str
    hours: WorkHours
    tz_name: str

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.tz_name)

    def is_working(self, now: datetime) -> bool:
        return self.hours.is_working(now.astimezone(self.tz))

    def local_date(self, now: datetime) -> str:
        """The working day ``now`` belongs to (a night shift's small hours: the day it began)."""
        return self.hours.working_date(now.astimezone(self.tz)).isoformat()

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Whole working days of this person from ``start`` to ``end``."""
        return self.hours.working_days_between(start, end, self.tz)

    def add_working_days(self, start: datetime, n: int) -> datetime:
        return self.hours.add_working_days(start, n, self.tz)


class People:
    def __init__(self, hiring: Hiring, default_tz: str = "UTC", directory: Directory | None = None) -> None:
        self.hiring = hiring
        self.store = hiring.store
        self.default_tz = default_tz
        self.directory = directory
        hiring.working_time = self.resolve  # days in stage are counted in the manager's working days

    @property
    def clock(self) -> Clock:
        return self.hiring.clock

    def resolve(self, user: str, row: dict[str, Any] | None) -> Person:
        row = row or {}
        hours = WorkHours()
        if row.get("work_start") or row.get("work_days"):
            try:
                hours = WorkHours.parse(f"{row.get('work_start') or '09:00'}-{row.get('work_end') or '18:00'}",
                                        row.get("work_days"))
            except BadInput:
                log.warning("ignoring unreadable working hours of %s", user)
        return Person(user, row.get("notify") or "on", hours, row.get("tz") or self.default_tz)

    def lookup(self, prefs: dict[str, dict[str, Any]]) -> Callable[[str], Person]:
        """A lookup of resolved settings over one read of everyone's preferences, cached per user."""
        people: dict[str, Person] = {}

        def who(user: str) -> Person:
            if user not in people:
                people[user] = self.resolve(user, prefs.get(user))
            return people[user]

        return who

    async def person(self, user: str) -> Person:
        """A user's settings, refreshing their Slack time zone when the cached one is stale."""
        async with self.store.reading() as tx:
            row = await tx.prefs(user)
        if self.directory is not None and _tz_stale(row, self.clock()):
            await self.refresh_timezone(user)
            async with self.store.reading() as tx:
                row = await tx.prefs(user)
        return self.resolve(user, row)

    async def refresh_timezone(self, user: str) -> None:
        if self.directory is None:
            return
        try:
            tz = await self.directory.timezone(user)
        except Exception:
            log.warning("could not look up the time zone of %s", user, exc_info=True)
            return
        async with self.store.transaction(cache=True) as tx:  # derived from Slack: never the command's effect
            await tx.set_prefs(user, tz=tz if tz and zone(tz).key == tz else None, tz_checked_at=iso(self.clock()))

    async def refresh_team_timezones(self, limit: int = 50) -> int:
        """Look up time zones of hiring-team members not checked lately (before a sweep)."""
        now = self.clock()
        async with self.store.reading() as tx:
            prefs = await tx.all_prefs()
            users = await tx.open_team_members()
        stale = sorted(u for u in users if _tz_stale(prefs.get(u), now))
        for user in stale[:limit]:
            await self.refresh_timezone(user)
        return min(len(stale), limit)

    async def set_notify(self, user: str, mode: str) -> Person:
        mode = mode.lower().strip()
        if mode not in NOTIFY_MODES:
            raise BadInput("bad_notify", mode=mode)
        async with self.store.transaction() as tx:
            await tx.set_prefs(user, notify=mode)
            await tx.audit(user, f"notify.{mode}", user, None, self.clock())
        return await self.person(user)

    async def set_hours(self, user: str, hours: str, days: str | None) -> Person:
        wh = WorkHours.parse(hours, days)
        async with self.store.transaction() as tx:
            await tx.set_prefs(user, work_start=f"{wh.start:%H:%M}", work_end=f"{wh.end:%H:%M}", work_days=wh.days_text)
        return await self.person(user)


def _tz_stale(prefs: dict[str, Any] | None, now: datetime) -> bool:
    """True when a user's Slack time zone was never looked up, or not within TZ_FRESH_FOR."""
    checked = (prefs or {}).get("tz_checked_at")
    return not checked or now - datetime.fromisoformat(checked) > TZ_FRESH_FOR
