"""Two processes and one warehouse: readers never wait for a writer, runs wait a bounded time."""

from __future__ import annotations

import subprocess
import sys

import pytest

import warehouse
from tests.support.cli import ROOT
from tests.support.ingest import write_sources

NEWSDESK = [sys.executable, "-m", "flows.cli"]


@pytest.mark.prefect
def test_second_run_waits_a_bounded_time_then_says_the_warehouse_is_held(tmp_path, newsroom, prefect_env):
    path = write_sources(tmp_path, newsroom.sources()[:1], lock_wait_seconds=1)
    with warehouse.run_lock(tmp_path / "news", 0):
        result = subprocess.run(
            [*NEWSDESK, "run", "--sources", str(path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=prefect_env,
            timeout=120,
        )
    assert result.returncode == 1
    assert "another run holds the warehouse" in result.stderr and "waited 1s" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert [r.path for r in newsroom.requests] == [], "nothing may be fetched without the lock"


@pytest.mark.slow
def test_a_query_answers_at_once_while_a_writer_holds_a_transaction(tmp_path):
    db = tmp_path / "news"
    with warehouse.writing(db):
        pass
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys\n"
                "from pathlib import Path\n"
                "import warehouse\n"
                f"with warehouse.writing(Path({str(db)!r})) as con:\n"
                "    con.execute('BEGIN')\n"
                '    con.execute("INSERT INTO sources VALUES '
                "('late', 'https://l.example/f', NULL, NULL, NULL, true, now(), 'feed')\")\n"
                "    print('holding', flush=True)\n"
                "    sys.stdin.readline()\n"
                "    con.execute('COMMIT')\n"
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        during = subprocess.run(
            [*NEWSDESK, "query", "--db", str(db), "--format", "csv", "SELECT name FROM sources"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert during.returncode == 0, during.stderr
        assert during.stdout.splitlines() == ["name"], "a reader sees only what is committed"
    finally:
        holder.communicate("commit\n", timeout=60)
    assert holder.returncode == 0
    after = subprocess.run(
        [*NEWSDESK, "query", "--db", str(db), "--format", "csv", "SELECT name FROM sources"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert after.stdout.splitlines() == ["name", "late"]


def test_a_writer_can_be_held_to_a_number_of_duckdb_threads(tmp_path):
    for threads in (1, 3):
        with warehouse.writing(tmp_path / "news", threads=threads) as con:
            assert con.execute("SELECT current_setting('threads')").fetchone()[0] == threads
