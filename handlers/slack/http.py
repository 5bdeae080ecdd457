"""One HTTP connection pool for everything hirebot sends to Slack.

slack_sdk's clients open a new ``aiohttp.ClientSession`` (a new TCP and TLS connection) for every
call unless given one, and bolt's ``respond()`` builds a new webhook client each time. Under a
burst that is a handshake per reply. :func:`shared_session` is the event loop's one session
(kept-alive connections, reused); :class:`SharedRespond` is bolt's ``respond()`` posting through
it. The session is closed when the loop shuts down (``asyncio.run`` closes async generators last).
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import AsyncIterator, Sequence
from typing import Any

import aiohttp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.webhook.webhook_response import WebhookResponse

#: Connections kept open to Slack at once (Web API and response URLs together).
POOL = 64

#: The name of the task that keeps the closer parked: it never finishes before the loop does,
#: so whoever waits for "all work done" must leave it out.
PARKED = "hirebot-shared-session-closer"

#: Per loop: its session, the generator that closes it, and the task that started that generator.
_SESSIONS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, tuple[aiohttp.ClientSession, AsyncIterator[None], asyncio.Task[None]]] = \
    weakref.WeakKeyDictionary()


async def _closing(session: aiohttp.ClientSession) -> AsyncIterator[None]:
    """Parked at its first ``yield`` until the loop shuts its async generators down."""
    try:
        yield
    finally:
        await session.close()


async def _park(closer: AsyncIterator[None]) -> None:
    await closer.__anext__()


def shared_session() -> aiohttp.ClientSession | None:
    """The running loop's session (made on first use), or None outside a running loop."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    found = _SESSIONS.get(loop)
    if found is not None and not found[0].closed:
        return found[0]
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=POOL, enable_cleanup_closed=True))
    closer = _closing(session)
    # Started once so the loop tracks it: asyncio.run (and pytest's loops) close it at shutdown.
    _SESSIONS[loop] = (session, closer, loop.create_task(_park(closer), name=PARKED))
    return session


async def close_shared_session() -> None:
    """Close the running loop's session now (a clean stop, or a test that restarts the app)."""
    found = _SESSIONS.pop(asyncio.get_running_loop(), None)
    if found is not None:
        session, _, parked = found
        parked.cancel()
        await session.close()


class SharedRespond(AsyncRespond):
    """bolt's ``respond()`` (same arguments), posting through :func:`shared_session`."""

    def __init__(self, *, response_url: str | None) -> None:
        super().__init__(response_url=response_url)

    async def __call__(
        self,
        text: str | dict[str, Any] = "",
        blocks: Sequence[Any] | None = None,
        attachments: Sequence[Any] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WebhookResponse:
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        if isinstance(text, dict):
            message = _build_message(**text)
        else:
            message = _build_message(
                text=text, blocks=blocks, attachments=attachments, response_type=response_type,
                replace_original=replace_original, delete_original=delete_original, unfurl_links=unfurl_links,
                unfurl_media=unfurl_media, thread_ts=thread_ts, metadata=metadata)
        return await post_message(self.response_url, message)


#: Connection failures a post to a response URL is tried again after (once, at once): a kept-alive
#: connection that the other end closed meanwhile is the usual one, and a new connection fixes it.
_RETRIED = (aiohttp.ServerConnectionError, aiohttp.ClientOSError)
#: A response URL post that takes longer has failed (slack_sdk's webhook client default).
RESPONSE_TIMEOUT = aiohttp.ClientTimeout(total=30)
_JSON = {"Content-Type": "application/json;charset=utf-8"}


async def post_message(url: str, message: dict[str, Any]) -> WebhookResponse:
    """POST ``message`` to a response URL through :func:`shared_session`: what slack_sdk's
    ``AsyncWebhookClient.send_dict`` does (JSON body, one retry on a dropped connection), without
    building a client and its retry machinery per reply, the most frequent call hirebot makes."""
    session = shared_session()
    if session is None:
        raise RuntimeError("a response URL post needs a running event loop")
    body = json.dumps(message)

    async def send() -> WebhookResponse:
        async with session.post(url, data=body, headers=_JSON, timeout=RESPONSE_TIMEOUT) as res:
            return WebhookResponse(url=url, status_code=res.status, body=await res.text(), headers=dict(res.headers))

    try:
        return await send()
    except _RETRIED:
        return await send()
