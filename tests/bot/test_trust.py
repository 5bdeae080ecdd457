"""Forgotten means gone, and the hiring team's invariants hold, at the domain level."""

from __future__ import annotations

import pytest

from bot.errors import BadInput, Forbidden, NotFound
from tests import databases

from .conftest import World

NAME, EMAIL = "Zelda Quartermain", "zelda.q@example.org"


def mentions(path: str, *secrets: str) -> list[str]:
    """Every (table.column) whose text still holds one of ``secrets``, case-insensitively."""
    found = []
    for table, column in databases.text_columns(path):
        for secret in secrets:
            n = databases.query(path, f'SELECT COUNT(*) FROM "{table}" WHERE strpos(lower("{column}"), lower(?)) > 0'
                                if databases.BACKEND == "postgresql" else
                                f'SELECT COUNT(*) FROM "{table}" WHERE instr(lower("{column}"), lower(?)) > 0',
                                secret)[0][0]
            if n:
                found.append(f"{table}.{column}")
    return found


async def test_forget_erases_the_person_from_every_text_column(world: World) -> None:
    op = await world.opening()
    await world.hiring.team_add(op, "UMGR", "URECRUIT", "recruiter")
    _, app = await world.hiring.add_candidate(op, "UMGR", NAME, EMAIL, "met Zelda Quartermain at a meetup")
    await world.hiring.note_application(app.id, "UMGR", f"{NAME} asked for a remote start; mail {EMAIL}")
    await world.hiring.move(app.id, "UMGR", "screen", f"call with {NAME} went well")
    await world.followups.reminders.remind("UMGR", app.ref, f"in 2d ask {NAME} about notice")
    opening = await world.hiring.opening(op)
    assert opening.message_ts
    await world.hiring.thread_reply(opening.channel_id or "", opening.message_ts, "URECRUIT",
                                    f"I referred {NAME.upper()} last year", "1800.1")
    await world.hiring.export(app.id, "URECRUIT")
    assert mentions(str(world.path), NAME, EMAIL), "the fixture really wrote the name somewhere"

    await world.hiring.forget(app.id, "URECRUIT")

    assert mentions(str(world.path), NAME, EMAIL) == []
    after = await world.hiring.opening(op)
    assert after.total == 0, "a forgotten application leaves the counts"
    _, by_stage = await world.hiring.pipeline(op, "UMGR")
    assert all(apps == [] for apps in by_stage.values())
    record = await world.hiring.export(app.id, "URECRUIT")
    assert record["candidate_name"] is None and record["notes"] == [] and record["forgotten_at"]
    async with world.store.transaction() as tx:
        audit = await tx.audit_for(app.ref)
    forget = [a for a in audit if a["action"] == "application.forget"]
    assert len(forget) == 1 and forget[0]["actor"] == "URECRUIT" and forget[0]["at"]


async def test_forget_is_for_recruiters_and_checked_before_asking(world: World) -> None:
    op = await world.opening()
    app = await world.candidate(op, NAME)
    with pytest.raises(Forbidden):
        await world.hiring.may_forget(app, "UMGR")  # a manager is not a recruiter
    await world.hiring.team_add(op, "UMGR", "URECRUIT", "recruiter")
    _, asked = await world.hiring.may_forget(app, "URECRUIT")
    assert asked.candidate_name == NAME, "asking changes nothing"
    await world.hiring.forget(app, "URECRUIT")
    with pytest.raises(BadInput):
        await world.hiring.may_forget(app, "URECRUIT")


async def test_an_opening_always_keeps_a_manager(world: World) -> None:
    op = await world.opening()
    with pytest.raises(BadInput) as err:
        await world.hiring.team_add(op, "UMGR", "UMGR", "recruiter")
    assert err.value.code == "last_manager"
    await world.hiring.team_add(op, "UMGR", "UNEW", "manager")
    after = await world.hiring.opening(op)
    assert after.manager == "UNEW" and {m.user_id: m.role for m in after.members}["UMGR"] == "recruiter"


async def test_the_same_person_twice_on_one_opening_is_refused_with_the_existing_id(world: World) -> None:
    op = await world.opening()
    _, first = await world.hiring.add_candidate(op, "UMGR", NAME, EMAIL)
    with pytest.raises(BadInput) as by_email:
        await world.hiring.add_candidate(op, "UMGR", "Z. Quartermain", EMAIL.upper())
    assert by_email.value.code == "duplicate_candidate" and by_email.value.params["existing"] == first.ref
    _, nameless = await world.hiring.add_candidate(op, "UMGR", "Ada Lovelace")
    with pytest.raises(BadInput) as by_name:
        await world.hiring.add_candidate(op, "UMGR", "ada  lovelace")
    assert by_name.value.params["existing"] == nameless.ref
    with pytest.raises(BadInput) as outsider:
        await world.hiring.add_candidate(op, "UOUTSIDER", "Ada Lovelace")
    assert outsider.value.params["existing"] is None, "an outsider does not learn the candidate's id"


async def test_the_same_person_on_another_opening_is_shown_to_the_team(world: World) -> None:
    first, second = await world.opening(), await world.opening(title="Data Analyst")
    _, a = await world.hiring.add_candidate(first, "UMGR", NAME, EMAIL)
    _, b = await world.hiring.add_candidate(second, "UMGR", NAME, EMAIL)
    assert [(op.id, app.id) for op, app in await world.hiring.elsewhere(b.id, "UMGR")] == [(first, a.id)]
    assert await world.hiring.elsewhere(b.id, "UOUTSIDER") == []


async def test_thread_replies_that_will_not_be_kept_raise(world: World) -> None:
    op = await world.hiring.opening(await world.opening())
    ts = op.message_ts or ""
    with pytest.raises(Forbidden):
        await world.hiring.thread_reply(op.channel_id or "", ts, "UOUTSIDER", "hello", "1800.1")
    with pytest.raises(NotFound):
        await world.hiring.thread_reply(op.channel_id or "", ts, "UMGR", "APP-999 who?", "1800.2")
    assert await world.hiring.thread_reply(op.channel_id or "", ts, "UMGR", "budget ok", "1800.3") == op.ref
