"""Opening the warehouse: a DuckLake, a catalog and Parquet data files.

DuckLake lets any number of readers keep a connection open while a run commits: each
query sees the latest snapshot, and no reader ever blocks a writer. The embedded default
is one folder (settings.warehouse a path):
    catalog.sqlite   the catalog (tables, snapshots, which Parquet files make up each table),
                     in SQLite's write-ahead-log mode
    data/            the Parquet files
    run.lock         held by the one run (or re-extraction) writing at a time
    read.lock        shared by newsdesk's own reads, taken whole by maintenance (readers_paused)
A shared warehouse (settings.warehouse: {catalog: "postgres:…", data_path: …}) keeps its
catalog in PostgreSQL, so runs and readers on several machines use it at once.
"""

from __future__ import annotations

import fcntl
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse import ddl
from warehouse.records import SharedWarehouse
from warehouse.literals import quoted

Location = Path | SharedWarehouse  # a folder (the embedded default) or a shared warehouse

DEFAULT_LOCK_WAIT_SECONDS = 60.0  # how long to wait for another process's lock, unless told
CATALOG, DATA, RUN_LOCK, READ_LOCK = "catalog.sqlite", "data", "run.lock", "read.lock"
LAKE = "news"  # the name the warehouse is attached under: `news.articles`, `USE news`
BUSY_TIMEOUT_MS = 10_000  # how long a catalog statement waits for SQLite's lock before failing
_KEEP_ATTACHED = 4  # warehouses (per mode) a process keeps attached
_ATTACHED: dict[tuple[Location, bool], duckdb.DuckDBPyConnection] = {}
_ATTACHING = threading.Lock()
_EVER_ATTACHED: set[Location] = set()  # DuckDB's SQLite has (or had) these catalogs open here
_WRITE_LOCK_KEY = 0x6E657773  # the advisory lock a shared warehouse's writers take turns on


class WarehouseError(RuntimeError):
    """An expected failure of the warehouse, said in one line: callers need not know DuckDB."""


class WarehouseBusy(WarehouseError):
    """Another process holds the warehouse (or the run lock) longer than we waited."""


class WarehouseMissing(WarehouseError):
    """A read of a warehouse that has not been created yet."""


class QueryFailed(WarehouseError):
    """DuckDB refused or failed a statement (a user's SQL, a conflict, an I/O error)."""


def connect(
    path: Location,
    read_only: bool = False,
    wait_seconds: float | None = None,
    threads: int | None = None,
    as_of: datetime | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse in `path` (a folder, or a shared warehouse); a writable open creates
    it and brings its tables, views and macros up to date. `threads` caps DuckDB's worker
    threads; `as_of` opens it (read-only) as it was at that moment.

    Attaching a lake costs a few hundred milliseconds, so each process attaches a warehouse
    once (per mode) and hands out cursors of that DuckDB instance: every cursor is its own
    connection, with its own transactions, and sees the latest commit."""
    if isinstance(path, Path):
        _prepare_folder(path, read_only)
        path = path.resolve()
    if as_of is not None:
        return _instance(path, True, threads, _wait(wait_seconds), as_of)
    key = (path, read_only)
    with _ATTACHING:
        if read_only and (path, False) in _ATTACHED:
            key = (path, False)  # this process writes it already: that attachment reads as well
        base = _ATTACHED.pop(key, None) or _instance(path, read_only, threads, _wait(wait_seconds), None)
        _ATTACHED[key] = base  # most recently used last
        while len(_ATTACHED) > _KEEP_ATTACHED:
            _ATTACHED.pop(next(iter(_ATTACHED))).close()  # its open cursors keep the instance alive
        cursor = base.cursor()
    cursor.execute(f"USE {LAKE}")
    if threads:  # a setting of the whole instance, which this process's opens share
        cursor.execute(f"SET threads = {int(threads)}")
    return cursor


def _instance(
    path: Location, read_only: bool, threads: int | None, wait_seconds: float, as_of: datetime | None
) -> duckdb.DuckDBPyConnection:
    if isinstance(path, Path) and path not in _EVER_ATTACHED and (path / CATALOG).exists():
        _follow_a_move(path)
    _EVER_ATTACHED.add(path)
    config: dict[str, str | bool | int | float | list[str]] = {"threads": threads} if threads else {}
    con = duckdb.connect(config=config)
    try:
        _attach(con, path, read_only, wait_seconds, as_of)
        if not read_only:
            ddl.bring_up_to_date(con)
    except BaseException:
        con.close()
        raise
    return con


def attach_sql(path: Location, read_only: bool = True, as_of: datetime | None = None) -> str:
    """The SQL that attaches this warehouse as `news` and makes it the default database, in
    any DuckDB client of our version on this machine (it uses the extensions newsdesk
    installed; elsewhere, INSTALL ducklake, sqlite and postgres and leave out the first line)."""
    if isinstance(path, Path):
        catalog = f"sqlite:{quoted(path.resolve() / CATALOG)}"
        options = [f"DATA_PATH '{quoted(path.resolve() / DATA)}/'", f"META_BUSY_TIMEOUT {BUSY_TIMEOUT_MS}"]
    else:
        catalog = f"postgres:{path.catalog.replace(chr(39), chr(39) * 2)}"
        options = [f"DATA_PATH '{path.data_path.rstrip('/')}/'"]
    if read_only or as_of:
        options.append("READ_ONLY")
    if as_of:
        options.append(f"SNAPSHOT_TIME '{as_of.isoformat()}'")
    return (
        f"SET extension_directory = '{quoted(ddl.extension_directory())}';\n"
        f"ATTACH 'ducklake:{catalog}' AS {LAKE} ({', '.join(options)});\nUSE {LAKE};"
    )


@contextmanager
def writing(
    path: Location, wait_seconds: float | None = None, threads: int | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable connection. A shared warehouse is written by one connection at a time,
    whichever machine it is on (the catalog's advisory lock): DuckLake keeps no keys, and
    two loads merging the same new key at once would both insert it."""
    with _one_line_errors(), _catalog_lock(path, _wait(wait_seconds)):
        con = connect(path, read_only=False, wait_seconds=wait_seconds, threads=threads)
        try:
            yield con
        finally:
            con.close()


@contextmanager
def reading(
    path: Location, wait_seconds: float | None = None, as_of: datetime | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection whose queries all see one snapshot. (On a lake, a query outside a
    transaction reads the catalog's file lists afresh: a read of several queries pays that once.)"""
    with _one_line_errors(), _read_turn(path, _wait(wait_seconds)):
        con = connect(path, read_only=True, wait_seconds=wait_seconds, as_of=as_of)
        try:
            con.execute("BEGIN TRANSACTION")
            yield con
        finally:
            con.close()


@contextmanager
def readers_paused(path: Location, wait_seconds: float | None = None) -> Iterator[None]:
    """While maintenance rewrites files, no read of ours is under way: DuckLake gives a read
    transaction begun before a merge the wrong rows (none, or only those kept in the catalog)
    and no error. Waits for the reads under way to end; new ones wait the second or so it takes."""
    if not isinstance(path, Path):
        yield
        return
    wait_seconds = _wait(wait_seconds)
    with open(path / READ_LOCK, "a") as handle:
        if not _flock(handle, fcntl.LOCK_EX, wait_seconds):
            raise WarehouseBusy(f"reads of {path} went on for {wait_seconds:g}s; maintenance did not start")
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _read_turn(path: Location, wait_seconds: float) -> Iterator[None]:
    """A share of the read lock; a reader that may not write in the folder goes without."""
    try:
        handle = open(path / READ_LOCK, "a") if isinstance(path, Path) and path.is_dir() else None
    except OSError:
        handle = None
    if handle is None:
        yield
        return
    with handle:
        if not _flock(handle, fcntl.LOCK_SH, wait_seconds):
            raise WarehouseBusy(f"maintenance of {path} took longer than {wait_seconds:g}s")
        yield


def _flock(handle: Any, mode: int, wait_seconds: float) -> bool:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(handle, mode | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


@contextmanager
def run_lock(path: Location, wait_seconds: float | None = None) -> Iterator[None]:
    """One ingest run (or re-extraction) writes an embedded warehouse at a time. Runs into a
    shared warehouse go on side by side and take turns per write (see `writing`)."""
    if not isinstance(path, Path):
        yield
        return
    _refuse_single_file(path)
    path.mkdir(parents=True, exist_ok=True)
    wait_seconds = _wait(wait_seconds)
    with open(path / RUN_LOCK, "w") as handle:
        if not _flock(handle, fcntl.LOCK_EX, wait_seconds):
            raise WarehouseBusy(
                f"another run holds the warehouse {path} (waited {wait_seconds:g}s); try again when it has finished"
            )
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_single_file(path: Path) -> bool:
    """A DuckDB file from newsdesk before the lake (`newsdesk warehouse import` converts it)."""
    if not path.is_file():
        return False
    with open(path, "rb") as handle:
        return handle.read(12)[8:12] == b"DUCK"


@contextmanager
def _one_line_errors() -> Iterator[None]:
    try:
        yield
    except duckdb.Error as exc:
        raise QueryFailed(str(exc)) from exc


def require(path: Location) -> None:
    """Raise the one-line reason why `path` is not a warehouse one could read (a shared one
    is taken at its word: its catalog answers when it is attached)."""
    if isinstance(path, Path):
        _refuse_single_file(path)
        if not (path / CATALOG).exists():
            raise WarehouseMissing(f"no warehouse at {path} (run `newsdesk run` or `newsdesk demo` first)")


def _prepare_folder(path: Path, read_only: bool) -> None:
    if read_only:
        require(path)
    _refuse_single_file(path)
    (path / DATA).mkdir(parents=True, exist_ok=True)
    if not read_only and not (path / CATALOG).exists():
        _write_ahead_log(path / CATALOG)


@contextmanager
def _catalog_lock(path: Location, wait_seconds: float) -> Iterator[None]:
    if isinstance(path, Path):
        yield
        return
    try:
        import psycopg
    except ImportError:
        raise WarehouseError("a shared warehouse needs the postgres extra: pip install 'newsdesk[postgres]'") from None
    try:
        with psycopg.connect(path.catalog, autocommit=True) as catalog:
            deadline = time.monotonic() + wait_seconds
            while not _try_lock(catalog):
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(f"another writer holds the shared warehouse (waited {wait_seconds:g}s)")
                time.sleep(0.1)
            try:
                yield
            finally:
                catalog.execute("SELECT pg_advisory_unlock(%s)", [_WRITE_LOCK_KEY])
    except psycopg.OperationalError as exc:
        raise WarehouseError(f"cannot reach the warehouse's catalog: {str(exc).strip()}") from None


def _try_lock(catalog: Any) -> bool:
    row = catalog.execute("SELECT pg_try_advisory_lock(%s)", [_WRITE_LOCK_KEY]).fetchone()
    return bool(row and row[0])


def _refuse_single_file(path: Path) -> None:
    if is_single_file(path):
        raise WarehouseError(
            f"{path} is a single-file warehouse from an earlier newsdesk; convert it with "
            f"`newsdesk warehouse import {path} --db NEW_FOLDER` and point settings.warehouse there"
        )
    if path.exists() and not path.is_dir():
        raise WarehouseError(f"{path} is a file, not a warehouse folder")


def _attach(
    con: duckdb.DuckDBPyConnection, path: Location, read_only: bool, wait_seconds: float, as_of: datetime | None
) -> None:
    ddl.install_extensions(con, shared=not isinstance(path, Path))
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    while True:
        try:
            con.execute(attach_sql(path, read_only, as_of))
            return
        except duckdb.Error as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusy(f"{path} is locked by another process (waited {wait_seconds:.0f}s): {exc}") from exc
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def _follow_a_move(path: Path) -> None:
    """The catalog records its data folder's absolute path: after the warehouse folder was
    copied or moved, point it at the folder it is in now. Only before this process's DuckDB
    opens the catalog (see _write_ahead_log on why)."""
    wanted = f"{path / DATA}/"
    with closing(sqlite3.connect(path / CATALOG)) as catalog:
        if catalog.execute("SELECT 1 FROM sqlite_master WHERE name = 'ducklake_metadata'").fetchone() is None:
            return  # a catalog not made yet (created a moment ago, in WAL mode)
        row = catalog.execute("SELECT value FROM ducklake_metadata WHERE key = 'data_path'").fetchone()
        if row is not None and row[0] != wanted:
            catalog.execute("UPDATE ducklake_metadata SET value = ? WHERE key = 'data_path'", [wanted])
            catalog.commit()


def _write_ahead_log(catalog: Path) -> None:
    """Create the catalog in SQLite's write-ahead-log mode, so that readers holding it open
    never block a commit (in the default mode one open reader stops every writer); the mode
    persists in the file. Only ever on a new catalog: Python's sqlite3 is another copy of
    SQLite than DuckDB's, and two copies with one file open in a process break each other's
    locks ("disk I/O error")."""
    with closing(sqlite3.connect(catalog)) as catalog_db:
        catalog_db.execute("PRAGMA journal_mode=WAL")


def _wait(seconds: float | None) -> float:
    return DEFAULT_LOCK_WAIT_SECONDS if seconds is None else seconds
