"""Storage: migrations, transactions all-or-nothing, nothing committed lost on kill -9."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.hiring import Hiring
from bot.storage import MIGRATIONS, Store
from tests.crash import kill_9_when


async def test_migrations_apply_once_and_set_wal(tmp_path: Path) -> None:
    store = await Store(tmp_path / "h.db").open()
    async with store.transaction() as tx:
        assert (await tx._one("PRAGMA user_version"))["user_version"] == len(MIGRATIONS)
        assert (await tx._one("PRAGMA journal_mode"))["journal_mode"] == "wal"
    await store.close()
    again = await Store(tmp_path / "h.db").open()  # re-running migrations is a no-op
    await again.close()


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    store = await Store(tmp_path / "h.db").open()
    async with store.transaction() as tx:
        await tx._run(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    await store.close()
    with pytest.raises(RuntimeError, match="newer than this hirebot"):
        await Store(tmp_path / "h.db").open()


async def test_a_failing_command_writes_nothing(tmp_path: Path) -> None:
    store = await Store(tmp_path / "h.db").open()
    with pytest.raises(ZeroDivisionError):
        async with store.transaction() as tx:
            await tx.insert_opening("Half", {}, "U1", "C1", False, __import__("datetime").datetime.now())
            raise ZeroDivisionError("fails after the insert")
    async with store.transaction() as tx:
        assert await tx._all("SELECT * FROM openings") == []
        assert await tx._all("SELECT * FROM opening_members") == []
    await store.close()


def test_kill_9_loses_nothing_committed(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    marker = tmp_path / "committed"
    script = textwrap.dedent(f"""
        import asyncio, pathlib
        from datetime import datetime, timezone
        from bot.hiring import Hiring
        from bot.storage import Store
        async def main():
            store = await Store({str(db)!r}).open()
            hiring = Hiring(store)
            async with store.transaction() as tx:  # an opening as publishing leaves it
                oid = await tx.insert_opening("Nurse", {{}}, "U1", "C1", False, datetime.now(timezone.utc))
            op = await hiring.opening(oid)
            for i in range(50):
                await hiring.add_candidate(op.id, "U1", f"Person {{i}}")
            pathlib.Path({str(marker)!r}).write_text("50")
            while True:
                await hiring.add_candidate(op.id, "U1", "Extra")
        asyncio.run(main())
    """)
    kill_9_when(script, marker.exists, timeout=30, settle=0.2)

    import asyncio

    async def check() -> None:
        hiring = Hiring(await Store(db).open())
        _, by_stage = await hiring.pipeline(1, "U1")
        names = [a.candidate_name for a in by_stage["applied"]]
        assert [f"Person {i}" for i in range(50)] == names[:50]
        ids_ = [a.id for a in by_stage["applied"]]
        assert ids_ == sorted(ids_) and len(set(ids_)) == len(ids_)
        async with hiring.store.transaction() as tx:
            moves = await tx._all("SELECT COUNT(*) AS n FROM stage_moves")
            assert moves[0]["n"] == len(names), "every application has its audited first move"
        await hiring.store.close()

    asyncio.run(check())
