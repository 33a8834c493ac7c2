"""The throughput path at small N: pages streamed through the extractor processes and loaded
in several transactions, staged Parquet batches, and the same run on a Dask cluster."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from datetime import datetime, timezone

import pytest

from flows import staging
from flows.records import Article, EntryRef, FeedEntry, FetchErrorKind, Page, PageJob, PageResult, Stage
from tests.support.cli import ROOT
from tests.support.ingest import rows, run_ingest, scalar, write_sources

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=timezone.utc)


def test_staged_batch_reads_back_equal(tmp_path):
    entry = FeedEntry(
        "https://n.example/a?utm_source=x",
        "g-1",
        "Ferry returns",
        NOW,
        None,
        ("A. Writer",),
        ("transport",),
        "The ferry is back.",
    )
    job = PageJob("https://n.example/a", (EntryRef("herald", "k1"), EntryRef("courier", "k2")), entry, 2)
    article = Article(
        "https://n.example/a",
        "https://n.example/a",
        "Ferry returns",
        ("A. Writer",),
        NOW,
        "json-ld",
        None,
        "en",
        "Herald",
        "The ferry.",
        ("transport",),
        None,
        "The ferry is back on its winter timetable.",
        8,
        "abc123",
        (-5, 2**62),
        "newsdesk-1",
    )
    page = Page(
        "https://n.example/a",
        "https://n.example/a",
        200,
        {"content-type": "text/html"},
        b"<html>\xe2\x82\xac</html>",
        NOW,
    )
    failed = PageResult(
        PageJob("https://n.example/b", (EntryRef("herald", "k3"),)),
        Page(
            "https://n.example/b",
            None,
            None,
            error="timeout",
            error_kind=FetchErrorKind.TIMEOUT,
            transient=True,
            retry_after=30.0,
        ),
        failed_stage=Stage.FETCH,
        error="timeout",
    )
    results = [PageResult(job, page, article), failed]
    back = staging.read(staging.write(results, tmp_path / "batch.parquet"))
    assert back == results
    assert type(back[1].page.error_kind) is FetchErrorKind and type(back[1].failed_stage) is Stage
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_many_batches_stream_into_several_loads_and_lose_nothing(tmp_path, newsroom, monkeypatch):
    from flows import ingest

    monkeypatch.setattr(ingest, "PAGE_BATCH_SIZE", 4)
    monkeypatch.setattr(ingest, "BATCHES_IN_FLIGHT", 2)
    monkeypatch.setattr(ingest, "LOAD_EVERY", 10)
    path = write_sources(tmp_path, newsroom.sources())
    summary = run_ingest(path)
    expected = newsroom.expected()
    db = tmp_path / "news"
    assert summary.total("articles_new") == expected.distinct_articles
    assert scalar(db, "SELECT count(*) FROM articles") == expected.distinct_articles
    # Several page transactions: their articles carry the run id, but load times differ.
    assert scalar(db, "SELECT count(DISTINCT first_seen_at) FROM article_urls") >= 6
    assert (
        scalar(
            db,
            "SELECT count(*) FROM feed_entries WHERE entry_key NOT IN "
            "(SELECT entry_key FROM entry_articles) AND entry_key NOT IN "
            "(SELECT entry_key FROM fetch_queue)",
        )
        == 0
    )
    assert scalar(db, "SELECT pages_fetched FROM runs") == summary.pages_fetched > 0


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_the_final_load_holds_only_the_last_batches(tmp_path, newsroom, monkeypatch):
    """Nothing overlaps the final load, so it is kept small: the load before it is made
    while the last TAIL_BATCHES batches are still being fetched and extracted."""
    from flows import ingest

    monkeypatch.setattr(ingest, "PAGE_BATCH_SIZE", 4)
    monkeypatch.setattr(ingest, "LOAD_EVERY", 10_000)
    run_ingest(write_sources(tmp_path, newsroom.sources()))
    loads = rows(
        tmp_path / "news",
        "SELECT first_seen_at, count(DISTINCT article_id) FROM article_urls "
        "GROUP BY first_seen_at ORDER BY first_seen_at",
    )
    assert len(loads) == 2
    assert 0 < loads[-1][1] <= ingest.TAIL_BATCHES * 4 < loads[0][1]


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_sources_are_polled_in_coarse_tasks_not_one_task_per_feed(tmp_path, newsroom, monkeypatch):
    from flows import ingest

    monkeypatch.setattr(ingest, "POLL_BATCH_SIZE", 2)
    sources = newsroom.sources()
    run_ingest(write_sources(tmp_path, sources))
    db = tmp_path / "news"
    assert scalar(db, "SELECT count(DISTINCT source) FROM polls") == len(sources) > 2
    names = _task_names(scalar(db, "SELECT flow_run_id FROM runs"))
    assert names.count("poll-sources") == -(-len(sources) // 2)
    assert "poll-source" not in names


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_extractor_processes_start_only_when_there_are_pages(tmp_path, newsroom, monkeypatch):
    """They cost a second or two of CPU to start: an unchanged run does not pay it."""
    from flows import extractpool

    warmed = []
    real_warm = extractpool.warm

    def counted_warm() -> None:
        warmed.append(True)
        real_warm()

    monkeypatch.setattr(extractpool, "warm", counted_warm)
    path = write_sources(tmp_path, newsroom.sources())
    assert run_ingest(path).total("articles_new") > 0 and warmed
    warmed.clear()
    assert run_ingest(path).pages_fetched == 0 and warmed == []


@pytest.mark.prefect
def test_run_on_a_two_worker_dask_cluster(tmp_path, newsroom, prefect_env):
    """Batches run as Prefect tasks on a LocalCluster and come back as staged Parquet."""
    path = write_sources(tmp_path, newsroom.sources(), dask={"workers": 2})
    run = subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", "--all", "--sources", str(path)],
        cwd=ROOT,
        env=prefect_env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    db = tmp_path / "news"
    assert scalar(db, "SELECT count(*) FROM articles") == newsroom.expected().distinct_articles
    assert not list((tmp_path / "staging").rglob("*.parquet"))
    flow_run_id = scalar(db, "SELECT flow_run_id FROM runs")
    from flows.ingest import PAGE_BATCH_SIZE

    pages = scalar(db, "SELECT pages_fetched FROM runs")
    assert _task_names(flow_run_id).count("fetch-and-extract-staged") == -(-pages // PAGE_BATCH_SIZE) > 1


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_an_unreachable_dask_cluster_fails_the_run_instead_of_hanging_it(tmp_path, newsroom, monkeypatch):
    from prefect.settings import PREFECT_API_URL

    from flows import dask_runner

    def unreachable(dask):
        raise OSError(f"Timed out trying to connect to {dask.address}")

    monkeypatch.setattr(dask_runner, "_runner", unreachable)
    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())
    path = write_sources(tmp_path, newsroom.sources(), dask={"address": "tcp://127.0.0.1:9"})
    failures: list[BaseException] = []

    def run() -> None:
        try:
            run_ingest(path)
        except BaseException as exc:
            failures.append(exc)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(timeout=60)
    assert not runner.is_alive(), "the run was still waiting for staged batches"
    assert "Timed out trying to connect to tcp://127.0.0.1:9" in str(failures[0])


@pytest.mark.prefect
def test_dask_without_a_prefect_server_is_refused(tmp_path, newsroom, prefect_env):
    env = {k: v for k, v in prefect_env.items() if k != "PREFECT_API_URL"}
    path = write_sources(tmp_path, newsroom.sources(), dask={"workers": 2})
    run = subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", "--all", "--sources", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert "settings.dask needs a Prefect server" in run.stderr
    assert newsroom.requests == []


def _task_names(flow_run_id: str) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async def names() -> list[str]:
        async with get_client() as client:
            runs = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
            return [run.name.rsplit("-", 1)[0] for run in runs]

    return asyncio.run(names())


def test_a_run_over_many_sources_lists_the_busy_ones_and_counts_the_quiet_ones(capsys):
    from flows.cli import printing
    from flows.records import Outcome, RunSummary, SourceReport

    busy = [SourceReport(f"busy-{i}", status=200, entries=3, entries_new=2, articles_new=2) for i in range(3)]
    broken = SourceReport("broken", status=500, error="HTTP 500")
    quiet = [SourceReport(f"quiet-{i}", status=304, not_modified=True) for i in range(printing.SUMMARY_ROWS)]
    summary = RunSummary("r1", NOW, NOW, Outcome.PARTIAL, (*quiet, *busy, broken), 6, 44, "news")
    printing.print_summary(summary)
    shown = capsys.readouterr().out
    assert all(f"busy-{i}" in shown for i in range(3)) and "broken" in shown
    assert "quiet-0" not in shown
    assert f"{printing.SUMMARY_ROWS} more sources, nothing new" in shown
    assert shown.index("broken") < shown.index("busy-0")  # failures first
