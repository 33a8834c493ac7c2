"""The warehouse as one self-contained HTML page: charts as inline SVG, no scripts, no
network. Rows come in as plain dicts (warehouse.overview.gather); nothing here queries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from html import escape
from typing import Any

from flows.report import charts

Row = Mapping[str, Any]
OUTCOME_COLOURS = {"ok": "#59a14f", "partial": "#edc948", "failed": "#e15759"}
HEALTH_SERIES = (
    ("extraction_failure_rate", "no usable body"),
    ("no_date_share", "no date"),
    ("no_author_share", "no author"),
)


@dataclass(frozen=True)
class ReportData:
    warehouse: str
    generated_at: datetime
    days: int
    daily: tuple[Row, ...]  # day, source, articles
    stories: tuple[Row, ...]  # v_stories: headline, articles, sources, source_names
    health: tuple[Row, ...]  # v_source_health, and `drift` (flows.plan.drift.Drift or None)
    runs: tuple[Row, ...]  # runs, newest first
    changes: tuple[Row, ...] = ()  # v_article_changes: headline rewrites first


def render(data: ReportData) -> str:
    sections = [
        ("daily", "Articles per day and source", _daily_section(data)),
        ("stories", "Biggest stories", _stories_section(data.stories)),
        ("changes", "Changed after publication", _changes_section(data.changes)),
        ("health", "Source health", _health_section(data.health)),
        ("extraction", "Extraction health", _extraction_section(data.health)),
        ("runs", "Last runs", _runs_section(data.runs)),
    ]
    nav = " · ".join(f'<a href="#{key}">{escape(title)}</a>' for key, title, _ in sections)
    body = "".join(f'<section id="{key}"><h2>{escape(title)}</h2>{html}</section>' for key, title, html in sections)
    stamp = f"{data.generated_at.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC"
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>newsdesk report</title><style>{_CSS}</style></head><body><header>"
        f'<h1>newsdesk report</h1><p class="meta">{escape(data.warehouse)} · generated {stamp} · '
        f"the {data.days} days up to the latest article</p><nav>{nav}</nav></header>"
        f"<main>{body}</main></body></html>\n"
    )


def _daily_section(data: ReportData) -> str:
    if not data.daily:
        return _empty("No articles yet.")
    days = sorted({row["day"] for row in data.daily})
    sources = sorted({row["source"] for row in data.daily})
    counts = {(row["day"], row["source"]): row["articles"] for row in data.daily}
    series = [(source, [counts.get((day, source), 0) for day in days]) for source in sources]
    total = sum(row["articles"] for row in data.daily)
    chart = charts.stacked_columns(
        [_day(d) for d in days],
        series,
        title="Articles per day, by source",
        x_label="publication day (UTC)",
        y_label="articles",
    )
    return f"<p>{total} articles from {len(sources)} sources over {len(days)} days.</p>{chart}"


def _stories_section(stories: Sequence[Row]) -> str:
    if not stories:
        return _empty("No stories yet.")
    rows = [
        (
            story["headline"] or "(no headline)",
            story["sources"],
            f"{story['sources']} outlet{'s' if story['sources'] != 1 else ''} · "
            f"{story['articles']} article{'s' if story['articles'] != 1 else ''}",
        )
        for story in stories
    ]
    chart = charts.horizontal_bars(rows, title="Biggest stories by number of outlets", x_label="outlets")
    outlets = "".join(
        f"<li><b>{escape(s['headline'] or '(no headline)')}</b>: {escape(', '.join(s['source_names'] or []))}</li>"
        for s in stories
    )
    return f"{chart}<details><summary>Who ran them</summary><ol>{outlets}</ol></details>"


def _changes_section(changes: Sequence[Row]) -> str:
    if not changes:
        return _empty("No article has changed since it was loaded.")
    items = []
    for change in changes:
        before = escape(change["title_before"] or "(no headline)")
        if change["change"] == "withdrawn":
            what = f"<b>{before}</b>: withdrawn (the page is gone)"
        elif change["title_after"] != change["title_before"]:
            what = f"<b>{before}</b> → <b>{escape(change['title_after'] or '(no headline)')}</b>"
        else:
            what = f"<b>{before}</b>: +{change['words_added']} / −{change['words_removed']} words"
        items.append(
            f'<li>{what} <span class="meta">{escape(change["source"])}, {_when(change["seen_at"])}</span></li>'
        )
    return f"<ol>{''.join(items)}</ol>"


def _health_section(health: Sequence[Row]) -> str:
    if not health:
        return _empty("No sources synced yet.")
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "source", "status", "failures", "last success", "next poll", "articles", "paywalled", "TDM reserved",
            "last error",
        )
    )  # fmt: skip
    rows = "".join(
        f'<tr class="{_status(h)[0]}"><td>{escape(h["source"])}</td><td><span class="badge">{_status(h)[1]}'
        f'</span></td><td class="num">{h["consecutive_failures"]}</td><td>{_when(h["last_success_at"])}</td>'
        f'<td>{_when(h["next_poll_at"])}</td><td class="num">{h["articles_total"]}</td>'
        f'<td class="num">{h["articles_paywalled"]}</td><td class="num">{h["articles_tdm_reserved"]}</td>'
        f'<td class="error">{escape(h["last_error"] or "")}</td></tr>'
        for h in health
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _status(health: Row) -> tuple[str, str]:
    if health["retired"]:
        return "bad", "retired (410)"
    if not health["enabled"]:
        return "idle", "disabled"
    if health["consecutive_failures"]:
        return "bad", f"failing ×{health['consecutive_failures']}"
    if drift := health.get("drift"):
        return "idle", f"drifting since {_when(drift.since)}: {escape(', '.join(drift.symptoms))}"
    return "good", "ok"


def _extraction_section(health: Sequence[Row]) -> str:
    measured = [h for h in health if h["articles_total"] or h["extraction_failure_rate"]]
    if not measured:
        return _empty("No pages extracted yet.")
    rows = [(h["source"], [h[key] or 0 for key, _ in HEALTH_SERIES], "") for h in measured]
    chart = charts.grouped_bars(
        rows,
        [name for _, name in HEALTH_SERIES],
        title="Extraction health by source",
        x_label="share of pages or articles (lower is better)",
        top_value=1,
        percent=True,
        colours=[charts.PALETTE[3], charts.PALETTE[1], charts.PALETTE[5]],
    )
    words = ", ".join(
        f"{escape(h['source'])} {h['median_words']:.0f}" for h in measured if h["median_words"] is not None
    )
    return f"{chart}<p>Median words per article: {words}.</p>"


def _runs_section(runs: Sequence[Row]) -> str:
    if not runs:
        return _empty("No runs yet.")
    oldest_first = list(reversed(runs))
    labels = [_when(run["started_at"]) for run in oldest_first]
    series = [
        (outcome, [run["articles_new"] if run["outcome"] == outcome else 0 for run in oldest_first])
        for outcome in OUTCOME_COLOURS
    ]
    chart = charts.stacked_columns(
        labels,
        series,
        title="New articles per run, by outcome",
        x_label="run start (UTC)",
        y_label="new articles",
        colours=list(OUTCOME_COLOURS.values()),
    )
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "started",
            "took",
            "outcome",
            "sources",
            "failed",
            "pages",
            "new articles",
            "fetch / extract failures",
        )
    )
    rows = "".join(
        f'<tr><td>{_when(r["started_at"])}</td><td class="num">{_took(r)}</td>'
        f'<td><span class="badge {escape(r["outcome"])}">{escape(r["outcome"])}</span></td>'
        f'<td class="num">{r["sources_polled"]}</td><td class="num">{r["sources_failed"]}</td>'
        f'<td class="num">{r["pages_fetched"]}</td><td class="num">{r["articles_new"]}</td>'
        f'<td class="num">{r["fetch_failures"]} / {r["extraction_failures"]}</td></tr>'
        for r in runs
    )
    return f"{chart}<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _took(run: Row) -> str:
    return f"{(run['finished_at'] - run['started_at']).total_seconds():.1f} s"


def _when(value: datetime | None) -> str:
    return f"{value.astimezone(timezone.utc):%m-%d %H:%M}" if value else "–"


def _day(value: date) -> str:
    return f"{value:%b %d}"


def _empty(text: str) -> str:
    return f'<p class="empty">{escape(text)}</p>'


_CSS = """
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:#1f2933;background:#f7f7f5}
header{background:#1f2933;color:#f7f7f5;padding:20px 32px}
header h1{margin:0;font-size:24px;font-weight:600}
.meta{margin:4px 0 8px;color:#c5ccd3;font-size:13px}
nav a{color:#9fc3e7;text-decoration:none;font-size:13px}
main{max-width:960px;margin:0 auto;padding:8px 24px 40px}
section{background:#fff;border:1px solid #e3e3df;border-radius:8px;padding:16px 20px;margin:18px 0}
h2{margin:0 0 10px;font-size:18px;font-weight:600}
svg.chart{max-width:100%;height:auto;display:block;font-size:12px}
svg .grid{stroke:#ececec}
svg .axis{stroke:#8a939b}
svg .tick,svg .value{fill:#52606d}
svg .axis-label{fill:#52606d;font-weight:600}
svg .label,svg .legend text{fill:#1f2933}
table{border-collapse:collapse;width:100%;font-size:13px;margin-top:10px}
th{text-align:left;color:#52606d;font-weight:600;border-bottom:2px solid #e3e3df;padding:6px 8px}
td{border-bottom:1px solid #efefec;padding:6px 8px;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.error{color:#b42318;max-width:280px;overflow-wrap:anywhere}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;background:#e8f3e6;color:#2d6a26;font-size:12px}
tr.bad .badge,.badge.failed{background:#fde8e7;color:#b42318}
tr.idle .badge,.badge.partial{background:#fdf5dc;color:#8a6100}
.empty{color:#7b8794;font-style:italic}
details{margin-top:8px;font-size:13px}
"""
