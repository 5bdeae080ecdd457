"""Closing an opening says who it leaves waiting in open stages."""

from __future__ import annotations

from .conftest import Bot
from .test_candidates import say
from .test_posting import post_opening


async def test_closing_names_the_candidates_still_in_open_stages(bot: Bot) -> None:
    op = await post_opening(bot)
    for name in ("A One", "B Two", "C Three", "D Four", "E Five"):
        await say(bot, f'add "{name}" OP-{op}')
    await say(bot, "move APP-1 screen")
    for app in ("APP-2", "APP-3"):
        await say(bot, f"move {app} screen")
        await say(bot, f"move {app} interview")
    await say(bot, "move APP-4 rejected")
    await say(bot, "move APP-5 withdrawn")
    out = await say(bot, f"close OP-{op}")
    assert f"Closed *OP-{op}*" in out
    assert (f"3 candidates are still in screen/interview (screen 1, interview 2): move them on "
            f"(`/hiring pipeline OP-{op}`) or they will stay open.") in out
    assert f"/hiring reopen OP-{op}" in out


async def test_one_left_waiting_is_named_in_the_singular(bot: Bot) -> None:
    op = await post_opening(bot)
    await say(bot, f'add "A One" OP-{op}')
    out = await say(bot, f"close OP-{op} cancelled")
    assert "1 candidate is still in applied: move them on" in out


async def test_closing_with_nobody_waiting_has_no_warning(bot: Bot) -> None:
    op = await post_opening(bot)
    await say(bot, f'add "A One" OP-{op}')
    await say(bot, "move APP-1 rejected")
    out = await say(bot, f"close OP-{op}")
    assert "still in" not in out and ":warning:" not in out and f"/hiring reopen OP-{op}" in out
