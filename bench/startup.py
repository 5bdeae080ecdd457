"""Start-up with 100,000 applications and nudges due: from spawning ``hirebot run`` (HTTP mode,
the Web API at FakeSlack, a prepared SQLite file: every application overdue, every manager at
work, see ``bench/sla_bench.py``) until

- it *accepts a signed request*: a signed ``/hiring help`` answered 200 (what Slack needs; before
  that Slack gets connection refused or waits);
- ``/readyz`` answers 200 (what ``/readyz`` checks is read from its body and reported: whether it
  waits for the catch-up is hirebot's to say);
- the catch-up has nudged every manager (one DM each arrived at FakeSlack).

The baseline, in the same run: the minimal Bolt app's start-up (``bench/servers.py bolt``) to a
signed request answered 200. Each round starts from a fresh copy of the same database.

On PostgreSQL (``--postgres URL``, or ``python -m bench --backend postgresql``), the prepared
database is a PostgreSQL one (seeded once, analyzed), each round's a ``CREATE DATABASE … TEMPLATE``
copy of it, and ``hirebot run`` gets ``HIREBOT_DATABASE_URL``.

    .venv/bin/python -m bench.startup [--applications 100000] [--rounds 3] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bench.ack import SECRET, command_body, free_port, signed_headers, start, stop
from bench.backend import places
from bench.load import hirebot_env
from bench.sla_bench import seed
from handlers.local.fake_slack import FakeSlack


@dataclass
class Startup:
    accepted: float | None = None  # s from spawn to a signed request answered 200
    listening: float | None = None  # s from spawn to the first HTTP answer of any kind
    ready: float | None = None  # s to /readyz 200
    nudged: float | None = None  # s until every manager's nudge DM arrived
    readyz: list[str] = field(default_factory=list)  # what /readyz reports (its body's keys)
    readyz_waited: bool = False  # /readyz answered 503 after requests were already accepted


async def accepted(port: int, slack: FakeSlack, t0: float, out: Startup, deadline: float) -> None:
    verifier = SignatureVerifier(SECRET)
    url = f"http://127.0.0.1:{port}/slack/events"
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            body, _ = command_body(slack, "help")
            try:
                async with http.post(url, data=body, headers=signed_headers(verifier, body),
                                     timeout=aiohttp.ClientTimeout(total=deadline - time.monotonic())) as r:
                    await r.read()
                    out.listening = out.listening or time.monotonic() - t0
                    if r.status == 200:
                        out.accepted = time.monotonic() - t0
                        return
            except (aiohttp.ClientConnectionError, TimeoutError):
                pass
            await asyncio.sleep(0.02)


async def ready(port: int, t0: float, out: Startup, deadline: float) -> None:
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(f"http://127.0.0.1:{port}/readyz",
                                    timeout=aiohttp.ClientTimeout(total=deadline - time.monotonic())) as r:
                    text = await r.text()
                    try:
                        out.readyz = sorted(set(json.loads(text)) - {"ok"}) if r.status in (200, 503) else out.readyz
                    except (ValueError, TypeError):
                        pass
                    if r.status == 200:
                        out.ready = time.monotonic() - t0
                        return
                    if out.accepted is not None:
                        out.readyz_waited = True
            except (aiohttp.ClientConnectionError, TimeoutError):
                pass
            await asyncio.sleep(0.05)


async def nudged(slack: FakeSlack, managers: int, t0: float, out: Startup, deadline: float) -> None:
    seen: set[str] = set()
    index = 0
    while time.monotonic() < deadline:
        calls = slack.calls
        for c in calls[index:]:
            if c.method == "chat.postMessage" and str(c.args.get("channel", "")).startswith("DUM"):
                seen.add(str(c.args["channel"]))
                if len(seen) >= managers:  # when the last manager's DM arrived
                    out.nudged = c.at - t0
                    return
        index = len(calls)
        slack.changed.clear()
        try:
            await asyncio.wait_for(slack.changed.wait(), 0.1)
        except TimeoutError:
            pass


async def hirebot(db: str | Path, managers: int, within: float) -> Startup:
    slack = await FakeSlack(bot_user="UBOT").start()
    out = Startup()
    port = free_port()
    t0 = time.monotonic()
    proc = await start(["-m", "handlers.cli", "run"], hirebot_env(slack, db, port))
    deadline = t0 + within
    try:
        await accepted(port, slack, t0, out, deadline)
        await asyncio.gather(ready(port, t0, out, deadline), nudged(slack, managers, t0, out, deadline))
    finally:
        await stop(proc)
        await slack.stop()
    return out


async def bolt(within: float = 30) -> float | None:
    slack = await FakeSlack(bot_user="UBOT").start()
    out = Startup()
    port = free_port()
    t0 = time.monotonic()
    proc = await start(["-m", "bench.servers", "bolt", str(port), slack.api_url])
    try:
        await accepted(port, slack, t0, out, t0 + within)
    finally:
        await stop(proc)
        await slack.stop()
    return out.accepted


@dataclass
class Run:
    hirebot: list[Startup]
    bolt: list[float | None]  # the minimal Bolt app: s to a signed request answered 200
    managers: int
    applications: int
    within: float


async def run(applications: int, rounds: int, within: float, server: str | None = None) -> Run:
    """``server``: a PostgreSQL server URL to run hirebot on (new databases there), else SQLite."""
    hb: list[Startup] = []
    base: list[float | None] = []
    async with places(server) as where:
        prepared = await where.new("prepared")
        managers = await seed(prepared, applications)
        await where.loaded(prepared)
        for r in range(rounds):
            base.append(await bolt())
            db = await where.copy(prepared, f"run_{r}")
            hb.append(await hirebot(db, managers, within))
            await where.drop(db)
    return Run(hb, base, managers, applications, within)


def main(applications: int, rounds: int, within: float, server: str | None = None) -> None:
    r = asyncio.run(run(applications, rounds, within, server))

    def show(values: list[float | None]) -> str:
        got = [v for v in values if v is not None]
        if len(got) < len(values):
            return f"> {within:.0f} s in {len(values) - len(got)} of {len(values)} rounds"
        return f"median {statistics.median(got):.2f} s (min {min(got):.2f}, max {max(got):.2f})"

    hb = r.hirebot
    print(f"applications:              {r.applications:,} overdue, {r.managers} managers at work")
    print(f"minimal Bolt, accepts:     {show(r.bolt)}")
    print(f"hirebot, first answer:     {show([s.listening for s in hb])}")
    print(f"hirebot, accepts:          {show([s.accepted for s in hb])}")
    print(f"hirebot, /readyz 200:      {show([s.ready for s in hb])} (/readyz reports: {', '.join(hb[0].readyz)})")
    print(f"hirebot, all nudged:       {show([s.nudged for s in hb])}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--applications", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--within", type=float, default=240)
    ap.add_argument("--postgres", default=None, metavar="URL", help="a PostgreSQL server (default: SQLite)")
    a = ap.parse_args()
    main(a.applications, a.rounds, a.within, a.postgres)
