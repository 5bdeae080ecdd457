"""Acknowledged means kept: a real ``hirebot run`` killed with SIGKILL in the middle of a burst.

A burst of signed ``/hiring`` commands (adds, notes and moves on a seeded opening) is sent at once;
the process is killed with SIGKILL once enough of them have been acknowledged, then started again
on the same database. The test waits (polling with a deadline) until every acknowledged command's
effect is in the database and its reply has reached its response URL at the FakeSlack stand-in,
then asserts none was lost, none was applied twice, and each was answered: exactly once, except a
reply already at Slack when the kill came, which the restart follows with a "done" confirmation.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot.storage import Store
from handlers.local.fake_slack import FakeSlack
from tests import databases

from .bursts import Sent, burst
from .conftest import blocks_text
from .running import SECRET, hirebot_run

BURST = 210  # 70 adds, 70 notes, 70 moves
KILL_AFTER = 60  # acknowledgements
REPLIED_BEFORE_KILL = 30  # and replies at FakeSlack, so the kill lands while commands are being processed
IN_FLIGHT = 20  # requests open at once: however slow this side runs, most of the burst is still to come at the kill


async def seed(db: Path, apps: int) -> int:
    """An open opening (OP-1) managed by UMANAGER, with ``apps`` candidates in stage applied."""
    store = await Store(db).open()
    now = datetime.now(UTC)
    async with store.transaction() as tx:
        op = await tx.insert_opening("Backend Engineer", {"title": "Backend Engineer"}, "UMANAGER", "CJOBS", False,
                                     now)
        for i in range(apps):
            await tx.insert_application(op, f"Seeded {i}", None, None, None, "applied", "UMANAGER", now)
    await store.close()
    return op


def effects(db: Path, sent: list[Sent]) -> dict[str, int]:
    """marker → how many times its effect is in the database."""
    queries = {"add": "SELECT COUNT(*) FROM applications WHERE candidate_name = ?",
               "note": "SELECT COUNT(*) FROM notes WHERE text = ?",
               "move": "SELECT COUNT(*) FROM stage_moves WHERE reason = ?"}
    return {s.marker: int(databases.query(db, queries[s.kind], s.marker)[0][0]) for s in sent}


def replies(slack: FakeSlack) -> dict[str, list[str]]:
    """response URL → the text of every reply it received."""
    out: dict[str, list[str]] = {}
    for c in slack.of("response_url"):
        out.setdefault(str(c.args["response_url"]), []).append(blocks_text(c.args))
    return out


async def send(http: aiohttp.ClientSession, url: str, s: Sent, n: int) -> None:
    body = urlencode({"team_id": "T0001", "channel_id": "CJOBS", "user_id": "UMANAGER", "command": "/hiring",
                      "text": s.text, "response_url": s.response_url, "trigger_id": f"burst-{n}-{time.time_ns()}"})
    ts = str(int(time.time()))
    sig = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    try:
        async with http.post(url + "/slack/events", data=body, headers={
                "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig,
                "Content-Type": "application/x-www-form-urlencoded"}) as r:
            await r.read()
            s.status = r.status
    except (TimeoutError, aiohttp.ClientError):
        s.status = None  # the process died before answering: not acknowledged


@dataclass
class Outcome:
    sent: list[Sent]
    acks_at_kill: int
    replied_before_kill: set[str]  # response URLs that had their reply before the kill
    found: dict[str, int]
    got: dict[str, list[str]]

    @property
    def mine(self) -> list[Sent]:
        return [s for s in self.sent if s.status == 200]

    def report(self, scenario: str) -> dict[str, list[str]]:
        mine, found, got = self.mine, self.found, self.got
        figures = {
            "lost": [s.text for s in mine if found[s.marker] == 0],
            "applied twice": [s.text for s in mine if found[s.marker] > 1],
            "unanswered": [s.text for s in mine if not got.get(s.response_url)],
            "answered twice": [s.text for s in mine if len(got.get(s.response_url, [])) > 1],
        }
        confirmed = sum(any("before I restarted" in t for t in got[s.response_url]) for s in mine)
        unacked_applied = sum(1 for s in self.sent if s.status != 200 and found.get(s.marker))
        print(f"\n{scenario}: burst {len(self.sent)}, acknowledged before the kill {self.acks_at_kill}, replies "
              f"before the kill {len(self.replied_before_kill)}, " + ", ".join(f"{k} {len(v)}" for k, v in
                                                                            figures.items())
              + f", confirmed after restart {confirmed}, not acknowledged but applied {unacked_applied}")
        # Every first reply says it worked: no acknowledged command came back as an error.
        words = {"add": "Added", "note": "Noted", "move": "Moved"}
        wrong = [(s.text, got[s.response_url][0][:80]) for s in mine
                 if words[s.kind] not in got[s.response_url][0] and "before I restarted" not in got[s.response_url][0]]
        assert wrong == []
        return figures


async def crash_mid_burst(slack: FakeSlack, db: Path, replies_first: int) -> Outcome:
    """Send the burst, SIGKILL after KILL_AFTER acks (and ``replies_first`` replies at FakeSlack),
    restart on the same database and wait until every acknowledged command is applied and answered."""
    op = await seed(db, BURST // 3)
    sent = burst(slack, op, BURST, "Burst")
    enough = asyncio.Event()
    room = asyncio.Semaphore(IN_FLIGHT)

    async with hirebot_run(slack, db) as bot:
        async def one(s: Sent, n: int) -> None:
            async with room:
                await send(http, bot.url, s, n)
            if sum(x.status == 200 for x in sent) >= KILL_AFTER and not enough.is_set():
                enough.set()
                if not replies_first:  # at once, from here: the burst is still arriving
                    os.kill(bot.proc.pid, signal.SIGKILL)

        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            tasks = [asyncio.create_task(one(s, n)) for n, s in enumerate(sent)]
            await asyncio.wait_for(enough.wait(), 60)
            if replies_first:
                await slack.wait_for("response_url", lambda c: len(slack.of("response_url")) >= replies_first,
                                     timeout=60)
                os.kill(bot.proc.pid, signal.SIGKILL)
            await bot.proc.wait()
            await asyncio.gather(*tasks)
    acks_at_kill = sum(s.status == 200 for s in sent)
    before = set(replies(slack))
    assert acks_at_kill >= KILL_AFTER

    mine = [s for s in sent if s.status == 200]
    async with hirebot_run(slack, db) as again:
        deadline = time.monotonic() + 60
        while True:
            found, got = effects(db, mine), replies(slack)
            if all(found[s.marker] >= 1 and got.get(s.response_url) for s in mine):
                break
            assert time.monotonic() < deadline, (
                f"{sum(found[s.marker] == 0 for s in mine)} lost, "
                f"{sum(not got.get(s.response_url) for s in mine)} unanswered after 60 s:\n" + "\n".join(again.stderr))
            await asyncio.sleep(0.1)
        assert "/hiring commands" in await again.say("help")  # the restarted bot serves as usual, after the resume
    return Outcome(sent, acks_at_kill, before, effects(db, sent), replies(slack))


def assert_kept(out: Outcome, figures: dict[str, list[str]]) -> None:
    """Nothing acknowledged is lost, applied twice or unanswered. A reply is at-least-once: one that
    had reached Slack before the kill but was not yet marked answered is followed, after the
    restart, by the 'done before I restarted' confirmation, never by a second application. Every
    command whose reply had not reached Slack before the kill is answered exactly once."""
    assert figures["lost"] == figures["applied twice"] == figures["unanswered"] == []
    for s in out.mine:
        got = out.got[s.response_url]
        if s.response_url not in out.replied_before_kill:
            assert len(got) == 1, (s.text, got)
        else:
            assert len(got) <= 2 and all("before I restarted" in t for t in got[1:]), (s.text, got)


async def test_a_kill_9_while_acknowledging_loses_and_doubles_nothing(slack: FakeSlack, tmp_path: Path) -> None:
    """Killed after 60 acks, in the middle of the burst."""
    out = await crash_mid_burst(slack, tmp_path / "durable.db", replies_first=0)
    assert out.acks_at_kill < len(out.sent), "the kill came after the whole burst: nothing was tested"
    assert_kept(out, out.report("killed while acknowledging"))


async def test_a_kill_9_while_processing_applies_once_and_answers_each(slack: FakeSlack, tmp_path: Path) -> None:
    """Killed once 30 replies have gone out: commands are applied, answered, and some in flight."""
    out = await crash_mid_burst(slack, tmp_path / "durable.db", replies_first=30)
    assert_kept(out, out.report("killed while processing"))
