"""Keeping the lake compact: every commit writes small Parquet files (a commit of a few rows
is kept inside the catalog instead), and no file is ever deleted until the snapshots that use
it expire. Maintenance moves the rows kept in the catalog into data files, merges the small
files, expires snapshots older than the retention window (queries `--as-of` a moment inside
the window keep working) and deletes the files nothing refers to any more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import duckdb

from warehouse.db import LAKE

LAST_RUN = "maintained_at"  # warehouse_meta: when maintenance last ran
# Files this large are merged no more. Merging reads every file it merges into memory, and
# DuckLake's own limit (512 MB) would rewrite each table whole at every maintenance: memory and
# I/O growing with the warehouse. Below this, a maintenance merges little more than what was
# written since the last one.
MERGE_BELOW_BYTES = 16 * 2**20


@dataclass(frozen=True)
class Maintained:
    files_before: int
    files_after: int
    snapshots_expired: int


def maintain(
    con: duckdb.DuckDBPyConnection, keep_days: float, merge_below_bytes: int = MERGE_BELOW_BYTES
) -> Maintained:
    """Run every step; the caller holds the run lock (or, shared, the write lock)."""
    before = _data_files(con)
    cutoff = datetime.now(timezone.utc) - timedelta(days=keep_days)
    # Every query reads the catalog's inlined rows whole: left there, a warehouse that loads a
    # few articles per run would make each query slower and larger run after run.
    con.execute(f"CALL ducklake_flush_inlined_data('{LAKE}')")
    # Files whose rows were (nearly) all deleted since, as the last maintenance's own mark is,
    # are not merged: rewritten, they do not pile up one per maintenance.
    con.execute(f"CALL ducklake_rewrite_data_files('{LAKE}')")
    con.execute(f"CALL ducklake_merge_adjacent_files('{LAKE}', max_file_size => {int(merge_below_bytes)})")
    expired = _expire(con, cutoff)
    con.execute(f"CALL ducklake_cleanup_old_files('{LAKE}', cleanup_all => true)")
    con.execute("BEGIN")
    con.execute("DELETE FROM warehouse_meta WHERE name = ?", [LAST_RUN])
    con.execute("INSERT INTO warehouse_meta VALUES (?, ?)", [LAST_RUN, datetime.now(timezone.utc).isoformat()])
    con.execute("COMMIT")
    return Maintained(before, _data_files(con), expired)


def _expire(con: duckdb.DuckDBPyConnection, cutoff: datetime) -> int:
    """Expire the snapshots taken before `cutoff`, never the latest. They are named one by one:
    with a SQLite catalog, `older_than` compares calendar days (every snapshot of the day goes)."""
    versions = [
        int(snapshot)
        for (snapshot,) in con.execute(
            f"SELECT snapshot_id FROM ducklake_snapshots('{LAKE}') WHERE snapshot_time < ? "
            f"AND snapshot_id < (SELECT max(snapshot_id) FROM ducklake_snapshots('{LAKE}'))",
            [cutoff],
        ).fetchall()
    ]
    if versions:
        con.execute(f"CALL ducklake_expire_snapshots('{LAKE}', versions => [{', '.join(map(str, versions))}])")
    return len(versions)


def due(con: duckdb.DuckDBPyConnection, every: timedelta) -> bool:
    """Maintenance never ran, or last ran longer ago than `every`."""
    row = con.execute("SELECT value FROM warehouse_meta WHERE name = ?", [LAST_RUN]).fetchone()
    return row is None or datetime.fromisoformat(row[0]) <= datetime.now(timezone.utc) - every


def _data_files(con: duckdb.DuckDBPyConnection) -> int:
    """Parquet files the catalog still refers to (merged-away ones are deleted by the cleanup)."""
    row = con.execute(
        f"SELECT count(*) FROM __ducklake_metadata_{LAKE}.ducklake_data_file WHERE end_snapshot IS NULL"
    ).fetchone()
    return int(row[0]) if row else 0
