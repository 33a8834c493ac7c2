"""Text reduced to what a reader sees: the key bodies, titles and site names are compared by."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_body(text: str) -> str:
    """Body text reduced to lower-case words: invisible differences don't count."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORD.sub(" ", folded).split())
