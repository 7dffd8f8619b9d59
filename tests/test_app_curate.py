"""AppTest: the Curate page's form (live validation, verbatim quotes, save, edit, retire, drafts)."""
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.records import load_records, read_raw_rows

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
SEED = "2021-07-07-breitbart-badghis.txt"
QUOTE_SENTENCE = "A Taliban spokesman also claimed the city and province had fallen."


@pytest.fixture
def env(monkeypatch, tmp_path):
    records = tmp_path / "records.csv"
    shutil.copy(ROOT / "data" / "records.csv", records)
    seeds = tmp_path / "seeds"
    shutil.copytree(ROOT / "seeds", seeds)
    monkeypatch.setenv("CLAIMS_RECORDS", str(records))
    monkeypatch.setenv("CLAIMS_SEEDS", str(seeds))
    monkeypatch.setenv("CLAIMS_DISTRICTS", str(tmp_path / "none" / "districts.geojson"))
    return records, seeds


def curate(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page("views/curate.py")
    at.run()
    assert not at.exception, at.exception
    return at


def problems(at) -> str:
    return "".join(h.proto.body for h in at.get("html") if "form-problems" in h.proto.body)


def button(at, label):
    return next(b for b in at.button if b.label == label)


def fill(at, **values):
    for key, value in values.items():
        widgets = [w for w in [*at.text_input, *at.selectbox, *at.text_area, *at.number_input] if w.key == f"f_{key}" or w.key == key]
        assert widgets, key
        widgets[0].set_value(value)
    at.run()
    assert not at.exception, at.exception


def sentence_index(at, text):
    options = at.selectbox(key="q_from").options
    return next(i for i, label in enumerate(options) if text[:60] in label)


GOOD = dict(id="test-2021-07-07-new-claim", event_date="2021-07-07", date_precision="day",
            reported_date="2021-07-07", province="Badghis", claimed_controller="taliban", claim_kind="self_serving",
            claimant="A Taliban spokesman (test)", claimant_side="taliban", outlet="Breitbart News", author="John Hayward",
            source_reliability="C", info_credibility="3")


def test_add_a_record_with_a_quote_chosen_from_the_seed(env):
    records, _ = env
    before = load_records(records).records
    at = curate()
    fill(at, **GOOD, seed_file=SEED)
    i = sentence_index(at, QUOTE_SENTENCE)
    fill(at, q_from=i, q_to=i, q_trim_start=2)  # "Taliban spokesman also claimed …"
    assert problems(at) == ""
    assert at.text[0].value == QUOTE_SENTENCE[2:]
    save = button(at, "Save record")
    assert not save.disabled
    save.click().run()
    assert not at.exception, at.exception
    assert any("Saved test-2021-07-07-new-claim" in s.value for s in at.success)
    after = load_records(records)
    assert after.problems == [] and len(after.records) == len(before) + 1
    rec = after.records.set_index("id").loc[GOOD["id"]]
    assert rec["quote"] == QUOTE_SENTENCE[2:] and rec["seed_file"] == SEED and rec["province_id"] == "AF-BDG"
    assert at.query_params["id"] == GOOD["id"]


def test_invalid_input_shows_problems_and_writes_nothing(env):
    records, _ = env
    before = records.read_bytes()
    at = curate()
    fill(at, **dict(GOOD, event_date="7 July", claim_kind="self_serving", claimant_side="independent"),
         url="javascript:alert(1)", f_quote_manual="<script>alert(1)</script>")
    text = problems(at)
    assert "<b>event_date</b>: &#x27;7 July&#x27; is not an ISO date" in text
    assert "<b>url</b>: &#x27;javascript:alert(1)&#x27; is not an http(s) link" in text
    assert "<b>claim_kind</b>: an independent claimant cannot make a self-serving claim" in text
    assert "<script>" not in text
    assert button(at, "Save record").disabled
    assert records.read_bytes() == before


def test_duplicate_warning_requires_save_anyway(env):
    records, _ = env
    existing = next(r for r in read_raw_rows(records) if r["id"] == "bdg-2021-07-06-osmani-city")
    at = curate()
    fill(at, **{k: v for k, v in existing.items() if k in GOOD or k == "district"}, seed_file=SEED)
    fill(at, id="bdg-copy", province="Badghis")
    i = sentence_index(at, "A representative to the Afghan parliament")
    quote = existing["quote"]
    fill(at, q_from=i, q_to=i)
    sentence = at.text[0].value
    start = sentence.index(quote)
    fill(at, q_trim_start=start, q_trim_end=len(sentence) - start - len(quote))
    assert at.text[0].value == quote
    assert any("looks like a record already in the file" in w.value for w in at.warning)
    assert button(at, "Save record").disabled
    at.checkbox(key="f_save_anyway").check().run()
    button(at, "Save record").click().run()
    assert "bdg-copy" in set(load_records(records).records["id"])


def test_edit_from_query_param_then_retire(env):
    records, _ = env
    at = curate(id="bdg-2021-07-06-osmani-city")
    assert at.text_input(key="f_id").value == "bdg-2021-07-06-osmani-city" and at.text_input(key="f_id").disabled
    assert at.selectbox(key="f_province").value == "Badghis"
    assert at.text[0].value == "the Taliban captured Qala-e-Naw on Tuesday afternoon"  # located in the seed
    fill(at, claimant="Abdulbasir Osmani (MP)")
    button(at, "Save record").click().run()
    rows = {r["id"]: r for r in read_raw_rows(records)}
    assert rows["bdg-2021-07-06-osmani-city"]["claimant"] == "Abdulbasir Osmani (MP)"
    assert rows["bdg-2021-07-06-osmani-city"]["quote"] == "the Taliban captured Qala-e-Naw on Tuesday afternoon"
    assert button(at, "Retire record").disabled
    fill(at, retire_reason="re-report of another record")
    button(at, "Retire record").click().run()
    loaded = load_records(records)
    assert "bdg-2021-07-06-osmani-city" not in set(loaded.records["id"])
    assert list(loaded.retired["retired_reason"]) == ["re-report of another record"]


def test_unknown_id_in_link_is_reported(env):
    at = curate(id="no-such-record")
    assert "no record with id" in problems(at)
    assert at.selectbox(key="pick").value == "(new record)"


def test_add_document_then_open_a_draft(env):
    records, seeds = env
    at = curate()
    at.text_area[-1].set_value("Kunduz, July 8. The Taliban seized the district of Imam Sahib after heavy fighting.")
    labels = {t.label: t for t in at.text_input}
    labels["File name (slugified; .txt)"].set_value("Kunduz report")
    labels["Outlet"].set_value("Tolo News")
    labels["Published (YYYY-MM-DD)"].set_value("2021-07-08")
    labels["URL (http/https)"].set_value("https://example.org/k")
    next(b for b in at.button if b.label == "Add document").click().run()
    assert not at.exception, at.exception
    assert (seeds / "kunduz-report.txt").is_file()
    assert at.selectbox(key="draft_seed").value == "kunduz-report.txt"
    drafts = at.dataframe[-1].value
    assert list(drafts["province"]) == ["Kunduz"] and list(drafts["claimed_controller"]) == ["taliban"]
    before = records.read_bytes()
    button(at, "Open draft in the form").click().run()
    assert at.selectbox(key="f_seed_file").value == "kunduz-report.txt"
    assert at.selectbox(key="f_province").value == "Kunduz"
    assert at.text_input(key="f_outlet").value == "Tolo News"
    assert "Taliban seized the district" in at.text[0].value
    assert "<b>claim_kind</b>" in problems(at)  # left for the curator to confirm
    assert records.read_bytes() == before  # never auto-saved


def test_data_page_lists_quality_checks_with_fix_links(env):
    records, _ = env
    at = curate(id="bdg-2021-07-06-osmani-city")
    fill(at, retire_reason="duplicate <img src=x onerror=alert(1)>")
    button(at, "Retire record").click().run()
    at.switch_page("views/data.py").run()
    assert not at.exception, at.exception
    labels = [e.label for e in at.expander]
    assert "Retired records: 1" in labels and any(l.startswith("Stale areas") for l in labels)
    html = "".join(h.proto.body for h in at.get("html"))
    assert '<tr data-id="bdg-2021-07-06-osmani-city">' in html
    assert "duplicate &lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
    assert 'href="/curate?id=bdg-2021-07-06-osmani-city"' in html
    assert 'href="/?area=' in html  # stale areas link to the map
    at.toggle(key="show_events_import").set_value(True).run()
    assert not at.exception and any(b.label == "Import events" for b in at.button)
