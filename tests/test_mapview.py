import json
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from geo.assets import ensure_leaflet, publish_geojson
from geo.boundaries import load_provinces, to_geojson
from geo.constants import ACTORS, NO_DATA_COLOUR, TALIBAN
from geo.control import AreaState, explain, no_data, province_evidence
from geo.mapview import (
    display_geometry,
    area_layer,
    base_map,
    esc,
    fill_opacity,
    history_chart_spec,
    legend_html,
    panel_html,
    safe_href,
    style_for,
)
from geo.records import parse_records, to_csv_text

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def test_style_channels():
    strong = AreaState("A", TALIBAN, 0.9, False, ("r",), None, None, 1)
    weak = AreaState("A", TALIBAN, 0.2, False, ("r",), None, None, 1)
    claimed = AreaState("A", TALIBAN, 0.2, True, ("r",), None, None, 1)
    assert style_for(strong)["fillColor"] == ACTORS[TALIBAN].colour
    assert style_for(strong)["fillOpacity"] > style_for(weak)["fillOpacity"]
    assert style_for(claimed)["dashArray"] and not style_for(weak)["dashArray"]
    assert style_for(no_data("A"))["fillColor"] == NO_DATA_COLOUR
    assert style_for(strong, selected=True)["weight"] > style_for(strong)["weight"]
    assert style_for(strong)["className"] == "area-A"
    assert fill_opacity(0) < fill_opacity(0.5) < fill_opacity(1) <= 1


@pytest.mark.parametrize(
    "url, ok",
    [("https://example.org/a?b=1&c=2", True), ("http://x.af", True), ("javascript:alert(1)", False),
     ("data:text/html,hi", False), ("//evil.example", False), (None, False), ("", False)],
)
def test_only_http_links(url, ok):
    assert (safe_href(url) is not None) is ok


def test_escape():
    assert esc(HOSTILE) == "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt;"
    assert esc(None) == "" and esc(float("nan")) == ""


def test_panel_escapes_all_record_text():
    row = {
        "id": "x-1", "event_date": "2021-07-07", "date_precision": "day", "province": "Badghis",
        "claimed_controller": "taliban", "claim_kind": "self_serving", "claimant": "<b>Spokes</b>man",
        "claimant_side": "taliban", "outlet": "<i>Outlet</i>", "url": "https://example.org/?a=<x>",
        "quote": HOSTILE, "source_reliability": "C", "info_credibility": "3", "notes": "<svg onload=alert(3)>",
    }
    recs = parse_records(to_csv_text([row]), "t.csv").records
    s, stack = explain(recs, province_evidence(recs), "AF-BDG", date(2021, 7, 7))
    html = panel_html('Bad<ghis>', s, stack, date(2021, 7, 7))
    assert "<script" not in html and "<img" not in html and "<svg" not in html and "<b>Spokes" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Spokes&lt;/b&gt;man" in html and "Bad&lt;ghis&gt;" in html
    assert 'href="https://example.org/?a=&lt;x&gt;"' in html


def test_map_is_offline_has_no_basemap_and_sends_styles_not_geometry(tmp_path):
    urls = ensure_leaflet(tmp_path)
    assert len(list((tmp_path / "vendor").rglob("leaflet.js"))) == 1
    gdf = load_provinces()
    geometry = display_geometry(to_geojson(gdf))
    geometry_url = publish_geojson(geometry, "provinces", tmp_path)
    served = tmp_path / geometry_url.removeprefix("/app/static/")
    assert json.loads(served.read_text(encoding="utf-8")) == json.loads(json.dumps(geometry))
    assert publish_geojson(geometry, "provinces", tmp_path) == geometry_url  # same content, same file
    m = base_map(urls)
    names = dict(zip(gdf["area_id"], gdf["name"]))
    states = {a: no_data(a) for a in names}
    states["AF-BDG"] = AreaState("AF-BDG", TALIBAN, 0.9, False, ("r",), None, None, 1)
    area_layer(geometry_url, list(names), states, "AF-BDG").add_to(m)
    page = m.get_root().render()
    external = set(re.findall(r'(?:src|href)="(https?://[^"]+)"', page))
    assert external == set(), external
    assert urls["js"] in page and urls["css"] in page and urls["area_layer"] in page and geometry_url in page
    assert (ROOT / "static" / "js" / "area_layer.js").is_file()  # served by the app, committed
    assert "tileLayer" not in page  # no basemap by default
    assert '"coordinates"' not in page  # no geometry in the per-date script …
    assert len(page) < 0.1 * len(json.dumps(geometry))
    assert [f["properties"]["i"] for f in geometry["features"]] == list(range(34))
    assert geometry["features"][2]["properties"] == {"area_id": "AF-BDG", "name": "Badghis", "i": 2, "css": "area-AF-BDG"}


def test_area_layer_sends_a_palette_and_three_numbers_per_area():
    ids = ["A", "B", "C", "D"]
    strong = AreaState("B", TALIBAN, 0.9, False, ("r",), None, None, 1)
    close = AreaState("D", TALIBAN, 0.91, False, ("r",), None, None, 1)  # same 5 % step → same style
    states = {"A": no_data("A"), "B": strong, "C": no_data("C"), "D": close}
    element = next(iter(area_layer("/g.json", ids, states, None)._children.values()))
    assert len(element.palette) == 2 and element.labels == ["No claims yet", "Taliban"]
    assert element.cells == [(0, 0, -1), (1, 1, 90), (0, 0, -1), (1, 1, 91)]
    assert element.palette[1][0] == ACTORS[TALIBAN].colour  # [fillColor, fillOpacity, color, weight, dash]


def test_legend_explains_both_channels():
    text = legend_html()
    for word in ("Claimed controller", "Confidence", "Claimed only", "No claims"):
        assert word in text


def test_history_chart_spec_uses_actor_colours():
    from geo.control import area_history
    from geo.records import load_records

    recs = load_records().records
    hist = area_history(recs, province_evidence(recs), "AF-BDG")
    spec = history_chart_spec(hist)
    assert len(spec["data"]["values"]) == len(hist)
    assert spec["encoding"]["color"]["scale"]["range"][0] == ACTORS[TALIBAN].colour
    assert {v["basis"] for v in spec["data"]["values"]} == {"claimed only", "confirmed"}
