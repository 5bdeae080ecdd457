"""Weekly digests: content, privacy, schedule, catch-up after downtime, the real APScheduler."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.digests import Subscription
from bot.errors import BadInput, Forbidden, NotFound
from bot.worktime import zone

from .conftest import Clock, World, make_world


async def test_digest_content(world: World) -> None:
    op = await world.opening(channel="CJOBS")
    elsewhere = await world.opening(channel="COTHER", title="Elsewhere")
    a = await world.candidate(op, "Ada Lovelace", stage="screen")
    b = await world.candidate(op, "Grace Hopper")
    await world.candidate(elsewhere, "Not Here")
    world.clock.advance(days=4)  # Fri: a waited 4 working days in screen (limit 3), b 4 in applied (limit 2)
    await world.hiring.move(b, "UMGR", "rejected")
    closed = await world.opening(channel="CJOBS", title="Old role")
    await world.hiring.close(closed, "UMGR", "cancelled")

    d = await world.digests.build("CJOBS")
    assert [o.ref for o in d.openings] == [f"OP-{op}", f"OP-{closed}"]
    first = d.openings[0]
    assert first.counts == {"screen": 1, "rejected": 1} and first.is_new
    assert first.moves == 2 and first.hires == 0  # applied→screen, applied→rejected
    assert [w.application_id for w in first.waiting] == [a]
    assert (d.new, d.closed, d.waiting) == (2, 1, 1)
    assert d.totals == {"screen": 1, "rejected": 1}
    assert d.medians == {"screen": 4.0}
    assert not first.names, "a public channel gets counts only"

    everything = await world.digests.build(None)
    assert len(everything.openings) == 3 and everything.scope == "all"


async def test_names_only_in_the_openings_own_private_channel(world: World) -> None:
    private_op = await world.opening(channel="GHIRING", private=True)
    public_op = await world.opening(channel="GHIRING", private=False, title="Posted before the channel went private")
    await world.candidate(private_op, "Ada Lovelace")
    await world.candidate(public_op, "Grace Hopper")
    world.clock.advance(days=3)
    d = await world.digests.build("GHIRING", private_channel=True)
    names = {o.ref: o.names for o in d.openings}
    assert names == {f"OP-{private_op}": True, f"OP-{public_op}": False}
    assert not any(o.names for o in (await world.digests.build("GHIRING", private_channel=False)).openings)
    assert not any(o.names for o in (await world.digests.build("CELSE", private_channel=True, scope="all")).openings)


def test_subscription_times_in_its_zone() -> None:
    sub = Subscription("CJOBS", 0, datetime.strptime("09:00", "%H:%M").time(), "America/New_York")
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # Wednesday
    assert sub.last_due(now) == datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # Mon 09:00 EST
    assert sub.next_due(now) == datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
    assert sub.key(sub.last_due(now)) == "digest:CJOBS:2026-11-23"
    at_nine = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
    assert sub.last_due(at_nine) == at_nine and sub.next_due(at_nine) == at_nine + timedelta(days=7)


async def test_subscribe_parsing(world: World) -> None:
    with pytest.raises(Forbidden):  # every opening's counts into one channel: admins only
        await world.digests.subscribe("UMGR", "CJOBS", False, ["all"])
    sub = await world.digests.subscribe("UADMIN", "CJOBS", False, ["fri", "16:30", "Europe/Berlin", "all"])
    assert (sub.weekday, f"{sub.at:%H:%M}", sub.tz, sub.scope) == (4, "16:30", "Europe/Berlin", "all")
    sub = await world.digests.subscribe("UMGR", "CJOBS", False, [])
    assert (sub.weekday, f"{sub.at:%H:%M}", sub.tz, sub.scope) == (0, "09:00", "UTC", "channel")
    for bad in (["Mars/Olympus"], ["whenever"], ["25:00"]):
        with pytest.raises(BadInput):
            await world.digests.subscribe("UMGR", "CJOBS", False, bad)
    await world.digests.unsubscribe("UMGR", "CJOBS")
    with pytest.raises(NotFound):
        await world.digests.unsubscribe("UMGR", "CJOBS")


async def test_digest_sent_on_time_once_and_caught_up_if_under_24h_late(world: World) -> None:
    await world.opening()
    await world.digests.subscribe("UMGR", "CJOBS", False, ["tue", "09:00"])  # subscribed Mon 10:00
    await world.scheduler.start()
    assert world.outbox.digests == [] and world.scheduler.aps.get_job("digest:CJOBS") is not None
    world.clock.now = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    await world.scheduler.tick()
    await world.scheduler.tick()
    assert [d.key for d, _ in world.outbox.digests] == ["digest:CJOBS:2026-11-03"]

    await world.restart()  # down over the next Tuesday, back 20 h late: sent, once
    world.clock.now = datetime(2026, 11, 11, 5, 0, tzinfo=UTC)
    await world.scheduler.start()
    await world.restart()
    await world.scheduler.start()
    assert [d.key for d, _ in world.outbox.digests] == ["digest:CJOBS:2026-11-03", "digest:CJOBS:2026-11-10"]


async def test_digest_more_than_24h_late_is_skipped_with_a_log_line(world: World,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    await world.digests.subscribe("UMGR", "CJOBS", False, ["tue", "09:00"])
    world.clock.now = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)  # Wednesday 10:00: 25 h late
    await world.scheduler.start()
    assert world.outbox.digests == []
    assert "skipped the digest for CJOBS" in caplog.text
    caplog.clear()
    await world.restart()
    await world.scheduler.start()
    assert "skipped" not in caplog.text, "logged once, not at every restart"


async def test_real_apscheduler_fires_a_reminder_within_a_second_of_due(tmp_path: Path) -> None:
    """No fake time here: the scheduler's own date job must wake up and send."""
    clock = Clock(datetime.now(UTC))
    world = await make_world(tmp_path / "rt.db", clock)
    try:
        clock_real = lambda: datetime.now(UTC)  # noqa: E731
        world.hiring.clock = clock_real
        world.scheduler.clock = clock_real
        op = await world.opening()
        await world.scheduler.start()
        due = (datetime.now(UTC) + timedelta(seconds=2)).replace(microsecond=0)  # stored to the second
        async with world.store.transaction() as tx:
            rid = await tx.insert_reminder("UMGR", op, None, None, "soon", due, due, clock_real())
        await world.scheduler.rearm()
        job = world.scheduler.aps.get_job("reminders")
        assert job is not None and job.misfire_grace_time is None
        for _ in range(60):
            if world.outbox.sent_at:
                break
            await asyncio.sleep(0.1)
        assert [r for r, _ in world.outbox.sent_at] == [rid]
        late = (world.outbox.sent_at[0][1] - due).total_seconds()
        assert 0 <= late < 1.0, f"fired {late:.2f}s after due"
        assert world.scheduler.aps.get_job("reminders") is None, "nothing left to wait for"
    finally:
        await world.scheduler.stop()
        await world.store.close()


def test_zone_helper_used_by_templates() -> None:
    assert zone("Europe/Berlin").key == "Europe/Berlin"


async def test_digest_waiting_agrees_with_the_nudge_dm_snooze_and_done_honoured(world: World) -> None:
    op = await world.opening()
    a, b, c = await world.candidate(op, "A"), await world.candidate(op, "B"), await world.candidate(op, "C")
    world.clock.advance(days=3, minutes=1)  # Thu 10:01: 3 working days in applied, limit 2
    await world.followups.sla.snooze(b, "UMGR", 1)
    await world.followups.sla.done(c, "UMGR")
    await world.scheduler.tick()
    dm = [i.application_id for i in world.outbox.nudges[-1].items]
    d = await world.digests.build("CJOBS")
    assert dm == [a] and d.waiting == 1 and [w.application_id for w in d.openings[0].waiting] == [a]
    assert d.openings[0].waiting[0].waited == 3 and d.openings[0].waiting[0].limit == 2


async def test_at_the_limit_is_not_past_it_in_digest_or_dm(world: World) -> None:
    op = await world.opening()
    await world.candidate(op)
    world.clock.advance(days=2, minutes=1)  # Wed 10:01: 2 working days, limit 2
    await world.scheduler.tick()
    assert world.outbox.nudges == [] and (await world.digests.build("CJOBS")).waiting == 0


async def test_a_hire_undone_within_the_week_is_not_a_hire(world: World) -> None:
    op = await world.opening()
    a = await world.candidate(op, "A", stage="offer")
    b = await world.candidate(op, "B", stage="offer")
    await world.hiring.move(a, "UMGR", "hired")
    await world.hiring.move(b, "UMGR", "hired")
    await world.hiring.move(b, "UMGR", "applied")  # a mistake, undone
    d = await world.digests.build("CJOBS")
    assert d.hires == 1 and d.openings[0].hires == 1
    assert d.moves == 3 + 3 + 3  # applied→screen→interview→offer twice, then hired, hired, applied


async def test_medians_are_in_the_managers_working_days(world: World) -> None:
    op = await world.opening()
    await world.candidate(op)
    world.clock.advance(days=6)  # Sun 10:00: 4 working days (Tue, Wed, Thu, Fri), 6 calendar days
    assert (await world.digests.build("CJOBS")).medians == {"applied": 4}
