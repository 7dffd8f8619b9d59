"""Realistic synthetic data for benchmarks: a ~400-district layer and up to 100k claim records.

    python bench/synthetic.py --records 100000 --districts 400 --out bench/data

Districts: each embedded province is split into Voronoi cells around random points (count ∝ area);
the first cell of a province carries the capital's name, so capital roll-up works.  The layer is
written as a plain GeoJSON (`NAME`, `PROVINCE`) and imported with the app's own importer.

Records: every district follows a hidden controller timeline over several years (changes every
few weeks to months, more often in fighting seasons).  Claims cluster around changes (bursts),
sides claim their own gains (sometimes falsely), admit losses late, independent observers report
the truth with some noise and delay, and some claims are province-wide.  Every record passes the
app's validator.
"""
from __future__ import annotations

import argparse
import random
import sys
from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.boundaries import import_district_layer, load_provinces  # noqa: E402
from geo.constants import CONTESTED, GOVERNMENT, RESISTANCE, TALIBAN  # noqa: E402
from geo.gazetteer import PROVINCE_BY_ID  # noqa: E402
from geo.records import to_csv_text  # noqa: E402

START = date(2019, 1, 1)
YEARS = 3


def make_district_layer(n_districts: int = 400, seed: int = 1) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    provinces = load_provinces()
    areas = provinces.to_crs(6933).area
    counts = np.maximum(1, np.round(areas / areas.sum() * n_districts).astype(int))
    rows = []
    for prov, k in zip(provinces.itertuples(), counts):
        poly = prov.geometry
        minx, miny, maxx, maxy = poly.bounds
        points: list[Point] = []
        while len(points) < k:
            cand = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
            if poly.contains(cand):
                points.append(cand)
        if k == 1:
            cells = [poly]
        else:
            cells = list(shapely.voronoi_polygons(MultiPoint(points), extend_to=poly.envelope).geoms)
            cells = [shapely.make_valid(c.intersection(poly)) for c in cells]
        for j, cell in enumerate(c for c in cells if not c.is_empty):
            name = PROVINCE_BY_ID[prov.area_id].capital if j == 0 else f"{prov.name} D{j:02d}"
            rows.append({"NAME": name, "PROVINCE": prov.name, "geometry": cell})
    return gpd.GeoDataFrame(rows, crs=4326)


def make_records(n_records: int, districts: gpd.GeoDataFrame, seed: int = 2) -> list[dict]:
    rng = random.Random(seed)
    days = 365 * YEARS
    names = list(zip(districts["NAME"], districts["PROVINCE"]))
    # Hidden timelines: (day, controller) change points per district.
    timelines = []
    for _ in names:
        t, ctrl, points = 0, rng.choice([GOVERNMENT, GOVERNMENT, TALIBAN]), []
        while t < days:
            points.append((t, ctrl))
            season = 150 <= (t % 365) <= 270  # summer fighting season: shorter spells
            t += rng.randint(10, 60) if season else rng.randint(40, 200)
            ctrl = rng.choice([c for c in (TALIBAN, GOVERNMENT, CONTESTED, RESISTANCE) if c != ctrl]
                              if rng.random() < 0.9 else [ctrl])
        timelines.append(points)
    truth = lambda d, day: next(c for t, c in reversed(timelines[d]) if t <= day)  # noqa: E731
    records = []
    for i in range(n_records):
        d = rng.randrange(len(names))
        changes = [t for t, _ in timelines[d]]
        day = max(0, min(days - 1, rng.choice(changes) + int(rng.expovariate(1 / 4)))) if rng.random() < 0.7 \
            else rng.randrange(days)  # bursts around changes, background noise otherwise
        actual = truth(d, day)
        roll = rng.random()
        if roll < 0.35:  # a side claims to hold it (true or not)
            side = rng.choice([TALIBAN, GOVERNMENT, GOVERNMENT, RESISTANCE])
            claimed, kind = side, "self_serving"
        elif roll < 0.55:  # a side admits the other holds it / it is fought over
            side = rng.choice([TALIBAN, GOVERNMENT])
            claimed = actual if actual != side else CONTESTED
            kind = "against_interest"
        else:  # independent report, noisy and a little late
            side, kind = "independent", "independent"
            claimed = actual if rng.random() < 0.85 else rng.choice([TALIBAN, GOVERNMENT, CONTESTED])
            day = min(days - 1, day + rng.randint(0, 3))
        name, province = names[d]
        when = START + timedelta(days=day)
        records.append({
            "id": f"syn-{i:06d}",
            "event_date": when.isoformat(),
            "date_precision": rng.choice(("day", "day", "day", "week", "month")),
            "reported_date": (when + timedelta(days=rng.randint(0, 2))).isoformat(),
            "province": province,
            "district": "" if rng.random() < 0.1 else name,
            "claimed_controller": claimed,
            "claim_kind": kind,
            "claimant": f"{side} source {rng.randint(1, 40)}",
            "claimant_side": side,
            "outlet": f"Outlet {rng.randint(1, 60)}",
            "url": f"https://example.org/synthetic/{i}",
            "quote": f"synthetic claim {i}: {claimed} in {name}",
            "source_reliability": rng.choice("ABBCCCDF"),
            "info_credibility": str(rng.randint(1, 6)),
        })
    return records


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--districts", type=int, default=400)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "data")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    layer = make_district_layer(args.districts)
    source = args.out / "districts-source.geojson"
    layer.to_file(source, driver="GeoJSON")
    report = import_district_layer(source, dest_dir=args.out / "layer")
    records_file = args.out / f"records-{args.records}.csv"
    records_file.write_text(to_csv_text(make_records(args.records, layer)), encoding="utf-8")
    print(f"{report.n_written} districts → {args.out / 'layer' / 'districts.geojson'}")
    print(f"{args.records} records → {records_file}")


if __name__ == "__main__":
    main()
