"""Boundary layers: the embedded provinces and the district layer importer.

The real district file lives outside the repository (../shared/boundaries, test data only); every
import here writes into a tmp folder, never into data/boundaries/.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point, Polygon, box

from geo import boundaries
from geo.boundaries import (
    DISTRICT_COLUMNS,
    BoundaryImportError,
    ImportReport,
    import_district_layer,
    load_districts,
    load_provinces,
)
from geo.gazetteer import PROVINCE_BY_ID, name_key

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared" / "boundaries"
GADM_DISTRICTS = SHARED / "afg_districts_gadm.geojson"
BADGHIS = {"Ab Kamari", "Ghormach", "Jawand", "Muqur", "Murghab", "Qadis", "Qala-I-Naw"}


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def source() -> gpd.GeoDataFrame:
    return gpd.read_file(GADM_DISTRICTS)


@pytest.fixture(scope="module")
def gadm(tmp_path_factory) -> tuple[ImportReport, gpd.GeoDataFrame, Path]:
    """The 328-district file imported once for the module."""
    dest = tmp_path_factory.mktemp("gadm")
    report = import_district_layer(GADM_DISTRICTS, dest_dir=dest)
    return report, load_districts(dest / "districts.geojson"), dest


@pytest.fixture(scope="module")
def badghis_source(source) -> gpd.GeoDataFrame:
    """A small real subset (Badghis and its neighbour Faryab) for fast schema tests."""
    return source[source["PROVINCE"].isin(["Badghis", "Faryab"])].reset_index(drop=True)


@pytest.fixture()
def populated(gadm, tmp_path) -> Path:
    """A dest folder holding a previous good import."""
    dest = tmp_path / "dest"
    dest.mkdir()
    for f in gadm[2].iterdir():
        (dest / f.name).write_bytes(f.read_bytes())
    return dest


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def identity(gdf: gpd.GeoDataFrame) -> list[tuple[str, str, str]]:
    return sorted(zip(gdf["area_id"], gdf["name"], gdf["province_id"]))


# --- embedded provinces --------------------------------------------------------------------------


def test_load_provinces_has_34_with_iso_ids():
    prov = load_provinces()
    assert len(prov) == 34
    assert list(prov.columns) == ["area_id", "name", "capital", "geometry"]
    assert prov["area_id"].is_unique
    assert set(prov["area_id"]) == set(PROVINCE_BY_ID)
    assert all(a.startswith("AF-") and len(a) == 6 for a in prov["area_id"])
    assert prov.set_index("area_id").loc["AF-BDG", "name"] == "Badghis"


def test_load_provinces_geometry_is_valid_wgs84():
    prov = load_provinces()
    assert prov.crs.to_epsg() == 4326
    assert prov.geometry.is_valid.all() and not prov.geometry.is_empty.any()
    assert set(prov.geom_type) <= {"Polygon", "MultiPolygon"}
    minx, miny, maxx, maxy = prov.total_bounds
    assert 60 < minx < maxx < 75.5 and 29 < miny < maxy < 39


# --- the real GADM district file -----------------------------------------------------------------


def test_gadm_import_counts_and_provinces(gadm):
    report, d, _dest = gadm
    assert report.n_read == 328 and report.n_written == 328 and len(d) == 328
    assert list(d.columns) == [*DISTRICT_COLUMNS, "geometry"]
    assert d["area_id"].is_unique
    assert d["province_id"].notna().all()
    assert set(d["province_id"]) == set(PROVINCE_BY_ID)  # every one of the 34, nothing else
    assert (
        report.name_field == "NAME" and report.province_field == "PROVINCE" and report.code_field == "HASC_2"
    )
    assert report.n_province_by_field == 328 and report.n_province_spatial == 0
    assert (d["province_name"] == [PROVINCE_BY_ID[p].name for p in d["province_id"]]).all()


def test_gadm_badghis_districts_and_capital(gadm):
    _report, d, _dest = gadm
    bdg = d[d["province_id"] == "AF-BDG"]
    assert set(bdg["name"]) == BADGHIS
    capital = bdg[bdg["is_capital"]]
    assert list(capital["name"]) == ["Qala-I-Naw"]
    assert name_key(PROVINCE_BY_ID["AF-BDG"].capital) == name_key("Qala-I-Naw")


def test_gadm_at_most_one_capital_per_province(gadm):
    report, d, _dest = gadm
    per_province = d[d["is_capital"]].groupby("province_id").size()
    assert (per_province == 1).all()
    assert report.n_capitals == len(per_province) >= 30
    caps = dict(zip(d.loc[d["is_capital"], "province_id"], d.loc[d["is_capital"], "name"]))
    assert (
        caps["AF-HER"] == "Hirat City"
        and caps["AF-KAB"] == "Kabul City"
        and caps["AF-BAL"] == "Mazar-i-Sharif"
    )


def test_gadm_output_is_valid_small_and_gridded(gadm):
    report, d, dest = gadm
    assert d.crs.to_epsg() == 4326
    assert d.geometry.is_valid.all() and not d.geometry.is_empty.any()
    assert set(d.geom_type) <= {"Polygon", "MultiPolygon"}
    size = (dest / "districts.geojson").stat().st_size
    assert size == report.output_bytes and size < 1024 * 1024
    print(f"\ndisplay copy: {size / 1024:.0f} KiB, import {report.seconds:.2f} s")
    coords = shapely.get_coordinates(d.geometry.values)
    assert (
        abs(coords * 10**boundaries.COORD_DECIMALS - (coords * 10**boundaries.COORD_DECIMALS).round()) < 1e-6
    ).all()
    # shared borders stay shared: neighbours barely overlap after simplification
    overlaps = gpd.overlay(
        d[d["province_id"] == "AF-BDG"], d[d["province_id"] == "AF-BDG"], keep_geom_type=True
    )
    overlaps = overlaps[overlaps["area_id_1"] != overlaps["area_id_2"]]
    assert overlaps.to_crs(6933).area.sum() < 1e4  # m², i.e. nothing visible


def test_gadm_report_file(gadm):
    report, _d, dest = gadm
    saved = json.loads((dest / "districts.report.json").read_text(encoding="utf-8"))
    assert saved["n_written"] == 328 and saved["name_field"] == "NAME"
    assert saved["summary"] == report.summary()
    text = report.summary()
    assert "328 districts" in text and "PROVINCE" in text
    assert sorted(p.name for p in dest.iterdir()) == ["districts.geojson", "districts.report.json"]


def test_gadm_ids_are_stable_across_imports(gadm, tmp_path):
    again = import_district_layer(GADM_DISTRICTS, dest_dir=tmp_path)
    assert again.n_written == 328
    assert (tmp_path / "districts.geojson").read_bytes() == (gadm[2] / "districts.geojson").read_bytes()
    assert "AF-BDG:" + name_key("Qala-I-Naw") in set(gadm[1]["area_id"])  # HASC_2 has gaps → name ids


# --- spatial assignment --------------------------------------------------------------------------


def test_spatial_assignment_agrees_with_province_field(gadm, source, tmp_path):
    path = tmp_path / "no_province.geojson"
    source.drop(columns=["PROVINCE"]).to_file(path, driver="GeoJSON")
    report = import_district_layer(path, dest_dir=tmp_path / "out")
    d = load_districts(tmp_path / "out" / "districts.geojson")
    assert report.province_field is None
    assert report.n_province_spatial == 328 and report.n_province_by_field == 0
    assert d["province_id"].notna().all() and set(d["province_id"]) <= set(PROVINCE_BY_ID)
    # names repeat across provinces (Muqur, Reg, Arghandab…), so compare (name, province) pairs
    by_field = set(zip(gadm[1]["name"], gadm[1]["province_id"]))
    agree = sum(pair in by_field for pair in zip(d["name"], d["province_id"]))
    rate = agree / len(d)
    print(f"\nspatial vs field province agreement: {agree}/{len(d)} = {rate:.2%}")
    assert rate >= 0.98  # measured 324/328 = 98.8% (Kahmard, Azro, Shamul, Nesh sit on borders)
    bdg = d[d["province_id"] == "AF-BDG"]
    assert set(bdg["name"]) == BADGHIS
    assert list(bdg.loc[bdg["is_capital"], "name"]) == ["Qala-I-Naw"]


# --- other formats and coordinate systems ---------------------------------------------------------


def test_projected_copy_imports_to_same_districts(gadm, source, tmp_path):
    path = tmp_path / "utm42n.geojson"
    source.to_crs(32642).to_file(path, driver="GeoJSON")
    report = import_district_layer(path, dest_dir=tmp_path / "out")
    assert report.crs_in == "EPSG:32642"
    d = load_districts(tmp_path / "out" / "districts.geojson")
    assert d.crs.to_epsg() == 4326
    assert identity(d) == identity(gadm[1])


def test_zipped_shapefile_imports_to_same_districts(gadm, source, tmp_path):
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    source.to_file(shp_dir / "afg_adm2.shp")
    archive = tmp_path / "afg_adm2.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in shp_dir.iterdir():
            zf.write(f, f"afg_adm2/{f.name}")
    report = import_district_layer(archive, dest_dir=tmp_path / "out")
    assert report.n_written == 328
    assert identity(load_districts(tmp_path / "out" / "districts.geojson")) == identity(gadm[1])


def test_geopackage_and_explicit_layer(badghis_source, tmp_path):
    path = tmp_path / "layers.gpkg"
    badghis_source.to_file(path, layer="adm2_districts", driver="GPKG")
    badghis_source.dissolve("PROVINCE").reset_index().to_file(path, layer="adm1_provinces", driver="GPKG")
    report = import_district_layer(path, dest_dir=tmp_path / "a")  # picks the adm2 layer
    assert report.n_written == len(badghis_source)
    report = import_district_layer(
        path, dest_dir=tmp_path / "b", layer="adm1_provinces", name_field="PROVINCE"
    )
    assert report.n_written == 2
    assert any("province layer" in p for p in report.problems)


def test_zip_with_several_layers(badghis_source, tmp_path):
    archive = tmp_path / "gadm_AFG_shp.zip"  # GADM-style: one file per level
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("gadm_AFG_1.json", badghis_source.dissolve("PROVINCE").reset_index().to_json())
        zf.writestr("gadm_AFG_2.json", badghis_source.to_json())
        zf.writestr("readme.txt", "levels 1 and 2")
    report = import_district_layer(archive, dest_dir=tmp_path / "a")
    assert report.n_written == len(badghis_source)
    report = import_district_layer(
        archive, dest_dir=tmp_path / "b", layer="gadm_AFG_1.json", name_field="PROVINCE"
    )
    assert report.n_written == 2
    (tmp_path / "c.zip").write_bytes(archive.read_bytes())
    with zipfile.ZipFile(tmp_path / "c.zip", "a") as zf:
        zf.writestr("other_2.json", badghis_source.to_json())
    with pytest.raises(BoundaryImportError, match=r"several layers .*--layer"):
        import_district_layer(tmp_path / "c.zip", dest_dir=tmp_path / "c")


def test_shapefile_without_prj_assumed_lonlat(badghis_source, tmp_path):
    badghis_source.to_file(tmp_path / "d.shp")
    (tmp_path / "d.prj").unlink()
    report = import_district_layer(tmp_path / "d.shp", dest_dir=tmp_path / "out")
    assert report.crs_in.startswith("none") and any("no coordinate system" in p for p in report.problems)
    assert report.n_written == len(badghis_source)


def test_projected_shapefile_without_prj_is_refused(badghis_source, tmp_path):
    badghis_source.to_crs(32642).to_file(tmp_path / "d.shp")
    (tmp_path / "d.prj").unlink()
    with pytest.raises(BoundaryImportError, match=r"d\.shp.*no coordinate system.*not longitude/latitude"):
        import_district_layer(tmp_path / "d.shp", dest_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_download_over_http(badghis_source, tmp_path):
    served = tmp_path / "www"
    served.mkdir()
    badghis_source.to_file(served / "adm2.geojson", driver="GeoJSON")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output clean
            pass

    handler = functools.partial(Quiet, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/adm2.geojson"
        seen: list[float] = []
        report = import_district_layer(url, dest_dir=tmp_path / "out", progress=lambda f, _m: seen.append(f))
        assert report.source == url and report.n_written == len(badghis_source)
        assert seen == sorted(seen) and seen[-1] == 1.0
        # geoBoundaries' API answers with metadata pointing at the file: the importer follows it
        (served / "meta.json").write_text(json.dumps({"boundaryISO": "AFG", "gjDownloadURL": url}))
        report = import_district_layer(url.replace("adm2.geojson", "meta.json"), dest_dir=tmp_path / "gb")
        assert report.n_written == len(badghis_source)
        with pytest.raises(BoundaryImportError, match="download failed"):
            import_district_layer(url.replace("adm2", "missing"), dest_dir=tmp_path / "out2")
    finally:
        server.shutdown()
        server.server_close()
    assert not (tmp_path / "out2").exists()


@pytest.mark.parametrize("url", ["ftp://example.org/adm2.zip", "file:///etc/passwd"])
def test_other_url_schemes_refused(url, tmp_path):
    with pytest.raises(BoundaryImportError, match="only http:// and https://"):
        import_district_layer(url, dest_dir=tmp_path)


# --- field detection -----------------------------------------------------------------------------


def test_geoboundaries_schema(badghis_source, tmp_path):
    gb = badghis_source[["NAME", "GID_2", "geometry"]].rename(
        columns={"NAME": "shapeName", "GID_2": "shapeID"}
    )
    gb["shapeGroup"] = "AFG"
    gb.to_file(tmp_path / "gb.geojson", driver="GeoJSON")
    report = import_district_layer(tmp_path / "gb.geojson", dest_dir=tmp_path / "out")
    assert (report.schema, report.name_field, report.code_field, report.province_field) == (
        "geoBoundaries",
        "shapeName",
        "shapeID",
        None,
    )
    assert report.ids_from_code and report.n_province_spatial == len(gb)
    d = load_districts(tmp_path / "out" / "districts.geojson")
    assert set(d["area_id"]) == set(gb["shapeID"])
    assert set(d.loc[d["province_id"] == "AF-BDG", "name"]) == BADGHIS


def test_ocha_schema(badghis_source, tmp_path):
    cod = badghis_source.rename(columns={"NAME": "ADM2_EN", "PROVINCE": "ADM1_EN"})
    cod["ADM2_PCODE"] = [f"AF{i:04d}" for i in range(len(cod))]
    cod = cod[["ADM2_EN", "ADM2_PCODE", "ADM1_EN", "geometry"]]
    cod.to_file(tmp_path / "cod.geojson", driver="GeoJSON")
    report = import_district_layer(tmp_path / "cod.geojson", dest_dir=tmp_path / "out")
    assert (report.name_field, report.code_field, report.province_field) == (
        "ADM2_EN",
        "ADM2_PCODE",
        "ADM1_EN",
    )
    assert report.n_province_by_field == len(cod) and report.ids_from_code


def test_gadm_full_schema(badghis_source, tmp_path):
    gadm = badghis_source.rename(columns={"NAME": "NAME_2", "PROVINCE": "NAME_1"})
    gadm["NAME_0"] = "Afghanistan"
    gadm.to_file(tmp_path / "gadm.geojson", driver="GeoJSON")
    report = import_district_layer(tmp_path / "gadm.geojson", dest_dir=tmp_path / "out")
    assert (report.name_field, report.code_field, report.province_field) == ("NAME_2", "GID_2", "NAME_1")


def test_unknown_fields_listed_and_explicit_fields_work(badghis_source, tmp_path):
    odd = badghis_source[["NAME", "PROVINCE", "geometry"]].rename(
        columns={"NAME": "wolus", "PROVINCE": "wilayat"}
    )
    path = tmp_path / "odd.geojson"
    odd.to_file(path, driver="GeoJSON")
    with pytest.raises(BoundaryImportError) as err:
        import_district_layer(path, dest_dir=tmp_path / "out")
    message = str(err.value)
    assert str(path) in message and "wolus" in message and "wilayat" in message
    assert "--name-field" in message and "name_field=" in message
    report = import_district_layer(
        path, dest_dir=tmp_path / "out", name_field="wolus", province_field="WILAYAT"
    )
    assert (report.name_field, report.province_field, report.code_field) == ("wolus", "wilayat", None)
    assert report.n_province_by_field == len(odd)
    with pytest.raises(BoundaryImportError, match="no field “nope”.*wolus"):
        import_district_layer(path, dest_dir=tmp_path / "out", code_field="nope")


def test_unresolved_province_values_fall_back_to_overlap(badghis_source, tmp_path):
    bad = badghis_source.copy()
    bad.loc[bad["NAME"] == "Qadis", "PROVINCE"] = "Atlantis"
    bad.to_file(tmp_path / "bad.geojson", driver="GeoJSON")
    report = import_district_layer(tmp_path / "bad.geojson", dest_dir=tmp_path / "out")
    assert report.n_province_spatial == 1 and report.n_province_by_field == len(bad) - 1
    assert any("Atlantis" in p for p in report.problems)
    d = load_districts(tmp_path / "out" / "districts.geojson")
    assert d.loc[d["name"] == "Qadis", "province_id"].item() == "AF-BDG"


# --- repairs -------------------------------------------------------------------------------------


def test_invalid_geometry_repaired_and_names_normalised(badghis_source, tmp_path):
    broken = badghis_source.copy()
    qadis = broken.index[broken["NAME"] == "Qadis"][0]
    minx, miny, maxx, maxy = broken.geometry[qadis].bounds
    bowtie = Polygon([(minx, miny), (maxx, maxy), (maxx, miny), (minx, maxy)])  # self-intersecting
    assert not bowtie.is_valid
    broken.loc[qadis, "geometry"] = bowtie
    broken.loc[qadis, "NAME"] = "  Qadis\t "
    broken.to_file(tmp_path / "broken.geojson", driver="GeoJSON")
    report = import_district_layer(tmp_path / "broken.geojson", dest_dir=tmp_path / "out")
    assert report.repaired == 1
    assert report.renamed == [("  Qadis\t ", "Qadis")]
    d = load_districts(tmp_path / "out" / "districts.geojson")
    assert d.geometry.is_valid.all() and "Qadis" in set(d["name"])


def test_rows_of_one_district_are_merged(badghis_source, tmp_path):
    parts = badghis_source.copy()
    qadis = parts[parts["NAME"] == "Qadis"].iloc[0]
    minx, miny, maxx, maxy = qadis.geometry.bounds
    mid = (minx + maxx) / 2
    west = qadis.geometry.intersection(box(minx, miny, mid, maxy))
    east = qadis.geometry.intersection(box(mid, miny, maxx, maxy))
    parts = parts[parts["NAME"] != "Qadis"]
    extra = gpd.GeoDataFrame([qadis.to_dict(), qadis.to_dict()], crs=parts.crs)
    extra = extra.set_geometry([west, east])
    parts = gpd.GeoDataFrame(list(parts.to_dict("records")) + list(extra.to_dict("records")), crs=4326)
    parts.to_file(tmp_path / "parts.geojson", driver="GeoJSON")
    report = import_district_layer(tmp_path / "parts.geojson", dest_dir=tmp_path / "out")
    assert report.n_read == len(badghis_source) + 1 and report.n_written == len(badghis_source)
    assert any("merged" in p for p in report.problems)
    d = load_districts(tmp_path / "out" / "districts.geojson")
    assert (d["name"] == "Qadis").sum() == 1


def test_regional_layer_keeps_only_afghan_features(badghis_source, tmp_path):
    foreign = gpd.GeoDataFrame(
        {"NAME": ["Islamabad"], "PROVINCE": ["Punjab"]}, geometry=[box(72.9, 33.5, 73.2, 33.8)], crs=4326
    )
    mixed = gpd.GeoDataFrame(
        list(badghis_source.to_dict("records")) + list(foreign.to_dict("records")), crs=4326
    )
    mixed.to_file(tmp_path / "mixed.geojson", driver="GeoJSON")
    report = import_district_layer(tmp_path / "mixed.geojson", dest_dir=tmp_path / "out")
    assert report.n_written == len(badghis_source)
    assert any("outside Afghanistan" in p for p in report.problems)


# --- refusals leave the previous import untouched ------------------------------------------------


def _write_bad(kind: str, folder: Path) -> Path:
    if kind == "corrupt":
        path = folder / "corrupt.geojson"
        path.write_bytes(bytes(range(256)).replace(b"{", b"(") * 8 + b"\x00garbage")
    elif kind == "empty":
        path = folder / "empty.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    elif kind == "points":
        path = folder / "points.geojson"
        gpd.GeoDataFrame(
            {"NAME": ["Kabul", "Herat"]}, geometry=[Point(69.2, 34.5), Point(62.2, 34.3)], crs=4326
        ).to_file(path, driver="GeoJSON")
    elif kind == "europe":
        path = folder / "europe.geojson"
        gpd.GeoDataFrame(
            {"NAME": ["Paris", "Lyon"]},
            geometry=[box(2.2, 48.8, 2.5, 48.9), box(4.7, 45.7, 4.9, 45.8)],
            crs=4326,
        ).to_file(path, driver="GeoJSON")
    elif kind == "pakistan":  # inside Afghanistan's bounding box, but not in Afghanistan
        path = folder / "pakistan.geojson"
        gpd.GeoDataFrame(
            {"NAME": ["Islamabad", "Rawalpindi"]},
            geometry=[box(72.9, 33.6, 73.2, 33.8), box(72.9, 33.3, 73.3, 33.6)],
            crs=4326,
        ).to_file(path, driver="GeoJSON")
    elif kind == "missing":
        path = folder / "does-not-exist.geojson"
    elif kind == "zip-without-layer":
        path = folder / "readme.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("README.txt", "no layer here")
    return path


@pytest.mark.parametrize(
    ("kind", "pattern"),
    [
        ("corrupt", r"corrupt\.geojson: cannot be read .*corrupt"),
        ("empty", r"empty\.geojson: the layer is empty"),
        ("points", r"points\.geojson: has no polygons \(found 2 Point features\)"),
        ("europe", r"europe\.geojson: does not look like Afghanistan .*45\.70…48\.90°N, outside"),
        ("pakistan", r"pakistan\.geojson: does not look like Afghanistan — none of its 2 features"),
        ("missing", r"does-not-exist\.geojson: file not found"),
        ("zip-without-layer", r"readme\.zip: the zip holds no \.shp"),
    ],
)
def test_bad_input_raises_and_leaves_dest_unchanged(kind, pattern, populated, tmp_path):
    before = snapshot(populated)
    path = _write_bad(kind, tmp_path)
    with pytest.raises(BoundaryImportError, match=pattern):
        import_district_layer(path, dest_dir=populated)
    assert snapshot(populated) == before


def test_failure_while_replacing_rolls_back(populated, badghis_source, tmp_path, monkeypatch):
    before = snapshot(populated)
    small = tmp_path / "small.geojson"
    badghis_source.to_file(small, driver="GeoJSON")
    real_replace = os.replace
    calls = []

    def flaky_replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:  # the geojson is in place, the report fails
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(boundaries.os, "replace", flaky_replace)
    with pytest.raises(OSError, match="disk full"):
        import_district_layer(small, dest_dir=populated)
    monkeypatch.setattr(boundaries.os, "replace", real_replace)
    assert snapshot(populated) == before


def test_progress_is_reported(badghis_source, tmp_path):
    small = tmp_path / "small.geojson"
    badghis_source.to_file(small, driver="GeoJSON")
    seen: list[tuple[float, str]] = []
    import_district_layer(small, dest_dir=tmp_path / "out", progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _m in seen]
    assert len(seen) >= 5 and fractions == sorted(fractions)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and all(m for _f, m in seen)


def test_load_districts_none_without_import(tmp_path):
    assert load_districts(tmp_path / "districts.geojson") is None
    (tmp_path / "districts.geojson").write_text("not json")
    with pytest.raises(BoundaryImportError, match="import it again"):
        load_districts(tmp_path / "districts.geojson")


# --- command line --------------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "geo.boundaries", *args], cwd=REPO, capture_output=True, text=True, timeout=120
    )


def test_cli_imports_and_prints_summary(tmp_path):
    result = run_cli("import", str(GADM_DISTRICTS), "--dest", str(tmp_path), "--quiet")
    assert result.returncode == 0, result.stderr
    assert "Imported 328 districts" in result.stdout and "PROVINCE" in result.stdout
    assert (tmp_path / "districts.geojson").exists() and (tmp_path / "districts.report.json").exists()


def test_cli_bad_path_exits_2(tmp_path):
    result = run_cli("import", str(tmp_path / "nope.geojson"), "--dest", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "error:" in result.stderr and "nope.geojson: file not found" in result.stderr
    assert not (tmp_path / "out").exists()


def test_geo_package_does_not_import_streamlit():
    code = "import sys, geo.boundaries, geo.gazetteer, geo.constants; print('streamlit' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "False", result.stderr
