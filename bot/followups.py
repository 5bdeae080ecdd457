"""Follow-ups: the three services that keep candidates from being forgotten, wired together.

- :mod:`bot.people`: each user's settings and time zone;
- :mod:`bot.reminders`: reminders people set themselves;
- :mod:`bot.sla`: stage time limits and the nudges that enforce them.

The scheduler and the listeners reach them through one :class:`Followups`, which only builds
them over the same hiring service (one clock, one store, one change bus).
"""

from __future__ import annotations

from .clock import Clock
from .hiring import Hiring
from .leases import Leases, Replica
from .people import People, Person
from .ports import Directory
from .reminders import Reminder, Reminders
from .sla import DEFAULT_SLA, NudgeBatch, NudgeItem, Sla


class Followups:
    def __init__(self, hiring: Hiring, default_tz: str = "UTC", escalate_after: int = 3,
                 directory: Directory | None = None, replica: Replica | None = None) -> None:
        self.hiring = hiring
        #: This process among the replicas sharing the database, and its claims on scheduled work.
        self.replica = replica or Replica()
        self.leases = Leases(hiring.store, self.replica)
        self.people = People(hiring, default_tz, directory)
        self.reminders = Reminders(hiring, self.people, self.replica)
        self.sla = Sla(hiring, self.people, escalate_after)

    @property
    def clock(self) -> Clock:
        return self.hiring.clock


__all__ = ["DEFAULT_SLA", "Followups", "NudgeBatch", "NudgeItem", "Person", "Reminder"]
