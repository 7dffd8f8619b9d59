"""geo/quality.py: each Data-page check on small frames, and its links."""
from datetime import date
from pathlib import Path

import pandas as pd

from geo import control, quality
from geo.records import Problem, parse_records, to_csv_text

ROOT = Path(__file__).resolve().parents[1]
SEED = "2021-07-07-breitbart-badghis.txt"
BASE = dict(event_date="2021-07-07", date_precision="day", province="Badghis", claimed_controller="taliban",
            claim_kind="independent", claimant="Reporter", claimant_side="independent", outlet="X",
            url="https://example.org/a", quote="q", source_reliability="B", info_credibility="2")


def load(rows):
    text = to_csv_text(rows)
    return parse_records(text, "records.csv", ROOT / "seeds"), text


def test_invalid_rows_link_to_the_record():
    result, text = load([dict(BASE, id="ok"), dict(BASE, id="bad", event_date="7 July"), dict(BASE, id="")])
    table = quality.invalid_rows(result.problems, quality.ids_by_line(text))
    assert list(table.columns) == ["file", "row", "id", "field", "reason", "fix"]
    bad = table[table["id"] == "bad"].iloc[0]
    assert bad["field"] == "event_date" and bad["row"] == 3 and bad["fix"] == "/curate?id=bad"
    nameless = table[table["row"] == 4]
    assert (nameless["id"] == "").all() and (nameless["fix"] == "").all()


def test_quote_problems_grouped_by_seed():
    result, text = load([dict(BASE, id="a", seed_file=SEED, quote="never said"),
                         dict(BASE, id="b", seed_file="missing.txt"),
                         dict(BASE, id="c", seed_file=SEED, quote="The enemy has entered the city")])
    table = quality.quote_problems(result.problems, quality.ids_by_line(text))
    assert list(table["id"]) == ["b", "a"] or list(table["seed"]) == sorted(table["seed"])
    assert set(zip(table["id"], table["seed"])) == {("a", SEED), ("b", "missing.txt")}
    assert quality.quote_problems([]).empty


class FakeLayer:
    def evidence(self, records):
        return pd.DataFrame(), records[records["district"] == "Nowhere"]


def test_unresolved_districts():
    result, _ = load([dict(BASE, id="a", district="Nowhere"), dict(BASE, id="b", district="Qala-e-Naw")])
    assert quality.unresolved_districts(result.records, None).empty
    table = quality.unresolved_districts(result.records, FakeLayer())
    assert list(table["id"]) == ["a"] and table["fix"][0] == "/curate?id=a"


def test_duplicate_groups_include_retired_and_ignore_own_text():
    rows = [dict(BASE, id="a", quote="They took it"), dict(BASE, id="b", province="AF-BDG", quote=" they  TOOK it "),
            dict(BASE, id="c", quote="Other"), dict(BASE, id="d", quote="They took it", status="retired",
                                                     retired_reason="dup")]
    result, _ = load(rows)
    table = quality.duplicate_groups([result.records, result.retired])
    assert list(table["group"]) == [1, 1, 1] and list(table["id"]) == ["a", "b", "d"]
    assert list(table["status"]) == ["active", "active", "retired"]
    assert quality.duplicate_groups([result.records[result.records["id"] == "c"]]).empty


def test_retired_table():
    result, _ = load([dict(BASE, id="a"), dict(BASE, id="r", status="retired", retired_reason="misread <b>")])
    table = quality.retired_table(result.retired)
    assert list(table["id"]) == ["r"] and table["retired_reason"][0] == "misread <b>"
    assert table["fix"][0] == "/curate?id=r"
    assert quality.retired_table(result.retired.iloc[0:0]).empty


def test_stale_areas():
    result, _ = load([dict(BASE, id="old", event_date="2021-06-01"), dict(BASE, id="new", province="Kabul",
                                                                         event_date="2021-07-01"),
                      dict(BASE, id="ss", province="Herat", event_date="2021-07-01", claim_kind="self_serving",
                           claimant_side="taliban")])
    ev = control.province_evidence(result.records)
    index = control.StateIndex(result.records, ev, ["AF-BDG", "AF-KAB", "AF-HER", "AF-KAN"])
    names = {"AF-BDG": "Badghis", "AF-KAB": "Kabul", "AF-HER": "Herat"}
    table = quality.stale_areas(index, date(2021, 7, 7), names)
    # Badghis: 36 days since confirmed; Herat: only self-serving claims; Kabul: 6 days; Kandahar: no data
    assert list(table["area_id"]) == ["AF-HER", "AF-BDG"]
    assert table.set_index("area_id").loc["AF-BDG", "days_since_confirmed"] == 36
    assert table["fix"][1] == "/?area=Badghis&date=2021-07-07&level=province"


def test_html_table_escapes_everything():
    frame = pd.DataFrame([{"id": 'x"><img src=x onerror=alert(1)>', "quote": "<script>alert(1)</script>",
                           "fix": "javascript:alert(1)"}, {"id": "ok", "quote": "fine", "fix": "/curate?id=ok"},
                          {"id": "ext", "quote": "", "fix": "//evil.example/x"}])
    html = quality.html_table(frame)
    assert "<script" not in html and "<img" not in html and "javascript:" not in html and "//evil" not in html
    assert "&lt;script&gt;" in html and 'href="/curate?id=ok"' in html
