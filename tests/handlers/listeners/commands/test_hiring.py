"""``/hiring`` (handlers/listeners/commands): answer in the ack when the text alone decides it; else
ack at once, route to a subcommand, reply privately."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import AsyncMock

import pytest
from slack_bolt.async_app import AsyncAck

from handlers.listeners import commands

from ...conftest import inbox_rows
from ..conftest import MANAGER, POSTING, World, call, sent, text_of


def command_body(text: str, user: str = MANAGER, channel: str = "CJOBS", response_url: bool = True) -> dict[str, Any]:
    body = {"command": "/hiring", "text": text, "user_id": user, "channel_id": channel, "trigger_id": "trig-1"}
    if response_url:
        body["response_url"] = "https://hooks.slack.test/commands/1"
    return body


async def run(world: World, text: str, **kw: Any) -> tuple[AsyncMock, AsyncMock]:
    """Run ``/hiring <text>`` through the listener; the ack and respond mocks."""
    ack, respond = AsyncMock(), AsyncMock()
    await call(world.listeners(commands)["hiring_command"], ack=ack, body=command_body(text, **kw),
               client=world.client, respond=respond)
    ack.assert_awaited_once()
    return ack, respond


async def hiring(world: World, text: str, **kw: Any) -> tuple[AsyncMock, AsyncMock]:
    """Run ``/hiring <text>``, which needs the domain: acked empty, answered after."""
    ack, respond = await run(world, text, **kw)
    ack.assert_awaited_once_with()
    return ack, respond


async def in_ack(world: World, text: str, **kw: Any) -> dict[str, Any]:
    """Run ``/hiring <text>``, which the text alone answers: the ack's keyword arguments, after
    checking that nothing else was sent and nothing recorded."""
    before = inbox_rows(world.ctx.config.db_path)
    ack, respond = await run(world, text, **kw)
    reply = ack.await_args.kwargs
    assert reply["response_type"] == "ephemeral" and reply["blocks"] and reply["text"]
    respond.assert_not_awaited()
    assert [c for c in world.client.mock_calls if not c[0].startswith("_")] == [], "no Web API call"
    assert inbox_rows(world.ctx.config.db_path) == before, "nothing recorded in the inbox"
    return dict(reply)


def only_reply(respond: AsyncMock) -> dict[str, Any]:
    respond.assert_awaited_once()
    reply = respond.await_args.kwargs
    assert reply["response_type"] == "ephemeral"
    return reply


async def test_unknown_subcommand_is_an_error_naming_it_with_a_hint(world: World) -> None:
    text = text_of(await in_ack(world, "frobnicate OP-1"))
    assert "`frobnicate` is not a /hiring command" in text and "/hiring help" in text


@pytest.mark.parametrize("text", ["", "help", "HELP"])
async def test_help_lists_every_group(world: World, text: str) -> None:
    reply = await in_ack(world, text)
    assert reply["text"] == "/hiring help"
    body = text_of(reply)
    for group in ("Openings", "Candidates", "Follow-ups", "Privacy"):
        assert group in body


async def test_help_on_one_command_shows_its_usage(world: World) -> None:
    reply = await in_ack(world, "help move")
    assert reply["text"] == "/hiring move" and "move APP-7 <stage> [reason]" in text_of(reply)


async def test_help_and_mistakes_are_answered_at_the_door_and_everything_else_goes_on(world: World) -> None:
    """The middleware answers from the text alone, before bolt's listener runner; any other
    command goes on to the listener untouched."""
    door = world.listeners(commands).middleware["answer_at_the_door"]
    went_on = AsyncMock()
    ack = AsyncAck()
    response = await door(body=command_body("help move"), ack=ack, next=went_on)
    went_on.assert_not_awaited()
    assert response is ack.response and response.status == 200
    reply = json.loads(response.body)
    assert reply["response_type"] == "ephemeral" and "move APP-7 <stage> [reason]" in text_of(reply)
    for body in (command_body("move APP-1 screen"), {"type": "block_actions", "trigger_id": "t"}):
        ack = AsyncAck()
        assert await door(body=body, ack=ack, next=went_on) is None and ack.response is None
    assert went_on.await_count == 2


@pytest.mark.parametrize("text, expected", [
    ("move APP-x screen", "`APP-x` is not an application id"),
    ("move APP-1", "To which stage?"),
    ("digest sideways", "`sideways` is not a digest command"),
])
async def test_a_usage_mistake_is_answered_in_the_ack_with_what_to_type(world: World, text: str,
                                                                        expected: str) -> None:
    assert expected in text_of(await in_ack(world, text))


async def test_a_usage_reply_in_the_ack_stays_within_slacks_limits(world: World) -> None:
    reply = await in_ack(world, "show " + "x" * 3990)  # echoed in the message: over a section's 3,000
    assert len(reply["text"]) <= 3000
    assert all(len(b["text"]["text"]) <= 3000 for b in reply["blocks"] if b["type"] == "section")


async def test_without_a_channel_a_digest_asks_which_in_the_ack(world: World) -> None:
    assert "Which channel?" in text_of(await in_ack(world, "digest preview", channel=""))


async def test_a_command_for_the_domain_is_recorded_then_answered(world: World) -> None:
    before = inbox_rows(world.ctx.config.db_path)
    _, respond = await hiring(world, "show OP-99")
    assert inbox_rows(world.ctx.config.db_path) == before + 1
    assert "There is no opening OP-99" in text_of(only_reply(respond))


async def test_without_a_response_url_the_reply_is_a_post_ephemeral(world: World) -> None:
    _, respond = await hiring(world, "show OP-99", response_url=False)
    respond.assert_not_awaited()
    [eph] = sent(world.client.chat_postEphemeral)
    assert eph["channel"] == "CJOBS" and eph["user"] == MANAGER and "There is no opening OP-99" in text_of(eph)


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
    # the card (no candidate names) was redrawn after the changes
    await world.hiring.changes.drained()
    updates = sent(world.client.chat_update)
    assert updates and all("Ada" not in text_of(u) for u in updates)


async def test_a_paste_sized_command_is_checked_after_the_ack_with_the_same_words(world: World) -> None:
    """Tokenising 200,000 characters before the ack would hold the event loop: such a command is
    recorded and checked after it, and says the same as a short one would."""
    _, respond = await hiring(world, "move APP-x " + "word " * 1000)
    assert "`APP-x` is not an application id" in text_of(only_reply(respond))
