"""State of every area at a date: StateIndex vs the naive per-area filter-and-combine.

    python bench/bench_control.py [--records 2000 20000 100000] [--areas 400] [--dates 20]

Realistic synthetic claims (bench/synthetic.py: bursts around changes, conflicting and
province-wide claims, three years) over a ~`--areas`-district layer imported with the app's own
importer.  The naive baseline is the reference implementation of the same rule: for each area,
filter its claims ≤ date and combine them (geo.control.compute_states_naive).  Prints the median
time per date for both (naive on fewer dates when slow), their ratio, and the one-off cost of
building the index.  DESIGN §7 target: 100k × 400 in < 5 ms, ≥ 50× naive.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from geo.boundaries import import_district_layer, load_districts  # noqa: E402
from geo.control import StateIndex, compute_states_naive  # noqa: E402
from geo.districts import DistrictLayer  # noqa: E402
from geo.records import parse_records, to_csv_text  # noqa: E402
from synthetic import START, make_district_layer, make_records  # noqa: E402


def synthetic_dataset(n_records: int, n_areas: int) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Realistic synthetic claims over an ~n_areas-district layer, as the map sees them."""
    layer = DistrictLayer.from_frame(_layer_frame(n_areas))
    text = to_csv_text(make_records(n_records, _source_layer(n_areas)))
    records = parse_records(text, "synthetic.csv").records
    evidence, _ = layer.evidence(records)
    return records, evidence, list(layer.names())


_LAYERS: dict[int, tuple] = {}


def _source_layer(n_areas: int):
    if n_areas not in _LAYERS:
        source = make_district_layer(n_areas)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "districts.geojson"
            source.to_file(path, driver="GeoJSON")
            import_district_layer(path, dest_dir=Path(tmp) / "layer")
            imported = load_districts(Path(tmp) / "layer" / "districts.geojson")
        _LAYERS[n_areas] = (source, imported)
    return _LAYERS[n_areas][0]


def _layer_frame(n_areas: int):
    _source_layer(n_areas)
    return _LAYERS[n_areas][1]


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, nargs="+", default=[2_000, 20_000, 100_000])
    ap.add_argument("--areas", type=int, default=400)
    ap.add_argument("--dates", type=int, default=20)
    ap.add_argument("--naive-dates", type=int, default=2)
    args = ap.parse_args()
    rng = random.Random(1)
    print(f"{'records':>8} {'areas':>6} {'evidence':>9} {'build ms':>9} {'index ms/date':>14} {'naive ms/date':>14} {'speed-up':>9}")
    for n in args.records:
        records, evidence, areas = synthetic_dataset(n, args.areas)
        dates = [START + timedelta(days=rng.randint(30, 3 * 365 - 1)) for _ in range(args.dates)]
        build = timed(lambda: StateIndex(records, evidence, areas))
        index = StateIndex(records, evidence, areas)
        index.at(dates[0])  # warm-up
        fast = statistics.median(timed(lambda d=d: index.at(d)) for d in dates)
        slow = statistics.median(timed(lambda d=d: compute_states_naive(records, evidence, areas, d))
                                 for d in dates[: args.naive_dates])
        # Same answers on a sample date (the test suite checks this thoroughly).
        a, b = index.at(dates[0]), compute_states_naive(records, evidence, areas, dates[0])
        assert all(a[k].controller == b[k].controller for k in areas)
        print(f"{n:>8} {len(areas):>6} {len(evidence):>9} {build * 1e3:>9.1f} {fast * 1e3:>14.2f} {slow * 1e3:>14.1f} "
              f"{slow / fast:>8.0f}×")


if __name__ == "__main__":
    main()
