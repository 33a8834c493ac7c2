"""A run serving Prefect's API itself checks Prefect's database schema only when it may have changed."""

from __future__ import annotations

import os

import pytest

from flows import serve
from tests.support.cli import newsdesk
from tests.support.ingest import scalar, write_sources


def _home(tmp_path, monkeypatch):
    for name in [name for name in os.environ if name.startswith("PREFECT_")]:
        monkeypatch.delenv(name)
    home = tmp_path / "prefect"
    home.mkdir()
    monkeypatch.setenv("PREFECT_HOME", str(home))
    return home


def test_the_schema_is_checked_until_a_run_has_migrated_this_database_with_this_prefect(tmp_path, monkeypatch):
    home = _home(tmp_path, monkeypatch)
    assert serve._needs_migrations()  # no database yet
    (home / "prefect.db").write_bytes(b"")
    assert serve._needs_migrations()  # nothing recorded
    serve._record_migrations()
    assert not serve._needs_migrations()
    (home / "prefect.db").rename(home / "old.db")
    (home / "prefect.db").write_bytes(b"")
    assert serve._needs_migrations()  # another file in its place


def test_a_database_the_user_chose_is_always_checked(tmp_path, monkeypatch):
    home = _home(tmp_path, monkeypatch)
    (home / "prefect.db").write_bytes(b"")
    serve._record_migrations()
    monkeypatch.setenv("PREFECT_API_DATABASE_CONNECTION_URL", f"sqlite+aiosqlite:///{tmp_path}/mine.db")
    assert serve._needs_migrations()


@pytest.mark.slow
def test_a_run_after_prefects_database_was_deleted_migrates_a_new_one(tmp_path, newsroom):
    state = tmp_path / "state"
    env = {name: value for name, value in os.environ.items() if not name.startswith("PREFECT_")}
    env["NEWSDESK_STATE_DIR"] = str(state)
    sources = write_sources(tmp_path, newsroom.sources()[:1])
    first = newsdesk("run", "--all", "--sources", str(sources), env=env)
    assert first.returncode == 0, first.stderr
    assert "prefect" in (state / "prefect" / serve.MIGRATED_FILE).read_text(encoding="utf-8")
    (state / "prefect" / "prefect.db").unlink()
    second = newsdesk("run", "--all", "--sources", str(sources), env=env)
    assert second.returncode == 0, second.stderr
    assert "Traceback" not in second.stderr
    assert scalar(tmp_path / "news", "SELECT count(*) FROM runs") == 2
