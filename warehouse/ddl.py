"""The warehouse's tables, views and macros, kept as schema.py, views.sql and search.sql say.

A writable open compares a fingerprint of those definitions with the one stored in the
warehouse and does nothing when they agree, so an ordinary run writes no catalog change.
When they differ, missing tables and columns are created (DuckLake keeps no keys: the
loader keeps identity itself) and the views and macros are replaced, in one transaction.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb
import platformdirs

from warehouse import reads, schema, search
from warehouse.literals import quoted

# The extensions DuckLake needs, from the wheels pinned beside duckdb (INSTALL by name would
# go to the network). Installed once per user, into a folder of newsdesk's own.
_EXTENSION_WHEELS = {"ducklake": "duckdb_extension_ducklake", "sqlite_scanner": "duckdb_extension_sqlite"}
_SHARED_WHEELS = {"postgres_scanner": "duckdb_extension_postgres"}  # the [postgres] extra


def extension_directory() -> Path:
    return platformdirs.user_cache_path("newsdesk") / "duckdb-extensions"


def install_extensions(con: duckdb.DuckDBPyConnection, shared: bool = False) -> None:
    con.execute(f"SET extension_directory = '{quoted(extension_directory())}'")
    installed = {
        name for (name,) in con.execute("SELECT extension_name FROM duckdb_extensions() WHERE installed").fetchall()
    }
    wheels = {**_EXTENSION_WHEELS, **(_SHARED_WHEELS if shared else {})}
    for name, module in wheels.items():
        if name not in installed:
            con.execute(f"INSTALL '{quoted(_wheel_file(module))}'")


def bring_up_to_date(con: duckdb.DuckDBPyConnection) -> None:
    searchable = search.try_load_extension(con) is None  # the search macros call the extension's stem()
    wanted = _fingerprint(searchable)
    _create_or_extend(con, schema.WAREHOUSE_META)
    stored = con.execute("SELECT value FROM warehouse_meta WHERE name = 'fingerprint'").fetchone()
    if stored is not None and stored[0] == wanted:
        return
    con.execute("BEGIN")
    for table in schema.ALL:
        _create_or_extend(con, table)
    con.execute(_sql_file("views.sql"))
    if searchable:
        con.execute(_sql_file("search.sql"))
    con.execute("DELETE FROM warehouse_meta WHERE name = 'fingerprint'")
    con.execute("INSERT INTO warehouse_meta VALUES ('fingerprint', ?)", [wanted])
    con.execute("COMMIT")


def _create_or_extend(con: duckdb.DuckDBPyConnection, table: schema.Table) -> None:
    columns = ", ".join(_column(column) for column in table.columns)
    con.execute(f"CREATE TABLE IF NOT EXISTS {table.name} ({columns})")
    present = reads.column_names(con, table.name)
    for column in table.columns:
        if column.name not in present:  # a column added since: older rows read it as NULL
            con.execute(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {column.type}")


def _column(column: schema.Column) -> str:
    return f"{column.name} {column.type}" + ("" if column.nullable else " NOT NULL")


@cache
def _fingerprint(searchable: bool) -> str:
    text = repr(schema.ALL) + _sql_file("views.sql") + (_sql_file("search.sql") if searchable else "")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sql_file(name: str) -> str:
    return resources.files("warehouse").joinpath(name).read_text(encoding="utf-8")


def _wheel_file(module: str) -> Path:
    folder = Path(str(resources.files(module))) / "extensions" / f"v{duckdb.__version__}"
    found = sorted(folder.glob("*.duckdb_extension"))
    if not found:
        raise RuntimeError(
            f"{module} has no extension for duckdb {duckdb.__version__} in {folder}; "
            f"pip install '{module.replace('_', '-')}=={duckdb.__version__}'"
        )
    return found[0]
