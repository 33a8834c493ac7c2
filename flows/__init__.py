"""newsdesk's pipeline. `from flows import ingest` gives the Prefect flow.

Imported lazily, so that the command line can set Prefect's environment first
and the pure modules stay usable without Prefect.
"""
from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "ingest":
        from flows.ingest import ingest
        return ingest
    raise AttributeError(name)
