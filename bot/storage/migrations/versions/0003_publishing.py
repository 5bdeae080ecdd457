"""Publishing is one workflow. A draft points at the opening it created, a claim stops a
double click from posting two cards, and an opening whose card could not be posted keeps
the reason, so posting again retries instead of failing for good.

Schema v3 (``PRAGMA user_version = 3`` in databases made before Alembic)."""

from __future__ import annotations

from bot.storage.schema import run_script

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCRIPT = """
ALTER TABLE drafts ADD COLUMN opening_id INTEGER REFERENCES openings (id);
ALTER TABLE drafts ADD COLUMN claimed_at TEXT;
ALTER TABLE openings ADD COLUMN post_error TEXT
"""


def upgrade() -> None:
    run_script(SCRIPT)
