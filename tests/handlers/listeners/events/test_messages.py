"""Events (handlers/listeners/events/messages.py): thread replies become notes; App Home."""

from __future__ import annotations

from typing import Any

from handlers.listeners.events import messages

from ..conftest import MANAGER, World, call, sent, text_of


async def on_message(world: World, event: dict[str, Any], event_id: str) -> None:
    body = {"type": "event_callback", "event_id": event_id, "event": event}
    await call(world.listeners(messages)["on_message"], body=body, event=event, client=world.client)


async def test_a_thread_reply_under_a_card_becomes_a_note_once(world: World) -> None:
    op_id = await world.opening()
    await world.hiring.add_candidate(op_id, MANAGER, "Ada Lovelace")
    op = await world.hiring.opening(op_id)
    reply = {"type": "message", "channel": op.channel_id, "thread_ts": op.message_ts, "user": MANAGER,
             "text": "Budget approved for two hires", "ts": "1800000000.000001"}
    await on_message(world, reply, "Ev1")
    await on_message(world, reply, "Ev1")  # Slack's retry of the same event
    await on_message(world, {**reply, "text": "APP-1: great on-site, hire", "ts": "1800000000.000002"}, "Ev2")
    assert [n["text"] for n in await world.hiring.opening_notes(op_id, MANAGER)] == ["Budget approved for two hires"]
    assert [n["text"] for n in (await world.hiring.history(1, MANAGER))[3]] == ["great on-site, hire"]


async def test_messages_that_are_not_thread_replies_are_ignored(world: World) -> None:
    op_id = await world.opening()
    op = await world.hiring.opening(op_id)
    base = {"type": "message", "channel": op.channel_id, "user": MANAGER, "text": "hello"}
    await on_message(world, {**base, "ts": "1800000000.000003"}, "Ev3")  # not threaded
    await on_message(world, {**base, "ts": op.message_ts, "thread_ts": op.message_ts}, "Ev4")  # the parent itself
    await on_message(world, {**base, "ts": "1800000000.000005", "thread_ts": op.message_ts, "bot_id": "B1"}, "Ev5")
    await on_message(world, {**base, "ts": "1800000000.000006", "thread_ts": op.message_ts,
                             "subtype": "message_changed"}, "Ev6")
    await on_message(world, {**base, "channel": "COTHER", "ts": "1.3", "thread_ts": "1.2"}, "Ev7")
    assert await world.hiring.opening_notes(op_id, MANAGER) == []
    assert world.client.mock_calls == []


async def test_app_home_publishes_openings_and_who_is_waiting(world: World) -> None:
    op_id = await world.opening()
    await world.hiring.add_candidate(op_id, MANAGER, "Ada Lovelace")
    world.clock.advance(days=5)
    event = {"type": "app_home_opened", "user": MANAGER, "channel": "DUMANAGER", "tab": "home"}
    await call(world.listeners(messages)["on_home"], event=event, client=world.client, body={"event": event})
    [home] = sent(world.client.views_publish)
    assert home["user_id"] == MANAGER
    text = text_of(home)
    assert f"OP-{op_id}" in text and "Ada Lovelace" in text and "4 working days in applied" in text


async def test_app_home_messages_tab_publishes_nothing(world: World) -> None:
    event = {"type": "app_home_opened", "user": MANAGER, "channel": "DUMANAGER", "tab": "messages"}
    await call(world.listeners(messages)["on_home"], event=event, client=world.client, body={"event": event})
    world.client.views_publish.assert_not_awaited()
