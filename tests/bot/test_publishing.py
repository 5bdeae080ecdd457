"""Publishing as one domain workflow, with the Cards port played by RecordingCards."""

from __future__ import annotations

import asyncio

import pytest

from bot.changes import Changes
from bot.errors import BadInput, NotFound
from bot.model import Opening
from bot.publishing import PublishFailed
from tests.bot.conftest import World

POSTING = "Staff Nurse, Cardiac Unit\nRiverside Health\n\nRequirements:\n- Registered nurse licence\n"


async def draft(world: World, user: str = "UMGR", channel: str = "CWARD") -> int:
    draft_id, parsed = await world.publishing.create_draft(user, channel, POSTING)
    assert parsed.title == "Staff Nurse, Cardiac Unit"
    return draft_id


async def test_publish_posts_the_card_and_records_where(world: World) -> None:
    op = await world.publishing.publish(await draft(world), "UMGR")
    assert op.posted and op.channel_id == "CWARD" and op.message_ts == f"1700.{op.id}"
    assert op.manager == "UMGR" and op.post_error is None
    assert world.cards.posted == [(op.id, "CWARD")]


async def test_a_refused_card_leaves_an_unposted_opening_that_posts_on_the_next_try(world: World) -> None:
    draft_id = await draft(world)
    world.cards.refuse.append("not_in_channel")
    with pytest.raises(PublishFailed) as failed:
        await world.publishing.publish(draft_id, "UMGR")
    assert failed.value.code == "card_not_posted" and failed.value.params["reason"] == "not_in_channel"
    unposted = await world.hiring.opening(1)
    assert not unposted.posted and unposted.post_error == "not_in_channel"

    op = await world.publishing.publish(draft_id, "UMGR")  # hirebot was invited meanwhile
    assert op.id == unposted.id, "the retry posts the same opening, not a second one"
    assert op.posted and op.post_error is None
    assert world.cards.posted == [(op.id, "CWARD")]
    assert len(await world.hiring.list_openings("UMGR", "all")) == 1
    with pytest.raises(BadInput) as again:
        await world.publishing.publish(draft_id, "UMGR")
    assert again.value.code == "already_posted"


async def test_concurrent_publishes_of_one_draft_post_one_card(world: World) -> None:
    draft_id = await draft(world)
    results = await asyncio.gather(*(world.publishing.publish(draft_id, "UMGR") for _ in range(3)),
                                   return_exceptions=True)
    posted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BadInput)]
    assert len(posted) == 1 and len(refused) == 2, results
    assert {r.code for r in refused} <= {"already_posting", "already_posted"}
    assert len(world.cards.posted) == 1


async def test_a_draft_is_its_authors_and_needs_a_title(world: World) -> None:
    draft_id = await draft(world)
    with pytest.raises(NotFound):
        await world.publishing.publish(draft_id, "USOMEONE")
    untitled, _ = await world.publishing.create_draft("UMGR", "CWARD", "we are hiring\n\nsend us your cv")
    with pytest.raises(BadInput) as err:
        await world.publishing.publish(untitled, "UMGR")
    assert err.value.code == "title_missing"
    await world.publishing.edit_draft(untitled, "UMGR", {"title": "Ward Clerk"}, None)
    assert (await world.publishing.publish(untitled, "UMGR")).title == "Ward Clerk"


async def test_changes_redraw_the_card_once_per_change(world: World) -> None:
    op = await world.publishing.publish(await draft(world), "UMGR")
    _, app = await world.hiring.add_candidate(op.id, "UMGR", "Ada Lovelace")
    await world.hiring.changes.drained()
    await world.hiring.move(app.id, "UMGR", "screen")
    await world.hiring.changes.drained()
    await world.hiring.close(op.id, "UMGR", "filled")
    await world.hiring.changes.drained()
    assert world.cards.updated == [op.id, op.id, op.id]


async def test_a_burst_of_changes_is_drawn_in_a_few_redraws_ending_with_the_latest(world: World) -> None:
    """50 candidates added while the card's first redraw is still out at Slack: the card is not
    redrawn 50 times (Slack limits chat.update), and the last redraw shows all 50."""
    op = await world.publishing.publish(await draft(world), "UMGR")
    drawn: list[int] = []
    drawing_first = asyncio.Event()
    slack_answered = asyncio.Event()  # the first redraw's Web API call is still out while the burst commits

    async def redraw(o: Opening) -> None:
        drawn.append(o.counts.get("applied", 0))
        drawing_first.set()
        await slack_answered.wait()

    world.hiring.changes.on_opening_changed(redraw)
    await world.hiring.add_candidate(op.id, "UMGR", "Candidate 0")
    await asyncio.wait_for(drawing_first.wait(), 10)
    await asyncio.gather(*(world.hiring.add_candidate(op.id, "UMGR", f"Candidate {i}") for i in range(1, 50)))
    slack_answered.set()
    await world.hiring.changes.drained()
    assert drawn == [1, 50]


async def test_a_private_channel_makes_a_private_opening(world: World) -> None:
    world.cards.private.add("GSECRET")
    draft_id, _ = await world.publishing.create_draft("UMGR", "GSECRET", POSTING)
    op = await world.publishing.publish(draft_id, "UMGR")
    assert op.private_channel


def applied(n: int) -> Opening:
    """An opening with ``n`` applied candidates, as a change announces it."""
    return Opening(id=1, title="Nurse", status="open", data={}, channel_id="C1", message_ts="1.0", permalink=None,
                   private_channel=False, created_by="U", created_at="", counts={"applied": n})


def drawing(changes: Changes) -> tuple[list[int], asyncio.Event]:
    """Subscribe a card redraw that notes how many were applied: (what it drew, set once it drew)."""
    drawn: list[int] = []
    once = asyncio.Event()

    async def redraw(o: Opening) -> None:
        drawn.append(o.counts["applied"])
        once.set()

    changes.on_opening_changed(redraw)
    return drawn, once


def paced(**intervals: float) -> tuple[Changes, list[float], asyncio.Event, asyncio.Event]:
    """Changes whose waits between redraws (or re-arms) are recorded and last until ``go_on`` is
    set: (changes, the seconds each wait was for, set when one begins, go_on)."""
    pauses: list[float] = []
    paused, go_on = asyncio.Event(), asyncio.Event()

    class Paced(Changes):
        async def _pause(self, seconds: float) -> None:
            pauses.append(seconds)
            paused.set()
            await go_on.wait()

    return Paced(**intervals), pauses, paused, go_on


async def test_a_card_is_redrawn_at_most_once_per_interval_and_drained_does_not_wait() -> None:
    """A change soon after a redraw waits out the interval (Slack's chat.update limit), then draws
    only the latest state; drained() (shutdown, the console) does not wait the interval out."""
    changes, pauses, paused, go_on = paced(redraw_every=3600)
    drawn, first = drawing(changes)
    await changes.opening_changed(applied(1))
    await first.wait()
    await changes.opening_changed(applied(2))
    await paused.wait()  # the barrier: the second redraw is waiting out the interval
    assert drawn == [1] and 3599 < pauses[0] <= 3600
    await changes.opening_changed(applied(3))
    go_on.set()
    await changes.drained()
    assert drawn == [1, 3], "the waiting redraw draws the latest state, once"


async def test_drained_cuts_the_redraw_interval_short() -> None:
    changes = Changes(redraw_every=3600)
    drawn, _ = drawing(changes)
    await changes.opening_changed(applied(1))
    await changes.drained()
    await changes.opening_changed(applied(2))
    await asyncio.wait_for(changes.drained(), 10)
    assert drawn == [1, 2]


async def test_a_burst_of_schedule_changes_re_arms_at_once_then_once_per_interval() -> None:
    """The first change re-arms at once; changes during the interval wait it out and re-arm
    once, together; drained() does not wait the interval out."""
    changes, pauses, paused, go_on = paced(rearm_every=3600)
    rearms: list[int] = []
    first = asyncio.Event()

    async def rearm() -> None:
        rearms.append(len(rearms) + 1)
        first.set()

    changes.on_schedule_changed(rearm)
    await changes.schedule_changed()
    await first.wait()
    for _ in range(50):
        await changes.schedule_changed()
    await asyncio.wait_for(paused.wait(), 10)  # the barrier: the next re-arm waits out the interval
    assert rearms == [1] and 3599 < pauses[0] <= 3600
    go_on.set()
    await changes.drained()
    assert rearms == [1, 2], "fifty changes in the interval re-arm once, after it"


async def test_drained_cuts_the_rearm_interval_short() -> None:
    changes = Changes(rearm_every=3600)
    rearms: list[int] = []

    async def rearm() -> None:
        rearms.append(1)

    changes.on_schedule_changed(rearm)
    await changes.schedule_changed()
    await changes.drained()
    await changes.schedule_changed()
    await asyncio.wait_for(changes.drained(), 10)
    assert rearms == [1, 1]
