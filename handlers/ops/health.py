"""``/healthz`` (liveness: the process answers and the database does) and ``/readyz`` (readiness:
the database answers, the scheduler runs and has caught up on what fell due while hirebot was down,
the commands a crash interrupted are finished, and Slack accepted the bot token).

``hirebot run`` listens before it catches up (handlers/transports.py ``serve``), so for a while
after a start it answers commands while ``/readyz`` is still 503 with ``catch_up: running`` or
``inbox: resuming``: alive and serving, but not yet all it should be (a reminder due during the
downtime may not have gone out yet). A rolling deploy or a post-upgrade check waits for 200."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.scheduler import Scheduler
    from bot.storage import Store

log = logging.getLogger("hirebot.ops")
#: After a failed token check, ask Slack again at most this often (a readiness probe polls).
RECHECK_SECONDS = 30.0


class Health:
    def __init__(self, store: Store, scheduler: Scheduler, client: Any) -> None:
        self.store = store
        self.scheduler = scheduler
        self.client = client
        self.token: str = "unchecked"  # "ok", "unchecked", or Slack's error (invalid_auth...)
        #: Commands acknowledged before a crash are being finished (set by the transport).
        self.resuming = False
        self._checked_at = 0.0
        self._lock = asyncio.Lock()

    async def check_token(self) -> bool:
        """``auth.test`` once; the answer is kept (a valid token stays valid until Slack says otherwise)."""
        async with self._lock:
            if self.token == "ok":
                return True
            self._checked_at = time.monotonic()
            try:
                resp = await asyncio.wait_for(self.client.auth_test(), 10)
                self.token = "ok" if resp.get("ok") else str(resp.get("error"))
            except Exception as exc:
                response = getattr(exc, "response", None)
                self.token = str(response.get("error")) if response is not None else type(exc).__name__
            if self.token == "ok":
                log.info("bot token checked with Slack (auth.test)")
            else:
                log.error("Slack did not accept the bot token (auth.test: %s); /readyz stays 503", self.token)
            return self.token == "ok"

    async def live(self) -> dict[str, Any]:
        ok = await self.store.ping()
        return {"ok": ok, "db": "reachable" if ok else "unreachable"}

    async def ready(self) -> dict[str, Any]:
        if self.token != "ok" and time.monotonic() - self._checked_at >= RECHECK_SECONDS:
            await self.check_token()
        db = await self.store.ping()
        scheduler = bool(self.scheduler.aps.running)
        caught_up = self.scheduler.caught_up
        checks = {"db": "reachable" if db else "unreachable",
                  "scheduler": "running" if scheduler else "stopped",
                  "catch_up": "done" if caught_up else "running",
                  "inbox": "resuming" if self.resuming else "resumed",
                  "token": self.token}
        return {"ok": db and scheduler and caught_up and not self.resuming and self.token == "ok", **checks}
