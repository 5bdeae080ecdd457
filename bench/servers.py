"""Baseline servers for the benchmarks, each in its own process like ``hirebot run``:

- ``bare``: an aiohttp handler that answers 200 to any POST (the floor: HTTP alone);
- ``bolt``: a minimal Bolt ``AsyncApp`` (signature check, auth, one ``/hiring`` listener that only
  acks), served the same way as hirebot's transport;
- ``work``: the *work floor*: a minimal Bolt ``AsyncApp`` doing the work hirebot does for ``help``,
  ``move``, ``pipeline`` and ``post``, written the obvious way: raw aiosqlite on hirebot's own
  schema (one connection, one lock around each write transaction), one shared aiohttp session for
  every ``response_url`` post and Web API call, parsing in a pool of worker processes.

The work floor does, per command, what hirebot does:

- every command: the inbox row written before the ack, "answered" written after the reply;
- ``move APP-n stage``: read the application, its opening, the hiring team and the stage counts;
  check the role and the transition; in one transaction update the application, insert the stage
  move, drop its pending reminders, mark the inbox row applied; update the opening's card
  (``chat.update``); reply;
- ``pipeline OP-n``: read the opening, the team and the opening's applications; reply with the
  first 8 per stage, each with its moves in a menu (as hirebot's pipeline);
- ``post <text>``: parse in a worker process (the same parser and pool size as hirebot's
  ``ParserPool``), insert the draft, reply with a preview;
- ``help``: reply with the list of commands.

It does not render templates, keep a scheduler, or bound its work in flight: it is the floor
hirebot's own costs are measured against, not a design to copy.

On PostgreSQL (``DB`` a URL, ``postgresql+asyncpg://…`` as hirebot takes it): the same statements
and replies through raw asyncpg (:class:`PgWork`): one dedicated connection for writes under the
same lock (an asyncpg connection runs one query at a time), ``BEGIN`` … ``COMMIT`` around a move
as on SQLite, ``pipeline``'s reads on connections from a pool, ``RETURNING id`` for new rows.
The schema is hirebot's own, made by opening ``bot.storage.Store`` on the database once.

``python -m bench.servers bare|bolt|work PORT [API_URL [DB]]``  (``DB``: a SQLite file or a URL)
"""

from __future__ import annotations

import asyncio
import gc
import json
import multiprocessing
import os
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.parser_pool import follow_parent

SECRET = "bench-secret"
STAGES = ["applied", "screen", "interview", "offer", "hired", "rejected"]
NEXT = {"applied": {"screen", "rejected"}, "screen": {"interview", "rejected"}, "interview": {"offer", "rejected"},
        "offer": {"hired", "rejected"}}
PER_STAGE = 8
HELP = [("post", "post [pasted posting]"), ("openings", "openings [mine|all|closed]"), ("show", "show OP-12"),
        ("close", "close OP-12 [filled|cancelled]"), ("add", "add \"Full Name\" OP-12"),
        ("move", "move APP-7 <stage> [reason]"), ("pipeline", "pipeline OP-12"), ("history", "history APP-7"),
        ("note", "note APP-7 <text>"), ("remind", "remind <when> <text>"), ("sla", "sla OP-12 <stage> <days>"),
        ("notify", "notify on|off|digest-only"), ("digest", "digest subscribe"), ("help", "help [command]")]


def _parse(text: str) -> dict[str, Any]:
    """In a worker process: hirebot's own parser, the result as plain data."""
    from bot.parsing import parse_posting

    return parse_posting(text).to_dict()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


class Work:
    """The work floor's listener and its storage (see the module docstring)."""

    def __init__(self, db: Any, session: Any, client: Any) -> None:
        self.db = db
        self.session = session
        self.client = client
        self.write = asyncio.Lock()  # one connection: write transactions one at a time
        workers = max(1, min(2, os.cpu_count() or 1))  # as hirebot's ParserPool
        # Its workers exit with it, as hirebot's do: the bench stops servers with SIGTERM, which
        # left two idle interpreters behind per run.
        self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=follow_parent)

    async def warm(self) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(self.pool, _parse, "Nurse\nBerlin\n") for _ in range(2)))

    async def record(self, body: dict[str, Any]) -> int:
        async with self.write:
            cur = await self.db.execute(
                "INSERT INTO inbox (kind, request_key, trigger_id, response_url, user_id, channel_id, team_id, "
                "text, received_at) VALUES ('command', ?, ?, ?, ?, ?, ?, ?, ?)",
                (f"{body.get('trigger_id')}|{body.get('response_url')}", body.get("trigger_id"),
                 body.get("response_url"), body.get("user_id"), body.get("channel_id"), body.get("team_id"),
                 body.get("text") or "", _now()))
            return int(cur.lastrowid)

    async def reply(self, url: str, inbox_id: int, text: str, blocks: list[dict[str, Any]]) -> None:
        async with self.session.post(url, json={"response_type": "ephemeral", "replace_original": False,
                                                "text": text, "blocks": blocks}) as r:
            await r.read()
        async with self.write:
            await self.db.execute("UPDATE inbox SET answered_at = ?, outcome = 'ok' WHERE id = ?", (_now(), inbox_id))

    async def run(self, body: dict[str, Any], inbox_id: int) -> None:
        words = str(body.get("text") or "").split(None, 1)
        name, rest = (words[0].lower(), words[1] if len(words) > 1 else "") if words else ("help", "")
        user, url = str(body.get("user_id")), str(body.get("response_url"))
        if name == "move":
            text, blocks = await self.move(user, rest, inbox_id)
        elif name == "pipeline":
            text, blocks = await self.pipeline(user, rest)
        elif name == "post":
            text, blocks = await self.post(user, str(body.get("channel_id")), rest)
        else:
            text = "/hiring help"
            blocks = [_section("*" + n + "* `/hiring " + u + "`") for n, u in HELP]
        await self.reply(url, inbox_id, text, blocks)

    async def move(self, user: str, rest: str, inbox_id: int) -> tuple[str, list[dict[str, Any]]]:
        ref, target = rest.split()[:2]
        aid = int(ref.split("-")[1])
        now = _now()
        async with self.write:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                ((oid, stage, name),) = await self.db.execute_fetchall(
                    "SELECT opening_id, stage, candidate_name FROM applications WHERE id = ?", (aid,))
                ((title, channel, ts),) = await self.db.execute_fetchall(
                    "SELECT title, channel_id, message_ts FROM openings WHERE id = ?", (oid,))
                roles = {u: r for u, r in await self.db.execute_fetchall(
                    "SELECT user_id, role FROM opening_members WHERE opening_id = ?", (oid,))}
                if roles.get(user) not in ("manager", "recruiter") or target not in NEXT.get(stage, ()):
                    raise ValueError(f"cannot move {ref} from {stage} to {target}")
                await self.db.execute("UPDATE applications SET stage = ?, stage_since = ? WHERE id = ? AND stage = ?",
                                      (target, now, aid, stage))
                await self.db.execute("INSERT INTO stage_moves (application_id, from_stage, to_stage, actor, at) "
                                      "VALUES (?, ?, ?, ?, ?)", (aid, stage, target, user, now))
                await self.db.execute("UPDATE reminders SET status = 'dropped', done_at = ? WHERE status = 'pending' "
                                      "AND application_id = ?", (now, aid))
                await self.db.execute("UPDATE inbox SET applied_at = ? WHERE id = ? AND applied_at IS NULL",
                                      (now, inbox_id))
                counts = dict(await self.db.execute_fetchall(
                    "SELECT stage, COUNT(*) FROM applications WHERE opening_id = ? AND forgotten_at IS NULL "
                    "GROUP BY stage", (oid,)))
                await self.db.execute("COMMIT")
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
        return await self.moved(oid, title, channel, ts, counts, f"Moved {ref} ({name}) from {stage} to {target}.")

    async def moved(self, oid: int, title: str, channel: str, ts: str, counts: dict[str, int],
                    text: str) -> tuple[str, list[dict[str, Any]]]:
        """After a move: update the opening's card; the reply."""
        card = [{"type": "header", "text": {"type": "plain_text", "text": f"OP-{oid} {title}"}},
                _section(" · ".join(f"{s}: {counts[s]}" for s in STAGES if counts.get(s)))]
        await self.client.chat_update(channel=channel, ts=ts, text=title, blocks=card)
        return text, [_section(text)]

    async def pipeline(self, user: str, rest: str) -> tuple[str, list[dict[str, Any]]]:
        oid = int(rest.split()[0].split("-")[1])
        ((title,),) = await self.db.execute_fetchall("SELECT title FROM openings WHERE id = ?", (oid,))
        roles = {u: r for u, r in await self.db.execute_fetchall(
            "SELECT user_id, role FROM opening_members WHERE opening_id = ?", (oid,))}
        if user not in roles:
            raise ValueError("not on the hiring team")
        return pipeline_reply(oid, title, await self.db.execute_fetchall(
            "SELECT id, candidate_name, stage, stage_since FROM applications WHERE opening_id = ? "
            "AND forgotten_at IS NULL ORDER BY stage_since, id", (oid,)))

    async def post(self, user: str, channel: str, text: str) -> tuple[str, list[dict[str, Any]]]:
        parsed = await asyncio.get_running_loop().run_in_executor(self.pool, _parse, text)
        async with self.write:
            cur = await self.db.execute(
                "INSERT INTO drafts (user_id, channel_id, data, created_at) VALUES (?, ?, ?, ?)",
                (user, channel, json.dumps(parsed), _now()))
        return post_reply(parsed, cur.lastrowid)


def pipeline_reply(oid: int, title: str, rows: Iterable[Sequence[Any]]) -> tuple[str, list[dict[str, Any]]]:
    """The pipeline's reply from the opening's applications (id, name, stage, since), as hirebot's:
    the first 8 per stage, each with its moves in a menu."""
    by_stage: dict[str, list[tuple[int, str, str]]] = {}
    for aid, name, stage, since in rows:
        by_stage.setdefault(stage, []).append((aid, name, since))
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"OP-{oid} pipeline · {title}"}}]
    for stage in STAGES:
        apps = by_stage.get(stage, [])
        if apps:
            blocks.append(_section(f"*{stage.capitalize()}* ({len(apps)})"))
            for a, n, s in apps[:PER_STAGE]:  # with its moves, as hirebot's (an overflow menu)
                blocks.append({**_section(f"`APP-{a}` {n} · since {s[:10]}"), "accessory": {
                    "type": "overflow", "action_id": "pipeline_move", "options": [
                        {"text": {"type": "plain_text", "text": f"Move to {t}"}, "value": f"{a}:{stage}:{t}"}
                        for t in sorted(NEXT.get(stage, ()))]}})
            if len(apps) > PER_STAGE:
                blocks.append({"type": "context", "elements": [
                    {"type": "mrkdwn", "text": f"…and {len(apps) - PER_STAGE} more in {stage}"}]})
    return f"OP-{oid} pipeline", blocks


def post_reply(parsed: dict[str, Any], draft: Any) -> tuple[str, list[dict[str, Any]]]:
    """The preview ``post`` replies with, its buttons carrying draft ``draft``."""
    title = str(parsed.get("title") or "preview")
    fields = [f"*{k}*: {parsed.get(k)}" for k in ("company", "locations", "workplace", "employment_type")]
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": title[:150]}}, _section("\n".join(fields)),
              {"type": "actions", "elements": [
                  {"type": "button", "action_id": a, "value": str(draft), "text": {"type": "plain_text", "text": a}}
                  for a in ("post", "edit", "cancel")]}]
    return title, blocks


class PgWork(Work):
    """The work floor on PostgreSQL: the same statements and replies through raw asyncpg. An
    asyncpg connection runs one query at a time, so writes go through one dedicated connection
    under the lock (as the SQLite floor's one connection), a ``move`` one ``BEGIN`` … ``COMMIT``
    on it; ``pipeline`` reads on a connection from a pool. ``$n`` placeholders, ``RETURNING id``
    for a new row's id."""

    def __init__(self, db: Any, reads: Any, session: Any, client: Any) -> None:
        super().__init__(db, session, client)
        self.reads = reads

    async def record(self, body: dict[str, Any]) -> int:
        async with self.write:
            return int(await self.db.fetchval(
                "INSERT INTO inbox (kind, request_key, trigger_id, response_url, user_id, channel_id, team_id, "
                "text, received_at) VALUES ('command', $1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                f"{body.get('trigger_id')}|{body.get('response_url')}", body.get("trigger_id"),
                body.get("response_url"), body.get("user_id"), body.get("channel_id"), body.get("team_id"),
                body.get("text") or "", _now()))

    async def reply(self, url: str, inbox_id: int, text: str, blocks: list[dict[str, Any]]) -> None:
        async with self.session.post(url, json={"response_type": "ephemeral", "replace_original": False,
                                                "text": text, "blocks": blocks}) as r:
            await r.read()
        async with self.write:
            await self.db.execute("UPDATE inbox SET answered_at = $1, outcome = 'ok' WHERE id = $2", _now(), inbox_id)

    async def move(self, user: str, rest: str, inbox_id: int) -> tuple[str, list[dict[str, Any]]]:
        ref, target = rest.split()[:2]
        aid = int(ref.split("-")[1])
        now = _now()
        async with self.write:
            await self.db.execute("BEGIN")
            try:
                ((oid, stage, name),) = await self.db.fetch(
                    "SELECT opening_id, stage, candidate_name FROM applications WHERE id = $1", aid)
                ((title, channel, ts),) = await self.db.fetch(
                    "SELECT title, channel_id, message_ts FROM openings WHERE id = $1", oid)
                roles = {u: r for u, r in await self.db.fetch(
                    "SELECT user_id, role FROM opening_members WHERE opening_id = $1", oid)}
                if roles.get(user) not in ("manager", "recruiter") or target not in NEXT.get(stage, ()):
                    raise ValueError(f"cannot move {ref} from {stage} to {target}")
                await self.db.execute("UPDATE applications SET stage = $1, stage_since = $2 WHERE id = $3 "
                                      "AND stage = $4", target, now, aid, stage)
                await self.db.execute("INSERT INTO stage_moves (application_id, from_stage, to_stage, actor, at) "
                                      "VALUES ($1, $2, $3, $4, $5)", aid, stage, target, user, now)
                await self.db.execute("UPDATE reminders SET status = 'dropped', done_at = $1 WHERE status = 'pending' "
                                      "AND application_id = $2", now, aid)
                await self.db.execute("UPDATE inbox SET applied_at = $1 WHERE id = $2 AND applied_at IS NULL",
                                      now, inbox_id)
                counts = {s: n for s, n in await self.db.fetch(
                    "SELECT stage, COUNT(*) FROM applications WHERE opening_id = $1 AND forgotten_at IS NULL "
                    "GROUP BY stage", oid)}
                await self.db.execute("COMMIT")
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
        return await self.moved(oid, title, channel, ts, counts, f"Moved {ref} ({name}) from {stage} to {target}.")

    async def pipeline(self, user: str, rest: str) -> tuple[str, list[dict[str, Any]]]:
        oid = int(rest.split()[0].split("-")[1])
        async with self.reads.acquire() as db:
            ((title,),) = await db.fetch("SELECT title FROM openings WHERE id = $1", oid)
            roles = {u: r for u, r in await db.fetch(
                "SELECT user_id, role FROM opening_members WHERE opening_id = $1", oid)}
            if user not in roles:
                raise ValueError("not on the hiring team")
            rows = await db.fetch("SELECT id, candidate_name, stage, stage_since FROM applications "
                                  "WHERE opening_id = $1 AND forgotten_at IS NULL ORDER BY stage_since, id", oid)
        return pipeline_reply(oid, title, rows)

    async def post(self, user: str, channel: str, text: str) -> tuple[str, list[dict[str, Any]]]:
        parsed = await asyncio.get_running_loop().run_in_executor(self.pool, _parse, text)
        async with self.write:
            draft = await self.db.fetchval(
                "INSERT INTO drafts (user_id, channel_id, data, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                user, channel, json.dumps(parsed), _now())
        return post_reply(parsed, draft)


async def sqlite_work(path: str, session: Any, client: Any) -> Work:
    import aiosqlite

    db = await aiosqlite.connect(path, isolation_level=None)
    await db.execute("PRAGMA journal_mode = WAL")
    await db.execute("PRAGMA synchronous = NORMAL")
    await db.execute("PRAGMA busy_timeout = 5000")
    return Work(db, session, client)


async def pg_work(url: str, session: Any, client: Any) -> Work:
    """The floor on the PostgreSQL database at ``url`` (a SQLAlchemy URL, as hirebot takes it)."""
    import asyncpg

    from bench.backend import dsn
    from bot.storage import Store

    await (await Store(url).open()).close()  # hirebot's own schema (opening the store migrates)
    # One connection for writes; reads from a pool as big as hirebot's (8 + 8 overflow).
    db = await asyncpg.connect(dsn(url))
    reads = await asyncpg.create_pool(dsn(url), min_size=2, max_size=16)
    return PgWork(db, reads, session, client)


async def serve(kind: str, port: int, api_url: str, db_path: str = "") -> None:
    if kind == "bare":
        async def handle(request: web.Request) -> web.Response:
            await request.read()
            return web.Response(status=200)
    else:
        import aiohttp
        from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
        from slack_bolt.async_app import AsyncAck, AsyncApp
        from slack_sdk.web.async_client import AsyncWebClient

        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) if kind == "work" else None
        client = AsyncWebClient(token="xoxb-bench", base_url=api_url, session=session)
        app = AsyncApp(client=client, signing_secret=SECRET)

        if kind == "work":  # on SQLite, or on PostgreSQL when DB is a URL
            work = await (pg_work if "://" in db_path else sqlite_work)(db_path, session, client)
            await work.warm()

            @app.command("/hiring")
            async def hiring_work(ack: AsyncAck, body: dict[str, Any]) -> None:
                inbox_id = await work.record(body)
                await ack()
                await work.run(body, inbox_id)
        else:
            @app.command("/hiring")
            async def hiring(ack: AsyncAck) -> None:
                await ack()

        async def handle(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", handle)
    # As hirebot does before serving (handlers.transports.settle_heap): what start-up built is out
    # of the collector's reach, so both sides pay the same for their collections.
    gc.collect()
    gc.freeze()
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], int(sys.argv[2]), *sys.argv[3:5]))
