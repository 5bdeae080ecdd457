"""Posting an opening end to end: paste → preview → post card; the modal path; parse."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from .conftest import Bot, blocks_text

POSTING = (Path(__file__).parents[1] / "fixtures/postings/uk_bank.txt").read_text()


async def post_opening(bot: Bot, user: str = "UMANAGER", channel: str = "CJOBS") -> int:
    """Post the UK bank fixture through the preview; return the new opening id."""
    mark = bot.mark()
    await bot.command("post " + POSTING, user=user, channel=channel)
    preview = await bot.slack.wait_for("response_url", after=mark)
    buttons = [e for b in preview.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    post_button = next(b for b in buttons if b["action_id"] == "draft_post")
    mark = bot.mark()
    await bot.click("draft_post", post_button["value"], user=user, channel=channel)
    card = await bot.slack.wait_for("chat.postMessage", after=mark)
    assert card.args["channel"] == channel
    done = await bot.slack.wait_for("response_url", lambda c: "Posted" in blocks_text(c.args), after=mark)
    assert "OP-" in blocks_text(done.args)
    ops = await bot.hiring.list_openings(user, "mine")
    return ops[0].id


async def test_post_with_text_previews_then_posts_a_card(bot: Bot) -> None:
    mark = bot.mark()
    await bot.command("post " + POSTING)
    preview = await bot.slack.wait_for("response_url", after=mark)
    text = blocks_text(preview.args)
    assert preview.args["response_type"] == "ephemeral"
    assert "Senior Data Engineer" in text and "Customer Data Platform" in text and "Preview" in text
    assert not bot.slack.of("chat.postMessage"), "nothing is posted before the user confirms"

    op_id = await post_opening(bot)
    op = await bot.hiring.opening(op_id)
    assert op.title == "Senior Data Engineer"
    assert op.manager == "UMANAGER"
    assert op.permalink and op.message_ts
    card = bot.slack.messages[(op.channel_id, op.message_ts)]
    card_text = blocks_text(card)
    assert f"OP-{op_id}" in card_text and "applied 0" in card_text
    assert any(e.get("action_id") == "card_refer" for b in card["blocks"] if b["type"] == "actions"
               for e in b["elements"])


async def test_double_click_on_post_posts_once(bot: Bot) -> None:
    """Two clicks of *Post to channel* at once: one card; the other click is told why it posted nothing."""
    mark = bot.mark()
    await bot.command("post " + POSTING)
    preview = await bot.slack.wait_for("response_url", after=mark)
    value = next(e["value"] for b in preview.args["blocks"] if b["type"] == "actions" for e in b["elements"]
                 if e["action_id"] == "draft_post")
    mark = bot.mark()
    first, second = await asyncio.gather(bot.click("draft_post", value), bot.click("draft_post", value))
    assert first.status == second.status == 200
    posted = await bot.slack.wait_for("response_url", lambda c: "Posted *OP-1*" in blocks_text(c.args), after=mark)
    # Which click loses depends on the race; either answer is right: still posting, or already posted.
    refused = await bot.slack.wait_for("response_url", lambda c: c is not posted, after=mark)
    assert re.search(r"That opening (is being posted right now|was already posted as OP-1)",
                     blocks_text(refused.args)), blocks_text(refused.args)
    await bot.settled()  # both clicks fully handled: nothing more can arrive
    assert len(bot.slack.of("chat.postMessage")) == 1
    assert len(bot.slack.of("response_url")[1:]) == 2  # after the preview, exactly the two answers
    assert len(await bot.hiring.list_openings("UMANAGER", "mine")) == 1


async def test_post_without_text_opens_the_paste_modal_then_editable_preview(bot: Bot) -> None:
    await bot.command("post")
    opened = await bot.slack.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == "post_modal"
    resp = await bot.submit("post_modal", {
        "posting": {"text": {"type": "plain_text_input", "value": POSTING}},
        "channel": {"channel": {"type": "conversations_select", "selected_conversation": "CHIRING"}},
    })
    data = await resp.json()
    assert data["response_action"] == "update"
    view = data["view"]
    assert view["callback_id"] == "edit_modal"
    title_block = next(b for b in view["blocks"] if b.get("block_id") == "title")
    assert title_block["element"]["initial_value"] == "Senior Data Engineer"

    mark = bot.mark()
    await bot.submit("edit_modal", {
        "title": {"v": {"type": "plain_text_input", "value": "Senior Data Engineer (Payments)"}},
        "team": {"v": {"type": "plain_text_input", "value": "Payments Data"}},
        "locations": {"v": {"type": "plain_text_input", "value": "London, UK\nRemote, UK"}},
        "seniority": {"v": {"type": "static_select", "selected_option": {"value": "senior"}}},
        "requirements": {"v": {"type": "plain_text_input", "value": "- Python\n- SQL"}},
        "channel": {"channel": {"type": "conversations_select", "selected_conversation": "CHIRING"}},
    }, private_metadata=view["private_metadata"])
    card = await bot.slack.wait_for("chat.postMessage", after=mark)
    assert card.args["channel"] == "CHIRING"
    text = blocks_text(card.args)
    assert "Senior Data Engineer (Payments)" in text and "Payments Data" in text and "London, UK" in text


async def test_empty_paste_in_modal_is_a_field_error(bot: Bot) -> None:
    resp = await bot.submit("post_modal", {"posting": {"text": {"type": "plain_text_input", "value": "  "}},
                                           "channel": {"channel": {"type": "conversations_select",
                                                                   "selected_conversation": "C1"}}})
    data = await resp.json()
    assert data["response_action"] == "errors" and "posting" in data["errors"]


async def test_parse_is_ephemeral_and_saves_nothing(bot: Bot) -> None:
    mark = bot.mark()
    await bot.command("parse " + POSTING)
    reply = await bot.slack.wait_for("response_url", after=mark)
    assert reply.args["response_type"] == "ephemeral"
    assert "Northgate Bank plc" in blocks_text(reply.args) and "nothing was saved" in blocks_text(reply.args)
    assert await bot.hiring.list_openings("UMANAGER", "all") == []


async def test_one_megabyte_paste_is_handled(bot: Bot) -> None:
    mark = bot.mark()
    resp = await bot.command("parse " + POSTING + ("x " * 500_000))
    assert resp.status == 200
    reply = await bot.slack.wait_for("response_url", after=mark)
    blocks = reply.args["blocks"]
    assert len(blocks) <= 50
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks if b["type"] == "section")
