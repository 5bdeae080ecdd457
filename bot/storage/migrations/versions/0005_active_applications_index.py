"""The active applications (an open stage, not forgotten) by opening, stage and the moment
they entered it. The SLA sweep, the digest and App Home read them in pages along this index
(see Store.active_pages), so a page is a short range of it whatever the table's size, and
the "entered at or before" test of each row is answered from the index alone. And stage
counts (every list, card and digest total) skip forgotten applications from the index
alone too: counting 2,000 openings' 100,000 applications took 61 ms visiting each row for
forgotten_at, 11 ms from the index (sqlite3, in one run on this machine).

Schema v5 (``PRAGMA user_version = 5`` in databases made before Alembic)."""

from __future__ import annotations

from bot.storage.schema import run_script

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SCRIPT = """
CREATE INDEX applications_active ON applications (opening_id, stage, stage_since)
    WHERE forgotten_at IS NULL AND stage IN ('applied', 'screen', 'interview', 'offer');
DROP INDEX applications_opening;
CREATE INDEX applications_opening ON applications (opening_id, stage, forgotten_at)
"""


def upgrade() -> None:
    run_script(SCRIPT)
