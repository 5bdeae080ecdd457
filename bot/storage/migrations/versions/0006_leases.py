"""Leases, so several replicas can share the database and each scheduled job is done by one
(see bot/leases.py). ``leases``: one row per job in progress ("sweep", a digest's delivery key),
taken while absent or expired. Reminders are claimed row by row: holder, a random token per claim
and when it ends. ``channel_pacing``: when a channel may get its next message, and which replica
is posting to it now. Lease times are UTC ISO text to the microsecond (bot.clock.iso_us) of real
time, not the domain clock.

Schema v6."""

from __future__ import annotations

from bot.storage.schema import run_script

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SCRIPT = """
CREATE TABLE leases (
    key TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    token TEXT NOT NULL,
    lease_until TEXT NOT NULL
);
ALTER TABLE reminders ADD COLUMN claimed_by TEXT;
ALTER TABLE reminders ADD COLUMN claim_token TEXT;
ALTER TABLE reminders ADD COLUMN lease_until TEXT;
CREATE TABLE channel_pacing (
    channel_id TEXT PRIMARY KEY,
    next_at TEXT NOT NULL,
    holder TEXT,
    token TEXT,
    lease_until TEXT
)
"""


def upgrade() -> None:
    run_script(SCRIPT)
