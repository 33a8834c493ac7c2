"""Single-file warehouses of newsdesk before the lake: bring one up to its last schema (the
migrations it would have applied itself) and copy every table into the lake."""

from __future__ import annotations

import re
import shutil
import tempfile
from importlib import resources
from pathlib import Path

import duckdb

from warehouse import reads, schema
from warehouse.db import QueryFailed
from warehouse.literals import quoted

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
_COPIED = tuple(table for table in schema.ALL if table is not schema.WAREHOUSE_META)


def import_file(con: duckdb.DuckDBPyConnection, old: Path) -> dict[str, int]:
    """Copy the single-file warehouse `old` (left untouched) into the lake `con` is attached to,
    in one transaction; returns rows per table, each checked against the source."""
    if reads.scalar(con, "SELECT count(*) FROM articles"):
        raise QueryFailed("the warehouse already holds articles: import into a new one (another --db)")
    with tempfile.TemporaryDirectory(prefix="newsdesk-import-") as scratch:
        copy = Path(scratch) / "old.duckdb"
        shutil.copyfile(old, copy)
        _bring_up_to_date(copy)
        con.execute(f"ATTACH '{quoted(copy)}' AS old_warehouse (READ_ONLY)")
        try:
            return _copy_tables(con)
        finally:
            con.execute("DETACH old_warehouse")


def _columns_in_old(con: duckdb.DuckDBPyConnection, table: schema.Table) -> list[str]:
    """The table's columns the old warehouse has (those added since the lake stay NULL)."""
    old = reads.column_names(con, table.name, "old_warehouse")
    return [name for name in table.column_names if name in old]


def _copy_tables(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    counts: dict[str, int] = {}
    con.execute("BEGIN")
    try:
        for table in _COPIED:
            present = _columns_in_old(con, table)
            if not present:  # a table added since the lake: nothing to copy
                continue
            columns = ", ".join(present)
            con.execute(f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM old_warehouse.{table.name}")
            source = int(reads.scalar(con, f"SELECT count(*) FROM old_warehouse.{table.name}"))
            copied = int(reads.scalar(con, f"SELECT count(*) FROM {table.name}"))
            if source != copied:
                raise QueryFailed(
                    f"{table.name}: {source} rows in the old warehouse but {copied} copied; nothing imported"
                )
            counts[table.name] = source
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return counts


def _bring_up_to_date(path: Path) -> None:
    """The old warehouse's pending migrations, as the newsdesk that made it would have run them."""
    with duckdb.connect(str(path)) as old:
        old.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            "version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
        )
        done = {version for (version,) in old.execute("SELECT version FROM schema_version").fetchall()}
        for version, name, sql in _migrations():
            if version not in done:
                old.execute(sql)
                old.execute("INSERT INTO schema_version VALUES (?, ?, now())", [version, name])


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("warehouse.legacy").joinpath("migrations")
    found = []
    for item in folder.iterdir():
        match = _MIGRATION_NAME.match(item.name)
        if match:
            found.append((int(match.group(1)), item.name, item.read_text(encoding="utf-8")))
    return sorted(found)
