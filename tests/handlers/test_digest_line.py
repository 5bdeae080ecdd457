"""The digest's per-opening waiting line starts on its own line, not glued to "this week"."""

from __future__ import annotations

from .conftest import Bot
from .test_candidates import say
from .test_posting import post_opening


async def test_the_waiting_line_is_on_a_line_of_its_own(bot: Bot) -> None:
    bot.slack.private_channels.add("GHIRING")
    op = await post_opening(bot, channel="GHIRING")
    await say(bot, f'add "Grace Hopper" OP-{op}')
    bot.clock.advance(days=3)
    out = await say(bot, "digest preview", channel="GHIRING")
    assert "this week:hourglass" not in out
    assert "this week\n:hourglass_flowing_sand: 1 waiting past their limit" in out and "Grace Hopper" in out
