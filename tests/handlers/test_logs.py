"""``hirebot run`` with ``HIREBOT_LOG_FORMAT=json``: every stderr line is one JSON object, each
Slack request's lines share a request id, and a full scenario's names, e-mails and note text
never appear in a record at INFO or below (even with ``HIREBOT_LOG_LEVEL=DEBUG``)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from handlers.local.fake_slack import FakeSlack
from handlers.ops.context import RequestInfo, current
from handlers.ops.logs import JsonFormatter, RequestContext

from .running import hirebot_run, stop
from .test_posting import POSTING

NAME, EMAIL, NOTE = "Zeynep Quarshie-Lindqvist", "zeynep.ql@example.org", "sharp on distributed systems, wants remote"
REFERRER_NOTE = "met at the Oslo meetup"


async def test_json_logs_carry_request_ids_and_no_candidate_data(slack: FakeSlack, tmp_path: Path) -> None:
    async with hirebot_run(slack, tmp_path / "logs.db", HIREBOT_LOG_FORMAT="json", HIREBOT_LOG_LEVEL="DEBUG") as run:
        op = await run.post_opening(POSTING)
        assert "APP-1" in await run.say(f'add "{NAME}" OP-{op} {EMAIL} linkedin')
        assert "Noted" in await run.say(f"note APP-1 {NOTE}")
        await run.say(f"note APP-1 {REFERRER_NOTE}")
        await run.say("move APP-1 screen after a call with Zeynep")
        assert NAME in await run.say(f"pipeline OP-{op}")
        assert NOTE in await run.say("history APP-1")
        await run.say("remind APP-1 in 2d call Zeynep back")
        await run.say(f'add "{NAME}" OP-999 {EMAIL}')  # refused: no such opening
        assert await stop(run.proc) == 0
    lines = [line for line in run.stderr if line.strip()]
    records = []
    for line in lines:
        record = json.loads(line)  # every line is one JSON object
        assert {"ts", "level", "logger", "msg"} <= set(record), line
        records.append(record)

    quiet = [r for r in records if r["level"] in ("debug", "info")]
    assert any(r["level"] == "debug" for r in records), "DEBUG was on, so the check covers it"
    for secret in (NAME, "Zeynep", "Quarshie", EMAIL, "example.org", NOTE, "distributed systems", REFERRER_NOTE,
                   "call Zeynep back"):
        leaked = [r for r in quiet if secret in json.dumps(r, ensure_ascii=False)]
        assert not leaked, f"{secret!r} logged: {leaked[:2]}"

    answered = [r for r in records if r["logger"] == "hirebot.requests"]
    assert len(answered) == 10  # post, its click, and eight commands
    ids = [r["request_id"] for r in answered]
    assert len(set(ids)) == len(ids), "one id per Slack request"
    assert {r["request_name"] for r in answered} >= {"post", "draft_post", "add", "note", "move", "pipeline",
                                                     "history", "remind"}
    assert all(r["status"] == 200 and isinstance(r["ack_ms"], float) for r in answered)
    assert not any("Traceback" in line and not line.startswith("{") for line in lines)


def test_traceback_is_one_json_line_with_the_request_id_and_emails_masked() -> None:
    record = logging.LogRecord("hirebot.outbox", logging.ERROR, __file__, 1, "sending to %s failed", ("x@y.io",),
                               None)
    try:
        raise RuntimeError("boom for someone@example.com")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    reset = current.set(RequestInfo("abc123", "command", "move"))
    try:
        assert RequestContext().filter(record)
    finally:
        current.reset(reset)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    out = json.loads(line)
    assert out["request_id"] == "abc123" and out["level"] == "error" and out["exc_type"] == "RuntimeError"
    assert out["msg"] == "sending to <email> failed"
    assert "someone@example.com" not in line and "<email>" in out["exc"] and "Traceback" in out["exc"]
