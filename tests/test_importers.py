"""ACLED / UCDP GED importers: mapping, skips, problems, merging and robustness."""
import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import hypothesis_ci  # noqa: F401  (CI: fixed examples)
from hypothesis import strategies as st

from geo import importers
from geo.importers import (
    ACLED_URL,
    UCDP_URL,
    import_bytes,
    import_events,
    merge_into,
    parse_date,
)
from geo.records import COLUMNS, load_records, parse_records, to_csv_text

ROOT = Path(__file__).resolve().parents[1]

ACLED_COLUMNS = [
    "event_id_cnty", "event_date", "time_precision", "event_type", "sub_event_type", "actor1", "actor2",
    "admin1", "admin2", "location", "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
]
UCDP_COLUMNS = [
    "id", "relid", "year", "type_of_violence", "conflict_name", "side_a", "side_b", "source_article",
    "source_office", "source_headline", "where_prec", "where_coordinates", "adm_1", "adm_2", "latitude",
    "longitude", "country", "date_prec", "date_start", "date_end", "best",
]

QALA_NOTES = (
    "On 7 July 2021, Taliban militants entered Qala-e-Naw city (Badghis) and took over the police "
    "headquarters and the provincial prison, freeing inmates. Fighting continued near the governor's office."
)

ACLED_BASE = {
    "event_id_cnty": "AFG53210",
    "event_date": "07 July 2021",
    "time_precision": "1",
    "event_type": "Battles",
    "sub_event_type": "Non-state actor overtakes territory",
    "actor1": "Taliban",
    "actor2": "Military Forces of Afghanistan (2004-2021)",
    "admin1": "Badghis",
    "admin2": "Qala-e-Naw",
    "location": "Qala-e-Naw",
    "latitude": "34.9873",
    "longitude": "63.1289",
    "geo_precision": "1",
    "source": "Pajhwok Afghan News; TOLOnews",
    "source_scale": "National",
    "notes": QALA_NOTES,
}


def acled(**changes) -> dict:
    return {**ACLED_BASE, **changes}


ACLED_ROWS = [
    acled(),  # line 2: the Badghis territory event
    acled(  # line 3: a Kandahar battle, not a territory change
        event_id_cnty="AFG53301", event_date="2021-07-09", sub_event_type="Armed clash", admin1="Kandahar",
        admin2="Kandahar", location="Kandahar", latitude="31.6133", longitude="65.7101",
        source="Bakhtar News Agency", notes="On 9 July 2021, Taliban militants clashed with ANDSF in PD 7 of Kandahar city.",
    ),
    acled(  # line 4: government recapture, weekly date, province-wide
        event_id_cnty="AFG53377", event_date="2021-07-08", time_precision="2", geo_precision="3",
        sub_event_type="Government regains territory", actor1="Military Forces of Afghanistan (2004-2021)",
        actor2="Taliban", location="Qala-e-Naw", notes="Around 8 July 2021, ANDSF retook areas of Badghis province.",
    ),
    acled(event_id_cnty="AFG53400", admin1="Atlantis"),  # line 5: unknown province
    acled(event_id_cnty="AFG53401", event_date="31 June 2021"),  # line 6: bad date
    acled(event_id_cnty="AFG53402", notes=""),  # line 7: no notes
    acled(  # line 8: the NRF receives a district without fighting
        event_id_cnty="AFG54001", event_date="17 August 2021", sub_event_type="Non-violent transfer of territory",
        event_type="Strategic developments", actor1="NRF: National Resistance Front", actor2="",
        admin1="Parwan", admin2="Jabal Saraj", location="Jabal Saraj", latitude="35.1180", longitude="69.2380",
        geo_precision="2", notes="On 17 August 2021, NRF fighters took control of Jabal Saraj district without a fight.",
    ),
    acled(  # line 9: the Islamic Emirate's forces (ACLED: "(2021-)") retake Panjshir → taliban
        event_id_cnty="AFG54210", event_date="06 September 2021", sub_event_type="Government regains territory",
        actor1="Military Forces of Afghanistan (2021-)", actor2="NRF: National Resistance Front",
        admin1="Panjshir", admin2="Bazarak", location="Bazarak", latitude="35.3129", longitude="69.5152",
        notes="On 6 September 2021, Taliban forces captured Bazarak, the provincial capital of Panjshir.",
    ),
    acled(event_id_cnty="AFG54300", actor1="Unidentified Armed Group (Afghanistan)"),  # line 10: unmapped actor
]


def csv_bytes(columns, rows, *, bom=False, crlf=False, quoting=csv.QUOTE_MINIMAL) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\r\n" if crlf else "\n", quoting=quoting)
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    text = buf.getvalue()
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def write(tmp_path, name, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def assert_loadable(records):
    result = parse_records(to_csv_text(records), "imported.csv")
    assert result.problems == []
    assert len(result.records) == len(records)


def by_id(result):
    return {r["id"]: r for r in result.records}


@pytest.fixture(scope="module")
def acled_result(tmp_path_factory):
    path = write(tmp_path_factory.mktemp("acled"), "acled.csv", csv_bytes(ACLED_COLUMNS, ACLED_ROWS))
    return import_events(path, "acled")


# --- ACLED --------------------------------------------------------------------------------------

def test_acled_territory_event_maps_every_field(acled_result):
    rec = by_id(acled_result)["acled-AFG53210"]
    assert set(rec) == set(COLUMNS)
    assert all(isinstance(v, str) for v in rec.values())
    expected = {
        "id": "acled-AFG53210", "event_date": "2021-07-07", "date_precision": "day", "reported_date": "",
        "province": "Badghis", "district": "Qala-e-Naw", "place": "Qala-e-Naw", "lat": "34.9873", "lon": "63.1289",
        "claimed_controller": "taliban", "claim_kind": "independent",
        "claimant": "ACLED (coded from: Pajhwok Afghan News; TOLOnews)", "claimant_side": "independent",
        "outlet": "ACLED", "author": "", "url": ACLED_URL, "seed_file": "", "quote": QALA_NOTES,
        "source_reliability": "B", "info_credibility": "2",
    }
    assert {k: rec[k] for k in expected} == expected
    assert "ACLED event AFG53210" in rec["notes"]
    assert "Non-state actor overtakes territory" in rec["notes"]
    assert "Pajhwok Afghan News; TOLOnews (National)" in rec["notes"]


def test_acled_government_recapture_is_province_wide_and_weekly(acled_result):
    rec = by_id(acled_result)["acled-AFG53377"]
    assert rec["claimed_controller"] == "government"
    assert rec["date_precision"] == "week"
    assert (rec["district"], rec["place"], rec["lat"], rec["lon"]) == ("", "", "", "")
    assert rec["info_credibility"] == "3"
    assert rec["event_date"] == "2021-07-08"


def test_acled_nrf_and_post_republic_state_forces(acled_result):
    recs = by_id(acled_result)
    nrf = recs["acled-AFG54001"]
    assert (nrf["claimed_controller"], nrf["province"], nrf["district"], nrf["place"]) == (
        "resistance", "Parwan", "Jabal Saraj", "Jabal Saraj")
    assert nrf["info_credibility"] == "3"  # geo_precision 2
    emirate = recs["acled-AFG54210"]
    assert emirate["claimed_controller"] == "taliban"
    assert emirate["event_date"] == "2021-09-06"


def test_acled_skips_and_problems(acled_result):
    r = acled_result
    assert r.rows_read == 9 and r.imported == 4 and r.rejected == 2
    assert r.rows_read == r.imported + len(r.skipped) + r.rejected
    assert r.skipped == [
        (3, "not a territory change (Battles / Armed clash)"),
        (7, "no quotable text (notes empty)"),
        (10, "actor not mapped to a controller (actor1 'Unidentified Armed Group (Afghanistan)')"),
    ]
    assert [(p.row, p.field) for p in r.problems] == [(5, "admin1"), (6, "event_date")]
    assert "unknown province 'Atlantis'" in r.problems[0].reason
    assert "'31 June 2021' is not a date" in r.problems[1].reason
    assert all(p.file.endswith("acled.csv") for p in r.problems)
    assert_loadable(r.records)
    text = r.summary()
    assert "9 row(s) read — 4 imported, 3 skipped, 2 with problems" in text
    assert "row 5, field 'admin1'" in text


@pytest.mark.parametrize("name, side", [
    ("Taliban", "taliban"),
    ("Police Forces of Afghanistan (2004-2021)", "state"),
    ("Military Forces of Afghanistan (2021-)", "state"),
    ("NRF: National Resistance Front", "resistance"),
    ("National Resistance Front of Afghanistan", "resistance"),
    ("Islamic State (Afghanistan)", "iskp"),
    ("Islamic State Khorasan Province (ISKP)", "iskp"),
    ("TTP: Tehrik-i-Taliban Pakistan", None),
    ("Islamic State (Pakistan)", None),
    ("AFF: Afghanistan Freedom Front", None),
    ("Militia (Pro-Government)", None),
    ("", None),
])
def test_acled_actor_names(name, side):
    assert importers.acled_actor_side(name) == side


def test_state_forces_without_period_follow_the_date(tmp_path):
    rows = [
        acled(event_id_cnty="A1", sub_event_type="Government regains territory",
              actor1="Military Forces of Afghanistan", event_date="2021-07-10"),
        acled(event_id_cnty="A2", sub_event_type="Government regains territory",
              actor1="Military Forces of Afghanistan", event_date="2021-09-10"),
    ]
    r = import_bytes(csv_bytes(ACLED_COLUMNS, rows), "acled")
    assert [rec["claimed_controller"] for rec in r.records] == ["government", "taliban"]


def test_acled_bom_crlf_and_multiline_notes(tmp_path):
    notes = "On 7 July 2021, Taliban took Qala-e-Naw.\nLocal officials said \"the city has fallen\"."
    rows = [acled(notes=notes), acled(event_id_cnty="AFG53211", admin1="Hilmand", admin2="Nad-e-Ali")]
    path = write(tmp_path, "acled-crlf.csv", csv_bytes(ACLED_COLUMNS, rows, bom=True, crlf=True))
    assert path.read_bytes().startswith(b"\xef\xbb\xbfevent_id_cnty,")
    r = import_events(path, "acled")
    assert r.problems == [] and r.imported == 2
    first, second = r.records
    assert first["quote"] == notes  # line break kept (as \n), embedded quotes intact
    assert second["province"] == "Helmand"  # any spelling; the app's name is stored
    # The multi-line row spans lines 2-3, so the next row starts on line 4.
    bad = write(tmp_path, "acled-bad.csv", csv_bytes(
        ACLED_COLUMNS, [acled(notes=notes), acled(event_id_cnty="X", admin1="Nowhere")], bom=True, crlf=True))
    assert [p.row for p in import_events(bad, "acled").problems] == [4]
    assert_loadable(r.records)


def test_duplicate_event_ids_are_skipped(tmp_path):
    r = import_bytes(csv_bytes(ACLED_COLUMNS, [acled(), acled()]), "acled")
    assert r.imported == 1
    assert r.skipped == [(3, "duplicate event (same id as row 2)")]


def test_outside_afghanistan_and_semicolon_files():
    cols = ACLED_COLUMNS + ["country"]
    rows = [acled(country="Afghanistan"), acled(event_id_cnty="PAK1", country="Pakistan", admin1="Khyber Pakhtunkhwa")]
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=cols, delimiter=";", lineterminator="\n")
    w.writeheader()
    w.writerows([{c: r.get(c, "") for c in cols} for r in rows])
    r = import_bytes(buf.getvalue().encode(), "acled")
    assert r.imported == 1 and r.problems == []
    assert r.skipped == [(3, "outside Afghanistan (Pakistan)")]


def test_malformed_rows_are_problems():
    data = csv_bytes(ACLED_COLUMNS, [acled()]) + b"A,B,C" + b",x" * 20 + b"\n"
    data += csv_bytes(ACLED_COLUMNS, [acled(event_id_cnty="N", notes="nul\x00here")]).split(b"\n", 1)[1]
    r = import_bytes(data, "acled", file="x.csv")
    assert r.imported == 1 and r.rejected == 2
    assert [(p.row, p.field) for p in r.problems] == [(3, "(row)"), (4, "(row)")]
    assert "NUL" in r.problems[1].reason


@pytest.mark.parametrize("text, iso", [
    ("07 July 2021", "2021-07-07"), ("7 Jul 2021", "2021-07-07"), ("2021-07-07", "2021-07-07"),
    ("2021-07-07 00:00:00.000", "2021-07-07"), ("07-Jul-21", "2021-07-07"), ("July 7, 2021", "2021-07-07"),
])
def test_parse_date(text, iso):
    assert parse_date(text).isoformat() == iso


@pytest.mark.parametrize("text", ["", "31 June 2021", "2021-13-01", "07/07/2021", "yesterday", "2021-07-07x"])
def test_parse_date_refuses(text):
    assert parse_date(text) is None


# --- unusable files -----------------------------------------------------------------------------

@pytest.mark.parametrize("data, reason", [
    (b"", "empty"),
    (b"   \n\n", "empty"),
    (b"PK\x03\x04rest-of-a-zip", "Excel"),
    (b"\xff\xfe\x00\xd8", "UTF-16"),
    (b"id,notes\n\xc3\x28\n", "not UTF-8"),
    (b"a,b\x00c\n", "NUL"),
    (b"\x00\x01\x02" * 50, "NUL"),
    (b"hello world\nthis is not a csv\n", "missing"),
])
def test_unusable_input_is_one_problem(data, reason):
    r = import_bytes(data, "acled", file="in.csv")
    assert not r.readable and r.records == []
    assert len(r.problems) == 1 and reason in (r.problems[0].reason + r.problems[0].field)


def test_missing_file_and_columns(tmp_path):
    r = import_events(tmp_path / "nope.csv", "ucdp")
    assert not r.readable and r.problems[0].reason == "file not found"
    r = import_bytes(csv_bytes([c for c in ACLED_COLUMNS if c != "notes"], [acled()]), "acled")
    assert not r.readable
    assert (r.problems[0].row, r.problems[0].field) == (1, "notes")
    r = import_bytes(csv_bytes(UCDP_COLUMNS, [ucdp()]), "acled")
    assert not r.readable and "looks like a UCDP file" in r.problems[0].reason
    with pytest.raises(ValueError):
        import_bytes(b"a\n", "gdelt")


def test_progress_is_reported_for_large_files():
    rows = [acled(event_id_cnty=f"AFG{i}", sub_event_type="Armed clash") for i in range(2500)]
    calls = []
    r = import_bytes(csv_bytes(ACLED_COLUMNS, rows), "acled", progress=lambda f, m: calls.append((f, m)))
    assert r.rows_read == 2500 and len(r.skipped) == 2500
    fractions = [f for f, _ in calls]
    assert len(calls) == 3 and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert 0.3 < fractions[0] < 0.5 and calls[0][1] == "1000 rows read"


# --- UCDP GED -----------------------------------------------------------------------------------

UCDP_BASE = {
    "id": "412345",
    "relid": "AFG-2021-1-333-41",
    "year": "2021",
    "type_of_violence": "1",
    "conflict_name": "Afghanistan: Government",
    "side_a": "Government of Afghanistan",
    "side_b": "Taleban",
    "source_article": "https://pajhwok.com/2021/07/07/taliban-enter-qala-e-naw/",
    "source_office": "Pajhwok Afghan News",
    "source_headline": "Taliban enter Qala-e-Naw, fighting rages in Badghis capital",
    "where_prec": "1",
    "where_coordinates": "Qala-e-Naw town",
    "adm_1": "Badghis province",
    "adm_2": "Qala-e-Naw district",
    "latitude": "34.98735",
    "longitude": "63.12891",
    "country": "Afghanistan",
    "date_prec": "1",
    "date_start": "2021-07-07 00:00:00.000",
    "date_end": "2021-07-07 00:00:00.000",
    "best": "23",
}


def ucdp(**changes) -> dict:
    return {**UCDP_BASE, **changes}


UCDP_ROWS = [
    ucdp(),  # 2: the Qala-e-Naw battle
    ucdp(  # 3: a five-day window, province only known, no link → week, province-wide
        id="412390", date_prec="2", where_prec="4", date_start="2021-07-01", date_end="2021-07-06",
        adm_1="Kandahar province", adm_2="", where_coordinates="Kandahar province",
        source_article="Bakhtar News Agency,2021-07-06,Clashes in Kandahar", source_office="Bakhtar News Agency",
        source_headline="Clashes between security forces and Taliban continue in Kandahar",
    ),
    ucdp(id="412391", where_prec="6"),  # 4: country only → skip
    ucdp(id="412392", type_of_violence="3", side_a="Taleban", side_b="Civilians"),  # 5: one-sided → skip
    ucdp(id="412393", source_headline=""),  # 6: no headline → skip
    ucdp(id="412394", adm_1="Atlantis province"),  # 7: unknown province
    ucdp(id="412395", date_start="2021-07-09", date_end="2021-07-02"),  # 8: end before start
    ucdp(  # 9: month-long window → month; district only known (where_prec 3): no place or coordinates
        id="412396", date_prec="4", where_prec="3", date_start="2021-06-10", date_end="2021-06-30",
        adm_2="Muqur district", side_b="IS",
    ),
    ucdp(id="412397", date_end="2021-07-10"),  # 10: exact date_prec but a 3-day window → week
    ucdp(id="412398", date_prec="5"),  # 11: only within a year → skip
    ucdp(id="412399", where_prec="5"),  # 12: larger than a province → skip
]


@pytest.fixture(scope="module")
def ucdp_result(tmp_path_factory):
    path = write(tmp_path_factory.mktemp("ucdp"), "ged.csv", csv_bytes(UCDP_COLUMNS, UCDP_ROWS))
    return import_events(path, "ucdp")


def test_ucdp_event_maps_every_field(ucdp_result):
    rec = by_id(ucdp_result)["ucdp-412345"]
    expected = {
        "id": "ucdp-412345", "event_date": "2021-07-07", "date_precision": "day", "reported_date": "",
        "province": "Badghis", "district": "Qala-e-Naw", "place": "Qala-e-Naw town", "lat": "34.98735",
        "lon": "63.12891", "claimed_controller": "contested", "claim_kind": "independent",
        "claimant": "UCDP GED (coded from: Pajhwok Afghan News)", "claimant_side": "independent", "outlet": "UCDP",
        "author": "", "url": "https://pajhwok.com/2021/07/07/taliban-enter-qala-e-naw/", "seed_file": "",
        "quote": "Taliban enter Qala-e-Naw, fighting rages in Badghis capital",
        "source_reliability": "B", "info_credibility": "3",
    }
    assert {k: rec[k] for k in expected} == expected
    assert "UCDP GED event 412345" in rec["notes"]
    assert "Government of Afghanistan vs Taleban" in rec["notes"]


def test_ucdp_window_precision_and_scope(ucdp_result):
    recs = by_id(ucdp_result)
    kandahar = recs["ucdp-412390"]
    assert (kandahar["province"], kandahar["district"], kandahar["date_precision"]) == ("Kandahar", "", "week")
    assert kandahar["url"] == UCDP_URL
    assert "2021-07-01 to 2021-07-06" in kandahar["notes"]
    assert "Bakhtar News Agency,2021-07-06" in kandahar["notes"]  # the citation is kept in notes
    assert kandahar["info_credibility"] == "4"
    muqur = recs["ucdp-412396"]
    assert (muqur["district"], muqur["place"], muqur["lat"], muqur["date_precision"]) == ("Muqur", "", "", "month")
    assert recs["ucdp-412397"]["date_precision"] == "week"


def test_ucdp_skips_and_problems(ucdp_result):
    r = ucdp_result
    assert r.rows_read == 11 and r.imported == 4 and r.rejected == 2
    assert r.skipped == [
        (4, "too imprecise (where_prec 6: coarser than a province)"),
        (5, "one-sided violence (no fighting between two sides) (type_of_violence 3)"),
        (6, "no quotable text (source_headline empty)"),
        (11, "too imprecise (date_prec 5: coarser than a month)"),
        (12, "too imprecise (where_prec 5: coarser than a province)"),
    ]
    assert [(p.row, p.field) for p in r.problems] == [(7, "adm_1"), (8, "date_end")]
    assert r.skip_counts()["too imprecise"] == 3
    assert_loadable(r.records)


def test_ucdp_bad_codes_are_problems():
    rows = [ucdp(date_prec="x"), ucdp(id="2", where_prec=""), ucdp(id="3", type_of_violence="9"), ucdp(id="", date_start="")]
    r = import_bytes(csv_bytes(UCDP_COLUMNS, rows), "ucdp", file="g.csv")
    assert [(p.row, p.field) for p in r.problems] == [
        (2, "date_prec"), (3, "where_prec"), (4, "type_of_violence"), (5, "id"), (5, "date_start")]
    assert r.rejected == 4 and r.imported == 0


# --- merging ------------------------------------------------------------------------------------

def test_merge_into_is_idempotent(tmp_path, acled_result, ucdp_result):
    target = tmp_path / "records.csv"
    target.write_text((ROOT / "data" / "records.csv").read_text(encoding="utf-8"), encoding="utf-8")
    before = load_records(target)
    assert before.problems == []

    first = merge_into(target, acled_result)
    assert list(first) == [] and len(first.added) == 4
    after_first = target.read_bytes()
    loaded = load_records(target)
    assert loaded.problems == []
    assert len(loaded.records) == len(before.records) + 4

    again = import_events(write(tmp_path, "acled.csv", csv_bytes(ACLED_COLUMNS, ACLED_ROWS)), "acled")
    second = merge_into(target, again)
    assert second.added == [] and sorted(second.present) == sorted(r["id"] for r in acled_result.records)
    assert len(second) == 4 and all(p.field == "id" and "already in the file" in p.reason for p in second)
    assert target.read_bytes() == after_first

    dry = merge_into(target, ucdp_result, dry_run=True)
    assert len(dry.added) == 4 and target.read_bytes() == after_first
    merge_into(target, ucdp_result)
    assert len(load_records(target).records) == len(before.records) + 8


def test_merge_into_a_new_file(tmp_path, ucdp_result):
    target = tmp_path / "new.csv"
    assert list(merge_into(target, ucdp_result)) == []
    loaded = load_records(target)
    assert loaded.problems == [] and len(loaded.records) == ucdp_result.imported


def test_merge_into_reports_unwritable_targets(tmp_path, ucdp_result, monkeypatch):
    report = merge_into(tmp_path / "no-such-dir" / "records.csv", ucdp_result)
    assert report.added == [] and [p.field for p in report] == ["(file)"]
    assert "cannot write" in report[0].reason

    # A file a rewrite would damage (a row with more cells than the header) is refused whole.
    lossy = tmp_path / "records.csv"
    lossy.write_text("id,event_date\nx,2021-07-07,extra\n", encoding="utf-8")
    before = lossy.read_bytes()
    report = merge_into(lossy, ucdp_result)
    assert report.added == [] and lossy.read_bytes() == before
    assert [p.reason for p in report][-1] == "merge stopped: 4 record(s) not added"


def test_merge_into_saves_once(tmp_path, ucdp_result, monkeypatch):
    writes = []
    real = importers.records_mod.atomic_write
    monkeypatch.setattr(importers.records_mod, "atomic_write", lambda path, text: (writes.append(path), real(path, text)))
    target = tmp_path / "records.csv"
    report = merge_into(target, ucdp_result)
    assert list(report) == [] and len(report.added) == 4 and len(writes) == 1
    # an invalid imported record is reported and the others are still added, in the same one save
    bad = importers.ImportResult(ucdp_result.file, ucdp_result.kind,
                                 records=[dict(ucdp_result.records[0], id="ucdp-new-1"),
                                          dict(ucdp_result.records[1], id="ucdp-new-2", province="Atlantis")])
    report = merge_into(target, bad)
    assert report.added == ["ucdp-new-1"] and [p.field for p in report] == ["province"] and len(writes) == 2


# --- CLI ----------------------------------------------------------------------------------------

def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "geo.importers", *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_cli(tmp_path):
    src = write(tmp_path, "acled.csv", csv_bytes(ACLED_COLUMNS, ACLED_ROWS))
    target = tmp_path / "records.csv"
    dry = run_cli("acled", src, "--into", target, "--dry-run")
    assert dry.returncode == 1  # two rows had problems
    assert "4 record(s) would be added" in dry.stdout and not target.exists()
    real = run_cli("acled", src, "--into", target)
    assert "4 record(s) added, 0 already present" in real.stdout
    assert len(load_records(target).records) == 4
    assert "0 record(s) added, 4 already present" in run_cli("acled", src, "--into", target).stdout
    clean = write(tmp_path, "clean.csv", csv_bytes(ACLED_COLUMNS, [acled()]))
    assert run_cli("acled", clean).returncode == 0
    missing = run_cli("ucdp", tmp_path / "missing.csv")
    assert missing.returncode == 2 and "file not found" in missing.stderr
    garbage = write(tmp_path, "x.xlsx", b"PK\x03\x04junk")
    assert run_cli("ucdp", garbage).returncode == 2


# --- robustness ---------------------------------------------------------------------------------

def check_invariants(r):
    assert r.rows_read == r.imported + len(r.skipped) + r.rejected
    if r.records:
        assert_loadable(r.records)
    if not r.readable:
        assert r.problems and r.records == []
    assert r.rejected <= len(r.problems)
    r.summary()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400), st.sampled_from(["acled", "ucdp"]))
def test_random_bytes_never_raise(data, kind):
    check_invariants(import_bytes(data, kind))
    header = ",".join(ACLED_COLUMNS if kind == "acled" else UCDP_COLUMNS).encode() + b"\n"
    check_invariants(import_bytes(header + data, kind))


def _value(choices):
    return st.one_of(st.sampled_from(choices), st.text(max_size=12))


ACLED_VALUES = {
    "event_id_cnty": ["AFG1", "AFG2", "", "a b/c"],
    "event_date": ["07 July 2021", "2021-07-07", "31 June 2021", "", "2021-09-01"],
    "time_precision": ["1", "2", "3", "4", "", "1.0"],
    "sub_event_type": list(importers.ACLED_TERRITORY) + ["Armed clash", "Government regains territory"],
    "actor1": ["Taliban", "Military Forces of Afghanistan (2021-)", "NRF: National Resistance Front", "ISKP", "x"],
    "admin1": ["Badghis", "Hilmand", "AF-KAB", "Atlantis", ""],
    "admin2": ["Qala-e-Naw", ""],
    "geo_precision": ["1", "2", "3", "0", ""],
    "latitude": ["34.9", "999", "north", ""],
    "longitude": ["63.1", "", "-200"],
    "notes": ["Taliban took the district.", "", "line one\r\nline two"],
}
UCDP_VALUES = {
    "id": ["1", "2", ""],
    "type_of_violence": ["1", "2", "3", "x"],
    "date_start": ["2021-07-07", "2021-07-07 00:00:00.000", "bad", ""],
    "date_end": ["2021-07-08", "2021-06-01", "", "bad"],
    "date_prec": ["1", "2", "3", "4", "5", "9", ""],
    "where_prec": ["1", "2", "3", "4", "5", "6", "7", ""],
    "adm_1": ["Badghis province", "Kandahar province", "Atlantis province", ""],
    "adm_2": ["Qala-e-Naw district", ""],
    "source_article": ["https://example.org/a", "Pajhwok,2021-07-07", "javascript:alert(1)", ""],
    "source_headline": ["Fighting in Qala-e-Naw", "", "<b>x</b>"],
    "country": ["Afghanistan", "Pakistan", ""],
}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from(["acled", "ucdp"]))
def test_random_rows_never_raise(data, kind):
    columns, values = (ACLED_COLUMNS, ACLED_VALUES) if kind == "acled" else (UCDP_COLUMNS, UCDP_VALUES)
    row_strategy = st.fixed_dictionaries({c: _value(values.get(c, [""])) for c in columns})
    rows = data.draw(st.lists(row_strategy, max_size=6))
    # QUOTE_ALL: the csv module leaves a lone "\r" unquoted under QUOTE_MINIMAL with "\n" line ends.
    r = import_bytes(csv_bytes(columns, rows, quoting=csv.QUOTE_ALL), kind, file="random.csv")
    check_invariants(r)
    assert r.rows_read <= len(rows)
    assert all(p.row >= 2 for p in r.problems)
