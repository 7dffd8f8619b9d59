"""Browser tests of the Curate page: add a record with a quote chosen from a seed, see it on the map,
edit it, retire it; hostile text stays text everywhere and a javascript: URL is refused.

Run: .venv/bin/python -m pytest tests/e2e -q   (one server on tmp copies of data/records.csv and seeds/)
"""
from __future__ import annotations

import re
import shutil

import pytest
from conftest import ROOT, TIMEOUT_MS, goto_map, no_app_errors, open_panel, running_app, wait_until

pytestmark = pytest.mark.e2e

SEED = "2021-07-07-breitbart-badghis.txt"
RID = "e2e-council-fled"
SENTENCE = "Members of the provincial council said they fled to a nearby army camp"
HOSTILE_RID = "e2e-hostile"
IMG = '<img src=x onerror="window.__pwned=1">'
SCRIPT = "<script>window.__pwned=1</script>"
HOSTILE_TEXT = f"Local elders said the Taliban captured the bazaar {IMG} on Tuesday {SCRIPT} near Qala-e-Naw."


@pytest.fixture(scope="module")
def curate_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("curate")
    shutil.copy(ROOT / "data" / "records.csv", tmp / "records.csv")
    shutil.copytree(ROOT / "seeds", tmp / "seeds")
    with running_app({"CLAIMS_RECORDS": str(tmp / "records.csv"), "CLAIMS_SEEDS": str(tmp / "seeds")}) as url:
        yield url, tmp


# --- helpers -------------------------------------------------------------------------------------

def goto_curate(page, base, query=""):
    page.goto(f"{base}/curate{('?' + query) if query else ''}", wait_until="domcontentloaded")
    page.get_by_label("id", exact=True).wait_for(state="visible", timeout=60_000)


def widget(page, testid: str, label: str):
    return page.locator(f'[data-testid="{testid}"]').filter(
        has=page.locator("label", has_text=re.compile(rf"^{re.escape(label)}$")))


def type_in(page, label: str, value: str, area: bool = False):
    box = widget(page, "stTextArea" if area else "stTextInput", label).locator("textarea" if area else "input")
    box.fill(value)
    box.press("Control+Enter" if area else "Enter")
    wait_until(lambda: box.input_value() == value, message=f"{label} = {value!r}")


def choose(page, label: str, option: str):
    """Open a selectbox (a combobox), filter by typing, pick the first option containing the text."""
    box = page.locator(f'input[role="combobox"][aria-label="{label}"]')
    box.click()
    box.fill(option[:40])
    opt = page.locator('[role="option"]', has_text=option).first
    opt.wait_for(state="visible")
    opt.click()
    wait_until(lambda: option[:30] in box.input_value(), message=f"{label} shows {option!r}")


def problems_text(page) -> str:
    loc = page.locator("ul.form-problems")
    return " | ".join(loc.all_inner_texts()) if loc.count() else ""


def wait_no_problems(page):
    wait_until(lambda: page.get_by_text("No problems: the record passes").is_visible(),
               message=f"no form problems (now: {problems_text(page)})")


def save(page, expect: str):
    button = page.get_by_role("button", name="Save record")
    wait_until(lambda: button.is_enabled(), message="Save enabled")
    button.click()
    page.get_by_text(expect).first.wait_for(state="visible", timeout=TIMEOUT_MS)
    no_app_errors(page)


def panel_for(page, base):
    goto_map(page, base, "area=Badghis&date=2021-07-07")
    return open_panel(page, "Badghis")


def fill_common(page, rid: str, claimant: str, outlet: str = "Breitbart News"):
    type_in(page, "id", rid)
    type_in(page, "event_date (YYYY-MM-DD)", "2021-07-07")
    choose(page, "date_precision", "day")
    choose(page, "province", "Badghis")
    choose(page, "claimed_controller", "contested")
    choose(page, "claim_kind", "independent (reporter")
    choose(page, "claimant_side", "independent")
    type_in(page, "claimant", claimant)
    type_in(page, "outlet", outlet)
    choose(page, "source_reliability (Admiralty A–F)", "B")
    choose(page, "info_credibility (Admiralty 1–6)", "2")


def assert_not_pwned(page, panel=None):
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    for frame in page.frames:
        assert frame.evaluate("() => typeof window.__pwned") == "undefined"
    if panel is not None:
        assert panel.locator("img, script").count() == 0


# --- tests ---------------------------------------------------------------------------------------

def test_add_see_edit_retire(page, curate_app):
    base, tmp = curate_app
    goto_curate(page, base)
    fill_common(page, RID, "Provincial council members (e2e)")
    choose(page, "seed_file", SEED)
    choose(page, "From sentence", SENTENCE)
    choose(page, "To sentence", SENTENCE)
    preview = page.locator('[data-testid="stText"]').first
    wait_until(lambda: SENTENCE in preview.inner_text(), message="the quote preview")
    wait_no_problems(page)
    save(page, f"Saved {RID}")
    assert RID in (tmp / "records.csv").read_text(encoding="utf-8")

    panel = panel_for(page, base)
    card = panel.locator(f'div.claim[data-record-id="{RID}"]')
    card.wait_for(state="visible")
    assert SENTENCE in card.inner_text() and "Provincial council members (e2e)" in card.inner_text()

    goto_curate(page, base, f"id={RID}")
    assert page.get_by_label("id", exact=True).input_value() == RID
    type_in(page, "claimant", "Badghis provincial council (edited)")
    save(page, f"Saved {RID}")
    panel = panel_for(page, base)
    card = panel.locator(f'div.claim[data-record-id="{RID}"]')
    card.wait_for(state="visible")
    assert "Badghis provincial council (edited)" in card.inner_text()

    goto_curate(page, base, f"id={RID}")
    type_in(page, "Reason for retiring", "e2e: misread source")
    page.get_by_role("button", name="Retire record").click()
    page.get_by_text(f"Retired {RID}").wait_for(state="visible")
    panel = panel_for(page, base)
    assert panel.locator(f'div.claim[data-record-id="{RID}"]').count() == 0

    page.goto(f"{base}/data", wait_until="domcontentloaded")
    row = page.locator(f'table.quality-retired tr[data-id="{RID}"]')
    row.wait_for(state="visible", timeout=60_000)
    assert "e2e: misread source" in row.inner_text()
    assert row.locator("a").get_attribute("href") == f"/curate?id={RID}"
    no_app_errors(page)


def test_hostile_text_stays_text(page, curate_app):
    base, tmp = curate_app
    goto_curate(page, base)
    # a source document holding markup, added through the page
    form = page.locator('[data-testid="stForm"]')
    form.locator("textarea").fill(HOSTILE_TEXT)
    widget(page, "stTextInput", "File name (slugified; .txt)").locator("input").fill("hostile <b>doc</b>")
    widget(page, "stTextInput", "Outlet").locator("input").fill(f"Outlet {SCRIPT}")
    widget(page, "stTextInput", "Published (YYYY-MM-DD)").locator("input").fill("2021-07-07")
    form.get_by_role("button", name="Add document").click()
    page.get_by_text("Added seeds/hostile-b-doc-b.txt").wait_for(state="visible")

    fill_common(page, HOSTILE_RID, f"Elders {IMG}", outlet=f"Outlet {SCRIPT}")
    type_in(page, "url (http/https only)", "javascript:window.__pwned=1")
    wait_until(lambda: "url: 'javascript:window.__pwned=1' is not an http(s) link" in problems_text(page),
               message=f"the url problem (now: {problems_text(page)})")
    assert page.get_by_role("button", name="Save record").is_disabled()
    choose(page, "seed_file", "hostile-b-doc-b.txt")
    type_in(page, "url (http/https only)", "")
    type_in(page, "notes", f"notes {IMG} {SCRIPT}", area=True)
    preview = page.locator('[data-testid="stText"]').first
    wait_until(lambda: IMG in preview.inner_text(), message="the hostile quote shown as text")
    wait_no_problems(page)
    save(page, f"Saved {HOSTILE_RID}")
    assert_not_pwned(page, page.locator('[data-testid="stMain"]'))
    # the drafts table is a canvas grid: nothing of the seed's markup becomes DOM
    assert page.locator('[data-testid="stMain"] img, [data-testid="stMain"] script').count() == 0

    panel = panel_for(page, base)
    card = panel.locator(f'div.claim[data-record-id="{HOSTILE_RID}"]')
    card.wait_for(state="visible")
    assert IMG in card.inner_text() and f"Elders {IMG}" in card.inner_text()
    assert_not_pwned(page, panel)

    goto_curate(page, base, f"id={HOSTILE_RID}")
    type_in(page, "Reason for retiring", f"test {IMG}")
    page.get_by_role("button", name="Retire record").click()
    page.get_by_text(f"Retired {HOSTILE_RID}").wait_for(state="visible")
    page.goto(f"{base}/data", wait_until="domcontentloaded")
    row = page.locator(f'table.quality-retired tr[data-id="{HOSTILE_RID}"]')
    row.wait_for(state="visible", timeout=60_000)
    assert f"test {IMG}" in row.inner_text()
    assert_not_pwned(page, page.locator('[data-testid="stMain"]'))
    no_app_errors(page)
