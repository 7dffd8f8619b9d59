from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geo.constants import CONTESTED, GOVERNMENT, PARAMS, RESISTANCE, TALIBAN, UNKNOWN
from geo.control import (
    area_history,
    base_weight,
    compute_states,
    explain,
    freshness,
    province_evidence,
    states_frame,
    weigh_claims,
)
from geo.districts import DistrictLayer, rollup_province
from geo.records import load_records, parse_records, to_csv_text

D = date.fromisoformat


def rec(i, day, controller, kind, side, reliability="B", claimant=None, province="Badghis", district="", precision="day"):
    return {
        "id": f"r{i}", "event_date": day, "date_precision": precision, "province": province, "district": district,
        "claimed_controller": controller, "claim_kind": kind, "claimant": claimant or f"claimant {i}",
        "claimant_side": side, "outlet": "o", "url": "https://example.org", "quote": "q",
        "source_reliability": reliability, "info_credibility": "2",
    }


def frame(*rows):
    result = parse_records(to_csv_text(rows), "t.csv")
    assert result.problems == [], result.problems
    return result.records


def state(records, day, area="AF-BDG"):
    return explain(records, province_evidence(records), area, D(day))[0]


# --- per-claim weights -------------------------------------------------------------------------

@pytest.mark.parametrize(
    "reliability, kind, precision, expected",
    [
        ("A", "independent", "day", 1.0),
        ("B", "against_interest", "day", 0.75),
        ("B", "self_serving", "day", 0.375),
        ("C", "self_serving", "week", 0.2),
        ("E", "independent", "month", 0.03),
        ("F", "independent", "day", 0.5),
    ],
)
def test_base_weight_table(reliability, kind, precision, expected):
    assert base_weight(reliability, kind, precision) == pytest.approx(expected)


# --- combination rules ---------------------------------------------------------------------------

CASES = [
    # (name, rows, as_of, controller, claimed_only, confidence range)
    ("no claims yet", [rec(1, "2021-07-07", TALIBAN, "self_serving", TALIBAN)], "2021-07-06", UNKNOWN, False, (0, 0)),
    ("one self-serving claim is weak and claimed-only",
     [rec(1, "2021-07-07", TALIBAN, "self_serving", TALIBAN, "C")], "2021-07-07", TALIBAN, True, (0.2, 0.3)),
    ("an admission is strong", [rec(1, "2021-07-07", TALIBAN, "against_interest", GOVERNMENT)], "2021-07-07",
     TALIBAN, False, (0.7, 0.8)),
    ("equal conflicting self-serving claims → contested, claimed",
     [rec(1, "2021-09-06", TALIBAN, "self_serving", TALIBAN), rec(2, "2021-09-06", RESISTANCE, "self_serving", RESISTANCE)],
     "2021-09-06", CONTESTED, True, (0.3, 0.4)),
    ("strong vs weak same day → strong side wins, confidence reduced",
     [rec(1, "2021-07-07", TALIBAN, "independent", "independent", "A"), rec(2, "2021-07-07", GOVERNMENT, "self_serving", GOVERNMENT, "C")],
     "2021-07-07", TALIBAN, False, (0.7, 0.8)),
    ("a newer claim supersedes an older one",
     [rec(1, "2021-07-01", TALIBAN, "independent", "independent"), rec(2, "2021-07-05", GOVERNMENT, "independent", "independent")],
     "2021-07-05", GOVERNMENT, False, (0.5, 0.75)),
    ("below minimum support → unknown",
     [rec(1, "2021-07-07", TALIBAN, "self_serving", TALIBAN, "E")], "2021-07-07", UNKNOWN, False, (0, 0)),
    ("contested claims outweigh sides", [rec(1, "2021-07-07", CONTESTED, "independent", "independent"),
                                         rec(2, "2021-07-07", TALIBAN, "self_serving", TALIBAN)],
     "2021-07-07", CONTESTED, False, (0.7, 0.8)),
]


@pytest.mark.parametrize("name, rows, as_of, controller, claimed_only, conf", CASES, ids=[c[0] for c in CASES])
def test_combination_cases(name, rows, as_of, controller, claimed_only, conf):
    s = state(frame(*rows), as_of)
    assert s.controller == controller
    assert s.claimed_only is claimed_only
    assert conf[0] <= s.confidence <= conf[1]


def test_re_reports_of_one_origin_count_once():
    one = frame(rec(1, "2021-07-07", TALIBAN, "self_serving", TALIBAN, claimant="Spokesman"))
    three = frame(*(rec(i, "2021-07-07", TALIBAN, "self_serving", TALIBAN, claimant="Spokesman") for i in (1, 2, 3)))
    assert state(three, "2021-07-07").confidence == state(one, "2021-07-07").confidence
    weighed = weigh_claims(three.assign(scope=1.0), D("2021-07-07"))
    assert weighed["duplicate"].sum() == 2 and (weighed["weight"] > 0).sum() == 1


def test_state_holds_but_confidence_fades_without_news():
    recs = frame(rec(1, "2021-08-15", TALIBAN, "independent", "independent"))
    fresh, month = state(recs, "2021-08-15"), state(recs, "2021-09-14")
    assert fresh.controller == month.controller == TALIBAN
    assert month.confidence == pytest.approx(fresh.confidence * freshness(30))
    assert month.days_since_confirmed(D("2021-09-14")) == 30
    assert freshness(int(PARAMS.stale_half_life_days)) == pytest.approx(0.5)


def test_district_claims_inform_their_province_less_unless_capital():
    capital = frame(rec(1, "2021-07-07", TALIBAN, "against_interest", GOVERNMENT, district="Qala-e-Naw"))
    other = frame(rec(1, "2021-07-07", TALIBAN, "against_interest", GOVERNMENT, district="Qadis"))
    assert state(capital, "2021-07-07").confidence > state(other, "2021-07-07").confidence > 0


# --- the seed sequence: Badghis, July 2021 --------------------------------------------------------

@pytest.fixture(scope="module")
def embedded():
    return load_records().records


@pytest.mark.parametrize(
    "day, controller, claimed_only, min_conf, max_conf",
    [
        ("2021-07-05", UNKNOWN, False, 0.0, 0.0),  # nothing claimed yet
        ("2021-07-06", TALIBAN, False, 0.5, 1.0),  # MP admits the capital fell on Tuesday
        ("2021-07-07", CONTESTED, False, 0.9, 1.0),  # Wednesday: admissions of fighting in the city
        ("2021-07-08", GOVERNMENT, True, 0.05, 0.5),  # only self-serving recapture claims → claimed, weak
        ("2021-07-09", GOVERNMENT, True, 0.05, 0.5),
    ],
)
def test_badghis_sequence(embedded, day, controller, claimed_only, min_conf, max_conf):
    s = state(embedded, day)
    assert (s.controller, s.claimed_only) == (controller, claimed_only)
    assert min_conf <= s.confidence <= max_conf


def test_badghis_on_7_july_is_decided_by_the_governors_admission(embedded):
    s, stack = explain(embedded, province_evidence(embedded), "AF-BDG", D("2021-07-07"))
    assert "bdg-2021-07-07-shams-entered-city" in s.deciding
    assert s.last_confirmed == D("2021-07-07")
    assert set(stack["event_date"]) <= {D("2021-07-06"), D("2021-07-07")}
    assert stack.iloc[0]["event_date"] == D("2021-07-07")  # newest first


def test_compute_states_covers_every_area(embedded):
    ids = ["AF-BDG", "AF-KAB", "AF-ZAB"]
    states = compute_states(embedded, province_evidence(embedded), ids, D("2021-08-20"))
    assert set(states) == set(ids)
    assert states["AF-KAB"].controller == TALIBAN and not states["AF-KAB"].claimed_only
    assert not states["AF-ZAB"].has_data
    table = states_frame(states, D("2021-08-20"))
    assert list(table["area_id"]) == ids and table.loc[table.area_id == "AF-ZAB", "controller"].item() == UNKNOWN


def test_area_history_logs_each_change(embedded):
    hist = area_history(embedded, province_evidence(embedded), "AF-BDG")
    assert list(hist["date"][:4]) == [D("2021-07-06"), D("2021-07-07"), D("2021-07-08"), D("2021-07-09")]
    assert list(hist["controller"][:3]) == [TALIBAN, CONTESTED, GOVERNMENT]
    assert hist["changed"].iloc[0] and not hist["changed"].iloc[3]  # 9 July repeats 8 July's state
    assert "bdg-2021-07-08-alokozai-control" in hist["new_claims"].iloc[2]


# --- districts → province -------------------------------------------------------------------------

def badghis_layer() -> DistrictLayer:
    names = ["Ab Kamari", "Ghormach", "Jawand", "Muqur", "Murghab", "Qadis", "Qala-I-Naw"]
    gdf = gpd.GeoDataFrame(
        {
            "area_id": [f"BG{i}" for i in range(7)],
            "name": names,
            "province_id": "AF-BDG",
            "province_name": "Badghis",
            "is_capital": [n == "Qala-I-Naw" for n in names],
        },
        geometry=[box(i, 0, i + 1, 1) for i in range(7)],
        crs=4326,
    )
    return DistrictLayer.from_frame(gdf)


def test_district_evidence_and_rollup_on_7_july(embedded):
    layer = badghis_layer()
    evidence, unresolved = layer.evidence(embedded[embedded["province_id"] == "AF-BDG"])
    assert unresolved.empty
    qala = evidence[evidence["area_id"] == "BG6"]
    assert "bdg-2021-07-07-shams-entered-city" in set(embedded.iloc[qala["rec"]]["id"])
    states = compute_states(embedded, evidence, list(layer.names()), D("2021-07-07"))
    assert states["BG6"].controller == CONTESTED
    assert states["BG5"].controller == TALIBAN  # Qadis
    roll = rollup_province("AF-BDG", layer, states)
    assert roll.counts == {TALIBAN: 6, CONTESTED: 1}
    assert roll.state.controller == CONTESTED  # capital contested: the province is split
    assert roll.summary().startswith("Taliban: 6 of 7 districts")


def test_rollup_majority_and_unresolved_districts():
    layer = badghis_layer()
    recs = frame(
        rec(1, "2021-08-01", TALIBAN, "independent", "independent"),  # province-wide
        rec(2, "2021-08-01", TALIBAN, "independent", "independent", district="Nowhere-e-Kalan"),
    )
    evidence, unresolved = layer.evidence(recs)
    assert list(unresolved["id"]) == ["r2"]
    states = compute_states(recs, evidence, list(layer.names()), D("2021-08-02"))
    roll = rollup_province("AF-BDG", layer, states)
    assert roll.state.controller == TALIBAN and roll.counts == {TALIBAN: 7}
    assert rollup_province("AF-BDG", layer, {}).state.has_data is False


# --- the fast index agrees with the reference implementation ---------------------------------------

def random_records(n: int, seed: int, provinces=("Badghis", "Kabul", "Helmand", "Panjshir")):
    import random

    rng = random.Random(seed)
    kinds = {"self_serving": [TALIBAN, GOVERNMENT, RESISTANCE], "against_interest": [GOVERNMENT, TALIBAN],
             "independent": ["independent"]}
    rows = []
    for i in range(n):
        kind = rng.choice(list(kinds))
        side = rng.choice(kinds[kind])
        controller = side if kind == "self_serving" else rng.choice(
            [c for c in (TALIBAN, GOVERNMENT, CONTESTED, RESISTANCE, UNKNOWN) if c != side])
        rows.append(rec(i, f"2021-07-{rng.randint(1, 20):02d}", controller, kind, side,
                        rng.choice("ABCDEF"), claimant=f"c{rng.randint(0, 5)}", province=rng.choice(provinces),
                        district=rng.choice(["", "", "Qala-e-Naw", "Kabul", "Lashkar Gah"]),
                        precision=rng.choice(["day", "week", "month"])))
    return frame(*rows)


@pytest.mark.parametrize("seed", range(6))
def test_index_matches_naive(seed):
    from geo.control import StateIndex, compute_states_naive

    recs = random_records(120, seed)
    ev = province_evidence(recs)
    ids = ["AF-BDG", "AF-KAB", "AF-HEL", "AF-PAN", "AF-ZAB"]
    index = StateIndex(recs, ev, ids)
    for day in ("2021-06-30", "2021-07-01", "2021-07-05", "2021-07-12", "2021-07-20", "2021-08-30"):
        fast, slow = index.at(D(day)), compute_states_naive(recs, ev, ids, D(day))
        for a in ids:
            f, s = fast[a], slow[a]
            assert (f.controller, f.claimed_only, f.last_confirmed, f.last_claim, f.n_claims) == \
                   (s.controller, s.claimed_only, s.last_confirmed, s.last_claim, s.n_claims), (day, a)
            assert f.confidence == pytest.approx(s.confidence, abs=1e-4)
            assert f.support == pytest.approx(s.support, abs=1e-4)


def test_index_with_no_records_or_no_matching_areas():
    from geo.control import StateIndex

    empty = frame(rec(1, "2021-07-07", TALIBAN, "self_serving", TALIBAN)).iloc[0:0]
    states = StateIndex(empty, province_evidence(empty), ["AF-BDG"]).at(D("2021-07-07"))
    assert not states["AF-BDG"].has_data
    recs = frame(rec(1, "2021-07-07", TALIBAN, "self_serving", TALIBAN))
    states = StateIndex(recs, province_evidence(recs), ["AF-KAB"]).at(D("2021-07-07"))
    assert not states["AF-KAB"].has_data


def test_province_wide_claim_does_not_overrule_a_claim_about_the_district():
    layer = badghis_layer()
    recs = frame(
        rec(1, "2021-07-09", GOVERNMENT, "independent", "independent", district="Qala-e-Naw"),
        rec(2, "2021-07-09", GOVERNMENT, "independent", "independent"),  # province-wide
        rec(3, "2021-07-10", TALIBAN, "against_interest", GOVERNMENT),  # "most districts have fallen"
    )
    evidence, _ = layer.evidence(recs)
    qala = explain(recs, evidence, "BG6", D("2021-07-10"))[1].set_index("id")
    assert not qala.loc["r1", "superseded"]  # the later claim is less specific for Qala-I-Naw
    assert qala.loc["r2", "superseded"]  # …but as specific as the earlier province-wide one
    jawand = explain(recs, evidence, "BG2", D("2021-07-10"))[0]
    assert jawand.controller == TALIBAN


@pytest.mark.parametrize("seed", range(4))
def test_index_matches_naive_at_district_level(seed):
    from geo.control import StateIndex, compute_states_naive

    layer = badghis_layer()
    recs = random_records(150, seed, provinces=("Badghis",))
    recs = recs.assign(district=[["", "Qala-e-Naw", "Qadis", "Murghab"][i % 4] for i in range(len(recs))])
    evidence, _ = layer.evidence(recs)
    ids = list(layer.names())
    index = StateIndex(recs, evidence, ids)
    for day in ("2021-07-03", "2021-07-10", "2021-07-21"):
        fast, slow = index.at(D(day)), compute_states_naive(recs, evidence, ids, D(day))
        for a in ids:
            assert (fast[a].controller, fast[a].claimed_only, fast[a].last_confirmed) == \
                   (slow[a].controller, slow[a].claimed_only, slow[a].last_confirmed), (day, a)
            assert fast[a].confidence == pytest.approx(slow[a].confidence, abs=1e-4)
