"""Malformed commands get a clear ephemeral message with what to type; nothing is written."""

from __future__ import annotations

import pytest

from .conftest import Bot, ack_body, blocks_text
from .test_candidates import say
from .test_posting import post_opening

#: Answered from the text alone, in the ack's body.
IN_ACK = [
    ("", "/hiring commands"),
    ("help", "/hiring commands"),
    ("help move", "move APP-7 <stage> [reason]"),
    ("frobnicate OP-1", "is not a /hiring command"),
    ("show", "Which opening?"),
    ("show banana", "is not an opening id"),
    ("move", "Which application?"),
    ("move APP-x screen", "is not an application id"),
    ("move APP-1", "To which stage?"),
    ("add", "name and an opening id"),
    ("parse", "Paste the posting"),
    ("team OP-1 add bob", "as an @mention"),
    ("history 🦄", "is not an application id"),
    ("history APP-1 page x", "is not a page number"),
    ("remind APP-1", "What and when?"),
    ("sla OP-1 screen", "a stage and a number of working days"),
    ("sla banana", "is not an opening id or `global`"),
    ("notify hours", "Which hours?"),
    ("notify on off", "I don't understand"),
    ("digest sideways", "is not a digest command"),
]
#: Only the domain can tell: the reply comes after the ack, at the response URL.
AFTER_ACK = [
    ("show OP-999", "There is no opening OP-999"),
    ("move APP-999 screen", "There is no application APP-999"),
    ('add "Unclosed OP-1', "There is no opening OP-1"),  # odd quoting is forgiven, then the id checked
    ("note APP-1", "The note is empty"),  # a rule of the domain's (bot/hiring.py), so the domain says it
    ("note APP-1 some text", "There is no application APP-1"),
    ("team OP-1 add <@UBOB> recruiter", "There is no opening OP-1"),
    ("openings sideways", "Unknown list"),
    ("close OP-1 exploded", "not a way to close"),
]


@pytest.mark.parametrize("text, expected", IN_ACK)
async def test_typing_mistakes_are_answered_in_the_ack(bot: Bot, text: str, expected: str) -> None:
    out = await bot.answered_in_ack(text)
    assert expected in out
    assert "Traceback" not in out


@pytest.mark.parametrize("text, expected", AFTER_ACK)
async def test_what_only_the_domain_knows_is_answered_after_the_ack(bot: Bot, text: str, expected: str) -> None:
    mark = bot.mark()
    assert await ack_body(await bot.command(text)) is None, "acked empty"
    reply = await bot.slack.wait_for("response_url", after=mark)
    assert reply.args.get("response_type") == "ephemeral"
    assert expected in blocks_text(reply.args) and "Traceback" not in blocks_text(reply.args)


async def test_bad_stage_lists_allowed_and_nothing_changes(bot: Bot) -> None:
    op = await post_opening(bot)
    await say(bot, f'add "Zoë Ångström-Ñúñez 山田" OP-{op} zoe@example.com')
    out = await say(bot, "move APP-1 promoted")
    assert "is not a stage" in out and "screen" in out
    out = await say(bot, f'add "Bad Mail" OP-{op} not@an@email')
    assert "not an e-mail address" in out and "APP-2" not in out
    assert (await bot.hiring.opening(op)).total == 1, "the refused add added nobody"
    _, app = await bot.hiring.application(1, "UMANAGER")
    assert app.stage == "applied" and app.candidate_name == "Zoë Ångström-Ñúñez 山田"
    moves = (await bot.hiring.history(1, "UMANAGER"))[2]
    assert len(moves) == 1


async def test_team_add_requires_a_mention_and_a_known_role(bot: Bot) -> None:
    op = await post_opening(bot)
    assert "as an @mention" in await say(bot, f"team OP-{op} add bob recruiter")
    assert "not a hiring-team role" in await say(bot, f"team OP-{op} add <@UBOB> boss")


async def test_hidden_failure_is_an_apology_not_a_trace(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    async def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bot.hiring, "list_openings", boom)
    mark = bot.mark()
    await bot.command("openings")
    reply = await bot.slack.wait_for("response_url", after=mark)
    text = blocks_text(reply.args)
    assert "went wrong on hirebot's side" in text and "disk on fire" not in text
