"""Logging for ``hirebot run``: text for a terminal, or one JSON object per line
(``HIREBOT_LOG_FORMAT=json``) for journald, Docker and log shippers.

The standard library only: a ``logging.Formatter`` that writes JSON is a few lines, and it keeps
every library's records (bolt, slack_sdk, aiohttp, APScheduler) in the same stream and shape
without adding structlog as a dependency. Each line carries ``request_id`` when it was written
while serving a Slack request (or by work the request started after its ack; see
:mod:`handlers.ops.context`), so one command's lines can be found together.

Privacy: candidate names, e-mails and notes must not reach logs at INFO or below.
hirebot's own code logs ids (APP-7, U123), never those; what remains is guarded here:

- e-mail addresses are replaced by ``<email>`` in every record, at every level;
- the Slack libraries print whole payloads at DEBUG, aiosqlite every SQL parameter. Their loggers are held
  at INFO even when ``HIREBOT_LOG_LEVEL=DEBUG``, unless ``HIREBOT_LOG_PAYLOADS=1`` says to keep
  them (for a debugging session on a test workspace, not production).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime

from .context import current

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
#: Libraries whose DEBUG output contains payloads: Slack requests and responses, SQL parameters.
PAYLOAD_LOGGERS = ("slack_bolt", "slack_sdk", "hirebot.bolt", "aiohttp.access", "aiosqlite")
#: ``extra=`` fields worth keeping in the JSON line.
EXTRA = ("request_kind", "request_name", "status", "ack_ms")
_STANDARD = frozenset(vars(logging.makeLogRecord({})))


class RequestContext(logging.Filter):
    """Stamps ``record.request_id`` from the current request, and masks e-mail addresses."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            info = current.get()
            record.request_id = info.id if info is not None else None
        message = record.getMessage()
        if "@" in message:
            record.msg, record.args = EMAIL.sub("<email>", message), None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            out["request_id"] = request_id
        for key in EXTRA:
            if key in record.__dict__:
                out[key] = record.__dict__[key]
        if record.exc_info and record.exc_info[0] is not None:
            out["exc_type"] = record.exc_info[0].__name__
            # The traceback stays one JSON string (one line), not dozens of lines of text.
            out["exc"] = EMAIL.sub("<email>", self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} [req {request_id}]" if request_id else line


def setup(environ: Mapping[str, str] | None = None) -> logging.Handler:
    """Configure the root logger from ``HIREBOT_LOG_FORMAT`` (text|json), ``HIREBOT_LOG_LEVEL``
    (default INFO) and ``HIREBOT_LOG_PAYLOADS``. Returns the handler (tests remove it)."""
    env = os.environ if environ is None else environ
    fmt = (env.get("HIREBOT_LOG_FORMAT") or "text").lower()
    if fmt not in ("text", "json"):
        raise ValueError(f"HIREBOT_LOG_FORMAT={fmt!r}: use text or json")
    level_name = (env.get("HIREBOT_LOG_LEVEL") or "INFO").upper()
    level = logging.getLevelName(level_name)
    if not isinstance(level, int):
        raise ValueError(f"HIREBOT_LOG_LEVEL={level_name!r}: use DEBUG, INFO, WARNING or ERROR")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RequestContext())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h.formatter, JsonFormatter | TextFormatter)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    if env.get("HIREBOT_LOG_PAYLOADS") != "1":
        for name in PAYLOAD_LOGGERS:
            logging.getLogger(name).setLevel(max(level, logging.INFO))
    return handler
