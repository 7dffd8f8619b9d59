import csv
import io
import multiprocessing
import os
import random
import signal
import stat
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import hypothesis_ci  # noqa: F401  (CI: fixed examples)

from geo import records
from geo.records import (
    COLUMNS,
    RECORDS_FILE,
    SEEDS_DIR,
    canonical_text,
    likely_duplicates,
    load_records,
    parse_records,
    read_raw_rows,
    retire_record,
    save_records,
    to_csv_text,
    upsert_record,
)

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
        ("quote", " \n\t ", "required"),
        ("claimant", "  ", "required"),
        # dates: YYYY-MM-DD only, real calendar days
        ("event_date", "2021-02-30", "not an ISO date"),
        ("event_date", "20210707", "not an ISO date"),
        ("event_date", "2021-W27-3", "not an ISO date"),
        ("event_date", "2021-7-7", "not an ISO date"),
        ("event_date", "２０２１-07-07", "not an ISO date"),  # full-width digits
        ("reported_date", "yesterday", "not an ISO date"),
        # enums are exact
        ("date_precision", "Day", "not one of"),
        ("claimed_controller", "Taliban", "not one of"),
        ("claim_kind", "", "required"),
        ("claimant_side", "contested", "not one of"),  # a state, not a side
        # grades
        ("source_reliability", "AB", "Admiralty grade A–F"),
        ("source_reliability", "", "required"),
        ("info_credibility", "0", "Admiralty grade 1–6"),
        ("info_credibility", "7", "Admiralty grade 1–6"),
        ("info_credibility", "2.0", "Admiralty grade 1–6"),
        ("info_credibility", "B", "Admiralty grade 1–6"),
        # ids
        ("id", "", "required"),
        ("id", "a b", "may only contain"),
        ("id", "a/b", "may only contain"),
        ("id", "<script>", "may only contain"),
        ("id", "t,1", "may only contain"),
        # coordinates (the missing other half is reported too, on its own field)
        ("lat", "90.0001", "outside -90..90"),
        ("lat", "-91", "outside -90..90"),
        ("lat", "north", "not a number"),
        ("lat", "nan", "outside -90..90"),
        ("lon", "180.5", "outside -180..180"),
        ("lon", "-inf", "outside -180..180"),
        ("lon", "6O.1", "not a number"),
        # unknown area
        ("province", "AF-XXX", "unknown province"),
        ("province", "Qala-e-Naw", "unknown province"),  # a district is not a province
        # retiring
        ("status", "deleted", "not one of active, retired"),
        ("status", "Retired", "not one of active, retired"),
        ("retired_reason", "duplicate", "status is not 'retired'"),
    ],
)
def test_bad_field_is_reported_with_field_and_reason(field, value, reason_part):
    row = dict(GOOD, **{field: value})
    found = problems_of(row)
    assert any(f == field and reason_part in r for f, r in found), found


@pytest.mark.parametrize(
    "changes",
    [
        {"lat": "90", "lon": "-180"},
        {"lat": "-90", "lon": "180"},
        {"lat": "34.93", "lon": "63.13"},
        {"source_reliability": "b"},  # grades are read in any case
        {"source_reliability": "F", "info_credibility": "6"},
        {"province": "AF-BDG"},
        {"province": "badghis province"},
        {"id": "Bdg_2021.07-07"},
        {"reported_date": ""},
        {"reported_date": "2021-07-07"},  # same day is fine
        {"event_date": "2020-02-29"},
        {"date_precision": "month"},
        {"status": "active"},
        {"status": ""},
        {"url": "http://example.org/x?a=1&b=2"},
    ],
)
def test_good_values_pass(changes):
    assert problems_of(dict(GOOD, **changes)) == []


def test_retired_rows_need_a_reason_and_are_only_checked_for_id_status_reason():
    assert problems_of(dict(GOOD, status="retired")) == [
        ("retired_reason", "required when status is retired: say why the record was retired")]
    broken = dict(GOOD, status="retired", retired_reason="misread source", event_date="soon", province="Atlantis")
    result = parse_records(csv_of(broken), "x.csv")
    assert result.problems == [] and result.records.empty
    assert list(result.retired["id"]) == ["t-1"] and result.retired.iloc[0]["retired_reason"] == "misread source"
    assert result.retired.iloc[0]["row"] == 2
    # a retired record still holds its id
    dup = parse_records(csv_of(broken, GOOD), "x.csv")
    assert [(p.row, p.field) for p in dup.problems] == [(3, "id")]
    bad_id = parse_records(csv_of(dict(broken, id="a b")), "x.csv")
    assert [p.field for p in bad_id.problems] == ["id"] and bad_id.retired.empty


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


def test_blank_lines_bom_and_crlf_keep_row_numbers_right():
    header, r1 = csv_of(GOOD).splitlines()
    r2 = csv_of(dict(GOOD, id="t-2")).splitlines()[1]
    r3 = csv_of(dict(GOOD, id="t-3", province="Nowhere")).splitlines()[1]
    text = "\ufeff" + "\r\n".join([header, "", r1, " , ,", r2, "", r3, ""])  # lines 1..7
    result = parse_records(text, "x.csv")
    assert list(result.records["row"]) == [3, 5] and result.n_rows == 3  # blank rows hold no data
    assert [(p.row, p.field) for p in result.problems] == [(7, "province")]


def test_missing_header_column_reports_every_row():
    text = "id,event_date\nt-1,2021-07-07\n\nt-2,2021-07-08\n"
    result = parse_records(text, "x.csv")
    assert result.problems[0].row == 1 and "required column(s) missing" in result.problems[0].reason
    assert {p.row for p in result.problems} == {1, 2, 4} and result.n_rows == 2


def test_duplicate_and_unnamed_header_columns_are_reported():
    header = ",".join([*COLUMNS, "id", ""])
    row = csv_of(GOOD).splitlines()[1] + ",t-9,orphan"
    result = parse_records(f"{header}\n{row}\n", "x.csv")
    reasons = {(p.row, p.field): p.reason for p in result.problems}
    assert "more than once" in reasons[(1, "id")]
    assert "without a name" in reasons[(2, f"(column {len(COLUMNS) + 2})")]
    assert list(result.records["id"]) == ["t-1"]  # the first id column is the one read


# --- every row is loaded, retired or reported: property tests ----------------------------------

def data_row_starts(text: str) -> list[int]:
    """The first line of every data row, found with the csv module alone."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""))
    starts, line, header = [], 0, False
    for cells in reader:
        start, line = line + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if header:
            starts.append(start)
        header = True
    return starts


def assert_every_row_accounted_for(result, text: str) -> None:
    starts = data_row_starts(text)
    assert result.n_rows == len(starts)
    loaded = [*result.records["row"], *result.retired["row"]]
    assert len(set(loaded)) == len(loaded) and set(loaded) <= set(starts)
    reported = {p.row for p in result.problems}
    assert [s for s in starts if s not in loaded and s not in reported] == []
    assert all(isinstance(p.row, int) and p.field and p.reason for p in result.problems)
    assert result.records["status"].isin(["", "active"]).all()
    assert (result.retired["status"] == "retired").all()


JUNK = st.text(alphabet=st.sampled_from(list('ab1-.:,;"\'\n\r\t \x00é€<>\ufeff\u2028')), max_size=8)
POOL = sorted({*GOOD.values(), "", "retired", "active", "misread", "2021-02-30", "AF-HEL", "independent",
               "self_serving", "taliban", "7", "F", "91", "34.5", "t-2", "seed.txt", "../x"})
CELL = st.one_of(st.sampled_from(POOL), JUNK)
HEADER_NAMES = st.sampled_from([*COLUMNS, "colour", "", " id ", "ID"])


@st.composite
def damaged_record_csv(draw) -> str:
    """Mostly good rows, a few fields replaced, then the text itself damaged."""
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        row = dict(GOOD, id=draw(st.sampled_from(["t-1", "t-2", "t-3", "t 4", ""])))
        row.update(draw(st.sampled_from([{}, {}, {"status": "active"}, {"status": "retired"}, {"retired_reason": "dup"},
                                          {"status": "retired", "retired_reason": "misread source"}])))
        for name in draw(st.lists(st.sampled_from(COLUMNS), max_size=3)):
            row[name] = draw(CELL)
        rows.append(row)
    text = to_csv_text(rows)
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 3)))
        text = text[:i] + draw(st.sampled_from(['"', ",", "\n", "\r\n", "\r", "", "x", '""'])) + text[j:]
    return text


@st.composite
def random_table_csv(draw) -> str:
    """Any header (missing, unknown, repeated, unnamed columns), rows of any width, any line ends."""
    header = draw(st.one_of(st.permutations(COLUMNS), st.lists(HEADER_NAMES, max_size=len(COLUMNS) + 2)))
    rows = draw(st.lists(st.lists(CELL, max_size=len(header) + 2), max_size=5))
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    for row in [list(header), *rows]:
        writer.writerow(row)
        if draw(st.booleans()) and draw(st.booleans()):
            buf.write("\n")
    return draw(st.sampled_from(["", "\ufeff"])) + buf.getvalue()


CSV_CHARS = st.lists(st.sampled_from([*'ab1-,"\n\r \x00', "id", "t-1", ",".join(COLUMNS), "retired"]), max_size=40).map("".join)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(text=st.one_of(damaged_record_csv(), random_table_csv(), CSV_CHARS))
def test_parse_never_raises_and_reports_every_row_it_leaves_out(text):
    assert_every_row_accounted_for(parse_records(text, "fuzz.csv"), text)


@PROPERTY
@given(data=st.one_of(st.binary(max_size=300), damaged_record_csv().map(lambda t: t.encode("utf-8"))))
def test_load_never_raises_on_any_bytes(tmp_path, data):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    result = load_records(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        assert [(p.row, p.field) for p in result.problems] == [(0, "(file)")] and result.records.empty
        return
    assert_every_row_accounted_for(result, text)


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


def test_two_threads_saving_at_once_lose_nothing(tmp_path):
    path = tmp_path / "r.csv"
    assert save_records(path, [dict(GOOD, id=f"old-{i:02d}") for i in range(12)]) == []
    problems: list = []

    def add():
        for i in range(12):
            problems.extend(upsert_record(path, dict(GOOD, id=f"new-{i:02d}")))

    def retire():
        for i in range(12):
            problems.extend(retire_record(path, f"old-{i:02d}", f"superseded {i}"))

    threads = [threading.Thread(target=add), threading.Thread(target=retire)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert problems == []
    result = load_records(path)
    assert list(result.records["id"]) == [f"new-{i:02d}" for i in range(12)]
    assert dict(zip(result.retired["id"], result.retired["retired_reason"])) == {
        f"old-{i:02d}": f"superseded {i}" for i in range(12)}


# --- canonical, diff-friendly files ------------------------------------------------------------

def test_saves_are_sorted_by_id_one_line_each_and_byte_identical(tmp_path):
    path = tmp_path / "r.csv"
    ids = ["b-2", "a-1", "c-3", "B-0", "a-10", "a-1.5"]
    rows = [dict(GOOD, id=i, notes=f"note for {i}") for i in ids]
    assert save_records(path, rows) == []
    first = path.read_bytes()
    assert [r["id"] for r in read_raw_rows(path)] == sorted(ids)
    lines = first.decode("utf-8").split("\n")
    assert lines[0] == ",".join(COLUMNS) and lines[-1] == "" and len(lines) == len(rows) + 2
    assert b"\r" not in first and not first.startswith(b"\xef\xbb\xbf")
    assert first == canonical_text(rows).encode("utf-8")
    assert save_records(path, read_raw_rows(path)) == [] and path.read_bytes() == first  # unchanged
    assert save_records(path, rows[::-1]) == [] and path.read_bytes() == first  # order given
    assert upsert_record(path, rows[3]) == [] and path.read_bytes() == first  # same record again
    assert upsert_record(path, dict(GOOD, id="a-2")) == []
    after = path.read_bytes().decode("utf-8").split("\n")
    at = sorted([*ids, "a-2"]).index("a-2") + 1  # ids sort by code point: "a-10" < "a-2"
    assert after[at].startswith("a-2,") and after == lines[:at] + [after[at]] + lines[at:]  # one line added


def test_hand_edited_file_is_put_in_canonical_form_by_the_next_save(tmp_path):
    path = tmp_path / "r.csv"
    cols = list(COLUMNS[::-1])[2:]  # reversed order, no status columns
    rows = [dict(GOOD, id="z-1", claimant="  Governor  "), dict(GOOD, id="a-1")]
    body = "\r\n".join([",".join(cols), *(",".join(r.get(c, "") for c in cols) for r in rows), "", ""])
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    assert load_records(path).problems == []
    assert upsert_record(path, dict(GOOD, id="m-1")) == []
    assert path.read_bytes() == canonical_text([*rows, dict(GOOD, id="m-1")]).encode("utf-8")
    assert read_raw_rows(path)[2]["claimant"] == "Governor"


def test_multiline_values_stay_quoted_and_line_ends_become_lf(tmp_path):
    path = tmp_path / "r.csv"
    rows = [dict(GOOD, id="a", quote="line one\r\nline two\rline three"), dict(GOOD, id="b", province="Nowhere")]
    assert [(p.row, p.field) for p in save_records(path, rows)] == [(5, "province")]  # b starts on line 5
    assert not path.exists()
    assert save_records(path, rows[:1]) == []
    data = path.read_bytes()
    assert b'"line one\nline two\nline three"' in data and b"\r" not in data
    assert load_records(path).records.iloc[0]["quote"] == "line one\nline two\nline three"
    assert [(p.row, p.field) for p in upsert_record(path, rows[1])] == [(5, "province")]


ANY_CELL = st.one_of(st.text(max_size=12), st.sampled_from(["", " x ", "a,b", 'say "no"', "l1\nl2", "l1\r\nl2", "\r", "é€\x00"]))


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.fixed_dictionaries({k: ANY_CELL for k in COLUMNS}), max_size=5))
def test_canonical_text_reads_back_identically(rows):
    text = canonical_text(rows)
    back = list(csv.DictReader(io.StringIO(text, newline="")))
    assert canonical_text(back) == text
    assert [r["id"] for r in back] == sorted(r["id"] for r in back)
    assert "\r" not in text and text.endswith("\n")


# --- retiring ----------------------------------------------------------------------------------

def test_retire_takes_a_record_off_the_map_and_keeps_it(tmp_path):
    path = tmp_path / "r.csv"
    assert save_records(path, [GOOD, dict(GOOD, id="t-2")]) == []
    assert retire_record(path, "t-1", "duplicate of t-2") == []
    result = load_records(path)
    assert result.problems == [] and result.n_rows == 2
    assert list(result.records["id"]) == ["t-2"]
    assert list(result.retired["id"]) == ["t-1"] and result.retired.iloc[0]["retired_reason"] == "duplicate of t-2"
    raw = {r["id"]: r for r in read_raw_rows(path)}
    assert raw["t-1"]["status"] == "retired" and raw["t-1"]["quote"] == GOOD["quote"]
    assert raw["t-1"]["retired_reason"] == "duplicate of t-2"
    assert retire_record(path, "t-1", "duplicate of t-2") == []  # again: nothing to do
    # editing a retired record keeps it retired; bringing it back is explicit
    assert upsert_record(path, dict(GOOD, claimant="Edited")) == []
    assert list(load_records(path).retired["claimant"]) == ["Edited"]
    assert upsert_record(path, dict(GOOD, status="active")) == []
    assert sorted(load_records(path).records["id"]) == ["t-1", "t-2"]


def test_retire_refuses_unknown_id_empty_reason_and_a_second_reason(tmp_path):
    path = tmp_path / "r.csv"
    assert save_records(path, [GOOD, dict(GOOD, id="t-2")]) == []
    before = path.read_bytes()
    assert [(p.row, p.field) for p in retire_record(path, "t-9", "why")] == [(0, "id")]
    assert [(p.row, p.field) for p in retire_record(path, "", "why")] == [(0, "id")]
    assert [(p.row, p.field) for p in retire_record(path, "t-2", "  ")] == [(3, "retired_reason")]
    assert path.read_bytes() == before
    assert retire_record(path, "t-2", "first reason") == []
    after = path.read_bytes()
    assert [p.field for p in retire_record(path, "t-2", "another reason")] == ["status"]
    assert path.read_bytes() == after


def test_a_broken_record_can_be_retired(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(csv_of(GOOD, dict(GOOD, id="t-2", event_date="soon")), encoding="utf-8")
    assert [p.row for p in load_records(path).problems] == [3]
    assert retire_record(path, "t-2", "no date in the source") == []
    result = load_records(path)
    assert result.problems == [] and list(result.retired["id"]) == ["t-2"]
    assert list(result.records["id"]) == ["t-1"]


def test_likely_duplicates_match_normalised_claims():
    rows = [GOOD, dict(GOOD, id="t-2", quote="Something else"), dict(GOOD, id="t-3", event_date="2021-07-08"),
            dict(GOOD, id="t-4", district=""), dict(GOOD, id="t-5", claimant="Governor Shams")]
    again = dict(GOOD, id="new", province="AF-BDG", district="qala i naw", claimant=" governor ",
                 quote="the enemy  has\nentered THE city", outlet="Another outlet")
    assert likely_duplicates(rows, again) == ["t-1"]
    assert likely_duplicates(rows, dict(again, id="t-1")) == []  # itself: editing, not duplicating
    assert likely_duplicates(rows, dict(again, id="")) == ["t-1"]
    frame = parse_records(csv_of(*rows), "x.csv").records  # typed frame: dates, canonical names
    assert likely_duplicates(frame, again) == ["t-1"]
    assert likely_duplicates(frame, dict(again, province="Herat")) == []
    assert likely_duplicates(rows, dict(GOOD, id="x", claimant="", quote="")) == []


# --- atomic, serialised saves -----------------------------------------------------------------

def test_save_records_validates_the_whole_set_first(tmp_path):
    path = tmp_path / "r.csv"
    good = [GOOD, dict(GOOD, id="t-2")]
    assert save_records(path, good) == []
    before = path.read_bytes()
    bad = [*good, dict(GOOD, id="t-0", event_date="soon"), dict(GOOD, id="t-3", province="Atlantis")]
    assert [(p.row, p.field) for p in save_records(path, bad)] == [(2, "event_date"), (5, "province")]
    assert [(p.row, p.field) for p in save_records(path, [*good, dict(GOOD, id="t-2")])] == [(4, "id")]
    assert [(p.row, p.field) for p in save_records(path, [*good, dict(GOOD, id="t-3", colour="red")])] == [(4, "colour")]
    assert [p.reason for p in save_records(path, [*good, {}])][0].startswith("empty record")
    assert path.read_bytes() == before
    typed = load_records(path).records.to_dict("records")  # derived keys (row, province_id) are fine
    assert save_records(path, [dict(r, province="Badghis") for r in typed]) == []


def test_saves_refuse_to_rewrite_a_file_they_would_lose_data_from(tmp_path):
    path = tmp_path / "r.csv"
    extra = csv_of(GOOD) + csv_of(dict(GOOD, id="t-2")).splitlines()[1] + ",surplus\n"
    unknown = csv_of(GOOD).replace("notes", "colour", 1).replace(",B,2,", ",B,2,red", 1)
    for text in (extra, unknown):
        path.write_text(text, encoding="utf-8")
        before = path.read_bytes()
        for problems in (upsert_record(path, dict(GOOD, id="t-5")), retire_record(path, "t-1", "why")):
            assert problems and "nothing was saved" in problems[0].reason
        assert path.read_bytes() == before
    path.write_bytes(b"id,event_date\n\xff\xfe\n")
    assert "not UTF-8" in upsert_record(path, GOOD)[0].reason


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


def test_save_fsyncs_file_and_folder_and_keeps_permissions(tmp_path, monkeypatch):
    path = tmp_path / "r.csv"
    assert save_records(path, [GOOD]) == []
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # not mkstemp's 0600
    path.chmod(0o640)
    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(records.os, "fsync", fsync)
    assert upsert_record(path, dict(GOOD, id="t-2")) == []
    assert synced == [False, True]  # the temp file, then the folder after the rename
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_stale_temp_files_are_ignored_and_removed_by_the_next_save(tmp_path):
    path = tmp_path / "r.csv"
    assert save_records(path, [GOOD]) == []
    stale = [tmp_path / ".r.csv.abc123.tmp", tmp_path / ".r.csv.zz.tmp"]
    stale[0].write_text("id,quote\nhalf a fi", encoding="utf-8")
    stale[1].write_bytes(b"")
    other = tmp_path / ".other.csv.abc.tmp"
    other.write_text("not ours", encoding="utf-8")
    assert load_records(path).problems == []
    assert upsert_record(path, dict(GOOD, id="t-2")) == []
    assert not any(p.exists() for p in stale) and other.exists()


def _block_before_rename(path: str, written) -> None:
    """Child: a save that stops for good between writing its temp file and renaming it."""
    def stall(*a, **k):
        written.set()
        time.sleep(60)

    records.os.replace = stall
    upsert_record(Path(path), dict(GOOD, id="t-2", quote="x" * 100_000))


def test_killed_between_temp_write_and_rename(tmp_path):
    path = tmp_path / "r.csv"
    assert save_records(path, [GOOD]) == []
    before = path.read_bytes()
    ctx = multiprocessing.get_context("fork")
    written = ctx.Event()
    proc = ctx.Process(target=_block_before_rename, args=(str(path), written))
    proc.start()
    assert written.wait(20)
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(10)
    temps = list(tmp_path.glob(".r.csv.*.tmp"))
    assert len(temps) == 1 and temps[0].stat().st_size > 100_000  # the whole new file, never renamed
    assert path.read_bytes() == before and load_records(path).problems == []
    assert upsert_record(path, dict(GOOD, id="t-3")) == []  # the dead writer's lock is gone too
    assert list(tmp_path.glob(".r.csv.*.tmp")) == []


CRASH_ROWS = [  # a growing record set, ids not in insertion order, some multi-line quotes
    dict(GOOD, id=f"k-{(i * 7919) % 1000:04d}", claimant=f"Governor {i}",
         quote=f"line one {i}\nline two" if i % 10 == 3 else f"{GOOD['quote']} {i}")
    for i in range(1000)
]
CRASH_ITERATIONS = 50


def _crash_writer(path: str, start: int, ready) -> None:
    """Child: from start records, save one more record at a time, forever (until killed)."""
    path_ = Path(path)
    ready.set()
    for n in range(start + 1, len(CRASH_ROWS) + 1):
        # alternate the two ways a save happens: the whole set, or one record
        problems = save_records(path_, CRASH_ROWS[:n]) if n % 2 else upsert_record(path_, CRASH_ROWS[n - 1])
        if problems:
            os._exit(3)
    os._exit(0)


def test_saves_killed_at_random_moments_never_corrupt_the_file(tmp_path):
    path = tmp_path / "r.csv"
    n = 20
    assert save_records(path, CRASH_ROWS[:n]) == []
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    ctx = multiprocessing.get_context("fork")
    advanced = temps_left = 0
    for it in range(CRASH_ITERATIONS):
        ready = ctx.Event()
        proc = ctx.Process(target=_crash_writer, args=(str(path), n, ready))
        proc.start()
        assert ready.wait(20)
        time.sleep(rng.uniform(0, 0.030))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(20)
        where = f"iteration {it}, seed {seed}"
        assert proc.exitcode == -signal.SIGKILL, where  # killed while saving, not failed or done
        result = load_records(path)
        assert result.problems == [], where
        m = len(result.records)
        assert m >= n, where  # never goes back
        assert path.read_bytes() == canonical_text(CRASH_ROWS[:m]).encode("utf-8"), where  # a whole save
        advanced += m > n
        temps_left += bool(list(tmp_path.glob(".r.csv.*.tmp")))
        n = m
    assert advanced > 0  # the writer got saves through between kills
    assert save_records(path, CRASH_ROWS[: n + 1]) == []
    assert list(tmp_path.glob(".r.csv.*.tmp")) == []
    assert len(load_records(path).records) == n + 1


def test_schema_is_documented():
    doc = (Path(__file__).resolve().parents[1] / "data" / "README.md").read_text(encoding="utf-8")
    for field in COLUMNS:
        assert f"`{field}`" in doc, field
