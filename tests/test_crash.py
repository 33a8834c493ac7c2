"""kill -9 at random points of real runs: the warehouse is never half-written, and the
next run completes the work with no duplicate and no lost article."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import warehouse
from tests.support.cli import ROOT
from tests.support.ingest import write_sources

# Progress lines `newsdesk run` prints as it enters each phase.
PHASES = {"fetch": "new entries; fetching", "extract": "pages done:", "load": "loading "}
KILLS_REQUIRED = 20
KILLS_WANTED = KILLS_REQUIRED + 1  # one to spare, so a missed kill late on still leaves enough
MAX_ROUNDS = 12  # a kill can miss (the run finished first); keep going until enough landed
SETTINGS = dict(min_delay_seconds=0.01)


def start_run(sources: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "run", "--sources", str(sources)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def kill_during(phase: str, sources: Path, env: dict[str, str], rng: random.Random) -> bool:
    """Run until `phase` starts, then SIGKILL at a random moment within it; True if killed."""
    run = start_run(sources, env)
    for line in run.stderr:
        if PHASES[phase] in line:
            try:
                run.wait(timeout=rng.uniform(0, 0.15))
            except subprocess.TimeoutExpired:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()
                return True
            break
    run.communicate()
    return False


def finish(sources: Path, env: dict[str, str]) -> None:
    run = start_run(sources, env)
    _, err = run.communicate(timeout=180)
    assert run.returncode == 0, err


def assert_consistent(db: Path) -> None:
    """Nothing half-written: every table agrees with the others."""
    with warehouse.writing(db) as con:  # a writable open replays the WAL, as the next run would

        def count(sql: str) -> int:
            return con.execute(sql).fetchone()[0]

        assert (
            count("SELECT count(*) FROM articles WHERE article_id NOT IN (SELECT article_id FROM entry_articles)") == 0
        )
        assert count("SELECT count(*) FROM articles WHERE article_id NOT IN (SELECT article_id FROM article_urls)") == 0
        assert (
            count("SELECT count(*) FROM entry_articles WHERE article_id NOT IN (SELECT article_id FROM articles)") == 0
        )
        assert count("SELECT count(*) FROM runs WHERE run_id NOT IN (SELECT run_id FROM polls)") == 0
        assert count("SELECT count(*) - count(DISTINCT content_hash) FROM articles") == 0
        # Every entry seen either became an article or is queued with its error.
        assert (
            count(
                "SELECT count(*) FROM feed_entries WHERE entry_key NOT IN "
                "(SELECT entry_key FROM entry_articles) AND entry_key NOT IN "
                "(SELECT entry_key FROM fetch_queue)"
            )
            == 0
        )


def articles_by_url(db: Path) -> set[frozenset[str]]:
    """Each article as the set of URLs it is known by.

    Which copy of a syndicated story becomes the article and which an alias depends on
    which one loaded first, and a kill changes that order; the grouping does not change."""
    with warehouse.reading(db) as con:
        rows = con.execute("SELECT list(url) FROM article_urls GROUP BY article_id").fetchall()
    return {frozenset(urls) for (urls,) in rows}


@pytest.mark.slow
@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_kill_9_anywhere_loses_nothing_and_duplicates_nothing(tmp_path, newsroom, prefect_env):
    rng = random.Random(20261127)
    reference = tmp_path / "reference"
    reference.mkdir()
    finish(write_sources(reference, newsroom.sources(), **SETTINGS), prefect_env)
    expected = articles_by_url(reference / "news")
    assert len(expected) == newsroom.expected().distinct_articles

    kills = {phase: 0 for phase in PHASES}
    for round_number in range(MAX_ROUNDS):
        if sum(kills.values()) >= KILLS_WANTED:
            break
        folder = tmp_path / f"round-{round_number}"
        folder.mkdir()
        sources = write_sources(folder, newsroom.sources(), **SETTINGS)
        for phase in rng.sample(list(PHASES), len(PHASES)):
            kills[phase] += kill_during(phase, sources, prefect_env, rng)
            assert_consistent(folder / "news")
        finish(sources, prefect_env)
        assert_consistent(folder / "news")
        assert articles_by_url(folder / "news") == expected
    print(f"\nkills by phase: {kills}")
    assert sum(kills.values()) >= KILLS_REQUIRED and all(kills.values()), kills
