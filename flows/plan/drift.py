"""Extraction drift: a publisher changed its layout and extraction quietly returns menus,
teasers or nothing.

Each source is judged on its own history, run by run. Consecutive runs are pooled until they
hold at least WINDOW_PAGES pages, and each such window is compared with the source's healthy
baseline (its last BASELINE_PAGES pages from healthy windows). A window with a symptom marks the
source drifting from the first run of that window; the first healthy window after it ends the
drift. Drifting windows never join the baseline, so a lasting change stays flagged until
extraction is fixed (or the pages come back as they were).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from warehouse.records import RunExtraction

WINDOW_PAGES = 3
BASELINE_PAGES = 50
MIN_BASELINE_PAGES = 8
# A symptom is a share that jumps by this much and ends above half, or median words that fall below this fraction.
SHARE_JUMP = 0.3
WORDS_FALL = 0.5
MIN_BASELINE_WORDS = 50


@dataclass(frozen=True)
class Drift:
    """A source whose extraction went wrong: since which run, and what is wrong."""

    source: str
    since_run: str
    since: datetime
    symptoms: tuple[str, ...]


@dataclass(frozen=True)
class _Page:
    has_body: bool
    has_date: bool
    words: int


def assess(history: Iterable[RunExtraction]) -> dict[str, Drift]:
    """The sources drifting now, from their runs' extraction (oldest first)."""
    by_source: dict[str, list[RunExtraction]] = {}
    for run in history:
        by_source.setdefault(run.source, []).append(run)
    found = {}
    for source, runs in by_source.items():
        drift = _assess_source(runs)
        if drift:
            found[source] = drift
    return found


def _assess_source(runs: Sequence[RunExtraction]) -> Drift | None:
    baseline: deque[_Page] = deque(maxlen=BASELINE_PAGES)
    drift: Drift | None = None
    pending: list[RunExtraction] = []
    for run in runs:
        pending.append(run)
        window = [page for each in pending for page in _pages(each)]
        if len(window) < WINDOW_PAGES:
            continue
        first = pending[0]
        pending = []
        symptoms = _symptoms(window, baseline) if len(baseline) >= MIN_BASELINE_PAGES else ()
        if not symptoms:
            drift = None
            baseline.extend(window)
        elif drift is None:
            drift = Drift(first.source, first.run_id, first.started_at, symptoms)
    return drift


def _pages(run: RunExtraction) -> list[_Page]:
    dated = run.articles - run.no_date
    loaded = [_Page(True, i < dated, words) for i, words in enumerate(run.words)]
    return loaded + [_Page(False, False, 0)] * run.no_body


def _symptoms(window: Sequence[_Page], baseline: Sequence[_Page]) -> tuple[str, ...]:
    found = []
    if _jumped(_share(window, lambda p: not p.has_body), _share(baseline, lambda p: not p.has_body)):
        found.append("no body")
    bodies, usual = [p for p in window if p.has_body], [p for p in baseline if p.has_body]
    if not bodies or not usual:
        return tuple(found)
    usual_words = median(p.words for p in usual)
    if usual_words >= MIN_BASELINE_WORDS and median(p.words for p in bodies) < WORDS_FALL * usual_words:
        found.append("fewer words")
    if _jumped(_share(bodies, lambda p: not p.has_date), _share(usual, lambda p: not p.has_date)):
        found.append("no date")
    return tuple(found)


def _share(pages: Sequence[_Page], test: Callable[[_Page], bool]) -> float:
    return sum(1 for p in pages if test(p)) / len(pages)


def _jumped(now: float, usual: float) -> bool:
    return now > 0.5 and now - usual >= SHARE_JUMP
