"""The records the domain works on, typed: openings, their hiring teams, applications.

Storage returns rows; these classes are what every service, policy check and template sees,
so a field has one name everywhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import ids

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

    @property
    def ref(self) -> str:
        return ids.app(self.id)

    def days_in_stage(self, now: datetime) -> int:
        return max(0, (now - datetime.fromisoformat(self.stage_since)).days)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Application:
        return cls(id=row["id"], opening_id=row["opening_id"], candidate_name=row["candidate_name"],
                   email=row["email"], source=row["source"], referrer=row["referrer"], stage=row["stage"],
                   stage_since=row["stage_since"], created_by=row["created_by"], created_at=row["created_at"],
                   forgotten_at=row["forgotten_at"])
