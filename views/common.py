"""The UI edge: Streamlit caching around the pure loaders in geo/ (no computation of its own)."""
from __future__ import annotations

import hashlib
import os
from datetime import date
from pathlib import Path

import streamlit as st

from geo import boundaries, control, records
from geo.assets import ensure_leaflet, publish_geojson
from geo.mapview import display_geometry
from geo.districts import DistrictLayer, evidence_for_level, load_district_layer

RECORDS_ENV = "CLAIMS_RECORDS"  # path of an alternative records file (tests, other conflicts)
DISTRICTS_ENV = "CLAIMS_DISTRICTS"  # path of an alternative imported districts.geojson
SEEDS_ENV = "CLAIMS_SEEDS"  # folder of alternative source texts (tests)


def records_path() -> Path:
    return Path(os.environ.get(RECORDS_ENV) or records.RECORDS_FILE)


def seeds_path() -> Path:
    return Path(os.environ.get(SEEDS_ENV) or records.SEEDS_DIR)


def districts_path() -> Path:
    return Path(os.environ.get(DISTRICTS_ENV) or boundaries.DISTRICTS_FILE)


@st.cache_data(show_spinner=False, max_entries=16)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    """Content hash of a file, computed once per (mtime, size) seen."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return "missing"


def fingerprint(path: Path) -> str:
    """What caches are keyed on: the file's content, not its time stamp."""
    try:
        info = path.stat()
    except OSError:
        return "missing"
    return _digest(str(path), info.st_mtime_ns, info.st_size)


@st.cache_resource(show_spinner=False)
def leaflet_urls() -> dict[str, str]:
    return ensure_leaflet()


@st.cache_resource(show_spinner=False)
def provinces():
    """(provinces GeoDataFrame, URL of their geometry served as a static file)."""
    gdf = boundaries.load_provinces()
    return gdf, publish_geojson(display_geometry(boundaries.to_geojson(gdf)), "provinces")


# Heavy objects are shared across sessions (cache_resource: no copy per rerun) and keyed by content.
@st.cache_resource(show_spinner=False, max_entries=4)
def _records(digest: str, _path: str, seeds: str = "") -> records.LoadResult:
    return records.load_records(Path(_path), seeds_dir=Path(seeds) if seeds else records.SEEDS_DIR)


@st.cache_resource(show_spinner=False, max_entries=4)
def _raw_rows(digest: str, _path: str) -> tuple[dict[str, str], ...]:
    return tuple(records.read_raw_rows(Path(_path)))


def raw_rows() -> tuple[dict[str, str], ...]:
    """The records file's rows as text (shared and read-only: copy a row before changing it),
    read again only when the file's content changes — not on every keystroke of a form."""
    path = records_path()
    return _raw_rows(fingerprint(path), str(path))


def load_records() -> records.LoadResult:
    path = records_path()
    return _records(fingerprint(path), str(path), str(seeds_path()))


@st.cache_resource(show_spinner=False, max_entries=4)
def _districts(digest: str, _path: str) -> DistrictLayer | None:
    try:
        return load_district_layer(Path(_path)) if digest != "missing" else None
    except boundaries.BoundaryImportError as exc:
        st.error(f"The imported district layer cannot be read, so the map stays at province level: {exc}")
        return None


def districts() -> DistrictLayer | None:
    path = districts_path()
    return _districts(fingerprint(path), str(path))


@st.cache_resource(show_spinner=False, max_entries=4)
def _district_geometry(digest: str, _path: str) -> str | None:
    layer = _districts(digest, _path)
    return None if layer is None else publish_geojson(display_geometry(layer.geojson), "districts")


def district_geometry_url() -> str | None:
    path = districts_path()
    return _district_geometry(fingerprint(path), str(path))


@st.cache_resource(show_spinner=False, max_entries=8)
def _index(level: str, records_digest: str, districts_digest: str, _records_path: str, _districts_path: str):
    result = _records(records_digest, _records_path, str(seeds_path()))
    layer = _districts(districts_digest, _districts_path)
    evidence, unresolved = evidence_for_level(level, result.records, layer)
    ids = list(layer.names()) if level == "district" and layer is not None else list(provinces()[0]["area_id"])
    return control.StateIndex(result.records, evidence, ids), evidence, unresolved


@st.cache_data(show_spinner="Working out the change log…", max_entries=64)
def _history(level: str, records_digest: str, districts_digest: str, area_id: str, _records_path: str,
             _districts_path: str):
    result = _records(records_digest, _records_path, str(seeds_path()))
    evidence = _index(level, records_digest, districts_digest, _records_path, _districts_path)[1]
    return control.area_history(result.records, evidence, area_id)


def area_history(level: str, area_id: str):
    """An area's change log: it does not depend on the date, so it is worked out once per area."""
    path, dpath = records_path(), districts_path()
    return _history(level, fingerprint(path), fingerprint(dpath), area_id, str(path), str(dpath))


def state_index(level: str):
    """(StateIndex, evidence, unresolved records) for a level, built once per content of the files."""
    path, dpath = records_path(), districts_path()
    return _index(level, fingerprint(path), fingerprint(dpath), str(path), str(dpath))


def clear_caches() -> None:
    _digest.clear()
    _records.clear()
    _districts.clear()
    _index.clear()
    _history.clear()
    _district_geometry.clear()


def parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
