"""``hirebot run`` as deployed: a real process serving HTTP, answering /healthz and signed commands."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from handlers.local.fake_slack import FakeSlack
from tests.ports import free_port

from .conftest import blocks_text


async def test_http_mode_process(slack: FakeSlack, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-run", "SLACK_SIGNING_SECRET": "run-secret",
           "SLACK_API_URL": slack.api_url, "HIREBOT_DB": str(tmp_path / "run.db"), "HIREBOT_PORT": str(port)}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "handlers.cli", "run", env=env,
                                                cwd=Path(__file__).parents[2],
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 20
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                        assert r.status == 200
                        break
                except aiohttp.ClientConnectionError:
                    assert proc.returncode is None and time.monotonic() < deadline, "server did not start"
                    await asyncio.sleep(0.1)
            body = urlencode({"team_id": "T0001", "channel_id": "CJOBS", "user_id": "U1", "command": "/hiring",
                              "text": "help add", "response_url": slack.response_url(), "trigger_id": "t"})
            ts = str(int(time.time()))
            sig = SignatureVerifier("run-secret").generate_signature(timestamp=ts, body=body)
            async with http.post(f"http://127.0.0.1:{port}/slack/events", data=body, headers={
                    "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig,
                    "Content-Type": "application/x-www-form-urlencoded"}) as r:
                assert r.status == 200
                reply = await r.json()  # help is answered in the ack's body
            assert "Full Name" in blocks_text(reply) and reply["response_type"] == "ephemeral"
            async with http.post(f"http://127.0.0.1:{port}/slack/events", data=body, headers={
                    "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=forged",
                    "Content-Type": "application/x-www-form-urlencoded"}) as r:
                assert r.status == 401
    finally:
        proc.terminate()
        await proc.wait()
