"""Three ``hirebot run`` replicas on one database, behind a load balancer that is this test.

Signed ``/hiring`` commands that write (adds, notes, moves) are spread over the three replicas
while Slack Events API deliveries of thread replies arrive at every replica at once (the first
delivery and two retries of the same event id, as Slack does when an ack is slow). Mid-burst, while
they have commands in flight, replica r0 is killed with SIGKILL and restarted under the same replica
id, and replica r1 is killed for good: r0 takes its own rows back at once, and r1's rows are taken
over by a live replica once r1's lease (HIREBOT_LEASE_SECONDS=3) runs out.

The guarantee is test_durability's, across replicas: every acknowledged command's effect is in the
database exactly once and it is answered; exactly once, except a command of a killed replica whose
reply left just before the kill, which may be followed by one "done before I restarted" confirmation
(from whichever replica finished the row). (Which replies had left at the kill is not told apart from
one still in the socket when the process died: the test allows the one confirmation for any command
of a killed replica.) Every
Slack event is acted on once. The barrier before counting: every effect and reply has appeared, no
inbox row is left unanswered, and then every replica is stopped (nothing can happen after that).

The database is chosen in one place, :func:`database`: a SQLite file, or a PostgreSQL database
under ``pytest --backend=postgresql``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot.storage import Store
from handlers.local.fake_slack import FakeSlack
from tests import databases

from .bursts import Sent, burst
from .conftest import blocks_text
from .running import SECRET, Running, hirebot_run

LEASE_SECONDS = 3
REPLICAS = 3
BURST = 150  # 50 adds, 50 notes, 50 moves
EVENTS = 15  # thread replies, each delivered to every replica
IN_FLIGHT = 15  # requests open at once
CARD_TS = "1700000000.000100"  # OP-1's card: thread replies under it become notes


@dataclass(frozen=True)
class Database:
    """Where the replicas and the test meet: ``env`` for ``hirebot run``, ``url`` for :class:`Store`."""

    path: Path
    url: str
    env: dict[str, str]


async def database(tmp_path: Path) -> Database:
    """The one place the database is chosen: a SQLite file, or under ``--backend=postgresql`` the
    PostgreSQL database standing in for it (tests/databases.py)."""
    path = tmp_path / "replicas.db"
    return Database(path, await databases.target(path), await databases.env_for(path))


async def query(db: Database, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    store = await Store(db.url).open()
    try:
        async with store.reading() as tx:
            return await tx._all(sql, params)
    finally:
        await store.close()


async def until(condition: Callable[[], Any], what: str, within: float = 30) -> None:
    """Poll ``condition`` (sync or async) until true; fail naming ``what`` after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        found = condition()
        if asyncio.iscoroutine(found):
            found = await found
        if found:
            return
        assert time.monotonic() < deadline, f"{what}: not within {within}s"
        await asyncio.sleep(0.02)


@dataclass
class Replica:
    """One ``hirebot run`` in the pool, restartable under its replica id."""

    index: int
    slack: FakeSlack
    db: Database
    running: Running | None = None
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    down: bool = True

    @property
    def replica_id(self) -> str:
        return f"r{self.index}"

    async def start(self) -> Replica:
        self.stack = AsyncExitStack()
        self.running = await self.stack.enter_async_context(hirebot_run(
            self.slack, self.db.path, HIREBOT_REPLICA_ID=self.replica_id, HIREBOT_LEASE_SECONDS=str(LEASE_SECONDS),
            **self.db.env))
        self.down = False
        return self

    async def kill(self) -> None:
        """SIGKILL: no shutdown, nothing finished, leases left to run out."""
        assert self.running is not None
        self.down = True
        os.kill(self.running.proc.pid, signal.SIGKILL)
        await self.running.proc.wait()
        await self.stack.aclose()

    async def stop(self) -> None:
        """SIGTERM, and wait for the clean shutdown (hirebot_run's exit)."""
        if not self.down:
            self.down = True
            await self.stack.aclose()


def signed(body: str, content_type: str, **headers: str) -> dict[str, str]:
    ts = str(int(time.time()))
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(
        timestamp=ts, body=body), "Content-Type": content_type, **headers}


async def send_command(http: aiohttp.ClientSession, pool: list[Replica], s: Sent, n: int) -> None:
    """Like the load balancer: the n-th request to replica n % 3, or the next one up."""
    target = next(r for k in range(REPLICAS) if not (r := pool[(n + k) % REPLICAS]).down)
    assert target.running is not None
    s.replica = target.index
    body = urlencode({"team_id": "T0001", "channel_id": "CJOBS", "user_id": "UMANAGER", "command": "/hiring",
                      "text": s.text, "response_url": s.response_url, "trigger_id": f"rep-{n}-{time.time_ns()}"})
    try:
        async with http.post(target.running.url + "/slack/events", data=body,
                             headers=signed(body, "application/x-www-form-urlencoded")) as r:
            await r.read()
            s.status = r.status
    except (TimeoutError, aiohttp.ClientError):
        s.status = None  # its replica died before answering: not acknowledged
    finally:
        s.done = True


async def deliver_event(http: aiohttp.ClientSession, pool: list[Replica], k: int) -> list[int | None]:
    """Event ``k`` (a thread reply under OP-1's card) to every live replica at once: the delivery
    and two retries of the same event id. The HTTP status each copy got."""
    event = {"type": "message", "channel": "CJOBS", "user": "UMANAGER", "text": f"thread note {k}",
             "ts": f"1800000000.{k:06d}", "thread_ts": CARD_TS}
    body = json.dumps({"token": "legacy", "team_id": "T0001", "api_app_id": "A0001", "type": "event_callback",
                       "event_id": f"EvReplica{k}", "event_time": int(time.time()), "event": event})

    async def one(r: Replica, retry: int) -> int | None:
        if r.down or r.running is None:
            return None
        extra = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        try:
            async with http.post(r.running.url + "/slack/events", data=body,
                                 headers=signed(body, "application/json", **extra)) as resp:
                await resp.read()
                return resp.status
        except (TimeoutError, aiohttp.ClientError):
            return None

    return list(await asyncio.gather(*(one(r, retry) for retry, r in enumerate(pool))))


async def seed(db: Database, apps: int) -> int:
    """OP-1, managed by UMANAGER, its card in CJOBS, with ``apps`` candidates in stage applied."""
    store = await Store(db.url).open()
    now = datetime.now(UTC)
    try:
        async with store.transaction() as tx:
            op = await tx.insert_opening("Backend Engineer", {"title": "Backend Engineer"}, "UMANAGER", "CJOBS",
                                         False, now)
            await tx.set_opening_message(op, "CJOBS", CARD_TS, None)
            for i in range(apps):
                await tx.insert_application(op, f"Seeded {i}", None, None, None, "applied", "UMANAGER", now)
    finally:
        await store.close()
    return op


async def effects(db: Database, sent: list[Sent]) -> dict[str, int]:
    """marker → how many times its effect is in the database."""
    rows = await query(db, "SELECT 'add' AS kind, candidate_name AS marker FROM applications "
                           "UNION ALL SELECT 'note', text FROM notes "
                           "UNION ALL SELECT 'move', reason FROM stage_moves WHERE reason IS NOT NULL")
    counts: dict[str, int] = {}
    for r in rows:
        counts[str(r["marker"])] = counts.get(str(r["marker"]), 0) + 1
    return {s.marker: counts.get(s.marker, 0) for s in sent}


async def thread_notes(db: Database) -> dict[str, int]:
    rows = await query(db, "SELECT text FROM notes WHERE text LIKE 'thread note %'")
    counts: dict[str, int] = {}
    for r in rows:
        counts[str(r["text"])] = counts.get(str(r["text"]), 0) + 1
    return counts


def replies(slack: FakeSlack) -> dict[str, list[str]]:
    """response URL → the text of every reply it received, in order."""
    out: dict[str, list[str]] = {}
    for c in slack.of("response_url"):
        out.setdefault(str(c.args["response_url"]), []).append(blocks_text(c.args))
    return out


@dataclass
class Kill:
    replica: int
    acks: int  # its acknowledged commands when it was killed
    in_flight: int  # of those, not answered yet at that moment


async def test_three_replicas_one_killed_and_restarted_one_killed_for_good(slack: FakeSlack, tmp_path: Path) -> None:
    started = time.monotonic()
    db = await database(tmp_path)
    op = await seed(db, BURST // 3)
    sent = burst(slack, op, BURST, "Replica")
    pool = [Replica(i, slack, db) for i in range(REPLICAS)]
    await asyncio.gather(*(r.start() for r in pool))
    kills: list[Kill] = []
    restarted: asyncio.Task[Replica] | None = None
    room = asyncio.Semaphore(IN_FLIGHT)

    def acked(i: int) -> list[Sent]:
        return [s for s in sent if s.replica == i and s.status == 200]

    def answered(i: int) -> list[Sent]:
        got = replies(slack)
        return [s for s in acked(i) if got.get(s.response_url)]

    def in_flight(i: int) -> int:
        return len(acked(i)) - len(answered(i))

    async def kill(i: int) -> None:
        kills.append(Kill(i, len(acked(i)), in_flight(i)))
        await pool[i].kill()

    async def kill_in_flight(i: int) -> None:
        """Hold every reply for a moment, so replica ``i`` surely has commands in flight when it dies
        (left to timing, a quick replica often had none at the poll, and the burst ended first)."""
        slack.replies_open.clear()
        try:
            await until(lambda: in_flight(i) >= 2, f"r{i} with commands in flight", 60)
            await kill(i)
        finally:
            slack.replies_open.set()

    async def chaos() -> None:
        """r0: killed once it has answered some of its commands while more are acknowledged (in
        flight), and started again under its id; r1: killed later, never back."""
        nonlocal restarted
        await until(lambda: len(answered(0)) >= 5 and len(acked(0)) >= 15, "r0 busy", 60)
        await kill_in_flight(0)
        restarted = asyncio.create_task(pool[0].start())
        await until(lambda: len(acked(1)) >= 25, "r1 busy", 60)
        await kill_in_flight(1)

    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            async def command(s: Sent, n: int) -> None:
                async with room:
                    await send_command(http, pool, s, n)

            async def events() -> list[list[int | None]]:
                out = []
                for k in range(EVENTS):  # spread over the burst
                    await until(lambda k=k: sum(s.done for s in sent) >= k * BURST // EVENTS,
                                "the burst goes on", 60)
                    out.append(await deliver_event(http, pool, k))
                return out

            monkey = asyncio.create_task(chaos())
            delivered_task = asyncio.create_task(events())
            await asyncio.gather(*(command(s, n) for n, s in enumerate(sent)))
            delivered = await delivered_task
            await monkey
            assert restarted is not None
            await restarted
            assert [k.replica for k in kills] == [0, 1]
            assert pool[0].running is not None
            assert "/hiring commands" in await pool[0].running.say("help"), "r0 is back, and serves"

        mine = [s for s in sent if s.status == 200]
        seen = [k for k, statuses in enumerate(delivered) if 200 in statuses]
        assert len(seen) == EVENTS, "r2 is never killed: it acknowledges every event"

        async def all_done() -> bool:
            found, got, notes = await effects(db, mine), replies(slack), await thread_notes(db)
            unanswered = await query(db, "SELECT id FROM inbox WHERE answered_at IS NULL")
            return (all(found[s.marker] >= 1 and got.get(s.response_url) for s in mine)
                    and all(notes.get(f"thread note {k}") for k in seen) and not unanswered)

        await until(all_done, "every acknowledged command applied and answered, every event acted on", 30)
        holders = await query(db, "SELECT holder, COUNT(*) AS n FROM inbox GROUP BY holder ORDER BY holder")
    finally:
        await asyncio.gather(*(r.stop() for r in pool))  # the barrier: nothing can happen after this

    found, got, notes = await effects(db, mine), replies(slack), await thread_notes(db)
    repeated = {s.response_url: got[s.response_url] for s in mine if len(got[s.response_url]) > 1}
    print(f"\n3 replicas: {len(sent)} commands, {len(mine)} acknowledged, kills {kills[0].replica} "
          f"({kills[0].acks} acked, {kills[0].in_flight} in flight) and {kills[1].replica} ({kills[1].acks} acked, "
          f"{kills[1].in_flight} in flight), {len(repeated)} answered twice, rows by final holder "
          f"{ {r['holder']: r['n'] for r in holders} }, {time.monotonic() - started:.1f} s")
    assert [s.text for s in mine if found[s.marker] != 1] == [], "each acknowledged command applied exactly once"
    assert [f"thread note {k}" for k in seen if notes.get(f"thread note {k}") != 1] == [], "each event acted on once"
    assert all(k.in_flight > 0 for k in kills), f"a kill came with nothing in flight: {kills}"
    words = {"add": "Added", "note": "Noted", "move": "Moved"}
    for s in mine:
        first, *more = got[s.response_url]
        assert words[s.kind] in first or "before I restarted" in first, (s.text, first)
        if more:  # its replica died after the reply left, before the row was marked answered
            assert s.replica in {k.replica for k in kills}, ("answered twice by a replica never killed", s.text)
            assert len(more) == 1 and "before I restarted" in more[0], (s.text, got[s.response_url])


async def seed_reminders(db: Database, users: int) -> list[str]:
    """One reminder per user about an open opening, due long ago at a moment nobody works (a Sunday
    night, so no working hours hold it back whenever the test runs); their texts."""
    store = await Store(db.url).open()
    long_ago = datetime(2026, 1, 4, 3, 0, tzinfo=UTC)
    texts = [f"replica reminder {u:03d}" for u in range(users)]  # none is a part of another
    try:
        async with store.transaction() as tx:
            oid = await tx.insert_opening("Staff Nurse", {"title": "Staff Nurse"}, "UMANAGER", "CJOBS", False,
                                          long_ago)
            for u, text in enumerate(texts):
                await tx.insert_reminder(f"UREM{u}", oid, None, None, text, long_ago, long_ago, long_ago)
    finally:
        await store.close()
    return texts


async def test_scheduled_reminders_go_out_once_across_replicas(slack: FakeSlack, tmp_path: Path) -> None:
    """Reminders that fell due while the replicas were down: all three catch up at once, and each
    reminder is delivered by exactly one of them."""
    db = await database(tmp_path)
    texts = await seed_reminders(db, 12)
    pool = [Replica(i, slack, db) for i in range(REPLICAS)]

    def sent_texts() -> list[str]:
        return [blocks_text(c.args) + str(c.args.get("text") or "") for c in slack.of("chat.postMessage")]

    def delivered(text: str) -> int:
        return sum(text in t for t in sent_texts())

    try:
        await asyncio.gather(*(r.start() for r in pool))

        async def all_sent() -> bool:
            pending = await query(db, "SELECT id FROM reminders WHERE status = 'pending'")
            return not pending and all(delivered(t) for t in texts)

        await until(all_sent, "every reminder delivered", 30)
    finally:
        await asyncio.gather(*(r.stop() for r in pool))  # the barrier
    assert {t: delivered(t) for t in texts} == {t: 1 for t in texts}
