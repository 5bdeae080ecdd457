"""The records the domain works on, typed: openings, their hiring teams, applications.

Storage returns rows; these classes are what every service, policy check and template sees,
so a field has one name everywhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from . import ids
from .worktime import WorkHours, zone

ROLES = ("manager", "recruiter", "interviewer")


@dataclass(frozen=True, slots=True)
class Member:
    """One person on an opening's hiring team."""

    user_id: str
    role: str


@dataclass(slots=True)
class Opening:
    id: int
    title: str
    status: str
    data: dict[str, Any]
    channel_id: str | None
    message_ts: str | None
    permalink: str | None
    private_channel: bool
    created_by: str
    created_at: str
    #: Why the card could not be posted last time (e.g. ``not_in_channel``); None once posted.
    post_error: str | None = None
    members: list[Member] = field(default_factory=list)
    #: Candidates per stage; empty where the loader was told not to count (a move: see
    #: :meth:`bot.hiring.Hiring.load_with_opening`).
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return ids.op(self.id)

    @property
    def manager(self) -> str:
        for m in self.members:
            if m.role == "manager":
                return m.user_id
        return self.created_by

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def posted(self) -> bool:
        """True once its card is in a channel (the card is how a channel sees an opening)."""
        return bool(self.channel_id and self.message_ts)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Opening:
        return cls(id=row["id"], title=row["title"], status=row["status"], data=json.loads(row["data"]),
                   channel_id=row["channel_id"], message_ts=row["message_ts"], permalink=row["permalink"],
                   private_channel=bool(row["private_channel"]), created_by=row["created_by"],
                   created_at=row["created_at"], post_error=row.get("post_error"))


class WorkingTime(Protocol):
    """Whose working days a count of days is in (a :class:`bot.people.Person`)."""

    def working_days_between(self, start: datetime, end: datetime) -> int: ...


@dataclass(frozen=True, slots=True)
class DefaultWorkingTime:
    """Mon–Fri 09:00–18:00 UTC: for an application nobody attached a manager's hours to."""

    hours: WorkHours = field(default_factory=WorkHours)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        return self.hours.working_days_between(start, end, zone("UTC"))


@dataclass(slots=True)
class Application:
    id: int
    opening_id: int
    candidate_name: str | None
    email: str | None
    source: str | None
    referrer: str | None
    stage: str
    stage_since: str
    created_by: str
    created_at: str
    forgotten_at: str | None
    #: The hiring manager's working time, set by the service that loaded it: every "days in
    #: stage" a person reads is in the manager's working days.
    worktime: WorkingTime = field(default_factory=DefaultWorkingTime, compare=False, repr=False)

    @property
    def ref(self) -> str:
        return ids.app(self.id)

    def days_in_stage(self, now: datetime) -> int:
        """Whole working days (of the hiring manager) since it entered its stage."""
        return self.worktime.working_days_between(datetime.fromisoformat(self.stage_since), now)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Application:
        return cls(id=row["id"], opening_id=row["opening_id"], candidate_name=row["candidate_name"],
                   email=row["email"], source=row["source"], referrer=row["referrer"], stage=row["stage"],
                   stage_since=row["stage_since"], created_by=row["created_by"], created_at=row["created_at"],
                   forgotten_at=row["forgotten_at"])
