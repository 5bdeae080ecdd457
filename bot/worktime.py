"""Working time: hours and days in a person's own time zone, and reading "tomorrow 9am".

Reminders and SLA limits are about people's working days, not wall-clock hours: a candidate
added on Friday evening has not waited three days by Monday morning. Everything here is pure
(no I/O, no clock): callers pass ``now`` and a time zone, so tests cover any zone and date.
"""

from __future__ import annotations

import functools
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
    """When someone works: ``start``–``end`` local time on ``days`` (0 = Monday).

    A shift may cross midnight (``22:00``–``06:00``): ``days`` are then the days it starts on,
    and the hours after midnight belong to the working day that began the evening before. All
    arithmetic runs on "shift time", the local wall clock moved back by ``start``, in which
    every working day starts at 00:00 of its own date, whatever the shift.
    """

    start: time = time(9, 0)
    end: time = time(18, 0)
    days: frozenset[int] = frozenset(range(5))

    def __post_init__(self) -> None:
        if not self.days:
            raise BadInput("no_working_days")
        if self.end == self.start:
            raise BadInput("hours_empty")

    # ------------------------------------------------------------------ text form
    @classmethod
    def parse(cls, hours: str | None, days: str | None = None) -> WorkHours:
        """From ``"09:00-18:00"``, ``"9-5"``, ``"8am-5pm"`` or a night shift ``"22:00-06:00"``, and
        ``"mon-fri"`` (or ``"mon,tue,thu"``); None keeps defaults.

        A morning start with an end written without am/pm (1 to 11, no leading zero) that would
        come before it reads the end as pm: ``9-5`` is 09:00–17:00, ``8:30-5`` 08:30–17:00. Any
        other end before the start is a night shift: ``22:00-06:00``, ``22-6``, ``18-9``."""
        default = cls()
        start, end = default.start, default.end
        if hours:
            m = re.fullmatch(r"\s*(\S+?)\s*(?:-|–|to)\s*(\S+)\s*", hours)
            if not m:
                raise BadInput("bad_hours", hours=hours)
            start, _ = read_clock(m.group(1))
            end, explicit = read_clock(m.group(2))
            if not explicit and end < start < time(12) and time(end.hour + 12, end.minute) > start:
                end = time(end.hour + 12, end.minute)
        return cls(start, end, parse_days(days) if days else default.days)

    def describe(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M} {describe_days(self.days)}"

    @property
    def days_text(self) -> str:
        return ",".join(DAY_NAMES[d] for d in sorted(self.days))

    # ------------------------------------------------------------------ shift time
    @property
    def overnight(self) -> bool:
        return self.end < self.start

    @property
    def _offset(self) -> timedelta:
        return _since_midnight(self.start)

    @property
    def length(self) -> timedelta:
        """How long one working day lasts (a night shift ``22:00``–``06:00`` is 8 hours)."""
        return _length(self.start, self.end)

    def _shifted(self, local: datetime) -> datetime:
        """Naive shift time: the local wall clock moved back by ``start``."""
        return local.replace(tzinfo=None, fold=0) - self._offset

    def _unshift(self, shifted: datetime, tz: ZoneInfo) -> datetime:
        return (shifted + self._offset).replace(tzinfo=tz).astimezone(UTC)

    def working_date(self, local: datetime) -> date:
        """The working day a local moment belongs to (after midnight in a night shift: the day
        it started); outside working hours, the calendar date of the shift time."""
        return self._shifted(local).date()

    def covers(self, t: time) -> bool:
        """Is this time of day inside the working hours (whatever the day)?"""
        if self.overnight:
            return t >= self.start or t < self.end
        return self.start <= t < self.end

    # ------------------------------------------------------------------ arithmetic
    def is_working(self, local: datetime) -> bool:
        return self._in_day(self._shifted(local))

    def _in_day(self, shifted: datetime) -> bool:
        """Is this moment of shift time inside a working day?"""
        return shifted.weekday() in self.days and shifted.time() < _day_ends(self.start, self.end)

    def next_working_moment(self, when: datetime, tz: ZoneInfo) -> datetime:
        """``when`` if it falls in working hours, else the start of the next working period (UTC)."""
        local = when.astimezone(tz)
        if self.is_working(local):
            return when.astimezone(UTC)
        day = self._shifted(local).date()
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
        begin = self._shifted(self.next_working_moment(start, tz).astimezone(tz))
        day, left = begin.date(), n
        for _ in range(_MAX_SCAN_DAYS * 2):
            if left <= 0:
                break
            day += timedelta(days=1)
            if day.weekday() in self.days:
                left -= 1
        return self._unshift(datetime.combine(day, begin.time()), tz)

    def working_days_between(self, start: datetime, end: datetime, tz: ZoneInfo) -> int:
        """Whole working days from ``start`` to ``end`` (for "4 working days in screen").

        Arithmetic on whole weeks, not a walk over the days: a digest computes this for
        thousands of candidates."""
        if end <= start:
            return 0
        a = self._shifted(start.astimezone(tz))
        if not self._in_day(a):
            a = self._shifted(self.next_working_moment(start, tz).astimezone(tz))
        b = _shifted_end(self, end, tz)  # the same ``end`` (now) for every candidate of a list
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


# The shift's constants, worked out once: a digest or sweep asks for them hundreds of
# thousands of times (a frozen, slotted dataclass has nowhere to keep them).
@functools.lru_cache(maxsize=256)
def _since_midnight(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute)


@functools.lru_cache(maxsize=256)
def _length(start: time, end: time) -> timedelta:
    span = _since_midnight(end) - _since_midnight(start)
    return span if span > timedelta(0) else span + timedelta(days=1)


@functools.lru_cache(maxsize=256)
def _day_ends(start: time, end: time) -> time:
    """When a working day ends in shift time (its length after 00:00; under a day, as start and
    end differ)."""
    return (datetime.min + _length(start, end)).time()


@functools.lru_cache(maxsize=64)
def _shifted_end(hours: WorkHours, end: datetime, tz: ZoneInfo) -> datetime:
    return hours._shifted(end.astimezone(tz))


def _at(day: date, t: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, t, tzinfo=tz).astimezone(UTC)


def parse_clock(text: str) -> time:
    """``9``, ``9am``, ``9:30``, ``09:30``, ``5pm``, ``17:00`` → a time."""
    return read_clock(text)[0]


def read_clock(text: str) -> tuple[time, bool]:
    """A time, and whether it was written unambiguously: with am/pm, a leading zero (``05:00``)
    or an hour that only a 24-hour clock has (0, 12 to 23)."""
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
    explicit = bool(half) or m.group(1).startswith("0") or not 1 <= hour <= 11
    return time(hour, minute), explicit


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


def parse_when(text: str, now: datetime, tz: ZoneInfo, default_time: time | None = None,
               hours: WorkHours | None = None) -> tuple[datetime, str]:
    """Read a time expression at the start of ``text``; return (UTC moment, the text after it).

    Understands ``now`` / ``in 0d`` (due now), ``in 2d`` / ``in 3 hours`` / ``in 1w``,
    ``today|tomorrow [at] [9am]``, ``[next] mon`` … ``sunday [time]`` (the next such day after
    today: on a Monday, ``mon`` and ``next mon`` are both a week ahead), ``YYYY-MM-DD [time]``
    and ``at 5pm``. A day without a time means ``default_time`` (else the start of ``hours``).

    An hour without am/pm (1 to 11, no leading zero) that falls before the start of the
    person's working hours and outside them is pm: ``at 5`` is 17:00 for a 09:00–18:00 worker,
    ``at 7`` is 19:00, ``at 10`` is 10:00, and ``at 5`` stays 05:00 for a 22:00–06:00 night
    shift. ``05:00``, ``5am`` and ``17:00`` are always taken as written.
    """
    hours = hours or WorkHours()
    default_time = default_time or hours.start
    words = text.split()
    local_now = now.astimezone(tz)
    low = [w.lower().rstrip(",") for w in words]
    if not low:
        raise BadInput("when_missing")

    def clock(token: str) -> time:
        t, explicit = read_clock(token)
        if explicit:
            return t
        if t < hours.start and not hours.covers(t):
            return time(t.hour + 12, t.minute)
        return t

    def take_time(i: int) -> tuple[time | None, int]:
        j = i + 1 if i < len(low) and low[i] == "at" else i
        if j + 1 < len(low) and re.fullmatch(r"\d{1,2}(?::\d{2})?", low[j]) and low[j + 1] in {"am", "pm"}:
            return parse_clock(low[j] + low[j + 1]), j + 2
        if j < len(low) and _TIME_TOKEN.match(low[j]):
            return (time(12, 0) if low[j] == "noon" else clock(low[j])), j + 1
        return None, i

    if low[0] in {"now", "asap"}:
        return now.astimezone(UTC), " ".join(words[1:])
    if low[0] == "in":
        m, used = None, 2
        if len(low) > 1:
            m = re.fullmatch(r"(\d{1,4})([a-z]+)", low[1])
            if not m and len(low) > 2 and low[1].isdigit():
                m, used = re.fullmatch(r"(\d{1,4})([a-z]+)", low[1] + low[2]), 3
        if not m or m.group(2) not in _UNITS:
            raise BadInput("bad_duration", text=" ".join(words[:3]))
        amount = int(m.group(1))
        if (_UNITS[m.group(2)] == "weeks" and amount > 52) or amount > 366 * 24 * 60:
            raise BadInput("too_far")
        delta = timedelta(**{_UNITS[m.group(2)]: amount})
        if delta > timedelta(days=366):
            raise BadInput("too_far")
        if _UNITS[m.group(2)] in {"days", "weeks"}:  # the same wall-clock time, across a DST change
            later = (local_now.replace(tzinfo=None) + delta).replace(tzinfo=tz)
            return later.astimezone(UTC), " ".join(words[used:])  # "in 0d": due now
        return (now + delta).astimezone(UTC), " ".join(words[used:])

    day: date | None = None
    i = 1
    if low[0] == "next" and len(low) > 1 and low[1] in DAY_ALIASES:
        low, words = low[1:], words[1:]
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
