"""What an operator's monitoring sees: source health with extraction drift, and the same
figures as Prometheus metric families (`newsdesk stats --format prometheus`, and /metrics
of `newsdesk serve --metrics-port`). Everything is read from the warehouse at the moment
of asking, so a scrape shows what every run so far has recorded."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

import warehouse
from flows.plan import drift
from warehouse import health
from warehouse.db import Location
from warehouse.records import RunTotals, SourceTotals

RECENT = timedelta(hours=24)  # the window of the extraction-health gauges
DRIFT_HISTORY = timedelta(days=30)  # how far back drift detection reads each source's runs
DRIFT_COLUMNS = ["drifting_since", "drift"]


@dataclass(frozen=True)
class Health:
    sources: list[SourceTotals]
    runs: RunTotals
    data_bytes: int
    drifting: dict[str, drift.Drift]


def drifting(con: Any, now: datetime) -> dict[str, drift.Drift]:
    """The sources whose extraction is drifting now (see flows.plan.drift)."""
    return drift.assess(health.extraction_by_run(con, now - DRIFT_HISTORY))


def source_health(con: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    """v_source_health, with the run each drifting source started in and its symptoms."""
    names, rows = health.source_health(con)
    found = drifting(con, datetime.now(timezone.utc))
    marked = []
    for row in rows:
        drift_now = found.get(row[0])
        extra = (drift_now.since_run, ", ".join(drift_now.symptoms)) if drift_now else (None, None)
        marked.append((*row[:-1], *extra, row[-1]))  # last_error stays the last column
    return [*names[:-1], *DRIFT_COLUMNS, names[-1]], marked


def with_drift(con: Any, health_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of v_source_health (as dicts), each with `drift`: its Drift, or None."""
    found = drifting(con, datetime.now(timezone.utc))
    return [{**row, "drift": found.get(row["source"])} for row in health_rows]


def read(con: Any) -> Health:
    now = datetime.now(timezone.utc)
    return Health(
        sources=health.source_totals(con, now - RECENT),
        runs=health.run_totals(con),
        data_bytes=health.data_bytes(con),
        drifting=drifting(con, now),
    )


def exposition(con: Any) -> bytes:
    """Every family, read through `con`, in Prometheus's text format."""
    return _text(_Snapshot(read(con)))


def _text(collector: Any) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return generate_latest(registry)


class _Snapshot:
    def __init__(self, state: Health):
        self.state = state

    def collect(self) -> Iterator[Metric]:
        yield _readable(1)
        yield from families(self.state)


class Collector:
    """A prometheus_client collector that reads the warehouse on each scrape. A warehouse that
    cannot be read (not created yet, or busy past the wait) gives newsdesk_warehouse_readable 0."""

    def __init__(self, location: Location):
        self.location = location

    def describe(self) -> list[Metric]:
        return []  # nothing to read at registration

    def collect(self) -> Iterator[Metric]:
        try:
            with warehouse.reading(self.location) as con:
                state = read(con)
        except warehouse.WarehouseError:
            yield _readable(0)
            return
        yield _readable(1)
        yield from families(state)


def _readable(value: int) -> Metric:
    readable = GaugeMetricFamily("newsdesk_warehouse_readable", "1 when this scrape could read the warehouse.")
    readable.add_metric([], value)
    return readable


def families(state: Health) -> Iterator[Metric]:
    yield from _source_families(state.sources, state.drifting)
    yield from _run_families(state.runs)
    size = GaugeMetricFamily("newsdesk_warehouse_data_bytes", "Bytes of the Parquet files the warehouse reads now.")
    size.add_metric([], state.data_bytes)
    yield size


def _source_families(sources: list[SourceTotals], drifting_now: dict[str, drift.Drift]) -> Iterator[Metric]:
    polls = CounterMetricFamily(
        "newsdesk_source_polls", "Polls of each source, by outcome.", labels=["source", "outcome"]
    )
    statuses = CounterMetricFamily(
        "newsdesk_source_feed_responses",
        "Feed responses of each source by HTTP status class ('none': no response).",
        labels=["source", "status_class"],
    )
    queued = GaugeMetricFamily(
        "newsdesk_source_queued_pages",
        "Pages waiting in the retry queue, by state (retry, dead) and reason (extract, network, http_4xx, ...).",
        labels=["source", "state", "reason"],
    )
    for s in sources:
        for outcome, count in s.polls.items():
            polls.add_metric([s.source, outcome], count)
        for status_class, count in s.feed_statuses.items():
            statuses.add_metric([s.source, status_class], count)
        for state_reason, count in s.queued.items():
            queued.add_metric([s.source, *state_reason.split(" ", 1)], count)
    yield from (polls, statuses, queued)
    yield from _per_source_values(sources, drifting_now)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _timestamp(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment else None


# Families with one sample per source: (kind, name, help, value; None leaves the source out).
_PER_SOURCE: list[tuple[Callable[..., Any], str, str, Callable[[SourceTotals], float | None]]] = [
    (CounterMetricFamily, "newsdesk_source_articles", "Articles loaded from each source.", lambda s: s.articles),
    (
        CounterMetricFamily,
        "newsdesk_source_revisions",
        "New versions of its articles found after the first load.",
        lambda s: s.revisions,
    ),
    (
        GaugeMetricFamily,
        "newsdesk_source_last_success_timestamp_seconds",
        "When the source last polled without error.",
        lambda s: _timestamp(s.last_success_at),
    ),
    (
        GaugeMetricFamily,
        "newsdesk_source_consecutive_failures",
        "Polls failed in a row.",
        lambda s: s.consecutive_failures,
    ),
    (GaugeMetricFamily, "newsdesk_source_recent_articles", "Articles of the last 24 h.", lambda s: s.recent_articles),
    (
        GaugeMetricFamily,
        "newsdesk_source_extraction_no_body_ratio",
        "Share of the pages fetched in the last 24 h that gave no body.",
        lambda s: _ratio(s.recent_no_body, s.recent_articles + s.recent_no_body),
    ),
    (
        GaugeMetricFamily,
        "newsdesk_source_extraction_no_date_ratio",
        "Share of the last 24 h's articles without a date.",
        lambda s: _ratio(s.recent_no_date, s.recent_articles),
    ),
    (
        GaugeMetricFamily,
        "newsdesk_source_extraction_no_author_ratio",
        "Share of the last 24 h's articles without an author.",
        lambda s: _ratio(s.recent_no_author, s.recent_articles),
    ),
    (
        GaugeMetricFamily,
        "newsdesk_source_extraction_median_words",
        "Median words of the last 24 h's articles.",
        lambda s: s.recent_median_words,
    ),
]


def _per_source_values(sources: list[SourceTotals], drifting_now: dict[str, drift.Drift]) -> Iterator[Metric]:
    for kind, name, help_text, value in _PER_SOURCE:
        family: Any = kind(name, help_text, labels=["source"])
        for s in sources:
            if (v := value(s)) is not None:
                family.add_metric([s.source], v)
        yield family
    drifting_gauge = GaugeMetricFamily(
        "newsdesk_source_drifting", "1 while the source's extraction has drifted from its baseline.", labels=["source"]
    )
    since = GaugeMetricFamily(
        "newsdesk_source_drifting_since_timestamp_seconds", "When the drift's first run started.", labels=["source"]
    )
    for s in sources:
        drift_now = drifting_now.get(s.source)
        drifting_gauge.add_metric([s.source], 1 if drift_now else 0)
        if drift_now:
            since.add_metric([s.source], drift_now.since.timestamp())
    yield from (drifting_gauge, since)


def _run_families(runs: RunTotals) -> Iterator[Metric]:
    by_outcome = CounterMetricFamily("newsdesk_runs", "Ingest runs, by outcome.", labels=["outcome"])
    for outcome, count in runs.runs.items():
        by_outcome.add_metric([outcome], count)
    pages = CounterMetricFamily("newsdesk_pages_fetched", "Article pages fetched.")
    pages.add_metric([], runs.pages_fetched)
    failed = CounterMetricFamily(
        "newsdesk_page_failures", "Page fetches and extractions that failed.", labels=["stage"]
    )
    for stage, count in runs.page_failures.items():
        failed.add_metric([stage], count)
    duplicates = CounterMetricFamily("newsdesk_duplicates", "Pages found to be copies of a stored article.")
    duplicates.add_metric([], runs.duplicates)
    yield from (by_outcome, pages, failed, duplicates)
    if runs.last_finished_at is None:
        return
    finished = GaugeMetricFamily("newsdesk_last_run_finished_timestamp_seconds", "When the last run finished.")
    finished.add_metric([], runs.last_finished_at.timestamp())
    duration = GaugeMetricFamily("newsdesk_last_run_duration_seconds", "How long the last run took.")
    duration.add_metric([], runs.last_duration_seconds or 0)
    last = GaugeMetricFamily("newsdesk_last_run_outcome", "1 for the last run's outcome.", labels=["outcome"])
    last.add_metric([runs.last_outcome or "unknown"], 1)
    yield from (finished, duration, last)
