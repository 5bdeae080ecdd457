"""The one package that owns SQL: every query here, the schema's history in ``migrations/``.

One set of queries for two backends (see :mod:`bot.storage.drivers`): SQLite (the default: one
file, nothing to run; WAL mode with a busy timeout, so a kill -9 loses nothing committed and
readers never block the writer) and PostgreSQL (``HIREBOT_DATABASE_URL``, for several replicas).
The schema is migrated with Alembic at start-up (:mod:`bot.storage.schema`). Ids are never
handed out twice (SQLite's ``AUTOINCREMENT``, PostgreSQL's identity columns).

Every command of the bot runs inside one :meth:`Store.transaction`, so a failure half-way
leaves nothing half-written. Write transactions are serialised: on SQLite by its one writer
(one connection per process, in turns), on PostgreSQL by an advisory lock all replicas take, so
the domain's read-check-write rules hold the same way on both. Reads (:meth:`Store.reading`) are
snapshots; on PostgreSQL they run side by side on a pool.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.clock import iso, iso_us

from . import schema
from .drivers import Driver, InlineSqliteDriver, PostgresDriver, database_url, driver_for, make_engine
from .schema import legacy_scripts
from .unread import Moved as Moved
from .unread import UnreadMove as UnreadMove
from .unread import UnreadMoves

log = logging.getLogger("hirebot.storage")

#: SQLite file: the WAL is checkpointed after this many commits, or at the first commit once
#: this many seconds passed since the last checkpoint. (SQLite's own default is every 1,000 pages
#: of WAL, a few hundred commands; the size of the WAL file does not tell, as SQLite reuses it
#: from the start without shrinking it.)
CHECKPOINT_EVERY_COMMITS = 256
CHECKPOINT_EVERY_SECONDS = 1.0
#: SQLite file: the longest a background transaction's rest may be (see ``transaction``).
BACKGROUND_REST_MAX = 0.1

#: Marks a claimed command's inbox row applied (:meth:`Store.transaction`): (when, id).
_MARK_APPLIED = "UPDATE inbox SET applied_at = ? WHERE id = ? AND applied_at IS NULL"

#: PostgreSQL: :meth:`Tx.mark_inbox_answered_batch` as one statement on three arrays (ids, when,
#: outcome), locking the rows in id order (the sort is below the lock, as in ``renew_inbox``).
_MARK_ANSWERED_ARRAYS = (
    "UPDATE inbox SET answered_at = a.at, outcome = a.outcome FROM (SELECT i.id, v.at, v.outcome "
    "FROM unnest(CAST(? AS bigint[]), CAST(? AS text[]), CAST(? AS text[])) AS v(id, at, outcome) "
    "JOIN inbox i ON i.id = v.id WHERE i.answered_at IS NULL ORDER BY i.id FOR UPDATE OF i) AS a "
    "WHERE inbox.id = a.id")

#: Seconds a kept PostgreSQL connection may sit unused before it is checked before use.
WRITER_IDLE_CHECK = 60.0
#: PostgreSQL: how many connections reads keep (each replica; the engine's pool holds 8).
POSTGRES_READERS = 4
#: PostgreSQL: how many connections writes keep (each replica). Writes are serialised by the
#: advisory lock whatever this is; with two, the next write's BEGIN already waits at the server
#: while the current one runs, and the server hands the lock over at the COMMIT. With one, the
#: hand-over waited for this process to read the COMMIT's answer, wake the next transaction and
#: send its BEGIN (bench ack, ``move``: 505 -> 610-620 replies/s with two; three added nothing).
POSTGRES_WRITERS = 2

#: What an erased name or e-mail becomes wherever it was mentioned.
FORGOTTEN = "[forgotten]"

#: Each schema revision's script as SQLite runs it, oldest first (the Alembic revisions in
#: ``migrations/versions``; ``PRAGMA user_version`` n means the first n are applied).
MIGRATIONS: list[str] = legacy_scripts()


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    """Both backends cap bound parameters per statement; long id lists go in slices."""
    return [ids[i:i + size] for i in range(0, len(ids), size)]


#: PostgreSQL's SQLSTATE for "deadlock detected", and how often a standalone statement the server
#: chose to break one is run again (see :meth:`Tx.mark_inbox_answered_batch`).
DEADLOCK = "40P01"
DEADLOCK_RETRIES = 3

#: Inbox rows written by one multi-row INSERT (13 parameters each: 3,328, within both backends'
#: caps of 32,766 and 32,767).
INBOX_ROWS = 256


class InboxRecord(NamedTuple):
    """One received request as :meth:`Tx.record_inbox_batch` writes it, held by ``holder`` until
    ``lease_until`` (see the replicas section of :class:`Tx`)."""

    kind: str
    request_key: str | None
    trigger_id: str | None
    response_url: str | None
    user_id: str
    channel_id: str | None
    team_id: str | None
    enterprise_id: str | None
    text: str
    payload: dict[str, Any] | None
    now: datetime
    holder: str = ""
    lease_until: datetime | None = None


def _inbox_values(r: InboxRecord) -> tuple[Any, ...]:
    """The inbox row's values, in the column order of the INSERTs."""
    return (r.kind, r.request_key, r.trigger_id, r.response_url, r.user_id, r.channel_id, r.team_id,
            r.enterprise_id, r.text, json.dumps(r.payload) if r.payload is not None else None, iso(r.now), r.holder,
            iso_us(r.lease_until or r.now))


_COLUMNS: dict[str, tuple[str, ...]] = {}

#: The stages an application can wait in, in the order :class:`Scope` lists its limits (the
#: partial index ``applications_active`` holds exactly these; see ``bot.stages.OPEN_STAGES``).
ACTIVE_STAGES = ("applied", "screen", "interview", "offer")
_ACTIVE = "a.forgotten_at IS NULL AND a.stage IN ('applied', 'screen', 'interview', 'offer')"
#: A position in ``applications_active``: pages are ranges of it.
_KEY = "(a.opening_id, a.stage, a.stage_since, a.id)"
_FIRST_KEY: tuple[int, str, str, int] = (0, "", "", 0)
#: Where the next page ends: ``size`` entries on, read from the index alone.
_PAGE_END = (f"SELECT a.opening_id, a.stage, a.stage_since, a.id FROM applications a WHERE {_ACTIVE} "
             f"AND {_KEY} > (?, ?, ?, ?) ORDER BY a.opening_id, a.stage, a.stage_since, a.id LIMIT 1 OFFSET ?")
#: One page: the rows of a range of the index whose opening is in scope and that entered their
#: stage early enough, with their follow-up state for that stage. ``scope`` is a JSON list of
#: [opening id, entered_by × 4, quiet from, quiet to, nudge, escalate]; its id is cast so that
#: SQLite can index it (an automatic index needs the join's affinities to agree).
_ENTERED_BY = ("CASE a.stage WHEN 'applied' THEN scope.applied WHEN 'screen' THEN scope.screen "
               "WHEN 'interview' THEN scope.interview ELSE scope.offer END")
#: The JSON list arrives as one text parameter, unpacked by each dialect's JSON table function;
#: SQLite's CROSS JOIN keeps the planner from reordering (scope first), PostgreSQL has no such need.
_PAGE_SOURCE = {"sqlite": ("json_each(?)", "CROSS JOIN"),
                "postgresql": ("jsonb_array_elements(CAST(? AS jsonb))", "JOIN")}
_PAGE = """
WITH scope (id, applied, screen, interview, offer, quiet_from, quiet_to, nudge, escalate) AS MATERIALIZED (
    SELECT CAST(value ->> 0 AS INTEGER), value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5,
           value ->> 6, CAST(value ->> 7 AS INTEGER), CAST(value ->> 8 AS INTEGER) FROM {source})
SELECT a.*, s.stage AS state_stage, s.snoozed_until AS state_snoozed_until, s.acked_at AS state_acked_at,
       s.last_nudged_on AS state_last_nudged_on, s.ignored AS state_ignored, s.escalated_at AS state_escalated_at
FROM applications a {join} scope ON scope.id = a.opening_id
LEFT JOIN sla_state s ON s.application_id = a.id AND s.stage = a.stage
WHERE {active} AND {key} > (?, ?, ?, ?) AND {key} <= (?, ?, ?, ?) AND a.stage_since <= {entered_by}
  AND (? = 1 OR (
    (s.acked_at IS NULL OR s.acked_at <= {entered_by})
    AND (s.snoozed_until IS NULL OR s.snoozed_until <= ?)
    AND ((scope.nudge = 1 AND (s.last_nudged_on IS NULL
                               OR s.last_nudged_on NOT BETWEEN scope.quiet_from AND scope.quiet_to))
         OR (scope.escalate = 1 AND s.ignored >= ? AND COALESCE(s.escalated_at, '') = ''))))
ORDER BY a.opening_id, a.stage, a.stage_since, a.id
"""
_PAGES = {dialect: _PAGE.format(source=source, join=join, active=_ACTIVE, key=_KEY, entered_by=_ENTERED_BY)
          for dialect, (source, join) in _PAGE_SOURCE.items()}

#: Reading the schema (a forget scrubs every text column; a join lists a table's columns).
_TEXT_COLUMNS = {
    "sqlite": "SELECT m.name AS t, c.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) c "
              "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name != 'alembic_version' "
              "AND upper(c.type) LIKE '%TEXT%' ORDER BY m.name, c.cid",
    "postgresql": "SELECT table_name AS t, column_name AS c FROM information_schema.columns "
                  "WHERE table_schema = current_schema() AND table_name != 'alembic_version' "
                  "AND data_type = 'text' ORDER BY table_name, ordinal_position"}
#: An opening's team as one JSON column of ``[user_id, role, added_at]`` (``o`` is the opening).
_TEAM = {
    "sqlite": "(SELECT json_group_array(json_array(m.user_id, m.role, m.added_at)) FROM opening_members m "
              "WHERE m.opening_id = o.id)",
    "postgresql": "(SELECT json_agg(json_build_array(m.user_id, m.role, m.added_at))::text FROM opening_members m "
                  "WHERE m.opening_id = o.id)"}
_TABLE_COLUMNS = {
    "sqlite": "SELECT name FROM pragma_table_info(?) ORDER BY cid",
    "postgresql": "SELECT column_name AS name FROM information_schema.columns "
                  "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position"}


@dataclass(frozen=True, slots=True)
class Scope:
    """One opening in a paged read of active applications (:meth:`Store.active_pages`).

    ``entered_by``: per stage of :data:`ACTIVE_STAGES`, the latest ``stage_since`` (ISO text) a
    row may have: a row that entered its stage later is not read at all. The rest narrows a
    sweep (:class:`Sweep`) only: ``quiet`` is the range of ``last_nudged_on`` dates (inclusive)
    in which the manager was nudged recently enough to be left alone now, or None when the
    manager cannot be nudged now; ``escalate`` says whether anyone could be told now about a
    candidate the manager ignored."""

    entered_by: tuple[str, str, str, str]
    quiet: tuple[str, str] | None = None
    escalate: bool = False

    def row(self, opening_id: int) -> list[Any]:
        quiet = self.quiet or ("", "")
        return [opening_id, *self.entered_by, *quiet, int(self.quiet is not None), int(self.escalate)]


@dataclass(frozen=True, slots=True)
class Sweep:
    """Narrows :meth:`Store.active_pages` to what a nudge sweep can act on at ``now``: not
    snoozed, not restarted by a *Done* after ``entered_by``, and either the manager may be
    nudged (see :class:`Scope`) or an escalation is due (ignored ``escalate_after`` times or
    more, not escalated yet). A superset of what is due: the rule itself is the caller's."""

    now: datetime
    escalate_after: int


def _same_stage_or_clean(**given: str) -> str:
    """The SET list of an ``sla_state`` upsert: ``given`` columns take those expressions; every
    other column keeps its value when the existing row is about the same stage and is reset
    otherwise (NULL; ``ignored`` 0). The right-hand sides all read the row as it was."""
    resets = {"snoozed_until": "NULL", "acked_at": "NULL", "last_nudged_on": "NULL", "ignored": "0",
              "escalated_at": "NULL"}
    sets = ["stage = excluded.stage"]
    for column, reset in resets.items():
        value = given.get(column) or (f"CASE WHEN sla_state.stage = excluded.stage THEN sla_state.{column} "
                                      f"ELSE {reset} END")
        sets.append(f"{column} = {value}")
    return ", ".join(sets)


#: The name :meth:`GuardedMove.statement` is prepared under on each PostgreSQL write connection.
GUARDED_MOVE = "hirebot_guarded_move"
_GUARDED_MOVE_SQL = (
    "WITH moved AS (UPDATE applications SET stage = ?, stage_since = ? WHERE id = ? AND stage = ? "
    "AND forgotten_at IS NULL AND (CAST(? AS text) IS NULL OR EXISTS (SELECT 1 FROM opening_members m "
    "WHERE m.opening_id = applications.opening_id AND m.user_id = ? AND m.role = ANY(CAST(? AS text[])))) "
    "AND (CAST(? AS bigint) IS NULL OR EXISTS (SELECT 1 FROM inbox WHERE id = ? AND applied_at IS NULL)) "
    "RETURNING id), dropped AS (UPDATE reminders SET status = 'dropped', done_at = ? WHERE status = 'pending' "
    "AND application_id IN (SELECT id FROM moved)), marked AS (UPDATE inbox SET applied_at = ? WHERE id = ? "
    "AND EXISTS (SELECT 1 FROM moved)) INSERT INTO stage_moves (application_id, from_stage, to_stage, actor, "
    "reason, at) SELECT id, ?, ?, ?, ?, ? FROM moved")


class GuardedMove(NamedTuple):
    """A move decided on an earlier read (:meth:`bot.hiring.Hiring.move`), made by
    :meth:`Store.move_alone` only if what the decision rested on still holds: the application is
    in ``from_stage`` and not forgotten, and ``held_by``'s user (None: a workspace admin) still
    holds one of its roles on the opening's team. Like :meth:`Tx.move_application` with
    ``drop_reminders``, it logs the move and drops the application's pending reminders.

    On PostgreSQL it is one statement (data-modifying CTEs), sent with the advisory lock in one
    round trip that commits it, and it marks a claimed command's inbox row applied if and only if
    it moves: the write lock is held only while the server runs it, where a move read, checked
    and wrote under it in three round trips and the COMMIT (bench ack, ``move``: see the README)."""

    application_id: int
    from_stage: str
    to_stage: str
    actor: str
    reason: str | None
    now: datetime
    held_by: tuple[str, Collection[str]] | None

    def statement(self, mark: tuple[str, int] | None) -> tuple[str, tuple[Any, ...]]:
        """PostgreSQL: the move as one statement whose row count is 1 if it moved, else 0;
        ``mark`` (when, inbox id): also mark that row applied, only if it was not and the move
        happens (under the advisory lock nothing else marks it meanwhile). One shape for every
        move, so a connection prepares it once (:data:`GUARDED_MOVE`)."""
        user, roles = self.held_by if self.held_by is not None else (None, ())
        when, inbox_id = mark if mark is not None else (None, None)
        now = iso(self.now)
        return (_GUARDED_MOVE_SQL,
                (self.to_stage, now, self.application_id, self.from_stage, user, user, sorted(roles), inbox_id,
                 inbox_id, now, when, inbox_id, self.from_stage, self.to_stage, self.actor, self.reason, now))

    async def make(self, tx: Tx) -> bool:
        """SQLite (no data-modifying CTEs): the same move through :meth:`Tx.move_application`,
        as ``tx``'s first write; whether it moved."""
        return await tx.move_application(self.application_id, self.from_stage, self.to_stage, self.actor,
                                         self.reason, self.now, drop_reminders=True,
                                         while_held_by=self.held_by) is not None


def _firsts_per_stage(opening_id: int, first: int, stages: Sequence[str]) -> tuple[str, tuple[Any, ...]]:
    """The ``first`` longest-waiting applications of each of ``stages``, as one UNION ALL of a
    short range read per stage along ``applications_stage_queue`` (empty text for no stages)."""
    arm = ("SELECT * FROM (SELECT * FROM applications WHERE opening_id = ? AND stage = ? AND forgotten_at IS NULL "
           "ORDER BY stage_since, id LIMIT ?) AS s{n}")
    return (" UNION ALL ".join(arm.format(n=n) for n in range(len(stages))),
            tuple(p for stage in stages for p in (opening_id, stage, first)))


class PipelineView(NamedTuple):
    """What a pipeline shows, read together (:meth:`Store.pipeline_view`): the opening's row, its
    team (as :meth:`Tx.members` orders it), its candidates per stage, the first few
    applications of each stage, and the working-time preferences of its team and creator (the
    manager's are the ones that count; who that is, is the domain's rule)."""

    opening: dict[str, Any]
    team: list[dict[str, Any]]
    counts: dict[str, int]
    applications: list[dict[str, Any]]
    prefs: dict[str, dict[str, Any]]


def _team(raw: Any) -> list[dict[str, Any]]:
    """A team aggregated as [user, role, added at] triples (JSON text or a parsed list), sorted as
    :meth:`Tx.members` sorts (SQLite 3.40 has no ORDER BY inside an aggregate)."""
    triples = json.loads(raw) if isinstance(raw, str) else (raw or [])
    return [{"user_id": u, "role": r} for u, r, _ in sorted(triples, key=lambda m: (m[2], m[0]))]


class Tx:
    """The statements of one transaction. Only :class:`Store` creates these.

    Every query is a named method here; the generic helpers (``_one``, ``_all``, ``_run``…) are
    private so SQL cannot leak into the services. Tests may use them to inspect the database."""

    def __init__(self, db: Driver, dialect: str, *, autocommit: bool = False) -> None:
        self._db = db
        #: "sqlite" or "postgresql": the few queries that differ pick their text by it.
        self.dialect = dialect
        #: Each statement is committed once it returns (:meth:`Store.standalone` on PostgreSQL),
        #: not at the end of the block.
        self.autocommit = autocommit
        #: Rows this transaction wrote so far (what SQLite's ``total_changes`` said before): the
        #: inbox claim marks a command applied only in a transaction that changed something.
        self.changes = 0

    @property
    def _skip_locked(self) -> str:
        """Appended to a claim's SELECT: other replicas' claims in progress are passed over."""
        return " FOR UPDATE SKIP LOCKED" if self.dialect == "postgresql" else ""

    # Each is one round trip: one thread hop on aiosqlite, one message exchange on asyncpg.
    async def _one(self, sql: str, params: Iterable[Any] = (), *, writes: bool = False) -> dict[str, Any] | None:
        rows = await self._all(sql, params, writes=writes)
        return rows[0] if rows else None

    async def _all(self, sql: str, params: Iterable[Any] = (), *, writes: bool = False) -> list[dict[str, Any]]:
        """``writes``: each row returned stands for a row written, though the statement does not
        start with INSERT, UPDATE or DELETE (a ``WITH … UPDATE … RETURNING``)."""
        rows = await self._db.fetch(sql, tuple(params))
        if rows and (writes or sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE")):  # … RETURNING
            self.changes += len(rows)
        return rows

    async def _run(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Execute a write; return the number of rows it changed."""
        changed = await self._db.run(sql, tuple(params))
        self.changes += changed
        return changed

    async def _many(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        """One write statement for many parameter sets (one round trip on either backend)."""
        self.changes += await self._db.many(sql, [tuple(r) for r in rows])

    async def _insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Execute an INSERT; return the new row's id."""
        row = await self._one(sql + " RETURNING id", params)
        if row is None:
            raise RuntimeError("INSERT produced no row")
        return int(row["id"])

    # ------------------------------------------------------------------ openings
    async def insert_opening(self, title: str, data: dict[str, Any], created_by: str, channel_id: str | None,
                             private_channel: bool, now: datetime) -> int:
        oid = await self._insert(
            "INSERT INTO openings (title, data, channel_id, private_channel, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (title, json.dumps(data), channel_id, int(private_channel), created_by, iso(now)))
        await self._run("INSERT INTO opening_members (opening_id, user_id, role, added_by, added_at) "
                       "VALUES (?, ?, 'manager', ?, ?)", (oid, created_by, created_by, iso(now)))
        return oid

    async def opening(self, opening_id: int) -> dict[str, Any] | None:
        return await self._one("SELECT * FROM openings WHERE id = ?", (opening_id,))

    async def opening_by_message(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        return await self._one("SELECT * FROM openings WHERE channel_id = ? AND message_ts = ?", (channel_id, ts))

    async def set_opening_message(self, opening_id: int, channel_id: str, ts: str, permalink: str | None) -> None:
        await self._run("UPDATE openings SET channel_id = ?, message_ts = ?, permalink = ?, post_error = NULL "
                       "WHERE id = ?", (channel_id, ts, permalink, opening_id))

    async def set_opening_status(self, opening_id: int, status: str, now: datetime | None) -> None:
        await self._run("UPDATE openings SET status = ?, closed_at = ? WHERE id = ?",
                       (status, iso(now) if now else None, opening_id))

    async def list_openings(self, status: str | None = None, member: str | None = None) -> list[dict[str, Any]]:
        """Every opening with that status (or member), newest first: a caller that shows fewer says
        how many it left out, so there is no cap here to make its count wrong."""
        sql = "SELECT o.* FROM openings o"
        where: list[str] = []
        params: list[Any] = []
        if member:
            sql += " JOIN opening_members m ON m.opening_id = o.id AND m.user_id = ?"
            params.append(member)
        if status == "open":
            where.append("o.status = 'open'")
        elif status == "closed":
            where.append("o.status != 'open'")
        if where:
            sql += " WHERE " + " AND ".join(where)
        return await self._all(sql + " ORDER BY o.id DESC", params)

    async def members(self, opening_id: int) -> list[dict[str, Any]]:
        return (await self.members_of([opening_id]))[opening_id]

    async def set_member(self, opening_id: int, user_id: str, role: str, actor: str, now: datetime) -> None:
        await self._run(
            "INSERT INTO opening_members (opening_id, user_id, role, added_by, added_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (opening_id, user_id) DO UPDATE SET role = excluded.role",
            (opening_id, user_id, role, actor, iso(now)))

    async def remove_member(self, opening_id: int, user_id: str) -> int:
        return await self._run("DELETE FROM opening_members WHERE opening_id = ? AND user_id = ?",
                              (opening_id, user_id))

    async def stage_counts(self, opening_id: int) -> dict[str, int]:
        return (await self.stage_counts_of([opening_id]))[opening_id]

    async def team_and_counts(self, opening_id: int) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """An opening's hiring team and its candidates per stage, in one round trip: every command
        on an opening needs both (permissions, and the counts its card shows)."""
        rows = await self._all(
            "SELECT 0 AS part, user_id AS k, role AS v, added_at AS at FROM opening_members WHERE opening_id = ? "
            "UNION ALL SELECT 1, stage, CAST(COUNT(*) AS TEXT), NULL FROM applications "
            "WHERE opening_id = ? AND forgotten_at IS NULL GROUP BY stage ORDER BY part, at, k",
            (opening_id, opening_id))
        members = [{"user_id": r["k"], "role": r["v"]} for r in rows if r["part"] == 0]
        return members, {r["k"]: int(r["v"]) for r in rows if r["part"] == 1}

    # ------------------------------------------------------------------ applications
    async def insert_application(self, opening_id: int, name: str, email: str | None, source: str | None,
                                 referrer: str | None, stage: str, actor: str, now: datetime) -> dict[str, Any]:
        """The new application's row as written (``RETURNING``: no second read)."""
        row = await self._one(
            "INSERT INTO applications (opening_id, candidate_name, email, source, referrer, stage, stage_since, "
            "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
            (opening_id, name, email, source, referrer, stage, iso(now), actor, iso(now)))
        if row is None:
            raise RuntimeError("INSERT produced no row")
        await self._run("INSERT INTO stage_moves (application_id, from_stage, to_stage, actor, reason, at) "
                       "VALUES (?, NULL, ?, ?, ?, ?)", (row["id"], stage, actor, "added", iso(now)))
        return row

    async def application(self, application_id: int) -> dict[str, Any] | None:
        return await self._one("SELECT * FROM applications WHERE id = ?", (application_id,))

    async def application_with_opening(self, application_id: int) -> tuple[dict[str, Any], dict[str, Any],
                                                                         list[dict[str, Any]]] | None:
        """An application's row, its opening's and the opening's team (as :meth:`members`), in
        one round trip: every command on a candidate checks the opening's permissions."""
        columns = await self._columns("openings")
        row = await self._one("SELECT a.*, " + ", ".join(f'o."{c}" AS "o.{c}"' for c in columns)
                              + f', {_TEAM[self.dialect]} AS "o.team"'
                              + " FROM applications a JOIN openings o ON o.id = a.opening_id WHERE a.id = ?",
                              (application_id,))
        if row is None:
            return None
        opening = {c: row.pop(f"o.{c}") for c in columns}
        return row, opening, _team(row.pop("o.team"))

    async def _columns(self, table: str) -> tuple[str, ...]:
        """A table's columns as migrated (the same for every database this code opens: each is
        migrated on open), read once per process."""
        key = f"{self.dialect}:{table}"
        if key not in _COLUMNS:
            _COLUMNS[key] = tuple(r["name"] for r in await self._all(_TABLE_COLUMNS[self.dialect], (table,)))
        return _COLUMNS[key]

    async def applications(self, opening_id: int) -> list[dict[str, Any]]:
        """The opening's applications a pipeline shows: forgotten ones have left it."""
        return await self._all("SELECT * FROM applications WHERE opening_id = ? AND forgotten_at IS NULL "
                               "ORDER BY stage_since, id", (opening_id,))

    async def first_applications_per_stage(self, opening_id: int, first: int,
                                           stages: Sequence[str]) -> list[dict[str, Any]]:
        """The ``first`` longest-waiting applications of each of ``stages`` (a pipeline shows a
        few per stage and counts the rest): one query of one short range read per stage along
        ``applications_stage_queue``, however many candidates the opening has."""
        if not stages:
            return []
        sql, params = _firsts_per_stage(opening_id, first, stages)
        return await self._all(f"SELECT * FROM ({sql}) AS firsts ORDER BY stage_since, id", params)

    async def pipeline_view(self, opening_id: int, first: int, stages: Sequence[str]) -> PipelineView | None:
        """What a pipeline shows (see :class:`PipelineView`); None if there is no such opening.
        On PostgreSQL one statement, read as JSON (every column of these tables is an integer
        or text): run outside a transaction it is a snapshot by itself, one round trip where
        the reads one by one, with their BEGIN and COMMIT, were six. On SQLite, where a
        statement is an in-process call, the reads one by one in this transaction."""
        whose = "IN (SELECT m.user_id FROM opening_members m WHERE m.opening_id = {id} UNION ALL SELECT {creator})"
        if self.dialect == "postgresql":
            firsts, params = _firsts_per_stage(opening_id, first, stages)
            row = await self._one(
                "SELECT json_build_array(row_to_json(o), (SELECT json_agg(json_build_array(t.user_id, t.role, "
                "t.added_at)) FROM opening_members t WHERE t.opening_id = o.id), (SELECT json_object_agg(c.stage, "
                "c.n) FROM (SELECT stage, count(*) AS n FROM applications WHERE opening_id = o.id AND forgotten_at "
                "IS NULL GROUP BY stage) AS c), (SELECT json_agg(row_to_json(f) ORDER BY f.stage_since, f.id) FROM "
                f"({firsts or 'SELECT * FROM applications WHERE false'}) AS f), (SELECT json_agg(row_to_json(p)) "
                "FROM user_prefs p WHERE p.user_id " + whose.format(id="o.id", creator="o.created_by")
                + "))::text AS view FROM openings o WHERE o.id = ?", (*params, opening_id))
            if row is None:
                return None
            opening, team, counts, applications, prefs = json.loads(row["view"])
            return PipelineView(opening, _team(team), counts or {}, applications or [],
                                {p["user_id"]: p for p in prefs or []})
        opening = await self.opening(opening_id)
        if opening is None:
            return None
        team, counts = await self.team_and_counts(opening_id)
        prefs = await self._all("SELECT * FROM user_prefs p WHERE p.user_id " + whose.format(id="?", creator="?"),
                                (opening_id, opening["created_by"]))
        return PipelineView(opening, team, counts, await self.first_applications_per_stage(opening_id, first, stages),
                            {p["user_id"]: p for p in prefs})

    async def same_person(self, name: str, email: str | None) -> list[dict[str, Any]]:
        """Applications of the same person: the same e-mail, or the same name where either has no
        e-mail (case-insensitive). Forgotten applications hold neither, so never match."""
        if email:
            return await self._all(
                "SELECT * FROM applications WHERE forgotten_at IS NULL AND (lower(email) = lower(?) OR "
                "(email IS NULL AND lower(candidate_name) = lower(?))) ORDER BY id", (email, name))
        return await self._all("SELECT * FROM applications WHERE forgotten_at IS NULL "
                               "AND lower(candidate_name) = lower(?) ORDER BY id", (name,))

    async def move_application(self, application_id: int, from_stage: str, to_stage: str, actor: str,
                               reason: str | None, now: datetime, *, drop_reminders: bool = False,
                               while_held_by: tuple[str, Collection[str]] | None = None) -> dict[str, Any] | None:
        """Move only if still in ``from_stage`` and not forgotten: two clicks on the same button
        move once; log the move, and with ``drop_reminders`` drop the application's pending
        reminders (as :meth:`drop_reminders`). ``while_held_by`` (user, roles): only while that
        user holds one of ``roles`` on the opening's team (:class:`GuardedMove`). Returns the
        application's row as written (``RETURNING``, SQLite ≥ 3.35), or None if it was not moved
        (and nothing else changed).

        On PostgreSQL one statement (data-modifying CTEs): each statement is a round trip there,
        and moves are the commonest write. On SQLite, where a statement is a function call, three."""
        held, held_params = "", tuple[str, ...]()
        if while_held_by is not None:
            user, roles = while_held_by
            held = (" AND EXISTS (SELECT 1 FROM opening_members m WHERE m.opening_id = applications.opening_id "
                    f"AND m.user_id = ? AND m.role IN ({', '.join('?' * len(roles))}))")
            held_params = (user, *sorted(roles))
        if self.dialect == "postgresql":
            return await self._one(
                "WITH moved AS (UPDATE applications SET stage = ?, stage_since = ? WHERE id = ? AND stage = ? "
                f"AND forgotten_at IS NULL{held} RETURNING *), logged AS (INSERT INTO stage_moves (application_id, "
                "from_stage, to_stage, actor, reason, at) SELECT id, ?, ?, ?, ?, ? FROM moved), dropped AS (UPDATE "
                "reminders SET status = 'dropped', done_at = ? WHERE ? AND status = 'pending' AND application_id IN "
                "(SELECT id FROM moved)) SELECT * FROM moved",
                (to_stage, iso(now), application_id, from_stage, *held_params, from_stage, to_stage, actor, reason,
                 iso(now), iso(now), drop_reminders), writes=True)
        row = await self._one("UPDATE applications SET stage = ?, stage_since = ? WHERE id = ? AND stage = ? "
                              f"AND forgotten_at IS NULL{held} RETURNING *",
                              (to_stage, iso(now), application_id, from_stage, *held_params))
        if row is not None:
            await self._run("INSERT INTO stage_moves (application_id, from_stage, to_stage, actor, reason, at) "
                           "VALUES (?, ?, ?, ?, ?, ?)", (application_id, from_stage, to_stage, actor, reason, iso(now)))
            if drop_reminders:
                await self.drop_reminders(now, application_id=application_id)
        return row

    async def moves(self, application_id: int) -> list[dict[str, Any]]:
        return await self._all("SELECT * FROM stage_moves WHERE application_id = ? ORDER BY id", (application_id,))

    async def forget_application(self, application_id: int, now: datetime) -> None:
        """Erase a person: their application's fields, notes, move reasons and reminder texts, then
        every remaining mention of their name or e-mail in any text column of any table (thread
        notes on the opening, delivery logs, audit details, queued commands…), found by reading
        the schema so a table added later is covered too. Ids and timestamps stay for the audit."""
        row = await self._one("SELECT candidate_name, email FROM applications WHERE id = ?", (application_id,))
        await self._run("UPDATE applications SET candidate_name = NULL, email = NULL, source = NULL, referrer = NULL, "
                        "forgotten_at = ? WHERE id = ?", (iso(now), application_id))
        await self._run("DELETE FROM notes WHERE application_id = ?", (application_id,))
        await self._run("UPDATE stage_moves SET reason = NULL WHERE application_id = ?", (application_id,))
        await self._run("UPDATE reminders SET text = NULL WHERE application_id = ?", (application_id,))
        for secret in {v.strip() for v in (row or {}).values() if isinstance(v, str) and len(v.strip()) >= 3}:
            await self._scrub(secret)

    async def _scrub(self, secret: str) -> None:
        """Replace ``secret`` (case-insensitively) in every TEXT column of every table."""
        needle = re.compile(re.escape(secret), re.I)
        for column in await self._all(_TEXT_COLUMNS[self.dialect]):
            table, name = column["t"], column["c"]
            if self.dialect == "postgresql":
                # Python's re.escape is also a literal in PostgreSQL's regular expressions.
                await self._run(f'UPDATE "{table}" SET "{name}" = regexp_replace("{name}", ?, ?, \'gi\') '
                                f'WHERE strpos(lower("{name}"), lower(?)) > 0', (needle.pattern, FORGOTTEN, secret))
                continue
            hits = await self._all(f'SELECT rowid AS rid, "{name}" AS v FROM "{table}" '
                                   f'WHERE instr(lower("{name}"), lower(?)) > 0', (secret,))
            for hit in hits:
                await self._run(f'UPDATE "{table}" SET "{name}" = ? WHERE rowid = ?',
                                (needle.sub(FORGOTTEN, hit["v"]), hit["rid"]))

    # ------------------------------------------------------------------ notes
    async def insert_note(self, opening_id: int, application_id: int | None, author: str, text: str, source: str,
                          slack_ts: str | None, now: datetime) -> int:
        return await self._insert(
            "INSERT INTO notes (opening_id, application_id, author, text, source, slack_ts, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", (opening_id, application_id, author, text, source, slack_ts, iso(now)))

    async def notes(self, opening_id: int, application_id: int | None) -> list[dict[str, Any]]:
        if application_id is None:
            return await self._all("SELECT * FROM notes WHERE opening_id = ? AND application_id IS NULL ORDER BY id",
                                  (opening_id,))
        return await self._all("SELECT * FROM notes WHERE application_id = ? ORDER BY id", (application_id,))

    # ------------------------------------------------------------------ drafts, events, audit
    async def insert_draft(self, user_id: str, channel_id: str | None, data: dict[str, Any], now: datetime) -> int:
        return await self._insert("INSERT INTO drafts (user_id, channel_id, data, created_at) VALUES (?, ?, ?, ?)",
                              (user_id, channel_id, json.dumps(data), iso(now)))

    async def draft(self, draft_id: int) -> dict[str, Any] | None:
        return await self._one("SELECT * FROM drafts WHERE id = ?", (draft_id,))

    async def update_draft(self, draft_id: int, data: dict[str, Any], channel_id: str | None) -> None:
        await self._run("UPDATE drafts SET data = ?, channel_id = COALESCE(?, channel_id) WHERE id = ?",
                       (json.dumps(data), channel_id, draft_id))

    async def claim_draft(self, draft_id: int, now: datetime, stale_before: datetime) -> bool:
        """Claim an unposted draft for one publish attempt; False while another attempt holds it
        (a double click posts once). A claim older than ``stale_before`` was abandoned."""
        return bool(await self._run(
            "UPDATE drafts SET claimed_at = ? WHERE id = ? AND used_at IS NULL "
            "AND (claimed_at IS NULL OR claimed_at < ?)", (iso(now), draft_id, iso(stale_before))))

    async def release_draft(self, draft_id: int) -> None:
        await self._run("UPDATE drafts SET claimed_at = NULL WHERE id = ?", (draft_id,))

    async def link_draft(self, draft_id: int, opening_id: int) -> None:
        await self._run("UPDATE drafts SET opening_id = ? WHERE id = ?", (opening_id, draft_id))

    async def finish_draft(self, draft_id: int, now: datetime) -> None:
        await self._run("UPDATE drafts SET used_at = ?, claimed_at = NULL WHERE id = ?", (iso(now), draft_id))

    async def set_post_error(self, opening_id: int, reason: str | None) -> None:
        await self._run("UPDATE openings SET post_error = ? WHERE id = ?", (reason, opening_id))

    async def first_time(self, event_key: str, now: datetime) -> bool:
        """Record an event key; False if it was seen before (Slack retries)."""
        # ON CONFLICT: one statement, so two replicas given the same retry cannot both see "first".
        return bool(await self._run("INSERT INTO processed_events (event_key, at) VALUES (?, ?) "
                                   "ON CONFLICT (event_key) DO NOTHING", (event_key, iso(now))))

    async def audit(self, actor: str, action: str, subject: str, detail: str | None, now: datetime) -> None:
        await self._run("INSERT INTO audit (actor, action, subject, detail, at) VALUES (?, ?, ?, ?, ?)",
                       (actor, action, subject, detail, iso(now)))

    async def audit_for(self, subject: str) -> list[dict[str, Any]]:
        return await self._all("SELECT * FROM audit WHERE subject = ? ORDER BY id", (subject,))

    # ------------------------------------------------------------------ grouped reads (lists, digests)
    async def _all_in(self, sql: str, ids: list[int], params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        """Run ``sql`` whose ``{ids}`` stands for a list of ids, in slices SQLite accepts;
        ``params`` bind the placeholders before it."""
        out: list[dict[str, Any]] = []
        for chunk in _chunks(ids):
            out += await self._all(sql.format(ids=",".join("?" * len(chunk))), [*params, *chunk])
        return out

    async def openings_by_ids(self, opening_ids: list[int]) -> list[dict[str, Any]]:
        return await self._all_in("SELECT * FROM openings WHERE id IN ({ids})", opening_ids)

    async def open_team_members(self) -> set[str]:
        """Everyone on the hiring team of an open opening (whose time zones matter for nudges)."""
        rows = await self._all("SELECT DISTINCT m.user_id FROM opening_members m "
                               "JOIN openings o ON o.id = m.opening_id WHERE o.status = 'open'")
        return {str(r["user_id"]) for r in rows}

    async def members_of(self, opening_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        """Members of many openings in one query (a list of 200 openings is one round trip, not 200)."""
        out: dict[int, list[dict[str, Any]]] = {i: [] for i in opening_ids}
        for r in await self._all_in("SELECT * FROM opening_members WHERE opening_id IN ({ids}) "
                                   "ORDER BY added_at, user_id", opening_ids):
            out[r["opening_id"]].append(r)
        return out

    async def stage_counts_of(self, opening_ids: list[int]) -> dict[int, dict[str, int]]:
        out: dict[int, dict[str, int]] = {i: {} for i in opening_ids}
        for r in await self._all_in("SELECT opening_id, stage, COUNT(*) AS n FROM applications "
                                    "WHERE opening_id IN ({ids}) AND forgotten_at IS NULL "
                                    "GROUP BY opening_id, stage", opening_ids):
            out[r["opening_id"]][r["stage"]] = r["n"]
        return out

    async def moves_since(self, opening_ids: list[int], since: datetime) -> list[dict[str, Any]]:
        """Stage moves (not first entries) since ``since``, with their opening."""
        return await self._all_in(
            "SELECT a.opening_id, m.application_id, m.from_stage, m.to_stage, m.at FROM stage_moves m "
            "JOIN applications a ON a.id = m.application_id WHERE m.at >= ? AND a.opening_id IN ({ids}) "
            "AND m.from_stage IS NOT NULL AND a.forgotten_at IS NULL", opening_ids, [iso(since)])

    async def active_page_end(self, after: tuple[int, str, str, int], size: int) -> tuple[int, str, str, int] | None:
        """The position ``size`` active applications after ``after`` in ``applications_active``
        (None when fewer are left): where a page of :meth:`active_page` ends. Read from the
        index alone, so a page costs ``size`` index entries however few of its rows match."""
        r = await self._one(_PAGE_END, (*after, size - 1))
        return None if r is None else (r["opening_id"], r["stage"], r["stage_since"], r["id"])

    async def active_page(self, scopes: str, after: tuple[int, str, str, int], upto: tuple[int, str, str, int],
                          sweep: Sweep | None) -> list[dict[str, Any]]:
        """Active applications after ``after`` up to ``upto`` (positions in ``applications_active``)
        of the openings in ``scopes`` (a JSON list of :meth:`Scope.row`), each with its follow-up
        state for the stage it is in (``state_*`` columns, NULL when there is none)."""
        now = iso(sweep.now) if sweep else ""
        return await self._all(_PAGES[self.dialect], (scopes, *after, *upto, int(sweep is None), now,
                                                      sweep.escalate_after if sweep else 0))

    async def openings_for_digest(self, channel_id: str | None, since: datetime) -> list[dict[str, Any]]:
        """Open openings, plus ones closed since ``since``; those posted in ``channel_id`` when given.
        All of them: the digest's totals are totals, and it says how many openings it did not list."""
        sql = "SELECT * FROM openings WHERE (status = 'open' OR closed_at >= ?)"
        params: list[Any] = [iso(since)]
        if channel_id is not None:
            sql += " AND channel_id = ?"
            params.append(channel_id)
        return await self._all(sql + " ORDER BY id DESC", params)

    # ------------------------------------------------------------------ SLA limits
    async def sla_limits(self) -> dict[tuple[int, str], int]:
        """Every limit set: (opening id, stage) → working days; opening 0 holds the global ones."""
        rows = await self._all("SELECT opening_id, stage, days FROM sla_limits")
        return {(r["opening_id"], r["stage"]): r["days"] for r in rows}

    async def set_sla(self, opening_id: int, stage: str, days: int, actor: str, now: datetime) -> None:
        await self._run("INSERT INTO sla_limits (opening_id, stage, days, set_by, set_at) VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT (opening_id, stage) DO UPDATE SET days = excluded.days, set_by = excluded.set_by, "
                       "set_at = excluded.set_at", (opening_id, stage, days, actor, iso(now)))

    # ------------------------------------------------------------------ people's settings
    async def prefs(self, user_id: str) -> dict[str, Any] | None:
        return await self._one("SELECT * FROM user_prefs WHERE user_id = ?", (user_id,))

    async def all_prefs(self) -> dict[str, dict[str, Any]]:
        return {r["user_id"]: r for r in await self._all("SELECT * FROM user_prefs")}

    async def set_prefs(self, user_id: str, **fields: Any) -> None:
        allowed = {"notify", "work_start", "work_end", "work_days", "tz", "tz_checked_at"}
        if not fields or not set(fields) <= allowed:
            raise ValueError(f"unknown preference in {sorted(fields)}")
        cols = sorted(fields)
        await self._run(
            f"INSERT INTO user_prefs (user_id, {', '.join(cols)}) VALUES (?, {', '.join('?' * len(cols))}) "
            f"ON CONFLICT (user_id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in cols)}",
            [user_id, *(fields[c] for c in cols)])

    # ------------------------------------------------------------------ reminders
    async def insert_reminder(self, user_id: str, opening_id: int | None, application_id: int | None,
                              stage: str | None, text: str | None, asked_for: datetime, due_at: datetime,
                              now: datetime) -> int:
        return await self._insert(
            "INSERT INTO reminders (user_id, opening_id, application_id, stage, text, asked_for, due_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (user_id, opening_id, application_id, stage, text, iso(asked_for), iso(due_at), iso(now)))

    async def reminder(self, reminder_id: int) -> dict[str, Any] | None:
        return await self._one("SELECT * FROM reminders WHERE id = ?", (reminder_id,))

    async def pending_reminders_of(self, user_id: str, limit: int = 100) -> list[dict[str, Any]]:
        return await self._all("SELECT * FROM reminders WHERE user_id = ? AND status = 'pending' "
                              "ORDER BY due_at, id LIMIT ?", (user_id, limit))

    async def due_reminders(self, now: datetime, limit: int = 500) -> list[dict[str, Any]]:
        return await self._all("SELECT * FROM reminders WHERE status = 'pending' AND due_at <= ? "
                              "ORDER BY due_at, id LIMIT ?", (iso(now), limit))

    async def next_reminder_due(self) -> str | None:
        row = await self._one("SELECT MIN(due_at) AS due FROM reminders WHERE status = 'pending'")
        return row["due"] if row else None

    async def finish_reminder(self, reminder_id: int, status: str, now: datetime) -> bool:
        """pending → sent/cancelled/dropped, once: False if someone else already finished it."""
        return bool(await self._run("UPDATE reminders SET status = ?, done_at = ? WHERE id = ? AND status = 'pending'",
                                   (status, iso(now), reminder_id)))

    async def retry_reminder(self, reminder_id: int, due_at: datetime) -> None:
        await self._run("UPDATE reminders SET attempts = attempts + 1, due_at = ? WHERE id = ? AND status = 'pending'",
                       (iso(due_at), reminder_id))

    async def drop_reminders(self, now: datetime, *, application_id: int | None = None,
                             opening_id: int | None = None) -> int:
        """Drop pending reminders that no longer apply: the candidate moved on, or the opening closed."""
        if application_id is not None:
            return await self._run("UPDATE reminders SET status = 'dropped', done_at = ? WHERE status = 'pending' "
                                  "AND application_id = ?", (iso(now), application_id))
        return await self._run(
            "UPDATE reminders SET status = 'dropped', done_at = ? WHERE status = 'pending' AND (opening_id = ? OR "
            "application_id IN (SELECT id FROM applications WHERE opening_id = ?))", (iso(now), opening_id, opening_id))

    # ------------------------------------------------------------------ SLA follow-up state
    async def sla_state(self, application_id: int) -> dict[str, Any] | None:
        return await self._one("SELECT * FROM sla_state WHERE application_id = ?", (application_id,))

    async def put_sla_state(self, application_id: int, stage: str, **fields: Any) -> None:
        """Upsert one application's follow-up state; a different stage starts from a clean slate."""
        cols = ["snoozed_until", "acked_at", "last_nudged_on", "ignored", "escalated_at"]
        row = await self.sla_state(application_id)
        current = {c: None for c in cols} | {"ignored": 0}
        if row and row["stage"] == stage:
            current.update({c: row[c] for c in cols})
        current.update(fields)
        await self._run("INSERT INTO sla_state (application_id, stage, snoozed_until, acked_at, last_nudged_on, "
                        "ignored, escalated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (application_id) DO UPDATE "
                        "SET " + ", ".join(f"{c} = excluded.{c}" for c in ["stage", *cols]),
                        [application_id, stage, *(current[c] for c in cols)])

    async def mark_nudged(self, items: list[tuple[int, str]], today: str) -> None:
        """Nudged today about each (application, stage): one more ignored nudge if the state was
        about that stage, else a clean slate for it (as :meth:`put_sla_state` does), in one
        statement for the lot instead of a read and a write per item."""
        await self._many(
            "INSERT INTO sla_state (application_id, stage, last_nudged_on, ignored) VALUES (?, ?, ?, 1) "
            "ON CONFLICT (application_id) DO UPDATE SET " + _same_stage_or_clean(
                last_nudged_on="excluded.last_nudged_on",
                ignored="CASE WHEN sla_state.stage = excluded.stage THEN sla_state.ignored + 1 ELSE 1 END"),
            [(app, stage, today) for app, stage in items])

    async def mark_escalated(self, items: list[tuple[int, str]], now: datetime) -> None:
        """The recruiters were told about each (application, stage); the rest of its state is kept
        if it was about that stage, else starts clean (as :meth:`put_sla_state` does)."""
        await self._many(
            "INSERT INTO sla_state (application_id, stage, escalated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (application_id) DO UPDATE SET " + _same_stage_or_clean(escalated_at="excluded.escalated_at"),
            [(app, stage, iso(now)) for app, stage in items])

    async def insert_nudge_batch(self, user_id: str, items_json: str, now: datetime) -> int:
        """``items_json``: the items already as JSON text (a batch can hold thousands; the caller
        writes them a few at a time between other work instead of all at once here)."""
        return await self._insert("INSERT INTO nudge_batches (user_id, items, created_at) VALUES (?, ?, ?)",
                                 (user_id, items_json, iso(now)))

    async def nudge_batch(self, batch_id: int) -> dict[str, Any] | None:
        return await self._one("SELECT * FROM nudge_batches WHERE id = ?", (batch_id,))

    # ------------------------------------------------------------------ digests and deliveries
    async def subscribe_digest(self, channel_id: str, weekday: int, at: str, tz: str, scope: str,
                               private_channel: bool, actor: str, now: datetime) -> None:
        await self._run(
            "INSERT INTO digest_subscriptions (channel_id, weekday, at, tz, scope, private_channel, created_by, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id) DO UPDATE SET weekday = "
            "excluded.weekday, at = excluded.at, tz = excluded.tz, scope = excluded.scope, private_channel = "
            "excluded.private_channel", (channel_id, weekday, at, tz, scope, int(private_channel), actor, iso(now)))

    async def unsubscribe_digest(self, channel_id: str) -> int:
        return await self._run("DELETE FROM digest_subscriptions WHERE channel_id = ?", (channel_id,))

    async def digest_subscription(self, channel_id: str) -> dict[str, Any] | None:
        return await self._one("SELECT * FROM digest_subscriptions WHERE channel_id = ?", (channel_id,))

    async def digest_subscriptions(self) -> list[dict[str, Any]]:
        return await self._all("SELECT * FROM digest_subscriptions ORDER BY channel_id")

    async def record_delivery(self, key: str, now: datetime) -> bool:
        """Record that ``key`` went out; False if it already had (so the caller must not send again)."""
        return bool(await self._run("INSERT INTO deliveries (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                                   (key, iso(now))))

    async def delivered(self, key: str) -> bool:
        return await self._one("SELECT 1 AS x FROM deliveries WHERE key = ?", (key,)) is not None

    # ------------------------------------------------------------------ inbox (acknowledged commands)
    async def record_inbox_batch(self, records: list[InboxRecord]) -> list[int | None]:
        """Write down up to :data:`INBOX_ROWS` requests arriving together, in one
        multi-row INSERT (so, under :meth:`Store.standalone`, all or none are committed): each
        one's id, or None for an exact replay (its ``request_key`` already there, or earlier in
        the batch). The rows are told apart by key, as neither backend promises RETURNING's
        order; a request with no key of its own (no trigger id or response URL) gets a random
        one, which no replay can match."""
        if len(records) > INBOX_ROWS:
            raise ValueError(f"at most {INBOX_ROWS} inbox rows per statement")
        keyed = [r if r.request_key is not None else r._replace(request_key=f"unkeyed:{uuid.uuid4().hex}")
                 for r in records]
        first: dict[str, InboxRecord] = {}  # each key's first record: the later ones are replays
        for r in keyed:
            first.setdefault(str(r.request_key), r)
        if not first:
            return []
        # In key order: two replicas inserting the same two keys take their index entries in the
        # same order, so neither waits for the other's second while holding its first.
        rows = await self._all(
            "INSERT INTO inbox (kind, request_key, trigger_id, response_url, user_id, channel_id, team_id, "
            "enterprise_id, text, payload, received_at, holder, lease_until) VALUES "
            + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(first))
            + " ON CONFLICT (request_key) DO NOTHING RETURNING id, request_key",
            [v for key in sorted(first) for v in _inbox_values(first[key])])
        ids = {row["request_key"]: int(row["id"]) for row in rows}
        return [ids.get(str(r.request_key)) if first[str(r.request_key)] is r else None for r in keyed]

    async def mark_inbox_answered_batch(self, answers: list[tuple[int, str, datetime]]) -> None:
        """Mark (id, outcome, when) inbox rows answered, once each: one statement, all or none.
        On PostgreSQL the rows go as three arrays, one message however many there are (an
        ``executemany`` sends a message per row); on SQLite, where a statement is a function
        call, as an ``executemany``. Rows are locked in id order, like the other multi-row inbox
        updates (:meth:`renew_inbox`, :meth:`take_inbox`): rows locked in one order by all cannot
        deadlock. A forget's scrub updates every row that mentions the person, in whatever order
        its plan visits them; if the server picks this statement to break such a deadlock, it is
        run again (it changed nothing, and outside a transaction nothing else is undone with it)."""
        if not answers:
            return
        rows = [(iso(now), outcome, inbox_id) for inbox_id, outcome, now in sorted(answers)]
        for attempt in range(DEADLOCK_RETRIES, -1, -1):
            try:
                if self.dialect == "postgresql":
                    await self._run(_MARK_ANSWERED_ARRAYS, ([r[2] for r in rows], [r[0] for r in rows],
                                                            [r[1] for r in rows]))
                else:
                    await self._many("UPDATE inbox SET answered_at = ?, outcome = ? WHERE id = ? "
                                     "AND answered_at IS NULL", rows)
                return
            except Exception as exc:
                if not (self.autocommit and attempt and getattr(exc, "sqlstate", None) == DEADLOCK):
                    raise
                log.warning("an answered mark was chosen to break a deadlock; running it again")

    async def inbox_item(self, inbox_id: int) -> dict[str, Any] | None:
        return await self._one("SELECT * FROM inbox WHERE id = ?", (inbox_id,))

    async def unanswered_inbox(self, limit: int = 10_000) -> list[dict[str, Any]]:
        """Commands acknowledged but not answered, oldest first (what a restart resumes)."""
        return await self._all("SELECT * FROM inbox WHERE answered_at IS NULL ORDER BY id LIMIT ?", (limit,))

    async def prune_inbox(self, answered_before: datetime) -> int:
        return await self._run("DELETE FROM inbox WHERE answered_at IS NOT NULL AND answered_at < ?",
                              (iso(answered_before),))

    # ---- leases
    # Claims on scheduled work, for several replicas on one database (bot/leases.py). Lease
    # times (``now``, ``until``) are bot.clock.iso_us text, compared only with each other.
    async def take_lease(self, key: str, holder: str, token: str, now: str, until: str) -> bool:
        """Take ``key`` if nobody holds it or its lease ended before ``now``."""
        row = await self._one(
            "INSERT INTO leases (key, holder, token, lease_until) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, token = excluded.token, "
            "lease_until = excluded.lease_until WHERE leases.lease_until < ? RETURNING token",
            (key, holder, token, until, now))
        return row is not None and row["token"] == token

    async def renew_lease(self, key: str, token: str, until: str) -> bool:
        """Extend a lease still held under ``token`` (even if it ran out: nobody took it since)."""
        return bool(await self._run("UPDATE leases SET lease_until = ? WHERE key = ? AND token = ?",
                                    (until, key, token)))

    async def release_lease(self, key: str, token: str) -> bool:
        return bool(await self._run("DELETE FROM leases WHERE key = ? AND token = ?", (key, token)))

    async def any_delivered(self, keys: list[str]) -> bool:
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            if await self._one(f"SELECT key FROM deliveries WHERE key IN ({marks}) LIMIT 1", chunk):
                return True
        return False

    async def claim_due_reminders(self, due_by: datetime, now: str, holder: str, token: str, until: str,
                                  limit: int) -> list[dict[str, Any]]:
        """Pending reminders due by ``due_by`` that nobody holds (never claimed, released, or their
        lease ended before ``now``), first due first, claimed under ``token`` until ``until``."""
        rows = await self._all(
            "SELECT * FROM reminders WHERE status = 'pending' AND due_at <= ? "
            "AND (lease_until IS NULL OR lease_until < ?) ORDER BY due_at, id LIMIT ?" + self._skip_locked,
            (iso(due_by), now, limit))
        for chunk in _chunks([r["id"] for r in rows]):
            await self._run(f"UPDATE reminders SET claimed_by = ?, claim_token = ?, lease_until = ? "
                            f"WHERE id IN ({', '.join('?' * len(chunk))})", (holder, token, until, *chunk))
        for r in rows:
            r.update(claimed_by=holder, claim_token=token, lease_until=until)
        return rows

    async def renew_reminder_claims(self, reminder_ids: list[int], token: str, until: str) -> int:
        """Extend the claims still held under ``token`` on pending reminders; how many were."""
        renewed = 0
        for chunk in _chunks(reminder_ids):
            renewed += await self._run(
                f"UPDATE reminders SET lease_until = ? WHERE claim_token = ? AND status = 'pending' "
                f"AND id IN ({', '.join('?' * len(chunk))})", (until, token, *chunk))
        return renewed

    async def finish_claimed_reminder(self, reminder_id: int, token: str, status: str, now: datetime) -> bool:
        return bool(await self._run(
            "UPDATE reminders SET status = ?, done_at = ?, claimed_by = NULL, claim_token = NULL, lease_until = NULL "
            "WHERE id = ? AND claim_token = ? AND status = 'pending'", (status, iso(now), reminder_id, token)))

    async def retry_claimed_reminder(self, reminder_id: int, token: str, due_at: datetime) -> bool:
        return bool(await self._run(
            "UPDATE reminders SET attempts = attempts + 1, due_at = ?, claimed_by = NULL, claim_token = NULL, "
            "lease_until = NULL WHERE id = ? AND claim_token = ? AND status = 'pending'",
            (iso(due_at), reminder_id, token)))

    async def release_reminder_claims(self, reminder_ids: list[int], token: str) -> int:
        released = 0
        for chunk in _chunks(reminder_ids):
            released += await self._run(
                f"UPDATE reminders SET claimed_by = NULL, claim_token = NULL, lease_until = NULL "
                f"WHERE claim_token = ? AND id IN ({', '.join('?' * len(chunk))})", (token, *chunk))
        return released

    async def next_unclaimed_reminder_due(self, now: str) -> str | None:
        """The earliest due time among pending reminders nobody holds at ``now``."""
        row = await self._one("SELECT MIN(due_at) AS due FROM reminders WHERE status = 'pending' "
                              "AND (lease_until IS NULL OR lease_until < ?)", (now,))
        return row["due"] if row else None

    async def next_reminder_lease_end(self, now: str) -> str | None:
        """When the first claim held on a pending reminder at ``now`` runs out."""
        row = await self._one("SELECT MIN(lease_until) AS until FROM reminders WHERE status = 'pending' "
                              "AND lease_until >= ?", (now,))
        return row["until"] if row else None

    async def drop_claims_of(self, holder: str) -> int:
        """Free everything ``holder`` holds: at its start, what it held in an earlier life."""
        dropped = await self._run("DELETE FROM leases WHERE holder = ?", (holder,))
        dropped += await self._run("UPDATE reminders SET claimed_by = NULL, claim_token = NULL, lease_until = NULL "
                                   "WHERE claimed_by = ? AND status = 'pending'", (holder,))
        dropped += await self._run("UPDATE channel_pacing SET holder = NULL, token = NULL, lease_until = NULL "
                                   "WHERE holder = ?", (holder,))
        return dropped

    async def take_channel(self, channel_id: str, holder: str, token: str, now: str, until: str) -> str | None:
        """Take a channel to post to it; its ``next_at`` ('' for a first message), or None while
        another replica holds it."""
        row = await self._one(
            "INSERT INTO channel_pacing (channel_id, next_at, holder, token, lease_until) VALUES (?, '', ?, ?, ?) "
            "ON CONFLICT (channel_id) DO UPDATE SET holder = excluded.holder, token = excluded.token, "
            "lease_until = excluded.lease_until "
            "WHERE channel_pacing.lease_until IS NULL OR channel_pacing.lease_until < ? RETURNING next_at, token",
            (channel_id, holder, token, until, now))
        return row["next_at"] if row is not None and row["token"] == token else None

    async def leave_channel(self, channel_id: str, token: str, next_at: str | None) -> None:
        """Give a channel back; ``next_at`` (when something was posted) moves its next moment
        later, never earlier. The right-hand sides all read the row as it was."""
        later, params = "", [token, token, token, channel_id]
        if next_at is not None:
            later, params = "next_at = CASE WHEN next_at > ? THEN next_at ELSE ? END, ", [next_at, next_at, *params]
        await self._run(
            f"UPDATE channel_pacing SET {later}"
            "holder = CASE WHEN token = ? THEN NULL ELSE holder END, "
            "lease_until = CASE WHEN token = ? THEN NULL ELSE lease_until END, "
            "token = CASE WHEN token = ? THEN NULL ELSE token END "
            "WHERE channel_id = ?", params)

    # ---- replicas
    # Several processes share the database. An unanswered inbox row belongs to its ``holder``
    # (a replica id) while ``lease_until`` is ahead; the holder renews it while processing. Leases
    # are compared as text in :func:`bot.clock.iso_us`'s fixed-width form.
    async def take_inbox(self, holder: str, now: datetime, until: datetime, *, mine: bool,
                         limit: int = 100, dead: list[str] | None = None) -> list[dict[str, Any]]:
        """Claim unanswered rows whose lease ran out (and, with ``mine``, those already held by
        ``holder``, a replica restarted under its id, or by a holder in ``dead``), oldest first,
        for ``holder`` until ``until``. Each is claimed by a conditional UPDATE, so of replicas
        racing for a row exactly one gets it (PostgreSQL re-checks the WHERE on the row a
        concurrent claim just updated)."""
        at = iso_us(now)
        owners = [holder, *(dead or [])] if mine else []
        held = f" OR holder IN ({', '.join('?' * len(owners))})" if owners else ""
        if mine:
            candidates = await self._all(
                f"SELECT id FROM inbox WHERE answered_at IS NULL AND (lease_until < ?{held}) ORDER BY id LIMIT ?",
                (at, *owners, limit))
        else:  # along inbox_leases: a short range read, however many rows are held
            candidates = await self._all(
                "SELECT id FROM inbox WHERE answered_at IS NULL AND lease_until < ? ORDER BY lease_until, id "
                "LIMIT ?", (at, limit))
        taken: list[dict[str, Any]] = []
        for c in sorted(r["id"] for r in candidates):
            row = await self._one(
                "UPDATE inbox SET holder = ?, lease_until = ? WHERE id = ? AND answered_at IS NULL "
                f"AND (lease_until < ?{held}) RETURNING *", (holder, iso_us(until), c, at, *owners))
            if row is not None:
                taken.append(row)
        return taken

    async def inbox_holders(self) -> list[str]:
        """The replicas holding unanswered rows (at start, to see which of them are known dead)."""
        rows = await self._all("SELECT DISTINCT holder FROM inbox WHERE answered_at IS NULL AND holder IS NOT NULL")
        return [str(r["holder"]) for r in rows]

    async def renew_inbox(self, holder: str, ids: list[int], until: datetime) -> set[int]:
        """Extend ``holder``'s lease on unanswered rows ``ids``; the ids it still holds (a row
        answered meanwhile, or taken over by another replica, is not among them)."""
        kept: set[int] = set()
        # On PostgreSQL the rows are locked in id order (a plan may visit them in any order):
        # "answered" marks, written beside the write lock, lock theirs in id order too.
        lock = " ORDER BY id FOR UPDATE" if self.dialect == "postgresql" else ""
        for chunk in _chunks(sorted(ids)):
            marks = ", ".join("?" * len(chunk))
            rows = await self._all(
                f"UPDATE inbox SET lease_until = ? WHERE id IN (SELECT id FROM inbox WHERE holder = ? "
                f"AND answered_at IS NULL AND id IN ({marks}){lock}) RETURNING id", (iso_us(until), holder, *chunk))
            kept.update(int(r["id"]) for r in rows)
        return kept

    async def prune_processed_events(self, before: datetime) -> int:
        """Forget event and trigger keys recorded before ``before`` (the caller keeps an hour at least)."""
        return await self._run("DELETE FROM processed_events WHERE at < ?", (iso(before),))


class AlreadyApplied(RuntimeError):
    """A second write transaction tried to apply an inbox row that is already applied."""


@dataclass(slots=True)
class Claim:
    """An acknowledged command being processed: its inbox row is marked applied by the first
    transaction of the same task that writes anything, at that transaction's COMMIT."""

    inbox_id: int
    clock: Callable[[], datetime]
    task: asyncio.Task[Any] | None
    applied: bool = False
    closed: bool = False

    def wants(self) -> bool:
        """Whether a write transaction begun now is the command's: not yet applied, the claim
        still open, and in the command's own task."""
        return not self.applied and not self.closed and self.task is asyncio.current_task()


#: The claim of the command the current task is processing, if any (set by Store.claiming).
_CLAIM: ContextVar[Claim | None] = ContextVar("hirebot_inbox_claim", default=None)


def _claim_now() -> tuple[Claim | None, tuple[str, int] | None]:
    """The claim a write transaction begun now marks applied (see :meth:`Claim.wants`), and its
    mark (when, inbox id); (None, None) when there is none."""
    claim = _CLAIM.get()
    if claim is None or not claim.wants():
        return None, None
    return claim, (iso(claim.clock()), claim.inbox_id)


class _Turns:
    """The transaction lock: first come, first served, except that ``urgent`` waiters (the
    inbox's one-line bookkeeping) go before the queue. Under a burst of new requests, "this
    reply went out" would otherwise wait behind every queued request, and a crash in that wait
    sends the reply twice after the restart."""

    def __init__(self) -> None:
        self._busy = False
        self._urgent: collections.deque[asyncio.Future[None]] = collections.deque()
        self._normal: collections.deque[asyncio.Future[None]] = collections.deque()

    @asynccontextmanager
    async def turn(self, urgent: bool = False) -> AsyncIterator[None]:
        if self._busy or self._urgent or self._normal:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            (self._urgent if urgent else self._normal).append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self._next()  # handed the turn, then cancelled: pass it on
                else:
                    queue = self._urgent if urgent else self._normal
                    if waiter in queue:
                        queue.remove(waiter)
                raise
        else:
            self._busy = True
        try:
            yield
        finally:
            self._next()

    def load(self) -> int:
        """How many hold or wait for a turn."""
        return int(self._busy) + len(self._urgent) + len(self._normal)

    def _next(self) -> None:
        """Hand the turn to the next waiter (it stays busy), or free it."""
        for queue in (self._urgent, self._normal):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    return
        self._busy = False


class _Kept:
    """A connection kept open between transactions, used in turns: opened on first use, dropped
    when it was lost (the next turn opens a new one)."""

    def __init__(self, *, inline: bool = False) -> None:
        self.inline = inline  # see drivers.InlineSqliteDriver
        self.conn: AsyncConnection | None = None
        self.driver: Driver | None = None
        self.turns = _Turns()
        self.used_at = 0.0  # when a turn last began (time.monotonic)

    async def open(self, engine: AsyncEngine) -> tuple[AsyncConnection, Driver]:
        if self.conn is None or self.driver is None:
            self.conn = await engine.connect()
            self.driver = await driver_for(self.conn, inline=self.inline)
        self.used_at = time.monotonic()
        return self.conn, self.driver

    def lost(self) -> bool:
        return self.driver is not None and not self.driver.alive()

    async def drop(self) -> None:
        conn, self.conn, self.driver = self.conn, None, None
        if conn is not None:
            try:
                await conn.invalidate()
                await conn.close()
            except Exception:
                log.warning("could not close a lost database connection", exc_info=True)

    async def close(self) -> None:
        conn, self.conn, self.driver = self.conn, None, None
        if conn is not None:
            await conn.close()


class Store:
    """Owns the engine; hands out transactions (writes one at a time, see the module's docstring)."""

    def __init__(self, target: str | Path, *, abandon_after: timedelta | None = None) -> None:
        """``target``: a SQLite file path (``HIREBOT_DB``) or a database URL (``HIREBOT_DATABASE_URL``:
        ``postgresql+asyncpg://…`` or ``sqlite+aiosqlite:///…``). ``abandon_after``: on PostgreSQL,
        how long a transaction left idle by a frozen process keeps its locks before the server
        ends it (a replica passes its lease: by then its claims are others' anyway)."""
        self.url = database_url(target)
        self._abandon_after = abandon_after
        #: "sqlite" or "postgresql".
        self.dialect = self.url.get_backend_name()
        #: The SQLite file (for backups and ``hirebot status``); "" on PostgreSQL.
        self.path = (self.url.database or ":memory:") if self.dialect == "sqlite" else ""
        self._engine: AsyncEngine | None = None
        #: The connection writes run on, in turns (``urgent`` ones first): they are serialised
        #: anyway. SQLite: also reads of an in-memory database (a second connection would be
        #: another database). PostgreSQL: reopened when lost.
        self._writer = _Kept(inline=self.dialect == "sqlite")
        #: PostgreSQL: the connections writes run on, ``_writer`` first, a write going to the least
        #: busy (see :data:`POSTGRES_WRITERS`). SQLite uses ``_writer`` alone.
        self._writers = [self._writer, *(_Kept() for _ in range(POSTGRES_WRITERS - 1))]
        #: SQLite file: a second connection for read-only transactions, in turns of their own, so a
        #: read (a pipeline, a digest page) neither waits for the writes queued on the first nor
        #: holds them up; WAL lets it read its snapshot while the other commits. PostgreSQL reads
        #: use ``_readers`` instead.
        self._reader = _Kept(inline=self.dialect == "sqlite")
        #: PostgreSQL: connections kept for reads, each in turns, a read going to the least busy.
        #: Checking a pooled connection out cost a ping round trip and SQLAlchemy's pool and
        #: adapter on every read; a pipeline was five statements (bench saturation, pipeline:
        #: 369 replies/s against the work floor's 756 on asyncpg's own pool).
        self._readers = [_Kept() for _ in range(POSTGRES_READERS)]
        #: PostgreSQL: the connection :meth:`standalone` writes run on, in turns.
        self._standalone = _Kept()
        #: PostgreSQL: unread moves, sent together (:meth:`move_unread`).
        self._unread = UnreadMoves(self._alone, POSTGRES_WRITERS)
        #: SQLite file: the writer never checkpoints at a COMMIT (that would copy the WAL into the
        #: database and sync, on the event loop); a thread does, between writes, see _after_commit.
        self._commits = 0  # since the last checkpoint
        self._checkpointed_at = time.monotonic()
        self._checkpoint: asyncio.Task[None] | None = None
        #: SQLite file: when the next background transaction may begin (see ``transaction``).
        self._rest_until = 0.0
        #: Told (priority, seconds from asking to begun, seconds from begun to ended) of each
        #: write transaction, :meth:`transaction`, :meth:`move_alone` and a batch of unread moves
        #: alike (for the metrics).
        self.timed: Callable[[str, float, float], None] = lambda priority, waited, took: None

    @property
    def _sqlite_file(self) -> bool:
        """A SQLite database in a file: the one with a WAL to checkpoint, a directory to create and
        other processes that may want its write lock."""
        return self.dialect == "sqlite" and self.path != ":memory:"

    def describe(self) -> str:
        """Where the data lives, without a password (for logs and ``hirebot status``)."""
        return self.path if self.dialect == "sqlite" else self.url.render_as_string(hide_password=True)

    async def open(self) -> Store:
        if self._sqlite_file:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._engine = make_engine(self.url, abandon_after=self._abandon_after.total_seconds()
                                   if self._abandon_after is not None else None)
        try:
            await self.migrate()  # opens the connection writes run on (see _connection)
        except BaseException:
            await self.close()  # a refused or failed migration must not leak the connection
            raise
        return self

    async def close(self) -> None:
        await self._unread.finish()
        if self._checkpoint is not None:
            await asyncio.gather(self._checkpoint, return_exceptions=True)
        for reader in self._readers:
            await reader.close()
        await self._reader.close()
        await self._standalone.close()
        for writer in self._writers:
            await writer.close()
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def migrate(self) -> int:
        """Apply pending schema revisions; return how many are in force (see :mod:`bot.storage.schema`)."""
        async with self._connection(write=True) as (conn, _):
            return await conn.run_sync(schema.upgrade)

    @asynccontextmanager
    async def _connection(self, *, write: bool,
                          urgent: bool = False) -> AsyncIterator[tuple[AsyncConnection, Driver]]:
        """A connection (and its driver) for one transaction. Writes: the kept writer (on
        PostgreSQL the least busy of the kept writers), in turns (``urgent`` ones first), so a
        burst waits in this queue rather than holding pooled connections at the advisory lock.
        Reads: the least busy of the kept readers on PostgreSQL, the kept reader on a SQLite file
        (see ``__init__``)."""
        if write and self.dialect == "postgresql":  # the least busy; the advisory lock orders them
            kept = min(self._writers, key=lambda k: k.turns.load())
        elif write or self.path == ":memory:":
            kept = self._writer
        elif self.dialect == "sqlite":
            kept = self._reader
        else:  # the least busy of the kept readers
            kept = min(self._readers, key=lambda k: k.turns.load())
        async with self._kept_connection(kept, urgent=urgent) as opened:
            yield opened

    @asynccontextmanager
    async def _kept_connection(self, kept: _Kept, *,
                               urgent: bool = False) -> AsyncIterator[tuple[AsyncConnection, Driver]]:
        """``kept``'s connection, in its turns: checked after a quiet spell (PostgreSQL), opened
        if it is not, dropped if it was lost meanwhile."""
        if self._engine is None:
            raise RuntimeError("store is not open")
        async with kept.turns.turn(urgent):
            if self.dialect == "postgresql" and not await self._answers(kept):
                await kept.drop()
            conn, driver = await kept.open(self._engine)
            if self._engine is None:  # closed while this connection opened: not kept after all
                await kept.close()
                raise RuntimeError("store is not open")
            try:
                yield conn, driver
            except BaseException:
                if kept.lost():
                    await kept.drop()  # the next transaction opens a new one
                raise

    @staticmethod
    async def _answers(kept: _Kept) -> bool:
        """After a quiet spell, whether a kept PostgreSQL connection still answers (a server
        restart, a failover or an idle timeout ends it unseen): a command then gets a new
        connection instead of failing on the dead one. Busy, it is not asked: one round trip per
        minute at most."""
        driver = kept.driver
        if time.monotonic() - kept.used_at < WRITER_IDLE_CHECK or driver is None:
            return True
        try:
            await driver.fetch("SELECT 1 AS x", ())
            return True
        except Exception:
            log.warning("a kept database connection was lost; opening a new one")
            return False

    @asynccontextmanager
    async def transaction(self, *, urgent: bool = False, cache: bool = False,
                          background: bool = False) -> AsyncIterator[Tx]:
        """One all-or-nothing unit of work; ``urgent`` ones go before those waiting (see :class:`_Turns`).

        ``background``: one of a run of writes nobody waits on (a sweep recording its nudges). On
        a SQLite file each then leaves the write lock free afterwards for as long as it held it
        (up to :data:`BACKGROUND_REST_MAX`): SQLite's lock has no queue, and another process's
        writer only polls for it between sleeps of its busy handler, so a run of back-to-back
        transactions kept one waiting 103-367 ms (the SLA bench's first nudging run).
        PostgreSQL's advisory lock queues its waiters fairly; there, nothing rests.

        Under :meth:`claiming`, the first transaction that writes also marks the command's inbox
        row applied: the command's effect and "applied" become durable together or not at all, so
        a restart neither loses an acknowledged command nor applies it twice. The mark goes with
        the BEGIN (on PostgreSQL in the same round trip: a move's writes hold the lock for four
        round trips instead of five), and a row already applied rolls back at once
        (:class:`AlreadyApplied`); a transaction that then writes nothing takes it back before
        its COMMIT."""
        asked = time.perf_counter()
        paced = background and self._sqlite_file
        if paced and (rest := self._rest_until - time.perf_counter()) > 0:
            await asyncio.sleep(rest)
        # A cache write (a Slack time zone looked up on the way) is not the command's effect.
        claim, mark = (None, None) if cache else _claim_now()
        async with self._connection(write=True, urgent=urgent) as (_, db):
            tx = Tx(db, self.dialect)
            try:
                if mark is None:
                    await db.begin(write=True)
                    applied = True
                else:
                    applied = await db.begin_with(_MARK_APPLIED, mark) > 0
            except BaseException:  # the transaction may be open, and failed: end it
                await db.rollback()
                raise
            if not applied:
                await db.rollback()
                raise AlreadyApplied(f"inbox row {claim.inbox_id if claim else '?'} was already applied")
            began = time.perf_counter()
            wrote = False
            try:
                yield tx
                wrote = tx.changes > 0
                if claim is not None and not wrote:  # not the command's effect after all
                    await tx._run("UPDATE inbox SET applied_at = NULL WHERE id = ?", (claim.inbox_id,))
            except BaseException:
                await db.rollback()
                raise
            else:
                await db.commit()
                if claim is not None and wrote:
                    claim.applied = True
                if paced:
                    ended = time.perf_counter()
                    self._rest_until = ended + min(ended - began, BACKGROUND_REST_MAX)
                self._after_commit()
            finally:
                self.timed("urgent" if urgent else "normal", began - asked, time.perf_counter() - began)

    @asynccontextmanager
    async def _alone(self) -> AsyncIterator[PostgresDriver]:
        """A PostgreSQL write connection, outside any transaction, for one round trip that is a
        transaction by itself and takes the write lock at the server; timed as a write."""
        asked = time.perf_counter()
        async with self._connection(write=True) as (_, db):
            if not isinstance(db, PostgresDriver):
                raise TypeError(f"a PostgreSQL store with a {type(db).__name__}")
            began = time.perf_counter()
            try:
                yield db
            finally:
                self.timed("normal", began - asked, time.perf_counter() - began)

    async def move_alone(self, move: GuardedMove) -> bool:
        """``move`` as a write transaction by itself; whether it was made. When it is not,
        nothing is written: a claimed command's inbox row stays as it was, for the transaction
        that decides the move again to mark (or to find applied already: :class:`AlreadyApplied`).

        On PostgreSQL it is one round trip that takes the write lock, makes the move, marks the
        claim and commits (:meth:`~bot.storage.drivers.PostgresDriver.run_alone`): the lock is
        held only while the server runs the statement, where the same statement sent with the
        BEGIN held it until the COMMIT came back and went out again, and a move sends one message
        fewer (bench ack, ``move`` on PostgreSQL, six runs each, alternating: 550-726 -> 678-794
        replies/s, ack p99 107-174 -> 80-112 ms, five of six within 100).
        Elsewhere it is the first write of a transaction (which marks the claim, or takes the
        mark back when the move is not made)."""
        if self.dialect != "postgresql":
            async with self.transaction() as tx:
                return await move.make(tx)
        claim, mark = _claim_now()
        async with self._alone() as db:
            made = await db.run_alone(*move.statement(mark), prepared=GUARDED_MOVE) > 0
        if made and claim is not None:
            claim.applied = True
        return made

    async def move_unread(self, move: UnreadMove) -> Moved | None:
        """PostgreSQL: ``move`` made, if its grounds hold, in one round trip that also reads what
        a reply and the card need, with no read before it; None if it was not made (nothing is
        written, a claim's row included), and always None on SQLite, where a read first costs
        no round trip to a server.

        A PL/pgSQL function (:data:`~bot.storage.unread.UNREAD_MOVE`) takes the write lock, then
        runs the move as :class:`GuardedMove` does, in a statement that takes its snapshot after
        the lock was granted (a single statement would take it before, and could miss a write
        committed while it waited). It marks a claimed command's inbox row applied if and only
        if it moves. The rows come back as JSON: every column of these tables is an integer or
        text, which JSON carries exactly. A move read the application and its opening first (a
        round trip to the read pool), and that read was a tenth of a replica's loop at
        saturation (bench ack, ``move``). Moves waiting together share a round trip and a
        commit (:class:`~bot.storage.unread.UnreadMoves`)."""
        if self.dialect != "postgresql":
            return None
        claim, mark = _claim_now()
        raw = await self._unread.make(move.as_object(mark))
        if raw is None:
            return None
        if claim is not None:
            claim.applied = True
        application, opening, team = json.loads(raw)
        from_stage = application.pop("hirebot_from")
        return Moved(application, opening, _team(team), from_stage)

    def _after_commit(self) -> None:
        """On a SQLite file, now and then (see :data:`CHECKPOINT_EVERY_COMMITS`), checkpoint the
        WAL in a thread, in a write turn of its own. The writer's automatic checkpoint is off: it
        would copy and sync inside a COMMIT, on the loop. A checkpoint run beside the writes never
        catches up with them under a steady load, and SQLite starts the WAL afresh only after one
        has copied all of it: hence between writes (measured: 30,000 commits with reads beside
        them left a 263 MB WAL with no checkpoint, 51 MB checkpointing beside the writes, 3-40 MB
        this way, against 15 MB with SQLite's own; the peaks come from a reader that kept a
        snapshot open through a checkpoint)."""
        if not self._sqlite_file:
            return
        self._commits += 1
        if self._checkpoint is not None and not self._checkpoint.done():
            return
        if (self._commits < CHECKPOINT_EVERY_COMMITS
                and time.monotonic() - self._checkpointed_at < CHECKPOINT_EVERY_SECONDS):
            return
        self._commits, self._checkpointed_at = 0, time.monotonic()
        self._checkpoint = asyncio.get_running_loop().create_task(self._checkpoint_wal())

    async def _checkpoint_wal(self) -> None:
        try:
            async with self._connection(write=True) as (_, db):
                if isinstance(db, InlineSqliteDriver):
                    await db.checkpoint()
        except Exception:
            log.warning("could not checkpoint the SQLite write-ahead log", exc_info=True)

    @asynccontextmanager
    async def standalone(self) -> AsyncIterator[Tx]:
        """Writes that each commit by themselves, beside the write lock: on PostgreSQL every
        statement is its own transaction, on a kept connection of its own, without the advisory
        lock; on SQLite (one writer anyway) one urgent transaction as usual, committed at the end
        of the block (:attr:`Tx.autocommit` says which).

        For the inbox's records and "answered" marks (bot/inbox.py): each row belongs to its own
        request and stands on a unique key or its own id, so what the lock orders is not at stake,
        and taking it cost every command two more turns in the queue all writes wait in. Only
        single statements belong here (a multi-row INSERT, an UPDATE over arrays: each is
        atomic); a statement that updates several rows must lock them in id order, as the other
        multi-row inbox updates do, or it could deadlock with them."""
        if self.dialect != "postgresql":
            async with self.transaction(urgent=True, cache=True) as tx:  # (cache: never a command's effect)
                yield tx
            return
        async with self._kept_connection(self._standalone) as (_, db):
            yield Tx(db, self.dialect, autocommit=True)

    @asynccontextmanager
    async def glance(self) -> AsyncIterator[Tx]:
        """For a single read statement: on PostgreSQL outside a transaction, on a reader's
        connection (one statement sees one snapshot by itself; BEGIN and COMMIT would be two
        more round trips), elsewhere a :meth:`reading`. Two statements in it may see different
        moments."""
        if self.dialect != "postgresql":
            async with self.reading() as tx:
                yield tx
            return
        async with self._connection(write=False) as (_, db):
            tx = Tx(db, self.dialect, autocommit=True)
            yield tx
            if tx.changes:
                raise RuntimeError("a glance wrote to the database")

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Tx]:
        """A read-only transaction: one consistent snapshot, without the write lock (WAL readers
        never block the writer, in this process or another; PostgreSQL reads run side by side).
        On SQLite still one turn on the connection, so keep it short: long work reads in pages
        (:meth:`active_pages`) and computes between them. Writing in it is a programming error
        and is rolled back."""
        async with self._connection(write=False) as (_, db):
            await db.begin(write=False)
            tx = Tx(db, self.dialect)
            try:
                yield tx
                if tx.changes:
                    raise RuntimeError("a read transaction wrote to the database")
            except BaseException:
                await db.rollback()
                raise
            else:
                await db.commit()

    async def pipeline_view(self, opening_id: int, first: int, stages: Sequence[str]) -> PipelineView | None:
        """:meth:`Tx.pipeline_view` as a read of its own: on PostgreSQL its one statement on a
        reader connection, outside any transaction (a statement is a snapshot by itself), so a
        pipeline is one round trip; elsewhere in a read transaction (:meth:`reading`)."""
        if self.dialect != "postgresql":
            async with self.reading() as tx:
                return await tx.pipeline_view(opening_id, first, stages)
        async with self._connection(write=False) as (_, db):
            return await Tx(db, self.dialect, autocommit=True).pipeline_view(opening_id, first, stages)

    async def active_pages(self, scopes: Mapping[int, Scope], sweep: Sweep | None = None,
                           size: int = 1000) -> AsyncIterator[list[dict[str, Any]]]:
        """The active applications of the openings in ``scopes`` (opening id → :class:`Scope`)
        that entered their stage early enough, narrowed to what a sweep can act on when
        ``sweep`` is given: a page at a time, each read in its own short read transaction.

        Why pages along ``applications_active`` (opening, stage, entered): a page is ``size``
        entries of the index, so no transaction grows with the table, and the caller computes on
        one page between reads, holding nothing. The openings of a page are a run of ids, so
        only their scopes go with its query; a run not in scope is skipped over. Pages are not
        one snapshot: an application moved between two of them may be met again in its new
        stage, but as just entered, which no limit or idle time counts as waiting."""
        ids = sorted(scopes)
        after = _FIRST_KEY
        while True:
            first = bisect.bisect_left(ids, after[0])
            if first == len(ids):
                return
            if ids[first] != after[0]:
                after = (ids[first], "", "", 0)  # nothing in scope before that opening
            async with self.reading() as tx:
                end = await tx.active_page_end(after, size)
                upto = end or (ids[-1] + 1, "", "", 0)
                last = bisect.bisect_right(ids, upto[0])
                page = json.dumps([scopes[i].row(i) for i in ids[first:last]])
                rows = await tx.active_page(page, after, upto, sweep)
            if rows:
                yield rows
            if end is None:
                return
            after = end

    @contextmanager
    def claiming(self, inbox_id: int, clock: Callable[[], datetime]) -> Iterator[Claim]:
        """Process inbox row ``inbox_id`` in this block: the block's first write transaction (in
        this task only: a task it spawns, a scheduler job, is not the command) marks it applied.
        Why at COMMIT and not by the caller: marking it afterwards leaves a crash window in which
        the effect is durable but the row says "not applied", and the restart would apply it again."""
        claim = Claim(inbox_id, clock, asyncio.current_task())
        token = _CLAIM.set(claim)
        try:
            yield claim
        finally:
            claim.closed = True
            _CLAIM.reset(token)

    async def ping(self) -> bool:
        """True when the database answers (for /healthz)."""
        if self._engine is None:
            return False
        try:
            async with self.reading() as tx:
                return await tx._one("SELECT 1 AS x") is not None
        except Exception:
            return False
