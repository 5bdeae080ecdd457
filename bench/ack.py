"""Slash-command ack latency under 50 concurrent signed clients on loopback, and RSS.

Each server runs in its own process (as in production); the clients and the Web API stand-in
(FakeSlack, which also receives the replies posted to ``response_url``) run in this one. Every
request carries its own ``response_url``, so the time until its reply reaches "Slack" is known.

A request answered in its ack body (200 with a JSON message body: ``text`` or ``blocks``, which
Slack shows as the reply with no ``response_url`` post) counts as replied when that ack arrived:
request → reply = request → ack. This is read from each response, not from the command's name, so
a server that answers the same command with an empty ack and a ``response_url`` post (the work
floor's ``help``) is still measured at the post.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from handlers.local.fake_slack import FakeSlack

ROOT = Path(__file__).parents[1]
SECRET = "bench-secret"
CONCURRENCY = 50


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    lat: list[float]
    reply: list[float]
    errors: int  # acks that were not 200
    #: When the first request went out, and when the last reply arrived (time.monotonic()).
    started: float = 0.0
    last_reply: float = 0.0
    missing: int = 0  # replies awaited that never arrived (in the ack body or at response_url)
    in_ack: int = 0  # requests answered in the ack body itself

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def completed_rps(self) -> float:
        """Replies that arrived, per second from the first request to the last reply."""
        return len(self.reply) / (self.last_reply - self.started) if self.reply else 0.0

    def q(self, p: float, values: list[float] | None = None) -> float:
        v = sorted(self.lat if values is None else values)
        return v[min(len(v) - 1, int(p * len(v)))] if v else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def wait_listening(port: int, proc: asyncio.subprocess.Process, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            _, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            return
        except OSError:
            if proc.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError("benchmark server did not start") from None
            await asyncio.sleep(0.1)


async def start(args: list[str], env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, *args, cwd=ROOT, env={**os.environ, **(env or {})},
                                                stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.DEVNULL)


async def stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.terminate()
        await proc.wait()


def signed_headers(verifier: SignatureVerifier, body: str) -> dict[str, str]:
    """The headers Slack signs a request with (``X-Slack-Signature`` over timestamp and body)."""
    ts = str(int(time.time()))
    signature = verifier.generate_signature(timestamp=ts, body=body)
    assert signature is not None  # None only without a signing secret
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded"}


def answered_in_ack(status: int, data: bytes) -> bool:
    """Whether an ack is itself the reply: 200 with a JSON message body (``text`` or ``blocks``),
    which Slack shows to the user with no ``response_url`` post."""
    if status != 200 or not data.lstrip().startswith(b"{"):
        return False
    try:
        msg = json.loads(data)
    except ValueError:
        return False
    return isinstance(msg, dict) and bool(msg.get("text") or msg.get("blocks"))


def command_body(slack: FakeSlack, text: str, user: str = "UMGR") -> tuple[str, str]:
    url = slack.response_url()
    return urlencode({"team_id": "T0001", "channel_id": "CJOBS", "user_id": user, "command": "/hiring",
                      "text": text, "response_url": url, "trigger_id": "t", "api_app_id": "A0001"}), url


def settle_client() -> None:
    """Before a measured section, in the process that drives the clients: freeze what is alive
    (earlier sections' FakeSlack calls, seeds), so the collector walks only what this section
    creates. Left alone, a full collection in the client walked all of it mid-section (64-131 ms
    measured), every client stalled at once, and the pause showed up as the server's ack tail."""
    gc.collect()
    gc.freeze()


async def load(name: str, port: int, slack: FakeSlack, texts: list[str], replies: bool) -> Result:
    """Send every command with CONCURRENCY clients; latency = request sent → ack received. With
    ``replies``, also request sent → reply: the ack itself when it carries the message, else the
    post to ``response_url`` arriving at FakeSlack."""
    verifier = SignatureVerifier(SECRET)
    bodies = [command_body(slack, t) for t in texts]
    sent: dict[str, float] = {}
    in_ack: dict[str, float] = {}  # response_url → when its ack, carrying the reply, arrived
    lat: list[float] = []
    errors = 0
    queue = iter(bodies)
    url = f"http://127.0.0.1:{port}/slack/events"
    conn = aiohttp.TCPConnector(limit=CONCURRENCY)
    settle_client()
    async with aiohttp.ClientSession(connector=conn) as http:
        async def worker() -> None:
            nonlocal errors
            for body, rurl in queue:
                headers = signed_headers(verifier, body)
                t0 = time.monotonic()
                sent[rurl] = t0
                async with http.post(url, data=body, headers=headers) as r:
                    data = await r.read()
                    t1 = time.monotonic()
                    if r.status != 200:
                        errors += 1
                lat.append(t1 - t0)
                if replies and answered_in_ack(r.status, data):
                    in_ack[rurl] = t1

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        seconds = time.monotonic() - started
    if not replies:
        return Result(name, len(texts), seconds, lat, [], errors, started)
    deadline = time.monotonic() + 60
    awaited = [u for u in sent if u not in in_ack]
    while True:
        got = {c.args.get("response_url"): c.at for c in slack.of("response_url")}
        if all(u in got for u in awaited) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    at = {**{u: got[u] for u in awaited if u in got}, **in_ack}
    reply = [at[u] - t for u, t in sent.items() if u in at]
    return Result(name, len(texts), seconds, lat, reply, errors, started, max(at.values(), default=0.0),
                  missing=len(sent) - len(reply), in_ack=len(in_ack))


def posting_data(title: str) -> str:
    """An opening's ``data`` as publishing leaves it (a parsed posting): cards render from it, so
    ``'{}'`` would make every card redraw fail (logged, and skipped: a move would look cheaper)."""
    import json

    from bot.parsing import parse_posting

    data = parse_posting((ROOT / "tests/fixtures/postings/uk_bank.txt").read_text()).to_dict()
    return json.dumps({**data, "title": title})


async def seed(target: str | Path, moves: int) -> None:
    """OP-1 with 200 candidates (for pipeline); OP-2 with one candidate per move request.
    ``target``: a SQLite file path, or a database URL (``postgresql+asyncpg://…``: an empty database)."""
    from datetime import UTC, datetime

    from bot.storage import Store

    store = await Store(target).open()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    async with store.transaction() as tx:
        for op in (1, 2):
            await tx._run("INSERT INTO openings (id, title, data, channel_id, message_ts, created_by, created_at) "
                          "VALUES (?, ?, ?, 'CJOBS', ?, 'UMGR', ?)",
                          (op, f"Opening {op}", posting_data(f"Opening {op}"), f"1700.{op}", now))
            await tx._run("INSERT INTO opening_members (opening_id, user_id, role, added_by, added_at) "
                          "VALUES (?, 'UMGR', 'manager', 'UMGR', ?)", (op, now))
        if tx.dialect == "postgresql":  # ids given above: move the identity on past them
            await tx._all("SELECT setval(pg_get_serial_sequence('openings', 'id'), 2) AS v")
        apps = [(1, f"Candidate {i}") for i in range(200)] + [(2, f"Mover {i}") for i in range(moves)]
        await tx._many("INSERT INTO applications (opening_id, candidate_name, stage, stage_since, created_by, "
                       "created_at) VALUES (?, ?, 'applied', ?, 'UMGR', ?)",
                       [(o, n, now, now) for o, n in apps])
        await tx._run("INSERT INTO stage_moves (application_id, from_stage, to_stage, actor, at) "
                      "SELECT id, NULL, 'applied', 'UMGR', ? FROM applications", (now,))
    await store.close()


async def run(n: int, rss_commands: int, server: str | None = None) -> dict[str, object]:
    """``server``: a PostgreSQL server URL to run hirebot on (a new database there), else SQLite."""
    from bench.backend import db_env, places

    posting = (ROOT / "tests/fixtures/postings/uk_bank.txt").read_text()
    posting = (posting + "\n" + posting)[:4096]
    slack = await FakeSlack(bot_user="UBOT").start()
    out: dict[str, object] = {}
    try:
        for kind in ("bare", "bolt"):
            port = free_port()
            proc = await start(["-m", "bench.servers", kind, str(port), slack.api_url])
            try:
                await wait_listening(port, proc)
                await load("warm-up", port, slack, ["help"] * 100, False)
                if kind == "bolt":
                    out["bolt_rss_idle"] = rss_mb(proc.pid)
                out[kind] = await load(kind, port, slack, ["help"] * n, False)
            finally:
                await stop(proc)

        async with places(server) as where:
            db = await where.new("bench")
            await seed(db, n)
            await where.loaded(db)
            port = free_port()
            proc = await start(["-m", "handlers.cli", "run"], {
                "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.api_url,
                **db_env(db), "HIREBOT_PORT": str(port), "HIREBOT_LOG_FORMAT": "json"})
            try:
                await wait_listening(port, proc)
                await asyncio.sleep(1)
                out["rss_idle"] = rss_mb(proc.pid)
                await load("warm-up", port, slack, ["help"] * 100, True)
                sent = 100
                for name, texts in (("help", ["help"] * n),
                                    ("move", [f"move APP-{200 + i + 1} screen" for i in range(n)]),
                                    ("pipeline", ["pipeline OP-1"] * max(n // 4, 50)),
                                    ("post", ["post " + posting] * max(n // 4, 50))):
                    out[name] = await load(name, port, slack, texts, True)
                    sent += len(texts)
                while sent < rss_commands:
                    batch = min(2000, rss_commands - sent)
                    await load("rss", port, slack, ["help"] * batch, False)
                    sent += batch
                out["rss_after"] = rss_mb(proc.pid)
                out["rss_commands"] = sent
            finally:
                await stop(proc)
            # The same moves against the work floor (bench/servers.py: same writes, no backpressure):
            # what acks at 50 concurrent cost when the work behind them is done the obvious way.
            db = await where.new("floor")
            await seed(db, n)
            await where.loaded(db)
            port = free_port()
            proc = await start(["-m", "bench.servers", "work", str(port), slack.api_url, str(db)])
            try:
                await wait_listening(port, proc)
                await load("warm-up", port, slack, ["help"] * 100, True)
                out["floor_move"] = await load("floor move", port, slack,
                                               [f"move APP-{200 + i + 1} screen" for i in range(n)], True)
            finally:
                await stop(proc)
    finally:
        await slack.stop()
    return out
