"""Inline SVG charts for the HTML report: stacked columns and horizontal bars.

Pure string building: no scripts, no fonts or styles from elsewhere, so the charts
draw the same in any browser with the network off. Every series is a
`<g class="series" data-series="NAME">`, which is what the browser test looks for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

WIDTH = 900  # every chart's drawing width; the page scales it to fit
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#edc948", "#9c755f", "#ff9da7", "#bab0ac")
Series = tuple[str, Sequence[float]]


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def nice_ticks(top: float) -> list[float]:
    """About five round axis ticks from 0 to at least `top`."""
    if top <= 0:
        return [0, 1]
    raw = top / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(math.ceil(top / step) + 1)]


def stacked_columns(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    colours: Sequence[str] | None = None,
) -> str:
    """One column per label, the series stacked in it, and a legend naming every series."""
    colours = colours or [colour(i) for i in range(len(series))]
    left, right, top, plot_height = 56, 16, 12, 240
    legend_rows = math.ceil(len(series) / 4)
    height = top + plot_height + 60 + 22 * legend_rows
    totals = [sum(values[i] for _, values in series) for i in range(len(labels))]
    ticks = nice_ticks(max(totals, default=0))
    scale = plot_height / ticks[-1]
    band = (WIDTH - left - right) / max(len(labels), 1)
    column = min(band * 0.7, 56)
    bottom = top + plot_height
    parts = [_svg_open(WIDTH, height, title), _y_axis(ticks, scale, left, WIDTH - right, bottom)]
    parts.append(_axis_labels(x_label, y_label, left, WIDTH - right, top, bottom))
    stacked = [0.0] * len(labels)
    for (name, values), fill in zip(series, colours):
        rects = []
        for i, value in enumerate(values):
            if value > 0:
                y = bottom - (stacked[i] + value) * scale
                rects.append(
                    f'<rect x="{left + (i + 0.5) * band - column / 2:.1f}" y="{y:.1f}" width="{column:.1f}" '
                    f'height="{value * scale:.1f}"><title>{escape(name)}, {escape(labels[i])}: '
                    f"{value:g}</title></rect>"
                )
                stacked[i] += value
        parts.append(f'<g class="series" data-series="{escape(name)}" fill="{fill}">{"".join(rects)}</g>')
    step = max(1, math.ceil(len(labels) / 12))  # at most a dozen labels under the axis
    for i in range(0, len(labels), step):
        parts.append(
            f'<text class="tick" x="{left + (i + 0.5) * band:.1f}" y="{bottom + 16}" '
            f'text-anchor="middle">{escape(labels[i])}</text>'
        )
    parts.append(_legend([name for name, _ in series], colours, left, bottom + 56))
    return "".join(parts) + "</svg>"


def horizontal_bars(rows: Sequence[tuple[str, float, str]], *, title: str, x_label: str) -> str:
    """One bar per (label, value, note) row, the note written after the bar."""
    return grouped_bars(
        [(label, [value], note) for label, value, note in rows],
        [x_label],
        title=title,
        x_label=x_label,
        colours=[PALETTE[0]],
        label_width=380,
        legend=False,
    )


def grouped_bars(
    rows: Sequence[tuple[str, Sequence[float], str]],
    names: Sequence[str],
    *,
    title: str,
    x_label: str,
    colours: Sequence[str] | None = None,
    top_value: float | None = None,
    percent: bool = False,
    label_width: int = 200,
    legend: bool = True,
) -> str:
    """Per row, one horizontal bar per series; `percent` formats values as shares of 1."""
    colours = colours or [colour(i) for i in range(len(names))]
    bar, gap = 14, 10
    row_height = bar * len(names) + gap
    top, left, right = 12, label_width, 150
    bottom = top + row_height * len(rows)
    height = bottom + 40 + (22 if legend else 0)
    biggest = top_value or max((v for _, values, _ in rows for v in values), default=0) or 1
    scale = (WIDTH - left - right) / biggest
    parts = [_svg_open(WIDTH, height, title)]
    series_rects: list[list[str]] = [[] for _ in names]
    for r, (label, values, note) in enumerate(rows):
        y0 = top + r * row_height
        parts.append(
            f'<text class="label" x="{left - 8}" y="{y0 + row_height / 2 + 2:.1f}" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(_shorten(label, label_width // 7))}</text>"
        )
        for s, value in enumerate(values):
            y = y0 + s * bar
            shown = f"{value:.0%}" if percent else f"{value:g}"
            series_rects[s].append(
                f'<rect x="{left}" y="{y:.1f}" width="{max(value * scale, 1.5):.1f}" '
                f'height="{bar - 2}"><title>{escape(label)}, {escape(names[s])}: '
                f"{shown}</title></rect>"
            )
            tail = note if note and len(values) == 1 else shown
            parts.append(
                f'<text class="value" x="{left + max(value * scale, 1.5) + 6:.1f}" '
                f'y="{y + bar - 4:.1f}">{escape(tail)}</text>'
            )
    for name, fill, rects in zip(names, colours, series_rects):
        parts.append(f'<g class="series" data-series="{escape(name)}" fill="{fill}">{"".join(rects)}</g>')
    parts.append(f'<line class="axis" x1="{left}" y1="{top - 4}" x2="{left}" y2="{bottom}"/>')
    parts.append(f'<text class="axis-label" x="{left}" y="{bottom + 22}">{escape(x_label)}</text>')
    if legend:
        parts.append(_legend(names, colours, left, bottom + 44))
    return "".join(parts) + "</svg>"


def _svg_open(width: int, height: int, title: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )


def _y_axis(ticks: list[float], scale: float, x0: int, x1: int, bottom: int) -> str:
    lines = []
    for tick in ticks:
        y = bottom - tick * scale
        lines.append(
            f'<line class="grid" x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:g}</text>'
        )
    return "".join(lines) + f'<line class="axis" x1="{x0}" y1="{bottom}" x2="{x1}" y2="{bottom}"/>'


def _axis_labels(x_label: str, y_label: str, x0: int, x1: int, top: int, bottom: int) -> str:
    middle = (top + bottom) / 2
    return (
        f'<text class="axis-label" x="{(x0 + x1) / 2:.1f}" y="{bottom + 34}" text-anchor="middle">'
        f'{escape(x_label)}</text><text class="axis-label" x="14" y="{middle:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {middle:.1f})">{escape(y_label)}</text>'
    )


def _legend(names: Sequence[str], colours: Sequence[str], x0: int, y0: int) -> str:
    items = []
    for i, (name, fill) in enumerate(zip(names, colours)):
        x, y = x0 + (i % 4) * 210, y0 + (i // 4) * 22
        items.append(
            f'<g class="legend-item"><rect x="{x}" y="{y - 10}" width="12" height="12" fill="{fill}"/>'
            f'<text x="{x + 18}" y="{y}">{escape(_shorten(name, 28))}</text></g>'
        )
    return f'<g class="legend">{"".join(items)}</g>'


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
