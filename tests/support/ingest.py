"""A sources file in a folder, one ingest run in this process, and the warehouse read back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml

import warehouse


def write_sources(folder: Path, sources: list[dict], **settings) -> Path:
    """`folder`/sources.yaml listing `sources`, its warehouse in `folder`, loopback allowed, no spacing."""
    path = folder / "sources.yaml"
    defaults = {"warehouse": str(folder / "news"), "allow_private_networks": True, "min_delay_seconds": 0}
    document = {"settings": {**defaults, **settings}, "sources": sources}
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def run_ingest(sources_path: Path, only: list[str] | None = None, everything: bool = True):
    """The ingest flow run here (it needs the session's Prefect server: the `prefect_harness` fixture)."""
    from flows.ingest import ingest

    return asyncio.run(ingest(str(sources_path), None, only, everything))


def scalar(db: Path, sql: str, *params):
    """One value from the warehouse, opened read-only."""
    return rows(db, sql, *params)[0][0]


def rows(db: Path, sql: str, *params) -> list[tuple]:
    with warehouse.reading(db) as con:
        return con.execute(sql, list(params)).fetchall()
