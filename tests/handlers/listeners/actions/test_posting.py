"""Buttons on previews, cards and pipelines (handlers/listeners/actions/posting.py)."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import AsyncMock

from handlers.listeners.actions import posting

from ..conftest import MANAGER, World, action_body, call, sent, slack_error, text_of


async def click(world: World, name: str, action: dict[str, Any], user: str = MANAGER,
                channel: str = "CJOBS") -> tuple[AsyncMock, AsyncMock]:
    """Press a button: call listener ``name``; the ack and respond mocks (ack checked)."""
    ack, respond = AsyncMock(), AsyncMock()
    await call(world.listeners(posting)[name], ack=ack, body=action_body(user, channel), action=action,
               client=world.client, respond=respond)
    ack.assert_awaited_once_with()
    return ack, respond


def button(value: Any, action_id: str = "draft_post") -> dict[str, Any]:
    return {"action_id": action_id, "block_id": "b", "type": "button", "value": str(value)}


def menu(value: str) -> dict[str, Any]:
    return {"action_id": "pipeline_move", "block_id": "b", "type": "overflow",
            "selected_option": {"value": value, "text": {"type": "plain_text", "text": "x"}}}


async def test_draft_post_posts_the_card_and_replaces_the_preview(world: World) -> None:
    draft = await world.draft()
    _, respond = await click(world, "draft_post", button(draft))
    [card] = sent(world.client.chat_postMessage)
    assert card["channel"] == "CJOBS" and "Senior Data Engineer" in text_of(card)
    respond.assert_awaited_once()
    reply = respond.await_args.kwargs
    assert reply["replace_original"] is True and reply["response_type"] == "ephemeral"
    assert "Posted *OP-1*" in text_of(reply)
    [op] = await world.hiring.list_openings(MANAGER, "mine")
    assert op.posted and op.channel_id == "CJOBS" and op.message_ts and op.manager == MANAGER
    assert op.permalink and op.post_error is None


async def test_not_in_channel_leaves_an_unposted_opening_and_the_same_button_posts_it_later(world: World) -> None:
    draft = await world.draft(channel="CNEW")
    refusing_then_ok = world.client.chat_postMessage.side_effect
    world.client.chat_postMessage.side_effect = slack_error("not_in_channel")
    _, respond = await click(world, "draft_post", button(draft), channel="CNEW")
    reply = respond.await_args.kwargs
    assert reply["replace_original"] is False  # an error beside the preview, which keeps its button
    text = text_of(reply)
    assert "not_in_channel" in text and "/invite @hirebot" in text and "Post to channel" in text
    [unposted] = await world.hiring.list_openings(MANAGER, "mine")
    assert not unposted.posted and unposted.post_error == "not_in_channel"

    world.client.chat_postMessage.side_effect = refusing_then_ok  # hirebot was invited
    world.client.chat_postMessage.reset_mock()
    _, respond = await click(world, "draft_post", button(draft), channel="CNEW")
    [card] = sent(world.client.chat_postMessage)
    assert card["channel"] == "CNEW"
    assert f"Posted *{unposted.ref}*" in text_of(respond.await_args.kwargs)
    [posted] = await world.hiring.list_openings(MANAGER, "mine")
    assert posted.id == unposted.id and posted.posted and posted.post_error is None


async def test_two_clicks_at_once_post_one_card(world: World) -> None:
    """The second click arrives while the first is still posting: it is told so, and posts nothing."""
    draft = await world.draft()
    posting_started, second_answered = asyncio.Event(), asyncio.Event()
    post_message = world.client.chat_postMessage.side_effect

    async def slow_post(**kw: Any) -> dict[str, Any]:
        posting_started.set()
        await second_answered.wait()
        return await post_message(**kw)

    world.client.chat_postMessage.side_effect = slow_post
    first = asyncio.create_task(click(world, "draft_post", button(draft)))
    await posting_started.wait()
    _, second = await click(world, "draft_post", button(draft))
    second_answered.set()
    _, first_respond = await first
    assert "being posted right now" in text_of(second.await_args.kwargs)
    assert "Posted *OP-1*" in text_of(first_respond.await_args.kwargs)
    assert world.client.chat_postMessage.await_count == 1
    _, third = await click(world, "draft_post", button(draft))  # and once it is done
    assert "already posted as OP-1" in text_of(third.await_args.kwargs)
    assert world.client.chat_postMessage.await_count == 1


async def test_someone_elses_draft_cannot_be_posted(world: World) -> None:
    draft = await world.draft(user="USOMEONE")
    _, respond = await click(world, "draft_post", button(draft))
    world.client.chat_postMessage.assert_not_awaited()
    assert respond.await_args.kwargs["replace_original"] is False
    assert await world.hiring.list_openings("USOMEONE", "mine") == []


async def test_draft_edit_opens_the_edit_modal_and_cancel_deletes_the_preview(world: World) -> None:
    draft = await world.draft()
    await click(world, "draft_edit", button(draft, "draft_edit"))
    [opened] = sent(world.client.views_open)
    assert opened["trigger_id"] == "trig-1" and opened["view"]["callback_id"] == "edit_modal"
    assert opened["view"]["private_metadata"] == str(draft)
    ack, respond = AsyncMock(), AsyncMock()
    body = {**action_body(MANAGER, "CJOBS"), "response_url": "https://hooks.slack.test/actions/1"}
    await call(world.listeners(posting)["draft_cancel"], ack=ack, body=body, action=button(draft, "draft_cancel"),
               client=world.client, respond=respond)
    ack.assert_awaited_once_with()
    respond.assert_awaited_once_with(delete_original=True)


async def test_card_refer_opens_the_refer_modal_and_discuss_links_the_thread(world: World) -> None:
    op = await world.opening()
    await click(world, "card_refer", button(op, "card_refer"), user="UFRIEND")
    [opened] = sent(world.client.views_open)
    assert opened["view"]["callback_id"] == "refer_modal" and opened["view"]["private_metadata"] == str(op)
    await click(world, "card_discuss", button(op, "card_discuss"), user="UFRIEND")
    [eph] = sent(world.client.chat_postEphemeral)
    assert eph["user"] == "UFRIEND" and f"Discuss *OP-{op}*" in text_of(eph)


async def test_pipeline_move_moves_and_redraws_and_a_stale_menu_changes_nothing(world: World) -> None:
    op = await world.opening()
    await world.hiring.add_candidate(op, MANAGER, "Ada Lovelace")
    _, respond = await click(world, "pipeline_move", menu("1:applied:screen"))
    reply = respond.await_args.kwargs
    assert reply["replace_original"] is True and "0 working days in screen" in text_of(reply)
    _, app = await world.hiring.application(1, MANAGER)
    assert app.stage == "screen"

    _, respond = await click(world, "pipeline_move", menu("1:applied:rejected"))  # the menu as it was
    assert "already moved to screen" in text_of(respond.await_args.kwargs)
    _, respond = await click(world, "pipeline_move", menu("junk"))
    assert "out of date" in text_of(respond.await_args.kwargs)
    _, app = await world.hiring.application(1, MANAGER)
    assert app.stage == "screen"


async def test_pipeline_move_by_an_outsider_is_refused(world: World) -> None:
    op = await world.opening()
    await world.hiring.add_candidate(op, MANAGER, "Ada Lovelace")
    _, respond = await click(world, "pipeline_move", menu("1:applied:screen"), user="UOUTSIDER")
    text = text_of(respond.await_args.kwargs)
    assert f"not on the hiring team of OP-{op}" in text and "Ada" not in text
    _, app = await world.hiring.application(1, MANAGER)
    assert app.stage == "applied"
