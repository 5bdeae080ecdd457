"""``hirebot restore`` refuses what it must not restore, and leaves the database as it was;
``hirebot backup --keep`` rotates; ``hirebot db status`` / ``db migrate`` on an old schema.
(The backup under a write burst and the restore of it: tests/handlers/test_backup_live.py.)"""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage import MIGRATIONS
from bot.storage.backup import SCHEMA_VERSION, backup

from .test_cli import hirebot

#: Backups copy a SQLite file; on PostgreSQL that is pg_dump's job (README, "Scaling out").
pytestmark = pytest.mark.sqlite_only

def run(db: Path, *args: str) -> tuple[int, str, str]:
    r = hirebot(*args, env={"HIREBOT_DB": str(db)})
    return r.returncode, r.stdout, r.stderr


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def live(tmp_path: Path) -> Path:
    """A migrated database with one opening and one candidate, written like the bot writes."""
    db = tmp_path / "live" / "hirebot.db"
    rc, _, err = run(db, "db", "migrate")
    assert rc == 0, err
    con = sqlite3.connect(db, isolation_level=None)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    con.execute("INSERT INTO openings (title, data, created_by, created_at) VALUES ('Data Engineer', '{}', 'U1', ?)",
                (now,))
    con.execute("INSERT INTO applications (opening_id, candidate_name, stage, stage_since, created_by, created_at) "
                "VALUES (1, 'Ada Lovelace', 'applied', ?, 'U1', ?)", (now, now))
    con.close()
    return db


@pytest.fixture
def good_backup(live: Path, tmp_path: Path) -> Path:
    return backup(live, tmp_path / "good.db").path


def test_restore_check_only_changes_nothing(live: Path, good_backup: Path) -> None:
    before = digest(live)
    rc, out, _ = run(live, "restore", "--check", str(good_backup))
    assert rc == 0 and "integrity ok" in out and f"schema v{SCHEMA_VERSION}" in out and "1 applications" in out
    assert digest(live) == before


def test_restore_refuses_a_damaged_backup_and_keeps_the_database(live: Path, good_backup: Path) -> None:
    damaged = good_backup.with_name("damaged.db")
    data = bytearray(good_backup.read_bytes())
    page = 4096
    for offset in range(page + 8, len(data), 97):  # scribble over every page but the header page
        data[offset] = 0x5A
    damaged.write_bytes(bytes(data))
    before = digest(live)
    rc, _, err = run(live, "restore", str(damaged))
    assert rc == 2 and err.startswith("hirebot: ") and str(damaged) in err
    assert digest(live) == before
    assert not list(live.parent.glob("*.before-restore-*")), "nothing was touched, so nothing was set aside"


def test_restore_refuses_a_newer_schema(live: Path, good_backup: Path) -> None:
    con = sqlite3.connect(good_backup)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    before = digest(live)
    rc, _, err = run(live, "restore", str(good_backup))
    assert rc == 2 and f"schema v{SCHEMA_VERSION + 1} is newer" in err
    assert digest(live) == before


def test_restore_refuses_a_database_that_is_not_hirebots(live: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.execute("PRAGMA user_version = 1")
    con.close()
    rc, _, err = run(live, "restore", str(other))
    assert rc == 2 and "not a hirebot database" in err
    rc, _, err = run(live, "restore", str(tmp_path / "absent.db"))
    assert rc == 2 and "no such file" in err


def test_restore_over_a_database_keeps_the_previous_one(live: Path, good_backup: Path) -> None:
    con = sqlite3.connect(live, isolation_level=None)
    con.execute("UPDATE applications SET candidate_name = 'Changed After Backup'")
    con.close()
    rc, out, err = run(live, "restore", str(good_backup))
    assert rc == 0, err
    con = sqlite3.connect(live)
    assert con.execute("SELECT candidate_name FROM applications").fetchall() == [("Ada Lovelace",)]
    con.close()
    (previous,) = live.parent.glob("hirebot.db.before-restore-*")
    assert str(previous) in out
    con = sqlite3.connect(previous)
    assert con.execute("SELECT candidate_name FROM applications").fetchall() == [("Changed After Backup",)]
    con.close()


def test_backup_into_a_directory_keeps_the_newest(live: Path, tmp_path: Path) -> None:
    folder = tmp_path / "rotated"
    folder.mkdir()
    old = [folder / f"hirebot-2026010{d}T000000Z.db" for d in range(1, 4)]
    for p in old:
        p.write_bytes(b"old")
    (folder / "keep-me.db").write_bytes(b"not ours")
    rc, out, err = run(live, "backup", str(folder), "--keep", "2")
    assert rc == 0, err
    left = sorted(p.name for p in folder.iterdir())
    assert len(left) == 3 and left[0] == old[2].name and left[2] == "keep-me.db"
    assert left[1].startswith("hirebot-2026") and left[1] != old[2].name
    assert "removed old backup" in out and str(old[0]) in out and str(old[1]) in out


def test_status_and_migrate_an_older_schema(tmp_path: Path) -> None:
    db = tmp_path / "v1.db"
    con = sqlite3.connect(db, isolation_level=None)
    con.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    con.execute("INSERT INTO openings (title, data, created_by, created_at) VALUES ('Old', '{}', 'U1', 'x')")
    con.close()
    rc, out, _ = run(db, "db", "status")
    assert rc == 1 and f"needs migration v1 → v{SCHEMA_VERSION}" in out and "openings 1" in out
    rc, out, err = run(db, "db", "migrate")
    assert rc == 0 and f"schema v1 → v{SCHEMA_VERSION}" in out, err
    rc, out, _ = run(db, "db", "status", "--check")
    assert rc == 0 and "up to date" in out and "integrity: ok" in out and "openings 1" in out
    rc, out, _ = run(db, "db", "migrate")
    assert rc == 0 and "already up to date" in out


def test_status_of_a_missing_database_says_so(tmp_path: Path) -> None:
    rc, out, _ = run(tmp_path / "nope.db", "db", "status")
    assert rc == 1 and "missing" in out
    assert not (tmp_path / "nope.db").exists(), "status never creates the database"
