"""What reaches the app from Slack's side is checked before anything trusts it.

1. :func:`check_http` runs on the raw HTTP body, before it is parsed: the signature and its
   timestamp first (a forged or stale request is 401 and never parsed), then the encoding and
   JSON (400). bolt would parse first and answer a non-numeric timestamp, a ``payload=not json``
   or a 5,000-deep JSON with a 500 and a traceback.
2. :func:`malformed` runs on the parsed body: a payload whose shape no listener can read
   (``actions: null``, a non-string ``action_id``…) is a 400. bolt reads ``actions[0]`` while
   preparing *any* middleware's arguments, so this cannot wait for a middleware; Socket Mode
   payloads, which never pass here, are checked again by the guard middleware where bolt lets it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

#: Slack's rule: a request older (or newer) than this is a replay.
MAX_AGE = 60 * 5


def check_http(raw: bytes, headers: Mapping[str, str], signing_secret: str,
               now: float | None = None) -> tuple[int, str] | None:
    """None when the request is Slack's and readable, else (status, reason) to answer with."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not timestamp.isdigit() or not signature:
        return 401, "missing_or_malformed_signature_headers"
    if abs((now if now is not None else time.time()) - int(timestamp)) > MAX_AGE:
        return 401, "stale_request"
    expected = "v0=" + hmac.new(signing_secret.encode(), b"v0:" + timestamp.encode() + b":" + raw,
                                hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):  # on the raw bytes: nothing is decoded yet
        return 401, "invalid_signature"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return 400, "body_is_not_utf_8"
    content_type = headers.get("Content-Type", "")
    form = parse_qs(text, keep_blank_values=True)
    try:
        if "json" in content_type:
            body: Any = json.loads(text)
        elif "payload" in form:
            body = json.loads(form["payload"][0])
        else:
            body = {key: values[0] for key, values in form.items()}
    except (ValueError, RecursionError):
        return 400, "body_is_not_valid_json"
    reason = malformed(body)
    return None if reason is None else (400, reason)


#: Top-level fields that must be objects when present.
OBJECTS = ("team", "enterprise", "channel", "container", "view", "message", "previous_message", "event",
           "workflow_step", "function_data", "state", "response_urls_data")
#: Top-level fields that must be lists of objects when present.
LISTS_OF_OBJECTS = ("actions", "authorizations")


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _user_ok(body: dict[str, Any]) -> bool:
    user = body.get("user")
    return isinstance(user, dict) and _is_str(user.get("id"))


def malformed(body: Any) -> str | None:
    """Why no listener could read this payload (a short code, logged and sent back to the
    sender, never shown to a Slack user), or None when its shape is sound."""
    if not isinstance(body, dict):
        return "not_a_json_object"
    # bolt reads these generically while building any listener's or middleware's arguments
    # (team, user and channel ids, the action, view, event…), whatever the payload's type.
    for key in OBJECTS:
        if key in body and not isinstance(body[key], dict):
            return f"{key}_not_an_object"
    if "user" in body and not isinstance(body["user"], dict | str):
        return "user_must_be_an_object_or_an_id"
    for key in LISTS_OF_OBJECTS:
        if key in body and not (isinstance(body[key], list) and all(isinstance(x, dict) for x in body[key])):
            return f"{key}_not_a_list_of_objects"
    for key in ("event", "message", "previous_message"):
        inner = body.get(key)
        if isinstance(inner, dict):
            for sub in ("message", "previous_message", "workflow_step", "channel", "item", "view"):
                if sub in inner and not isinstance(inner[sub], dict | str):
                    return f"{key}_{sub}_not_an_object"
    kind = body.get("type")
    if "command" in body:
        if not (_is_str(body.get("command")) and _is_str(body.get("user_id", ""))
                and _is_str(body.get("text", "")) and _is_str(body.get("channel_id", ""))):
            return "slash_command_fields_must_be_strings"
        return None
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions or not _user_ok(body):
            return "block_actions_needs_a_user_and_a_non_empty_list_of_actions"
        for action in actions:
            if not isinstance(action, dict) or not _is_str(action.get("action_id")):
                return "every_action_needs_a_string_action_id"
            if "value" in action and not _is_str(action["value"]):
                return "an_action_s_value_must_be_a_string"
            if "selected_option" in action and not isinstance(action["selected_option"], dict):
                return "selected_option_must_be_an_object"
        return None
    if kind in {"view_submission", "view_closed"}:
        view = body.get("view")
        if not isinstance(view, dict) or not _is_str(view.get("callback_id")) or not _user_ok(body):
            return "a_view_payload_needs_a_user_and_a_view_with_a_callback_id"
        if "state" in view and not isinstance(view["state"], dict):
            return "view_state_must_be_an_object"
        return None
    if kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not _is_str(event.get("type")):
            return "an_event_callback_needs_an_event_with_a_type"
        return None
    if kind in {"shortcut", "message_action"}:
        return None if _is_str(body.get("callback_id")) and _user_ok(body) else "shortcut_needs_a_callback_id"
    return None
