"""``/metrics``: Prometheus metrics of the web requests and of the work in the database.

Two kinds of figures:

* **per request**, counted by the worker that served it: ``rectiflow_http_requests_total`` and the
  latency histogram ``rectiflow_http_request_duration_seconds``, labelled by Flask endpoint (the
  route's name, never the raw path, so a scan of random URLs adds no series: an unmatched URL is
  ``endpoint="unmatched"``), method and status. gunicorn runs several worker processes and a scrape
  reaches one of them, so when ``PROMETHEUS_MULTIPROC_DIR`` is set (it must be, before the process
  starts, to an empty folder) every worker writes its counts there and each scrape adds them all
  up (prometheus-client's multiprocess mode); ``gunicorn_child_exit`` drops a dead worker's live
  files.
* **from the database**, read at scrape time (``workflows.metrics_data``) by a collector of its own,
  so every worker answers the same: open tasks by step and colour, the due-timer backlog and its
  lateness, open incidents, reminders and their mail, each scheduler replica's last tick.

Access: ``Authorization: Bearer <METRICS_TOKEN>`` (``web.config``; ``RECTIFLOW_METRICS_TOKEN``, at
least 16 characters), compared in constant time; 401 without it, 403 with another. Without a
configured token the route answers 404, as if it did not exist (metrics off).
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from workflows.metrics_data import OperationalFigures, operational_figures

from .services import services

bp = Blueprint("metrics", __name__)
log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"  # the endpoint label of a URL no route matches (404, 405)
# Page loads are tens of milliseconds; an import or a report several seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_STARTED = "_metrics_started"

# Request metrics live in a registry of their own: a scrape adds them to the database figures.
REQUEST_REGISTRY = CollectorRegistry()
REQUESTS = Counter("rectiflow_http_requests", "HTTP requests served, by endpoint, method and status.",
                   ["endpoint", "method", "status"], registry=REQUEST_REGISTRY)
LATENCY = Histogram("rectiflow_http_request_duration_seconds",
                    "Time from the request's arrival in Flask to its response, by endpoint, method and status.",
                    ["endpoint", "method", "status"], buckets=LATENCY_BUCKETS, registry=REQUEST_REGISTRY)


def init_app(app: Flask) -> None:
    """Time and count every request, and serve ``/metrics``."""
    app.before_request(_start_timer)
    app.after_request(_count_request)
    app.register_blueprint(bp)


def gunicorn_child_exit(server: Any, worker: Any) -> None:
    """gunicorn's ``child_exit`` hook: a dead worker's live gauges leave the multiprocess folder
    (its counters stay, so totals never go backwards)."""
    if os.environ.get(MULTIPROC_ENV):
        mark_process_dead(worker.pid)


def _start_timer() -> None:
    setattr(g, _STARTED, time.perf_counter())


def _count_request(response: Response) -> Response:
    started = g.get(_STARTED)
    rule = request.url_rule
    labels = (rule.endpoint if rule is not None else UNMATCHED, request.method, str(response.status_code))
    REQUESTS.labels(*labels).inc()
    if started is not None:
        LATENCY.labels(*labels).observe(time.perf_counter() - started)
    return response


@bp.get("/metrics")
def metrics() -> Response:
    """The scrape: request metrics of every worker and the database figures, in Prometheus' text format."""
    expected = current_app.config["METRICS_TOKEN"]
    if not expected:
        abort(404)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return Response("metrics need Authorization: Bearer <token>\n", 401,
                        {"WWW-Authenticate": 'Bearer realm="metrics"'}, mimetype="text/plain")
    if not hmac.compare_digest(given.strip().encode(), str(expected).encode()):
        return Response("wrong metrics token\n", 403, mimetype="text/plain")
    registry = CollectorRegistry()
    path = os.environ.get(MULTIPROC_ENV)
    if path:
        MultiProcessCollector(registry, path=path)
    else:
        registry.register(_ThisProcess())
    registry.register(DatabaseCollector(current_app._get_current_object()))  # type: ignore[attr-defined]
    return Response(generate_latest(registry), 200, mimetype=CONTENT_TYPE_LATEST)


class _ThisProcess(Collector):
    """The request metrics of this process alone (no multiprocess folder: one process serves)."""

    def collect(self) -> Iterator[Metric]:
        yield from REQUEST_REGISTRY.collect()


class DatabaseCollector(Collector):
    """The database figures at scrape time; ``rectiflow_database_up`` 0 when they could not be read."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        found = services(self.app)
        started = time.perf_counter()
        try:
            with found.unit_of_work() as session:
                figures = operational_figures(
                    session, found.workflow_engine.clock(), window_days=self.app.config["WARNING_WINDOW_DAYS"],
                    interval_seconds=self.app.config["SCHEDULER_INTERVAL_SECONDS"])
        except Exception as exc:  # a scrape must answer, and say the database is the trouble
            lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            log.warning("metrics: database figures not read: %s", lines[0] if lines else type(exc).__name__)
            yield _gauge("rectiflow_database_up", "Whether the database figures could be read (1) or not (0).", 0)
            return
        yield _gauge("rectiflow_database_up", "Whether the database figures could be read (1) or not (0).", 1)
        yield _gauge("rectiflow_metrics_database_seconds", "Time the database figures of this scrape took.",
                     time.perf_counter() - started)
        yield from _figures(figures)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _figures(figures: OperationalFigures) -> Iterator[Metric]:
    tasks = GaugeMetricFamily("rectiflow_open_tasks", "Open human tasks by step (BPMN id) and warning colour "
                              "(green, yellow = inside WARNING_WINDOW_DAYS, red = overdue, blue = long-term).",
                              labels=["step", "colour"])
    for (step, colour), count in sorted(figures.open_tasks.items()):
        tasks.add_metric([step, colour], count)
    yield tasks

    status = figures.scheduler
    yield _gauge("rectiflow_timers_due", "Timers due now and still tried (the backlog; incidents excluded).",
                 status.due)
    yield _gauge("rectiflow_timers_retrying", "Due timers that failed before and are tried again.", status.retrying)
    lateness = status.lateness
    yield _gauge("rectiflow_timers_max_lateness_seconds", "How late the oldest due timer is (0: nothing due).",
                 max(lateness.total_seconds(), 0.0) if lateness is not None else 0.0)
    incidents = GaugeMetricFamily("rectiflow_incidents_open", "Open incidents: timers that failed every attempt, "
                                  "service tasks waiting for an administrator.", labels=["kind"])
    incidents.add_metric(["timer"], status.incidents)
    incidents.add_metric(["service"], figures.service_incidents)
    yield incidents

    reminders = GaugeMetricFamily("rectiflow_reminders", "Reminders created, by reason and mail status "
                                  "(none: not mailed; pending; sent; failed after the last attempt).",
                                  labels=["reason", "mail_status"])
    for (reason, mail_status), count in sorted(figures.reminders.items()):
        reminders.add_metric([reason, mail_status], count)
    yield reminders

    up = GaugeMetricFamily("rectiflow_scheduler_up", "1 while a scheduler replica ticks on time, 0 once it "
                           "counts as stopped (silent for more than 3 tick intervals).", labels=["replica"])
    last_tick = GaugeMetricFamily("rectiflow_scheduler_last_tick_timestamp_seconds",
                                  "When the replica last ticked (Unix time); changes() over a range counts its "
                                  "ticks.", labels=["replica"])
    age = GaugeMetricFamily("rectiflow_scheduler_last_tick_age_seconds",
                            "Seconds since the replica last ticked (or started, before its first tick).",
                            labels=["replica"])
    fired = GaugeMetricFamily("rectiflow_scheduler_last_fired", "Instances the replica's last tick advanced.",
                              labels=["replica"])
    ticks = CounterMetricFamily("rectiflow_scheduler_ticks", "Ticks the replica has run since it started.",
                                labels=["replica"])
    failed_ticks = CounterMetricFamily("rectiflow_scheduler_failed_ticks",
                                       "Ticks of the replica that failed (logged, retried next tick).",
                                       labels=["replica"])
    failed = GaugeMetricFamily("rectiflow_scheduler_last_tick_failed", "1 when the replica's last tick failed.",
                               labels=["replica"])
    for replica in status.replicas:
        up.add_metric([replica.replica], 0 if replica.stopped else 1)
        if replica.last_tick_at is not None:
            last_tick.add_metric([replica.replica], replica.last_tick_at.timestamp())
        age.add_metric([replica.replica], replica.age.total_seconds())
        fired.add_metric([replica.replica], replica.last_fired)
        failed.add_metric([replica.replica], 1 if replica.last_error else 0)
        ticks.add_metric([replica.replica], replica.ticks)
        failed_ticks.add_metric([replica.replica], replica.failed_ticks)
    yield from (up, last_tick, age, fired, failed, ticks, failed_ticks)
