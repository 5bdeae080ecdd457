"""Scale-out: hirebot on PostgreSQL, one to three ``hirebot run`` replicas, against one process on
SQLite and against one replica, every baseline measured in the same run.

- **Stage moves through ``Hiring.move``**, PostgreSQL against SQLite: :func:`bench.moves.domain`
  (one process, one move after another) on each backend, rounds alternating the two.
- **Commands with 1, 2 and 3 replicas** on one PostgreSQL database, and 1 process on SQLite: real
  ``hirebot run`` processes, signed slash commands (``help``, ``move``, ``pipeline`` in turn, as
  :mod:`bench.load`'s open loop sends them) spread round-robin over the replicas by the load
  generator itself (no proxy), 50 clients in a closed loop for a fixed time. The Web API stand-in
  (FakeSlack, which receives the ``response_url`` posts) and the clients run in this process, on
  the same 2 cores as the replicas and PostgreSQL: their CPU is reported next to the figures.
- **Reminders falling due across 3 replicas**: ``--reminders`` pending reminders (1,000 people,
  due evenly over ``--window`` seconds from shortly after the replicas start), each one's text
  carrying its number, so every DM FakeSlack receives maps back to the reminders it delivers:
  lateness (DM arrival − due time) and duplicates, also counted from the ``deliveries`` ledger.
  Baseline: the same reminders on 1 replica on PostgreSQL (so the ratio is the replicas').

Nobody is held back by working hours: every person gets saved working hours ``00:00-23:59``
Monday to Sunday in a fixed-offset zone where it is about noon when the run starts (the one
minute outside the hours is eleven hours away), and a Slack time zone looked up "in the future",
so no ``users.info`` call either.

With no ``--postgres URL``, a throwaway cluster is started for the run (``.ci/postgres``) and
stopped at the end; each configuration gets its own new database on it (dropped afterwards).

    .venv/bin/python -m bench.scaleout [--quick] [--postgres URL]
    .venv/bin/python -m bench --only scale-out [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bench import moves
from bench.ack import ROOT, SECRET, answered_in_ack, command_body, free_port, load, seed, settle_client, signed_headers
from bench.load import Replies, Spread, q
from handlers.local.fake_slack import FakeSlack

CLIENTS = 50
USERS = 1000
_LOGS = itertools.count(1)


# ---------------------------------------------------------------------- PostgreSQL
@asynccontextmanager
async def postgres(url: str | None) -> AsyncIterator[tuple[str, str | None]]:
    """(server URL, cluster directory or None): ``url`` as given, or a throwaway cluster started
    with ``.ci/postgres`` for the block and stopped after it."""
    if url:
        yield url, None
        return
    tmp = tempfile.mkdtemp(prefix="hirebot-bench-pg.")
    script = str(ROOT / ".ci" / "postgres")
    try:
        r = await asyncio.to_thread(subprocess.run, ["bash", script, "start", tmp], capture_output=True, text=True,
                                    cwd=ROOT)
        if r.returncode != 0:
            raise RuntimeError(f".ci/postgres start failed: {(r.stderr.strip().splitlines() or ['?'])[-1]}")
        yield r.stdout.strip().splitlines()[-1], tmp
    finally:
        await asyncio.to_thread(subprocess.run, ["bash", script, "stop", tmp], capture_output=True, cwd=ROOT)
        shutil.rmtree(tmp, ignore_errors=True)


class Databases:
    """New empty databases on one PostgreSQL server, dropped by :meth:`drop_all`."""

    def __init__(self, server: str) -> None:
        from sqlalchemy.engine import make_url

        self.server = make_url(server)
        self.made: list[str] = []

    def _dsn(self) -> str:
        return self.server.set(drivername="postgresql").render_as_string(hide_password=False)

    async def new(self, label: str, template: str | None = None) -> str:
        """A new database's URL: empty, or a copy of ``template`` (the URL of one made here, with
        nobody connected to it: PostgreSQL copies its files, so a big seed is made once)."""
        import asyncpg
        from sqlalchemy.engine import make_url

        name = f"bench_{label}_{os.getpid()}_{len(self.made)}"
        copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
        conn = await asyncpg.connect(self._dsn())
        try:
            await conn.execute(f'CREATE DATABASE "{name}"{copy}')
        finally:
            await conn.close()
        self.made.append(name)
        return self.server.set(database=name).render_as_string(hide_password=False)

    async def drop(self, url: str) -> None:
        """Drop one database made here now (a big one, once measured), not at the end."""
        import asyncpg
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        if name not in self.made:
            return
        conn = await asyncpg.connect(self._dsn())
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
        self.made.remove(name)

    async def drop_all(self) -> None:
        import asyncpg

        conn = await asyncpg.connect(self._dsn())
        try:
            for name in self.made:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
        self.made.clear()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def cluster_cpu(cluster: str | None) -> float:
    """CPU so far of the PostgreSQL server we started (the postmaster and its children), 0 if not ours.
    Children that exited meanwhile are not counted: a floor."""
    if cluster is None:
        return 0.0
    try:
        master = int((Path(cluster) / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    total = cpu_seconds(master)
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == master:
                total += cpu_seconds(int(proc.name))
    return total


# ---------------------------------------------------------------------- replicas
def replica_env(slack: FakeSlack, target: str, port: int, n: int, lease: int = 60) -> dict[str, str]:
    env = {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.api_url,
           "HIREBOT_PORT": str(port), "HIREBOT_LOG_FORMAT": "json", "HIREBOT_REPLICA_ID": f"bench-{n}",
           "HIREBOT_LEASE_SECONDS": str(lease), "HIREBOT_DATABASE_URL": "", "HIREBOT_DB": ""}
    env["HIREBOT_DATABASE_URL" if "://" in target else "HIREBOT_DB"] = target
    return env


@dataclass
class Fleet:
    ports: list[int]
    procs: list[asyncio.subprocess.Process]
    logs: list[Path]
    started: float  # time.monotonic() when the first was started
    ready: float = 0.0  # … when the last one's /readyz said 200

    def cpu(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.procs)


@asynccontextmanager
async def fleet(slack: FakeSlack, target: str, n: int, logdir: Path) -> AsyncIterator[Fleet]:
    """``n`` ``hirebot run`` processes on ``target``, each on its own port, ready (``/readyz`` 200)."""
    procs: list[asyncio.subprocess.Process] = []
    ports: list[int] = []
    logs: list[Path] = []
    started = time.monotonic()
    try:
        for i in range(n):
            port = free_port()
            log = logdir / f"replica-{next(_LOGS)}.log"
            with log.open("wb") as out:
                procs.append(await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "handlers.cli", "run", cwd=ROOT,
                    env={**os.environ, **replica_env(slack, target, port, i + 1)},
                    stdout=asyncio.subprocess.DEVNULL, stderr=out))
            ports.append(port)
            logs.append(log)
        f = Fleet(ports, procs, logs, started)
        async with aiohttp.ClientSession() as http:
            for port, proc, log in zip(ports, procs, logs, strict=True):
                deadline = time.monotonic() + 120
                while True:
                    try:
                        async with http.get(f"http://127.0.0.1:{port}/readyz") as r:
                            if r.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    if proc.returncode is not None or time.monotonic() > deadline:
                        tail = (log.read_text(errors="replace").strip().splitlines() or ["?"])[-1]
                        raise RuntimeError(f"replica did not get ready: {tail[:200]}")
                    await asyncio.sleep(0.1)
        f.ready = time.monotonic()
        yield f
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.terminate()
        for proc in procs:  # a replica drains what is due before it exits: not for long
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()


# ---------------------------------------------------------------------- commands
@dataclass
class Window:
    """One closed-loop run of ``seconds`` against a fleet."""

    seconds: float  # first request → last ack
    sent: int
    acked: int  # answered 200
    statuses: dict[str, int]  # the others: status code or the client's error
    ack_lat: list[float]
    reply_lat: list[float]  # request → reply (the ack itself when it carried the reply)
    missing: int  # acked, reply awaited, never arrived
    started: float
    last_reply: float
    cpu: dict[str, float] = field(default_factory=dict)  # "generator", "replicas", "postgresql": CPU seconds

    @property
    def acks(self) -> float:
        return self.acked / self.seconds

    @property
    def replies(self) -> float:
        return len(self.reply_lat) / (self.last_reply - self.started) if self.reply_lat else 0.0


async def closed_loop(ports: list[int], slack: FakeSlack, seconds: float, texts: Callable[[], str],
                      replies: Replies) -> Window:
    """CLIENTS clients, each sending its next command as soon as the last one is acked, to the
    replicas in turn, until ``seconds`` have passed; then the replies are awaited (≤ 60 s)."""
    verifier = SignatureVerifier(SECRET)
    urls = [f"http://127.0.0.1:{p}/slack/events" for p in ports]
    turn = itertools.count()
    sent: dict[str, float] = {}
    acked: set[str] = set()
    in_ack: dict[str, float] = {}
    ack_lat: list[float] = []
    statuses: collections.Counter[str] = collections.Counter()
    settle_client()
    started = time.monotonic()
    deadline = started + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLIENTS * 2)) as http:
        async def client() -> None:
            while time.monotonic() < deadline:
                body, rurl = command_body(slack, texts())
                url = urls[next(turn) % len(urls)]
                t0 = time.monotonic()
                sent[rurl] = t0
                try:
                    async with http.post(url, data=body, headers=signed_headers(verifier, body)) as r:
                        data = await r.read()
                        t1 = time.monotonic()
                    statuses[str(r.status)] += 1
                    if r.status == 200:
                        acked.add(rurl)
                        ack_lat.append(t1 - t0)
                        if answered_in_ack(r.status, data):
                            in_ack[rurl] = t1
                except aiohttp.ClientError as exc:
                    statuses[type(exc).__name__] += 1
                    await asyncio.sleep(0.05)

        await asyncio.gather(*(client() for _ in range(CLIENTS)))
    elapsed = time.monotonic() - started
    awaited = [u for u in acked if u not in in_ack]
    await replies.wait(awaited, 60)
    at = {**{u: replies.at[u] for u in awaited if u in replies.at}, **in_ack}
    reply_lat = [at[u] - sent[u] for u in acked if u in at]
    ok = statuses.pop("200", 0)
    return Window(elapsed, len(sent), ok, dict(statuses), ack_lat, reply_lat, len(acked) - len(at), started,
                  max(at.values(), default=started))


@dataclass
class Setup:
    label: str
    backend: str  # "sqlite" | "postgresql"
    replicas: int
    windows: list[Window] = field(default_factory=list)
    movers: int = 0
    moves_sent: int = 0

    def spread(self, fn: Callable[[Window], float]) -> Spread:
        return Spread([fn(w) for w in self.windows])


def mix(setup: Setup) -> Callable[[], str]:
    """``help``, ``move``, ``pipeline`` in turn; each move takes the next unmoved candidate of OP-2."""
    movers = itertools.count(201)
    kinds = itertools.cycle(("help", "move", "pipeline"))

    def texts() -> str:
        kind = next(kinds)
        if kind == "move":
            setup.moves_sent += 1
            return f"move APP-{next(movers)} screen"
        return "pipeline OP-1" if kind == "pipeline" else "help"

    return texts


async def commands(pg: Databases, cluster: str | None, seconds: float, rounds: int, tmp: Path) -> list[Setup]:
    """The four configurations in turn, each on a new database seeded as bench/ack.py seeds."""
    configs = [Setup("SQLite, 1 process", "sqlite", 1)] + [
        Setup(f"PostgreSQL, {n} replica{'s' if n > 1 else ''}", "postgresql", n) for n in (1, 2, 3)]
    slack = await FakeSlack(bot_user="UBOT").start()
    try:
        for c in configs:
            # At most ~1,500 commands/s seen on 2 cores: a third are moves, one candidate each.
            c.movers = int(500 * seconds * rounds) + 500
            target = str(tmp / f"cmd-{c.replicas}.db") if c.backend == "sqlite" else await pg.new("cmd")
            await seed(target, c.movers)
            async with fleet(slack, target, c.replicas, tmp) as f:
                for port in f.ports:  # warm-up: auth.test, connections, templates
                    await load("warm-up", port, slack, ["help"] * 50 + ["pipeline OP-1"] * 10, True)
                replies = Replies(slack)
                texts = mix(c)
                for _ in range(rounds):
                    cpu0 = (time.process_time(), f.cpu(), cluster_cpu(cluster if c.backend == "postgresql" else None))
                    w = await closed_loop(f.ports, slack, seconds, texts, replies)
                    cpu1 = (time.process_time(), f.cpu(), cluster_cpu(cluster if c.backend == "postgresql" else None))
                    w.cpu = {k: b - a for k, a, b in zip(("generator", "replicas", "postgresql"), cpu0, cpu1,
                                                          strict=True)}
                    c.windows.append(w)
                    await asyncio.sleep(1)
    finally:
        await slack.stop()
    return configs


# ---------------------------------------------------------------------- reminders
def noon_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about noon at ``now`` (Etc/GMT-k is UTC+k)."""
    k = 12 - now.hour
    if k > 14:
        k -= 24
    return "UTC" if k == 0 else f"Etc/GMT{'-' if k > 0 else '+'}{abs(k)}"


async def seed_reminders(target: str, n: int, lead: float, window: float) -> tuple[list[datetime], str]:
    """One open opening, USERS people with all-day working hours, ``n`` reminders ("bench-<k>",
    person k % USERS) due evenly over ``window`` s from ``lead`` s after the rows are built.
    Returns each reminder's due time (as stored: whole seconds) and the zone given to everyone."""
    from bot.clock import iso
    from bot.storage import Store

    store = await Store(target).open()
    try:
        now = datetime.now(UTC)
        tz = noon_zone(now)
        async with store.transaction() as tx:
            oid = await tx.insert_opening("Backend Engineer", {}, "UMGR", "CJOBS", False, now)
            await tx._many("INSERT INTO user_prefs (user_id, notify, work_start, work_end, work_days, tz, "
                           "tz_checked_at) VALUES (?, 'on', '00:00', '23:59', 'mon-sun', ?, "
                           "'2999-01-01T00:00:00+00:00')", [(f"U{u:04d}", tz) for u in range(USERS)])
        first = datetime.now(UTC) + timedelta(seconds=lead)
        due = [iso(first + timedelta(seconds=window * k / n)) for k in range(n)]
        created = iso(now)
        async with store.transaction() as tx:
            await tx._many("INSERT INTO reminders (user_id, opening_id, application_id, stage, text, asked_for, "
                           "due_at, created_at) VALUES (?, ?, NULL, NULL, ?, ?, ?, ?)",
                           [(f"U{k % USERS:04d}", oid, f"bench-{k}", d, d, created) for k, d in enumerate(due)])
    finally:
        await store.close()
    return [datetime.fromisoformat(d) for d in due], tz


@dataclass
class Delivery:
    replicas: int
    reminders: int
    late: list[float]  # per reminder seen in a DM, first arrival − due, s
    dms: int
    carried: int  # reminders the DMs say they carry ("N reminders"), duplicates included
    seen_twice: int  # reminders whose number appeared in more than one DM
    unseen: int  # reminders never seen in a DM (also those beyond a DM's 20 listed)
    statuses: dict[str, int]  # reminders by status in the database afterwards
    ledger: int  # deliveries rows for reminders
    span: float  # first due → last DM, s
    ready_before_due: float  # s between the last replica ready and the first due (negative: late)

    @property
    def per_second(self) -> float:
        return self.carried / self.span if self.span > 0 else 0.0

    @property
    def duplicates(self) -> int:
        return max(self.seen_twice, self.carried - (self.reminders - self.unseen), self.ledger
                   - self.statuses.get("sent", 0))


_TAG = re.compile(r"bench-(\d+)")
_COUNT = re.compile(r"^(\d+) reminders")


async def reminders(target: str, n: int, replicas: int, window: float, lead: float, tmp: Path,
                    give_up: float) -> Delivery:
    from bot.storage import Store

    due, _ = await seed_reminders(target, n, lead, window)
    wall = time.time() - time.monotonic()  # FakeSlack's clock (monotonic) → UTC seconds
    slack = await FakeSlack(bot_user="UBOT").start()
    first: dict[int, float] = {}
    times: collections.Counter[int] = collections.Counter()
    dms = carried = 0
    last_dm = 0.0
    try:
        async with fleet(slack, target, replicas, tmp) as f:
            ready_before = due[0].timestamp() - (f.ready + wall)
            seen = 0
            quiet_since = time.monotonic()
            hard_stop = due[-1].timestamp() - wall + give_up
            while carried < n and time.monotonic() < hard_stop and time.monotonic() - quiet_since < 30:
                calls = slack.calls
                for c in calls[seen:]:
                    if c.method != "chat.postMessage" or not str(c.args.get("channel", "")).startswith("D"):
                        continue
                    dms += 1
                    last_dm = max(last_dm, c.at)
                    m = _COUNT.match(str(c.args.get("text") or ""))
                    carried += int(m.group(1)) if m else 1
                    for k in {int(x) for x in _TAG.findall(json.dumps(c.args.get("blocks")))}:
                        times[k] += 1
                        first.setdefault(k, c.at + wall - due[k].timestamp())
                    quiet_since = time.monotonic()
                seen = len(calls)
                slack.changed.clear()
                try:
                    await asyncio.wait_for(slack.changed.wait(), 0.5)
                except TimeoutError:
                    pass
                if time.monotonic() < due[0].timestamp() - wall:
                    quiet_since = time.monotonic()  # nothing is due yet
            await asyncio.sleep(2)  # a late duplicate would land now
            for c in slack.calls[seen:]:
                if c.method == "chat.postMessage" and str(c.args.get("channel", "")).startswith("D"):
                    dms += 1
                    m = _COUNT.match(str(c.args.get("text") or ""))
                    carried += int(m.group(1)) if m else 1
                    for k in {int(x) for x in _TAG.findall(json.dumps(c.args.get("blocks")))}:
                        times[k] += 1
    finally:
        await slack.stop()
    store = await Store(target).open()
    try:
        async with store.reading() as tx:
            statuses = {r["status"]: int(r["n"]) for r in await tx._all(
                "SELECT status, COUNT(*) AS n FROM reminders GROUP BY status")}
            ledger = await tx._one("SELECT COUNT(*) AS n FROM deliveries WHERE key LIKE 'reminder:%'")
    finally:
        await store.close()
    return Delivery(replicas, n, sorted(first.values()), dms, carried, sum(1 for v in times.values() if v > 1),
                    n - len(first), statuses, int(ledger["n"]) if ledger else 0,
                    last_dm + wall - due[0].timestamp(), ready_before)


# ---------------------------------------------------------------------- the table
Row = tuple[str, str, str, str, str, str]


def ratio(a: float, b: float, digits: int = 2) -> str:
    return f"{a / b:.{digits}f}" if b else ""


def command_rows(configs: list[Setup], seconds: float, rounds: int) -> list[Row]:
    base, pg1 = configs[0], configs[1]
    rows: list[Row] = []

    def p99(values: list[float]) -> float:
        return q(values, 0.99) * 1000

    for c in configs:
        acks, reps = c.spread(lambda w: w.acks), c.spread(lambda w: w.replies)
        ack99, rep99 = c.spread(lambda w: p99(w.ack_lat)), c.spread(lambda w: p99(w.reply_lat))
        bad = sum(w.missing for w in c.windows)
        refused = collections.Counter[str]()
        for w in c.windows:
            refused.update(w.statuses)
        note = "".join([f"; {bad} replies missing" if bad else "",
                        f"; not 200: {', '.join(f'{n} × {k}' for k, n in refused.items())}" if refused else "",
                        f"; ran out of candidates ({c.moves_sent:,} moves)" if c.moves_sent > c.movers else ""])
        is_base = c is base
        vs = base if c.replicas == 1 else pg1
        vs_label = "SQLite, 1 process" if c.replicas == 1 else "PostgreSQL, 1 replica"
        label = f"{c.label}: commands acked/s (help/move/pipeline, {CLIENTS} clients, {rounds} × {seconds:.0f} s{note})"
        if is_base:
            rows.append((label, acks.show(), "", "", "", ""))
        else:
            rows.append((label, acks.show(), f"{vs.spread(lambda w: w.acks).show()} ({vs_label})",
                         ratio(acks.median, vs.spread(lambda w: w.acks).median), "", ""))
        label = f"{c.label}: completed replies/s"
        if is_base:
            rows.append((label, reps.show(), "", "", "", ""))
        else:
            vr = vs.spread(lambda w: w.replies)
            rows.append((label, reps.show(), f"{vr.show()} ({vs_label})", ratio(reps.median, vr.median), "", ""))
        label = f"{c.label}: ack p99 / request → reply p99, ms"
        mine = f"{ack99.median:,.0f} / {rep99.show()}"
        if is_base:
            rows.append((label, mine, "", "", "", ""))
        else:
            va, vr99 = vs.spread(lambda w: p99(w.ack_lat)), vs.spread(lambda w: p99(w.reply_lat))
            rows.append((label, mine, f"{va.median:,.0f} / {vr99.show()} ({vs_label})",
                         f"{ratio(rep99.median, vr99.median, 1)} (reply p99)", "", ""))
        gen = Spread([w.cpu["generator"] / w.seconds * 100 for w in c.windows])
        srv = Spread([w.cpu["replicas"] / w.seconds * 100 for w in c.windows])
        pgc = Spread([w.cpu["postgresql"] / w.seconds * 100 for w in c.windows])
        cpu = f"generator + FakeSlack {gen.median:.0f} %, replicas {srv.median:.0f} %" + (
            f", PostgreSQL {pgc.median:.0f} %" if c.backend == "postgresql" and pgc.median > 0 else "")
        bound = "generator-bound" if gen.median >= 85 else ""
        rows.append((f"{c.label}: CPU while loaded, % of one core (2 cores = 200 %)", cpu, "", "", "", bound))
    return rows


def reminder_rows(three: Delivery, one: Delivery) -> list[Row]:
    rows: list[Row] = []

    def lat(d: Delivery) -> str:
        return f"{q(d.late, 0.5):.2f} / {q(d.late, 0.99):.2f} / {max(d.late, default=float('nan')):.2f}"

    def where(d: Delivery) -> str:
        s = ", ".join(f"{n:,} {k}" for k, n in sorted(d.statuses.items()))
        return f"{d.dms:,} DMs; {s}; ledger {d.ledger:,}" + (f"; {d.unseen:,} not seen in a DM" if d.unseen else "")

    size = f"{three.reminders:,} to {USERS:,} people"
    ready = "; replicas ready " + (f"{three.ready_before_due:.1f} s before the first due" if three.ready_before_due >= 0
                                   else f"{-three.ready_before_due:.1f} s AFTER the first due")
    rows.append((f"reminders falling due over the window, 3 replicas on PostgreSQL ({size}{ready}): "
                 "lateness p50 / p99 / max, s", lat(three), f"{lat(one)} (1 replica)",
                 f"{ratio(q(three.late, 0.99), q(one.late, 0.99), 2)} (p99)", "", ""))
    rows.append(("reminders delivered/s (first due → last DM), 3 replicas vs 1", f"{three.per_second:,.0f}",
                 f"{one.per_second:,.0f} (1 replica)", ratio(three.per_second, one.per_second), "", ""))
    rows.append((f"reminders delivered twice, 3 replicas ({where(three)})", f"{three.duplicates}",
                 f"{one.duplicates} (1 replica: {where(one)})", "", "0",
                 "yes" if three.duplicates == 0 and one.duplicates == 0 else "NO"))
    return rows


async def run(quick: bool, url: str | None = None, cluster_dir: str | None = None) -> list[Row]:
    """``url``: a PostgreSQL server (default: a throwaway cluster for this section); ``cluster_dir``:
    that server's cluster directory when it is one we started (its CPU is then reported)."""
    seconds, rounds = (6.0, 2) if quick else (15.0, 3)
    move_n, move_rounds = (200, 3) if quick else (1000, 3)
    n_rem, window = (10_000, 15.0) if quick else (100_000, 60.0)
    rows: list[Row] = []
    async with postgres(url) as (server, own):
        cluster = cluster_dir or own
        pg = Databases(server)
        try:
            with tempfile.TemporaryDirectory() as tmpdir:
                tmp = Path(tmpdir)
                # 1. stage moves through the domain
                lite, pgurl = str(tmp / "moves.db"), await pg.new("moves")
                for target in (lite, pgurl):
                    await seed(target, move_n * move_rounds)
                by: dict[str, Spread] = {"sqlite": Spread(), "postgresql": Spread()}
                for r in range(move_rounds):
                    apps = moves.movers(move_n, r * move_n)
                    order = [("sqlite", lite), ("postgresql", pgurl)]
                    for name, target in order if r % 2 == 0 else order[::-1]:
                        took = await moves.domain(target, apps)
                        by[name].values.append(move_n * len(moves.PATH) / took)
                pgm, sqm = by["postgresql"], by["sqlite"]
                rows.append((f"stage moves/s through `Hiring.move` on PostgreSQL ({move_rounds} × "
                             f"{move_n * len(moves.PATH):,}, one after another)", pgm.show(),
                             f"{sqm.show()} (SQLite)", ratio(pgm.median, sqm.median), "", ""))
                # 2. commands, 1–3 replicas
                configs = await commands(pg, cluster, seconds, rounds, tmp)
                rows.extend(command_rows(configs, seconds, rounds))
                # 3. reminders falling due, 1 then 3 replicas (each on its own new database)
                lead, give_up = (10.0, 300.0) if quick else (15.0, 1800.0)
                one = await reminders(await pg.new("rem1"), n_rem, 1, window, lead, tmp, give_up)
                three = await reminders(await pg.new("rem3"), n_rem, 3, window, lead, tmp, give_up)
                rows.extend(reminder_rows(three, one))
        finally:
            await pg.drop_all()
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.scaleout", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--postgres", default=None, help="a PostgreSQL server URL (default: a throwaway cluster)")
    a = ap.parse_args()
    rows = asyncio.run(run(a.quick, a.postgres))
    for r in rows:
        print(" | ".join(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
