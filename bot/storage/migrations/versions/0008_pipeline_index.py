"""A pipeline shows the first few candidates of each stage, longest waiting first. Without an
index in that order it read and sorted every application of the opening (10,000 rejected
candidates sorted for the 8 it shows); with this one, each stage is a short range read that stops
after the few it shows, whatever the opening's size.

Schema v8."""

from __future__ import annotations

from bot.storage.schema import run_script

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SCRIPT = """
CREATE INDEX applications_stage_queue ON applications (opening_id, stage, stage_since, id) WHERE forgotten_at IS NULL
"""


def upgrade() -> None:
    run_script(SCRIPT)
