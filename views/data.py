"""Data page: record problems, district layer import, exports.  Layout only."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from geo import boundaries, control, importers, quality
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

st.subheader("Data quality")
st.caption("Each list links to the fix: a record opens on the Curate page, an area on the map.")
ids = quality.ids_by_line_of(common.records_path())
layer_q = common.districts()
checks = [
    ("Rows with problems", "invalid", quality.invalid_rows(result.problems, ids),
     "Every row with a problem (file, row, field, reason); these rows are off the map."),
    ("Quotes not found in their seed", "quotes", quality.quote_problems(result.problems, ids),
     "Grouped by seed file: the quote must occur verbatim in the stored text."),
    ("Districts not in the district layer", "districts", quality.unresolved_districts(result.records, layer_q),
     "Only checked when a district layer is imported."),
    ("Likely duplicates", "duplicates", quality.duplicate_groups([result.records, result.retired]),
     "Same area, date, claimant and quote (up to case and spacing)."),
    ("Retired records", "retired", quality.retired_table(result.retired),
     "Off the map, kept in the file with the reason."),
]
if not result.records.empty:
    last_day = max(result.records["event_date"])
    index, _, _ = common.state_index("province")
    names = dict(zip(common.provinces()[0]["area_id"], common.provinces()[0]["name"]))
    stale = quality.stale_areas(index, last_day, names)
    if layer_q is not None:
        dindex, _, _ = common.state_index("district")
        stale = pd.concat([stale, quality.stale_areas(dindex, last_day, layer_q.names(), level="district")],
                          ignore_index=True)
    checks.append((f"Stale areas (as of {last_day})", "stale", stale,
                   f"Areas whose newest confirmed claim is more than {control.PARAMS.stale_after_days} days old "
                   "at the data's last date."))
for title, css, table, caption in checks:
    with st.expander(f"{title}: {len(table)}", expanded=bool(len(table)) and css in ("invalid", "retired")):
        st.caption(caption)
        if len(table):
            st.html(quality.html_table(table, table_class=f"quality quality-{css}"))
        else:
            st.write("None.")

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

st.subheader("Import ACLED / UCDP")
st.caption("Turn an event-data export's rows into claim records: each is validated, all are added in one save.")
show_events = st.toggle("Show the ACLED / UCDP importer", key="show_events_import")
go_events = False
if show_events:  # shown on demand: one file uploader on the page at a time
    with st.form("events_import"):
        events_file = st.file_uploader("Event data CSV export", type=["csv", "txt"])
        kind = st.radio("Kind", importers.KINDS, horizontal=True,
                        format_func=lambda k: {"acled": "ACLED", "ucdp": "UCDP GED"}.get(k, k))
        dry_run = st.checkbox("Dry run (report only, write nothing)", value=True)
        go_events = st.form_submit_button("Import events")
if go_events:
    if events_file is None:
        st.error("Choose a CSV file.")
    else:
        bar = st.progress(0.0, text="Reading…")
        step = lambda share: (lambda f, msg: bar.progress(min(max(share[0] + share[1] * f, 0.0), 1.0), text=msg))
        imported = importers.import_bytes(events_file.getvalue(), kind, file=events_file.name,
                                          progress=step((0.0, 0.6)), seeds_dir=common.seeds_path())
        merged = importers.merge_into(common.records_path(), imported, dry_run=dry_run,
                                      seeds_dir=common.seeds_path(), progress=step((0.6, 0.4)))
        bar.progress(1.0, text="Done")
        if merged.added and not dry_run:
            common.clear_caches()
        st.code(imported.summary(), language=None)
        verb = "would be added" if dry_run else "added"
        st.write(f"{len(merged.added)} record(s) {verb}, {len(merged.present)} already in the file.")
        if len(merged):
            st.dataframe(pd.DataFrame([p.__dict__ for p in merged]), hide_index=True, width="stretch")

st.subheader("Export")
as_of = st.date_input("State as of", value=control.date_range(result.records)[1])
gdf, _ = common.provinces()
states = control.compute_states(result.records, control.province_evidence(result.records), list(gdf["area_id"]), as_of)
table = control.states_frame(states, as_of).merge(gdf[["area_id", "name"]], on="area_id")
st.download_button("Download province states (CSV)", table.to_csv(index=False), file_name=f"provinces-{as_of}.csv",
                   mime="text/csv")
