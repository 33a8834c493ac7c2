"""Two processes and one DuckDB file: waits are bounded and errors are plain."""
from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

import warehouse
from tests.support.cli import ROOT
from tests.support.ingest import write_sources
from tests.support.waiting import wait_for

NEWSDESK = [sys.executable, "-m", "flows.cli"]
# `newsdesk` as above, except that the warehouse's first back-off (it found the file locked and
# waits to try again) touches the file named first: a test can see that the command is waiting.
BACKOFF_PROBE = [sys.executable, "-c", (
    "import sys, time, types\n"
    "from pathlib import Path\n"
    "import warehouse.db\n"
    "marker = Path(sys.argv.pop(1))\n"
    "def sleep(seconds):\n"
    "    marker.touch()\n"
    "    time.sleep(seconds)\n"
    "warehouse.db.time = types.SimpleNamespace(monotonic=time.monotonic, sleep=sleep)\n"
    "from flows.cli.commands import app\n"
    "app()\n")]


@pytest.mark.prefect
def test_second_run_waits_a_bounded_time_then_says_the_warehouse_is_held(tmp_path, newsroom, prefect_env):
    path = write_sources(tmp_path, newsroom.sources()[:1], lock_wait_seconds=1)
    with warehouse.run_lock(tmp_path / "news.duckdb", 0):
        result = subprocess.run([*NEWSDESK, "run", "--sources", str(path)], capture_output=True, text=True,
                                cwd=ROOT, env=prefect_env, timeout=120)
    assert result.returncode == 1
    assert "another run holds the warehouse" in result.stderr and "waited 1s" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert [r.path for r in newsroom.requests] == [], "nothing may be fetched without the lock"


def test_query_waits_for_a_writer_instead_of_failing(tmp_path):
    db = tmp_path / "news.duckdb"
    with warehouse.writing(db):
        pass
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import duckdb, sys\n"
            f"con = duckdb.connect({str(db)!r})\n"
            "con.execute(\"INSERT INTO sources VALUES "
            "('late', 'https://l.example/f', NULL, NULL, NULL, true, now())\")\n"
            "print('holding', flush=True)\n"
            "sys.stdin.readline()\n"
            "con.close()\n")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    backed_off = tmp_path / "backed-off"
    query = subprocess.Popen([*BACKOFF_PROBE, str(backed_off), "query", "--db", str(db), "--format", "csv",
                              "SELECT name FROM sources"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)

    def waiting_for_the_writer() -> bool:
        assert query.poll() is None, f"the query gave up instead of waiting: {query.communicate()}"
        return backed_off.exists()
    try:
        wait_for(waiting_for_the_writer, timeout=60, what="the query finding the warehouse locked")
    finally:
        holder.communicate("release\n", timeout=30)
    stdout, stderr = query.communicate(timeout=60)
    assert query.returncode == 0, stderr
    assert stdout.splitlines() == ["name", "late"]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM sources").fetchone()[0] == 1


def test_a_writer_can_be_held_to_a_number_of_duckdb_threads(tmp_path):
    for threads in (1, 3):
        with warehouse.writing(tmp_path / "news.duckdb", threads=threads) as con:
            assert con.execute("SELECT current_setting('threads')").fetchone()[0] == threads
