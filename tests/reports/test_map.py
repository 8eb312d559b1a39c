"""The provinces' map: every province once, the shading rule, Turkish numbers and names, escaping,
and a PDF from WeasyPrint."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import weasyprint
from django.utils import translation

from reports.map import (
    BUCKET_COLOURS,
    NEUTRAL_COLOUR,
    outlines,
    province_bucket,
    province_map_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _turkish():
    with translation.override("tr"):
        yield


def parse(svg: str) -> ET.Element:
    """The map as XML: parsing it also checks that it is well-formed (it is our own output)."""
    return ET.fromstring(str(svg))  # noqa: S314


def paths_by_plate(svg: str) -> dict[int, ET.Element]:
    return {int(p.get("data-plate")): p for p in parse(svg).iter(f"{SVG}path")}


def tooltip(path: ET.Element) -> str:
    return path.find(f"{SVG}title").text


def luminance(colour: str) -> float:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_every_plate_is_drawn_exactly_once_in_plate_order():
    root = parse(province_map_svg({}, label="Eğitilen kişiler"))
    plates = [p.get("data-plate") for p in root.iter(f"{SVG}path")]
    assert plates == [f"{n:02d}" for n in range(1, 82)]
    assert all(p.get("d").startswith("M") for p in root.iter(f"{SVG}path"))


@pytest.mark.parametrize(
    ("value", "maximum", "bucket"),
    [
        (0, 100, 0),
        (-3, 100, 0),
        (5, 0, 0),
        (1, 100, 1),
        (20, 100, 1),
        (21, 100, 2),
        (40, 100, 2),
        (41, 100, 3),
        (60, 100, 3),
        (61, 100, 4),
        (80, 100, 4),
        (81, 100, 5),
        (100, 100, 5),
        (1, 12_345, 1),
        (1, 1, 5),
        (1, 2, 3),
    ],
)
def test_a_province_is_shaded_by_its_fifth_of_the_maximum(value, maximum, bucket):
    assert province_bucket(value, maximum) == bucket


def test_the_palette_darkens_from_bucket_one_to_five_and_neutral_is_grey_apart():
    shades = [luminance(c) for c in BUCKET_COLOURS]
    assert len(shades) == 5
    assert shades == sorted(shades, reverse=True) and len(set(shades)) == 5
    r, g, b = (NEUTRAL_COLOUR[i : i + 2] for i in (1, 3, 5))
    assert r == g == b
    assert NEUTRAL_COLOUR not in BUCKET_COLOURS


def test_the_province_with_the_maximum_is_in_the_darkest_bucket():
    paths = paths_by_plate(province_map_svg({6: 400, 34: 1_000, 35: 790, 1: 1}, label="x"))
    assert paths[34].get("fill") == BUCKET_COLOURS[-1]
    assert paths[35].get("fill") == BUCKET_COLOURS[3]
    assert paths[6].get("fill") == BUCKET_COLOURS[1]
    assert paths[1].get("fill") == BUCKET_COLOURS[0]


def test_zero_and_missing_provinces_are_neutral_grey():
    paths = paths_by_plate(province_map_svg({6: 10, 34: 0}, label="x"))
    assert paths[34].get("fill") == NEUTRAL_COLOUR
    assert paths[7].get("fill") == NEUTRAL_COLOUR
    assert tooltip(paths[7]) == "Antalya: 0"
    assert paths[6].get("fill") == BUCKET_COLOURS[-1]


def test_a_map_of_nothing_is_all_grey():
    paths = paths_by_plate(province_map_svg({}, label="x"))
    assert {p.get("fill") for p in paths.values()} == {NEUTRAL_COLOUR}


def test_people_whose_province_is_not_stated_are_not_on_the_map():
    paths = paths_by_plate(province_map_svg({None: 1_000_000, 6: 5}, label="x"))
    assert len(paths) == 81
    assert paths[6].get("fill") == BUCKET_COLOURS[-1]
    assert tooltip(paths[6]) == "Ankara: 5"
    assert "1.000.000" not in str(province_map_svg({None: 1_000_000, 6: 5}, label="x"))


def test_tooltips_and_legend_group_thousands_the_turkish_way():
    svg = province_map_svg({34: 12_345, 6: 1_234}, label="x")
    paths = paths_by_plate(svg)
    assert tooltip(paths[34]) == "İstanbul: 12.345"
    assert tooltip(paths[6]) == "Ankara: 1.234"
    legend = [t.text for t in parse(svg).iter(f"{SVG}text")]
    assert legend == ["0", "1–2.469", "2.470–4.938", "4.939–7.407", "7.408–9.876", "9.877–12.345"]


def test_numbers_follow_the_active_language():
    with translation.override("en"):
        paths = paths_by_plate(province_map_svg({34: 12_345}, label="x"))
    assert tooltip(paths[34]) == "İstanbul: 12,345"


def test_the_legend_leaves_out_shades_no_whole_number_can_have():
    legend = [t.text for t in parse(province_map_svg({6: 3}, label="x")).iter(f"{SVG}text")]
    assert legend == ["0", "1", "2", "3"]


def test_province_names_keep_their_turkish_letters():
    paths = paths_by_plate(province_map_svg({}, label="x"))
    names = {plate: tooltip(path).rsplit(":", 1)[0] for plate, path in paths.items()}
    assert names[3] == "Afyonkarahisar"
    assert names[34] == "İstanbul"
    assert names[35] == "İzmir"
    assert names[46] == "Kahramanmaraş"
    assert names[63] == "Şanlıurfa"
    assert names[76] == "Iğdır"
    assert names[81] == "Düzce"
    assert names[4] == "Ağrı"


def test_the_label_is_escaped_and_names_the_figure():
    label = "<script>alert('İ')</script> & co"
    svg = str(province_map_svg({34: 1}, label=label))
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == label
    assert label in root.find(f"{SVG}desc").text


def test_the_svg_is_accessible_self_contained_and_scales():
    svg = province_map_svg({34: 7, 6: 3}, label="Eğitilen kişiler", html_id="reach")
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "reach-title reach-desc"
    assert root.find(f"{SVG}title").get("id") == "reach-title"
    desc = root.find(f"{SVG}desc")
    assert desc.get("id") == "reach-desc"
    assert desc.text == ("İllere göre Eğitilen kişiler: renk koyulaştıkça sayı artar. En yüksek: İstanbul, 7.")
    assert root.get("width") == "100%" and root.get("height") is None
    assert len(root.get("viewBox").split()) == 4
    text = str(svg)
    for outside in ("<script", "href", "url(", "var(", "style=", "<style"):
        assert outside not in text


def test_the_description_says_when_there_is_nothing_yet():
    desc = parse(province_map_svg({None: 4}, label="Eğitilen kişiler")).find(f"{SVG}desc")
    assert desc.text == "İllere göre Eğitilen kişiler: henüz yok."


def test_weasyprint_renders_a_page_holding_the_map():
    svg = province_map_svg({34: 12_345, 6: 4_000, 63: 17}, label="Eğitilen kişiler")
    html = f'<!doctype html><html lang="tr"><meta charset="utf-8"><body><h1>Harita</h1>{svg}</body></html>'
    pdf = weasyprint.HTML(string=html).write_pdf()
    assert pdf.startswith(b"%PDF")


def test_the_outlines_carry_our_province_names_for_every_plate():
    table = json.loads((ROOT / "entitlements" / "data" / "provinces_districts.json").read_text("utf-8"))
    ours = {p["plate"]: p["name"] for p in table["provinces"]}
    data = json.loads((ROOT / "reports" / "data" / "turkey_provinces.json").read_text("utf-8"))
    theirs = {p["plate"]: p["name"] for p in data["provinces"]}
    assert sorted(theirs) == list(range(1, 82)) == sorted(ours)
    assert theirs == ours
    assert [o.plate for o in outlines().provinces] == list(range(1, 82))
