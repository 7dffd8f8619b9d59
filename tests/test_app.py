"""Streamlit AppTest: the pages' wiring (URL state, buttons, warnings, Data page) without a browser."""
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
HOSTILE = Path(__file__).resolve().parent / "e2e" / "fixtures" / "hostile_records.csv"


@pytest.fixture(autouse=True)
def no_district_layer(monkeypatch, tmp_path):
    monkeypatch.setenv("CLAIMS_DISTRICTS", str(tmp_path / "none" / "districts.geojson"))
    monkeypatch.delenv("CLAIMS_RECORDS", raising=False)


def run_map(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def panel_html(at: AppTest) -> str:
    return "".join(el.proto.body for el in at.get("html") if 'class="panel"' in el.proto.body)


def test_deep_link_selects_date_and_area():
    at = run_map(date="2021-07-07", area="badghis")
    assert at.slider[0].value == date(2021, 7, 7)
    assert dict(at.query_params) == {"date": "2021-07-07", "level": "province", "area": "Badghis"}
    html = panel_html(at)
    assert 'data-area-name="Badghis"' in html and "The enemy has entered the city" in html


@pytest.mark.parametrize(
    "button, expected",
    # With Badghis selected, ▶▶/◀◀ jump between Badghis's own claim dates (none before 6 July).
    [("▶▶", date(2021, 7, 6)), ("◀◀", date(2021, 7, 5)), ("▶", date(2021, 7, 6)), ("◀", date(2021, 7, 4))],
)
def test_step_and_jump_buttons(button, expected):
    at = run_map(date="2021-07-05", area="Badghis")
    next(b for b in at.button if b.label == button).click().run()
    assert at.slider[0].value == expected
    assert at.query_params["date"] == expected.isoformat()


def test_next_change_without_selection_uses_any_area():
    at = run_map(date="2021-07-05")
    next(b for b in at.button if b.label == "▶▶").click().run()
    assert at.slider[0].value == date(2021, 7, 6)
    next(b for b in at.button if b.label == "◀◀").click().run()
    assert at.slider[0].value == date(2021, 7, 3)


def test_bad_url_values_warn_and_fall_back():
    at = run_map(date="7 July", area="Atlantis", level="galaxy")
    warnings = " ".join(w.value for w in at.warning)
    assert "Ignored date '7 July'" in warnings and "No province called 'Atlantis'" in warnings
    assert at.query_params["level"] == "province"
    assert "area" not in at.query_params


def test_dates_are_clamped_to_the_data_range():
    # The data run from 3 July to 6 September 2021; the slider adds a day either side.
    assert run_map(date="1999-01-01").slider[0].value == date(2021, 7, 2)
    assert run_map(date="2099-01-01").slider[0].value == date(2021, 9, 7)


def test_data_page_lists_record_problems(monkeypatch):
    monkeypatch.setenv("CLAIMS_RECORDS", str(HOSTILE))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("views/data.py").run()
    assert not at.exception, at.exception
    problems = at.dataframe[0].value
    assert list(problems.columns) == ["file", "row", "field", "reason"]
    bad = problems[problems["field"] == "url"]
    assert len(bad) == 1 and "not an http(s) link" in bad["reason"].iloc[0]
    assert any("No district layer yet" in i.value for i in at.info)
