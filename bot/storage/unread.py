"""PostgreSQL: stage moves made without a read first, sent together.

A move is one call of a PL/pgSQL function (:data:`UNREAD_MOVE`) that takes the write lock, makes
the move only if its grounds hold, marks the claimed command and returns the rows a reply needs
(see :meth:`bot.storage.Store.move_unread`). Moves are serialised by that lock, so each one's
round trip was the time the next waited: at 50 concurrent clients both write connections were
busy 85 % of the time, a round trip took 2.2-2.8 ms at the median (most of it this process's
loop getting round to the answer, not the server's work), and a move waited 14-16 ms for a
connection's turn (bench ack, ``move``, a probe on the write turns).

So the moves waiting when a connection's turn comes go in one round trip (:data:`UNREAD_MOVES`
runs them in order, each as the one function does, in one transaction that commits once). A
burst's moves share a round trip and a commit; a lone move still goes at once. If the server
refuses a batch (an error in one of its moves rolls back all of them), each of its moves is sent
again by itself, in order, so only the one at fault fails.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections.abc import Callable, Collection
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from bot.clock import iso

from .drivers import WRITE_LOCK, PostgresDriver

#: The function one move calls, and the one a batch calls: made in ``pg_temp`` on a PostgreSQL
#: write connection the first time it runs them (they live as long as the connection, as a
#: PREPAREd statement does).
UNREAD_MOVE = "hirebot_unread_move"
UNREAD_MOVES = "hirebot_unread_moves"
#: The most moves one round trip carries: all of them run under the write lock, one after another.
BATCH_MOST = 64

_UNREAD_MOVE_FUNCTION = f"""CREATE OR REPLACE FUNCTION pg_temp.{UNREAD_MOVE}(p_id bigint, p_from text[], p_to text,
    p_now text, p_user text, p_roles text[], p_inbox bigint, p_when text, p_actor text, p_reason text)
RETURNS text LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE moved_rows text;
BEGIN
  PERFORM pg_advisory_xact_lock({WRITE_LOCK});
  WITH grounds AS (SELECT a.id, a.stage FROM applications a WHERE a.id = p_id AND a.stage = ANY(p_from)
      AND a.forgotten_at IS NULL
      AND (p_user IS NULL OR EXISTS (SELECT 1 FROM opening_members m WHERE m.opening_id = a.opening_id
                                     AND m.user_id = p_user AND m.role = ANY(p_roles)))
      AND (p_inbox IS NULL OR EXISTS (SELECT 1 FROM inbox i WHERE i.id = p_inbox AND i.applied_at IS NULL))),
    moved AS (UPDATE applications a SET stage = p_to, stage_since = p_now FROM grounds g WHERE a.id = g.id
              RETURNING a.*, g.stage AS hirebot_from),
    dropped AS (UPDATE reminders r SET status = 'dropped', done_at = p_now
                WHERE r.status = 'pending' AND r.application_id IN (SELECT id FROM moved)),
    marked AS (UPDATE inbox i SET applied_at = p_when WHERE i.id = p_inbox AND EXISTS (SELECT 1 FROM moved)),
    logged AS (INSERT INTO stage_moves (application_id, from_stage, to_stage, actor, reason, at)
               SELECT mv.id, mv.hirebot_from, p_to, p_actor, p_reason, p_now FROM moved mv)
  SELECT json_build_array(row_to_json(mv), row_to_json(o),
                          (SELECT json_agg(json_build_array(t.user_id, t.role, t.added_at))
                           FROM opening_members t WHERE t.opening_id = o.id))::text
    INTO moved_rows FROM moved mv JOIN openings o ON o.id = mv.opening_id;
  RETURN moved_rows;
END
$fn$"""

#: Moves given as a JSON array of objects (the columns below), made in the array's order, each
#: seeing the ones before it; one result per move, NULL where it was not made.
_UNREAD_MOVES_FUNCTION = f"""{_UNREAD_MOVE_FUNCTION};
CREATE OR REPLACE FUNCTION pg_temp.{UNREAD_MOVES}(p_moves text) RETURNS text[] LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE m record; results text[] := '{{}}';
BEGIN
  FOR m IN SELECT * FROM ROWS FROM (json_to_recordset(p_moves::json) AS (id bigint, from_stages text[],
      to_stage text, at text, user_id text, roles text[], inbox bigint, marked text, actor text, reason text))
      WITH ORDINALITY AS x(id, from_stages, to_stage, at, user_id, roles, inbox, marked, actor, reason, n)
      ORDER BY x.n LOOP
    results := array_append(results, pg_temp.{UNREAD_MOVE}(m.id, m.from_stages, m.to_stage, m.at, m.user_id,
                                                           m.roles, m.inbox, m.marked, m.actor, m.reason));
  END LOOP;
  RETURN results;
END
$fn$"""


class UnreadMove(NamedTuple):
    """A move made without reading the application first (:meth:`bot.storage.Store.move_unread`):
    only if the application is in one of ``from_stages`` (those the move is allowed from), not
    forgotten, and ``held_by``'s user (None: a workspace admin) holds one of its roles on the
    opening's team. What :class:`~bot.storage.GuardedMove` checks, with the stage it moves from
    left open."""

    application_id: int
    from_stages: tuple[str, ...]
    to_stage: str
    actor: str
    reason: str | None
    now: datetime
    held_by: tuple[str, Collection[str]] | None

    def as_object(self, mark: tuple[str, int] | None) -> dict[str, Any]:
        """The move as :data:`UNREAD_MOVES` takes it; ``mark`` (when, inbox id): also mark that
        claimed command applied if the move is made."""
        user, roles = self.held_by if self.held_by is not None else (None, ())
        when, inbox_id = mark if mark is not None else (None, None)
        return {"id": self.application_id, "from_stages": list(self.from_stages), "to_stage": self.to_stage,
                "at": iso(self.now), "user_id": user, "roles": sorted(roles), "inbox": inbox_id, "marked": when,
                "actor": self.actor, "reason": self.reason}


class Moved(NamedTuple):
    """What :meth:`bot.storage.Store.move_unread` wrote and read: the application's row as
    written, its opening's row and team (as :meth:`bot.storage.Tx.application_with_opening`
    gives them), and the stage it moved from."""

    application: dict[str, Any]
    opening: dict[str, Any]
    team: list[dict[str, Any]]
    from_stage: str


@dataclass(eq=False)
class _Waiting:
    """A move waiting for a round trip, as the batch function's JSON object, and its answer (the
    function's result: the rows as JSON text, or None)."""

    move: dict[str, Any]
    answer: asyncio.Future[str | None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    def tell(self, result: str | None = None, failure: BaseException | None = None) -> None:
        if self.answer.done():
            return
        if failure is not None:
            stopped = RuntimeError("the moves' sender was stopped")
            self.answer.set_exception(failure if isinstance(failure, Exception) else stopped)
        else:
            self.answer.set_result(result)


Alone = Callable[[], AbstractAsyncContextManager[PostgresDriver]]


class UnreadMoves:
    """Sends unread moves in batches: up to ``senders`` round trips at once (one per write
    connection: the second waits at the server for the lock while the first runs, so the lock
    is handed over there), each carrying every move waiting when its connection's turn came."""

    def __init__(self, alone: Alone, senders: int) -> None:
        """``alone``: a write connection's turn, outside any transaction (``Store._alone``)."""
        self._alone = alone
        self._senders = senders
        self._waiting: list[_Waiting] = []
        self._sending: set[asyncio.Task[None]] = set()

    async def make(self, move: dict[str, Any]) -> str | None:
        """The function's result for ``move`` (the batch function's JSON object): its rows as
        JSON text, or None when it was not made. A cancelled caller's move is taken back if it
        has not gone yet; once it has, it is made or not as if the caller had waited."""
        waiting = _Waiting(move)
        self._waiting.append(waiting)
        self._send_soon()
        try:
            return await asyncio.shield(waiting.answer)
        except asyncio.CancelledError:
            if waiting in self._waiting:
                self._waiting.remove(waiting)
            else:  # gone in a batch: its outcome is nobody's to read now
                waiting.answer.add_done_callback(lambda answer: answer.cancelled() or answer.exception())
            raise

    async def finish(self) -> None:
        """Wait for the senders under way (the store closes after them, not under them)."""
        while self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)

    def _send_soon(self) -> None:
        if len(self._sending) < self._senders:
            # A context of its own: the sender serves every caller, not the one that started it.
            task = asyncio.get_running_loop().create_task(self._send_waiting(), context=contextvars.Context())
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)  # also if it is cancelled before it starts

    async def _send_waiting(self) -> None:
        """Send what is waiting, a batch per write turn, until nothing is. The sender leaves
        :attr:`_sending` in the same step as it finds nothing waiting, so a move that comes
        after starts another."""
        try:
            while self._waiting:
                await self._send_batch()
        finally:
            self._sending.discard(asyncio.current_task())
            if self._waiting and not self._sending:  # stopped (cancelled): nobody else would send these
                stranded, self._waiting = self._waiting, []
                for waiting in stranded:
                    waiting.tell(failure=RuntimeError("the moves' sender stopped before this one went"))

    async def _send_batch(self) -> None:
        """One round trip for the moves waiting once the turn has come; each one's answer set,
        or its failure."""
        taken: list[_Waiting] = []
        try:
            async with self._alone() as db:
                taken, self._waiting = self._waiting[:BATCH_MOST], self._waiting[BATCH_MOST:]
                if taken:
                    await _make(db, taken)
        except BaseException as exc:
            if not taken:  # failed before its turn (the store closed): so does all waiting
                taken, self._waiting = self._waiting, []
            for waiting in taken:
                waiting.tell(failure=exc)
            if not isinstance(exc, Exception):
                raise


async def _make(db: PostgresDriver, taken: list[_Waiting]) -> None:
    """``taken`` made in one round trip, each told its result. If the server refuses the batch
    (a constraint, a value out of range: :func:`_rolled_back`), nothing of it was written, and
    each move is sent again by itself, in order, in this same turn: only the move at fault fails.
    Any other failure (a connection lost) may have come after the COMMIT, so it is passed on
    as it is: sending again could make a move twice."""
    try:
        results = await _round_trip(db, [w.move for w in taken])
    except Exception as exc:
        if len(taken) == 1 or not _rolled_back(exc):
            raise
        for waiting in taken:
            try:
                [result] = await _round_trip(db, [waiting.move])
            except Exception as alone:
                if not _rolled_back(alone):
                    raise
                waiting.tell(failure=alone)
            else:
                waiting.tell(result)
        return
    for waiting, result in zip(taken, results, strict=True):
        waiting.tell(result)


def _rolled_back(exc: BaseException) -> bool:
    """The server refused the statement (an error with a SQLSTATE: a constraint, a value out of
    range, a deadlock), so its implicit transaction was rolled back; not a lost connection
    (class 08) nor a server going down (class 57), after which whether it committed is unknown."""
    state = getattr(exc, "sqlstate", None)
    return isinstance(state, str) and state[:2] not in ("08", "57")


async def _round_trip(db: PostgresDriver, moves: list[dict[str, Any]]) -> list[str | None]:
    """``moves`` made in one call of :data:`UNREAD_MOVES`: one result each."""
    rows = await db.fetch_defined(UNREAD_MOVES, _UNREAD_MOVES_FUNCTION, f"SELECT pg_temp.{UNREAD_MOVES}(?) AS moved",
                                  (json.dumps(moves, ensure_ascii=False, separators=(",", ":")),))
    return list(rows[0]["moved"])

