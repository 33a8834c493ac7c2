"""Shared fixtures: Prefect kept local and temporary, the demo newsroom, warehouses in tmp."""
from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

if "NEWSDESK_STATE_DIR" not in os.environ:
    os.environ["NEWSDESK_STATE_DIR"] = tempfile.mkdtemp(prefix="newsdesk-test-state-")
    atexit.register(shutil.rmtree, os.environ["NEWSDESK_STATE_DIR"], ignore_errors=True)
from flows.localstate import configure_prefect  # noqa: E402

configure_prefect()


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server for the whole session (~20 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def prefect_env(prefect_harness) -> dict[str, str]:
    """Environment for a `newsdesk` subprocess that talks to the session's Prefect server."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PYTHONPATH": str(ROOT)}
    env.pop("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL")  # as a user's shell would be: let the CLI choose
    return env


@pytest.fixture
def newsroom():
    from flows.demo.site import Newsroom

    with Newsroom() as room:
        yield room


def newsdesk(*args: str, cwd: Path | None = None, timeout: float = 300,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The command line in a subprocess, as a user's shell runs it (from the checkout)."""
    env = {**(env or os.environ), "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=env, timeout=timeout)


def scalar(db: Path, sql: str, *params):
    """One value from the warehouse, opened read-only."""
    return rows(db, sql, *params)[0][0]


def rows(db: Path, sql: str, *params) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def write_sources(folder: Path, sources: list[dict], **settings) -> Path:
    path = folder / "sources.yaml"
    defaults = {"warehouse": str(folder / "news.duckdb"), "allow_private_networks": True, "min_delay_seconds": 0}
    document = {"settings": {**defaults, **settings}, "sources": sources}
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def run_ingest(sources_path: Path, only: list[str] | None = None, everything: bool = True):
    from flows.ingest import ingest

    return asyncio.run(ingest(str(sources_path), None, only, everything))


async def until(condition, seconds: float = 30.0, what: str = "the condition") -> None:
    """Poll `condition()` in the running event loop until it holds; fail after `seconds`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, f"{what} did not happen within {seconds:g}s"
        await asyncio.sleep(0.01)
