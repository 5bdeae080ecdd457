"""Under load, hirebot against the work floor (``bench/servers.py work``: a minimal Bolt app doing
the same writes with raw aiosqlite and one shared HTTP session), each server in its own process,
the clients and the Web API stand-in (FakeSlack, which receives every ``response_url`` post) in
this one. A request is *completed* when its reply has arrived at FakeSlack, or, when the ack
itself carries the reply (200 with a JSON message body: ``text`` or ``blocks``; hirebot's ``help``
and usage errors), when that ack arrived: request → reply = request → ack. Read from each response,
not from the command's name: the work floor answers ``help`` with an empty ack and a
``response_url`` post, and is measured at the post. With a PostgreSQL ``server``, both run on
new databases there, the work floor on raw asyncpg (``bench/servers.py``).

- **Saturation, closed loop**: 50 signed clients, each sending its next command as soon as the
  previous one is acknowledged (as Slack does: nobody waits for a reply before the next click), so
  the servers are offered all they accept. Completed replies/s = replies / (last reply − first
  request); request → reply p50/p99 over the same requests. Rounds alternate the two servers.
- **Open loop, steady arrival rate**: mixed ``help``/``move``/``pipeline`` in turn, sent on a clock
  (request *i* at *i*/rate s, whatever the answers), ~10 s per rate; request → reply p50/p99 from
  the moment each request went out. The sender's lag behind its clock is reported: on a loaded
  machine the client itself can fall behind.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import statistics
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bench.ack import (
    ROOT,
    SECRET,
    Result,
    answered_in_ack,
    command_body,
    free_port,
    load,
    seed,
    settle_client,
    signed_headers,
    start,
    stop,
    wait_listening,
)
from bench.backend import Places, db_env, places
from handlers.local.fake_slack import FakeSlack

POSTING = ROOT / "tests/fixtures/postings/uk_bank.txt"


def posting() -> str:
    text = POSTING.read_text()
    return (text + "\n" + text)[:4096]


def hirebot_env(slack: FakeSlack, db: str | Path, port: int) -> dict[str, str]:
    """``db``: a SQLite file (``HIREBOT_DB``) or a database URL (``HIREBOT_DATABASE_URL``)."""
    return {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.api_url,
            **db_env(db), "HIREBOT_PORT": str(port), "HIREBOT_LOG_FORMAT": "json"}


@asynccontextmanager
async def servers(slack: FakeSlack, where: Places, movers: int) -> AsyncIterator[dict[str, int]]:
    """hirebot and the work floor, each on its own copy of the same seeded database (a SQLite file,
    or a new PostgreSQL database: the floor then runs on raw asyncpg): name → port."""
    procs = []
    ports: dict[str, int] = {}
    try:
        for name in ("hirebot", "floor"):
            db = await where.new(name)
            await seed(db, movers)
            await where.loaded(db)
            port = free_port()
            if name == "hirebot":
                proc = await start(["-m", "handlers.cli", "run"], hirebot_env(slack, db, port))
            else:
                proc = await start(["-m", "bench.servers", "work", str(port), slack.api_url, str(db)])
            procs.append(proc)
            await wait_listening(port, proc)
            ports[name] = port
        for port in ports.values():  # warm-up: auth.test, connections, the parser's workers
            await load("warm-up", port, slack, ["help"] * 100 + ["post " + posting()] * 10, True)
        yield ports
    finally:
        for proc in procs:
            await stop(proc)


def q(values: list[float], p: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(p * len(v)))] if v else float("nan")


@dataclass
class Spread:
    """One figure over rounds."""

    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    def show(self, fmt: str = ",.0f") -> str:
        if len(self.values) < 2:
            return format(self.median, fmt)
        return f"{self.median:{fmt}} ({min(self.values):{fmt}}–{max(self.values):{fmt}})"


COMMANDS = ("move", "pipeline", "post")


async def saturation(n: int, rounds: int, server: str | None = None) -> dict[str, dict[str, dict[str, Spread]]]:
    """command → server → {"rps", "p50", "p99", "missing"} over ``rounds`` rounds of ``n`` requests
    (``pipeline`` and ``post``: n // 2); on PostgreSQL when ``server`` is its URL."""
    out = {c: {s: {k: Spread() for k in ("rps", "p50", "p99", "missing")} for s in ("hirebot", "floor")}
           for c in COMMANDS}
    paste = posting()
    slack = await FakeSlack(bot_user="UBOT").start()
    try:
        async with places(server) as where, servers(slack, where, n * rounds) as ports:
            for r in range(rounds):
                movers = [f"move APP-{200 + r * n + i + 1} screen" for i in range(n)]
                texts = {"move": movers, "pipeline": ["pipeline OP-1"] * (n // 2),
                         "post": ["post " + paste] * (n // 2)}
                order = ("hirebot", "floor") if r % 2 == 0 else ("floor", "hirebot")
                for cmd in COMMANDS:
                    for name in order:
                        res: Result = await load(cmd, ports[name], slack, texts[cmd], True)
                        figures = out[cmd][name]
                        figures["rps"].values.append(res.completed_rps)
                        figures["p50"].values.append(res.q(0.5, res.reply) * 1000)
                        figures["p99"].values.append(res.q(0.99, res.reply) * 1000)
                        figures["missing"].values.append(res.missing)
                        await asyncio.sleep(0.5)  # let the other server's leftovers settle
    finally:
        await slack.stop()
    return out


@dataclass
class Open:
    rate: int
    sent: int
    lat: dict[str, list[float]]  # command → request → reply, s
    counts: dict[str, int]  # command → requests sent
    in_ack: dict[str, int]  # command → requests answered in the ack body (reply = ack)
    missing: int  # replies that never arrived
    failed: int  # requests not acknowledged with 200
    statuses: dict[str, int]  # how the others were answered: status code, or the client's error
    lag: float  # the sender's worst lag behind its clock, s

    def all(self) -> list[float]:
        return [x for v in self.lat.values() for x in v]

    def how(self) -> str:
        """How the replies came: e.g. "help in the ack body, move/pipeline via response_url"."""
        body, url, mixed = [], [], []
        for name in sorted(self.counts):
            n, k = self.counts[name], self.in_ack.get(name, 0)
            if k == n:
                body.append(name)
            elif k == 0:
                url.append(name)
            else:
                mixed.append(f"{name} {k:,} of {n:,} in the ack body")
        return ", ".join([*([f"{'/'.join(body)} in the ack body"] if body else []), *mixed,
                          *([f"{'/'.join(url)} via response_url"] if url else [])])


class Replies:
    """When each ``response_url`` post arrived at FakeSlack, read incrementally."""

    def __init__(self, slack: FakeSlack) -> None:
        self.slack = slack
        self.seen = 0
        self.at: dict[str, float] = {}

    def poll(self) -> None:
        calls = self.slack.calls
        for c in calls[self.seen:]:
            if c.method == "response_url":
                self.at.setdefault(str(c.args.get("response_url")), c.at)
        self.seen = len(calls)

    async def wait(self, urls: list[str], within: float) -> None:
        deadline = time.monotonic() + within
        while True:
            self.poll()
            if all(u in self.at for u in urls) or time.monotonic() > deadline:
                return
            self.slack.changed.clear()
            try:
                await asyncio.wait_for(self.slack.changed.wait(), 0.1)
            except TimeoutError:
                pass


async def open_loop(port: int, slack: FakeSlack, rate: int, seconds: float, texts: Callable[[], tuple[str, str]],
                    replies: Replies) -> Open:
    """Send ``rate`` × ``seconds`` commands on a clock; ``texts()`` gives (command name, text)."""
    verifier = SignatureVerifier(SECRET)
    url = f"http://127.0.0.1:{port}/slack/events"
    sent: dict[str, tuple[str, float]] = {}
    acked: dict[str, float] = {}  # response_url → when its ack arrived carrying the reply
    statuses: collections.Counter[str] = collections.Counter()
    lag = 0.0
    settle_client()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=2000)) as http:
        async def one(body: str, rurl: str) -> None:
            try:
                async with http.post(url, data=body, headers=signed_headers(verifier, body)) as r:
                    data = await r.read()
                    if answered_in_ack(r.status, data):
                        acked[rurl] = time.monotonic()
                    statuses[str(r.status)] += 1
            except aiohttp.ClientError as exc:
                statuses[type(exc).__name__] += 1

        tasks = []
        total = int(rate * seconds)
        begin = time.monotonic() + 0.05
        for i in range(total):
            at = begin + i / rate
            delay = at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            now = time.monotonic()
            lag = max(lag, now - at)
            name, text = texts()
            body, rurl = command_body(slack, text)
            sent[rurl] = (name, time.monotonic())
            tasks.append(asyncio.create_task(one(body, rurl)))
        await asyncio.gather(*tasks)
    await replies.wait([u for u in sent if u not in acked], 60)
    arrived = {**replies.at, **acked}  # answered in the ack body: replied when the ack arrived
    lat: dict[str, list[float]] = {}
    counts: collections.Counter[str] = collections.Counter()
    in_ack: collections.Counter[str] = collections.Counter()
    for rurl, (name, t0) in sent.items():
        counts[name] += 1
        in_ack[name] += rurl in acked
        if rurl in arrived:
            lat.setdefault(name, []).append(arrived[rurl] - t0)
    missing = sum(1 for u in sent if u not in arrived)
    failed = total - statuses.pop("200", 0)
    return Open(rate, total, lat, dict(counts), dict(in_ack), missing, failed, dict(statuses), lag)


async def open_loops(rates: list[int], seconds: float, floor_rate: int = 300,
                     server: str | None = None) -> dict[str, list[Open]]:
    """hirebot at each rate, then the work floor at ``floor_rate``: server → results (on
    PostgreSQL when ``server`` is its URL)."""
    need = sum(int(r * seconds) // 3 + 1 for r in [*rates, floor_rate])
    out: dict[str, list[Open]] = {"hirebot": [], "floor": []}
    slack = await FakeSlack(bot_user="UBOT").start()
    try:
        async with places(server) as where, servers(slack, where, need) as ports:
            replies = Replies(slack)
            movers = itertools.count(201)
            kinds = itertools.cycle(("help", "move", "pipeline"))

            def texts() -> tuple[str, str]:
                kind = next(kinds)
                if kind == "move":
                    return kind, f"move APP-{next(movers)} screen"
                return kind, "pipeline OP-1" if kind == "pipeline" else "help"

            plan = [("hirebot", r) for r in rates] + [("floor", floor_rate)]
            for name, rate in plan:
                out[name].append(await open_loop(ports[name], slack, rate, seconds, texts, replies))
                await asyncio.sleep(1)
    finally:
        await slack.stop()
    return out
