"""Data page: record problems, district layer import, exports.  Layout only."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from geo import boundaries, control
from geo.records import SCHEMA
from views import common

st.header("Data")

result = common.load_records()
st.subheader("Claim records")
st.write(f"`{common.records_path().name}`: {result.n_rows} rows read, {len(result.records)} valid, "
         f"{len(result.problems)} problem(s).")
if result.problems:
    st.error("Rows with problems are left off the map until they are fixed:")
    st.dataframe(pd.DataFrame([p.__dict__ for p in result.problems]), hide_index=True, width="stretch")
st.download_button("Download valid records (CSV)", result.records.drop(columns=["row"]).to_csv(index=False),
                   file_name="records.csv", mime="text/csv")
with st.expander("Record schema"):
    st.dataframe(pd.DataFrame([f.__dict__ for f in SCHEMA]), hide_index=True, width="stretch")

st.subheader("District layer")
layer = common.districts()
if layer is None:
    st.info("No district layer yet. The map works at province level; import a layer (geoBoundaries, OCHA COD-AB, "
            "GADM or your own GIS) to map districts. From a terminal: `python -m geo.boundaries import PATH_OR_URL`.")
else:
    st.success(f"{len(layer.gdf)} districts in {layer.gdf['province_id'].nunique()} provinces.")
    report = common.districts_path().with_name(boundaries.DISTRICTS_REPORT.name)
    if report.exists():
        with st.expander("Last import report"):
            st.code(report.read_text(encoding="utf-8"), language="json")
    _, unresolved = layer.evidence(result.records)
    if len(unresolved):
        st.warning(f"{len(unresolved)} record(s) name a district that is not in the layer:")
        st.dataframe(unresolved[["id", "province", "district", "row"]], hide_index=True)

with st.form("import"):
    upload = st.file_uploader("District layer file", type=["geojson", "json", "zip", "gpkg", "shp"],
                              help="GeoJSON, zipped Shapefile or GeoPackage, any CRS.")
    url = st.text_input("…or an http(s) URL")
    c1, c2, c3 = st.columns(3)
    name_field = c1.text_input("Name field (optional)")
    province_field = c2.text_input("Province field (optional)")
    code_field = c3.text_input("Code field (optional)")
    go = st.form_submit_button("Import")

if go:
    bar = st.progress(0.0, text="Starting…")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if upload is not None:
                source: str | Path = Path(tmp) / Path(upload.name).name
                source.write_bytes(upload.getvalue())
            else:
                source = url.strip()
            if not source:
                raise boundaries.BoundaryImportError("Choose a file or give a URL.")
            report = boundaries.import_district_layer(
                source, dest_dir=common.districts_path().parent, name_field=name_field or None, province_field=province_field or None,
                code_field=code_field or None, progress=lambda f, msg: bar.progress(min(max(f, 0.0), 1.0), text=msg))
        common.clear_caches()
        st.success(report.summary())
    except boundaries.BoundaryImportError as exc:
        st.error(str(exc))

st.subheader("Export")
as_of = st.date_input("State as of", value=control.date_range(result.records)[1])
gdf, _ = common.provinces()
states = control.compute_states(result.records, control.province_evidence(result.records), list(gdf["area_id"]), as_of)
table = control.states_frame(states, as_of).merge(gdf[["area_id", "name"]], on="area_id")
st.download_button("Download province states (CSV)", table.to_csv(index=False), file_name=f"provinces-{as_of}.csv",
                   mime="text/csv")
