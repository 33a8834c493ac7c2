"""`newsdesk shell` and `newsdesk warehouse …`: reaching the warehouse from other tools,
keeping it compact, and converting a single-file warehouse from an earlier newsdesk."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.commands import EXIT_USAGE, DbOpt, SourcesOpt, _fail, _warehouse_config, _warehouse_path
from flows.cli.printing import err, out

if TYPE_CHECKING:
    from warehouse.db import Location

warehouse_app = typer.Typer(
    help="Attach the warehouse from other tools, keep it compact, or convert an old one.", no_args_is_help=True
)


def shell(sources: SourcesOpt = None, db: DbOpt = None) -> None:
    """Open the DuckDB shell with the warehouse attached read-only (as `news`)."""
    import warehouse

    path = _warehouse_path(sources, db)
    binary = Path(sys.executable).parent / "duckdb"
    if not binary.exists():
        found = shutil.which("duckdb")
        if found is None:
            raise _fail("no duckdb shell: pip install 'duckdb-cli==<the duckdb version>' (newsdesk pins it)")
        binary = Path(found)
    _required(path)
    os.execv(binary, [str(binary), "-cmd", warehouse.attach_sql(path)])


@warehouse_app.command("attach-sql")
def attach_sql(
    sources: SourcesOpt = None,
    db: DbOpt = None,
    write: Annotated[bool, typer.Option("--write", help="Attach it writable (only while no run is writing).")] = False,
) -> None:
    """Print the SQL that attaches the warehouse (read-only) as `news` in any DuckDB client."""
    import warehouse

    path = _warehouse_path(sources, db)
    _required(path)
    out.print(warehouse.attach_sql(path, read_only=not write), highlight=False)


@warehouse_app.command("maintain")
def maintain(sources: SourcesOpt = None, db: DbOpt = None) -> None:
    """Compact the warehouse's files and drop snapshots older than settings.keep_snapshots_days."""
    import warehouse
    from warehouse import maintenance

    config = _warehouse_config(sources, db)
    try:
        with (
            warehouse.run_lock(config.settings.warehouse, config.settings.lock_wait_seconds),
            warehouse.readers_paused(config.settings.warehouse, config.settings.lock_wait_seconds),
            warehouse.writing(config.settings.warehouse, config.settings.lock_wait_seconds) as con,
        ):
            report = maintenance.maintain(con, config.settings.keep_snapshots_days)
    except warehouse.WarehouseError as exc:
        raise _fail(f"maintenance failed: {exc}") from None
    out.print(
        f"{report.files_before} data files -> {report.files_after}; "
        f"{report.snapshots_expired} snapshots expired (kept {config.settings.keep_snapshots_days:g} days)"
    )


@warehouse_app.command("import")
def import_command(
    old: Annotated[Path, typer.Argument(help="A single-file warehouse of an earlier newsdesk.")],
    sources: SourcesOpt = None,
    db: DbOpt = None,
) -> None:
    """Copy a single-file warehouse into the lake, table by table, and check the row counts."""
    import warehouse
    from warehouse import legacy

    target = _warehouse_path(sources, db)
    if not warehouse.db.is_single_file(old):
        raise _fail(f"{old} is not a DuckDB file", EXIT_USAGE)
    err.print(f"importing {old} into {target} ...")
    try:
        with warehouse.run_lock(target), warehouse.writing(target) as con:
            counts = legacy.import_file(con, old)
    except warehouse.WarehouseError as exc:
        raise _fail(f"import failed: {exc}") from None
    for table, rows in counts.items():
        out.print(f"  {table}: {rows} rows")
    out.print(f"imported {old} into {target}; every table's row count matches")


def _required(path: Location) -> None:
    """Exit with the one-line reason when `path` is no warehouse one could attach."""
    import warehouse

    try:
        warehouse.db.require(path)
    except warehouse.WarehouseError as exc:
        raise _fail(str(exc)) from None
