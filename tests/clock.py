"""The controllable clock the domain takes in tests: time moves only when a test says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

#: Monday 2 Nov 2026, 09:00 UTC: a working morning, so follow-up tests start on familiar ground.
MONDAY_MORNING = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = MONDAY_MORNING) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)
