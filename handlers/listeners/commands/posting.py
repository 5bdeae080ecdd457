"""``/hiring parse`` and ``/hiring post``: parse a pasted posting; preview; post a card."""

from __future__ import annotations

from bot.errors import BadInput

from .base import Command


async def parse(cmd: Command) -> None:
    if not cmd.rest.strip():
        raise BadInput("Paste the posting after the command.", "Type `/hiring parse <pasted posting>`.")
    parsed = cmd.ctx.hiring.parse(cmd.rest)
    await cmd.reply("parsed.j2", text=parsed.title or "Parsed posting", p=parsed, footer=None)


async def post(cmd: Command) -> None:
    """With text: an ephemeral preview with Post/Edit/Cancel. Without: the paste modal."""
    if not cmd.rest.strip():
        if not cmd.trigger_id:
            raise BadInput("Paste the posting after the command.", "Type `/hiring post <pasted posting>`.")
        view = cmd.ctx.renderer.view("post_modal.j2", channel=cmd.channel)
        await cmd.client.views_open(trigger_id=cmd.trigger_id, view=view)
        return
    channel = cmd.channel
    draft_id, parsed = await cmd.ctx.hiring.create_draft(cmd.user, channel, cmd.rest)
    await cmd.reply("preview.j2", text=f"Preview: {parsed.title or 'Untitled opening'}", p=parsed,
                    draft_id=draft_id, post_channel=channel)
