"""Baseline servers for the ack benchmark, each in its own process like ``hirebot run``:

- ``bare``: an aiohttp handler that answers 200 to any POST (the floor: HTTP alone);
- ``bolt``: a minimal Bolt ``AsyncApp`` (signature check, auth, one ``/hiring`` listener that only
  acks), served the same way as hirebot's transport.

``python -m bench.servers bare|bolt PORT [API_URL]``
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web

SECRET = "bench-secret"


async def serve(kind: str, port: int, api_url: str) -> None:
    if kind == "bare":
        async def handle(request: web.Request) -> web.Response:
            await request.read()
            return web.Response(status=200)
    else:
        from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
        from slack_bolt.async_app import AsyncApp
        from slack_sdk.web.async_client import AsyncWebClient

        app = AsyncApp(client=AsyncWebClient(token="xoxb-bench", base_url=api_url), signing_secret=SECRET)

        @app.command("/hiring")
        async def hiring(ack) -> None:  # type: ignore[no-untyped-def]
            await ack()

        async def handle(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", handle)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else ""))
