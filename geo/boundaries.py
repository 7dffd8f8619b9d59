"""Administrative boundary layers: the embedded provinces and imported district layers.

Geometry is read once and kept apart from styles, so a new date only recomputes colours.

District layers are not shipped with the app (no package carries them); the user imports one
(geoBoundaries, OCHA COD-AB, GADM, or any layer with a name field) from a file or a URL:

    python -m geo.boundaries import PATH_OR_URL [--name-field F] [--code-field F]
                                               [--province-field F] [--dest DIR]

The importer detects the fields, reprojects to EPSG:4326, repairs geometry, gives every district
exactly one province (from the province field, else by the largest overlap with the embedded
provinces), marks the provincial capital districts, and writes a simplified display copy plus a
JSON report into `data/boundaries/user/` atomically: a failed import leaves that folder untouched.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import sys
import tempfile
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.gazetteer import PROVINCE_BY_ID, district_aliases, name_key, resolve_province

ROOT = Path(__file__).resolve().parents[1]
BOUNDARY_DIR = ROOT / "data" / "boundaries"
PROVINCES_FILE = BOUNDARY_DIR / "provinces.geojson"
USER_BOUNDARY_DIR = BOUNDARY_DIR / "user"  # git-ignored: imported layers may not be redistributable
DISTRICTS_FILE = USER_BOUNDARY_DIR / "districts.geojson"
DISTRICTS_REPORT = USER_BOUNDARY_DIR / "districts.report.json"

DISTRICT_COLUMNS = ("area_id", "name", "province_id", "province_name", "is_capital")

# Afghanistan's extent (lon/lat), used to recognise a layer that is elsewhere or mis-projected.
AFGHANISTAN_BBOX = (60.4, 29.3, 75.1, 38.6)
EQUAL_AREA_CRS = "EPSG:6933"  # overlaps are compared as areas, so measure them in an equal-area CRS
# A feature counts as outside Afghanistan when less than this share of it lies in the embedded
# provinces *and* its representative point is further than OUTSIDE_DISTANCE_M from them (the
# embedded provinces are coarse, so border districts never lie fully inside them).
OUTSIDE_MIN_OVERLAP = 0.5
OUTSIDE_DISTANCE_M = 5_000.0
# Display copy: coverage simplification (degrees, ~300 m) then a grid of 1e-4 degrees (~10 m).
SIMPLIFY_TOLERANCE = 0.003
COORD_DECIMALS = 4
MAX_DOWNLOAD_BYTES = 500 * 1024 * 1024
DOWNLOAD_TIMEOUT_S = 60

# Field names of common district layers, best first.  Detection is case-insensitive; the first
# schema whose name field exists decides, and its code/province fields are preferred.
SCHEMAS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = (
    ("geoBoundaries", ("shapeName",), ("shapeID",), ()),
    (
        "OCHA COD-AB",
        ("ADM2_EN", "ADM2_NAME", "ADM2NAME"),
        ("ADM2_PCODE", "ADM2PCODE"),
        ("ADM1_EN", "ADM1_NAME", "ADM1NAME"),
    ),
    ("GADM", ("NAME_2",), ("GID_2", "HASC_2"), ("NAME_1",)),
    (
        "plain",
        ("NAME", "DISTRICT", "DIST_NAME", "DISTNAME", "DISTRICT_N", "NAME_EN", "DIST_NA_EN"),
        ("HASC_2", "DIST_CODE", "DISTCODE", "DIST_ID", "PCODE", "CODE", "GID_2"),
        ("PROVINCE", "PROV_NAME", "PROVNAME", "PROV_NA_EN", "PROVINCE_N", "PROV"),
    ),
)


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


# --- district layer import -----------------------------------------------------------------------


class BoundaryImportError(Exception):
    """A district layer could not be imported; the message names the file and the reason."""


@dataclass
class ImportReport:
    source: str
    n_read: int = 0
    n_written: int = 0
    name_field: str = ""
    code_field: str | None = None
    province_field: str | None = None
    crs_in: str = ""
    n_province_by_field: int = 0
    n_province_spatial: int = 0
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (original, normalised) names
    repaired: int = 0  # invalid geometries made valid
    problems: list[str] = field(default_factory=list)
    # Extras beyond the brief, for the UI and the report file.
    schema: str = ""  # which known schema the fields matched ("explicit" when all were given)
    ids_from_code: bool = False  # area_id = code field; otherwise "<province_id>:<name key>"
    n_capitals: int = 0  # provinces whose capital district was identified
    output_bytes: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        fields = f"name field “{self.name_field}”"
        if self.code_field:
            fields += f", code field “{self.code_field}”"
            if not self.ids_from_code:
                fields += " (not unique, so ids are built from province and name)"
        fields += (
            f", province field “{self.province_field}”" if self.province_field else ", no province field"
        )
        text = (
            f"Imported {self.n_written} districts from {self.source} ({self.n_read} features read; "
            f"{fields}; source CRS {self.crs_in or 'unknown'}). "
            f"Provinces: {self.n_province_by_field} from the province field, "
            f"{self.n_province_spatial} by overlap with the province map. "
            f"Capital districts found for {self.n_capitals} of 34 provinces. "
            f"{self.repaired} invalid geometr{'y' if self.repaired == 1 else 'ies'} repaired, "
            f"{len(self.renamed)} name{'' if len(self.renamed) == 1 else 's'} normalised"
        )
        if self.output_bytes:
            text += f"; display copy {self.output_bytes / 1024:.0f} KiB"
        text += "."
        if self.problems:
            text += " Notes: " + " ".join(p if p.endswith(".") else p + "." for p in self.problems)
        return text


def load_districts(path: Path = DISTRICTS_FILE) -> gpd.GeoDataFrame | None:
    """The imported district layer (columns `DISTRICT_COLUMNS` + geometry, EPSG:4326), or None
    when no layer has been imported yet.  A damaged file raises BoundaryImportError."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # noqa: BLE001 - any reader failure means the cached copy is unusable
        raise BoundaryImportError(
            f"{path}: the imported district layer cannot be read ({exc}); import it again"
        ) from exc
    missing = [c for c in DISTRICT_COLUMNS if c not in gdf.columns]
    if missing:
        raise BoundaryImportError(
            f"{path}: the imported district layer lacks {', '.join(missing)}; import it again"
        )
    gdf = gdf.set_crs(4326, allow_override=True)
    gdf["is_capital"] = gdf["is_capital"].fillna(False).astype(bool)
    for col in ("area_id", "name", "province_id", "province_name"):
        gdf[col] = gdf[col].astype(str)
    return gdf[[*DISTRICT_COLUMNS, "geometry"]].reset_index(drop=True)


def import_district_layer(
    source: str | Path,
    *,
    dest_dir: Path = USER_BOUNDARY_DIR,
    name_field: str | None = None,
    code_field: str | None = None,
    province_field: str | None = None,
    layer: str | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> ImportReport:
    """Import a district layer from a file (GeoJSON, Shapefile, zipped Shapefile, GeoPackage) or
    an http(s) URL into `dest_dir` (districts.geojson + districts.report.json).

    `layer` picks a layer of a multi-layer GeoPackage or a member of a zip with several layers.
    Raises BoundaryImportError (nothing in dest_dir changed) when the layer cannot be used.
    """
    started = time.perf_counter()
    say = progress or (lambda _f, _m: None)
    dest_dir = Path(dest_dir)
    with tempfile.TemporaryDirectory(prefix="district-import-") as work:
        say(0.0, "opening the source")
        path, display = _fetch(source, Path(work), say)
        report = ImportReport(source=display)
        say(0.15, "reading the layer")
        gdf = _read_layer(path, display, layer)
        report.n_read = len(gdf)
        say(0.3, "checking geometry and coordinate system")
        gdf = _clean_geometry(gdf, display, report)
        say(0.45, "checking that the layer covers Afghanistan")
        provinces = load_provinces()
        gdf, overlap = _keep_afghan(gdf, provinces, display, report)
        say(0.55, "detecting fields")
        fields = _detect_fields(gdf, display, name_field, code_field, province_field, report)
        say(0.6, "assigning provinces")
        districts = _build_districts(gdf, fields, overlap, provinces, report)
        say(0.75, "simplifying the display copy")
        districts = _display_geometry(districts, report)
        say(0.9, "writing the district layer")
        payload = _feature_collection(districts, report)
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        report.output_bytes = len(data)
        report.seconds = round(time.perf_counter() - started, 3)
        report_data = json.dumps(
            {
                **asdict(report),
                "written_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "summary": report.summary(),
            },
            ensure_ascii=False,
            indent=2,
        ).encode("utf-8")
        _write_atomically(
            dest_dir, {dest_dir / DISTRICTS_FILE.name: data, dest_dir / DISTRICTS_REPORT.name: report_data}
        )
    say(1.0, f"imported {report.n_written} districts")
    return report


# --- stages ----------------------------------------------------------------------------------


def _fetch(source: str | Path, work: Path, say: Callable[[float, str], None]) -> tuple[Path, str]:
    """A local path to read, and the name to show for the source."""
    text = str(source)
    if "://" in text:
        scheme = urllib.parse.urlsplit(text).scheme.lower()
        if scheme not in ("http", "https"):
            raise BoundaryImportError(
                f"{text}: only http:// and https:// URLs can be imported (got “{scheme}://”); "
                "for a local file give its path"
            )
        path = _download(text, work, say, 0.02, 0.06)
        # geoBoundaries' API answers with metadata that points at the GeoJSON: follow it once.
        follow = _geoboundaries_link(path)
        if follow:
            path = _download(follow, work, say, 0.08, 0.06)
        return path, text
    path = Path(text).expanduser()
    if not path.exists():
        raise BoundaryImportError(f"{path}: file not found")
    if path.is_dir():
        raise BoundaryImportError(f"{path}: is a folder; give the .shp, .geojson, .gpkg or .zip file")
    return path, str(path)


def _download(url: str, work: Path, say: Callable[[float, str], None], start: float, span: float) -> Path:
    request = urllib.request.Request(url, headers={"User-Agent": "afghan-control-map/1 (district importer)"})
    say(start, f"downloading {url}")
    try:
        with urllib.request.urlopen(
            request, timeout=DOWNLOAD_TIMEOUT_S
        ) as response:  # noqa: S310 - scheme checked
            total = int(response.headers.get("Content-Length") or 0)
            target = work / f"download-{uuid.uuid4().hex}"
            done = 0
            with open(target, "wb") as out:
                while chunk := response.read(1 << 20):
                    done += len(chunk)
                    if done > MAX_DOWNLOAD_BYTES:
                        raise BoundaryImportError(
                            f"{url}: download larger than {MAX_DOWNLOAD_BYTES >> 20} MiB; stopped"
                        )
                    out.write(chunk)
                    if total:
                        say(
                            start + span * min(done / total, 1.0),
                            f"downloading ({done >> 10} of {total >> 10} KiB)",
                        )
            suffix = _suffix_for(url, response.headers.get("Content-Type", ""), target)
    except BoundaryImportError:
        raise
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise BoundaryImportError(f"{url}: download failed ({reason})") from exc
    if done == 0:
        raise BoundaryImportError(f"{url}: the download is empty")
    return target.rename(target.with_suffix(suffix))


def _suffix_for(url: str, content_type: str, path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(64)
    if head.startswith(b"PK\x03\x04"):
        return ".zip"
    if head.startswith(b"SQLite format 3"):
        return ".gpkg"
    url_suffix = Path(urllib.parse.urlsplit(url).path).suffix.lower()
    if url_suffix in (".geojson", ".json", ".gpkg", ".zip", ".shp"):
        return ".geojson" if url_suffix == ".json" else url_suffix
    if "json" in content_type or head.lstrip()[:1] in (b"{", b"["):
        return ".geojson"
    return url_suffix or ".dat"


def _geoboundaries_link(path: Path) -> str | None:
    if path.suffix != ".geojson" or path.stat().st_size > 1_000_000:
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(meta, list) and len(meta) == 1:
        meta = meta[0]
    if isinstance(meta, dict) and "type" not in meta:
        link = meta.get("gjDownloadURL")
        if isinstance(link, str) and link.lower().startswith(("http://", "https://")):
            return link
    return None


_LAYER_SUFFIXES = (".shp", ".geojson", ".json", ".gpkg")
# Which of several layers is the district one: "adm2", "ADM_ADM_2", "district", or GADM's "*_2.shp".
_DISTRICT_MEMBER = r"adm(in)?_?2|district|_2\.(shp|geojson|json|gpkg)$"


def _read_layer(path: Path, display: str, layer: str | None) -> gpd.GeoDataFrame:
    import pyogrio

    target = str(path)
    if path.suffix.lower() == ".zip" or (path.suffix.lower() != ".gpkg" and zipfile.is_zipfile(path)):
        target, used = _zip_member(path, display, layer)
        layer = None if used else layer
    try:
        layer = _pick_layer(pyogrio.list_layers(target), display, layer)
        gdf = pyogrio.read_dataframe(target, layer=layer)
    except BoundaryImportError:
        raise
    except Exception as exc:  # noqa: BLE001 - GDAL reports corrupt files in many ways
        raise BoundaryImportError(
            f"{display}: cannot be read as a GeoJSON, Shapefile (.shp or zipped) or GeoPackage "
            f"— the file is corrupt or in another format ({_short(exc)})"
        ) from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or len(gdf) == 0:
        raise BoundaryImportError(f"{display}: the layer is empty (no features)")
    return gdf


def _zip_member(path: Path, display: str, wanted: str | None) -> tuple[str, bool]:
    """The GDAL path of the layer file inside a zip, and whether `wanted` named that member."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if not n.startswith("__MACOSX") and not n.endswith("/")]
    except (zipfile.BadZipFile, OSError) as exc:
        raise BoundaryImportError(f"{display}: not a readable zip archive ({_short(exc)})") from exc
    members = [n for n in names if n.lower().endswith(_LAYER_SUFFIXES)]
    if not members:
        raise BoundaryImportError(
            f"{display}: the zip holds no .shp, .geojson or .gpkg file (it holds: {', '.join(names[:10]) or 'nothing'})"
        )
    used = False
    if wanted:
        chosen = [m for m in members if m == wanted or Path(m).name == wanted or Path(m).stem == wanted]
        used = bool(chosen)
    if not used:
        if len(members) == 1:
            chosen = members
        else:
            chosen = [m for m in members if re.search(_DISTRICT_MEMBER, m, re.I)]
    if len(chosen) != 1:
        raise BoundaryImportError(
            f"{display}: the zip holds several layers ({', '.join(members)}); "
            "choose one with layer=... (CLI: --layer NAME)"
        )
    return f"/vsizip/{path.resolve()}/{chosen[0]}", used


def _pick_layer(layers: np.ndarray, display: str, wanted: str | None) -> str | None:
    names = [str(row[0]) for row in layers]
    if wanted:
        if wanted not in names:
            raise BoundaryImportError(f"{display}: no layer “{wanted}” (layers: {', '.join(names)})")
        return wanted
    if len(names) <= 1:
        return None
    polygonal = [str(row[0]) for row in layers if "polygon" in str(row[1]).lower()]
    if len(polygonal) == 1:
        return polygonal[0]
    district = [n for n in (polygonal or names) if re.search(_DISTRICT_MEMBER, n, re.I)]
    if len(district) == 1:
        return district[0]
    raise BoundaryImportError(
        f"{display}: the file holds several layers ({', '.join(names)}); choose one with layer=... (CLI: --layer NAME)"
    )


def _polygonal(geom: shapely.Geometry | None) -> shapely.Geometry | None:
    """The polygonal part of a geometry (a Polygon or MultiPolygon), or None."""
    if geom is None or geom.is_empty:
        return None
    kind = geom.geom_type
    if kind in ("Polygon", "MultiPolygon"):
        return geom
    if kind == "GeometryCollection":
        polys = [p for part in shapely.get_parts(geom) if (p := _polygonal(part)) is not None]
        if not polys:
            return None
        parts = [q for p in polys for q in shapely.get_parts(p)]
        return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
    return None


def _clean_geometry(gdf: gpd.GeoDataFrame, display: str, report: ImportReport) -> gpd.GeoDataFrame:
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    kinds = pd.Series(shapely.get_type_id(geoms[present])).map(
        {
            0: "Point",
            1: "LineString",
            2: "LinearRing",
            3: "Polygon",
            4: "MultiPoint",
            5: "MultiLineString",
            6: "MultiPolygon",
            7: "GeometryCollection",
        }
    )
    if not kinds.isin(["Polygon", "MultiPolygon", "GeometryCollection"]).any():
        found = ", ".join(f"{n} {k} feature{'' if n == 1 else 's'}" for k, n in kinds.value_counts().items())
        found = found or "no geometry at all"
        raise BoundaryImportError(
            f"{display}: has no polygons (found {found}); a district layer needs Polygon or MultiPolygon features"
        )
    if (~present).any():
        report.problems.append(f"{int((~present).sum())} feature(s) without geometry skipped")
    gdf = gdf[present].copy()

    # Coordinate system: everything is stored in EPSG:4326.
    if gdf.crs is None:
        minx, miny, maxx, maxy = gdf.total_bounds
        if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
            report.crs_in = "none (assumed EPSG:4326)"
            report.problems.append(
                "the layer has no coordinate system; longitude/latitude (EPSG:4326) assumed"
            )
            gdf = gdf.set_crs(4326)
        else:
            raise BoundaryImportError(
                f"{display}: the layer has no coordinate system and its coordinates "
                f"({minx:.0f}…{maxx:.0f}, {miny:.0f}…{maxy:.0f}) are not longitude/latitude; "
                "add the .prj file (Shapefile) or save it with its CRS"
            )
    else:
        epsg = gdf.crs.to_epsg()
        report.crs_in = f"EPSG:{epsg}" if epsg else gdf.crs.to_string()
        if epsg != 4326:
            try:
                gdf = gdf.to_crs(4326)
            except Exception as exc:  # noqa: BLE001
                raise BoundaryImportError(
                    f"{display}: cannot reproject from {report.crs_in} ({_short(exc)})"
                ) from exc

    geoms = np.asarray(gdf.geometry.array, dtype=object)
    finite = np.array([np.isfinite(shapely.get_coordinates(g)).all() for g in geoms], dtype=bool)
    invalid = ~shapely.is_valid(geoms)
    report.repaired = int((invalid & finite).sum())
    if invalid.any():
        geoms = geoms.copy()
        geoms[invalid & finite] = shapely.make_valid(geoms[invalid & finite])
    kept = np.array([_polygonal(g) if ok else None for g, ok in zip(geoms, finite)], dtype=object)
    has_poly = np.array([g is not None for g in kept], dtype=bool)
    if not has_poly.any():
        raise BoundaryImportError(f"{display}: has no usable polygons after repair")
    if (~has_poly).any():
        report.problems.append(
            f"{int((~has_poly).sum())} feature(s) without polygons (points, lines) skipped"
        )
    gdf = gdf[has_poly].copy()
    gdf = gdf.set_geometry(gpd.GeoSeries(kept[has_poly], index=gdf.index, crs=4326))
    return gdf


def _keep_afghan(
    gdf: gpd.GeoDataFrame, provinces: gpd.GeoDataFrame, display: str, report: ImportReport
) -> tuple[gpd.GeoDataFrame, dict[str, np.ndarray]]:
    """Drop features outside Afghanistan (error when that is all of them), and measure each
    feature's overlap with every embedded province (for the spatial province assignment)."""
    minx, miny, maxx, maxy = gdf.total_bounds
    ax0, ay0, ax1, ay1 = AFGHANISTAN_BBOX
    where = f"its features lie at {minx:.2f}…{maxx:.2f}°E, {miny:.2f}…{maxy:.2f}°N"
    if maxx < ax0 or minx > ax1 or maxy < ay0 or miny > ay1:
        raise BoundaryImportError(
            f"{display}: does not look like Afghanistan — {where}, outside Afghanistan "
            f"({ax0}–{ax1}°E, {ay0}–{ay1}°N). If it is a projected file, check its coordinate system (.prj)"
        )
    overlap = _province_overlap(gdf.geometry, provinces)
    outside = (overlap["fraction"] < OUTSIDE_MIN_OVERLAP) & (overlap["distance"] > OUTSIDE_DISTANCE_M)
    if outside.all():
        raise BoundaryImportError(
            f"{display}: does not look like Afghanistan — none of its {len(gdf)} features overlaps "
            f"Afghanistan's provinces ({where})"
        )
    if outside.any():
        report.problems.append(f"{int(outside.sum())} feature(s) outside Afghanistan skipped")
        gdf = gdf[~outside].copy()
        overlap = {k: v[~outside] for k, v in overlap.items()}
    return gdf, overlap


def _province_overlap(geoms: gpd.GeoSeries, provinces: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
    """Per feature: index of the province it overlaps most (`best`, -1 if none), the share of its
    area inside the provinces (`fraction`), and its representative point's distance to the
    nearest province in metres (`distance`, 0 inside) with that province (`nearest`)."""
    d = np.asarray(geoms.to_crs(EQUAL_AREA_CRS).array, dtype=object)
    p = np.asarray(provinces.geometry.to_crs(EQUAL_AREA_CRS).array, dtype=object)
    bad = ~shapely.is_valid(d)
    if bad.any():
        d = d.copy()
        d[bad] = shapely.make_valid(d[bad])
    tree = shapely.STRtree(p)
    di, pi = tree.query(d, predicate="intersects")
    areas = shapely.area(shapely.intersection(d[di], p[pi])) if len(di) else np.zeros(0)
    n = len(d)
    covered = np.zeros(n)
    np.add.at(covered, di, areas)
    best = np.full(n, -1)
    best_area = np.zeros(n)
    for i, j, a in zip(di, pi, areas):
        if a > best_area[i]:
            best_area[i], best[i] = a, j
    total = shapely.area(d)
    fraction = np.divide(covered, total, out=np.zeros(n), where=total > 0)
    points = shapely.point_on_surface(d)
    (pt_i, nearest_j), dist = tree.query_nearest(points, return_distance=True, all_matches=False)
    nearest = np.full(n, -1)
    distance = np.full(n, np.inf)
    nearest[pt_i], distance[pt_i] = nearest_j, dist
    return {"best": best, "fraction": fraction, "distance": distance, "nearest": nearest}


def _find_field(columns: list[str], wanted: str) -> str | None:
    if wanted in columns:
        return wanted
    folded = {c.casefold(): c for c in columns}
    return folded.get(wanted.casefold())


def _detect_fields(
    gdf: gpd.GeoDataFrame,
    display: str,
    name_field: str | None,
    code_field: str | None,
    province_field: str | None,
    report: ImportReport,
) -> dict[str, str | None]:
    columns = [c for c in gdf.columns if c != gdf.geometry.name]

    def available() -> str:
        shown = []
        for c in columns:
            sample = next((v for v in gdf[c] if v is not None and str(v).strip() and str(v) != "nan"), None)
            shown.append(f"{c} (e.g. {str(sample)[:30]!r})" if sample is not None else c)
        return ", ".join(shown) or "none"

    how = (
        "Name them explicitly: name_field=, code_field=, province_field= "
        "(CLI: --name-field, --code-field, --province-field)"
    )
    explicit = {"name": name_field, "code": code_field, "province": province_field}
    resolved: dict[str, str | None] = {}
    for role, wanted in explicit.items():
        if wanted:
            found = _find_field(columns, wanted)
            if found is None:
                raise BoundaryImportError(
                    f"{display}: has no field “{wanted}” (given as the {role} field). "
                    f"Available fields: {available()}. {how}"
                )
            resolved[role] = found

    schema = "explicit" if name_field else ""
    if not name_field:
        for label, names, _codes, _provs in SCHEMAS:
            found = next((f for n in names if (f := _find_field(columns, n))), None)
            if found:
                resolved["name"], schema = found, label
                break
        else:
            raise BoundaryImportError(
                f"{display}: no district name field found (looked for "
                f"{', '.join(n for s in SCHEMAS for n in s[1])}). Available fields: {available()}. {how}"
            )
    order = sorted(SCHEMAS, key=lambda s: s[0] != schema)  # the matched schema's fields first
    for role, idx in (("code", 2), ("province", 3)):
        if role not in resolved:
            resolved[role] = next(
                (
                    f
                    for s in order
                    for n in s[idx]
                    if (f := _find_field(columns, n)) and f != resolved["name"]
                ),
                None,
            )
    report.schema = schema
    report.name_field = resolved["name"]
    report.code_field = resolved["code"]
    report.province_field = resolved["province"]
    return resolved


def _clean_name(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = unicodedata.normalize("NFC", str(value))
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in " \t")
    text = re.sub(r"\s+", " ", text).strip()
    return text or None


def _clean_code(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _build_districts(
    gdf: gpd.GeoDataFrame,
    fields: dict[str, str | None],
    overlap: dict[str, np.ndarray],
    provinces: gpd.GeoDataFrame,
    report: ImportReport,
) -> gpd.GeoDataFrame:
    province_ids = provinces["area_id"].to_numpy()
    n = len(gdf)

    # Names, as in the layer (whitespace and Unicode form normalised; each change reported).
    names: list[str] = []
    unnamed = 0
    for i, raw in enumerate(gdf[fields["name"]].tolist()):
        clean = _clean_name(raw)
        if clean is None:
            unnamed += 1
            clean = f"Unnamed {i + 1}"
        elif clean != str(raw):
            report.renamed.append((str(raw), clean))
        names.append(clean)
    if unnamed:
        report.problems.append(
            f"{unnamed} feature(s) without a name in “{fields['name']}” were called “Unnamed N”"
        )
    codes = [_clean_code(v) for v in gdf[fields["code"]].tolist()] if fields["code"] else [None] * n

    # Province: from the field when it resolves, else spatially.
    spatial = np.where(overlap["best"] >= 0, overlap["best"], overlap["nearest"])
    spatial_ids = province_ids[spatial]
    by_field = np.full(n, None, dtype=object)
    if fields["province"]:
        unresolved: dict[str, int] = {}
        for i, raw in enumerate(gdf[fields["province"]].tolist()):
            pid = resolve_province(_clean_name(raw))
            if pid is None:
                key = str(raw)
                unresolved[key] = unresolved.get(key, 0) + 1
            by_field[i] = pid
        if unresolved:
            shown = ", ".join(f"“{k}”" for k in list(unresolved)[:5]) + (" …" if len(unresolved) > 5 else "")
            report.problems.append(
                f"{sum(unresolved.values())} province value(s) in “{fields['province']}” not recognised "
                f"({shown}); those districts were placed by overlap"
            )
        known = by_field != None  # noqa: E711 - elementwise
        disagree = int((by_field[known] != spatial_ids[known]).sum())
        if known.sum() and disagree / known.sum() > 0.1:
            report.problems.append(
                f"the province field “{fields['province']}” disagrees with the geometry for {disagree} of "
                f"{int(known.sum())} districts; check that it is the right field"
            )
    method = np.where(by_field != None, "field", "spatial")  # noqa: E711
    pids = np.where(by_field != None, by_field, spatial_ids)  # noqa: E711

    table = gpd.GeoDataFrame(
        {
            "name": names,
            "code": codes,
            "province_id": pids,
            "method": method,
            "key": [name_key(nm) or nm.casefold() for nm in names],
            "area": shapely.area(np.asarray(gdf.geometry.array, dtype=object)),
        },
        geometry=list(gdf.geometry),
        crs=4326,
    )

    # Rows of one district (multi-part layers) become one feature: same code, or when codes are
    # missing, same name in the same province.
    all_codes = fields["code"] is not None and all(c is not None for c in codes)
    group = table["code"] if all_codes else table["province_id"] + ":" + table["key"]
    table["group"] = group
    if group.duplicated().any():
        dups = table[group.duplicated(keep=False)]
        table = table.sort_values("area", ascending=False, kind="stable")
        merged_geoms = table.groupby("group", sort=False).geometry.agg(lambda s: shapely.union_all(list(s)))
        table = table.drop_duplicates("group").copy()
        table = table.set_geometry(list(merged_geoms.loc[table["group"]]), crs=4326)
        sample = ", ".join(sorted(set(dups["name"]))[:5])
        report.problems.append(
            f"{len(dups)} rows describe {dups['group'].nunique()} district(s) more than once ({sample}); merged"
        )

    # Stable ids: the code when it identifies every district, else "<province id>:<name key>".
    codes_ok = fields["code"] is not None and table["code"].notna().all() and table["code"].is_unique
    report.ids_from_code = bool(codes_ok)
    table["area_id"] = table["code"] if codes_ok else table["province_id"] + ":" + table["key"]
    if not table["area_id"].is_unique:  # same name key in one province, different codes
        dup = table["area_id"].duplicated(keep=False)
        table.loc[dup, "area_id"] = (
            table.loc[dup, "area_id"] + ":" + table.loc[dup, "code"].fillna("").astype(str)
        )
        table["area_id"] = _uniquify(table["area_id"].tolist())

    table["province_name"] = [PROVINCE_BY_ID[p].name for p in table["province_id"]]
    table["is_capital"] = _capitals(table)
    report.n_capitals = int(table["is_capital"].sum())
    missing = sorted(set(PROVINCE_BY_ID) - set(table.loc[table["is_capital"], "province_id"]))
    present = set(table["province_id"])
    missing = [p for p in missing if p in present]
    if missing:
        report.problems.append(
            "no capital district recognised in "
            + ", ".join(f"{PROVINCE_BY_ID[p].name} ({PROVINCE_BY_ID[p].capital})" for p in missing)
        )
    absent = sorted(set(PROVINCE_BY_ID) - present)
    if absent:
        report.problems.append(
            f"no districts in {len(absent)} province(s): " + ", ".join(PROVINCE_BY_ID[p].name for p in absent)
        )
    if not fields["province"] and n <= 40:
        as_provinces = sum(resolve_province(nm) is not None for nm in names)
        if as_provinces >= 0.8 * n:
            report.problems.append(
                "most names are province names: this looks like a province layer, not districts"
            )
    report.n_province_by_field = int((table["method"] == "field").sum())
    report.n_province_spatial = int((table["method"] == "spatial").sum())
    table = table.sort_values(["province_id", "area_id"], kind="stable").reset_index(drop=True)
    return table[[*DISTRICT_COLUMNS, "geometry"]]


def _uniquify(ids: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i in ids:
        seen[i] = seen.get(i, 0) + 1
        out.append(i if seen[i] == 1 else f"{i}~{seen[i]}")
    return out


def _skeleton(key: str) -> str:
    """The consonants of a name key: Afghan transliterations differ mostly in vowels."""
    return re.sub(r"[aeiouy]", "", key)


def _name_keys(name: str) -> set[str]:
    keys = {name_key(name), *(name_key(a) for a in district_aliases(name))}
    bare = re.sub(r"\([^)]*\)", " ", name)  # "Khost (Matun)" → "Khost"
    if bare != name:
        keys.add(name_key(bare))
    return {k for k in keys if k}


def _capitals(table: gpd.GeoDataFrame) -> list[bool]:
    """Mark at most one capital district per province: its name (or a known alias) is the
    capital's; failing that, the only district whose name has the capital's consonants, or the
    only near-identical spelling (Shibirghan/Sheberghan, Chaharikar/Charikar)."""
    flags = [False] * len(table)
    by_province: dict[str, list[int]] = {}
    for pos, pid in enumerate(table["province_id"]):
        by_province.setdefault(pid, []).append(pos)
    names = table["name"].tolist()
    for pid, positions in by_province.items():
        prov = PROVINCE_BY_ID[pid]
        target = _name_keys(prov.capital)
        if name_key(prov.capital) == name_key(prov.name):  # Herat in Herat: "Hirat City" counts
            target |= {name_key(a) for a in prov.aliases if name_key(a)}
        keys = {pos: _name_keys(names[pos]) for pos in positions}
        tiers = (
            lambda ks: bool(ks & target),
            lambda ks: bool({_skeleton(k) for k in ks} & {_skeleton(t) for t in target}),
            lambda ks: any(difflib.SequenceMatcher(None, k, t).ratio() >= 0.85 for k in ks for t in target),
        )
        for matches in tiers:
            hits = [pos for pos in positions if matches(keys[pos])]
            if len(hits) == 1:
                flags[hits[0]] = True
                break
            if len(hits) > 1:  # ambiguous: prefer a district named exactly like the capital
                exact = [pos for pos in hits if name_key(names[pos]) == name_key(prov.capital)]
                if len(exact) == 1:
                    flags[exact[0]] = True
                break
    return flags


def _display_geometry(table: gpd.GeoDataFrame, report: ImportReport) -> gpd.GeoDataFrame:
    """Simplify as one coverage (shared borders stay shared), snap to the output grid, keep valid."""
    geoms = np.asarray(table.geometry.array, dtype=object)
    grid = 10.0**-COORD_DECIMALS
    # coverage_simplify also copes with small gaps/overlaps between districts (the borders then
    # stay as (mis)aligned as in the source); any result that comes out invalid or empty is
    # replaced by that district simplified on its own.
    try:
        simple = shapely.coverage_simplify(geoms, SIMPLIFY_TOLERANCE)
    except Exception:  # noqa: BLE001 - GEOS < 3.12, or a coverage it cannot handle
        simple = np.full(len(geoms), None, dtype=object)
    out = np.empty(len(geoms), dtype=object)
    for i, (orig, simp) in enumerate(zip(geoms, simple)):
        if simp is None or simp.is_empty or not simp.is_valid:
            simp = shapely.simplify(orig, SIMPLIFY_TOLERANCE / 2, preserve_topology=True)
        out[i] = _snap(simp, grid) or _snap(orig, grid) or orig
    table = table.copy()
    table = table.set_geometry(list(out), crs=4326)
    report.n_written = len(table)
    return table


def _snap(geom: shapely.Geometry | None, grid: float) -> shapely.Geometry | None:
    """Geometry on the output grid with decimal-exact coordinates; None if it collapses."""
    if geom is None or geom.is_empty:
        return None
    snapped = _polygonal(shapely.set_precision(geom, grid))
    if snapped is None:
        return None
    snapped = shapely.transform(snapped, lambda c: np.round(c, COORD_DECIMALS))
    if not snapped.is_valid:
        snapped = _polygonal(shapely.make_valid(snapped))
    return snapped


def _feature_collection(table: gpd.GeoDataFrame, report: ImportReport) -> dict:
    features = []
    for row in table.itertuples(index=False):
        props = {
            "area_id": str(row.area_id),
            "name": str(row.name),
            "province_id": str(row.province_id),
            "province_name": str(row.province_name),
            "is_capital": bool(row.is_capital),
        }
        geometry = json.loads(shapely.to_geojson(row.geometry))
        features.append(
            {"type": "Feature", "id": props["area_id"], "properties": props, "geometry": geometry}
        )
    return {"type": "FeatureCollection", "name": "districts", "source": report.source, "features": features}


def _write_atomically(dest_dir: Path, files: dict[Path, bytes]) -> None:
    """Write every file or none: temp files in dest_dir, then os.replace; on a failure part-way,
    the files already replaced are restored from hard-link (or copy) backups."""
    created = not dest_dir.exists()
    dest_dir.mkdir(parents=True, exist_ok=True)
    temps: dict[Path, Path] = {}
    backups: dict[Path, Path | None] = {}
    replaced: list[Path] = []
    try:
        for target, data in files.items():
            fd, tmp = tempfile.mkstemp(dir=dest_dir, prefix=f".{target.name}.", suffix=".tmp")
            temps[target] = Path(tmp)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            # mkstemp makes 0600 files; keep the old file's mode, or the usual 0644
            os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists() else 0o644)
        for target in files:
            if target.exists():
                backup = dest_dir / f".{target.name}.{uuid.uuid4().hex}.bak"
                try:
                    os.link(target, backup)
                except OSError:
                    shutil.copy2(target, backup)
                backups[target] = backup
            else:
                backups[target] = None
        for target in files:
            os.replace(temps[target], target)
            replaced.append(target)
    except BaseException:
        for target in reversed(replaced):
            try:
                backup = backups.get(target)
                if backup is not None:
                    os.replace(backup, target)
                else:
                    target.unlink(missing_ok=True)
            except OSError:
                pass
        raise
    finally:
        for path in [*temps.values(), *(b for b in backups.values() if b is not None)]:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass
        if created and not any(dest_dir.iterdir()):
            dest_dir.rmdir()
    try:  # make the renames durable (POSIX); harmless where directories cannot be opened
        fd = os.open(dest_dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def _short(exc: BaseException) -> str:
    text = str(exc).split("; It might help", 1)[0].strip()
    return (text[:200] + "…") if len(text) > 200 else text or type(exc).__name__


# --- command line --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m geo.boundaries", description="Boundary layers of the map."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="import a district layer (file or http(s) URL)")
    imp.add_argument("source", metavar="PATH_OR_URL")
    imp.add_argument("--name-field", metavar="F", help="field with the district name")
    imp.add_argument("--code-field", metavar="F", help="field with a unique district code")
    imp.add_argument("--province-field", metavar="F", help="field with the province name")
    imp.add_argument("--layer", metavar="NAME", help="layer of a GeoPackage, or member of a zip")
    imp.add_argument("--dest", metavar="DIR", type=Path, default=USER_BOUNDARY_DIR, help="output folder")
    imp.add_argument("--quiet", action="store_true", help="no progress messages")
    args = parser.parse_args(argv)

    def progress(fraction: float, message: str) -> None:
        print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)

    try:
        report = import_district_layer(
            args.source,
            dest_dir=args.dest,
            name_field=args.name_field,
            code_field=args.code_field,
            province_field=args.province_field,
            layer=args.layer,
            progress=None if args.quiet else progress,
        )
    except BoundaryImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    print(f"Written to {Path(args.dest) / DISTRICTS_FILE.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
