"""Prometheus metrics. In multi-process gunicorn set PROMETHEUS_MULTIPROC_DIR (the
production config does): each worker writes its samples there and /metrics adds them up."""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import Callable, Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

COMMANDS = Counter("zoombot_commands_total", "Slash commands handled", ["subcommand"])
COMMAND_SECONDS = Histogram(
    "zoombot_command_seconds", "Time to answer a slash command (its ack; lists come later, see zoombot_task_wait_seconds)", ["subcommand"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30),
)
ZOOM_CALLS = Counter("zoombot_zoom_api_calls_total", "Requests to Zoom by endpoint and outcome", ["endpoint", "outcome"])
SLACK_CALLS = Counter("zoombot_slack_api_calls_total", "Slack Web API calls by method and outcome", ["method", "outcome"])
REFRESHES = Counter("zoombot_token_refreshes_total", "Zoom token refreshes by outcome", ["outcome"])
DIGESTS = Counter("zoombot_digests_total", "Digest runs per user by outcome", ["outcome"])
TASKS = Counter("zoombot_tasks_total", "Queued tasks finished, by kind and outcome", ["kind", "outcome"])
TASK_WAIT_SECONDS = Histogram(
    "zoombot_task_wait_seconds", "Time from a task's queueing (the ack) to a worker starting it", ["kind"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 120),
)
REMINDERS = Counter("zoombot_reminders_sent_total", "Meeting reminders sent")

KNOWN_SUBCOMMANDS = {"", "help", "meetings", "list", "connect", "status", "disconnect", "digest", "remind", "reminders", "reminder"}


def subcommand_label(sub: str) -> str:
    """A bounded label: anything we do not know is "unknown" (no cardinality from user text)."""
    return (sub or "help") if sub in KNOWN_SUBCOMMANDS else "unknown"


@contextmanager
def timed_command(sub: str) -> Iterator[None]:
    label = subcommand_label(sub)
    COMMANDS.labels(label).inc()
    started = time.perf_counter()
    try:
        yield
    finally:
        COMMAND_SECONDS.labels(label).observe(time.perf_counter() - started)


def zoom_outcome(status: int | None) -> str:
    if status is None:
        return "network_error"
    if status < 300:
        return "ok"
    if status in (401, 429):
        return str(status)
    return "4xx" if status < 500 else "5xx"


def observe_zoom(endpoint: str, status: int | None) -> None:
    ZOOM_CALLS.labels(endpoint, zoom_outcome(status)).inc()


class GrantsCollector(Collector):
    """Grants by status, counted in the database at scrape time (right in any process)."""

    def __init__(self, count_by_status: Callable[[], dict[str, int]]) -> None:
        self._count = count_by_status

    def collect(self):  # type: ignore[no-untyped-def]
        family = GaugeMetricFamily("zoombot_grants", "Zoom grants stored, by status", labels=["status"])
        for status, count in sorted(self._count().items()):
            family.add_metric([status], count)
        yield family


def render(extra: list[Collector]) -> tuple[bytes, str]:
    """The /metrics body: this process's metrics, or every worker's in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY as registry  # type: ignore[no-redef]
    scrape = CollectorRegistry()
    for collector in extra:
        scrape.register(collector)
    return generate_latest(registry) + generate_latest(scrape), CONTENT_TYPE_LATEST
