"""The `newsdesk` command line.

Each command imports what it needs inside its own body: `newsdesk --help`, `query` and
`stats` must not pay for importing Prefect, trafilatura or the warehouse's Arrow code.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from flows import configuration
from flows import localstate
from flows import logs
from flows.cli import printing
from flows.cli.printing import err, out
from flows.records import Outcome, SourceKind

if TYPE_CHECKING:
    from warehouse.db import Location

progress = logging.getLogger("newsdesk.progress")

app = typer.Typer(
    help="newsdesk: poll news feeds, extract the articles, and keep them in a DuckDB warehouse.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
sources_app = typer.Typer(
    help="List the feeds in sources.yaml, add one, or move them to and from OPML.", no_args_is_help=True
)
app.add_typer(sources_app, name="sources")


class LogFormat(StrEnum):
    text = "text"
    json = "json"


@app.callback()
def main(
    log_format: Annotated[
        LogFormat,
        typer.Option(
            "--log-format",
            envvar=logs.FORMAT_ENV,
            help="Progress and log lines as text, or as one JSON object per line on stderr (for log shippers).",
        ),
    ] = LogFormat.text,
) -> None:
    """newsdesk: poll news feeds, extract the articles, and keep them in a DuckDB warehouse."""
    if log_format is LogFormat.json:
        logs.use_json()
        _show_progress()


EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3
T = TypeVar("T")
DEMO_PORT = 8642

SourcesOpt = Annotated[
    Path | None,
    typer.Option(
        "--sources",
        "-s",
        metavar="PATH",
        show_default=False,
        help="Sources file (default: $NEWSDESK_SOURCES, else ./sources.yaml).",
    ),
]
FormatOpt = Annotated[printing.Format, typer.Option("--format", "-f", help="Output format.")]
DbOpt = Annotated[
    Path | None,
    typer.Option(
        "--db",
        metavar="PATH",
        show_default=False,
        help="Warehouse file (default: $NEWSDESK_DB, else settings.warehouse in the sources file).",
    ),
]


def _fail(message: str, code: int = EXIT_FAILED) -> typer.Exit:
    if logs.json_enabled():
        progress.error(message, extra={"exit_code": code})
    else:
        err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def _tell(message: str) -> None:
    """A line for the person at the terminal, or a log event under --log-format json."""
    if logs.json_enabled():
        progress.info(message)
    else:
        out.print(message, highlight=False)


def _config(sources: Path | None, db: Path | None) -> configuration.Config:
    try:
        return configuration.load(configuration.resolve_sources_path(sources), db)
    except configuration.ConfigError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None


@app.command()
def run(
    sources: SourcesOpt = None,
    db: DbOpt = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", metavar="NAME", help="Poll only this source (repeatable).")
    ] = None,
    everything: Annotated[bool, typer.Option("--all", help="Poll every enabled source, due or not.")] = False,
) -> None:
    """Run one ingest pass over the sources that are due: poll, fetch new articles, load them.

    A source is due when its interval has passed (longer if the feed asks, longer
    still while it is failing). Exit status: 0 all polled sources fine, 3 some
    sources failed (the rest loaded), 1 the run failed (every source failed or the
    load failed), 2 bad configuration.
    """
    config = _config(sources, db)
    code = _ingest(config, db, source, everything)
    # Everything is closed; the interpreter's final collection of a Prefect-sized heap
    # would add half a second to every run from cron.
    gc.freeze()
    raise typer.Exit(code)


@app.command()
def demo(
    db: Annotated[Path, typer.Option("--db", help="Warehouse file for the demo.")] = Path("warehouse/demo"),
    port: Annotated[int, typer.Option(help="Port for the offline newsroom on 127.0.0.1.")] = DEMO_PORT,
) -> None:
    """Ingest the bundled offline newsroom (served on 127.0.0.1) into a demo warehouse."""
    from flows.demo.site import Newsroom

    try:
        room = Newsroom(port=port, edition=_demo_edition(db)).start()
    except OSError as exc:
        raise _fail(
            f"cannot serve the demo newsroom on 127.0.0.1:{port}: {exc.strerror} (choose another --port)"
        ) from None
    try:
        sources_path = _write_demo_sources(room, db)
        out.print(
            f"Serving the demo newsroom at [bold]{room.base_url}[/] "
            f"({len(room.sources())} sources); ingesting into [bold]{db}[/]"
        )
        code = _ingest(_config(sources_path, db), db, None, everything=True)
    finally:
        room.stop()
    if code in (EXIT_OK, EXIT_PARTIAL):
        sample = (
            "SELECT source, count(*) AS articles, max(published_at) AS latest "
            "FROM articles GROUP BY source ORDER BY articles DESC"
        )
        out.print(f"\n[bold]Sample query[/]: {sample}")
        _print_query(db, sample, printing.Format.table)
        command = sys.argv[0] if Path(sys.argv[0]).name == "newsdesk" else "newsdesk"
        out.print(f'\nQuery further with:  {command} query --db {db} "SELECT title, source FROM v_articles LIMIT 10"')
        out.print(f"            or with:  {command} shell --db {db}")
    raise typer.Exit(code)


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL to run (read-only).")],
    sources: SourcesOpt = None,
    db: DbOpt = None,
    format: FormatOpt = printing.Format.table,
    as_of: Annotated[
        datetime | None,
        typer.Option(
            "--as-of",
            formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"],
            help="Read the warehouse as it was at this moment (UTC), within settings.keep_snapshots_days.",
        ),
    ] = None,
) -> None:
    """Run read-only SQL against the warehouse (it answers at once, even while a run loads)."""
    moment = as_of.replace(tzinfo=timezone.utc) if as_of else None
    _print_query(_warehouse_path(sources, db), sql, format, moment)


@app.command("serve")
def serve_command(
    sources: SourcesOpt = None,
    db: DbOpt = None,
    cron: Annotated[str | None, typer.Option(help="Run on this cron schedule, e.g. '*/5 * * * *'.")] = None,
    interval: Annotated[
        int | None, typer.Option(help="Run every this many seconds (default: settings.schedule).", min=1)
    ] = None,
    port: Annotated[int, typer.Option(help="Port for the local Prefect server.")] = 4200,
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Serve Prometheus metrics at http://HOST:PORT/metrics (all interfaces).", min=1, max=65535),
    ] = None,
) -> None:
    """Run the ingest flow on a schedule until stopped (Ctrl-C or SIGTERM).

    Each run polls only the sources that are due. With PREFECT_API_URL set, the
    deployment is served against that server; otherwise a local Prefect server is
    started on 127.0.0.1 and stopped with newsdesk. Runs never overlap.
    """
    from flows import serve

    config = _config(sources, db)
    if cron and interval:
        raise _fail("give --cron or --interval, not both", EXIT_USAGE)
    if not cron and not interval:
        cron, interval = config.settings.schedule_cron, config.settings.schedule_interval_seconds
    signal.signal(signal.SIGTERM, _interrupt)  # Prefect's runner installs its own once it starts
    every = f"cron '{cron}'" if cron else f"every {interval}s"
    if metrics_port:
        try:
            serve.serve_metrics(metrics_port, config.settings.warehouse)
        except OSError as exc:
            raise _fail(f"cannot serve metrics on port {metrics_port}: {exc.strerror or exc}", EXIT_USAGE) from None
        _tell(f"Metrics: http://127.0.0.1:{metrics_port}/metrics")
    try:
        if os.environ.get("PREFECT_API_URL"):
            api = os.environ["PREFECT_API_URL"]
            _tell(f"Serving {serve.DEPLOYMENT_NAME} ({every}) against {api}; UI: {serve.ui_url(api)}")
            serve.serve_ingest(config.path, db, interval, cron)
            return
        _tell(f"Starting a local Prefect server on 127.0.0.1:{port} ...")
        with serve.local_prefect_server(port) as api:
            os.environ["PREFECT_API_URL"] = api
            _tell(f"Serving {serve.DEPLOYMENT_NAME} ({every}). Prefect UI: {serve.ui_url(api)}  (Ctrl-C to stop)")
            serve.serve_ingest(config.path, db, interval, cron)
    except serve.ServerFailed as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt:
        pass
    _tell("Stopped.")


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@app.command("reextract")
def reextract_command(
    sources: SourcesOpt = None,
    db: DbOpt = None,
    source: Annotated[str | None, typer.Option(metavar="NAME", help="Only this source's articles.")] = None,
    since: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Only articles published on or after this day (UTC).")
    ] = None,
) -> None:
    """Re-run extraction over the stored raw pages and update the articles in place.

    Run it after upgrading newsdesk: articles get the new extractor's body and
    metadata in one transaction; pages that now fail to extract keep their old row.
    """
    from flows import reextract
    from warehouse import WarehouseError

    config = _warehouse_config(sources, db)
    since_utc = since.replace(tzinfo=timezone.utc) if since else None
    err.print("re-extracting stored pages ...")
    try:
        report = reextract.reextract(
            config.settings.warehouse,
            source,
            since_utc,
            config.settings.min_body_chars,
            config.settings.lock_wait_seconds,
        )
    except (WarehouseError, OSError) as exc:
        raise _fail(f"re-extraction failed: {exc}") from None
    out.print(
        f"{report.pages} pages re-extracted, {report.changed} articles changed, "
        f"{len(report.failed)} failed (kept as they were)"
    )
    for article_id, error in report.failed[:10]:
        out.print(f"  {article_id}: {error}", highlight=False)


@app.command("export")
def export_command(
    out_path: Annotated[Path, typer.Option("--out", help="File (jsonl, csv, .warc.gz) or folder (parquet) to write.")],
    format: Annotated[str, typer.Option("--format", "-f", help="parquet, jsonl, csv or warc.")] = "parquet",
    table: Annotated[str, typer.Option(help="Table or view to export (not for warc).")] = "articles",
    since: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Only rows from this day on (UTC; articles: by publication)."),
    ] = None,
    source: Annotated[str | None, typer.Option(metavar="NAME", help="warc: only this source's pages.")] = None,
    exclude_tdm_reserved: Annotated[
        bool,
        typer.Option(
            "--exclude-tdm-reserved", help="Leave out articles whose publisher reserves text-and-data-mining rights."
        ),
    ] = False,
    sources: SourcesOpt = None,
    db: DbOpt = None,
) -> None:
    """Export a table (Parquet, JSON lines, CSV) or every stored page (WARC) for other tools.

    Parquet goes into a folder partitioned by publication day; --format warc writes a
    response and a metadata record per stored page, for web-archive tools.
    """
    import warehouse
    from warehouse import export

    since_utc = since.replace(tzinfo=timezone.utc) if since else None
    if format == "warc":
        from flows.cli.archive_commands import export_warc

        return export_warc(_warehouse_path(sources, db), out_path, since_utc, source, exclude_tdm_reserved)
    if source is not None:
        raise _fail("--source applies to --format warc", EXIT_USAGE)
    try:
        with warehouse.reading(_warehouse_path(sources, db)) as con:
            count = export.export(con, table, format, out_path, since_utc, exclude_tdm_reserved)
    except ValueError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    except warehouse.WarehouseError as exc:
        raise _fail(f"export failed: {exc}") from None
    out.print(f"{count} rows of {table} written to {out_path} ({format})")


@app.command("search")
def search_command(
    terms: Annotated[str, typer.Argument(help="Words to look for in titles and bodies.")],
    since: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Only articles published on or after this day (UTC).")
    ] = None,
    source: Annotated[str | None, typer.Option(metavar="NAME", help="Only this source.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many articles.")] = 20,
    format: FormatOpt = printing.Format.table,
    sources: SourcesOpt = None,
    db: DbOpt = None,
) -> None:
    """Full-text search over titles and bodies, best match first (BM25; a title match counts double)."""
    from warehouse import search

    since_utc = since.replace(tzinfo=timezone.utc) if since else None

    def run(con: Any) -> search.Results:
        search.load_extension(con)
        return search.search(con, terms, since_utc, source, limit)

    try:
        results = _read(_warehouse_path(sources, db), run, "search failed")
    except search.SearchUnavailable as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    printing.show_hits(results.hits, format)
    if results.unindexed:
        err.print(
            f"[yellow]{results.unindexed} articles are not indexed yet (the fts extension was missing "
            "when they were loaded); the next run indexes them[/]"
        )


@app.command("report")
def report_command(
    out_path: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("report.html"),
    days: Annotated[int, typer.Option(min=1, help="Days of articles to chart, up to the latest one.")] = 14,
    sources: SourcesOpt = None,
    db: DbOpt = None,
) -> None:
    """Write one self-contained HTML page (inline SVG charts, no network needed to open it):
    articles per day and source, the biggest stories, source and extraction health, the last runs."""
    from flows import monitoring, report
    from warehouse import overview

    def gather(con: Any) -> dict[str, list[dict[str, Any]]]:
        rows = overview.gather(con, days)
        return rows | {"health": monitoring.with_drift(con, rows["health"])}

    path = _warehouse_path(sources, db)
    rows = _read(path, gather, "report failed")
    data = report.ReportData(
        warehouse=str(path),
        generated_at=datetime.now(timezone.utc),
        days=days,
        **{name: tuple(value) for name, value in rows.items()},
    )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(report.render(data), encoding="utf-8")
    out.print(f"Report written to {out_path.resolve()}")


@app.command()
def stats(
    sources: SourcesOpt = None,
    db: DbOpt = None,
    format: Annotated[printing.StatsFormat, typer.Option("--format", "-f", help="Output format.")] = (
        printing.StatsFormat.table
    ),
) -> None:
    """Source health: last poll and success, failures, next poll, articles, extraction health
    and drift. `--format prometheus` prints the metrics of `serve --metrics-port` (for
    node_exporter's textfile collector)."""
    from flows import monitoring

    location = _warehouse_path(sources, db)
    if format is printing.StatsFormat.prometheus:
        sys.stdout.write(_read(location, monitoring.exposition).decode())
        return
    names, rows = _read(location, monitoring.source_health)
    if format is not printing.StatsFormat.table:
        printing.render(names, rows, printing.Format(format.value))
        return
    out.print(printing.health_table(names, rows))


@app.command()
def stories(
    since: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Only stories with a copy seen on or after this day (UTC)."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many stories to show.")] = 20,
    sources: SourcesOpt = None,
    db: DbOpt = None,
    format: FormatOpt = printing.Format.table,
) -> None:
    """The biggest stories: each article grouped with its copies at other outlets.

    A copy is an exact duplicate (the same article under another URL) or a near-duplicate:
    rewritten in places, trimmed, expanded, or only the lead. Stories are ranked by how many
    outlets ran them, then by copies. Every story, with all columns, is the view v_stories.
    """
    from warehouse import reads

    since_utc = since.replace(tzinfo=timezone.utc) if since else None
    names, rows = _read(_warehouse_path(sources, db), lambda con: reads.biggest_stories(con, since_utc, limit))
    if format is not printing.Format.table:
        printing.render(names, rows, format)
        return
    out.print(printing.stories_table(names, rows))


@app.command()
def changes(
    article_id: Annotated[str | None, typer.Argument(help="Only this article's changes.")] = None,
    since: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Only changes seen on or after this day (UTC).")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Only this source's articles.")] = None,
    diff: Annotated[bool, typer.Option("--diff", help="Print ARTICLE_ID's word-level changes.")] = False,
    from_revision: Annotated[
        int | None, typer.Option(help="With --diff: the older revision (default: newest-1).")
    ] = None,
    to_revision: Annotated[int | None, typer.Option(help="With --diff: the newer revision (default: newest).")] = None,
    sources: SourcesOpt = None,
    db: DbOpt = None,
    format: FormatOpt = printing.Format.table,
) -> None:
    """Articles that changed after publication: rewritten headlines first, words added and
    removed, and pages found gone (withdrawn). Every revision is in table article_revisions.
    """
    from warehouse import reads

    path = _warehouse_path(sources, db)
    if diff:
        if article_id is None:
            raise _fail("--diff needs an ARTICLE_ID (see the first column of `newsdesk changes`)", EXIT_USAGE)
        revisions, known = _read(
            path, lambda con: (reads.revisions(con, article_id), reads.article_bodies(con, [article_id]))
        )
        if not known:
            raise _fail(f"no article {article_id} in {path} (see the first column of `newsdesk changes`)")
        out.print(printing.revision_diff(article_id, revisions, from_revision, to_revision), highlight=False)
        return
    since_utc = since.replace(tzinfo=timezone.utc) if since else None
    names, rows = _read(path, lambda con: reads.article_changes(con, since_utc, source, article_id))
    if format is not printing.Format.table:
        printing.render(names, rows, format)
        return
    out.print(printing.changes_table(names, rows))


@sources_app.command("list")
def sources_list(sources: SourcesOpt = None, format: FormatOpt = printing.Format.table) -> None:
    """Show the configured sources: name, kind (feed, news_sitemap, sitemap), URL, labels."""
    config = _config(sources, None)
    names = ["name", "kind", "url", "category", "language", "enabled", "interval_minutes"]
    rows = [
        (s.name, str(s.kind), s.feed_url, s.category, s.language, s.enabled, s.interval_minutes) for s in config.sources
    ]
    printing.render(names, rows, format)


@sources_app.command("add")
def sources_add(
    url: Annotated[str, typer.Argument(help="A feed or sitemap URL, or a home page or domain to search for them.")],
    name: Annotated[str | None, typer.Option(help="Source name (default: made from the feed title).")] = None,
    category: Annotated[str | None, typer.Option(help="Category label.")] = None,
    language: Annotated[str | None, typer.Option(help="ISO 639-1 language code.")] = None,
    kind: Annotated[
        SourceKind, typer.Option(help="Which of the sources found to add: the feed, the news sitemap or a sitemap.")
    ] = SourceKind.FEED,
    sources: SourcesOpt = None,
) -> None:
    """Add a feed or sitemap to sources.yaml (keeps the file's comments and order; refuses duplicates).

    Given a page or a domain, it lists the feeds the page advertises and the site's
    sitemaps (robots.txt, <link rel="sitemap">, the usual paths) and adds the best of --kind.
    """
    from flows import discover
    from flows.sources import sourcefile

    path = configuration.resolve_sources_path(sources)
    try:
        found = asyncio.run(discover.find_sources(discover.as_url(url), _probe_settings(sources)))
    except discover.NoFeed as exc:
        raise _fail(str(exc)) from None
    chosen = discover.best(found, kind)
    if not (len(found) == 1 and chosen):
        printing.show_found(found, chosen)
    if chosen is None:
        raise _fail(f"found no {kind.replace('_', ' ')} for {url}: {printing.kind_hint(found)}")
    entry = {
        "name": name or sourcefile.suggest_name(chosen.title, chosen.url),
        "url": chosen.url,
        "kind": None if kind is SourceKind.FEED else str(kind),
        "category": category,
        "language": language,
    }
    try:
        sourcefile.add(path, entry)
    except (sourcefile.DuplicateSource, configuration.ConfigError) as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    out.print(f"Added [bold]{entry['name']}[/] ({chosen.summary}): {chosen.url}")


@sources_app.command("import")
def sources_import(
    opml_file: Annotated[Path, typer.Argument(metavar="FILE.opml", help="An OPML export from a feed reader.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would be added.")] = False,
    sources: SourcesOpt = None,
) -> None:
    """Add the feeds of an OPML file to sources.yaml (keeps comments and order; skips feeds already listed)."""
    from flows.sources import opml
    from flows.sources import sourcefile

    path = configuration.resolve_sources_path(sources)
    try:
        plan = opml.plan_import(opml.parse(opml_file.read_bytes()), sourcefile.listed(path))
        if plan.added and not dry_run:
            sourcefile.add_many(path, list(plan.added))
    except OSError as exc:
        raise _fail(f"cannot read {opml_file}: {exc.strerror or exc}", EXIT_USAGE) from None
    except opml.OpmlError as exc:
        raise _fail(f"{opml_file}: {exc}", EXIT_USAGE) from None
    except (sourcefile.DuplicateSource, configuration.ConfigError) as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    printing.show_import(plan, path, dry_run)


@sources_app.command("export")
def sources_export(
    out_path: Annotated[
        Path | None, typer.Option("--out", metavar="FILE", help="Write here instead of standard output.")
    ] = None,
    sources: SourcesOpt = None,
) -> None:
    """Write the sources as OPML 2.0 for feed readers; categories become folders."""
    from flows.sources import opml

    config = _config(sources, None)
    document = opml.write(config.sources, f"newsdesk sources ({config.path.name})")
    if out_path is None:
        sys.stdout.write(document)
        return
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(document, encoding="utf-8")
    err.print(f"{len(config.sources)} feeds written to {out_path}")


@app.command("extract")
def extract_command(
    inputs: Annotated[list[str], typer.Argument(help="Saved HTML files or http(s) URLs.")],
    url: Annotated[
        str | None, typer.Option("--url", help="The address a saved file came from (for links and canonical URL).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per input.")] = False,
    sources: SourcesOpt = None,
) -> None:
    """Run the article extractor on saved pages or URLs."""
    from flows import discover, extract

    settings = _probe_settings(sources)
    failures = 0
    for item in inputs:
        try:
            body, page_url, headers = discover.read_input(item, url, settings)
            article = extract.article(body, page_url, headers)
        except (OSError, discover.FetchFailed, extract.ExtractionFailed) as exc:
            failures += 1
            err.print(f"[red]{item}[/]: {exc}", highlight=False)
            continue
        printing.show_article(article, as_json)
    raise typer.Exit(EXIT_FAILED if failures else EXIT_OK)


def _ingest(config: configuration.Config, db: Path | None, only: list[str] | None, everything: bool) -> int:
    # The command line reports progress, the summary and any failure itself; Prefect's
    # console echo of the same (with tracebacks) would only bury it. The UI keeps the logs.
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    try:
        localstate.configure_prefect()
    except localstate.UnusablePath as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    _show_progress()
    with _prefect_api(config):
        return _ingest_with_prefect(config.path, db, only, everything)


def _ingest_with_prefect(sources_path: Path, db: Path | None, only: list[str] | None, everything: bool) -> int:
    from flows.ingest import RunFailed, ingest
    from warehouse import WarehouseError

    try:
        summary = asyncio.run(ingest(str(sources_path), str(db) if db else None, only, everything))
    except RunFailed as exc:
        printing.print_summary(exc.summary)
        raise _fail(f"run failed: {exc}") from None
    except configuration.ConfigError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    except (WarehouseError, OSError) as exc:
        raise _fail(f"run failed: {exc}") from None
    except RuntimeError as exc:
        if not _is_prefect_unavailable(exc):
            raise
        raise _fail(f"run failed: Prefect is unavailable: {exc} (PREFECT_HOME={os.environ['PREFECT_HOME']})") from None
    printing.print_summary(summary)
    if summary.outcome is Outcome.PARTIAL:
        err.print("[yellow]some sources failed; see the error column[/]")
        return EXIT_PARTIAL
    return EXIT_OK


@contextmanager
def _prefect_api(config: configuration.Config) -> Iterator[None]:
    """The user's PREFECT_API_URL, checked; else the server of a running `newsdesk serve`;
    else Prefect's server app in this process, for this run, which Dask workers (other
    processes, maybe other machines) cannot be relied on to reach: settings.dask is refused."""
    from flows import serve

    try:
        if os.environ.get("PREFECT_API_URL"):
            serve.check_reachable(os.environ["PREFECT_API_URL"])
            yield
            return
        running = serve.running_server()
        if running:
            os.environ["PREFECT_API_URL"] = running
            progress.info(f"using the Prefect server of `newsdesk serve` at {running}")
            yield
            return
        localstate.check_dask(config)
        with serve.in_process_server():
            yield
    except serve.ServerFailed as exc:
        raise _fail(f"run failed: {exc}") from None
    except configuration.ConfigError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None


def _is_prefect_unavailable(exc: RuntimeError) -> bool:
    """Prefect says so only in its messages: its temporary server did not start, or its API went away."""
    return any(text in str(exc) for text in ("Prefect API server", "Failed to reach API"))


def _show_progress() -> None:
    class _Printer(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            err.print(f"[dim]{datetime.now():%H:%M:%S}[/] {record.getMessage()}", highlight=False)

    shown = [h for h in progress.handlers if not isinstance(h, logging.NullHandler)]
    if not shown:
        progress.addHandler(logs.json_handler() if logs.json_enabled() else _Printer())
        progress.setLevel(logging.INFO)
        progress.propagate = False


def _warehouse_path(sources: Path | None, db: Path | None) -> Location:
    if db is not None:
        return db
    env = os.environ.get(configuration.DB_ENV)
    return Path(env) if env else _config(sources, None).settings.warehouse


def _print_query(path: Location, sql: str, format: printing.Format, as_of: datetime | None = None) -> None:
    from warehouse import adhoc

    printing.render(*_read(path, lambda con: adhoc.run(con, sql), as_of=as_of), format)


def _read(path: Location, query: Callable[[Any], T], failure: str = "SQL error", as_of: datetime | None = None) -> T:
    """Run a read on the warehouse opened read-only, turning its failures into clean exits."""
    import warehouse

    try:
        with warehouse.reading(path, as_of=as_of) as con:
            return query(con)
    except warehouse.QueryFailed as exc:
        raise _fail(f"{failure}: {exc}") from None
    except warehouse.WarehouseError as exc:
        raise _fail(str(exc)) from None


def _warehouse_config(sources: Path | None, db: Path | None) -> configuration.Config:
    """The sources file's settings with `db` applied. A command that works on the warehouse
    alone, given --db (or NEWSDESK_DB) and no sources file, runs with the default settings."""
    if sources is None and (db is not None or os.environ.get(configuration.DB_ENV)):
        return _config_or_defaults(None, db)
    return _config(sources, db)


def _probe_settings(sources: Path | None) -> configuration.Settings:
    return _config_or_defaults(sources, None).settings


def _config_or_defaults(sources: Path | None, db: Path | None) -> configuration.Config:
    """The sources file's config; the defaults where there is no such file."""
    path = configuration.resolve_sources_path(sources)
    return _config(sources, db) if path.exists() else configuration.parse({}, path, db)


def _demo_edition(db: Path) -> int:
    """The newsroom's first edition for a new demo warehouse; the second, with its articles
    edited after publication, once the demo has run."""
    import warehouse
    from warehouse import reads

    try:
        with warehouse.reading(db) as con:
            return 2 if reads.has_runs(con) else 1
    except warehouse.WarehouseError:
        return 1


def _write_demo_sources(room: Any, db: Path) -> Path:
    import yaml

    from flows.demo.site import DEMO_RECHECK_HOURS

    try:
        folder = localstate.ensure_dir(localstate.state_dir() / "demo", "the demo's folder")
    except localstate.UnusablePath as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    path = folder / "sources.yaml"
    document = {
        "settings": {
            "warehouse": str(db.resolve()),
            "user_agent": "newsdesk-demo/0.1 (+offline demo; contact: demo@newsdesk.invalid)",
            # The newsroom is on 127.0.0.1 and is ours: no need to space requests out.
            "allow_private_networks": True,
            "min_delay_seconds": 0,
        },
        "sources": [source | {"recheck_after_hours": list(DEMO_RECHECK_HOURS)} for source in room.sources()],
    }
    path.write_text(
        "# Written by `newsdesk demo` for the offline newsroom; rewritten on every demo run.\n"
        + yaml.safe_dump(document, sort_keys=False),
        encoding="utf-8",
    )
    return path
