"""Values written into SQL text where DuckDB takes no parameter (ATTACH, LOAD, COPY … TO)."""

from pathlib import Path


def quoted(path: Path) -> str:
    """A path as the inside of a single-quoted SQL string."""
    return str(path).replace("'", "''")
