"""``/hiring parse`` and ``/hiring post``: parse a pasted posting; preview; post a card."""

from __future__ import annotations

from bot.errors import BadInput

from .base import Command


def parse_args(rest: str, channel: str | None = None) -> str:
    """The pasted posting (the usage check: something must be pasted)."""
    if not rest.strip():
        raise BadInput("paste_missing", usage="parse <pasted posting>")
    return rest


async def parse(cmd: Command) -> None:
    parse_args(cmd.rest)
    parsed = await cmd.ctx.publishing.parse(cmd.rest)
    await cmd.reply("parsed.j2", text=parsed.title or "Parsed posting", p=parsed, footer=None)


async def post(cmd: Command) -> None:
    """With text: an ephemeral preview with Post/Edit/Cancel. Without: the paste modal."""
    if not cmd.rest.strip():
        if not cmd.trigger_id:
            raise BadInput("paste_missing", usage="post <pasted posting>")
        view = cmd.ctx.renderer.view("post_modal.j2", channel=cmd.channel)
        await cmd.client.views_open(trigger_id=cmd.trigger_id, view=view)
        return
    channel = cmd.channel
    draft_id, parsed = await cmd.ctx.publishing.create_draft(cmd.user, channel, cmd.rest)
    await cmd.reply("preview.j2", text=parsed.title or "preview", p=parsed, draft_id=draft_id, post_channel=channel)
