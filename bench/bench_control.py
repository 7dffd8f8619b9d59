"""State of every area at a date: StateIndex vs the naive per-area filter-and-combine.

    python bench/bench_control.py [--records 2000 20000 100000] [--areas 400] [--dates 20]

Synthetic claims over `--areas` districts in 34 provinces, spread over a year.  Prints the
median time per date for both approaches (naive on fewer dates when slow) and their ratio, plus
the one-off cost of building the index.  DESIGN §7 target: 100k × 400 in < 5 ms, ≥ 50× naive.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.constants import CLAIM_KINDS, CONTROLLERS, HOLDERS, INDEPENDENT, SELF_SERVING  # noqa: E402
from geo.control import StateIndex, compute_states_naive  # noqa: E402
from geo.gazetteer import PROVINCES  # noqa: E402

START = date(2021, 1, 1)


def synthetic(n_records: int, n_areas: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    rng = random.Random(seed)
    areas = [f"D{i:03d}" for i in range(n_areas)]
    rows = []
    for i in range(n_records):
        kind = rng.choice(CLAIM_KINDS)
        side = INDEPENDENT if kind == "independent" else rng.choice(HOLDERS[:3])
        controller = side if kind == SELF_SERVING else rng.choice([c for c in CONTROLLERS if c != side])
        rows.append({
            "id": f"r{i}", "event_date": START + timedelta(days=rng.randint(0, 364)),
            "date_precision": rng.choice(("day", "day", "week", "month")),
            "province_id": rng.choice(PROVINCES).id, "district": "", "claimed_controller": controller,
            "claim_kind": kind, "claimant": f"claimant {rng.randint(0, 50)}", "source_reliability": rng.choice("ABCDEF"),
        })
    records = pd.DataFrame(rows)
    evidence = pd.DataFrame({"area_id": [rng.choice(areas) for _ in range(n_records)], "rec": range(n_records),
                             "scope": 1.0})
    return records, evidence, areas


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
    print(f"{'records':>8} {'areas':>6} {'build ms':>9} {'index ms/date':>14} {'naive ms/date':>14} {'speed-up':>9}")
    for n in args.records:
        records, evidence, areas = synthetic(n, args.areas)
        dates = [START + timedelta(days=rng.randint(30, 364)) for _ in range(args.dates)]
        build = timed(lambda: StateIndex(records, evidence, areas))
        index = StateIndex(records, evidence, areas)
        index.at(dates[0])  # warm-up
        fast = statistics.median(timed(lambda d=d: index.at(d)) for d in dates)
        slow = statistics.median(timed(lambda d=d: compute_states_naive(records, evidence, areas, d))
                                 for d in dates[: args.naive_dates])
        # Same answers on a sample date (the test suite checks this thoroughly).
        a, b = index.at(dates[0]), compute_states_naive(records, evidence, areas, dates[0])
        assert all(a[k].controller == b[k].controller for k in areas)
        print(f"{n:>8} {len(areas):>6} {build * 1e3:>9.1f} {fast * 1e3:>14.2f} {slow * 1e3:>14.1f} {slow / fast:>8.0f}×")


if __name__ == "__main__":
    main()
