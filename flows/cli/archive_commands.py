"""WARC in and out: `newsdesk export --format warc` and `newsdesk import warc`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from flows.cli.commands import (
    EXIT_PARTIAL,
    EXIT_USAGE,
    DbOpt,
    SourcesOpt,
    _fail,
    _probe_settings,
    _show_progress,
    _warehouse_path,
    progress,
)
from flows.cli.printing import out

if TYPE_CHECKING:
    from flows.warcimport import FileReport
    from warehouse.db import Location

import_app = typer.Typer(help="Load pages archived elsewhere into the warehouse.", no_args_is_help=True)


def export_warc(
    location: Location, out_path: Path, since: datetime | None, source: str | None, exclude_tdm_reserved: bool
) -> None:
    """Every stored page (published, or else fetched, from `since` on; of `source` only) as WARC."""
    import warehouse
    from flows import warc
    from warehouse import archive

    if not out_path.name.endswith((".warc", ".warc.gz")):
        raise _fail(f"a WARC file's name ends in .warc.gz (or .warc): {out_path}", EXIT_USAGE)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    unfinished = out_path.with_name(out_path.name + ".part")
    try:
        with warehouse.reading(location) as con, open(unfinished, "wb") as stream:
            count = warc.write(stream, out_path.name, archive.stored_pages(con, since, source, exclude_tdm_reserved))
        unfinished.replace(out_path)
    except warehouse.WarehouseError as exc:
        unfinished.unlink(missing_ok=True)
        raise _fail(f"export failed: {exc}") from None
    out.print(f"{count} pages written to {out_path} (WARC: a response and a metadata record each)")


@import_app.command("warc")
def import_warc(
    files: Annotated[
        list[Path], typer.Argument(help="WARC files (.warc or .warc.gz).", exists=True, dir_okay=False, readable=True)
    ],
    source_name: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="The source every page is filed under (default: as a newsdesk export names it, else warc-import).",
        ),
    ] = None,
    sources: SourcesOpt = None,
    db: DbOpt = None,
) -> None:
    """Load the HTML pages of WARC files as if they had just been fetched.

    Each HTML response is extracted, deduplicated against the warehouse, matched to
    stories and loaded; its date is the page's own, else the WARC-Date. Other records
    (requests, revisits, non-HTML, errors) are counted and skipped. A file cut short or
    corrupt loads what comes before the damage and says where it stopped (exit status 3).
    Importing a file again adds nothing.
    """
    from flows import warcimport

    settings = _probe_settings(sources)  # no sources file needed: an archive brings its own pages
    location = _warehouse_path(sources, db)
    target = warcimport.Target(location, settings.lock_wait_seconds, settings.min_body_chars, source_name)
    _show_progress()
    import warehouse

    try:
        reports = warcimport.import_files(files, target, progress.info)
    except warehouse.WarehouseError as exc:
        raise _fail(f"import failed: {exc}") from None
    out.print(_summary(reports))
    if any(report.stopped for report in reports):
        raise typer.Exit(EXIT_PARTIAL)


def _summary(reports: list[FileReport]) -> Table:
    table = Table(title="WARC import")
    for heading in ("file", "pages", "new", "duplicates", "imported before", "no body", "other records", "stopped"):
        table.add_column(heading, justify="right" if heading not in ("file", "other records", "stopped") else "left")
    for r in reports:
        others = ", ".join(f"{n} {kind}" for kind, n in sorted(r.skipped.items()))
        stopped = f"at byte {r.stopped.offset}: {r.stopped.reason}" if r.stopped else ""
        table.add_row(
            r.path.name,
            str(r.pages),
            str(r.articles_new),
            str(r.duplicates),
            str(r.known),
            str(r.no_body),
            others,
            stopped,
        )
    return table
