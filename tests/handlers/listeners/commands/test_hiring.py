"""``/hiring`` (handlers/listeners/commands): ack at once, route to a subcommand, reply privately."""

from __future__ import annotations

from typing import Any
from unittest.mock import AsyncMock

import pytest

from handlers.listeners import commands

from ..conftest import MANAGER, POSTING, World, call, sent, text_of


def command_body(text: str, user: str = MANAGER, channel: str = "CJOBS", response_url: bool = True) -> dict[str, Any]:
    body = {"command": "/hiring", "text": text, "user_id": user, "channel_id": channel, "trigger_id": "trig-1"}
    if response_url:
        body["response_url"] = "https://hooks.slack.test/commands/1"
    return body


async def hiring(world: World, text: str, **kw: Any) -> tuple[AsyncMock, AsyncMock]:
    """Run ``/hiring <text>``; the ack and respond mocks."""
    ack, respond = AsyncMock(), AsyncMock()
    await call(world.listeners(commands)["hiring_command"], ack=ack, body=command_body(text, **kw),
               client=world.client, respond=respond)
    ack.assert_awaited_once_with()
    return ack, respond


def only_reply(respond: AsyncMock) -> dict[str, Any]:
    respond.assert_awaited_once()
    reply = respond.await_args.kwargs
    assert reply["response_type"] == "ephemeral"
    return reply


async def test_unknown_subcommand_is_an_error_naming_it_with_a_hint(world: World) -> None:
    _, respond = await hiring(world, "frobnicate OP-1")
    text = text_of(only_reply(respond))
    assert "`frobnicate` is not a /hiring command" in text and "/hiring help" in text
    world.client.chat_postMessage.assert_not_awaited()


@pytest.mark.parametrize("text", ["", "help", "HELP"])
async def test_help_lists_every_group(world: World, text: str) -> None:
    _, respond = await hiring(world, text)
    reply = only_reply(respond)
    assert reply["text"] == "/hiring help"
    body = text_of(reply)
    for group in ("Openings", "Candidates", "Follow-ups", "Privacy"):
        assert group in body


async def test_help_on_one_command_shows_its_usage(world: World) -> None:
    _, respond = await hiring(world, "help move")
    reply = only_reply(respond)
    assert reply["text"] == "/hiring move" and "move APP-7 <stage> [reason]" in text_of(reply)


async def test_without_a_response_url_the_reply_is_a_post_ephemeral(world: World) -> None:
    _, respond = await hiring(world, "frobnicate", response_url=False)
    respond.assert_not_awaited()
    [eph] = sent(world.client.chat_postEphemeral)
    assert eph["channel"] == "CJOBS" and eph["user"] == MANAGER and "not a /hiring command" in text_of(eph)


async def test_a_domain_failure_is_an_apology_not_a_trace(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    async def boom(*_: Any, **__: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(world.hiring, "list_openings", boom)
    _, respond = await hiring(world, "openings")
    text = text_of(only_reply(respond))
    assert "went wrong on hirebot's side" in text and "disk on fire" not in text


async def test_post_with_text_saves_a_draft_and_previews_it_with_a_post_button(world: World) -> None:
    _, respond = await hiring(world, "post " + POSTING)
    reply = only_reply(respond)
    assert "Senior Data Engineer" in text_of(reply) and "Preview" in text_of(reply)
    [button] = [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == "draft_post"]
    parsed, channel = await world.ctx.publishing.draft(int(button["value"]), MANAGER)
    assert parsed.title == "Senior Data Engineer" and channel == "CJOBS"
    world.client.chat_postMessage.assert_not_awaited()  # nothing posted before the user confirms


async def test_post_without_text_opens_the_paste_modal(world: World) -> None:
    _, respond = await hiring(world, "post")
    respond.assert_not_awaited()
    [opened] = sent(world.client.views_open)
    assert opened["trigger_id"] == "trig-1" and opened["view"]["callback_id"] == "post_modal"


async def test_add_and_move_change_the_application(world: World) -> None:
    op = await world.opening()
    _, respond = await hiring(world, f'add "Ada Lovelace" OP-{op} ada@example.com')
    assert "Added *APP-1* Ada Lovelace" in text_of(only_reply(respond))
    _, respond = await hiring(world, "move APP-1 screen strong CV")
    assert "applied → *screen*" in text_of(only_reply(respond))
    _, app = await world.hiring.application(1, MANAGER)
    assert app.stage == "screen" and app.email == "ada@example.com"
    # the card (no candidate names) was redrawn after each change
    updates = sent(world.client.chat_update)
    assert updates and all("Ada" not in text_of(u) for u in updates)
