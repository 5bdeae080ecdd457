"""Prometheus metrics for ``GET /metrics``, observed from outside the domain.

Nothing in ``bot/`` knows about Prometheus. Requests are timed around ``AsyncApp.async_dispatch``
(what both HTTP and Socket Mode call), Web API calls by wrapping ``api_call`` of the app's
client and of each per-request client, errors by a logging handler (listeners fail after their
ack, and bolt logs it), scheduler lag by an APScheduler event listener, and the follow-ups sent
by reading the scheduler's own counters at scrape time. One registry per app, so several apps
in one process (the tests) do not share counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from bot.admission import Admission
    from bot.scheduler import Scheduler

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Slack wants an ack within 3 s; the buckets resolve the range that matters around it.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0)
LAG_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0, 3600.0)


class SchedulerCollector(Collector):
    """Reads the scheduler at scrape time: what went out, whether it runs, how many jobs."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler

    def collect(self) -> Iterable[Metric]:
        sent = CounterMetricFamily("hirebot_followups_sent", "Follow-up messages delivered since start, by kind "
                                   "(reminders: DMs of due reminders; nudges: SLA nudge DMs; digests: digest runs "
                                   "posted)", labels=["kind"])
        for kind, n in sorted(self.scheduler.sent.items()):
            sent.add_metric([kind], n)
        yield sent
        running = GaugeMetricFamily("hirebot_scheduler_running", "1 while the follow-up scheduler is running")
        running.add_metric([], 1.0 if self.scheduler.aps.running else 0.0)
        yield running
        jobs = GaugeMetricFamily("hirebot_scheduler_jobs", "Wake-ups scheduled, by job kind", labels=["job"])
        counts: dict[str, int] = {}
        for job in self.scheduler.aps.get_jobs() if self.scheduler.aps.running else []:
            key = job.id.split(":", 1)[0]
            counts[key] = counts.get(key, 0) + 1
        for key, n in sorted(counts.items()):
            jobs.add_metric([key], n)
        yield jobs


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("hirebot_requests", "Slack requests handled, by kind (command, action, view, "
                                "event...), name (subcommand, action_id, callback_id, event type) and outcome "
                                "(ok, or the HTTP status bolt answered)", ["kind", "name", "outcome"], registry=r)
        self.errors = Counter("hirebot_errors", "Errors logged, by the request kind and name they happened in "
                              "(kind=background for the scheduler and other work outside a request)",
                              ["kind", "name"], registry=r)
        self.ack = Histogram("hirebot_ack_seconds", "Time from receiving a Slack request to its ack",
                             ["kind"], buckets=ACK_BUCKETS, registry=r)
        self.api_calls = Counter("hirebot_slack_api_calls", "Slack Web API calls, by method and status (ok, the "
                                 "Slack error code, or the exception's class)", ["method", "status"], registry=r)
        self.api_seconds = Histogram("hirebot_slack_api_seconds", "Slack Web API call duration (retries "
                                     "included)", ["method"], buckets=ACK_BUCKETS, registry=r)
        self.scheduler_lag = Histogram("hirebot_scheduler_lag_seconds", "How late a scheduled job started "
                                       "after its wake-up time", ["job"], buckets=LAG_BUCKETS, registry=r)
        self.scheduler_runs = Counter("hirebot_scheduler_runs", "Scheduled job runs, by job kind and outcome",
                                      ["job", "outcome"], registry=r)
        self.db_busy = Counter("hirebot_db_busy", "Database operations that failed with 'database is locked/busy' "
                               "after SQLite's own busy timeout (5 s) of retries", registry=r)
        self.db_wait = Histogram("hirebot_db_wait_seconds", "Time a transaction waited to begin: the store's "
                                 "queue (one connection, one transaction at a time) plus SQLite's BEGIN IMMEDIATE, "
                                 "busy retries included", ["priority"], buckets=ACK_BUCKETS, registry=r)
        self.db_held = Histogram("hirebot_db_transaction_seconds", "Time from BEGIN to COMMIT or ROLLBACK",
                                 ["priority"], buckets=ACK_BUCKETS, registry=r)
        self.work_backlog = Gauge("hirebot_work_backlog", "Commands and clicks acknowledged and not yet finished: "
                                  "waiting for one of the processing slots, or being processed", registry=r)
        self.work_limit = Gauge("hirebot_work_backlog_limit", "The backlog allowed before a new request waits for "
                                "room: a second of work at the measured pace (bot/admission.py)", registry=r)
        self.work_waiting = Gauge("hirebot_work_waiting_for_room", "Requests not yet acknowledged because the "
                                  "backlog is full (each waits at most a second)", registry=r)
        self.ready = Gauge("hirebot_ready", "1 when /readyz passes (database, scheduler, token)", registry=r)
        self.started = Gauge("hirebot_start_time_seconds", "Unix time hirebot started", registry=r)
        self.started.set(time.time())
        ProcessCollector(registry=r)

    def watch_backlog(self, admission: Admission) -> None:
        """Read the work backlog, its bound and who waits for room at scrape time (bot/admission.py)."""
        self.work_backlog.set_function(lambda: admission.pending)
        self.work_limit.set_function(admission.limit)
        self.work_waiting.set_function(admission.waiting)

    def watch_scheduler(self, scheduler: Scheduler) -> None:
        from apscheduler.events import (
            EVENT_JOB_ERROR,
            EVENT_JOB_EXECUTED,
            EVENT_JOB_MISSED,
            EVENT_JOB_SUBMITTED,
            JobEvent,
        )

        self.registry.register(SchedulerCollector(scheduler))

        def on_job(event: JobEvent) -> None:
            job = str(event.job_id).split(":", 1)[0]
            if event.code == EVENT_JOB_SUBMITTED:
                # Submitted = started now; the earliest of the (coalesced) due times is how late.
                due = min(event.scheduled_run_times, default=None)
                if due is not None:
                    self.scheduler_lag.labels(job).observe(max(time.time() - due.timestamp(), 0.0))
                return
            outcome = {EVENT_JOB_MISSED: "missed", EVENT_JOB_ERROR: "error"}.get(event.code, "ok")
            self.scheduler_runs.labels(job, outcome).inc()

        scheduler.aps.add_listener(on_job, EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
                                   | EVENT_JOB_MISSED)

    def watch_store(self, store: Any) -> None:
        """Time every write transaction of ``store`` (``Store.timed``): waiting to begin, and holding it."""
        if getattr(store, "_hirebot_timed", False):
            return
        wait, held = self.db_wait, self.db_held

        def timed(priority: str, waited: float, took: float) -> None:
            wait.labels(priority).observe(waited)
            held.labels(priority).observe(took)

        store.timed = timed
        store._hirebot_timed = True

    def wrap_client(self, client: Any) -> None:
        """Count every Web API call of ``client`` (an AsyncWebClient): all its helpers go through api_call."""
        if getattr(client, "_hirebot_counted", False):
            return
        original: Callable[..., Any] = client.api_call
        calls, seconds = self.api_calls, self.api_seconds

        async def api_call(api_method: str, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            status = "ok"
            try:
                return await original(api_method, *args, **kwargs)
            except Exception as exc:
                response = getattr(exc, "response", None)
                status = str(response.get("error") or "error") if response is not None else type(exc).__name__
                raise
            finally:
                calls.labels(api_method, status).inc()
                seconds.labels(api_method).observe(time.perf_counter() - started)

        client.api_call = api_call
        client._hirebot_counted = True

    def render(self) -> bytes:
        return generate_latest(self.registry)
