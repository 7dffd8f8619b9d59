"""Administrative boundary layers: the embedded provinces and imported district layers.

Geometry is read once and kept apart from styles, so a new date only recomputes colours.
"""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd

ROOT = Path(__file__).resolve().parents[1]
BOUNDARY_DIR = ROOT / "data" / "boundaries"
PROVINCES_FILE = BOUNDARY_DIR / "provinces.geojson"


def load_provinces(path: Path = PROVINCES_FILE) -> gpd.GeoDataFrame:
    """The 34 provinces: `area_id` (ISO 3166-2), `name`, `capital`, geometry in EPSG:4326."""
    gdf = gpd.read_file(path)
    gdf = gdf.set_crs(4326, allow_override=True)
    return gdf[["area_id", "name", "capital", "geometry"]].sort_values("area_id").reset_index(drop=True)


def to_geojson(gdf: gpd.GeoDataFrame, properties: tuple[str, ...] = ("area_id", "name")) -> dict:
    """A plain GeoJSON dict with the area id as feature id (what the map layer keys styles on)."""
    features = []
    for row in gdf.itertuples(index=False):
        geom = row.geometry.__geo_interface__
        props = {p: getattr(row, p) for p in properties}
        features.append({"type": "Feature", "id": props["area_id"], "properties": props, "geometry": geom})
    return {"type": "FeatureCollection", "features": features}


def geojson_size(gdf: gpd.GeoDataFrame) -> int:
    return len(json.dumps(to_geojson(gdf), separators=(",", ":")))
