"""Browser tests of the district level: an imported layer drawn, clicked and rolled up.

The layer is the real GADM-derived file in ../shared/boundaries, imported into a temporary folder
for a server of its own (CLAIMS_DISTRICTS), so data/boundaries/ is never touched.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import (
    AREA_PATHS,
    N_PROVINCES,
    PANEL,
    area_click_point,
    area_style,
    goto_map,
    no_app_errors,
    open_panel,
    running_app,
    wait_for_map,
    wait_for_query,
    wait_until,
)

from geo.boundaries import import_district_layer
from geo.constants import ACTORS, CONTESTED
from geo.districts import load_district_layer

pytestmark = pytest.mark.e2e

SHARED = Path(__file__).resolve().parents[3] / "shared" / "boundaries"
N_DISTRICTS = 328
ENEMY_QUOTE = "The enemy has entered the city"


@pytest.fixture(scope="module")
def district_layer_file(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("districts")
    import_district_layer(SHARED / "afg_districts_gadm.geojson", dest_dir=dest)
    return dest / "districts.geojson"


@pytest.fixture(scope="module")
def district_app_url(district_layer_file):
    with running_app({"CLAIMS_DISTRICTS": str(district_layer_file)}) as url:
        yield url


@pytest.fixture(scope="module")
def qala_i_naw(district_layer_file) -> str:
    layer = load_district_layer(district_layer_file)
    return layer.resolve("AF-BDG", "Qala-e-Naw")


def test_district_level_draws_every_district_and_click_shows_qala_i_naw_claims(page, district_app_url, qala_i_naw):
    page.goto(f"{district_app_url}/?level=district&date=2021-07-07", wait_until="domcontentloaded")
    frame = wait_for_map(page, n=N_DISTRICTS)
    assert area_style(frame, qala_i_naw)["fill"] == ACTORS[CONTESTED].colour
    point = area_click_point(page, frame, qala_i_naw)
    assert point is not None, "no clickable point inside Qala-I-Naw"
    page.mouse.click(*point)
    panel = open_panel(page, "Qala-I-Naw (Badghis)")
    quotes = panel.locator("blockquote.quote").all_inner_texts()
    assert any(ENEMY_QUOTE in q for q in quotes), quotes
    assert "Contested" in panel.inner_text()
    wait_for_query(page, level="district", area=qala_i_naw, date="2021-07-07")
    no_app_errors(page)


def test_province_level_with_districts_shows_the_rollup(page, district_app_url):
    goto_map(page, district_app_url, "date=2021-07-07&area=Badghis")
    panel = open_panel(page, "Badghis")
    rollup = panel.locator("p.rollup").inner_text()
    assert "Taliban: 6 of 7 districts" in rollup, rollup
    assert "(incl. the capital)" in rollup
    no_app_errors(page)


def test_level_switch_redraws_and_updates_the_url(page, district_app_url):
    goto_map(page, district_app_url, "date=2021-07-07")
    page.get_by_role("radio", name="District").click()
    wait_for_map(page, n=N_DISTRICTS)
    wait_for_query(page, level="district")
    page.get_by_role("radio", name="Province").click()
    wait_for_map(page, n=N_PROVINCES)
    wait_for_query(page, level="province")


def test_without_a_district_layer_the_switch_explains_how_to_add_one(page, app_url):
    goto_map(page, app_url, "level=district&date=2021-07-07")  # falls back to provinces
    wait_for_query(page, level="province")
    assert page.get_by_role("radio", name="District").count() == 0
    assert page.get_by_text("add a district layer on the Data page").count() >= 1
    frame_paths = wait_until(lambda: page.frame_locator('iframe[src*="st_folium"]').locator(AREA_PATHS).count(),
                             message="province paths")
    assert frame_paths == N_PROVINCES


HOSTILE_NAME = '<img src=x onerror="window.__pwned=3">Jawand'


def test_upload_a_layer_on_the_data_page_then_map_it(page, tmp_path_factory):
    """A curator uploads a district file in the browser: a corrupt file is refused with a message
    and changes nothing; a good one is imported with progress and the map then offers districts.
    A district name carrying markup is shown as text everywhere."""
    import geopandas as gpd

    work = tmp_path_factory.mktemp("upload")
    subset = gpd.read_file(SHARED / "afg_districts_gadm.geojson")
    subset = subset[subset["PROVINCE"].isin(["Badghis", "Faryab"])].copy()
    subset.loc[subset["NAME"] == "Jawand", "NAME"] = HOSTILE_NAME
    upload = work / "layer.geojson"
    subset.to_file(upload, driver="GeoJSON")
    corrupt = work / "broken.geojson"
    corrupt.write_bytes(b'{"type": "FeatureCollection", "features": [ {"type": "Feat')
    target = work / "layer" / "districts.geojson"
    uploader = '[data-testid="stFileUploader"] input[type="file"]'
    with running_app({"CLAIMS_DISTRICTS": str(target)}) as url:
        page.goto(f"{url}/data", wait_until="domcontentloaded")
        page.get_by_text("No district layer yet").wait_for()
        page.locator(uploader).set_input_files(str(corrupt))
        page.get_by_text("broken.geojson").wait_for()
        page.get_by_role("button", name="Import").click()
        error = page.get_by_test_id("stAlertContentError")
        error.wait_for(timeout=60_000)
        assert "broken.geojson" in error.inner_text()
        assert not target.parent.exists() or not any(target.parent.iterdir())
        no_app_errors(page)

        page.locator(uploader).set_input_files(str(upload))
        page.get_by_text("layer.geojson").wait_for()
        page.get_by_role("button", name="Import").click()
        page.get_by_text(f"Imported {len(subset)} districts from").wait_for(timeout=60_000)
        progress = page.get_by_test_id("stProgress")
        assert f"imported {len(subset)} districts" in progress.inner_text()  # the bar's last stage
        assert target.is_file()
        no_app_errors(page)

        page.goto(f"{url}/?level=district&date=2021-07-07&area=Qala-e-Naw", wait_until="domcontentloaded")
        frame = wait_for_map(page, n=len(subset))
        panel = open_panel(page, "Qala-I-Naw (Badghis)")
        assert ENEMY_QUOTE in panel.inner_text()
        # Hover and click the district whose name carries markup: its tooltip and panel show text.
        layer = load_district_layer(target)
        hostile_id = next(a for a, n in layer.names().items() if n == HOSTILE_NAME)
        point = area_click_point(page, frame, hostile_id)
        assert point is not None
        page.mouse.move(*point)
        tooltip = frame.locator(".leaflet-tooltip")
        tooltip.wait_for()
        assert HOSTILE_NAME in tooltip.inner_text()
        assert frame.locator(".leaflet-tooltip img").count() == 0
        page.mouse.click(*point)
        title = wait_until(lambda: page.locator(f"{PANEL} h3.area-title").first.inner_text().startswith("<img")
                           and page.locator(f"{PANEL} h3.area-title").first.inner_text(), message="the hostile panel")
        assert HOSTILE_NAME in title
        assert page.locator(f"{PANEL} img").count() == 0
        for f in page.frames:
            assert f.evaluate("() => typeof window.__pwned") == "undefined"
