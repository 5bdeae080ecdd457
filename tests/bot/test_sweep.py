"""The SLA sweep as a query: the database pre-filters (entered at least ``limit`` days ago, not
snoozed, the manager not nudged already, or an escalation due) and the rule decides. These check
that the pre-filter never hides anyone the rule would nudge: against the rule worked out here
from working days alone, across time zones, a daylight-saving change, a night shift, a Sun–Thu
week and a one-day week, to the second at its boundaries, and at 5,000 active applications."""

from __future__ import annotations

import gc
import random
from datetime import UTC, datetime, timedelta

import pytest

from bot import sla as sla_module
from bot.clock import iso
from bot.people import Person
from bot.sla import DEFAULT_SLA

from .conftest import World

STAGES = ["applied", "screen", "interview", "offer"]


async def add_opening(world: World, manager: str, title: str = "Role") -> int:
    async with world.store.transaction() as tx:
        return await tx.insert_opening(title, {}, manager, "CJOBS", False, world.clock.now)


async def add_apps(world: World, opening: int, entered: list[tuple[datetime, str]], by: str = "UMGR") -> list[int]:
    """Applications that entered ``stage`` at ``when``, written straight through storage (fast)."""
    async with world.store.transaction() as tx:
        return [(await tx.insert_application(opening, f"Cand {i}", None, None, None, stage, by, when))["id"]
                for i, (when, stage) in enumerate(entered)]


async def swept(world: World) -> dict[str, list[int]]:
    """One sweep, nothing marked: who would be DMed about which applications."""
    out: dict[str, list[int]] = {}
    for batch in await world.followups.sla.sweep():
        out[batch.user_id] = [i.application_id for i in batch.items]
    return out


async def people(world: World) -> dict[str, Person]:
    async with world.store.transaction() as tx:
        prefs = await tx.all_prefs()
    who = world.followups.people.lookup(prefs)
    return {u: who(u) for u in ["UUTC", "UTOKYO", "UNY", "UNIGHT", "USUNTHU", "UEVERY", "UDIGEST", "UOFF"]}


async def test_the_sweep_nudges_exactly_whom_the_rule_names_in_every_zone_and_week(world: World) -> None:
    """Candidates entered at random seconds in the ten days before each moment checked, and at
    ``limit`` and ``limit + 1`` days (±1 s, ±1 h) before it; moments across weeks and
    daylight-saving changes both ways (New York: on 8 Mar, off 1 Nov 2026; Auckland on 27 Sep).
    What goes out equals the rule applied to everyone."""
    settings = {
        "UTOKYO": {"tz": "Asia/Tokyo"},
        "UNY": {"tz": "America/New_York"},
        "UNIGHT": {"tz": "Europe/London", "work_start": "22:00", "work_end": "06:00",
                   "work_days": "mon,tue,wed,thu,fri"},
        "USUNTHU": {"tz": "Asia/Jerusalem", "work_start": "08:00", "work_end": "17:00",
                    "work_days": "sun,mon,tue,wed,thu"},
        "UEVERY": {"tz": "Pacific/Auckland", "work_start": "00:00", "work_end": "23:59",
                   "work_days": "mon,tue,wed,thu,fri,sat,sun"},
        "UDIGEST": {"notify": "digest-only"},
        "UOFF": {"notify": "off"},
    }
    async with world.store.transaction() as tx:
        for user, fields in settings.items():
            await tx.set_prefs(user, tz_checked_at="2999-01-01T00:00:00+00:00", **fields)
    moments = [datetime(2026, mo, d, h, m, s, tzinfo=UTC)
               for mo, d, h, m, s in ((11, 2, 10, 0, 0), (11, 3, 3, 30, 0), (11, 4, 14, 0, 1), (11, 5, 22, 45, 0),
                                      (11, 6, 23, 59, 59), (11, 8, 6, 0, 0), (11, 9, 9, 0, 0), (11, 10, 13, 30, 0),
                                      (9, 29, 0, 0, 0), (9, 30, 12, 0, 0), (3, 10, 15, 0, 0), (3, 11, 14, 30, 0))]
    rng = random.Random(15)
    openings: dict[int, str] = {}
    apps: dict[int, tuple[int, str, datetime]] = {}
    for manager in ["UUTC", *settings]:
        for _ in range(2):
            op = await add_opening(world, manager)
            openings[op] = manager
            entered = []
            for now in moments:
                entered += [(now - timedelta(seconds=rng.randrange(10 * 86400)), rng.choice(STAGES)) for _ in range(6)]
                for stage, days in DEFAULT_SLA.items():
                    for k in (days, days + 1):
                        for nudge in (0, 1, -1, 3600, -3600):
                            entered.append((now - timedelta(days=k, seconds=nudge), stage))
            for aid, (when, stage) in zip(await add_apps(world, op, entered, manager), entered, strict=True):
                apps[aid] = (op, stage, when)
    first = min(openings)
    await world.followups.sla.set_limit(openings[first], first, "screen", "1")  # one opening's own limit
    await world.followups.sla.set_limit("UADMIN", None, "interview", "4")  # and a global one
    limits = {(op, s): d for op in openings for s, d in DEFAULT_SLA.items()}
    limits.update({(op, "interview"): 4 for op in openings})
    limits[(first, "screen")] = 1
    who = await people(world)

    checked, seen = 0, set()
    for now in moments:
        world.clock.now = now
        expected: dict[str, list[int]] = {}
        for aid, (op, stage, when) in sorted(apps.items()):
            boss = who[openings[op]]
            if when > now or boss.working_days_between(when, now) <= limits[(op, stage)]:
                continue
            if boss.notify == "off" or not boss.is_working(now):
                continue
            if boss.notify == "digest-only" and boss.hours.working_date(now.astimezone(boss.tz)).weekday() != 0:
                continue
            expected.setdefault(openings[op], []).append(aid)
        got = await swept(world)
        assert {u: sorted(a) for u, a in got.items()} == expected, now
        checked += sum(len(a) for a in expected.values())
        seen |= set(got)
    assert checked > 300 and seen == {"UUTC", *settings} - {"UOFF"}, "every kind of week had someone to nudge"


async def test_a_one_day_week_waits_weeks_not_days(world: World) -> None:
    """The pre-filter is only a lower bound: a manager who works Mondays has had one working day
    a week after the candidate entered, so limit 2 is passed on the third Monday, not sooner."""
    async with world.store.transaction() as tx:
        await tx.set_prefs("UMGR", work_days="mon", tz_checked_at="2999-01-01T00:00:00+00:00")
    op = await add_opening(world, "UMGR")
    [a] = await add_apps(world, op, [(world.clock.now, "applied")])  # Mon 2 Nov 10:00
    world.clock.now = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)  # 2 working days: at the limit
    assert await swept(world) == {}
    world.clock.now = datetime(2026, 11, 23, 9, 59, 59, tzinfo=UTC)  # the 3rd Monday is not over yet
    assert await swept(world) == {}
    world.clock.now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert await swept(world) == {"UMGR": [a]}


async def test_a_snooze_ends_to_the_second_and_a_done_restarts_the_clock(world: World) -> None:
    op = await world.opening()
    a, b = await world.candidate(op, "A"), await world.candidate(op, "B")  # Mon 10:00, applied (limit 2)
    world.clock.advance(days=3)  # Thu 10:00: 3 working days > 2
    assert await swept(world) == {"UMGR": [a, b]}
    await world.followups.sla.snooze(a, "UMGR", 1)  # until Fri 10:00:00
    await world.followups.sla.done(b, "UMGR")  # followed up Thu 10:00: past again Mon 10:00
    world.clock.advance(days=1, seconds=-1)
    assert await swept(world) == {}
    world.clock.advance(seconds=1)
    assert await swept(world) == {"UMGR": [a]}
    world.clock.now = datetime(2026, 11, 10, 9, 59, 59, tzinfo=UTC)  # Tue: 2 working days after Done, at the limit
    assert await swept(world) == {"UMGR": [a]}
    world.clock.advance(seconds=1)
    assert await swept(world) == {"UMGR": [a, b]}


async def test_each_opening_its_own_limit_else_the_global_one(world: World) -> None:
    own, other = await world.opening(), await world.opening(title="Data Analyst")
    await world.followups.sla.set_limit("UMGR", own, "interview", "1")
    await world.followups.sla.set_limit("UADMIN", None, "interview", "4")
    a = await world.candidate(own, "A", stage="interview")  # Mon 10:00
    b = await world.candidate(other, "B", stage="interview")
    world.clock.advance(days=2)  # Wed 10:00: 2 working days
    assert await swept(world) == {"UMGR": [a]}
    world.clock.advance(days=5, seconds=-1)  # Mon 09:59:59: 4 working days, at the global limit
    assert await swept(world) == {"UMGR": [a]}
    world.clock.advance(seconds=1)  # Mon 10:00: 5 > 4
    assert await swept(world) == {"UMGR": [a, b]}


async def test_the_recruiter_hears_later_the_same_day_the_manager_was_nudged(world: World) -> None:
    """Escalations are read even when the manager is left alone today: the recruiter in Los Angeles
    starts work at 17:00 UTC, after the manager's third nudge of the morning (escalate_after=2)."""
    op = await world.opening()
    await world.hiring.team_add(op, "UMGR", "UREC", "recruiter")
    async with world.store.transaction() as tx:
        await tx.set_prefs("UREC", tz="America/Los_Angeles", tz_checked_at="2999-01-01T00:00:00+00:00")
    a = await world.candidate(op)
    for when in ("2026-11-05T10:00:00", "2026-11-06T10:00:00", "2026-11-09T10:00:00"):  # Thu, Fri, Mon
        world.clock.now = datetime.fromisoformat(when).replace(tzinfo=UTC)
        assert await nudge_and_mark(world) == {"UMGR": [a]}, when
    world.clock.now = datetime(2026, 11, 9, 16, 59, tzinfo=UTC)  # 08:59 in Los Angeles
    assert await nudge_and_mark(world) == {}
    world.clock.advance(minutes=1)
    assert await nudge_and_mark(world) == {"UREC": [a]}
    world.clock.advance(minutes=10)
    assert await nudge_and_mark(world) == {}, "told once"
    await world.followups.people.set_notify("UMGR", "off")  # nobody to nudge, nobody left to tell
    world.clock.advance(days=1)
    assert await nudge_and_mark(world) == {}


async def nudge_and_mark(world: World) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for batch in await world.followups.sla.sweep():
        assert await world.followups.sla.mark_nudged(batch)
        out[batch.user_id] = [i.application_id for i in batch.items]
    return out


async def test_marking_a_large_batch_in_short_transactions(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sla_module, "MARK_CHUNK", 2)
    op = await world.opening()
    ids = await add_apps(world, op, [(world.clock.now, "screen")] * 5)
    world.clock.advance(days=4, minutes=1)  # Fri 10:01: 4 working days > 3
    [batch] = await world.followups.sla.sweep()
    assert [i.application_id for i in batch.items] == ids
    assert await world.followups.sla.mark_nudged(batch)
    assert not await world.followups.sla.mark_nudged(batch), "once per batch"
    async with world.store.transaction() as tx:
        states = [await tx.sla_state(a) for a in ids]
    assert [(s["stage"], s["last_nudged_on"], s["ignored"]) for s in states if s] == [("screen", "2026-11-06", 1)] * 5
    assert await swept(world) == {}, "once per working day"


async def test_a_sweeps_items_are_kept_where_the_garbage_collector_does_not_walk_them(world: World) -> None:
    """A sweep at 100,000 overdue applications holds all their items until the DMs are sent;
    kept as objects, each full collection walked them all and blocked the loop. They are kept
    as plain tuples the collector stops tracking once they survive a collection, and read as
    items like any list: by index, by slice, in order, with every field."""
    op = await world.opening()
    ids = await add_apps(world, op, [(world.clock.now, "screen")] * 3)
    world.clock.advance(days=4, minutes=1)  # Fri 10:01: 4 working days > 3
    [batch] = await world.followups.sla.sweep()
    gc.collect()
    rows = batch.items._rows  # type: ignore[attr-defined]
    assert len(rows) == 3 and not any(gc.is_tracked(r) for r in rows)
    items = list(batch.items)
    assert [i.application_id for i in items] == ids and len(batch.items) == 3
    assert batch.items[1] == items[1] and batch.items[1:] == items[1:] and batch.items[-1] == items[-1]
    assert batch.items == items and batch.items != items[1:]
    first = items[0]
    assert (first.ref, first.stage, first.waited, first.limit, first.kind, first.manager, first.opening_id) == (
        f"APP-{ids[0]}", "screen", 4, 3, "nudge", "UMGR", op)
    assert await world.followups.sla.mark_nudged(batch)


async def test_5000_active_applications_few_of_them_overdue(world: World) -> None:
    """Thousands that entered their stage in the last day (read by no sweep: too recent), and a
    dozen older ones: the snoozed, the followed-up, the forgotten, the closed opening's and the
    one moved on are not nudged; the others are, once a day, and the digest and App Home agree."""
    world.clock.now = datetime(2026, 11, 9, 10, 0, tzinfo=UTC)  # Monday
    now = world.clock.now
    rng = random.Random(5)
    ops = [await add_opening(world, "UMGR" if i % 2 else "UOTHER", f"Role {i}") for i in range(50)]
    young = [(now - timedelta(seconds=rng.randrange(86400)), rng.choice(STAGES)) for _ in range(4988)]
    by_op: dict[int, list[tuple[datetime, str]]] = {}
    for i, entry in enumerate(young):
        by_op.setdefault(ops[i % 50], []).append(entry)
    for op, entries in by_op.items():
        await add_apps(world, op, entries)
    old = await add_apps(world, ops[7], [(now - timedelta(days=7), "screen")] * 6)  # UMGR's
    old += await add_apps(world, ops[8], [(now - timedelta(days=7), "offer")] * 6)  # UOTHER's
    snoozed, done, forgotten, moved, closed_op = old[0], old[1], old[2], old[6], ops[9]
    await add_apps(world, closed_op, [(now - timedelta(days=7), "applied")])
    async with world.store.transaction() as tx:
        await tx.put_sla_state(snoozed, "screen", snoozed_until=iso(now + timedelta(hours=1)))
        await tx.put_sla_state(done, "screen", acked_at=iso(now - timedelta(hours=1)))
        await tx.forget_application(forgotten, now)
        await tx.move_application(moved, "offer", "hired", "UOTHER", None, now)
        await tx.set_opening_status(closed_op, "filled", now)
    due = {"UMGR": old[3:6], "UOTHER": old[7:12]}
    assert await swept(world) == due
    assert await nudge_and_mark(world) == due
    world.clock.advance(hours=2)  # the snooze is over; everyone else was nudged today
    assert await swept(world) == {"UMGR": [snoozed]}
    digest = await world.digests.build(None)
    in_closed = len(by_op[closed_op]) + 1
    assert digest.waiting == 9 and sum(digest.totals.values()) == 4988 + 12 + 1 - in_closed - 1  # not the forgotten
    home = await world.hiring.home("UMGR")  # 3+ working days in stage, whatever snoozes and Done say
    assert home["waiting_total"] == 5 and {a.id for _, a, _ in home["waiting"]} == {snoozed, done, *old[3:6]}
    assert len(home["openings"]) == 25
