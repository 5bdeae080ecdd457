"""/metrics, /healthz and /readyz of the real app over HTTP, after a scenario that exercises what
they count: commands and actions, a forged request, Web API calls (one failing), a reminder
delivered by APScheduler's own job (lag), an error in the background, and readiness."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from handlers import ops
from handlers.local.fake_slack import FakeSlack

from .conftest import Bot
from .running import hirebot_run, stop
from .test_candidates import say
from .test_posting import post_opening

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(bot: Bot) -> tuple[str, Samples]:
    async with bot.http.get(bot.url + "/metrics") as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await r.text()
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return text, samples


def value(samples: Samples, metric: str, **labels: str) -> float:
    return samples.get((metric, frozenset(labels.items())), 0.0)


def total(samples: Samples, metric: str, **labels: str) -> float:
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == metric and want <= ls)


async def scrape_until(bot: Bot, ready: Callable[[Samples], bool], within: float = 10) -> Samples:
    deadline = time.monotonic() + within
    while True:
        _, samples = await scrape(bot)
        if ready(samples):
            return samples
        assert time.monotonic() < deadline, "the metric never arrived"
        await asyncio.sleep(0.05)


async def test_metrics_count_requests_api_calls_followups_and_errors(bot: Bot) -> None:
    op = await post_opening(bot)
    await say(bot, f'add "Ada Lovelace" OP-{op} ada@example.com')
    await say(bot, "move APP-1 screen")
    await say(bot, "remind APP-1 in 2d chase references")
    forged = await bot.post("command=%2Fhiring&text=help", "application/x-www-form-urlencoded", secret="wrong")
    assert forged.status == 401

    # The reminder falls due; the first DM attempt fails for good (user_not_found): an error.
    bot.clock.advance(days=3)
    bot.slack.fail_next["conversations.open"] = ["user_not_found"]
    await bot.ctx.scheduler.tick()
    # Once its retry is due, APScheduler's own job delivers it (armed for "now"), so its lag is measured.
    bot.clock.advance(hours=6)
    mark = bot.mark()
    await bot.ctx.scheduler.rearm()
    await bot.slack.wait_for("chat.postMessage", lambda c: c.args["channel"] == "DUMANAGER", after=mark)

    s = await scrape_until(bot, lambda s: value(s, "hirebot_followups_sent_total", kind="reminders") == 1
                           and value(s, "hirebot_scheduler_runs_total", job="reminders", outcome="ok") >= 1)
    for name in ("post", "add", "move", "remind"):
        assert value(s, "hirebot_requests_total", kind="command", name=name, outcome="ok") == 1, name
    assert value(s, "hirebot_requests_total", kind="action", name="draft_post", outcome="ok") == 1
    assert value(s, "hirebot_requests_total", kind="command", name="-", outcome="401") == 1, \
        "a forged request is counted, but may not choose a label"
    accepted = total(s, "hirebot_requests_total") - value(s, "hirebot_requests_total", kind="command", name="-",
                                                          outcome="401")
    assert accepted == 5
    # Every accepted request's ack is timed; a refused one is too if it got as far as bolt.
    assert total(s, "hirebot_ack_seconds_count") in (accepted, accepted + 1)
    assert value(s, "hirebot_ack_seconds_count", kind="action") == 1

    assert value(s, "hirebot_slack_api_calls_total", method="conversations.open", status="user_not_found") == 1
    assert value(s, "hirebot_slack_api_calls_total", method="conversations.open", status="ok") == 1
    # the card, and the reminder's DM
    assert value(s, "hirebot_slack_api_calls_total", method="chat.postMessage", status="ok") >= 2
    for kind, sent in bot.ctx.scheduler.sent.items():  # read from the scheduler's own counters
        assert value(s, "hirebot_followups_sent_total", kind=kind) == sent
    assert value(s, "hirebot_scheduler_lag_seconds_count", job="reminders") >= 1
    assert value(s, "hirebot_errors_total", kind="background", name="-") >= 1, "the failed DM was logged and counted"
    assert value(s, "hirebot_scheduler_running") == 1
    assert value(s, "hirebot_scheduler_jobs", job="sweep") == 1
    assert value(s, "hirebot_db_busy_total") == 0
    # Backpressure: nothing waits for room now, and the bound is the memory bound until a pace is
    # known (16 items), then at least 8 per slot (bot/admission.py).
    await bot.settled()  # every request's work after its ack is done
    s = await scrape_until(bot, lambda s: True)
    assert value(s, "hirebot_work_waiting_for_room") == 0 and value(s, "hirebot_work_backlog") == 0
    assert value(s, "hirebot_work_backlog_limit") >= 8
    began = total(s, "hirebot_db_wait_seconds_count")
    assert began >= 6 and total(s, "hirebot_db_transaction_seconds_count") >= began - 1  # one may be open now
    assert value(s, "process_resident_memory_bytes") > 0

    text, _ = await scrape(bot)
    for private in ("Ada", "Lovelace", "ada@example.com", "chase references", "wrong"):
        assert private not in text


async def test_an_error_in_a_command_is_counted_against_it(bot: Bot) -> None:
    """The database goes away under a running bot: the command fails (before or after its ack) and
    is logged; the error counts for that command, and /healthz and /readyz say the database is
    unreachable."""
    from urllib.parse import urlencode

    op = await post_opening(bot)
    await say(bot, f'add "Ada Lovelace" OP-{op}')
    await bot.store.close()
    body = urlencode({"team_id": "T0001", "channel_id": "CJOBS", "user_id": "UMANAGER", "command": "/hiring",
                      "text": "move APP-1 screen", "response_url": bot.slack.response_url(), "trigger_id": "t"})
    answered = await bot.post(body, "application/x-www-form-urlencoded")
    s = await scrape_until(bot, lambda s: value(s, "hirebot_errors_total", kind="command", name="move") >= 1)
    outcome = "ok" if answered.status == 200 else str(answered.status)
    assert value(s, "hirebot_requests_total", kind="command", name="move", outcome=outcome) == 1
    async with bot.http.get(bot.url + "/healthz") as r:
        assert r.status == 503 and (await r.json())["db"] == "unreachable"
    async with bot.http.get(bot.url + "/readyz") as r:
        assert r.status == 503 and (await r.json())["db"] == "unreachable"


async def test_healthz_and_readyz(bot: Bot) -> None:
    async with bot.http.get(bot.url + "/healthz") as r:
        assert r.status == 200 and (await r.json())["db"] == "reachable"
    bot.slack.fail_next["auth.test"] = ["invalid_auth"]
    async with bot.http.get(bot.url + "/readyz") as r:
        body = await r.json()
        assert r.status == 503 and body["token"] == "invalid_auth" and body["db"] == "reachable"
    _, s = await scrape(bot)
    assert value(s, "hirebot_ready") == 0
    installed = next(o for o in ops._installed.values() if o.health.store is bot.store)
    assert await installed.health.check_token() is True  # Slack accepts it now (the probe retries every 30 s)
    async with bot.http.get(bot.url + "/readyz") as r:
        body = await r.json()
        assert r.status == 200 and body == {"ok": True, "db": "reachable", "scheduler": "running", "catch_up": "done",
                                            "inbox": "resumed", "token": "ok"}
    await bot.ctx.scheduler.stop()
    async with bot.http.get(bot.url + "/readyz") as r:
        assert r.status == 503 and (await r.json())["scheduler"] == "stopped"
    async with bot.http.get(bot.url + "/healthz") as r:
        assert r.status == 200, "liveness does not depend on the scheduler"


async def test_hirebot_run_serves_metrics_and_stops_cleanly_on_sigterm(slack: FakeSlack, tmp_path: Path) -> None:
    async with hirebot_run(slack, tmp_path / "run.db") as run:
        assert await run.command("help") == 200
        async with run.http.get(run.url + "/metrics") as r:
            text = await r.text()
        assert 'hirebot_requests_total{kind="command",name="help",outcome="ok"} 1.0' in text
        ready = await run.ready()  # hirebot run checks the token at start (and catches up after listening)
        assert ready["token"] == "ok" and ready["catch_up"] == "done"
        assert await stop(run.proc) == 0, "SIGTERM is a clean stop, not a crash"
    assert any("stopping" in line for line in run.stderr)
