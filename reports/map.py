"""A map of Turkey's 81 provinces shaded by a number per province, as inline SVG.

`province_map_svg` draws it for a page and for a PDF (WeasyPrint): plain SVG with fill attributes,
no script, no CSS and no external reference, scaling to its container's width through its viewBox.
The outlines are `data/turkey_provinces.json` (from turkey-map-react, MIT; see NOTICE), keyed by
the province's plate code, with the names of our own province table.
"""

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

OUTLINES = Path(__file__).resolve().parent / "data" / "turkey_provinces.json"

# ColorBrewer "Blues", the five darkest of its six classes: sequential, colour-blind safe and
# still apart from the neutral grey at the light end.
BUCKET_COLOURS = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
NEUTRAL_COLOUR = "#e3e3e3"
BORDER_COLOUR = "#ffffff"
TEXT_COLOUR = "#212529"
BUCKETS = len(BUCKET_COLOURS)

# The legend's strip under the outlines, in the outlines' units.
LEGEND_HEIGHT = 50
LEGEND_SWATCH = 18
LEGEND_STEP = 168
FONT_SIZE = 15


@dataclass(frozen=True)
class Outline:
    plate: int
    name: str
    d: str


@dataclass(frozen=True)
class Outlines:
    view_box: tuple[float, float, float, float]
    provinces: tuple[Outline, ...]


@functools.cache
def outlines() -> Outlines:
    """The 81 provinces' outlines in plate order, and the box that holds them."""
    data = json.loads(OUTLINES.read_text(encoding="utf-8"))
    x, y, width, height = (float(n) for n in data["viewBox"].split())
    provinces = tuple(
        Outline(plate=p["plate"], name=p["name"], d=p["d"]) for p in sorted(data["provinces"], key=lambda p: p["plate"])
    )
    return Outlines(view_box=(x, y, width, height), provinces=provinces)


def province_bucket(value: int, maximum: int) -> int:
    """The shade of a province: 0 (neutral) for nothing, else 1..5 by its share of the maximum.

    Bucket k holds the values above (k-1)/5 and up to k/5 of the maximum, so the maximum itself
    is in bucket 5 and any value above nothing is in bucket 1 at least.
    """
    if value <= 0 or maximum <= 0:
        return 0
    return min(BUCKETS, -(-value * BUCKETS // maximum))


def bucket_range(bucket: int, maximum: int) -> tuple[int, int] | None:
    """The whole numbers bucket 1..5 holds below `maximum`, as (lowest, highest); None if none."""
    lowest = (bucket - 1) * maximum // BUCKETS + 1
    highest = bucket * maximum // BUCKETS
    return (lowest, highest) if lowest <= highest else None


def fill_of(bucket: int) -> str:
    return NEUTRAL_COLOUR if bucket == 0 else BUCKET_COLOURS[bucket - 1]


def number(value: int) -> str:
    """A whole number grouped in the active language's way (1.234 in Turkish)."""
    return number_format(value, force_grouping=True)


def _legend(maximum: int, left: float, top: float) -> SafeString:
    entries: list[tuple[str, str]] = [(NEUTRAL_COLOUR, number(0))]
    for bucket in range(1, BUCKETS + 1):
        span = bucket_range(bucket, maximum)
        if span is None:
            continue
        lowest, highest = span
        text = number(lowest) if lowest == highest else f"{number(lowest)}–{number(highest)}"
        entries.append((fill_of(bucket), text))
    swatch_y = top + (LEGEND_HEIGHT - LEGEND_SWATCH) / 2
    text_y = swatch_y + LEGEND_SWATCH - 3
    return format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#adb5bd" stroke-width="0.5"/>'
        '<text x="{}" y="{}" font-size="{}" fill="{}">{}</text>',
        (
            (
                f"{left + i * LEGEND_STEP:g}",
                f"{swatch_y:g}",
                LEGEND_SWATCH,
                LEGEND_SWATCH,
                colour,
                f"{left + i * LEGEND_STEP + LEGEND_SWATCH + 6:g}",
                f"{text_y:g}",
                FONT_SIZE,
                TEXT_COLOUR,
                text,
            )
            for i, (colour, text) in enumerate(entries)
        ),
    )


def province_map_svg(values: Mapping[int | None, int], *, label: str, html_id: str = "province-map") -> SafeString:
    """Turkey's provinces shaded by `values` (plate code -> number), as an accessible inline SVG.

    `label` names the figure (the SVG's title). A plate missing from `values` counts as 0 and is
    drawn in neutral grey like 0; the `None` key (people whose province is not stated) is not on
    the map. Each province carries its plate (`data-plate`) and a tooltip "name: number". The
    legend under the map gives each shade's range. `html_id` keeps the title's and description's
    ids apart when a page shows more than one map.
    """
    shapes = outlines()
    by_plate = {plate: value for plate, value in values.items() if plate is not None}
    maximum = max((by_plate.get(p.plate, 0) for p in shapes.provinces), default=0)
    top_province = max(shapes.provinces, key=lambda p: by_plate.get(p.plate, 0))
    x, y, width, height = shapes.view_box
    view_box = f"{x:g} {y:g} {width:g} {height + LEGEND_HEIGHT:g}"

    if maximum > 0:
        description = gettext("%(label)s by province: darker is more. Highest: %(name)s, %(value)s.") % {
            "label": label,
            "name": top_province.name,
            "value": number(maximum),
        }
    else:
        description = gettext("%(label)s by province: none yet.") % {"label": label}

    paths = format_html_join(
        "\n",
        '<path data-plate="{}" d="{}" fill="{}"><title>{}: {}</title></path>',
        (
            (
                f"{p.plate:02d}",
                p.d,
                fill_of(province_bucket(by_plate.get(p.plate, 0), maximum)),
                p.name,
                number(by_plate.get(p.plate, 0)),
            )
            for p in shapes.provinces
        ),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="{}" width="100%" role="img"'
        ' aria-labelledby="{}-title {}-desc" class="province-map">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>'
        '<g stroke="{}" stroke-width="0.8" stroke-linejoin="round">\n{}\n</g>'
        '<g font-family="DejaVu Sans, Arial, sans-serif">{}</g>'
        "</svg>",
        view_box,
        html_id,
        html_id,
        html_id,
        label,
        html_id,
        description,
        BORDER_COLOUR,
        paths,
        _legend(maximum, x + 10, y + height),
    )
