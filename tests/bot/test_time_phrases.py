"""Time phrases people type (``/hiring remind``, ``/hiring notify hours``), as a table:
input → the local moment it means, or the error code it is refused with. Three time zones, each
"now" being the Friday before that zone's autumn DST change (Sydney has no change then, but
starts DST on 4 Oct), so "next monday" and "in 1w" cross it where there is one."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from bot.errors import BadInput
from bot.worktime import WorkHours, parse_when, zone
from handlers.slack.render import Renderer

# Friday 11:47 local in each zone, the weekend before the clocks go back (Berlin 25 Oct,
# New York 1 Nov 2026); Sydney's Friday is 2 Oct, the weekend its clocks go forward (4 Oct).
NOW = {
    "Europe/Berlin": datetime(2026, 10, 23, 11, 47),
    "America/New_York": datetime(2026, 10, 30, 11, 47),
    "Australia/Sydney": datetime(2026, 10, 2, 11, 47),
}
DAY = WorkHours()  # 09:00–18:00 Mon–Fri
NIGHT = WorkHours.parse("22:00-06:00", "mon-fri")

# (phrase, hours, expected): expected is "+Nd HH:MM" (N calendar days after today, local) or an
# error code.
PHRASES: list[tuple[str, WorkHours, str]] = [
    ("now", DAY, "+0d 11:47"),
    ("in 0d", DAY, "+0d 11:47"),
    ("in 0h", DAY, "+0d 11:47"),
    ("in 3h", DAY, "+0d 14:47"),
    ("in 2d", DAY, "+2d 11:47"),  # the same wall-clock time across the DST change
    ("in 1w", DAY, "+7d 11:47"),
    ("tomorrow 9am", DAY, "+1d 09:00"),
    ("tomorrow", DAY, "+1d 09:00"),
    ("tomorrow", NIGHT, "+1d 22:00"),  # a day without a time: the start of the working day
    ("next monday", DAY, "+3d 09:00"),
    ("next mon 14:00", DAY, "+3d 14:00"),
    ("monday 14:00", DAY, "+3d 14:00"),
    ("fri", DAY, "+7d 09:00"),  # today is Friday: the next one
    ("next friday", DAY, "+7d 09:00"),
    ("at 5", DAY, "+0d 17:00"),  # before the start of 09:00–18:00: pm
    ("at 7", DAY, "+0d 19:00"),
    ("at 5pm", DAY, "+0d 17:00"),
    ("at 5am", DAY, "+1d 05:00"),
    ("at 05:00", DAY, "+1d 05:00"),  # a leading zero is a 24-hour time
    ("at 10", DAY, "+1d 10:00"),  # in working hours, already past today: tomorrow
    ("at 12", DAY, "+0d 12:00"),
    ("at 5", NIGHT, "+1d 05:00"),  # inside a 22:00–06:00 shift: as written
    ("at 5:30", DAY, "+0d 17:30"),
    ("tomorrow at 5", DAY, "+1d 17:00"),
    ("yesterday", DAY, "bad_when"),
    ("in 2 fortnights", DAY, "bad_duration"),
    ("in 900w", DAY, "too_far"),
    ("at 13pm", DAY, "bad_time"),
    ("2020-01-01 10:00", DAY, "in_the_past"),
    ("2026-02-30", DAY, "bad_date"),
    ("", DAY, "when_missing"),
]


@pytest.mark.parametrize("tz_name", sorted(NOW))
@pytest.mark.parametrize("phrase, hours, expected", PHRASES)
def test_time_phrase(tz_name: str, phrase: str, hours: WorkHours, expected: str) -> None:
    tz = zone(tz_name)
    local_now = NOW[tz_name].replace(tzinfo=tz)
    if expected.startswith("+"):
        when, rest = parse_when(phrase, local_now, tz, hours=hours)
        got = when.astimezone(tz)
        days = (got.date() - local_now.date()).days
        assert f"+{days}d {got:%H:%M}" == expected
        assert rest == ""
    else:
        with pytest.raises(BadInput) as err:
            parse_when(phrase, local_now, tz, hours=hours)
        assert err.value.code == expected
        words = Renderer().phrase("replies/errors.j2", err.value.code, err.value.params)
        assert words is not None and words[1], "every refusal says what to type instead"


def test_the_text_after_the_phrase_is_the_reminder() -> None:
    tz = zone("Europe/Berlin")
    now = NOW["Europe/Berlin"].replace(tzinfo=tz)
    assert parse_when("next mon 14:00 call Ada", now, tz)[1] == "call Ada"
    assert parse_when("now chase references", now, tz)[1] == "chase references"


def test_a_past_date_is_named_with_its_year() -> None:
    tz = zone("America/New_York")
    now = NOW["America/New_York"].replace(tzinfo=tz)
    with pytest.raises(BadInput) as err:
        parse_when("2026-01-01 10:00", now, tz)
    words = Renderer().phrase("replies/errors.j2", err.value.code, err.value.params)
    assert words is not None and words[0].startswith("Thu 01 Jan 2026 10:00 has already passed")


def test_dst_change_keeps_local_times_in_next_monday() -> None:
    """Berlin and New York change their clocks on the weekend in between: the UTC offset of the
    answer differs from today's, the local time does not."""
    for tz_name in ("Europe/Berlin", "America/New_York"):
        tz = zone(tz_name)
        now = NOW[tz_name].replace(tzinfo=tz)
        when = parse_when("next mon 14:00", now, tz)[0].astimezone(tz)
        assert when.hour == 14 and when.utcoffset() != now.utcoffset()


@pytest.mark.parametrize("typed, expected", [
    ("9-5", (time(9), time(17))),
    ("8:30-5", (time(8, 30), time(17))),
    ("9am-5pm", (time(9), time(17))),
    ("09:00-18:00", (time(9), time(18))),
    ("10-6", (time(10), time(18))),
    ("22:00-06:00", (time(22), time(6))),  # a night shift
    ("22-6", (time(22), time(6))),
    ("18-9", (time(18), time(9))),  # an afternoon start: a night shift, not 18:00–21:00
    ("20:00 to 04:30", (time(20), time(4, 30))),
    ("09:00-09:00", "hours_empty"),
    ("9-9", "hours_empty"),
    ("9-", "bad_hours"),
    ("9-25", "bad_time"),
])
def test_working_hours_phrases(typed: str, expected: tuple[time, time] | str) -> None:
    if isinstance(expected, str):
        with pytest.raises(BadInput) as err:
            WorkHours.parse(typed)
        assert err.value.code == expected
        assert Renderer().phrase("replies/errors.j2", expected, err.value.params) is not None
    else:
        wh = WorkHours.parse(typed)
        assert (wh.start, wh.end) == expected


@pytest.mark.parametrize("tz_name", sorted(NOW))
def test_a_night_shift_everywhere_working_time_is_computed(tz_name: str) -> None:
    tz = zone(tz_name)
    night = NIGHT

    def at(day: int, hh: int, mm: int = 0) -> datetime:  # 2 Nov 2026 is a Monday
        return datetime(2026, 11, day, hh, mm, tzinfo=tz)

    assert night.is_working(at(3, 2))  # Tue 02:00: Monday's shift
    assert night.is_working(at(7, 2))  # Sat 02:00: Friday's shift
    assert not night.is_working(at(8, 2))  # Sun 02:00: no shift began on Saturday
    assert not night.is_working(at(3, 12))
    assert night.next_working_moment(at(7, 7), tz).astimezone(tz) == at(9, 22)  # Sat 07:00 → Mon 22:00
    assert night.add_working_days(at(6, 23), 1, tz).astimezone(tz) == at(9, 23)  # Fri 23:00 → Mon 23:00
    assert night.add_working_days(at(7, 3), 1, tz).astimezone(tz) == at(10, 3)  # Sat 03:00 (Fri shift) → Tue 03:00
    assert night.working_days_between(at(2, 22, 30), at(4, 3), tz) == 1
    assert night.working_days_between(at(2, 22, 30), at(4, 22, 30), tz) == 2
    assert night.working_date(at(3, 2).astimezone(tz)).isoformat() == "2026-11-02"
