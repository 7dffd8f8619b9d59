"""geo/seeds.py: sentences and verbatim quotes, adding documents, draft suggestions."""
import shutil
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import hypothesis_ci  # noqa: F401  (CI: fixed examples)

from geo import seeds

ROOT = Path(__file__).resolve().parents[1]
SEED = "2021-07-07-breitbart-badghis.txt"


@pytest.fixture
def seeds_dir(tmp_path):
    d = tmp_path / "seeds"
    shutil.copytree(ROOT / "seeds", d)
    return d


@pytest.fixture
def text():
    return (ROOT / "seeds" / SEED).read_text(encoding="utf-8")


def test_segments_are_substrings_and_cover_sentences(text):
    segs = seeds.segments(text)
    assert all(text[s.start:s.end] == s.text and s.text == s.text.strip() for s in segs)
    assert any(s.text.startswith("“The enemy has entered the city") for s in segs)
    assert len(segs) > 10


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab .!?\n“”\"'"), max_size=80), st.integers(0, 20), st.integers(0, 20),
       st.integers(0, 50), st.integers(0, 50))
def test_quote_from_is_always_a_substring(text, a, b, t1, t2):
    segs = seeds.segments(text)
    quote = seeds.quote_from(text, segs, a, b, t1, t2)
    assert quote in text
    if segs and quote:
        loc = seeds.locate_quote(text, segs, quote)
        assert loc is not None and seeds.quote_from(text, segs, *loc) == quote


def test_locate_quote_round_trips_a_real_quote(text):
    segs = seeds.segments(text)
    for quote in ("the Taliban captured Qala-e-Naw on Tuesday afternoon", "all the districts have fallen",
                  "The enemy has entered the city"):
        loc = seeds.locate_quote(text, segs, quote)
        assert seeds.quote_from(text, segs, *loc) == quote
    assert seeds.locate_quote(text, segs, "not in the text") is None


def test_finds_places_in_the_real_seed(text):
    found = seeds.find_places(text)
    assert {"AF-BDG"} == {m.province_id for m in found if m.kind == "province"}
    assert any(m.kind == "place" and m.name == "Qala-e-Naw" and m.province_id == "AF-BDG" for m in found)


def test_suggests_drafts_from_the_real_seed(seeds_dir, text):
    meta = seeds.list_seeds(seeds_dir).set_index("seed_file").loc[SEED].to_dict()
    drafts = seeds.suggest_drafts(text, SEED, meta)
    assert len(drafts) >= 5
    assert set(drafts["province"]) == {"Badghis"}
    assert (drafts["seed_file"] == SEED).all() and (drafts["event_date"] == "2021-07-07").all()
    assert all(q in text for q in drafts["quote"])  # verbatim by construction
    captured = drafts[drafts["quote"].str.contains("the Taliban captured Qala-e-Naw")].iloc[0]
    assert captured["district"] == "Qala-e-Naw" and captured["claimed_controller"] == "taliban"
    assert "captured" in captured["keywords"]
    enemy = drafts[drafts["quote"].str.contains("The enemy has entered the city")].iloc[0]
    assert enemy["claimed_controller"] == "taliban"
    retook = drafts[drafts["quote"].str.contains("counteroffensive")].iloc[0]
    assert retook["claimed_controller"] == "government"
    assert any("fighting" in k for k in drafts["keywords"])
    assert seeds.draft_id(captured.to_dict()).startswith("bad-2021-07-07-")


def test_no_claims_no_drafts():
    assert seeds.suggest_drafts("The weather in Kabul was mild. Markets were open.").empty


def test_guess_controller():
    assert seeds.guess_controller("Government forces recaptured the district.") == "government"
    assert seeds.guess_controller("Fighting continues in the city.") == "contested"
    assert seeds.guess_controller("The Taliban seized the district centre.") == "taliban"


def test_slugify_and_file_names():
    assert seeds.slugify("  Ünïcode Title: Badghis / 2021 ") == "unicode-title-badghis-2021"
    assert seeds.seed_file_name("../../etc/passwd") == "etc-passwd.txt"
    assert seeds.seed_file_name("", "2021-07-08", "Tolo News") == "2021-07-08-tolo-news.txt"
    assert seeds.seed_file_name("...") == ""


META = {"title": "A report", "outlet": "Tolo News", "author": "A. Writer", "url": "https://example.org/a",
        "published": "2021-07-08"}


def test_add_seed_appends_metadata_and_refuses_duplicates(seeds_dir):
    before = (seeds_dir / "index.csv").read_text(encoding="utf-8")
    res = seeds.add_seed(seeds_dir, "Tolo report 1", "The Taliban captured Qala-e-Naw.\r\nSecond line.", META)
    assert res.ok and res.seed_file == "tolo-report-1.txt"
    assert (seeds_dir / res.seed_file).read_text(encoding="utf-8") == "The Taliban captured Qala-e-Naw.\nSecond line.\n"
    after = (seeds_dir / "index.csv").read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n").split("\n")[0])  # same header
    listed = seeds.list_seeds(seeds_dir).set_index("seed_file")
    assert listed.loc[res.seed_file, "outlet"] == "Tolo News"
    assert listed.loc[res.seed_file, "retrieved_from"] == "https://example.org/a"
    assert listed.loc[SEED, "title"].startswith("Afghanistan Denies")  # old rows kept
    # the same name again (any spelling that slugifies alike) is refused; nothing changes
    again = seeds.add_seed(seeds_dir, "tolo REPORT 1.txt", "other text", META)
    assert not again.ok and "already exists" in again.problems[0]
    assert (seeds_dir / "index.csv").read_text(encoding="utf-8") == after
    assert not list(seeds_dir.glob(".*.tmp"))


@pytest.mark.parametrize("name, text, meta, field", [
    ("x", "", META, "text"),
    ("", "t", dict(META, outlet="", published=""), "file name"),
    ("x", "t", dict(META, url="javascript:alert(1)"), "url"),
    ("x", "t", dict(META, published="8 July"), "published"),
    ("x", "t", dict(META, outlet=""), "outlet"),
])
def test_add_seed_refuses_bad_input(seeds_dir, name, text, meta, field):
    before = sorted(p.name for p in seeds_dir.iterdir())
    res = seeds.add_seed(seeds_dir, name, text, meta)
    assert not res.ok and any(p.startswith(field) for p in res.problems)
    assert sorted(p.name for p in seeds_dir.iterdir()) == before


def test_concurrent_adds_keep_every_index_row(seeds_dir):
    errors = []

    def add(i):
        try:
            assert seeds.add_seed(seeds_dir, f"doc {i}", f"text {i}", META).ok
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors
    listed = seeds.list_seeds(seeds_dir)
    assert {f"doc-{i}.txt" for i in range(8)} <= set(listed["seed_file"]) and listed["exists"].all()


def test_add_seed_is_atomic_when_the_index_write_fails(seeds_dir, monkeypatch):
    before = (seeds_dir / "index.csv").read_bytes()
    real = seeds.atomic_write

    def fail_on_index(path, text):
        if Path(path).name == "index.csv":
            raise OSError("disk full")
        real(path, text)

    monkeypatch.setattr(seeds, "atomic_write", fail_on_index)
    with pytest.raises(OSError):
        seeds.add_seed(seeds_dir, "doc", "text", META)
    assert (seeds_dir / "index.csv").read_bytes() == before  # the index is whole


def test_read_seed_stays_inside_the_folder(seeds_dir):
    assert seeds.read_seed("/etc/passwd", seeds_dir) is None
    assert seeds.read_seed("../../../etc/passwd", seeds_dir) is None
    assert seeds.read_seed("missing.txt", seeds_dir) is None
