"""Help that answers what was asked: an unknown topic is said to be unknown (with a guess), and a
typo'd subcommand gets a "did you mean". All of it is answered in the ack's body: no second
request, nothing recorded."""

from __future__ import annotations

from .conftest import Bot


async def test_help_on_an_unknown_topic_says_so_and_still_lists_the_commands(bot: Bot) -> None:
    out = await bot.answered_in_ack("help foo")
    assert "`foo` is not a /hiring command" in out
    assert "Did you mean" not in out
    assert "/hiring commands" in out and "move APP-7 <stage> [reason]" in out, "the list follows"


async def test_help_on_a_misspelt_topic_guesses_it(bot: Bot) -> None:
    out = await bot.answered_in_ack("help pipline")
    assert "`pipline` is not a /hiring command" in out
    assert "Did you mean `pipeline`? Type `/hiring help pipeline`." in out


async def test_help_on_a_known_topic_has_no_warning(bot: Bot) -> None:
    out = await bot.answered_in_ack("help move")
    assert "is not a /hiring command" not in out and "move APP-7 <stage> [reason]" in out


async def test_a_typo_in_a_subcommand_suggests_the_one_meant(bot: Bot) -> None:
    out = await bot.answered_in_ack("movee APP-1 screen")
    assert "`movee` is not a /hiring command. Did you mean `move`?" in out
    assert "`/hiring move APP-1 screen`" in out
    out = await bot.answered_in_ack("PIPELNE OP-1")
    assert "Did you mean `pipeline`?" in out


async def test_an_unrelated_word_gets_no_guess(bot: Bot) -> None:
    out = await bot.answered_in_ack("frobnicate OP-1")
    assert "is not a /hiring command" in out and "Did you mean" not in out and "/hiring help" in out


async def test_every_form_of_help_is_the_ack_itself(bot: Bot) -> None:
    for text in ("", "help", "HELP", "  help  "):
        out = await bot.answered_in_ack(text)
        assert "/hiring commands" in out and "move APP-7 <stage> [reason]" in out
    assert "Full Name" in await bot.answered_in_ack("help add")


async def test_help_and_typing_mistakes_need_no_database(bot: Bot) -> None:
    """Nothing is read or recorded for them, so they are answered even while the database is gone
    (a command that needs it is refused in its ack instead: nothing can be promised)."""
    await bot.store.close()
    assert "/hiring commands" in await bot.answered_in_ack("help")
    assert "is not an application id" in await bot.answered_in_ack("move APP-x screen")
    assert "cannot save anything right now" in await bot.answered_in_ack("show OP-1")
