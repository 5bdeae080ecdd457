"""What a pipeline shows, read together (bot.storage.Store.pipeline_view): the same rows as the
reads one by one, on either backend; on PostgreSQL in one statement with no transaction around it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import stages
from bot.storage import Store
from bot.storage.drivers import PostgresDriver


async def _opening(store: Store) -> int:
    """OP (its creator on its team) with a manager added after an interviewer, candidates in
    three stages (one forgotten), and working-time preferences for the manager, the creator and
    someone off the team."""
    t0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
    async with store.transaction() as tx:
        op = await tx.insert_opening("Engineer", {"title": "Engineer"}, "UCREATOR", "C1", False, t0)
        await tx.insert_opening("Other", {}, "UOTHER", "C2", False, t0)
        await tx.set_member(op, "UINT", "interviewer", "UCREATOR", t0)
        await tx.set_member(op, "UMGR", "manager", "UCREATOR", t0 + timedelta(minutes=1))
        for i, stage in enumerate(["applied"] * 4 + ["screen"] * 3 + ["offer"]):
            row = await tx.insert_application(op, f"Candidate {i} 'ünï'", f"c{i}@x.org", None, None, stage, "UMGR",
                                              t0 + timedelta(hours=8 - i))
            if i == 1:
                await tx._run("UPDATE applications SET forgotten_at = ? WHERE id = ?", (t0.isoformat(), row["id"]))
        await tx.set_prefs("UMGR", work_start="08:00", work_end="16:00", tz="Europe/Paris")
        await tx.set_prefs("UCREATOR", notify="off")
        await tx.set_prefs("UOTHER", tz="Asia/Tokyo")
    return op


async def _one_by_one(store: Store, op: int, first: int) -> tuple[Any, ...]:
    async with store.reading() as tx:
        opening = await tx.opening(op)
        team, counts = await tx.team_and_counts(op)
        rows = await tx.first_applications_per_stage(op, first, stages.STAGES)
        prefs = {u: await tx.prefs(u) for u in ("UMGR", "UINT", "UCREATOR")}
    return opening, team, counts, rows, {u: p for u, p in prefs.items() if p is not None}


@pytest.mark.parametrize("first", [1, 2, 10])
async def test_the_view_holds_what_the_reads_one_by_one_give(tmp_path: Path, first: int) -> None:
    store = await Store(tmp_path / "h.db").open()
    try:
        op = await _opening(store)
        view = await store.pipeline_view(op, first, stages.STAGES)
        assert view is not None
        assert tuple(view) == await _one_by_one(store, op, first)
        assert [m["user_id"] for m in view.team] == ["UCREATOR", "UINT", "UMGR"]  # the creator joins first
        assert view.counts == {"applied": 3, "screen": 3, "offer": 1}
        assert set(view.prefs) == {"UMGR", "UCREATOR"}
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
