"""Bar charts as inline SVG, drawn on the server: the same markup in a page and in a PDF
(WeasyPrint), with no script and nothing fetched.

Each chart carries a ``<title>`` (its accessible name) and a ``<title>`` on every bar ("Ekim 2026 ·
Eğitilen: 1.234"); the pages show the same numbers as a table beside it, for screen readers and
printing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 640
HEIGHT = 240
LEFT = 48
BOTTOM = 44
TOP = 28
FONT_SIZE = 11


@dataclass(frozen=True)
class Series:
    """One kind of bar: its name (the legend), its colour and a value per label."""

    name: str
    colour: str
    values: Sequence[int]


def _at(value: float) -> str:
    """A coordinate, to one decimal."""
    return f"{value:.1f}"


def number(value: int) -> str:
    """``4.000`` in Turkish, ``4,000`` in English."""
    return number_format(value, force_grouping=True)


def nice_maximum(value: int) -> int:
    """The top of the axis: ``value`` rounded up to 1, 2 or 5 times a power of ten (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def bar_chart_svg(labels: Sequence[str], series: Sequence[Series], *, title: str, html_id: str) -> SafeString:
    """Grouped vertical bars, one group per label and one bar per series, with a value axis from 0,
    the labels under the groups (every n-th when there are many) and a legend at the top."""
    top = nice_maximum(max((v for s in series for v in s.values), default=0))
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(len(labels), 1)
    bar_w = min(max(group_w * 0.8 / max(len(series), 1), 1.0), 36.0)
    step = max(1, round(len(labels) / 12))

    def y(value: int) -> float:
        return TOP + plot_h - plot_h * value / top

    grid = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#dee2e6" stroke-width="1"/>'
        '<text x="{}" y="{}" font-size="{}" text-anchor="end" fill="#495057">{}</text>',
        (
            (LEFT, WIDTH - 8, _at(y(v)), _at(y(v)), LEFT - 4, _at(y(v) + 4), FONT_SIZE, number(v))
            for v in sorted({0, top // 2, top})
        ),
    )
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{} · {}: {}</title></rect>',
        (
            (
                _at(LEFT + i * group_w + (group_w - bar_w * len(series)) / 2 + j * bar_w),
                _at(y(value)),
                _at(bar_w),
                _at(max(TOP + plot_h - y(value), 0)),
                s.colour,
                label,
                s.name,
                number(value),
            )
            for i, label in enumerate(labels)
            for j, s in enumerate(series)
            for value in (s.values[i],)
        ),
    )
    ticks = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="{}" text-anchor="middle" fill="#495057">{}</text>',
        (
            (_at(LEFT + i * group_w + group_w / 2), TOP + plot_h + 16, FONT_SIZE, label)
            for i, label in enumerate(labels)
            if i % step == 0
        ),
    )
    legend = format_html_join(
        "",
        '<rect x="{}" y="6" width="12" height="12" fill="{}"/>'
        '<text x="{}" y="16" font-size="{}" fill="#212529">{}</text>',
        ((LEFT + j * 150, s.colour, LEFT + j * 150 + 16, FONT_SIZE, s.name) for j, s in enumerate(series)),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img" '
        'aria-labelledby="{}-title" id="{}" font-family="DejaVu Sans, sans-serif">'
        '<title id="{}-title">{}</title>{}{}{}{}</svg>',
        WIDTH,
        HEIGHT,
        html_id,
        html_id,
        html_id,
        title,
        grid,
        bars,
        ticks,
        legend,
    )


def hbar_chart_svg(rows: Sequence[tuple[str, int]], *, title: str, html_id: str, colour: str) -> SafeString:
    """Horizontal bars, one per row (a label and its value), longest scale from 0 to the maximum."""
    top = nice_maximum(max((v for _label, v in rows), default=0))
    row_h, label_w, width = 26, 150, WIDTH
    height = row_h * len(rows) + 34
    plot_w = width - label_w - 70
    bars = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="{}" text-anchor="end" fill="#212529">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="16" fill="{}"><title>{}: {}</title></rect>'
        '<text x="{}" y="{}" font-size="{}" fill="#212529">{}</text>',
        (
            (
                label_w - 6,
                30 + i * row_h + 12,
                FONT_SIZE,
                label,
                label_w,
                30 + i * row_h,
                _at(plot_w * value / top),
                colour,
                label,
                number(value),
                _at(label_w + plot_w * value / top + 4),
                30 + i * row_h + 12,
                FONT_SIZE,
                number(value),
            )
            for i, (label, value) in enumerate(rows)
        ),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img" '
        'aria-labelledby="{}-title" id="{}" font-family="DejaVu Sans, sans-serif">'
        '<title id="{}-title">{}</title>{}</svg>',
        width,
        height,
        html_id,
        html_id,
        html_id,
        title,
        bars,
    )
