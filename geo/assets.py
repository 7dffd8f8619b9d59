"""Offline web assets: Leaflet from the installed `xstatic-leaflet` package, served by the app.

Streamlit serves `static/` (next to app.py) at `/app/static/` when `server.enableStaticServing`
is on; the map's <script>/<link> tags point there instead of a CDN.
"""
from __future__ import annotations

import filecmp
import hashlib
import json
import shutil
from pathlib import Path

import xstatic.pkg.leaflet as xleaflet

ROOT = Path(__file__).resolve().parents[1]
STATIC_DIR = ROOT / "static"
URL_PREFIX = "/app/static"
LEAFLET_SUBDIR = Path("vendor") / f"leaflet-{xleaflet.VERSION}"
LEAFLET_FILES = ("leaflet.js", "leaflet.css")
AREA_LAYER_URL = f"{URL_PREFIX}/js/area_layer.js"  # the app's own map code, committed in static/js/


def leaflet_source_dir() -> Path:
    return Path(xleaflet.BASE_DIR)


def ensure_leaflet(static_dir: Path = STATIC_DIR) -> dict[str, str]:
    """Copy Leaflet into the static folder if missing or different; return the map's script and
    style URLs (Leaflet's and the app's own area layer)."""
    src = leaflet_source_dir()
    dest = static_dir / LEAFLET_SUBDIR
    stale = not dest.exists() or any(
        not (dest / f).exists() or not filecmp.cmp(src / f, dest / f, shallow=False) for f in LEAFLET_FILES
    )
    if stale:
        tmp = dest.with_name(dest.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(src, tmp, ignore=shutil.ignore_patterns("*.map", "*.esm.js", "leaflet-src*"))
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
    base = f"{URL_PREFIX}/{LEAFLET_SUBDIR.as_posix()}"
    return {"js": f"{base}/leaflet.js", "css": f"{base}/leaflet.css", "area_layer": AREA_LAYER_URL}


def publish_geojson(geojson: dict, name: str, static_dir: Path = STATIC_DIR) -> str:
    """Write geometry once as a static file named by its content hash; return its URL.

    The map fetches it once per page and keeps it, so a new date only sends colours.
    """
    text = json.dumps(geojson, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    rel = Path("geo") / f"{name}-{digest}.json"
    path = static_dir / rel
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return f"{URL_PREFIX}/{rel.as_posix()}"
