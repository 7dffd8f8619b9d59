"""Browser tests of the Map page: drawing, offline loading, date slider, clicks, deep links, escaping.

Run: .venv/bin/python -m pytest tests/e2e -q   (starts its own Streamlit servers; uses /usr/bin/chromium)
"""
from __future__ import annotations

import random
import struct
import time
import warnings

import pytest
from conftest import (
    AREA_PATHS,
    FOLIUM_IFRAME,
    N_PROVINCES,
    ROOT,
    TIMEOUT_MS,
    area_click_point,
    area_style,
    PANEL,
    current_query,
    goto_map,
    is_local,
    no_app_errors,
    open_panel,
    wait_for_query,
    wait_until,
)

pytestmark = pytest.mark.e2e

BADGHIS = "AF-BDG"
SLIDER = '[data-testid="stSlider"] input[type="range"][aria-label="Date"]'
ENEMY_QUOTE = "The enemy has entered the city"
SCREENSHOT = ROOT / "docs" / "screenshot.png"


def wait_for_style_change(frame, area_id: str, before: dict) -> dict:
    return wait_until(lambda: (s := area_style(frame, area_id)) != before and s,
                      message=f"{area_id} to be restyled from {before}")


def slider(page):
    loc = page.locator(SLIDER).first
    loc.wait_for(state="attached")
    return loc


def assert_badghis_panel(page) -> None:
    panel = open_panel(page, "Badghis")
    assert panel.locator("h3.area-title").inner_text().startswith("Badghis")
    claim = panel.locator("div.claim[data-record-id]", has=page.locator("blockquote.quote", has_text=ENEMY_QUOTE))
    assert claim.count() >= 1, "the governor's quote is not in the panel"
    first = claim.first
    assert ENEMY_QUOTE in first.locator("blockquote.quote").inner_text()
    text = first.inner_text()
    assert "Breitbart News" in text, text
    assert "Hessamuddin Shams" in text, text
    assert first.get_attribute("data-record-id").startswith("bdg-2021-07-07-shams")


# 1 ------------------------------------------------------------------------------------------------

def test_loads_and_draws_34_provinces(page, app_url):
    frame = goto_map(page, app_url)
    paths = frame.locator(AREA_PATHS)
    assert paths.count() == N_PROVINCES
    ids = frame.eval_on_selector_all(
        AREA_PATHS, "els => els.map(e => [...e.classList].find(c => c.startsWith('area-AF-')))")
    assert len(set(ids)) == N_PROVINCES, sorted(ids)
    assert {"area-AF-BDG", "area-AF-KAB", "area-AF-KAN"} <= set(ids)
    # every polygon has real geometry and a fill colour
    assert all(frame.eval_on_selector_all(AREA_PATHS, "els => els.map(e => (e.getAttribute('d')||'').length > 20 && !!e.getAttribute('fill'))"))
    assert page.get_by_text("Date", exact=True).first.is_visible()
    no_app_errors(page)


# 2 ------------------------------------------------------------------------------------------------

def test_no_request_leaves_localhost(page, app_url):
    frame = goto_map(page, app_url, "date=2021-07-06")
    before = area_style(frame, BADGHIS)
    s = slider(page)
    s.focus()
    page.keyboard.press("ArrowRight")
    wait_for_query(page, date="2021-07-07")
    wait_for_style_change(frame, BADGHIS, before)
    point = area_click_point(page, frame, BADGHIS)
    assert point, "no clickable point inside Badghis"
    page.mouse.click(*point)
    open_panel(page, "Badghis")
    wait_for_query(page, area="Badghis")
    page.mouse.move(2, 2)
    page.wait_for_load_state("networkidle")
    no_app_errors(page)

    urls = list(page.requested)
    assert len(urls) > 5, urls
    assert any("/app/static/vendor/" in u and u.endswith("leaflet.js") for u in urls), "Leaflet not served by the app"
    outside = sorted({u for u in urls if not is_local(u)})
    assert not outside, f"requests left localhost: {outside}"


# 3 ------------------------------------------------------------------------------------------------

def test_badghis_style_differs_between_dates(page, app_url):
    frame = goto_map(page, app_url, "date=2021-07-05")
    early = area_style(frame, BADGHIS)
    assert current_query(page).get("date") == "2021-07-05"
    frame = goto_map(page, app_url, "date=2021-07-07")
    later = area_style(frame, BADGHIS)
    assert current_query(page).get("date") == "2021-07-07"
    differs = {k for k in ("fill", "fillOpacity", "dash") if early[k] != later[k]}
    assert differs, f"Badghis looks the same on both dates: {early} vs {later}"
    assert early["fill"] != later["fill"], (early, later)  # no claims yet vs contested: a different hue
    no_app_errors(page)


# 4 ------------------------------------------------------------------------------------------------

def test_slider_restyles_without_reloading_the_map_and_keeps_zoom(page, app_url):
    frame = goto_map(page, app_url, "date=2021-07-05")
    iframe = page.query_selector(FOLIUM_IFRAME)
    marker = random.randrange(1, 10**9)
    frame.evaluate("m => { window.__e2eMarker = m; }", marker)
    style_05 = area_style(frame, BADGHIS)

    # keyboard on the slider thumb: one day forward
    s = slider(page)
    s.focus()
    page.keyboard.press("ArrowRight")
    wait_for_query(page, date="2021-07-06")
    style_06 = wait_for_style_change(frame, BADGHIS, style_05)
    assert page.evaluate("([a, b]) => a === b", [iframe, page.query_selector(FOLIUM_IFRAME)]), "map iframe replaced"
    assert frame.evaluate("() => window.__e2eMarker") == marker, "map iframe reloaded (marker lost)"
    assert frame.locator(AREA_PATHS).count() == N_PROVINCES

    # zoom in once with Leaflet's own control, then step the date with the ▶ button
    zoom0 = frame.evaluate("() => window.map.getZoom()")
    frame.locator(".leaflet-control-zoom-in").click()
    wait_until(lambda: frame.evaluate("() => window.map.getZoom() === %d && !window.map._animatingZoom" % (zoom0 + 1)),
               message="zoom level +1")
    center = frame.evaluate("() => { const c = window.map.getCenter(); return [c.lat, c.lng]; }")
    page.mouse.move(2, 2)
    page.get_by_role("button", name="▶", exact=True).click()
    wait_for_query(page, date="2021-07-07")
    style_07 = wait_for_style_change(frame, BADGHIS, style_06)
    assert style_07["fill"] != style_06["fill"], (style_06, style_07)

    # the zoom survives the restyle (and stays for a little while after it)
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        assert frame.evaluate("() => window.map.getZoom()") == zoom0 + 1, "date step reset the zoom"
        time.sleep(0.25)
    center_after = frame.evaluate("() => { const c = window.map.getCenter(); return [c.lat, c.lng]; }")
    assert center_after == pytest.approx(center, abs=1e-6), "date step moved the map"
    assert frame.evaluate("() => window.__e2eMarker") == marker, "map iframe reloaded (marker lost)"
    assert page.evaluate("([a, b]) => a === b", [iframe, page.query_selector(FOLIUM_IFRAME)]), "map iframe replaced"

    # and back one day with ArrowLeft: the earlier colouring returns
    slider(page).focus()
    page.keyboard.press("ArrowLeft")
    wait_for_query(page, date="2021-07-06")
    assert wait_until(lambda: area_style(frame, BADGHIS) == style_06, message="the 2021-07-06 style again")
    assert frame.evaluate("() => window.map.getZoom()") == zoom0 + 1
    assert frame.evaluate("() => window.__e2eMarker") == marker
    no_app_errors(page)


# 5 ------------------------------------------------------------------------------------------------

def test_click_badghis_opens_panel_with_quote_and_source(page, app_url):
    frame = goto_map(page, app_url, "date=2021-07-07")
    assert page.locator(PANEL).count() == 0
    assert "area" not in current_query(page)
    point = area_click_point(page, frame, BADGHIS)
    if point:
        page.mouse.click(*point)
    else:  # fallback: the centre was not inside the polygon
        warnings.warn("could not find a clickable point inside Badghis; dispatching a click on its path")
        frame.locator(f"path.area-{BADGHIS}").dispatch_event("click")
    assert_badghis_panel(page)
    wait_for_query(page, area="Badghis", date="2021-07-07")
    # the map marks the selection with a heavy black outline
    page.mouse.move(2, 2)
    wait_until(lambda: area_style(frame, BADGHIS)["stroke"] == "#000000", message="Badghis outlined as selected")
    no_app_errors(page)


# 6 ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("area", ["Badghis", "AF-BDG"])
def test_deep_link_opens_panel(page, app_url, area):
    goto_map(page, app_url, f"date=2021-07-07&area={area}")
    assert_badghis_panel(page)
    assert "as of 2021-07-07" in page.locator(f"{PANEL} h3.area-title").inner_text()
    wait_for_query(page, area="Badghis", date="2021-07-07")  # ids are rewritten to the name
    no_app_errors(page)


# 7 ------------------------------------------------------------------------------------------------

def test_hostile_records_render_as_text(page, hostile_app_url):
    frame = goto_map(page, hostile_app_url, "date=2021-07-07&area=Badghis")
    panel = open_panel(page, "Badghis")
    quote = panel.locator("blockquote.quote")
    assert quote.count() == 1
    text = quote.inner_text()
    assert "<script>window.__pwned=1</script>" in text, text
    assert '<img src=x onerror="window.__pwned=2">' in text, text

    cards = panel.locator("div.claim[data-record-id]")
    assert [cards.nth(i).get_attribute("data-record-id") for i in range(cards.count())] == ["xss-quote"]
    card_text = cards.first.inner_text()
    assert "<b>Bold</b> Governor" in card_text  # the claimant's tags are shown, not applied
    assert "Evil <i>Outlet</i>" in card_text
    tag_texts = panel.locator("b, i, strong, em").evaluate_all("els => els.map(e => e.textContent.trim())")
    assert "Bold" not in tag_texts and "Outlet" not in tag_texts, tag_texts

    # nothing from the records became markup
    for selector in ('img[src="x"]', "img", "script", "svg", "iframe", "[onerror]", "[onload]"):
        assert panel.locator(selector).count() == 0, f"{selector} injected into the panel"
    assert page.locator('img[src="x"]').count() == 0
    hrefs = panel.locator("a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    assert hrefs == ["http://example.invalid/report?a=1&b=2"], hrefs

    # the javascript: row is rejected and reported, not drawn
    page.get_by_text("1 problem(s) in the records file").wait_for()
    page.mouse.move(2, 2)
    page.wait_for_load_state("networkidle")
    for fr in page.frames:
        assert fr.evaluate("() => typeof window.__pwned") == "undefined", f"script ran in {fr.url}"
    assert frame.locator(AREA_PATHS).count() == N_PROVINCES
    no_app_errors(page)

    # the Data page lists the problem and runs nothing either
    page.goto(f"{hostile_app_url}/data", wait_until="domcontentloaded")
    page.get_by_text("Rows with problems are left off the map").wait_for()
    for fr in page.frames:
        assert fr.evaluate("() => typeof window.__pwned") == "undefined", f"script ran in {fr.url}"
    no_app_errors(page)


# 8 ------------------------------------------------------------------------------------------------

def test_screenshot_of_badghis_on_2021_07_07(page, app_url):
    frame = goto_map(page, app_url, "date=2021-07-07&area=Badghis")
    assert_badghis_panel(page)
    page.mouse.move(2, 2)
    wait_until(lambda: area_style(frame, BADGHIS)["stroke"] == "#000000", message="Badghis outlined as selected")
    page.evaluate("() => document.fonts.ready")
    frame.evaluate("() => document.fonts.ready")
    no_app_errors(page)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    tmp = SCREENSHOT.with_suffix(".tmp.png")
    page.screenshot(path=str(tmp), full_page=False)
    tmp.replace(SCREENSHOT)
    data = SCREENSHOT.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1400, 1000)
    assert len(data) > 30_000  # a real picture, not a blank page


def test_a_link_to_the_data_page_on_a_fresh_server_uses_the_app_router(page):
    """The first visitor of a new server opens /data directly: the app's own navigation is shown."""
    from conftest import running_app

    with running_app() as url:
        page.goto(f"{url}/data", wait_until="domcontentloaded")
        page.get_by_role("heading", name="Claim records").wait_for()
        nav = page.get_by_test_id("stTopNavLink")
        wait_until(lambda: nav.count() == 3, message="the top navigation with Map, Curate and Data")
        assert sorted(t.split()[-1] for t in nav.all_inner_texts()) == ["Curate", "Data", "Map"]  # after the icon
        assert page.get_by_test_id("stSidebarNav").count() == 0
        no_app_errors(page)


def test_playback_advances_the_date_keeps_the_map_and_pauses(page, app_url):
    frame = goto_map(page, app_url, "date=2021-07-03")
    frame.evaluate("() => { window.__sameFrame = true; }")
    page.get_by_role("button", name="Play").click()
    wait_until(lambda: current_query(page).get("date", "") >= "2021-07-06", timeout=30,
               message="playback to reach 6 July")
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for()
    stopped = current_query(page)["date"]
    time.sleep(2.0)
    assert current_query(page)["date"] == stopped  # paused means paused
    assert frame.evaluate("() => window.__sameFrame === true")  # the map was never reloaded
    assert page.locator(FOLIUM_IFRAME).count() == 1
    no_app_errors(page)
