"""The UI edge: Streamlit caching around the pure loaders in geo/ (no computation of its own)."""
from __future__ import annotations

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


def records_path() -> Path:
    return Path(os.environ.get(RECORDS_ENV) or records.RECORDS_FILE)


def districts_path() -> Path:
    return Path(os.environ.get(DISTRICTS_ENV) or boundaries.DISTRICTS_FILE)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0.0


@st.cache_resource(show_spinner=False)
def leaflet_urls() -> dict[str, str]:
    return ensure_leaflet()


@st.cache_resource(show_spinner=False)
def provinces():
    """(provinces GeoDataFrame, URL of their geometry served as a static file)."""
    gdf = boundaries.load_provinces()
    return gdf, publish_geojson(display_geometry(boundaries.to_geojson(gdf)), "provinces")


@st.cache_data(show_spinner=False)
def _records(path: str, mtime: float) -> records.LoadResult:
    return records.load_records(Path(path))


def load_records() -> records.LoadResult:
    path = records_path()
    return _records(str(path), _mtime(path))


@st.cache_resource(show_spinner=False)
def _districts(path: str, mtime: float) -> DistrictLayer | None:
    try:
        return load_district_layer(Path(path))
    except boundaries.BoundaryImportError as exc:
        st.error(f"The imported district layer cannot be read, so the map stays at province level: {exc}")
        return None


def districts() -> DistrictLayer | None:
    path = districts_path()
    return _districts(str(path), _mtime(path))


@st.cache_resource(show_spinner=False)
def _district_geometry(path: str, mtime: float) -> str | None:
    layer = _districts(path, mtime)
    return None if layer is None else publish_geojson(display_geometry(layer.geojson), "districts")


def district_geometry_url() -> str | None:
    path = districts_path()
    return _district_geometry(str(path), _mtime(path))


@st.cache_resource(show_spinner=False, max_entries=4)
def _index(level: str, records_key: tuple[str, float], districts_key: tuple[str, float]):
    result = _records(*records_key)
    layer = _districts(*districts_key)
    evidence, unresolved = evidence_for_level(level, result.records, layer)
    ids = list(layer.names()) if level == "district" and layer is not None else list(provinces()[0]["area_id"])
    return control.StateIndex(result.records, evidence, ids), evidence, unresolved


def state_index(level: str):
    """(StateIndex, evidence, unresolved records) for a level, rebuilt only when a file changes."""
    path = records_path()
    dpath = districts_path()
    return _index(level, (str(path), _mtime(path)), (str(dpath), _mtime(dpath)))


def clear_caches() -> None:
    _records.clear()
    _districts.clear()
    _index.clear()
    _district_geometry.clear()


def parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
