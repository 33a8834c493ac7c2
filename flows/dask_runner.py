"""The optional Dask path (`pip install 'newsdesk[dask]'`, settings.dask): fetch-and-extract
batches run on Dask workers, which stage their results as Parquet; the run's own process
reads each staged batch as it lands and loads it. Workers never open the warehouse."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect_dask.task_runners import DaskTaskRunner

from flows import configuration
from flows import staging
from flows.fetching import extract_in_thread, fetcher_for, page_result
from flows.records import PageJob, PageResult, Source

Staged = list[PageResult] | BaseException


@task(name="fetch-and-extract-staged", cache_policy=NO_CACHE)
def fetch_and_extract_staged(
    settings: configuration.Settings,
    sources: Sequence[Source],
    robots: dict[str, str | None],
    jobs: Sequence[PageJob],
    path: str,
) -> str:
    """On a Dask worker: fetch and extract a batch in this process, then stage the results."""

    async def batch() -> list[PageResult]:
        async with fetcher_for(settings, sources, robots) as fetcher:
            return list(
                await asyncio.gather(
                    *(page_result(fetcher, job, settings.min_body_chars, extract_in_thread) for job in jobs)
                )
            )

    return str(staging.write(asyncio.run(batch()), Path(path)))


def feed_batches(
    settings: configuration.Settings,
    sources: Sequence[Source],
    robots: dict[str, str | None],
    batches: Sequence[Sequence[PageJob]],
    folder: Path,
    hand_over: Callable[[Staged], bool],
) -> None:
    """In a thread: submit every batch to the cluster and hand each staged batch over as it
    lands, until `hand_over` says stop. A cluster that cannot be reached is handed over as
    the failure, so the loader stops waiting."""
    try:
        with _runner(settings.dask) as runner:
            futures = [
                runner.submit(
                    fetch_and_extract_staged,
                    {
                        "settings": settings,
                        "sources": sources,
                        "robots": robots,
                        "jobs": batch,
                        "path": str(folder / f"batch-{index:05d}.parquet"),
                    },
                )
                for index, batch in enumerate(batches)
            ]
            for future in as_completed(futures):
                try:
                    staged: Staged = staging.read(Path(future.result()))
                except Exception as exc:
                    staged = exc
                if not hand_over(staged):
                    return
    except Exception as exc:
        hand_over(exc)


def _runner(dask: configuration.DaskSettings | None) -> AbstractContextManager[Any]:
    assert dask is not None
    if dask.address:
        return DaskTaskRunner(address=dask.address)
    return DaskTaskRunner(
        cluster_kwargs={"n_workers": dask.workers, "threads_per_worker": 1, "dashboard_address": None}
    )
