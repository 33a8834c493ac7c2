"""newsdesk as a user installs and runs it: built and installed (not linked) into a fresh
venv, run from an empty directory with an empty HOME and none of our or Prefect's
variables set. Every other test runs inside the checkout, which hides what this finds."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.support.cli import ROOT
from tests.support.ingest import scalar

pytestmark = [pytest.mark.slow, pytest.mark.prefect]  # `newsdesk run` from the installed wheel
PROJECT_FILES = ("pyproject.toml", "README.md", "flows", "warehouse")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A venv holding a wheel built from this checkout; its dependencies are this
    environment's (a .pth line), so nothing is downloaded or installed from an index."""
    folder = tmp_path_factory.mktemp("installed")
    source = folder / "source"
    source.mkdir()
    for name in PROJECT_FILES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, source / name)
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    child_site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (child_site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    wheels = folder / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(wheels),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("newsdesk-*.whl")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    return venv


def user_env(home: Path) -> dict[str, str]:
    """A login shell's environment: no NEWSDESK_*, PREFECT_* or XDG_* variables."""
    keep = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("NEWSDESK_", "PREFECT_", "XDG_", "PYTHON", "VIRTUAL_ENV"))
    }
    return {**keep, "HOME": str(home), "COLUMNS": "200"}


def test_installed_tool_runs_from_an_empty_directory(installed, tmp_path, newsroom):
    from tests.support.ingest import write_sources

    config, home, empty = tmp_path / "config", tmp_path / "home", tmp_path / "empty"
    for folder in (config, home, empty):
        folder.mkdir()
    sources = write_sources(config, newsroom.sources())
    db = tmp_path / "elsewhere" / "news"
    result = subprocess.run(
        [installed / "bin" / "newsdesk", "run", "--sources", str(sources), "--db", str(db)],
        cwd=empty,
        env=user_env(home),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert scalar(db, "SELECT count(*) FROM articles") == newsroom.expected().distinct_articles
    assert list(empty.iterdir()) == []
    prefect_db = home / ".local" / "state" / "newsdesk" / "prefect" / "prefect.db"
    with sqlite3.connect(prefect_db) as history:  # a real Prefect run, served from the run's own process
        assert history.execute("SELECT state_type, count(*) FROM flow_run GROUP BY 1").fetchall() == [("COMPLETED", 1)]
        assert history.execute("SELECT count(*) FROM task_run WHERE state_type = 'COMPLETED'").fetchone()[0] > 0


def test_a_state_directory_that_cannot_be_created_is_one_line_and_exit_2(installed, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    env = {**user_env(tmp_path), "NEWSDESK_STATE_DIR": str(tmp_path / "a-file" / "state")}
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - name: one\n    url: http://127.0.0.1:9/feed\n")
    result = subprocess.run(
        [installed / "bin" / "newsdesk", "run", "--sources", str(sources)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: cannot create the Prefect home {tmp_path / 'a-file' / 'state' / 'prefect'}: Not a directory"
    ]


def test_an_unreachable_prefect_api_is_one_line_and_exit_1(installed, tmp_path):
    env = {**user_env(tmp_path), "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - name: one\n    url: http://127.0.0.1:9/feed\n")
    result = subprocess.run(
        [installed / "bin" / "newsdesk", "run", "--sources", str(sources), "--db", str(tmp_path / "news")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "error: run failed: cannot reach the Prefect API at http://127.0.0.1:9/api"
    )
