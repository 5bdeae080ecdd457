"""Notes are kept and shown in full: `history` splits long ones across sections and pages; a note
over the limit is refused with its length, never cut, from the command and from a thread reply."""

from __future__ import annotations

import re
from typing import Any

from .conftest import Bot, blocks_text
from .test_candidates import say
from .test_posting import post_opening


async def history(bot: Bot, text: str) -> list[dict[str, Any]]:
    mark = bot.mark()
    await bot.command(text)
    reply = await bot.slack.wait_for("response_url", after=mark)
    return list(reply.args["blocks"])


def words(n: int, tag: str) -> str:
    """``n`` characters of words, starting and ending with ``tag`` so a test sees both ends."""
    body = " ".join(f"w{i}" for i in range(n))
    return (tag + " " + body)[: n - len(tag) - 1] + " " + tag


def note_sections(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if (b["type"] == "section" and "<@UMANAGER>: " in b["text"]["text"])
            or (b["type"] == "section" and b["text"]["text"].startswith("…"))]


def within_slack_limits(blocks: list[dict[str, Any]]) -> None:
    assert len(blocks) <= 50
    for b in blocks:
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= 3000
    assert "more not shown" not in str(blocks), "nothing was dropped to fit"


async def test_a_long_note_is_shown_in_full_across_sections(bot: Bot) -> None:
    op = await post_opening(bot)
    await say(bot, f'add "Ada Lovelace" OP-{op}')
    long = words(3990, "ZEBRA")
    assert "Noted on" in await say(bot, f"note APP-1 {long}")
    await say(bot, "note APP-1 short & sweet <b>")
    blocks = await history(bot, "history APP-1")
    within_slack_limits(blocks)
    sections = note_sections(blocks)
    assert len(sections) >= 2, "3,990 characters do not fit one section"
    shown = "".join(re.sub(r"^`[^`]+` <@UMANAGER>: |^…|…$", "", s) for s in sections)
    assert long in shown, "every character of the note is shown"
    assert "short &amp; sweet &lt;b&gt;" in shown
    assert "older note" not in blocks_text({"blocks": blocks})


async def test_a_note_that_escapes_long_still_fits(bot: Bot) -> None:
    op = await post_opening(bot)
    await say(bot, f'add "Ada Lovelace" OP-{op}')
    await say(bot, "note APP-1 " + "&" * 4000)  # 20,000 characters once escaped for Slack
    blocks = await history(bot, "history APP-1")
    within_slack_limits(blocks)
    assert sum(s.count("&amp;") for s in note_sections(blocks)) == 4000


async def test_many_notes_page_newest_first_with_the_command_for_the_rest(bot: Bot) -> None:
    op = await post_opening(bot)
    await say(bot, f'add "Ada Lovelace" OP-{op}')
    for i in range(25):  # two of these never share a section: 25 sections, 20 a page
        await bot.hiring.note_application(1, "UMANAGER", words(2000, f"NOTE{i:02d}"))
    first = await history(bot, "history APP-1")
    within_slack_limits(first)
    text = blocks_text({"blocks": first})
    assert "NOTE24" in text and "NOTE05" in text and "NOTE04" not in text
    assert "page 1 of 2" in text and "*History*" in text
    assert "…and 5 older notes: `/hiring history APP-1 page 2`" in text
    second = await history(bot, "history APP-1 page 2")
    within_slack_limits(second)
    text = blocks_text({"blocks": second})
    assert all(f"NOTE{i:02d}" in text for i in range(5)) and "NOTE05" not in text
    assert "page 2 of 2" in text and "Newer notes: `/hiring history APP-1`" in text and "older note" not in text
    assert "has 2 pages of history, not 3" in await say(bot, "history APP-1 page 3")
    assert "not a page number" in await say(bot, "history APP-1 page two")


async def test_a_note_over_the_limit_is_refused_with_its_length_and_nothing_is_saved(bot: Bot) -> None:
    op = await post_opening(bot)
    await say(bot, f'add "Ada Lovelace" OP-{op}')
    out = await say(bot, "note APP-1 " + "x" * 4001)
    assert "That note is 4,001 characters; a note can be at most 4,000. Nothing was saved." in out
    assert "/hiring note APP-1" in out and "Usage" not in out
    assert (await bot.hiring.history(1, "UMANAGER"))[3] == []
    assert "Noted on" in await say(bot, "note APP-1 " + "x" * 4000)
    [kept] = (await bot.hiring.history(1, "UMANAGER"))[3]
    assert len(kept["text"]) == 4000


async def test_a_thread_reply_over_the_limit_is_answered_in_the_thread_and_not_kept(bot: Bot) -> None:
    op_id = await post_opening(bot)
    await say(bot, f'add "Ada Lovelace" OP-{op_id}')
    op = await bot.hiring.opening(op_id)
    mark = bot.mark()
    await bot.event({"type": "message", "channel": op.channel_id, "thread_ts": op.message_ts, "user": "UMANAGER",
                     "text": "APP-1 " + "y" * 4500, "ts": "1800000000.000100"}, "EvLong")
    told = await bot.slack.wait_for("chat.postEphemeral", after=mark)
    assert told.args["thread_ts"] == op.message_ts and told.args["user"] == "UMANAGER"
    text = blocks_text(told.args)
    assert "I did not save your reply as a note: it is 4,500 characters" in text and "4,000" in text
    await bot.event({"type": "message", "channel": op.channel_id, "thread_ts": op.message_ts, "user": "UMANAGER",
                     "text": "z" * 4001, "ts": "1800000000.000101"}, "EvLong2")
    await bot.slack.wait_for("chat.postEphemeral", lambda c: "4,001 characters" in blocks_text(c.args), after=mark)
    assert (await bot.hiring.history(1, "UMANAGER"))[3] == []
    assert await bot.hiring.opening_notes(op_id, "UMANAGER") == []
