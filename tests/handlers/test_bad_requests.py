"""Bad requests are 4xx, never 5xx: checked before parsing, shaped before any listener runs.

Each case was a 500 with a traceback (the body was parsed before the signature was checked,
and bolt's listener matching raised on shapes it did not expect).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import pytest

from .conftest import SECRET, Bot
from .test_candidates import say
from .test_posting import post_opening


def action_payload(actions: object, **extra: object) -> str:
    return urlencode({"payload": json.dumps({"type": "block_actions", "user": {"id": "UMANAGER"},
                                             "trigger_id": f"t{time.time_ns()}", "actions": actions, **extra})})


FORM = "application/x-www-form-urlencoded"
CASES = {
    "payload is not JSON": ("payload=not%20json", FORM),
    "payload is a JSON list": (urlencode({"payload": "[1, 2]"}), FORM),
    "JSON body is a list": ("[1, 2, 3]", "application/json"),
    "5,000-deep nesting": ("[" * 5000 + "]" * 5000, "application/json"),
    "5,000-deep payload": (urlencode({"payload": "[" * 5000 + "]" * 5000}), FORM),
    "actions: null": (action_payload(None), FORM),
    "actions: []": (action_payload([]), FORM),
    "actions: [{}]": (action_payload([{}]), FORM),
    "actions: [1]": (action_payload([1]), FORM),
    "action_id is a number": (action_payload([{"action_id": 7, "value": "1"}]), FORM),
    "value is an object": (action_payload([{"action_id": "draft_post", "value": {"x": 1}}]), FORM),
    "view without callback_id": (urlencode({"payload": json.dumps({"type": "view_submission",
                                                                   "user": {"id": "U1"}, "view": {}})}), FORM),
    "event without a type": (json.dumps({"type": "event_callback", "event": "x"}), "application/json"),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_malformed_but_signed_requests_are_400(bot: Bot, case: str) -> None:
    body, content_type = CASES[case]
    resp = await bot.post(body, content_type)
    assert 400 <= resp.status < 500, (case, resp.status, await resp.text())


async def test_invalid_utf8_is_400_and_bad_signatures_401_before_any_parsing(bot: Bot) -> None:
    raw = b"command=%2Fhiring&text=\xff\xfe"
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + raw, hashlib.sha256).hexdigest()
    resp = await bot.http.post(bot.url + "/slack/events", data=raw, headers={
        "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig, "Content-Type": FORM})
    assert resp.status == 400
    for headers in ({"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"},
                    {"X-Slack-Request-Timestamp": ts},
                    {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=forged"}):
        resp = await bot.http.post(bot.url + "/slack/events", data=b"payload=not json",
                                   headers={**headers, "Content-Type": FORM})
        assert resp.status == 401, headers


async def test_draft_cancel_without_a_response_url_is_acked_at_once(bot: Bot) -> None:
    payload = {"type": "block_actions", "user": {"id": "UMANAGER"}, "trigger_id": "t-cancel",
               "actions": [{"action_id": "draft_cancel", "value": "1"}]}
    started = time.monotonic()
    resp = await bot.post(urlencode({"payload": json.dumps(payload)}), FORM)
    assert resp.status == 200
    assert time.monotonic() - started < 2.5, "answered by bolt's 3 s fallback, not by the ack"


async def test_a_replayed_click_acts_once(bot: Bot) -> None:
    op_id = await post_opening(bot)
    await say(bot, f'add "Ada Lovelace" OP-{op_id}')
    payload = urlencode({"payload": json.dumps({
        "type": "block_actions", "user": {"id": "UMANAGER"}, "channel": {"id": "CJOBS"},
        "trigger_id": "trig-replayed", "response_url": bot.slack.response_url(),
        "actions": [{"action_id": "pipeline_move", "value": "1:applied:screen", "type": "button"}]})})
    first = await bot.post(payload, FORM)
    again = await bot.post(payload, FORM)  # the same signed bytes, seconds later
    assert first.status == again.status == 200
    await bot.settled()
    _, app, moves, _ = await bot.hiring.history(1, "UMANAGER")
    assert app.stage == "screen" and [m["to_stage"] for m in moves] == ["applied", "screen"]


async def test_a_command_that_cannot_be_recorded_is_refused_in_the_ack_not_with_a_500(bot: Bot) -> None:
    await bot.store.close()  # the database is gone
    try:
        resp = await bot.http.post(bot.url + "/slack/events", data=b"", headers={})  # warm: still 401
        assert resp.status == 401
        # A command for the domain (help would be answered in its ack without the database).
        body = urlencode({"command": "/hiring", "text": "openings", "user_id": "UMANAGER", "channel_id": "CJOBS",
                          "response_url": bot.slack.response_url(), "trigger_id": "trig-down"})
        resp = await bot.post(body, FORM)
        assert resp.status == 200
        assert "cannot save anything right now" in await resp.text()
    finally:
        await bot.store.open()
