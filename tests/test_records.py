import csv
import io
import multiprocessing
import os
from datetime import date
from pathlib import Path

import pytest

from geo import records
from geo.records import COLUMNS, RECORDS_FILE, SEEDS_DIR, load_records, parse_records, to_csv_text, upsert_record

GOOD = {
    "id": "t-1",
    "event_date": "2021-07-07",
    "date_precision": "day",
    "reported_date": "2021-07-08",
    "province": "Badghis",
    "district": "Qala-e-Naw",
    "claimed_controller": "contested",
    "claim_kind": "against_interest",
    "claimant": "Governor",
    "claimant_side": "government",
    "outlet": "Example News",
    "url": "https://example.org/a",
    "quote": "The enemy has entered the city",
    "source_reliability": "B",
    "info_credibility": "2",
}


def csv_of(*rows: dict) -> str:
    return to_csv_text(rows)


def problems_of(row: dict) -> list[tuple[str, str]]:
    result = parse_records(csv_of(row), "test.csv")
    return [(p.field, p.reason) for p in result.problems]


def test_good_row_loads_typed():
    result = parse_records(csv_of(GOOD), "test.csv")
    assert result.problems == []
    rec = result.records.iloc[0]
    assert rec["event_date"] == date(2021, 7, 7)
    assert rec["province_id"] == "AF-BDG"
    assert rec["row"] == 2


@pytest.mark.parametrize(
    "field, value, reason_part",
    [
        ("event_date", "07/07/2021", "not an ISO date"),
        ("event_date", "", "required"),
        ("reported_date", "2021-07-01", "before event_date"),
        ("date_precision", "hour", "not one of day, week, month"),
        ("province", "Atlantis", "unknown province 'Atlantis'"),
        ("province", "Badghiss", "did you mean Badghis"),
        ("claimed_controller", "nato", "not one of"),
        ("claim_kind", "rumour", "not one of"),
        ("claimant_side", "aliens", "not one of"),
        ("source_reliability", "Z", "Admiralty grade A–F"),
        ("info_credibility", "9", "Admiralty grade 1–6"),
        ("url", "javascript:alert(1)", "not an http(s) link"),
        ("url", "ftp://example.org/x", "not an http(s) link"),
        ("quote", "", "required"),
        ("claimant", "  ", "required"),
    ],
)
def test_bad_field_is_reported_with_field_and_reason(field, value, reason_part):
    row = dict(GOOD, **{field: value})
    found = problems_of(row)
    assert any(f == field and reason_part in r for f, r in found), found


def test_cross_field_rules():
    assert any(f == "claim_kind" for f, _ in problems_of(dict(GOOD, claim_kind="self_serving", claimant_side="independent")))
    assert any(f == "claim_kind" for f, _ in problems_of(dict(GOOD, claimed_controller="government")))  # against own interest?
    assert any(f == "lon" for f, _ in problems_of(dict(GOOD, lat="35.0")))
    assert any(f == "url" and "cites its source" in r for f, r in problems_of(dict(GOOD, url="")))


def test_rows_numbered_by_file_line_and_bad_rows_kept_out():
    text = csv_of(GOOD, dict(GOOD, id="t-2", event_date="soon"), dict(GOOD, id="t-3"), dict(GOOD, id="t-1"))
    result = parse_records(text, "x.csv")
    assert list(result.records["id"]) == ["t-1", "t-3"]
    assert result.n_rows == 4
    assert [(p.row, p.field) for p in result.problems] == [(3, "event_date"), (5, "id")]
    assert str(result.problems[0]).startswith("x.csv, row 3, field 'event_date':")


def test_multiline_quote_keeps_line_numbers_right():
    text = csv_of(dict(GOOD, quote="line one\nline two"), dict(GOOD, id="t-2", province="Nowhere"))
    result = parse_records(text, "x.csv")
    assert [(p.row, p.field) for p in result.problems] == [(4, "province")]


def test_header_problems():
    assert parse_records("", "e.csv").problems[0].field == "(header)"
    missing = parse_records("id,quote\nx,y\n", "m.csv").problems[0]
    assert missing.row == 1 and "event_date" in missing.field
    extra = parse_records(csv_of(GOOD).replace("notes", "notes,colour", 1), "u.csv")
    assert any("colour" in p.field and "ignored" in p.reason for p in extra.problems)


def test_too_many_cells_reported():
    text = csv_of(GOOD) + "t-9," + ",".join(["x"] * (len(COLUMNS) + 2)) + "\n"
    result = parse_records(text, "x.csv")
    assert any(p.row == 3 and p.field == "(row)" for p in result.problems)


def test_unreadable_files_are_problems_not_crashes(tmp_path):
    assert load_records(tmp_path / "missing.csv").problems[0].reason == "file not found"
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage\x80")
    assert "not UTF-8" in load_records(binary).problems[0].reason


def test_quote_from_seed_must_be_verbatim(tmp_path):
    (tmp_path / "seed.txt").write_text("He said “the city is ours” on Monday.", encoding="utf-8")
    ok = dict(GOOD, url="", seed_file="seed.txt", quote="the city is ours")
    bad = dict(GOOD, id="t-2", url="", seed_file="seed.txt", quote="the city is theirs")
    escape = dict(GOOD, id="t-3", url="", seed_file="../secret.txt")
    result = parse_records(csv_of(ok, bad, escape), "x.csv", seeds_dir=tmp_path)
    assert list(result.records["id"]) == ["t-1"]
    assert [(p.row, p.field) for p in result.problems] == [(3, "quote"), (4, "seed_file")]


def test_embedded_records_are_valid_and_every_seed_quote_is_verbatim():
    result = load_records(RECORDS_FILE)
    assert result.problems == []
    assert len(result.records) >= 20
    seeded = result.records[result.records["seed_file"] != ""]
    assert len(seeded) >= 10
    for rec in seeded.itertuples():
        text = (SEEDS_DIR / rec.seed_file).read_text(encoding="utf-8")
        assert rec.quote in text, rec.id
    assert result.records["id"].is_unique
    assert (result.records["url"] != "").sum() + len(seeded) >= len(result.records)


def test_seed_claims_from_the_article_are_recorded():
    recs = load_records(RECORDS_FILE).records
    seeded = recs[recs["seed_file"] == "2021-07-07-breitbart-badghis.txt"]
    claimants = " | ".join(seeded["claimant"])
    for who in ("Taliban spokesman", "Osmani", "Defense Ministry", "Shams", "Bek", "Foreign media", "provincial council"):
        assert who in claimants, who
    shams = seeded[seeded["claimant"].str.contains("Shams")]
    assert set(shams["claim_kind"]) == {"against_interest", "self_serving"}  # both statements


# --- writing ----------------------------------------------------------------------------------

def test_upsert_adds_replaces_and_refuses_bad_rows(tmp_path):
    path = tmp_path / "r.csv"
    assert upsert_record(path, GOOD) == []
    assert upsert_record(path, dict(GOOD, id="t-2")) == []
    assert upsert_record(path, dict(GOOD, id="t-2", claimant="Corrected")) == []
    loaded = load_records(path)
    assert list(loaded.records["id"]) == ["t-1", "t-2"]
    assert loaded.records.iloc[1]["claimant"] == "Corrected"
    before = path.read_bytes()
    problems = upsert_record(path, dict(GOOD, id="t-3", event_date="nope"))
    assert [(p.field, p.row) for p in problems] == [("event_date", 4)]
    assert path.read_bytes() == before


def test_interrupted_write_leaves_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "r.csv"
    upsert_record(path, GOOD)
    before = path.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(records.os, "replace", boom)
    with pytest.raises(OSError):
        upsert_record(path, dict(GOOD, id="t-2"))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def _save_many(path: str, start: int) -> None:
    for i in range(start, start + 15):
        assert upsert_record(Path(path), dict(GOOD, id=f"c-{i}")) == []


def test_concurrent_saves_lose_nothing(tmp_path):
    path = tmp_path / "r.csv"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_save_many, args=(str(path), k * 100)) for k in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    ids = set(load_records(path).records["id"])
    assert ids == {f"c-{k * 100 + i}" for k in range(4) for i in range(15)}


def test_schema_is_documented():
    doc = (Path(__file__).resolve().parents[1] / "data" / "README.md").read_text(encoding="utf-8")
    for field in COLUMNS:
        assert f"`{field}`" in doc, field
