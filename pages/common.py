"""The UI edge: Streamlit caching around the pure loaders in geo/ (no computation of its own)."""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import streamlit as st

from geo import boundaries, control, records
from geo.assets import ensure_leaflet
from geo.districts import DistrictLayer, load_district_layer

RECORDS_ENV = "CLAIMS_RECORDS"  # path of an alternative records file (tests, other conflicts)


def records_path() -> Path:
    return Path(os.environ.get(RECORDS_ENV) or records.RECORDS_FILE)


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
    gdf = boundaries.load_provinces()
    return gdf, boundaries.to_geojson(gdf)


@st.cache_data(show_spinner=False)
def _records(path: str, mtime: float) -> records.LoadResult:
    return records.load_records(Path(path))


def load_records() -> records.LoadResult:
    path = records_path()
    return _records(str(path), _mtime(path))


@st.cache_resource(show_spinner=False)
def _districts(mtime: float) -> DistrictLayer | None:
    return load_district_layer()


def districts() -> DistrictLayer | None:
    return _districts(_mtime(boundaries.DISTRICTS_FILE))


def clear_caches() -> None:
    _records.clear()
    _districts.clear()


def parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def evidence_for(level: str, result: records.LoadResult, layer: DistrictLayer | None):
    """Evidence table and unresolved records for the chosen level (cheap; not cached)."""
    if level == "district" and layer is not None:
        return layer.evidence(result.records)
    return control.province_evidence(result.records), result.records.iloc[0:0]
