"""`newsdesk serve` for real: a local Prefect server, scheduled runs, a clean stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx
import pytest

import warehouse
from tests.support.cli import ROOT
from tests.support.ingest import write_sources
from tests.support.loopback import free_port
from tests.support.metrics import by_source
from tests.support.waiting import wait_for

RUNS_WANTED = 2
DEADLINE_SECONDS = 240


def runs_so_far(db) -> list[tuple[str, int]]:
    try:
        with warehouse.reading(db, wait_seconds=5) as con:
            return con.execute("SELECT run_id, sources_polled FROM runs ORDER BY started_at").fetchall()
    except warehouse.WarehouseError:
        return []


def running_processes() -> list[tuple[int, str]]:
    """(session id, command line) of every live process; zombies have exited and are skipped."""
    listing = subprocess.run(["ps", "-eo", "sid=,stat=,args="], capture_output=True, text=True).stdout
    rows = [line.split(None, 2) for line in listing.splitlines() if line.strip()]
    return [
        (int(sid), args) for sid, stat, *rest in rows for args in [rest[0] if rest else ""] if not stat.startswith("Z")
    ]


def processes_mentioning(text: str) -> list[str]:
    return [args for _, args in running_processes() if text in args and "ps -eo" not in args]


def session_members(sid: int) -> list[str]:
    return [args for session, args in running_processes() if session == sid]


@pytest.mark.slow
@pytest.mark.prefect
def test_serve_runs_on_schedule_polls_only_due_sources_and_stops_cleanly(tmp_path, newsroom):
    sources = newsroom.sources()
    sources[0]["interval_minutes"] = 0.01  # due at every run; the others wait 30 minutes
    path = write_sources(tmp_path, sources)
    db = tmp_path / "news"
    port, metrics_port = free_port(), free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NEWSDESK_STATE_DIR": str(tmp_path / "state"),
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
    }
    for name in ("PREFECT_API_URL", "PREFECT_HOME"):
        env.pop(name, None)
    serve = subprocess.Popen(
        [
            *(sys.executable, "-m", "flows.cli", "--log-format", "json", "serve", "--sources", str(path)),
            *("--interval", "5", "--port", str(port), "--metrics-port", str(metrics_port)),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:

        def scheduled_runs() -> list[tuple[str, int]]:
            assert serve.poll() is None, serve.stdout.read()
            runs = runs_so_far(db)
            return runs if len(runs) >= RUNS_WANTED else []

        runs = wait_for(scheduled_runs, timeout=DEADLINE_SECONDS, what=f"{RUNS_WANTED} scheduled runs", interval=0.5)
        metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=30).text
        by_hand = subprocess.run(
            [sys.executable, "-m", "flows.cli", "run", "--source", sources[1]["name"], "--sources", str(path)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=DEADLINE_SECONDS,
        )
        assert by_hand.returncode == 0, by_hand.stderr
        assert f"using the Prefect server of `newsdesk serve` at http://127.0.0.1:{port}/api" in by_hand.stderr
    finally:
        serve.send_signal(signal.SIGTERM)
        output, _ = serve.communicate(timeout=90)
    assert serve.returncode == 0, output
    events = [json.loads(line)["event"] for line in output.splitlines()]
    assert f"Serving newsdesk-ingest (every 5s). Prefect UI: http://127.0.0.1:{port}  (Ctrl-C to stop)" in events
    assert events[-1] == "Stopped."
    polls = by_source(metrics, "newsdesk_source_polls_total")
    assert polls[sources[0]["name"]] >= RUNS_WANTED and polls[sources[1]["name"]] == 1
    (first_run, first_count), (second_run, second_count) = runs[:2]
    assert first_count == len(sources) and second_count == 1
    with warehouse.reading(db) as con:
        polled = con.execute("SELECT source FROM polls WHERE run_id = ?", [second_run]).fetchall()
        assert polled == [(sources[0]["name"],)]
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == newsroom.expected().distinct_articles
    assert processes_mentioning(f"--port {port}") == [], "the local Prefect server is still running"
    assert session_members(serve.pid) == [], "a process serve started is still running"
