"""Follow-up rules with a controllable clock: SLA crossing, batching, once a day, snooze,
done, escalation, notification settings, manual reminders, dedupe across restarts."""

from __future__ import annotations

from datetime import UTC

import pytest

from bot.errors import BadInput, Forbidden, NotFound

from .conftest import World


async def nudged_apps(world: World) -> dict[str, list[int]]:
    """Run one scheduler pass; who got a nudge DM about which applications."""
    before = len(world.outbox.nudges)
    await world.scheduler.tick()
    out: dict[str, list[int]] = {}
    for batch in world.outbox.nudges[before:]:
        out.setdefault(batch.user_id, []).extend(i.application_id for i in batch.items)
    return out


async def test_screen_past_its_limit_nudges_the_manager_once_per_working_day(world: World) -> None:
    op = await world.opening()
    a = await world.candidate(op, stage="screen")  # Mon 10:00, screen limit 3 working days
    world.clock.advance(days=3, hours=1)  # Thu 11:00: 3 working days, at the limit, not past it
    assert await nudged_apps(world) == {}
    world.clock.advance(hours=22)  # Fri 09:00: still 3 (the 4th working day ends at 10:00)
    assert await nudged_apps(world) == {}
    world.clock.advance(hours=1, minutes=1)  # Fri 10:01: 4 working days > 3, past the limit
    assert await nudged_apps(world) == {"UMGR": [a]}
    assert world.outbox.nudges[-1].items[0].waited == 4
    world.clock.advance(hours=3)
    assert await nudged_apps(world) == {}, "at most once per working day"
    world.clock.advance(days=3)  # Monday
    assert await nudged_apps(world) == {"UMGR": [a]}


async def test_one_dm_per_manager_batches_all_their_waiting_candidates(world: World) -> None:
    op1, op2 = await world.opening(), await world.opening(title="Data Analyst")
    other = await world.opening(manager="UOTHER")
    a1 = await world.candidate(op1, "A One")
    a2 = await world.candidate(op2, "B Two")
    a3 = await world.candidate(other, "C Three", manager="UOTHER")
    world.clock.advance(days=3, minutes=1)  # Thu 10:01: 3 working days, past applied's limit of 2
    got = await nudged_apps(world)
    assert sorted(got["UMGR"]) == [a1, a2] and got["UOTHER"] == [a3]
    assert len(world.outbox.nudges) == 2


async def test_weekends_and_nights_do_not_count_and_nobody_is_nudged_off_hours(world: World) -> None:
    world.clock.now = world.clock.now.replace(day=6, hour=17)  # Friday 17:00
    op = await world.opening()
    await world.candidate(op)  # applied, limit 2 working days: past from Wed 17:00 (3 working days)
    world.clock.advance(days=3)  # Monday 17:00
    assert await nudged_apps(world) == {}
    world.clock.advance(days=1, hours=2)  # Tuesday 19:00: 2 working days, not past
    assert await nudged_apps(world) == {}
    world.clock.advance(days=1)  # Wednesday 19:00: past, but after working hours
    assert await nudged_apps(world) == {}
    world.clock.advance(hours=14)  # Thursday 09:00
    assert list(await nudged_apps(world)) == ["UMGR"]


async def test_working_hours_follow_the_managers_time_zone(world: World) -> None:
    op = await world.opening()
    await world.candidate(op)
    async with world.store.transaction() as tx:
        await tx.set_prefs("UMGR", tz="Asia/Tokyo", tz_checked_at="2999-01-01T00:00:00+00:00")
    world.clock.advance(days=2, hours=8)  # Wed 18:00 UTC = Thu 03:00 Tokyo: night there (and not past)
    assert await nudged_apps(world) == {}
    world.clock.advance(hours=15)  # Thu 09:00 UTC = 18:00 Tokyo: still closed
    assert await nudged_apps(world) == {}
    world.clock.advance(hours=15)  # Fri 00:00 UTC = Fri 09:00 Tokyo: 3 Tokyo working days since Tue 09:00
    assert list(await nudged_apps(world)) == ["UMGR"]


async def test_snooze_and_done_quiet_a_candidate(world: World) -> None:
    op = await world.opening()
    a = await world.candidate(op)
    world.clock.advance(days=3, minutes=1)  # Thu 10:01
    assert await nudged_apps(world) == {"UMGR": [a]}
    await world.followups.sla.snooze(a, "UMGR", 1)
    world.clock.advance(days=1)  # Fri 10:01: the snooze ran to Fri 10:01
    world.clock.advance(minutes=-5)
    assert await nudged_apps(world) == {}
    world.clock.advance(minutes=10)
    assert await nudged_apps(world) == {"UMGR": [a]}
    await world.followups.sla.done(a, "UMGR")  # followed up: the clock restarts now (Fri 10:06)
    world.clock.advance(days=4)  # Tue 10:06: 2 working days since, at the limit
    assert await nudged_apps(world) == {}
    world.clock.advance(days=1)  # Wed 10:06: 3 working days > 2
    assert await nudged_apps(world) == {"UMGR": [a]}


async def test_batch_redraw_shows_what_happened(world: World) -> None:
    op = await world.opening()
    a, b = await world.candidate(op, "A"), await world.candidate(op, "B")
    world.clock.advance(days=3, minutes=1)  # Thu
    await world.scheduler.tick()
    batch = world.outbox.nudges[-1]
    await world.hiring.move(a, "UMGR", "screen", expected_stage="applied")
    await world.followups.sla.snooze(b, "UMGR", 3)
    view = await world.followups.sla.batch(batch.id, "UMGR")
    status = {i.application_id: (i.status, i.status_stage, i.status_until) for i in view.items}
    assert status[a][:2] == ("moved", "screen")
    assert status[b][0] == "snoozed" and status[b][2] is not None and status[b][2].strftime("%a %H:%M") == "Tue 10:01"
    with pytest.raises(NotFound):
        await world.followups.sla.batch(batch.id, "USTRANGER")


async def test_escalation_to_the_recruiter_after_ignored_nudges(world: World) -> None:
    op = await world.opening()
    await world.hiring.team_add(op, "UMGR", "URECRUIT", "recruiter")
    a = await world.candidate(op)
    world.clock.advance(days=3, minutes=1)  # Thu
    assert await nudged_apps(world) == {"UMGR": [a]}  # 1st
    world.clock.advance(days=1)  # Fri
    assert await nudged_apps(world) == {"UMGR": [a]}  # 2nd (escalate_after=2 in this world)
    world.clock.advance(days=3)  # Mon
    got = await nudged_apps(world)
    assert got == {"UMGR": [a], "URECRUIT": [a]}
    esc = [i for b in world.outbox.nudges if b.user_id == "URECRUIT" for i in b.items]
    assert esc[0].kind == "escalation" and esc[0].manager == "UMGR"
    world.clock.advance(days=1)  # Tuesday
    assert await nudged_apps(world) == {"UMGR": [a]}, "the recruiter is told once"


async def test_notify_off_and_digest_only(world: World) -> None:
    op = await world.opening()
    await world.candidate(op)
    await world.followups.people.set_notify("UMGR", "off")
    world.clock.advance(days=3, minutes=1)  # Thu
    assert await nudged_apps(world) == {}
    await world.followups.people.set_notify("UMGR", "digest-only")
    assert await nudged_apps(world) == {}, "digest-only: weekly, on the first working day"
    world.clock.advance(days=4)  # Monday
    assert list(await nudged_apps(world)) == ["UMGR"]
    world.clock.advance(days=1)
    assert await nudged_apps(world) == {}
    with pytest.raises(BadInput):
        await world.followups.people.set_notify("UMGR", "sometimes")


async def test_moved_on_or_closed_stops_nudges_and_drops_reminders(world: World) -> None:
    op = await world.opening()
    a = await world.candidate(op)
    b = await world.candidate(op, "B")
    r = await world.followups.reminders.remind("UMGR", f"APP-{a}", "in 3d check in")
    await world.followups.reminders.remind("UMGR", f"OP-{op}", "in 3d team sync")
    await world.hiring.move(a, "UMGR", "screen")
    async with world.store.transaction() as tx:
        assert (await tx.reminder(r.id))["status"] == "dropped"
    await world.hiring.close(op, "UMGR", "filled")
    world.clock.advance(days=5)
    assert await nudged_apps(world) == {}
    assert world.outbox.reminders == []
    assert b


async def test_sla_limits_per_opening_and_global(world: World) -> None:
    op = await world.opening()
    assert (await world.followups.sla.limits(op))["interview"] == 2
    assert (await world.followups.sla.set_limit("UMGR", op, "interview", "1"))["interview"] == 1
    with pytest.raises(Forbidden):
        await world.followups.sla.set_limit("UMGR", None, "screen", "5")
    assert (await world.followups.sla.set_limit("UADMIN", None, "screen", "5"))["screen"] == 5
    assert (await world.followups.sla.limits(op))["screen"] == 5, "global applies where the opening has none"
    for stage, days in (("hired", "2"), ("screen", "0"), ("screen", "x"), ("nonsense", "2")):
        with pytest.raises(BadInput):
            await world.followups.sla.set_limit("UMGR", op, stage, days)
    with pytest.raises(Forbidden):
        await world.followups.sla.set_limit("USTRANGER", op, "screen", "2")
    a = await world.candidate(op, stage="interview")
    world.clock.advance(days=1, minutes=1)  # Tue: 1 working day, at the limit of 1
    assert await nudged_apps(world) == {}
    world.clock.advance(days=1)
    assert await nudged_apps(world) == {"UMGR": [a]}


async def test_manual_reminder_goes_at_the_next_working_morning_and_once(world: World) -> None:
    op = await world.opening()
    a = await world.candidate(op)
    r = await world.followups.reminders.remind("UMGR", f"APP-{a}", "in 10h call back")  # Mon 20:00 → Tue 09:00
    assert r.due_at.hour == 9 and r.due_at.day == 3 and r.asked_for.hour == 20 and r.text == "call back"
    world.clock.advance(hours=22)  # Tue 08:00
    await world.scheduler.tick()
    assert world.outbox.reminders == []
    world.clock.advance(hours=1)
    await world.scheduler.tick()
    await world.scheduler.tick()
    assert [(u, [x.id for x in rs]) for u, rs in world.outbox.reminders] == [("UMGR", [r.id])]
    assert await world.followups.reminders.reminders_of("UMGR") == []


async def test_reminders_to_one_person_are_batched(world: World) -> None:
    op = await world.opening()
    for n in range(3):
        await world.followups.reminders.remind("UMGR", f"OP-{op}", f"in 1h thing {n}")
    world.clock.advance(hours=2)
    await world.scheduler.tick()
    assert len(world.outbox.reminders) == 1 and len(world.outbox.reminders[0][1]) == 3


async def test_reminder_permissions_and_bad_input(world: World) -> None:
    op = await world.opening()
    a = await world.candidate(op)
    with pytest.raises(Forbidden):
        await world.followups.reminders.remind("USTRANGER", f"APP-{a}", "in 2d")
    with pytest.raises(NotFound):
        await world.followups.reminders.remind("UMGR", "APP-999", "in 2d")
    for target, when in (("bob", "in 2d"), (f"APP-{a}", "whenever"), (f"APP-{a}", "in 2 years")):
        with pytest.raises(BadInput):
            await world.followups.reminders.remind("UMGR", target, when)
    r = await world.followups.reminders.remind("UMGR", f"APP-{a}", "tomorrow")
    with pytest.raises(NotFound):
        await world.followups.reminders.cancel("USTRANGER", r.id)
    await world.followups.reminders.cancel("UMGR", r.id)
    with pytest.raises(BadInput):
        await world.followups.reminders.cancel("UMGR", r.id)


async def test_failed_sends_are_retried_not_dropped(world: World) -> None:
    op = await world.opening()
    a = await world.candidate(op)
    r = await world.followups.reminders.remind("UMGR", f"OP-{op}", "in 1h")
    world.clock.advance(days=3, minutes=1)
    world.outbox.fail = 2  # the reminder DM and the nudge DM both fail
    await world.scheduler.tick()
    assert world.outbox.reminders == [] and world.outbox.nudges == []
    async with world.store.transaction() as tx:
        row = await tx.reminder(r.id)
    assert row["status"] == "pending" and row["attempts"] == 1
    world.clock.advance(minutes=6)  # the retry is due 5 minutes later
    await world.scheduler.tick()
    assert len(world.outbox.reminders) == 1 and world.outbox.nudges[0].items[0].application_id == a


async def test_nothing_is_sent_twice_across_a_restart(world: World) -> None:
    op = await world.opening()
    a = await world.candidate(op)
    await world.followups.reminders.remind("UMGR", f"OP-{op}", "in 1h")
    world.clock.advance(days=3, minutes=1)
    await world.scheduler.start()
    assert len(world.outbox.reminders) == 1 and len(world.outbox.nudges) == 1
    await world.restart()
    await world.scheduler.start()  # rebuilds from the DB and catches up: nothing new is due
    assert len(world.outbox.reminders) == 1 and len(world.outbox.nudges) == 1
    assert world.scheduler.aps.get_job("sweep") is not None
    assert a


async def test_a_reminder_missed_during_downtime_is_sent_once_on_restart(world: World) -> None:
    op = await world.opening()
    r = await world.followups.reminders.remind("UMGR", f"OP-{op}", "in 2h")
    await world.scheduler.start()
    assert world.scheduler.aps.get_job("reminders") is not None
    await world.scheduler.stop()  # down before it was due
    world.clock.advance(days=1)
    await world.restart()
    await world.scheduler.start()
    assert [x.id for _, rs in world.outbox.reminders for x in rs] == [r.id]
    await world.restart()
    await world.scheduler.start()
    assert len(world.outbox.reminders) == 1


def test_kill_9_while_sending_loses_no_reminder_and_repeats_at_most_the_one_in_flight(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A process sending 200 due reminders is killed with SIGKILL mid-way; a fresh one finishes."""
    import asyncio
    import textwrap
    from collections import Counter
    from datetime import datetime

    from tests import databases
    from tests.crash import kill_9_when

    db, log = tmp_path / "k.db", tmp_path / "sent.log"
    target = asyncio.run(databases.target(db))
    child = textwrap.dedent(f"""
        import asyncio, os
        from datetime import datetime, timedelta, timezone
        from bot.digests import Digests
        from bot.followups import Followups
        from bot.hiring import Hiring
        from bot.leases import Replica
        from bot.scheduler import Scheduler
        from bot.clock import iso
        from bot.storage import Store

        class FileOutbox:
            async def send_reminders(self, user, reminders, still_ours):
                if not await still_ours():
                    return False
                with open({str(log)!r}, "a") as fh:
                    for r in reminders:
                        fh.write(f"{{r.id}}\\n")
                    fh.flush()
                    os.fsync(fh.fileno())
                await asyncio.sleep(0.005)
                return True
            async def send_nudges(self, batch, still_ours): return False
            async def send_digest(self, due, digest, still_ours): return False

        async def main():
            store = await Store({target!r}).open()
            hiring = Hiring(store)
            async with store.transaction() as tx:  # an opening as publishing leaves it
                oid = await tx.insert_opening("Nurse", {{}}, "UMGR", "C1", False, datetime.now(timezone.utc))
            op = await hiring.opening(oid)
            now = datetime.now(timezone.utc)
            async with store.transaction() as tx:
                for i in range(200):
                    await tx.insert_reminder(f"U{{i}}", op.id, None, None, None, now, now, now)
            followups = Followups(hiring, replica=Replica("replica-1"))  # restarted below under its id
            await Scheduler(followups, Digests(hiring, followups), FileOutbox()).start()
            await asyncio.sleep(60)
        asyncio.run(main())
    """)
    kill_9_when(child, lambda: log.exists() and len(log.read_text().split()) >= 50)
    before = len(log.read_text().split())
    assert 50 <= before < 200, "killed mid-way"

    async def finish() -> None:
        from bot.leases import Replica
        from tests.bot.conftest import Clock, make_world

        # The same replica id: at start it takes back the claims the killed process held.
        world = await make_world(db, Clock(datetime.now(UTC)), replica=Replica("replica-1"))
        await world.scheduler.start()
        with open(log, "a") as fh:  # noqa: ASYNC230 - a few lines in a child process, no loop to block
            for _, rs in world.outbox.reminders:
                fh.writelines(f"{r.id}\n" for r in rs)
        await world.scheduler.stop()
        async with world.store.transaction() as tx:
            assert (await tx._one("SELECT COUNT(*) AS n FROM reminders WHERE status = 'pending'"))["n"] == 0
        await world.store.close()

    asyncio.run(finish())
    counts = Counter(log.read_text().split())
    assert set(counts) == {str(i) for i in range(1, 201)}, "every reminder went out"
    assert sum(n - 1 for n in counts.values()) <= 1, "only the one in flight at the kill may repeat"


async def test_snooze_counts_working_days_from_friday(world: World) -> None:
    op = await world.opening()
    a, b = await world.candidate(op, "A"), await world.candidate(op, "B")
    world.clock.now = world.clock.now.replace(day=6, hour=11, minute=47)  # Friday 11:47
    await world.followups.sla.snooze(a, "UMGR", 1)
    await world.followups.sla.snooze(b, "UMGR", 3)
    async with world.store.transaction() as tx:
        until = {x: (await tx.sla_state(x))["snoozed_until"] for x in (a, b)}
    assert until == {a: "2026-11-09T11:47:00+00:00", b: "2026-11-11T11:47:00+00:00"}  # Mon, Wed 11:47


async def test_reminders_due_while_off_arrive_together_at_the_start_of_the_working_day(world: World) -> None:
    op = await world.opening()
    for n in range(8):
        await world.followups.reminders.remind("UMGR", f"OP-{op}", f"in {n + 1}h thing {n}")  # Mon 11:00…18:00
    world.clock.advance(days=2, hours=12)  # Wed 22:00: all fell due, none sent yet (the clock jumped)
    await world.scheduler.tick()
    assert world.outbox.reminders == [], "nothing goes out at night"
    assert await world.followups.reminders.next_reminder_due() == world.clock.now.replace(day=5, hour=9)
    world.clock.advance(hours=11)  # Thu 09:00
    await world.scheduler.tick()
    [(user, sent)] = world.outbox.reminders
    assert user == "UMGR" and len(sent) == 8 and all(r.held for r in sent)
