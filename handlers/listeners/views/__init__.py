"""Modal submissions."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.slack.replies import AppContext

from . import posting


def register(app: AsyncApp, ctx: AppContext) -> None:
    posting.register(app, ctx)
