"""Modal submissions (handlers/listeners/views/posting.py): a field error is the ack itself."""

from __future__ import annotations

from typing import Any
from unittest.mock import AsyncMock

from handlers.listeners.views import posting

from ..conftest import MANAGER, POSTING, World, call, channel_select, plain, sent, text_of, view_payload


async def submit(world: World, name: str, view: dict[str, Any], user: str = MANAGER) -> AsyncMock:
    """Submit a view to listener ``name``; the ack mock (acked exactly once, as Slack requires)."""
    ack = AsyncMock()
    await call(world.listeners(posting)[name], ack=ack, body={"type": "view_submission", "user": {"id": user},
                                                              "view": view},
               view=view, client=world.client)
    ack.assert_awaited_once()
    return ack


def field_errors(ack: AsyncMock) -> dict[str, str]:
    assert ack.await_args.kwargs["response_action"] == "errors"
    return ack.await_args.kwargs["errors"]


async def test_post_modal_empty_paste_is_a_field_error_and_saves_nothing(world: World) -> None:
    ack = await submit(world, "post_modal", view_payload("post_modal", {"posting": plain("   "),
                                                                        "channel": channel_select("CJOBS")}))
    assert field_errors(ack) == {"posting": "Paste the posting here."}
    assert await world.hiring.list_openings(MANAGER, "all") == []


async def test_post_modal_answers_with_the_editable_preview(world: World) -> None:
    ack = await submit(world, "post_modal", view_payload("post_modal", {"posting": plain(POSTING),
                                                                        "channel": channel_select("CHIRING")}))
    kw = ack.await_args.kwargs
    assert kw["response_action"] == "update" and kw["view"]["callback_id"] == "edit_modal"
    title = next(b for b in kw["view"]["blocks"] if b.get("block_id") == "title")
    assert title["element"]["initial_value"] == "Senior Data Engineer"
    parsed, channel = await world.ctx.publishing.draft(int(kw["view"]["private_metadata"]), MANAGER)
    assert parsed.title == "Senior Data Engineer" and channel == "CHIRING"


def edit_values(title: str = "Senior Data Engineer (Payments)", channel: str | None = "CHIRING") -> dict[str, Any]:
    return {"title": plain(title), "team": plain("Payments Data"), "locations": plain("London, UK\nRemote, UK"),
            "seniority": {"type": "static_select", "selected_option": {"value": "senior"}},
            "requirements": plain("- Python\n- SQL"), "channel": channel_select(channel)}


async def test_edit_modal_field_errors(world: World) -> None:
    draft = await world.draft()
    ack = await submit(world, "edit_modal", view_payload("edit_modal", edit_values(title=" "), str(draft)))
    assert field_errors(ack) == {"title": "An opening needs a title."}
    ack = await submit(world, "edit_modal", view_payload("edit_modal", edit_values(channel=None), str(draft)))
    assert field_errors(ack) == {"channel": "Pick the channel to post to."}
    world.client.chat_postMessage.assert_not_awaited()
    assert await world.hiring.list_openings(MANAGER, "all") == []


async def test_edit_modal_posts_the_edited_opening(world: World) -> None:
    draft = await world.draft()
    ack = await submit(world, "edit_modal", view_payload("edit_modal", edit_values(), str(draft)))
    ack.assert_awaited_once_with()
    [card] = sent(world.client.chat_postMessage)
    assert card["channel"] == "CHIRING"
    assert "Senior Data Engineer (Payments)" in text_of(card) and "Payments Data" in text_of(card)
    [eph] = sent(world.client.chat_postEphemeral)
    assert eph["user"] == MANAGER and "Posted *OP-1*" in text_of(eph)
    [op] = await world.hiring.list_openings(MANAGER, "mine")
    assert op.title == "Senior Data Engineer (Payments)" and op.channel_id == "CHIRING" and op.posted


def refer_values(name: str = "Linus Torvalds", email: str = "linus@example.com") -> dict[str, Any]:
    return {"name": plain(name), "email": plain(email), "note": plain("kernel person")}


async def test_refer_modal_field_errors(world: World) -> None:
    op = await world.opening()
    ack = await submit(world, "refer_modal", view_payload("refer_modal", refer_values(name=""), str(op)), "UFRIEND")
    assert field_errors(ack) == {"name": "Their full name, please."}
    ack = await submit(world, "refer_modal", view_payload("refer_modal", refer_values(email="linus at home"), str(op)),
                       "UFRIEND")
    assert field_errors(ack) == {"email": "That is not an e-mail address."}
    assert (await world.hiring.opening(op)).total == 0


async def test_refer_modal_adds_the_referral_and_thanks_only_the_referrer(world: World) -> None:
    op = await world.opening()
    ack = await submit(world, "refer_modal", view_payload("refer_modal", refer_values(), str(op)), "UFRIEND")
    ack.assert_awaited_once_with()
    [thanks] = sent(world.client.chat_postEphemeral)
    assert thanks["user"] == "UFRIEND" and thanks["channel"] == "CJOBS" and "APP-1" in text_of(thanks)
    _, app = await world.hiring.application(1, MANAGER)
    assert app.candidate_name == "Linus Torvalds" and app.referrer == "UFRIEND" and app.source == "referral"
    for message in sent(world.client.chat_postMessage) + sent(world.client.chat_update):
        assert "Linus" not in text_of(message), "a candidate's name never goes to a channel"
