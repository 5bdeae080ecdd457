"""The durable inbox. A command is written here before Slack is acknowledged, so an
acknowledged command survives a crash; ``applied_at`` is set in the same transaction as the
command's own write (see Store.claiming), ``answered_at`` once its reply went out. An exact
replay (the same request: trigger id, response URL and content) finds its row by request_key.

Schema v4 (``PRAGMA user_version = 4`` in databases made before Alembic)."""

from __future__ import annotations

from bot.storage.schema import run_script

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCRIPT = """
CREATE TABLE inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('command', 'action')),
    request_key TEXT UNIQUE,
    trigger_id TEXT,
    response_url TEXT,
    user_id TEXT NOT NULL,
    channel_id TEXT,
    team_id TEXT,
    enterprise_id TEXT,
    text TEXT NOT NULL DEFAULT '',
    payload TEXT,
    received_at TEXT NOT NULL,
    applied_at TEXT,
    answered_at TEXT,
    outcome TEXT
);
CREATE INDEX inbox_unanswered ON inbox (answered_at, id)
"""


def upgrade() -> None:
    run_script(SCRIPT)
