"""Who may see and do what: the one place where permissions are decided.

Roles come from an opening's hiring team (manager, recruiter, interviewer); workspace admins
(``HIREBOT_ADMINS``) act as recruiters everywhere. Every service asks here instead of
comparing roles itself, so a rule changes in one line and the authorization tests read
this module alone.
"""

from __future__ import annotations

from collections.abc import Set

from .errors import Forbidden, NotFound
from .model import Opening

#: Roles that may change an opening and move its candidates.
MANAGING_ROLES = frozenset({"manager", "recruiter", "admin"})
#: Roles that may export or erase a candidate's personal data.
DATA_ROLES = frozenset({"recruiter", "admin"})


class Policy:
    def __init__(self, admins: Set[str] = frozenset()) -> None:
        self.admins = frozenset(admins)

    def is_admin(self, user: str) -> bool:
        return user in self.admins

    def role_of(self, op: Opening, user: str) -> str | None:
        """The user's role on the opening's hiring team ('admin' for workspace admins), or None."""
        if user in self.admins:
            return "admin"
        for m in op.members:
            if m.user_id == user:
                return m.role
        return None

    def sees_opening_without_asking(self, op: Opening, user: str) -> bool:
        """An opening in a public channel is public; a confidential one (its card is in a private
        channel) is seen by its hiring team and admins — and by that channel's members, which only
        Slack can tell (:class:`bot.ports.Membership`), so the caller asks when this is False."""
        return not op.private_channel or self.role_of(op, user) is not None

    def can_see_candidates(self, op: Opening, user: str) -> bool:
        """Candidate names, e-mails and notes: the hiring team and admins only."""
        return self.role_of(op, user) is not None

    def can_manage(self, op: Opening, user: str) -> bool:
        return self.role_of(op, user) in MANAGING_ROLES

    def require_team(self, op: Opening, user: str) -> str:
        role = self.role_of(op, user)
        if role is None:
            if op.private_channel:  # confidential: outsiders must not learn that it exists
                raise NotFound("no_opening", ref=op.ref)
            raise Forbidden("not_on_team", ref=op.ref, manager=op.manager)
        return role

    def require_manage(self, op: Opening, user: str) -> str:
        role = self.require_team(op, user)
        if role not in MANAGING_ROLES:
            raise Forbidden("manage_only", ref=op.ref, role=role, manager=op.manager)
        return role

    def require_data_access(self, op: Opening, user: str) -> str:
        role = self.require_team(op, user)
        if role not in DATA_ROLES:
            raise Forbidden("recruiters_only", ref=op.ref, manager=op.manager)
        return role

    def require_admin(self, user: str) -> None:
        if user not in self.admins:
            raise Forbidden("admins_only")
