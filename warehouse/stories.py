"""Story ids for newly loaded articles: candidates by band key in SQL, verified by a matcher.

Runs inside the load's transaction. A new article joins the story of the earliest-loaded
article it is verified against, among its candidates in the warehouse or earlier in the
same batch; with none, it starts a story of its own (story_id = article_id). Stories that
exist are never merged or rewritten, so a load touches only its own articles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import duckdb
import pyarrow as pa

# Per new article, only the candidates sharing the most band keys are verified: a story
# run by hundreds of outlets (or boilerplate shared across a site) costs no more than this.
MAX_CANDIDATES = 20
_ID_CHUNK = 500


class StoryMatcher(Protocol):
    def band_keys(self, body: str) -> list[int]: ...

    def same_story(self, body: str, other: str) -> bool: ...


@dataclass(frozen=True)
class Candidate:
    article_id: str
    story_id: str | None  # None: loaded in this batch, story not chosen yet
    body: str
    fetched_at: datetime


def assign(
    con: duckdb.DuckDBPyConnection, articles: Sequence[Mapping[str, Any]], matcher: StoryMatcher | None
) -> dict[str, str]:
    """Set story_id on the given article rows (article_id, body; in load order) that have none
    yet; without a matcher each is its own story, and so is a paywalled teaser (its few lines
    would match every copy of the story's opening). Returns article_id -> story_id."""
    new = _without_story(con, articles) if articles else {}
    if not new:
        return {}
    candidates: dict[str, list[Candidate]] = {}
    if matcher is not None:
        teasers = {row["article_id"] for row in articles if row.get("access") == "paywalled"}
        bands = _band_table({a: body for a, body in new.items() if a not in teasers}, matcher)
        _with_table(con, "new_bands", bands, "INSERT INTO story_bands SELECT band_key, article_id FROM new_bands")
        candidates = _candidates(con, bands)
    stories = _choose_stories(new, candidates, matcher)
    _with_table(
        con,
        "assigned",
        pa.table({"article_id": list(stories), "story_id": list(stories.values())}),
        "UPDATE articles SET story_id = s.story_id FROM assigned s WHERE articles.article_id = s.article_id",
    )
    return stories


def replace_bands(con: duckdb.DuckDBPyConnection, bodies: Mapping[str, str], matcher: StoryMatcher) -> None:
    """Recompute the band keys of these articles from their (changed) bodies."""
    _with_table(
        con,
        "new_bands",
        _band_table(bodies, matcher),
        "DELETE FROM story_bands WHERE article_id IN (SELECT article_id FROM new_bands)",
        "INSERT INTO story_bands SELECT band_key, article_id FROM new_bands",
    )


def _choose_stories(
    new: Mapping[str, str], candidates: Mapping[str, Sequence[Candidate]], matcher: StoryMatcher | None
) -> dict[str, str]:
    """For each new article in order: the story of its earliest verified candidate, else its own id."""
    position = {article_id: index for index, article_id in enumerate(new)}
    stories: dict[str, str] = {}
    for article_id, body in new.items():
        ordered = sorted(
            candidates.get(article_id, ()),
            key=lambda c: (c.story_id is None, position.get(c.article_id, 0), c.fetched_at, c.article_id),
        )
        stories[article_id] = next(
            (
                c.story_id or stories[c.article_id]
                for c in ordered
                if (c.story_id or c.article_id in stories) and matcher and matcher.same_story(body, c.body)
            ),
            article_id,
        )
    return stories


def _without_story(con: duckdb.DuckDBPyConnection, articles: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The rows' article ids whose warehouse row has no story yet (a replayed batch has), with bodies."""
    con.register("loaded", pa.table({"article_id": pa.array([row["article_id"] for row in articles], pa.string())}))
    try:
        pending = {
            row[0]
            for row in con.execute(
                "SELECT article_id FROM loaded JOIN articles USING (article_id) WHERE story_id IS NULL"
            ).fetchall()
        }
    finally:
        con.unregister("loaded")
    return {row["article_id"]: row["body"] for row in articles if row["article_id"] in pending}


def _candidates(con: duckdb.DuckDBPyConnection, bands: pa.Table) -> dict[str, list[Candidate]]:
    """Other articles sharing a band key with each new article (the best MAX_CANDIDATES)."""
    con.register("new_bands", bands)
    try:
        hits = con.execute(
            """
            SELECT n.article_id AS new_id, b.article_id AS old_id, count(*) AS shared_bands
            FROM new_bands n JOIN story_bands b USING (band_key)
            LEFT JOIN (SELECT DISTINCT article_id, position FROM new_bands) batch
                ON batch.article_id = b.article_id
            -- stored articles, and those earlier in this batch: a later one cannot be joined,
            -- so it must not take one of the places among the best candidates
            WHERE batch.position IS NULL OR batch.position < n.position
            GROUP BY new_id, old_id
            QUALIFY row_number() OVER (PARTITION BY new_id ORDER BY shared_bands DESC, old_id) <= ?""",
            [MAX_CANDIDATES],
        ).fetchall()
    finally:
        con.unregister("new_bands")
    stored = _articles(con, sorted({old_id for _, old_id, _ in hits}))
    found: dict[str, list[Candidate]] = {}
    for new_id, old_id, _ in hits:
        found.setdefault(new_id, []).append(stored[old_id])
    return found


def _articles(con: duckdb.DuckDBPyConnection, article_ids: list[str]) -> dict[str, Candidate]:
    """Candidates by id. A constant IN list is filtered inside the scan, so only the rows asked
    for have their body read; a join would read every body in the table."""
    found: dict[str, Candidate] = {}
    for start in range(0, len(article_ids), _ID_CHUNK):
        chunk = article_ids[start : start + _ID_CHUNK]
        rows = con.execute(
            "SELECT article_id, story_id, body, fetched_at FROM articles "
            f"WHERE article_id IN ({', '.join('?' * len(chunk))})",
            chunk,
        ).fetchall()
        found.update((row[0], Candidate(*row)) for row in rows)
    return found


def _band_table(bodies: Mapping[str, str], matcher: StoryMatcher) -> pa.Table:
    """band_key, article_id, and the article's position among `bodies` (load order)."""
    ids, keys, positions = [], [], []
    for position, (article_id, body) in enumerate(bodies.items()):
        found = matcher.band_keys(body)
        ids += [article_id] * len(found)
        keys += found
        positions += [position] * len(found)
    return pa.table(
        {
            "band_key": pa.array(keys, pa.int64()),
            "article_id": pa.array(ids, pa.string()),
            "position": pa.array(positions, pa.int32()),
        }
    )


def _with_table(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table, *statements: str) -> None:
    con.register(name, table)
    try:
        for sql in statements:
            con.execute(sql)
    finally:
        con.unregister(name)
