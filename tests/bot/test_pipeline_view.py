"""What a pipeline shows, read together (bot.storage.Store.pipeline_view): the same rows as the
reads one by one, on either backend; on PostgreSQL in one statement with no transaction around it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import stages
from bot.errors import Forbidden, NotFound
from bot.hiring import Hiring
from bot.model import DefaultWorkingTime
from bot.storage import Store
from bot.storage.drivers import PostgresDriver


async def _opening(store: Store) -> int:
    """OP whose creator has left its team, two interviewers who joined together and a manager
    who joined after them (the team is ordered by when, then by id, and both orders differ from
    the ids'), candidates in three stages (one forgotten), and working-time preferences for the
    manager, the creator and someone off the team."""
    t0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
    async with store.transaction() as tx:
        op = await tx.insert_opening("Engineer", {"title": "Engineer"}, "UCREATOR", "C1", False, t0)
        await tx.insert_opening("Other", {}, "UOTHER", "C2", False, t0)
        assert await tx.remove_member(op, "UCREATOR")
        await tx.set_member(op, "UZED", "interviewer", "UCREATOR", t0)
        await tx.set_member(op, "UBBB", "interviewer", "UCREATOR", t0)
        await tx.set_member(op, "UAAA", "manager", "UCREATOR", t0 + timedelta(minutes=1))
        for i, stage in enumerate(["applied"] * 4 + ["screen"] * 3 + ["offer"]):
            row = await tx.insert_application(op, f"Candidate {i} 'ünï'", f"c{i}@x.org", None, None, stage, "UAAA",
                                              t0 + timedelta(hours=8 - i))
            if i == 1:
                await tx._run("UPDATE applications SET forgotten_at = ? WHERE id = ?", (t0.isoformat(), row["id"]))
        await tx.set_prefs("UAAA", work_start="08:00", work_end="16:00", tz="Europe/Paris")
        await tx.set_prefs("UCREATOR", notify="off")
        await tx.set_prefs("UOTHER", tz="Asia/Tokyo")
    return op


async def _one_by_one(store: Store, op: int, first: int) -> tuple[Any, ...]:
    async with store.reading() as tx:
        opening = await tx.opening(op)
        team, counts = await tx.team_and_counts(op)
        rows = await tx.first_applications_per_stage(op, first, stages.STAGES)
        prefs = {u: await tx.prefs(u) for u in ("UAAA", "UBBB", "UZED", "UCREATOR")}
    return opening, team, counts, rows, {u: p for u, p in prefs.items() if p is not None}


@pytest.mark.parametrize("first", [1, 2, 10])
async def test_the_view_holds_what_the_reads_one_by_one_give(tmp_path: Path, first: int) -> None:
    store = await Store(tmp_path / "h.db").open()
    try:
        op = await _opening(store)
        view = await store.pipeline_view(op, first, stages.STAGES)
        assert view is not None
        assert tuple(view) == await _one_by_one(store, op, first)
        assert [m["user_id"] for m in view.team] == ["UBBB", "UZED", "UAAA"]
        assert view.counts == {"applied": 3, "screen": 3, "offer": 1}
        assert set(view.prefs) == {"UAAA", "UCREATOR"}
        assert await store.pipeline_view(op + 99, first, stages.STAGES) is None
        assert (await store.pipeline_view(op, first, ()) or view).applications == []
    finally:
        await store.close()


async def test_on_postgresql_the_view_is_one_statement_outside_a_transaction(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = await Store(tmp_path / "h.db").open()
    try:
        if store.dialect != "postgresql":
            pytest.skip("PostgreSQL only: on SQLite a statement is an in-process call")
        op = await _opening(store)
        sent: list[str] = []
        fetch, begin = PostgresDriver.fetch, PostgresDriver.begin

        async def counted_fetch(self: PostgresDriver, sql: str, args: Any) -> list[dict[str, Any]]:
            sent.append(sql)
            return await fetch(self, sql, args)

        async def counted_begin(self: PostgresDriver, write: bool) -> None:
            sent.append("BEGIN")
            await begin(self, write)

        monkeypatch.setattr(PostgresDriver, "fetch", counted_fetch)
        monkeypatch.setattr(PostgresDriver, "begin", counted_begin)
        view = await store.pipeline_view(op, 2, stages.STAGES)
        assert view is not None and len(view.applications) == 5
        assert len(sent) == 1 and sent[0].startswith("SELECT json_build_array(")
    finally:
        await store.close()


async def test_a_pipeline_counts_days_in_the_managers_working_time(tmp_path: Path) -> None:
    """The first few per stage (read together) and every candidate (read one by one) give the
    same opening and candidates, and both count days in the manager's working time, from the
    manager's own preferences (not the creator's, who has left the team)."""
    store = await Store(tmp_path / "h.db").open()
    try:
        op_id = await _opening(store)
        hiring = Hiring(store)
        asked: list[tuple[str, dict[str, Any] | None]] = []

        def working_time(user: str, row: dict[str, Any] | None) -> DefaultWorkingTime:
            asked.append((user, row))
            return DefaultWorkingTime()

        hiring.working_time = working_time
        op, firsts = await hiring.pipeline(op_id, "UBBB", first=10)
        every_op, every = await hiring.pipeline(op_id, "UBBB")
        assert [a.id for s in stages.STAGES for a in firsts[s]] == [a.id for s in stages.STAGES for a in every[s]]
        assert (op.manager, op.counts, op.members) == (every_op.manager, every_op.counts, every_op.members)
        assert [(user, (row or {}).get("tz")) for user, row in asked] == [("UAAA", "Europe/Paris")] * 2
        with pytest.raises(Forbidden):
            await hiring.pipeline(op_id, "UOTHER", first=10)
        with pytest.raises(NotFound):
            await hiring.pipeline(op_id + 99, "UBBB", first=10)
    finally:
        await store.close()
