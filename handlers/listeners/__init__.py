"""Every Slack listener, one module per concern, grouped by Slack's kind of payload.

Each module has ``register(app, ctx)``; this one registers them all, so ``handlers/app.py``
only builds the app. A listener translates a Slack payload into one domain call and the
result into a template: nothing else.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.slack.replies import AppContext

from . import actions, commands, events, guard, views


def register(app: AsyncApp, ctx: AppContext) -> None:
    guard.register(app, ctx)  # first: nothing malformed or replayed reaches a listener
    commands.register(app, ctx)
    actions.register(app, ctx)
    views.register(app, ctx)
    events.register(app, ctx)
