"""Backups, checked restores and the schema status of hirebot's SQLite file.

Plain :mod:`sqlite3`, synchronous: these run from the command line (``hirebot backup``,
``hirebot restore``, ``hirebot db status``), in their own process, next to a bot that keeps
serving. Both directions go through SQLite's online backup API, never a file copy:

- **backup** copies the live database in one step (``pages=-1``), i.e. inside a single read
  transaction. In WAL mode a reader never blocks the writer, so the bot keeps committing while the
  copy runs, and the copy is the database exactly as of one commit: every transaction is in it
  whole or not at all. The copy is written beside the destination, switched from WAL to a
  rollback journal (one self-contained file), checked (``integrity_check``, ``foreign_key_check``,
  schema version), fsynced, and only then renamed into place, so a crash mid-backup never leaves a
  half file under the final name.
- **restore** checks the backup first and refuses a damaged file, something that is not a hirebot
  database, or a schema newer than this hirebot. It then keeps a safety copy of the current
  database (``<db>.before-restore-<time>``) and writes the backup's pages into the database
  through SQLite's locks, so even an open connection sees either the old or the restored database.
  An older schema is fine: the bot migrates it at start-up (or ``hirebot db migrate``).
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from . import MIGRATIONS

#: The schema version this code writes (``PRAGMA user_version`` after every migration).
SCHEMA_VERSION = len(MIGRATIONS)
#: Tables every hirebot database has had since the first migration.
CORE_TABLES = frozenset({"openings", "opening_members", "applications", "stage_moves", "notes", "audit"})
#: ``hirebot backup DIR`` names its files like this; ``--keep`` prunes only these.
STAMPED = re.compile(r"^hirebot-\d{8}T\d{6}Z\.db$")
BUSY_MS = 30_000


class BackupError(RuntimeError):
    """The file cannot be backed up from or restored: the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class Checked:
    path: Path
    schema_version: int
    rows: dict[str, int]
    size_bytes: int

    @property
    def summary(self) -> str:
        return (f"schema v{self.schema_version}, {_size(self.size_bytes)}, {self.rows.get('openings', 0)} openings, "
                f"{self.rows.get('applications', 0)} applications")


@dataclass(frozen=True, slots=True)
class Status:
    path: Path
    exists: bool
    schema_version: int | None = None
    code_version: int = SCHEMA_VERSION
    size_bytes: int = 0
    wal_bytes: int = 0
    journal_mode: str | None = None
    integrity: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    pending_reminders: int | None = None

    @property
    def state(self) -> str:
        if not self.exists:
            return "missing (created and migrated when hirebot starts, or by hirebot db migrate)"
        assert self.schema_version is not None
        if self.schema_version > self.code_version:
            return f"NEWER than this hirebot (v{self.code_version}): upgrade hirebot before starting it"
        if self.schema_version < self.code_version:
            return f"needs migration v{self.schema_version} → v{self.code_version} (hirebot db migrate, or start it)"
        return "up to date"

    def as_dict(self) -> dict[str, object]:
        return {"path": str(self.path), "exists": self.exists, "schema_version": self.schema_version,
                "code_version": self.code_version, "state": self.state, "size_bytes": self.size_bytes,
                "wal_bytes": self.wal_bytes, "journal_mode": self.journal_mode, "integrity": self.integrity,
                "rows": self.rows, "pending_reminders": self.pending_reminders}


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    raise AssertionError("unreachable")


def _connect(path: Path, mode: str) -> sqlite3.Connection:
    """``mode`` is ``ro`` or ``rw`` (both refuse to create the file) or ``rwc``."""
    uri = f"file:{quote(str(path.resolve()))}?mode={mode}"
    con = sqlite3.connect(uri, uri=True, timeout=BUSY_MS / 1000, isolation_level=None)
    con.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
    return con


def _tables(con: sqlite3.Connection) -> list[str]:
    rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                       "ORDER BY name").fetchall()
    return [r[0] for r in rows]


def _counts(con: sqlite3.Connection) -> dict[str, int]:
    return {t: int(con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]) for t in _tables(con)}


def _version(con: sqlite3.Connection) -> int:
    return int(con.execute("PRAGMA user_version").fetchone()[0])


def check(path: str | Path) -> Checked:
    """Is ``path`` a sound hirebot database this code can run? Raise :class:`BackupError` if not."""
    p = Path(path)
    if not p.is_file():
        raise BackupError(f"{p}: no such file")
    try:
        con = _connect(p, "ro")
    except sqlite3.Error as exc:
        raise BackupError(f"{p}: cannot open: {exc}") from None
    try:
        try:
            problems = [r[0] for r in con.execute("PRAGMA integrity_check").fetchall()]
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{p}: not a usable SQLite database ({exc})") from None
        if problems != ["ok"]:
            raise BackupError(f"{p}: integrity_check failed: {'; '.join(problems[:3])}")
        tables = set(_tables(con))
        version = _version(con)
        if version == 0 or not CORE_TABLES <= tables:
            raise BackupError(f"{p}: not a hirebot database (schema v{version}, tables: "
                              f"{', '.join(sorted(tables)) or 'none'})")
        if version > SCHEMA_VERSION:
            raise BackupError(f"{p}: schema v{version} is newer than this hirebot (v{SCHEMA_VERSION}); "
                              "restore it with the hirebot that wrote it")
        dangling = con.execute("PRAGMA foreign_key_check").fetchall()
        if dangling:
            raise BackupError(f"{p}: {len(dangling)} row(s) point at missing rows (first: table {dangling[0][0]}, "
                              f"rowid {dangling[0][1]})")
        return Checked(p, version, _counts(con), p.stat().st_size)
    finally:
        con.close()


def status(path: str | Path, *, integrity: bool = False) -> Status:
    p = Path(path)
    if not p.exists():
        return Status(p, exists=False)
    wal = Path(str(p) + "-wal")
    con = _connect(p, "ro")
    try:
        version = _version(con)
        rows = _counts(con)
        pending = None
        if "reminders" in rows:
            pending = int(con.execute("SELECT COUNT(*) FROM reminders WHERE status = 'pending'").fetchone()[0])
        ok = None
        if integrity:
            ok = "; ".join(r[0] for r in con.execute("PRAGMA integrity_check").fetchall()[:3])
        mode = str(con.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        con.close()
    return Status(p, True, version, SCHEMA_VERSION, p.stat().st_size, wal.stat().st_size if wal.exists() else 0,
                  mode, ok, rows, pending)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def backup_target(dest: str | Path, now: datetime | None = None) -> Path:
    """A directory (existing, or written with a trailing slash) gets a time-stamped file name."""
    d = Path(dest)
    if d.is_dir() or str(dest).endswith(os.sep):
        return d / f"hirebot-{_stamp(now)}.db"
    return d


@dataclass(frozen=True, slots=True)
class BackupResult:
    source: Path
    path: Path
    checked: Checked
    seconds: float
    pruned: list[Path]


def backup(db_path: str | Path, dest: str | Path, *, keep: int | None = None) -> BackupResult:
    """A consistent copy of the (possibly live) database at ``dest``; see the module docstring."""
    started = time.perf_counter()
    src_path = Path(db_path)
    if not src_path.is_file():
        raise BackupError(f"{src_path}: no such database (is HIREBOT_DB right?)")
    target = backup_target(dest)
    if target.resolve() == src_path.resolve():
        raise BackupError("the backup would overwrite the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.partial")
    tmp.unlink(missing_ok=True)
    try:
        src = _connect(src_path, "rw")  # rw, not ro: a WAL reader may need to create the -shm index
        try:
            dst = sqlite3.connect(tmp, isolation_level=None)
            try:
                src.backup(dst)  # pages=-1: the whole database in one step, i.e. one read transaction
                dst.execute("PRAGMA journal_mode = DELETE")  # a backup is one self-contained file
            finally:
                dst.close()
        finally:
            src.close()
        checked = check(tmp)
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync(target.parent)
    except sqlite3.Error as exc:
        raise BackupError(f"backup of {src_path} failed: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    pruned: list[Path] = []
    if keep is not None and STAMPED.match(target.name):
        older = sorted(p for p in target.parent.iterdir() if STAMPED.match(p.name))[:-max(keep, 1)]
        for p in older:
            p.unlink()
            pruned.append(p)
    return BackupResult(src_path, target, Checked(target, checked.schema_version, checked.rows, target.stat().st_size),
                        time.perf_counter() - started, pruned)


@dataclass(frozen=True, slots=True)
class RestoreResult:
    path: Path
    checked: Checked
    previous: Path | None


def restore(backup_file: str | Path, db_path: str | Path) -> RestoreResult:
    """Check ``backup_file``, keep a safety copy of ``db_path`` if it exists, then restore into it."""
    check(backup_file)
    target = Path(db_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    previous = None
    if target.exists() and target.stat().st_size > 0:
        aside = target.with_name(f"{target.name}.before-restore-{_stamp()}")
        try:
            previous = backup(target, aside).path
        except BackupError:
            # The current database is itself damaged (why one restores): move its files aside whole
            # and restore into a fresh file. Nothing can be using a database in that state.
            for suffix in ("", "-wal", "-shm"):
                if Path(str(target) + suffix).exists():
                    os.replace(str(target) + suffix, str(aside) + suffix)
            previous = aside
    try:
        src = _connect(Path(backup_file), "ro")
        try:
            dst = _connect(target, "rwc")
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode = WAL")  # as the bot runs it
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"restore into {target} failed: {exc}"
                          + (f"; the previous database is kept at {previous}" if previous else "")) from None
    return RestoreResult(target, check(target), previous)


def schema_version(db_path: str | Path) -> int | None:
    """The file's schema version, or None when there is no database yet."""
    p = Path(db_path)
    if not p.exists():
        return None
    con = _connect(p, "ro")
    try:
        return _version(con)
    finally:
        con.close()
