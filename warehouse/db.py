"""Opening the DuckDB file: migrations, views, and waiting politely for the lock.

DuckDB lets one process hold a file read-write, and while it does no other
process may open it at all. Writers therefore hold it only for the load, and
every opener waits a bounded time for the lock instead of failing at once.
"""
from __future__ import annotations

import fcntl
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb

from warehouse import search

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
DEFAULT_LOCK_WAIT_SECONDS = 60.0  # how long to wait for another process's lock, unless told


class WarehouseError(RuntimeError):
    """An expected failure of the warehouse, said in one line: callers need not know DuckDB."""


class WarehouseBusy(WarehouseError):
    """Another process holds the warehouse (or the run lock) longer than we waited."""


class WarehouseMissing(WarehouseError):
    """A read of a warehouse that has not been created yet."""


class QueryFailed(WarehouseError):
    """DuckDB refused or failed a statement (a user's SQL, a constraint, an I/O error)."""


def connect(path: Path, read_only: bool = False, wait_seconds: float | None = None,
            threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse; a writable open also applies pending migrations and the views.
    `threads` caps DuckDB's worker threads (default: one per core)."""
    if read_only and not path.exists():
        raise WarehouseMissing(f"no warehouse at {path} (run `newsdesk run` or `newsdesk demo` first)")
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _open_waiting(path, read_only, _wait(wait_seconds), {"threads": threads} if threads else {})
    if not read_only:
        try:
            migrate(con)
        except BaseException:
            con.close()
            raise
    return con


@contextmanager
def writing(path: Path, wait_seconds: float | None = None,
            threads: int | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    with _one_line_errors():
        con = connect(path, read_only=False, wait_seconds=wait_seconds, threads=threads)
        try:
            yield con
        finally:
            con.close()


@contextmanager
def reading(path: Path, wait_seconds: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    with _one_line_errors():
        con = connect(path, read_only=True, wait_seconds=wait_seconds)
        try:
            yield con
        finally:
            con.close()


@contextmanager
def _one_line_errors() -> Iterator[None]:
    try:
        yield
    except duckdb.Error as exc:
        raise QueryFailed(str(exc)) from exc


@contextmanager
def run_lock(path: Path, wait_seconds: float | None = None) -> Iterator[None]:
    """One ingest run per warehouse at a time (a lock file beside the database)."""
    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    wait_seconds = _wait(wait_seconds)
    with open(lock_path, "w") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"another run holds the warehouse {path} (waited {wait_seconds:g}s); "
                        "try again when it has finished") from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _wait(seconds: float | None) -> float:
    return DEFAULT_LOCK_WAIT_SECONDS if seconds is None else seconds


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply migrations not yet recorded in schema_version, each in its own transaction."""
    con.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                "version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)")
    done = {row[0] for row in con.execute("SELECT version FROM schema_version").fetchall()}
    applied = []
    for version, name, sql in _migrations():
        if version in done:
            continue
        con.execute("BEGIN")
        con.execute(sql)
        con.execute("INSERT INTO schema_version VALUES (?, ?, now())", [version, name])
        con.execute("COMMIT")
        applied.append(version)
    con.execute(_sql_file("views.sql"))
    if search.try_load_extension(con) is None:  # the search macros call the extension's stem()
        con.execute(_sql_file("search.sql"))
    return applied


def _sql_file(name: str) -> str:
    return resources.files("warehouse").joinpath(name).read_text(encoding="utf-8")


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("warehouse").joinpath("migrations")
    found = []
    for item in folder.iterdir():
        match = _MIGRATION_NAME.match(item.name)
        if match:
            found.append((int(match.group(1)), item.name, item.read_text(encoding="utf-8")))
    return sorted(found)


def _open_waiting(path: Path, read_only: bool, wait_seconds: float,
                  config: dict[str, str | bool | int | float | list[str]]) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=config)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"{path} is locked by another process (waited {wait_seconds:.0f}s): {exc}") from exc
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
