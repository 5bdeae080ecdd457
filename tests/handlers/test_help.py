"""Help that answers what was asked: an unknown topic is said to be unknown (with a guess), and a
typo'd subcommand gets a "did you mean"."""

from __future__ import annotations

from .conftest import Bot
from .test_candidates import say


async def test_help_on_an_unknown_topic_says_so_and_still_lists_the_commands(bot: Bot) -> None:
    out = await say(bot, "help foo")
    assert "`foo` is not a /hiring command" in out
    assert "Did you mean" not in out
    assert "/hiring commands" in out and "move APP-7 <stage> [reason]" in out, "the list follows"


async def test_help_on_a_misspelt_topic_guesses_it(bot: Bot) -> None:
    out = await say(bot, "help pipline")
    assert "`pipline` is not a /hiring command" in out
    assert "Did you mean `pipeline`? Type `/hiring help pipeline`." in out


async def test_help_on_a_known_topic_has_no_warning(bot: Bot) -> None:
    out = await say(bot, "help move")
    assert "is not a /hiring command" not in out and "move APP-7 <stage> [reason]" in out


async def test_a_typo_in_a_subcommand_suggests_the_one_meant(bot: Bot) -> None:
    out = await say(bot, "movee APP-1 screen")
    assert "`movee` is not a /hiring command. Did you mean `move`?" in out
    assert "`/hiring move APP-1 screen`" in out
    out = await say(bot, "PIPELNE OP-1")
    assert "Did you mean `pipeline`?" in out


async def test_an_unrelated_word_gets_no_guess(bot: Bot) -> None:
    out = await say(bot, "frobnicate OP-1")
    assert "is not a /hiring command" in out and "Did you mean" not in out and "/hiring help" in out
