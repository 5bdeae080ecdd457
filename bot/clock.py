"""Time as the domain sees it: aware UTC datetimes, stored as ISO 8601 text to the second.

One home so storage, services and tests agree on the format; services take an injectable
``clock`` (a zero-argument callable) so tests and the console control "now".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    """The stored form of a moment: UTC, seconds precision (sortable as text)."""
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def iso_us(dt: datetime) -> str:
    """A lease's moment: UTC to the microsecond (leases and channel pacing are shorter than a
    second apart). Sortable as text among its own kind; never compared with :func:`iso` text."""
    return dt.astimezone(UTC).isoformat(timespec="microseconds")
