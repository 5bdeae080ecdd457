"""What the current Slack request is, for logs and metrics: a request id and the command or action.

Set once per request around ``AsyncApp.async_dispatch``; asyncio copies context variables into
every task created from there, so the work a listener does after its ack (and whatever it
logs) still carries the request's id.
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RequestInfo:
    id: str
    kind: str
    #: the name as sent (sanitised, unbounded): pass it through :func:`label` before using it as a label
    name: str
    #: the app's :class:`handlers.ops.Ops`, so what is logged in this request is counted by its app
    ops: Any = None


current: ContextVar[RequestInfo | None] = ContextVar("hirebot_request", default=None)

_NAME = re.compile(r"^[a-z][a-z0-9_:.-]{0,39}$")
#: Label values are bounded: only this many distinct names per kind, the rest are "other".
MAX_NAMES = 60
_seen: dict[str, set[str]] = {}


def new_id() -> str:
    return secrets.token_hex(6)


def label(kind: str, name: str) -> str:
    """A bounded label value for ``name``: at most :data:`MAX_NAMES` distinct per kind."""
    if not _NAME.match(name):
        return "other"
    seen = _seen.setdefault(kind, set())
    if name not in seen:
        if len(seen) >= MAX_NAMES:
            return "other"
        seen.add(name)
    return name


def _bounded(kind: str, name: str) -> str:
    name = name.lower()[:40]
    return name if _NAME.match(name) else "other"


def describe(body: dict[str, Any]) -> tuple[str, str]:
    """(kind, name) of a Slack payload: ``command``/``move``, ``action``/``draft_post``, ``event``/``message``...
    Never anything a user typed beyond the subcommand's first word (bound it with :func:`label`)."""
    if not isinstance(body, dict):
        return "other", "other"
    if body.get("command"):
        first = str(body.get("text") or "").strip().split(maxsplit=1)
        return "command", _bounded("command", first[0]) if first else "help"
    kind = str(body.get("type") or "")
    if kind == "block_actions":
        actions = body.get("actions")
        action = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
        return "action", _bounded("action", str(action.get("action_id") or ""))
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        return "view", _bounded("view", str(view.get("callback_id") or "") if isinstance(view, dict) else "")
    if kind == "event_callback":
        event = body.get("event")
        return "event", _bounded("event", str(event.get("type") or "") if isinstance(event, dict) else "")
    if kind in ("shortcut", "message_action"):
        return "shortcut", _bounded("shortcut", str(body.get("callback_id") or ""))
    if kind == "block_suggestion":
        return "options", _bounded("options", str(body.get("action_id") or ""))
    return "other", "other"
