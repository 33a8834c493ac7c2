"""Edit sources.yaml in place, keeping the user's comments, order and layout."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from flows import configuration


class DuplicateSource(ValueError):
    """The feed (by name or by URL) is already in the file."""


def add(path: Path, entry: dict[str, Any]) -> None:
    """Append a source to the file; the result is validated before anything is written."""
    add_many(path, [entry])


def add_many(path: Path, entries: list[dict[str, Any]]) -> None:
    """Append sources after the existing ones, refusing a name or URL already listed;
    the whole result is validated before anything is written."""
    yaml = _yaml()
    document = _load(yaml, path)
    sources = document.setdefault("sources", CommentedSeq())
    for entry in entries:
        for existing in sources:
            if existing.get("name") == entry["name"]:
                raise DuplicateSource(f"{path}: a source named {entry['name']!r} already exists")
            if existing.get("url") == entry["url"]:
                raise DuplicateSource(f"{path}: {entry['url']} is already listed as {existing.get('name')!r}")
        sources.append(CommentedMap((key, value) for key, value in entry.items() if value is not None))
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    text = buffer.getvalue()
    configuration.parse(YAML(typ="safe").load(text), path)
    path.write_text(text, encoding="utf-8")


def listed(path: Path) -> list[tuple[str, str]]:
    """(name, url) of every source in the file; none when the file does not exist yet."""
    return [(str(s.get("name")), str(s.get("url"))) for s in _load(_yaml(), path).get("sources") or ()]


def _load(yaml: YAML, path: Path) -> CommentedMap:
    document = yaml.load(path.read_text(encoding="utf-8")) if path.exists() else None
    return document if document is not None else CommentedMap()


def suggest_name(title: str | None, url: str) -> str:
    """A source name from the feed's title, else its host: lower-case words joined by dashes."""
    base = title or (urlsplit(url).hostname or "feed").removeprefix("www.")
    slug = re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")
    return slug[:60] or "feed"


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml
