"""The imported district layer in use: names → districts, records → districts, roll-up to provinces."""
from datetime import date
from pathlib import Path

import geopandas as gpd
import pytest

from geo.boundaries import import_district_layer
from geo.constants import CONTESTED, TALIBAN
from geo.control import StateIndex, explain
from geo.districts import evidence_for_level, load_district_layer, rollup_province
from geo.gazetteer import resolve_province
from geo.records import load_records, parse_records, to_csv_text

SHARED = Path(__file__).resolve().parents[2] / "shared" / "boundaries"


@pytest.fixture(scope="module")
def layer(tmp_path_factory):
    dest = tmp_path_factory.mktemp("districts")
    import_district_layer(SHARED / "afg_districts_gadm.geojson", dest_dir=dest)
    return load_district_layer(dest / "districts.geojson")


@pytest.fixture(scope="module")
def records():
    return load_records().records


def test_every_district_lies_in_its_province_of_the_real_province_layer(layer):
    """Both real layers: the imported districts agree with GADM's own province polygons."""
    provinces = gpd.read_file(SHARED / "afg_provinces_gadm.geojson")
    provinces["province_id"] = [resolve_province(n) for n in provinces["NAME"]]
    assert provinces["province_id"].notna().all() and provinces["province_id"].nunique() == 34
    points = layer.gdf.copy()
    points["geometry"] = points.geometry.representative_point()
    joined = gpd.sjoin(points, provinces[["province_id", "geometry"]], predicate="within", how="left",
                       lsuffix="d", rsuffix="p")
    joined = joined[~joined.index.duplicated()]
    agree = (joined["province_id_d"] == joined["province_id_p"]).mean()
    assert len(layer.gdf) == 328
    assert agree >= 0.98, agree


@pytest.mark.parametrize("spelling", ["Qala-e-Naw", "Qala-i-Naw", "Qala-I-Naw", "Qalay-i-Naw", "Qala Naw"])
def test_record_spellings_resolve_to_qala_i_naw(layer, spelling):
    did = layer.resolve("AF-BDG", spelling)
    assert did is not None and layer.names()[did] == "Qala-I-Naw"


def test_badghis_has_its_seven_districts(layer):
    names = sorted(layer.gdf.loc[layer.gdf["province_id"] == "AF-BDG", "name"])
    assert names == ["Ab Kamari", "Ghormach", "Jawand", "Muqur", "Murghab", "Qadis", "Qala-I-Naw"]


def test_embedded_district_names_all_resolve_against_gadm(layer, records):
    """Lashkar Gah/Lashkargah, Ali Abad/Ali abad, Qala-e-Naw/Qala-I-Naw, Fayzabad … all found."""
    evidence, unresolved = evidence_for_level("district", records, layer)
    named = records[records["district"] != ""]
    assert unresolved.empty, list(unresolved["district"])
    assert set(named["id"]) <= set(records.iloc[evidence["rec"]]["id"])


def test_unknown_district_is_listed_not_dropped(layer):
    row = {"id": "x", "event_date": "2021-07-07", "date_precision": "day", "province": "Badghis",
           "district": "Nowhere Kalay", "claimed_controller": "taliban", "claim_kind": "independent",
           "claimant": "c", "claimant_side": "independent", "outlet": "o", "url": "https://example.org",
           "quote": "q", "source_reliability": "B", "info_credibility": "2"}
    recs = parse_records(to_csv_text([row]), "t.csv").records
    evidence, unresolved = layer.evidence(recs)
    assert evidence.empty and list(unresolved["id"]) == ["x"]


def test_qala_i_naw_claim_stack_and_badghis_rollup_on_7_july(layer, records):
    evidence, _ = evidence_for_level("district", records, layer)
    qala = layer.resolve("AF-BDG", "Qala-e-Naw")
    state, stack = explain(records, evidence, qala, date(2021, 7, 7))
    assert state.controller == CONTESTED
    assert "bdg-2021-07-07-shams-entered-city" in set(stack["id"])
    states = StateIndex(records, evidence, list(layer.names())).at(date(2021, 7, 7))
    roll = rollup_province("AF-BDG", layer, states)
    assert roll.summary().startswith("Taliban: 6 of 7 districts")
    assert roll.capital_controller == CONTESTED
    assert roll.state.controller == CONTESTED
    # Before any claim the province has no data at district level either.
    assert not rollup_province("AF-BDG", layer, StateIndex(records, evidence, list(layer.names())).at(date(2021, 7, 1))).state.has_data


def test_sparse_district_claims_roll_up_pale(layer, records):
    evidence, _ = evidence_for_level("district", records, layer)
    states = StateIndex(records, evidence, list(layer.names())).at(date(2021, 7, 4))
    kandahar = rollup_province("AF-KAN", layer, states)
    assert kandahar.state.controller == TALIBAN
    assert kandahar.counts[TALIBAN] == 2 and kandahar.n_districts > 10
    assert kandahar.state.confidence < 0.2


def test_derive_provinces_explain_rollup_and_links(layer, records):
    from geo.constants import UNKNOWN
    from geo.control import province_evidence
    from geo.districts import derive_provinces, explain_rollup, resolve_area

    day = date(2021, 7, 7)
    d_evidence, _ = evidence_for_level("district", records, layer)
    d_states = StateIndex(records, d_evidence, list(layer.names())).at(day)
    p_states = StateIndex(records, province_evidence(records), ["AF-BDG", "AF-ZAB"]).at(day)
    states, rollups = derive_provinces(layer, d_states, p_states)
    assert states["AF-BDG"] == rollups["AF-BDG"].state and states["AF-BDG"].controller == CONTESTED
    assert states["AF-ZAB"].controller == UNKNOWN and not states["AF-ZAB"].has_data
    detailed = explain_rollup(records, d_evidence, layer, "AF-BDG", day)
    assert detailed.state.controller == CONTESTED
    assert "bdg-2021-07-07-shams-entered-city" in detailed.state.deciding  # the panel can say why
    qala = resolve_area("Qala-e-Naw", "district", layer)
    assert layer.title(qala) == "Qala-I-Naw (Badghis)"
    assert resolve_area("Hilmand", "province", layer) == "AF-HEL"
    assert resolve_area("Qala-e-Naw", "district", None) is None
