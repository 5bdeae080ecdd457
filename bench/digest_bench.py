"""One weekly digest for 200 openings × 10,000 applications: query + render time.

Goal (issue 5): < 200 ms. The baseline, measured in the same run on the same database, is the
per-opening way hirebot used to load lists (members, stage counts and applications: three
queries per opening); the digest uses a handful of grouped queries whatever the number of
openings. Both produce the same numbers, which the benchmark checks before timing.

    .venv/bin/python bench/digest_bench.py [--openings 200] [--applications 10000] [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import stages
from bot.clock import iso
from bot.digests import Digests
from bot.followups import Followups
from bot.hiring import Hiring
from bot.storage import Store
from handlers.slack.outbox import digest_blocks
from handlers.slack.render import Renderer


async def seed(path: Path, openings: int, applications: int) -> None:
    rng = random.Random(7)
    store = await Store(path).open()
    now = datetime.now(UTC)
    async with store.transaction() as tx:
        await tx._many(
            "INSERT INTO openings (title, data, channel_id, message_ts, permalink, created_by, created_at) "
            "VALUES (?, '{}', 'CJOBS', ?, ?, 'UMGR', ?)",
            [(f"Opening {i}", f"17000.{i}", f"https://x.slack.test/archives/CJOBS/p{i}",
              iso(now - timedelta(days=rng.randint(0, 60)))) for i in range(openings)])
        await tx._many("INSERT INTO opening_members (opening_id, user_id, role, added_by, added_at) "
                             "VALUES (?, ?, ?, 'UMGR', ?)",
                             [(o, u, r, iso(now)) for o in range(1, openings + 1)
                              for u, r in (("UMGR", "manager"), (f"UREC{o % 7}", "recruiter"))])
        apps, moves = [], []
        for a in range(1, applications + 1):
            stage = rng.choice(stages.STAGES)
            since = now - timedelta(days=rng.uniform(0, 20))
            apps.append((rng.randint(1, openings), f"Candidate {a}", stage, iso(since), iso(since - timedelta(days=3))))
            moves.append((a, "applied", stage, iso(since)))
        await tx._many("INSERT INTO applications (opening_id, candidate_name, stage, stage_since, created_by, "
                             "created_at) VALUES (?, ?, ?, ?, 'UMGR', ?)", apps)
        await tx._many("INSERT INTO stage_moves (application_id, from_stage, to_stage, actor, at) "
                             "VALUES (?, ?, ?, 'UMGR', ?)", moves)
    await store.close()


async def baseline(store: Store, since: datetime) -> dict[int, dict[str, int]]:
    """Per opening: members, stage counts, applications, moves (the N+1 way)."""
    out: dict[int, dict[str, int]] = {}
    async with store.transaction() as tx:
        rows = await tx.openings_for_digest("CJOBS", since)
        for r in rows:
            await tx.members(r["id"])
            out[r["id"]] = await tx.stage_counts(r["id"])
            await tx.applications(r["id"])
            await tx.moves_since([r["id"]], since)
    return out


async def main(openings: int, applications: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "digest.db"
        await seed(path, openings, applications)
        store = await Store(path).open()
        hiring = Hiring(store)
        followups = Followups(hiring)
        digests = Digests(hiring, followups)
        renderer = Renderer()

        digest = await digests.build("CJOBS")
        expected = await baseline(store, digest.since)
        assert {int(o.ref[3:]): o.counts for o in digest.openings} == expected, "digest counts differ from baseline"
        blocks = digest_blocks(renderer, digest, "UTC")
        assert len(blocks) <= 50

        base, query, render = [], [], []
        for _ in range(rounds):
            t0 = time.perf_counter()
            await baseline(store, digest.since)
            base.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            digest = await digests.build("CJOBS")
            t1 = time.perf_counter()
            digest_blocks(renderer, digest, "UTC")
            t2 = time.perf_counter()
            query.append(t1 - t0)
            render.append(t2 - t1)
        await store.close()
        b, q, r = (statistics.median(x) * 1000 for x in (base, query, render))
        print(f"digest of {len(digest.openings)} openings × {applications:,} applications "
              f"({digest.waiting:,} waiting past their limit), median of {rounds} rounds")
        print(f"baseline (3 queries per opening, no rendering): {b:.1f} ms")
        print(f"hirebot query + build:  {q:.1f} ms ({q / b:.2f}x baseline)")
        print(f"hirebot render:         {r:.1f} ms ({len(blocks)} blocks, {sum(len(str(x)) for x in blocks):,} chars)")
        print(f"hirebot total:          {q + r:.1f} ms ({(q + r) / b:.2f}x baseline; goal < 200 ms)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--openings", type=int, default=200)
    ap.add_argument("--applications", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=20)
    a = ap.parse_args()
    asyncio.run(main(a.openings, a.applications, a.rounds))
