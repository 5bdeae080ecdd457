"""Openings, their hiring teams, applications with an audited stage history, notes.

Schema v1 (``PRAGMA user_version = 1`` in databases made before Alembic)."""

from __future__ import annotations

from bot.storage.schema import run_script

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCRIPT = """
CREATE TABLE openings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    data TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'filled', 'cancelled')),
    channel_id TEXT,
    message_ts TEXT,
    permalink TEXT,
    private_channel INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX openings_message ON openings (channel_id, message_ts);
CREATE TABLE opening_members (
    opening_id INTEGER NOT NULL REFERENCES openings (id),
    user_id TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('manager', 'recruiter', 'interviewer')),
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (opening_id, user_id)
);
CREATE TABLE applications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    opening_id INTEGER NOT NULL REFERENCES openings (id),
    candidate_name TEXT,
    email TEXT,
    source TEXT,
    referrer TEXT,
    stage TEXT NOT NULL,
    stage_since TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    forgotten_at TEXT
);
CREATE INDEX applications_opening ON applications (opening_id, stage);
CREATE TABLE stage_moves (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES applications (id),
    from_stage TEXT,
    to_stage TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT,
    at TEXT NOT NULL
);
CREATE INDEX stage_moves_app ON stage_moves (application_id, id);
CREATE TABLE notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    opening_id INTEGER NOT NULL REFERENCES openings (id),
    application_id INTEGER REFERENCES applications (id),
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    source TEXT NOT NULL,
    slack_ts TEXT,
    at TEXT NOT NULL
);
CREATE INDEX notes_subject ON notes (opening_id, application_id);
CREATE TABLE drafts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    channel_id TEXT,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at TEXT
);
CREATE TABLE processed_events (
    event_key TEXT PRIMARY KEY,
    at TEXT NOT NULL
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT,
    at TEXT NOT NULL
);
"""


def upgrade() -> None:
    run_script(SCRIPT)
