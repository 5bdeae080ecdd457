"""Replicas: several ``hirebot run`` processes share one database. An inbox row has a holder
(the replica processing it) and a lease it renews while processing; a row whose lease ran out (its
replica died) is taken over by another, claimed with a conditional UPDATE so exactly one takes
it. Rows from before this version have no holder: their lease is over ('' sorts before any
moment). The partial index makes "whose lease ran out" a short range read; processed_events gets
one on ``at`` for pruning old keys.

Schema v7."""

from __future__ import annotations

from bot.storage.schema import run_script

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SCRIPT = """
ALTER TABLE inbox ADD COLUMN holder TEXT;
ALTER TABLE inbox ADD COLUMN lease_until TEXT;
UPDATE inbox SET lease_until = '' WHERE answered_at IS NULL;
CREATE INDEX inbox_leases ON inbox (lease_until) WHERE answered_at IS NULL;
CREATE INDEX processed_events_at ON processed_events (at)
"""


def upgrade() -> None:
    run_script(SCRIPT)
