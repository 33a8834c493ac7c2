"""Word-level differences between two versions of an article's text."""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher


def counts(before: str, after: str) -> tuple[int, int]:
    """(words added, words removed) going from `before` to `after`."""
    added = removed = 0
    for tag, i1, i2, j1, j2 in _opcodes(before.split(), after.split()):
        if tag in ("insert", "replace"):
            added += j2 - j1
        if tag in ("delete", "replace"):
            removed += i2 - i1
    return added, removed


def render(before: str, after: str, context: int = 8) -> str:
    """The changes as text: removed words as ``[-…-]``, added ones as ``{+…+}``, with up to
    `context` unchanged words around each change and `…` where more were left out."""
    old, new = before.split(), after.split()
    parts: list[str] = []
    opcodes = _opcodes(old, new)
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            parts.append(_context(old[i1:i2], context, first=index == 0, last=index == len(opcodes) - 1))
            continue
        if i2 > i1:
            parts.append("[-" + " ".join(old[i1:i2]) + "-]")
        if j2 > j1:
            parts.append("{+" + " ".join(new[j1:j2]) + "+}")
    return " ".join(part for part in parts if part)


def _opcodes(old: list[str], new: list[str]) -> Sequence[tuple[str, int, int, int, int]]:
    return SequenceMatcher(None, old, new, autojunk=False).get_opcodes()


def _context(words: list[str], keep: int, first: bool, last: bool) -> str:
    """Unchanged words between changes, cut down to `keep` on each side that touches one."""
    head = words if first and last else [] if first else words[:keep]
    tail = [] if last else words[-keep:]
    if len(words) <= len(head) + len(tail):
        return " ".join(words)
    return " ".join([*head, "…", *tail])
