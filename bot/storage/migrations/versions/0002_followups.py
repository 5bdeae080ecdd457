"""Follow-ups: SLA limits, people's notification settings, reminders, digest subscriptions,
and the delivery log whose unique keys make every scheduled message go out at most once.

Schema v2 (``PRAGMA user_version = 2`` in databases made before Alembic)."""

from __future__ import annotations

from bot.storage.schema import run_script

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCRIPT = """
CREATE TABLE sla_limits (
    opening_id INTEGER NOT NULL,
    stage TEXT NOT NULL,
    days INTEGER NOT NULL CHECK (days BETWEEN 1 AND 60),
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL,
    PRIMARY KEY (opening_id, stage)
);
CREATE TABLE user_prefs (
    user_id TEXT PRIMARY KEY,
    notify TEXT NOT NULL DEFAULT 'on' CHECK (notify IN ('on', 'off', 'digest-only')),
    work_start TEXT,
    work_end TEXT,
    work_days TEXT,
    tz TEXT,
    tz_checked_at TEXT
);
CREATE TABLE reminders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    opening_id INTEGER REFERENCES openings (id),
    application_id INTEGER REFERENCES applications (id),
    stage TEXT,
    text TEXT,
    asked_for TEXT NOT NULL,
    due_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'cancelled', 'dropped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    done_at TEXT
);
CREATE INDEX reminders_due ON reminders (status, due_at);
CREATE INDEX reminders_user ON reminders (user_id, status);
CREATE INDEX reminders_application ON reminders (application_id, status);
CREATE TABLE sla_state (
    application_id INTEGER PRIMARY KEY REFERENCES applications (id),
    stage TEXT NOT NULL,
    snoozed_until TEXT,
    acked_at TEXT,
    last_nudged_on TEXT,
    ignored INTEGER NOT NULL DEFAULT 0,
    escalated_at TEXT
);
CREATE TABLE nudge_batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    items TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE digest_subscriptions (
    channel_id TEXT PRIMARY KEY,
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    at TEXT NOT NULL,
    tz TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT 'channel' CHECK (scope IN ('channel', 'all')),
    private_channel INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE deliveries (
    key TEXT PRIMARY KEY,
    at TEXT NOT NULL
);
CREATE INDEX stage_moves_at ON stage_moves (at);
"""


def upgrade() -> None:
    run_script(SCRIPT)
