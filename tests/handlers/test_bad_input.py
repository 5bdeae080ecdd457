"""Malformed commands get a clear ephemeral message with what to type; nothing is written."""

from __future__ import annotations

import pytest

from .conftest import Bot, blocks_text
from .test_candidates import say
from .test_posting import post_opening


@pytest.mark.parametrize("text, expected", [
    ("", "/hiring commands"),
    ("help", "/hiring commands"),
    ("help move", "move APP-7 <stage> [reason]"),
    ("frobnicate OP-1", "is not a /hiring command"),
    ("show", "Which opening?"),
    ("show banana", "is not an opening id"),
    ("show OP-999", "There is no opening OP-999"),
    ("move", "Which application?"),
    ("move APP-999 screen", "There is no application APP-999"),
    ("move APP-x screen", "is not an application id"),
    ("add", "name and an opening id"),
    ('add "Unclosed OP-1', "There is no opening OP-1"),  # odd quoting is forgiven, then the id checked
    ("parse", "Paste the posting"),
    ("note APP-1", "The note is empty"),
    ("note APP-1 some text", "There is no application APP-1"),
    ("team OP-1 add bob", "as an @mention"),
    ("team OP-1 add <@UBOB> recruiter", "There is no opening OP-1"),
    ("openings sideways", "Unknown list"),
    ("close OP-1 exploded", "not a way to close"),
    ("history 🦄", "is not an application id"),
])
async def test_bad_commands_explain_what_to_type(bot: Bot, text: str, expected: str) -> None:
    out = await say(bot, text)
    assert expected in out
    assert "Traceback" not in out


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
