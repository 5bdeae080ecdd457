"""Events API callbacks."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.slack.replies import AppContext

from . import messages


def register(app: AsyncApp, ctx: AppContext) -> None:
    messages.register(app, ctx)
