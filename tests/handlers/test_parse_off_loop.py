"""One user's paste never holds up another user's command: parsing runs in worker processes."""

from __future__ import annotations

import asyncio

from bot.parser_pool import ParserPool

from .conftest import Bot, blocks_text

PASTE = "Platform Engineer\n\nResponsibilities\n" + "• Keep the deploy pipeline green and fast for everyone\n" * 1200


async def test_a_slow_paste_is_stopped_with_a_clear_reply_while_others_are_answered(bot: Bot) -> None:
    slow = ParserPool(limit=0.001, workers=1)  # every paste "hangs"; the real limit is 2 s
    bot.ctx.publishing.parser = slow
    try:
        mark = bot.mark()
        await bot.command("post " + PASTE, user="UPASTER")
        # Commands that need the domain (help would be answered in its ack, without waiting for anything).
        others = [bot.command("openings", user=f"UOTHER{i}") for i in range(20)]
        for response in await asyncio.gather(*others):
            assert response.status == 200
        refused = await bot.slack.wait_for("response_url", lambda c: "too long" in blocks_text(c.args), after=mark)
        assert "Paste only the posting" in blocks_text(refused.args)
        after = mark
        for _ in range(20):  # every other user got their list
            call = await bot.slack.wait_for("response_url", lambda c: "too long" not in blocks_text(c.args),
                                            after=after)
            after = bot.slack.calls.index(call) + 1
    finally:
        slow.close()
    # How long the loop may stall is a benchmark figure (bench/), not a timed assertion here: on a
    # loaded machine a healthy loop can miss any fixed bound.
