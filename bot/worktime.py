"""Working time: hours and days in a person's own time zone, and reading "tomorrow 9am".

Reminders and SLA limits are about people's working days, not wall-clock hours: a candidate
added on Friday evening has not waited three days by Monday morning. Everything here is pure
(no I/O, no clock): callers pass ``now`` and a time zone, so tests cover any zone and date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import BadInput

DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAY_ALIASES = {name: i for i, name in enumerate(DAY_NAMES)}
DAY_ALIASES.update({"monday": 0, "tuesday": 1, "tues": 1, "wednesday": 2, "thursday": 3, "thur": 3, "thurs": 3,
                     "friday": 4, "saturday": 5, "sunday": 6})
#: No working-day search looks further than this; a schedule with no working day is refused earlier.
_MAX_SCAN_DAYS = 370


def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """A ZoneInfo for ``name``, or the fallback when Slack gave nothing usable."""
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
        return True
    except (ZoneInfoNotFoundError, ValueError):
        return False


@dataclass(frozen=True, slots=True)
class WorkHours:
    """When someone works: ``start``–``end`` local time on ``days`` (0 = Monday)."""

    start: time = time(9, 0)
    end: time = time(18, 0)
    days: frozenset[int] = frozenset(range(5))

    def __post_init__(self) -> None:
        if not self.days:
            raise BadInput("no_working_days")
        if self.end <= self.start:
            raise BadInput("hours_backwards")

    # ------------------------------------------------------------------ text form
    @classmethod
    def parse(cls, hours: str | None, days: str | None = None) -> WorkHours:
        """From ``"09:00-18:00"`` and ``"mon-fri"`` (or ``"mon,tue,thu"``); None keeps defaults."""
        default = cls()
        start, end = default.start, default.end
        if hours:
            m = re.fullmatch(r"\s*(\S+?)\s*(?:-|–|to)\s*(\S+)\s*", hours)
            if not m:
                raise BadInput("bad_hours", hours=hours)
            start, end = parse_clock(m.group(1)), parse_clock(m.group(2))
        return cls(start, end, parse_days(days) if days else default.days)

    def describe(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M} {describe_days(self.days)}"

    @property
    def days_text(self) -> str:
        return ",".join(DAY_NAMES[d] for d in sorted(self.days))

    # ------------------------------------------------------------------ arithmetic
    def is_working(self, local: datetime) -> bool:
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def next_working_moment(self, when: datetime, tz: ZoneInfo) -> datetime:
        """``when`` if it falls in working hours, else the start of the next working period (UTC)."""
        local = when.astimezone(tz)
        if self.is_working(local):
            return when.astimezone(UTC)
        day = local.date()
        if local.weekday() in self.days and local.time() < self.start:
            return _at(day, self.start, tz)
        for _ in range(_MAX_SCAN_DAYS):
            day += timedelta(days=1)
            if day.weekday() in self.days:
                return _at(day, self.start, tz)
        return when.astimezone(UTC)  # unreachable: days is never empty

    def add_working_days(self, start: datetime, n: int, tz: ZoneInfo) -> datetime:
        """``n`` working days after ``start``, same local time of day (UTC result).

        Time that starts outside working hours counts from the next working moment, so a
        candidate added on Saturday is due ``n`` working days after Monday morning.
        """
        begin = self.next_working_moment(start, tz).astimezone(tz)
        day, left = begin.date(), n
        for _ in range(_MAX_SCAN_DAYS * 2):
            if left <= 0:
                break
            day += timedelta(days=1)
            if day.weekday() in self.days:
                left -= 1
        return _at(day, begin.time(), tz)

    def working_days_between(self, start: datetime, end: datetime, tz: ZoneInfo) -> int:
        """Whole working days from ``start`` to ``end`` (for "4 working days in screen").

        Arithmetic on whole weeks, not a walk over the days: a digest computes this for
        thousands of candidates."""
        if end <= start:
            return 0
        a, b = self.next_working_moment(start, tz).astimezone(tz), end.astimezone(tz)
        if b <= a:
            return 0
        count = self.count_days(a.date(), b.date())
        if b.date() > a.date() and b.weekday() in self.days and b.time() < a.time():
            count -= 1  # the last day is not over yet
        return count

    def count_days(self, a: date, b: date) -> int:
        """Working days ``d`` with ``a < d <= b``."""
        n = (b - a).days
        if n <= 0:
            return 0
        weeks, rest = divmod(n, 7)
        wd = a.weekday()
        return weeks * len(self.days) + sum(1 for k in range(1, rest + 1) if (wd + k) % 7 in self.days)


def _at(day: date, t: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, t, tzinfo=tz).astimezone(UTC)


def parse_clock(text: str) -> time:
    """``9``, ``9am``, ``9:30``, ``09:30``, ``5pm``, ``17:00`` → a time."""
    m = re.fullmatch(r"\s*(\d{1,2})(?::(\d{2}))?\s*([ap]\.?m\.?)?\s*", text.lower())
    if not m:
        raise BadInput("bad_time", text=text)
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").replace(".", "")
    if half:
        if not 1 <= hour <= 12:
            raise BadInput("bad_time", text=text)
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise BadInput("bad_time", text=text)
    return time(hour, minute)


def parse_days(text: str) -> frozenset[int]:
    """``mon-fri``, ``sun-thu``, ``mon,wed,fri`` → weekday numbers."""
    out: set[int] = set()
    for part in re.split(r"\s*,\s*", text.strip().lower()):
        m = re.fullmatch(r"([a-z]+)(?:\s*(?:-|–)\s*([a-z]+))?", part)
        if not m or m.group(1) not in DAY_ALIASES or (m.group(2) and m.group(2) not in DAY_ALIASES):
            raise BadInput("bad_days", text=text)
        a = DAY_ALIASES[m.group(1)]
        b = DAY_ALIASES[m.group(2)] if m.group(2) else a
        d = a
        while True:
            out.add(d)
            if d == b:
                break
            d = (d + 1) % 7
    return frozenset(out)


def describe_days(days: frozenset[int]) -> str:
    ordered = sorted(days)
    if len(ordered) == 7:
        return "every day"
    for first in ordered:  # a run that may wrap past Sunday, like Sun–Thu
        if (first - 1) % 7 not in days:
            run = [(first + k) % 7 for k in range(len(ordered))]
            if len(ordered) > 2 and set(run) == days:
                return f"{DAY_NAMES[run[0]].title()}–{DAY_NAMES[run[-1]].title()}"
            break
    return ", ".join(DAY_NAMES[d].title() for d in ordered)


_UNITS = {"m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
          "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
          "d": "days", "day": "days", "days": "days", "w": "weeks", "wk": "weeks", "week": "weeks", "weeks": "weeks"}
_TIME_TOKEN = re.compile(r"^(\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?|noon)$", re.I)


def parse_when(text: str, now: datetime, tz: ZoneInfo, default_time: time = time(9, 0)) -> tuple[datetime, str]:
    """Read a time expression at the start of ``text``; return (UTC moment, the text after it).

    Understands ``in 2d`` / ``in 3 hours`` / ``in 1w``, ``today|tomorrow [at] [9am]``,
    ``mon`` … ``sunday [time]`` (the next one), ``YYYY-MM-DD [time]`` and ``at 5pm``.
    A day without a time means ``default_time`` (the start of the working day).
    """
    words = text.split()
    local_now = now.astimezone(tz)
    low = [w.lower().rstrip(",") for w in words]
    if not low:
        raise BadInput("when_missing")

    def take_time(i: int) -> tuple[time | None, int]:
        j = i + 1 if i < len(low) and low[i] == "at" else i
        if j + 1 < len(low) and re.fullmatch(r"\d{1,2}(?::\d{2})?", low[j]) and low[j + 1] in {"am", "pm"}:
            return parse_clock(low[j] + low[j + 1]), j + 2
        if j < len(low) and _TIME_TOKEN.match(low[j]):
            return (time(12, 0) if low[j] == "noon" else parse_clock(low[j])), j + 1
        return None, i

    if low[0] == "in":
        m, used = None, 2
        if len(low) > 1:
            m = re.fullmatch(r"(\d{1,4})([a-z]+)", low[1])
            if not m and len(low) > 2 and low[1].isdigit():
                m, used = re.fullmatch(r"(\d{1,4})([a-z]+)", low[1] + low[2]), 3
        if not m or m.group(2) not in _UNITS:
            raise BadInput("bad_duration", text=" ".join(words[:3]))
        amount = int(m.group(1))
        if amount <= 0 or (_UNITS[m.group(2)] == "weeks" and amount > 52) or amount > 366 * 24 * 60:
            raise BadInput("too_far")
        delta = timedelta(**{_UNITS[m.group(2)]: amount})
        if delta > timedelta(days=366):
            raise BadInput("too_far")
        return (now + delta).astimezone(UTC), " ".join(words[used:])

    day: date | None = None
    i = 1
    if low[0] in {"today", "tonight"}:
        day = local_now.date()
    elif low[0] in {"tomorrow", "tmrw", "tmr"}:
        day = local_now.date() + timedelta(days=1)
    elif low[0] in DAY_ALIASES:
        ahead = (DAY_ALIASES[low[0]] - local_now.weekday()) % 7 or 7
        day = local_now.date() + timedelta(days=ahead)
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", low[0]):
        try:
            day = date.fromisoformat(low[0])
        except ValueError:
            raise BadInput("bad_date", text=words[0]) from None
    else:
        i = 0
    t, j = take_time(i)
    if day is None and t is None:
        raise BadInput("bad_when", text=" ".join(words[:3]))
    if day is None:  # "at 5pm": today if still ahead, else tomorrow
        day = local_now.date()
        if datetime.combine(day, t, tzinfo=tz) <= local_now:  # type: ignore[arg-type]
            day += timedelta(days=1)
    moment = datetime.combine(day, t or default_time, tzinfo=tz)
    if moment <= local_now:
        raise BadInput("in_the_past", moment=moment)
    if moment - local_now > timedelta(days=366):
        raise BadInput("too_far")
    return moment.astimezone(UTC), " ".join(words[j:])
