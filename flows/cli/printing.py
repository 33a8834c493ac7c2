"""What the command line prints: summary and health tables, query results, articles."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import fields
from datetime import date, datetime, timezone
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table

from flows.records import Article

# Wide enough for the summary table when output goes to a file or a pipe.
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class StatsFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    prometheus = "prometheus"  # the metric families of `newsdesk serve --metrics-port`


SUMMARY_ROWS = 40  # sources listed one per row; beyond this the quiet ones are counted in one row

_SUMMARY_COLUMNS = [
    ("source", "source"),
    ("kind", "kind"),
    ("status", "status"),
    ("304", "not_modified"),
    ("entries", "entries"),
    ("new", "entries_new"),
    ("articles", "articles_new"),
    ("dups", "duplicates"),
    ("fetch fail", "fetch_failures"),
    ("extract fail", "extraction_failures"),
]
_COUNTED = [field for _, field in _SUMMARY_COLUMNS if field not in ("source", "kind", "status")]


def print_summary(summary: Any) -> None:
    """One row per source; in a run over many, the sources with nothing to report (no new
    entries, no failure, not held) share one row, and the busiest SUMMARY_ROWS are listed."""
    table = Table(title=f"run {summary.run_id}: {summary.outcome}", show_footer=True)
    for header, field in _SUMMARY_COLUMNS:
        footer = "total" if field == "source" else "" if field in ("kind", "status") else str(summary.total(field))
        table.add_column(header, footer=footer, justify="left" if field in ("source", "kind") else "right")
    table.add_column("error", style="red")
    listed, counted = _summary_rows(summary.sources)
    for r in listed:
        table.add_row(
            r.source,
            str(r.kind),
            "held" if r.held_until else str(r.status or "-"),
            "yes" if r.not_modified else "",
            *(str(getattr(r, field)) for field in _COUNTED[1:]),
            _source_note(r),
        )
    for label, reports in counted:
        table.add_row(label, "", "", *(str(sum(int(getattr(r, f)) for r in reports)) for f in _COUNTED), "")
    out.print(table)
    for hold in summary.host_holds:
        out.print(
            f"[yellow]holding every request to {hold.host} until {_utc(hold.held_until)}: {hold.reason}[/]",
            highlight=False,
        )
    out.print(
        f"{summary.pages_fetched} pages fetched, {summary.requests_made} requests, "
        f"{(summary.finished_at - summary.started_at).total_seconds():.1f}s -> {summary.warehouse}"
    )


def _summary_rows(reports: Sequence[Any]) -> tuple[list[Any], list[tuple[str, list[Any]]]]:
    """The sources to list one by one, and (label, sources) rows that stand for the rest."""
    if len(reports) <= SUMMARY_ROWS:
        return list(reports), []
    quiet = [r for r in reports if not _has_news(r)]
    busy = sorted((r for r in reports if _has_news(r)), key=lambda r: (r.error is None, -r.articles_new))
    counted = [(f"{len(quiet):,} {'more ' if busy else ''}sources, nothing new", quiet)] if quiet else []
    if len(busy) > SUMMARY_ROWS:
        rest = busy[SUMMARY_ROWS:]
        counted.insert(0, (f"{len(rest):,} more sources with news", rest))
    return busy[:SUMMARY_ROWS], counted


def _has_news(report: Any) -> bool:
    return bool(
        report.entries_new or report.error or report.held_until or report.fetch_failures or report.extraction_failures
    )


def _source_note(report: Any) -> str:
    """The error column: the source's error, or why it was not asked."""
    if report.held_until is not None:
        return f"held by the server until {_utc(report.held_until)} (Retry-After); not asked"
    return report.error or ""


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC"


_HEALTH_HEADERS = {
    "last_polled_at": "last poll",
    "last_success_at": "last success",
    "consecutive_failures": "fails",
    "next_poll_at": "next poll",
    "articles_total": "articles",
    "articles_24h": "24 h",
    "extraction_failure_rate": "no body",
    "no_date_share": "no date",
    "no_author_share": "no author",
    "median_words": "words",
    "pages_retrying": "retrying",
    "pages_dead": "dead",
    "articles_paywalled": "paywalled",
    "articles_tdm_reserved": "TDM reserved",
    "drifting_since": "drifting since run",
    "drift": "drift",
    "last_error": "last error",
}


def _table_cell(name: str, value: Any) -> str:
    """A value as the health and story tables show it (lists in full: they wrap)."""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, datetime):
        return f"{value.astimezone(timezone.utc):%m-%d %H:%M}"
    if name in ("extraction_failure_rate", "no_date_share", "no_author_share"):
        return "" if value is None else f"{value:.0%}"
    if name == "median_words":
        return "" if value is None else f"{value:.0f}"
    if isinstance(value, bool):
        return ("retired" if value else "") if name == "retired" else ("yes" if value else "no")
    return _cell(value)


def render(names: list[str], rows: list[tuple[Any, ...]], format: Format) -> None:
    if format is Format.json:
        for row in rows:
            sys.stdout.write(json.dumps(dict(zip(names, row)), default=_jsonable, ensure_ascii=False) + "\n")
    elif format is Format.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(names)
        writer.writerows(rows)
    else:
        table = Table(*names)
        for row in rows:
            table.add_row(*(_cell(value) for value in row))
        out.print(table)
        out.print(f"[dim]{len(rows)} row{'s' if len(rows) != 1 else ''}[/]")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def show_article(extracted: Article, as_json: bool) -> None:
    """An extracted article: every field but its near-duplicate sketch."""
    article = {f.name: getattr(extracted, f.name) for f in fields(extracted) if f.name != "band_keys"}
    if as_json:
        sys.stdout.write(json.dumps(article, default=_jsonable, ensure_ascii=False) + "\n")
        return
    out.print(f"[bold]{article['title'] or '(no title)'}[/]  {article['canonical_url']}")
    out.print(
        f"{', '.join(article['authors']) or 'no author'} | {article['published_at'] or 'no date'} "
        f"({article['published_source'] or '-'}) | {article['language'] or '?'} | "
        f"{article['word_count']} words"
    )
    out.print(article["body"][:600] + ("..." if len(article["body"]) > 600 else ""), highlight=False)
    out.print()


def health_table(names: list[str], rows: list[tuple[Any, ...]]) -> Table:
    """v_source_health as a table with totals."""
    summed = {
        "articles_total",
        "articles_24h",
        "pages_retrying",
        "pages_dead",
        "articles_paywalled",
        "articles_tdm_reserved",
    }
    table = Table(title="source health (times in UTC)", show_footer=True)
    for index, name in enumerate(names):
        footer = "total" if index == 0 else str(sum(r[index] for r in rows)) if name in summed else ""
        table.add_column(
            _HEALTH_HEADERS.get(name, name),
            footer=footer,
            no_wrap=name != "last_error",
            style="red" if name in ("last_error", "drift") else None,
        )
    for row in rows:
        table.add_row(*(_table_cell(name, value) for name, value in zip(names, row)))
    return table


def stories_table(names: list[str], rows: list[tuple[Any, ...]]) -> Table:
    """The biggest stories: outlets and copies, first and last seen, headline, who ran it."""
    headers = {
        "sources": "outlets",
        "articles": "copies",
        "first_seen": "first seen",
        "last_seen": "last seen",
        "source_names": "run by",
        "story_id": "story",
    }
    table = Table(title="biggest stories (times in UTC)")
    for name in names:
        table.add_column(
            headers.get(name, name),
            justify="right" if name in ("sources", "articles") else "left",
            no_wrap=name not in ("headline", "source_names"),
        )
    for row in rows:
        table.add_row(*(_table_cell(name, value) for name, value in zip(names, row)))
    return table


_HIT_FIELDS = ("rank", "score", "published_at", "source", "title", "url")


def show_hits(hits: Sequence[Any], format: Format) -> None:
    """Search results: rank, score, published, source, title, URL."""
    rows = [tuple(getattr(hit, field) for field in _HIT_FIELDS) for hit in hits]
    if format is not Format.table:
        render(list(_HIT_FIELDS), rows, format)
        return
    table = Table("#", "score", "published (UTC)", "source", "title", "url")
    for rank, score, published, source, title, url in rows:
        when = f"{published.astimezone(timezone.utc):%Y-%m-%d %H:%M}" if published else ""
        table.add_row(str(rank), f"{score:.2f}", when, source, title or "", url)
    out.print(table)
    out.print(f"[dim]{len(rows)} article{'s' if len(rows) != 1 else ''}[/]")


def show_import(plan: Any, path: Any, dry_run: bool) -> None:
    """What an OPML import added (or would add), found already listed, or skipped."""
    verb = "would add" if dry_run else "added"
    _count_line(f"{len(plan.added)} {verb} to {path}", [entry["name"] for entry in plan.added])
    _count_line(
        f"{len(plan.present)} already present", [f"{feed.title or feed.url} (as {name})" for feed, name in plan.present]
    )
    if plan.repeated:
        _count_line(f"{len(plan.repeated)} listed twice in the file", [f.title or f.url for f in plan.repeated])
    if plan.skipped:
        _count_line(f"{len(plan.skipped)} skipped", list(plan.skipped))


def _count_line(head: str, names: list[str]) -> None:
    out.print(head + (": " + ", ".join(names) if names else ""), highlight=False)


def show_found(found: Sequence[Any], chosen: Any) -> None:
    """The feeds and sitemaps a site search found; the one being added is marked."""
    table = Table("", "kind", "what", "url", title="found")
    for item in found:
        table.add_row("→" if item is chosen else "", str(item.kind), item.summary, item.url)
    out.print(table)


def kind_hint(found: Sequence[Any]) -> str:
    """How to add what was found instead, e.g. "it has a news_sitemap: add it with --kind news_sitemap"."""
    kinds = list(dict.fromkeys(str(item.kind) for item in found))
    return "; ".join(f"it has a {kind}: add it with --kind {kind}" for kind in kinds)


def revision_diff(
    article_id: str, revisions: Sequence[tuple[int, datetime, str | None, str]], older: int | None, newer: int | None
) -> str:
    """Two revisions of an article, headline and body word by word ([-removed-] {+added+})."""
    from flows.text import worddiff

    by_number = {number: (seen, title, body) for number, seen, title, body in revisions}
    if len(by_number) < 2:
        return f"article {article_id} has no revisions: it has not changed since it was loaded"
    newer = newer if newer is not None else max(by_number)
    older = older if older is not None else newer - 1
    missing = [n for n in (older, newer) if n not in by_number]
    if missing:
        return f"article {article_id} has revisions {min(by_number)}–{max(by_number)}, not {missing[0]}"
    (seen_a, title_a, body_a), (seen_b, title_b, body_b) = by_number[older], by_number[newer]
    return "\n".join(
        [
            f"article {article_id}: revision {older} ({_utc(seen_a)}) → {newer} ({_utc(seen_b)})",
            "headline: " + (worddiff.render(title_a or "", title_b or "") if title_a != title_b else "unchanged"),
            "",
            worddiff.render(body_a, body_b) if body_a != body_b else "body unchanged",
        ]
    )


def changes_table(names: list[str], rows: list[tuple[Any, ...]]) -> Table:
    """v_article_changes for people: when, what, the headline (before → after) and words."""
    table = Table("article", "source", "seen (UTC)", "change", "headline", "words", title="changed after publication")
    for row in rows:
        change = dict(zip(names, row))
        before, after = change["title_before"] or "", change["title_after"]
        headline = f"{before} → {after}" if change["change"] == "edited" and after != before else before
        words = f"+{change['words_added']} −{change['words_removed']}" if change["change"] == "edited" else ""
        seen = f"{change['seen_at'].astimezone(timezone.utc):%Y-%m-%d %H:%M}"
        table.add_row(change["article_id"], change["source"], seen, change["change"], headline, words)
    return table
