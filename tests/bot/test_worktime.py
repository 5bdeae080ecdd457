"""Working hours, working days and "tomorrow 9am", in three time zones."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from bot.errors import BadInput
from bot.worktime import WorkHours, describe_days, parse_days, parse_when, zone
from handlers.slack.render import Renderer

UTC = UTC
# Monday 23 Nov 2026, 15:00 UTC: 10:00 in New York, 16:00 in Berlin, Tuesday 00:00 in Tokyo.
MONDAY_1500 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("tz, working", [("America/New_York", True), ("Europe/Berlin", True), ("Asia/Tokyo", False)])
def test_the_same_moment_is_working_time_in_some_zones_only(tz: str, working: bool) -> None:
    assert WorkHours().is_working(MONDAY_1500.astimezone(zone(tz))) is working


@pytest.mark.parametrize("tz, expected_utc", [
    ("America/New_York", datetime(2026, 11, 23, 15, 0, tzinfo=UTC)),  # already working: unchanged
    ("Europe/Berlin", datetime(2026, 11, 23, 15, 0, tzinfo=UTC)),
    ("Asia/Tokyo", datetime(2026, 11, 24, 0, 0, tzinfo=UTC)),  # Tue 00:00 Tokyo → Tue 09:00 Tokyo = 00:00 UTC
])
def test_next_working_moment(tz: str, expected_utc: datetime) -> None:
    assert WorkHours().next_working_moment(MONDAY_1500, zone(tz)) == expected_utc


def test_friday_evening_moves_to_monday_morning_local() -> None:
    friday_eve = datetime(2026, 11, 27, 19, 30, tzinfo=zone("Europe/Berlin"))
    got = WorkHours().next_working_moment(friday_eve, zone("Europe/Berlin"))
    assert got.astimezone(zone("Europe/Berlin")) == datetime(2026, 11, 30, 9, 0, tzinfo=zone("Europe/Berlin"))


def test_working_days_skip_weekends_and_count_from_monday_when_added_on_saturday() -> None:
    tz = zone("America/New_York")
    wh = WorkHours()
    thursday = datetime(2026, 11, 26, 11, 0, tzinfo=tz)
    assert wh.add_working_days(thursday, 2, tz).astimezone(tz) == datetime(2026, 11, 30, 11, 0, tzinfo=tz)
    saturday = datetime(2026, 11, 28, 11, 0, tzinfo=tz)
    assert wh.add_working_days(saturday, 1, tz).astimezone(tz) == datetime(2026, 12, 1, 9, 0, tzinfo=tz)
    assert wh.working_days_between(thursday, datetime(2026, 12, 1, 11, 0, tzinfo=tz), tz) == 3


def test_a_sunday_to_thursday_week() -> None:
    tz = zone("Asia/Jerusalem")
    wh = WorkHours.parse("08:00-17:00", "sun-thu")
    assert wh.describe() == "08:00–17:00 Sun–Thu"
    thursday = datetime(2026, 11, 26, 10, 0, tzinfo=tz)
    assert wh.add_working_days(thursday, 1, tz).astimezone(tz).date().isoformat() == "2026-11-29"  # Sunday


def test_dst_change_keeps_local_time() -> None:
    tz = zone("America/New_York")  # DST ended Sun 1 Nov 2026
    friday = datetime(2026, 10, 30, 10, 0, tzinfo=tz)
    due = WorkHours().add_working_days(friday, 1, tz).astimezone(tz)
    assert (due.date().isoformat(), due.hour) == ("2026-11-02", 10)


@pytest.mark.parametrize("text, local, rest", [
    ("in 2d call back", "2026-11-25 16:00", "call back"),
    ("in 3 hours", "2026-11-23 19:00", ""),
    ("in 1w", "2026-11-30 16:00", ""),
    ("tomorrow 9am chase references", "2026-11-24 09:00", "chase references"),
    ("tomorrow at 2:30 pm", "2026-11-24 14:30", ""),
    ("tomorrow", "2026-11-24 09:00", ""),
    ("fri 14:00 debrief", "2026-11-27 14:00", "debrief"),
    ("monday", "2026-11-30 09:00", ""),
    ("2026-12-01 10:00 offer call", "2026-12-01 10:00", "offer call"),
    ("at 5pm", "2026-11-23 17:00", ""),
    ("at 8am", "2026-11-24 08:00", ""),  # already past today: tomorrow
])
def test_parse_when_in_berlin(text: str, local: str, rest: str) -> None:
    tz = zone("Europe/Berlin")
    when, after = parse_when(text, MONDAY_1500, tz)
    assert when.astimezone(tz).strftime("%Y-%m-%d %H:%M") == local
    assert after == rest


@pytest.mark.parametrize("text", ["", "soon", "in", "in 2 fortnights", "in 900w", "2026-13-45",
                                  "yesterday", "2020-01-01 10:00", "tomorrow 25:00", "at 13pm"])
def test_parse_when_rejects_nonsense_with_a_hint(text: str) -> None:
    with pytest.raises(BadInput) as err:
        parse_when(text, MONDAY_1500, zone("UTC"))
    # Every refusal is a code the error catalogue words, with a hint saying what to type.
    words = Renderer().phrase("replies/errors.j2", err.value.code, err.value.params)
    assert words is not None and words[1], err.value


def test_days_and_hours_parsing() -> None:
    assert parse_days("mon-fri") == frozenset(range(5))
    assert parse_days("fri-mon") == frozenset({4, 5, 6, 0})
    assert describe_days(parse_days("mon,wed,fri")) == "Mon, Wed, Fri"
    assert WorkHours.parse("8am-5pm").start == time(8, 0)
    night = WorkHours.parse("18:00-09:00")  # a night shift, not hours backwards
    assert (night.start, night.end, night.overnight) == (time(18, 0), time(9, 0), True)
    for bad in (("09:00-09:00", None), ("9-", None), ("09:00-18:00", "funday")):
        with pytest.raises(BadInput):
            WorkHours.parse(*bad)


def test_unknown_zone_falls_back() -> None:
    assert zone("Mars/Olympus", "Europe/Berlin").key == "Europe/Berlin"
    assert zone(None).key == "UTC"


def test_working_days_between_matches_a_day_by_day_count() -> None:
    """The week arithmetic agrees with walking the calendar, across zones and odd weeks."""
    import random
    from datetime import timedelta

    rng = random.Random(5)
    for tz_name, days in (("UTC", "mon-fri"), ("Asia/Tokyo", "sun-thu"), ("America/New_York", "mon,wed,fri")):
        tz = zone(tz_name)
        wh = WorkHours.parse(None, days)
        for _ in range(300):
            start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 400 * 24 * 60))
            end = start + timedelta(minutes=rng.randint(0, 40 * 24 * 60))
            a, b = wh.next_working_moment(start, tz).astimezone(tz), end.astimezone(tz)
            walk, day = 0, a.date()
            while b > a and day < b.date():
                day += timedelta(days=1)
                if day.weekday() in wh.days and (day < b.date() or b.time() >= a.time()):
                    walk += 1
            assert wh.working_days_between(start, end, tz) == walk
