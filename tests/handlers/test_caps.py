"""No silent caps: past the old limits (200 openings in lists and App Home, 500 in a digest) the
totals are totals, and every list that shows fewer says how many it left out and how to see them.
Openings and candidates are written straight through storage (hundreds, quickly); what a person
reads comes through the real app and templates."""

from __future__ import annotations

from datetime import timedelta

from .conftest import Bot, blocks_text
from .test_candidates import say


async def seed(bot: Bot, openings: int, candidates: int = 0, channel: str = "CJOBS", private: bool = False,
               days_ago: float = 0, title: str = "Role") -> list[int]:
    """``openings`` openings of UMANAGER posted in ``channel``, and ``candidates`` spread over them in
    turn, the n-th entered ``days_ago`` days and n hours ago."""
    now = bot.clock()
    async with bot.store.transaction() as tx:
        ids = [await tx.insert_opening(f"{title} {i}", {"company": "Acme"}, "UMANAGER", channel, private, now)
               for i in range(openings)]
        for i in ids:
            await tx.set_opening_message(i, channel, f"1700.{i}", None)
        for n in range(candidates):
            await tx.insert_application(ids[n % openings], f"Person {n}", None, None, None, "applied", "UMANAGER",
                                        now - timedelta(days=days_ago, hours=n))
    return ids


async def test_openings_list_counts_them_all_and_says_how_to_see_the_rest(bot: Bot) -> None:
    await seed(bot, 230)
    out = await say(bot, "openings all")
    assert "*All openings* (230)" in out
    assert "…and 190 older ones: narrow the list with `/hiring openings mine`, `open` or `closed`" in out
    out = await say(bot, "openings mine")
    assert "*Your openings* (230)" in out and "…and 190 older ones: see one with `/hiring show OP-12`" in out


async def test_app_home_counts_every_opening_and_every_waiting_candidate(bot: Bot) -> None:
    ids = await seed(bot, 230, candidates=20, days_ago=7)
    mark = bot.mark()
    await bot.event({"type": "app_home_opened", "user": "UMANAGER", "channel": "DUMANAGER", "tab": "home"}, "EvCap")
    home = blocks_text((await bot.slack.wait_for("views.publish", after=mark)).args)
    assert "*Your openings* (230)" in home and "…and 215 more: `/hiring openings mine`" in home
    assert "*Waiting on you* (20)" in home
    assert "…and 5 more: each opening's `/hiring pipeline OP-12` lists them all" in home
    assert "applied 20" in home  # the totals of all 230 openings
    listed = [line for line in home.splitlines() if "working days in applied" in line]
    assert len(listed) == 15 and "Person 19" in listed[0], "the longest waiting first"
    assert f"OP-{ids[19]}" in listed[0]


async def test_the_digest_totals_every_opening_and_says_how_many_it_did_not_list(bot: Bot) -> None:
    await seed(bot, 520, candidates=520)
    out = await say(bot, "digest preview")
    assert "520 openings in <#CJOBS>" in out
    assert "applied 520 · screen 0" in out, "totals over all 520, not the first 500"
    assert "*New openings:* 520" in out
    assert "…and 480 more openings (counted in the totals above): `/hiring openings all`" in out


async def test_the_digest_says_how_many_more_are_waiting_where_it_names_them(bot: Bot) -> None:
    bot.slack.private_channels.add("GHIRING")
    [op] = await seed(bot, 1, candidates=7, channel="GHIRING", private=True, days_ago=7)
    out = await say(bot, "digest preview", channel="GHIRING")
    assert ":hourglass_flowing_sand: 7 waiting past their limit: " in out
    assert out.count("working days in applied, limit 2") == 5
    assert f"; …and 2 more: `/hiring pipeline OP-{op}`" in out
