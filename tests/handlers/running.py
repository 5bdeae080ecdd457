"""A real ``hirebot run`` child process for the operations tests (backup under load, /metrics,
JSON logs): started like tests/handlers/test_run_process.py does, ready once /healthz answers."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from handlers.local.fake_slack import FakeSlack
from tests import databases
from tests.ports import free_port

from .conftest import blocks_text

ROOT = Path(__file__).parents[2]
SECRET = "run-secret"


@dataclass
class Running:
    url: str
    port: int
    proc: asyncio.subprocess.Process
    http: aiohttp.ClientSession
    slack: FakeSlack
    db: Path
    stderr: list[str] = field(default_factory=list)

    async def command(self, text: str, user: str = "UMANAGER", channel: str = "CJOBS") -> int:
        return (await self.ask(text, user, channel))[0]

    async def ask(self, text: str, user: str = "UMANAGER", channel: str = "CJOBS") -> tuple[int, str]:
        """``/hiring <text>``: the HTTP status and the ack's body ("" for an empty ack)."""
        return await self.post_for_body(urlencode({
            "team_id": "T0001", "channel_id": channel, "user_id": user, "command": "/hiring", "text": text,
            "response_url": self.slack.response_url(), "trigger_id": "t"}))

    async def click(self, action_id: str, value: str, user: str = "UMANAGER", channel: str = "CJOBS") -> int:
        payload = {"type": "block_actions", "user": {"id": user}, "channel": {"id": channel}, "team": {"id": "T0001"},
                   "api_app_id": "A0001", "container": {"type": "message", "channel_id": channel,
                                                        "is_ephemeral": True},
                   "trigger_id": "t", "response_url": self.slack.response_url(),
                   "actions": [{"action_id": action_id, "block_id": "b", "type": "button", "value": value,
                                "action_ts": "1"}]}
        return await self.post(urlencode({"payload": json.dumps(payload)}))

    async def say(self, text: str, user: str = "UMANAGER") -> str:
        """A command, and the text of its private reply: the ack's body (help, a typing mistake),
        else what came to the response URL."""
        mark = len(self.slack.calls)
        status, body = await self.ask(text, user=user)
        assert status == 200, body
        if body.startswith("{"):
            return blocks_text(json.loads(body))
        reply = await self.slack.wait_for("response_url", after=mark, timeout=15)
        return blocks_text(reply.args)

    async def post_opening(self, posting: str) -> int:
        """``/hiring post`` and the preview's *Post to channel* button; the new opening's number."""
        mark = len(self.slack.calls)
        assert await self.command("post " + posting) == 200
        preview = await self.slack.wait_for("response_url", after=mark, timeout=15)
        button = next(e for b in preview.args["blocks"] if b["type"] == "actions" for e in b["elements"]
                      if e["action_id"] == "draft_post")
        mark = len(self.slack.calls)
        assert await self.click("draft_post", button["value"]) == 200
        done = await self.slack.wait_for("response_url", lambda c: "Posted" in blocks_text(c.args), after=mark,
                                         timeout=15)
        found = re.search(r"OP-(\d+)", blocks_text(done.args))
        assert found, blocks_text(done.args)
        return int(found.group(1))

    async def post(self, body: str) -> int:
        return (await self.post_for_body(body))[0]

    async def ready(self, within: float = 30) -> dict[str, Any]:
        """Wait until /readyz says 200 (hirebot run catches up after it starts listening); its body."""
        deadline = time.monotonic() + within
        while True:
            async with self.http.get(self.url + "/readyz") as r:
                body: dict[str, Any] = await r.json()
                if r.status == 200:
                    return body
            assert time.monotonic() < deadline, f"not ready after {within}s: {body}\n" + "\n".join(self.stderr)
            await asyncio.sleep(0.1)

    async def post_for_body(self, body: str) -> tuple[int, str]:
        ts = str(int(time.time()))
        sig = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
        async with self.http.post(self.url + "/slack/events", data=body, headers={
                "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig,
                "Content-Type": "application/x-www-form-urlencoded"}) as r:
            return r.status, await r.text()


def hirebot_env(db: Path, slack: FakeSlack, port: int, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HIREBOT_"))}
    return {**base, "SLACK_BOT_TOKEN": "xoxb-run", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.api_url,
            "HIREBOT_DB": str(db), "HIREBOT_PORT": str(port), "HIREBOT_ADMINS": "UADMIN", **extra}


@asynccontextmanager
async def hirebot_run(slack: FakeSlack, db: Path, *args: str, start_within: float = 30,
                      **env: str) -> AsyncIterator[Running]:
    """Start ``hirebot run`` (stderr collected line by line); stop it with SIGTERM on exit."""
    port = free_port()
    env = {**await databases.env_for(db), **env}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "handlers.cli", "run", *args,
                                                env=hirebot_env(db, slack, port, **env), cwd=ROOT,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    lines: list[str] = []

    async def drain() -> None:
        assert proc.stderr is not None
        async for raw in proc.stderr:
            lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    reader = asyncio.create_task(drain())
    try:
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + start_within
            while True:
                try:
                    async with http.get(url + "/healthz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                assert proc.returncode is None, "hirebot run exited:\n" + "\n".join(lines)
                assert time.monotonic() < deadline, "hirebot run did not start:\n" + "\n".join(lines)
                await asyncio.sleep(0.1)
            yield Running(url, port, proc, http, slack, db, lines)
    finally:
        if proc.returncode is None:
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except TimeoutError:
            proc.kill()
            await proc.wait()
        await reader


async def stop(proc: asyncio.subprocess.Process) -> int:
    """SIGTERM, and the exit status once the process has shut down."""
    proc.terminate()
    return await asyncio.wait_for(proc.wait(), 20)
