"""Scrubbing in a real browser: slider step → recoloured map, and bytes sent per step.

    python bench/bench_scrub.py [--steps 15] [--districts PATH/districts.geojson]

Starts the app, opens the map in headless Chromium (/usr/bin/chromium), presses → on the date
slider `--steps` times and measures, per step, the time until the map's area layer has been
replaced, and the websocket bytes the server sent (geometry is a static file fetched once per page).  The naive way to show another date — load
the page at that date (a full map build, what a remount costs) — is measured in the same run.
With `--districts`, the same at district level (an imported layer, e.g. from
`python -m geo.boundaries import …`).
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
FRAME = 'iframe[src*="/component/streamlit_folium.st_folium/"]'
SLIDER = '[data-testid="stSlider"] input[type="range"][aria-label="Date"]'


def start_app(env_extra: dict[str, str]) -> tuple[subprocess.Popen, str, float]:
    """Start the app; return the process, its URL and the seconds until it answered."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, **env_extra}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://localhost:{port}"
    t0 = time.perf_counter()
    for _ in range(2400):
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
            return proc, url, time.perf_counter() - t0
        except OSError:
            time.sleep(0.025)
    raise SystemExit("app did not start")


def wait(predicate, timeout=60.0):
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            if predicate():
                return
        except Exception as exc:  # frames detach while Streamlit reruns
            last = exc
        time.sleep(0.01)
    raise TimeoutError(f"last error: {last}")


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children, from /proc."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(c) for c in children.read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def first_map(browser, url: str, query: str, n_areas: int) -> float:
    """Seconds from opening the page to a drawn, coloured map."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    t0 = time.perf_counter()
    page.goto(f"{url}/?{query}", wait_until="commit")
    wait(lambda: page.frame_locator(FRAME).locator("path.leaflet-interactive").count() == n_areas, timeout=120)
    elapsed = time.perf_counter() - t0
    page.close()
    return elapsed


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def measure(browser, url: str, query: str, n_areas: int, steps: int) -> dict:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    received: list[int] = []
    geometry: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(len(payload))))
    page.on("response", lambda r: geometry.append(len(r.body())) if "/app/static/geo/" in r.url else None)

    def map_ready():
        frame = page.frame_locator(FRAME)
        return frame.locator("path.leaflet-interactive").count() == n_areas

    # Naive: a full page load at a new date (what rebuilding/remounting the map costs).
    loads = []
    for i in range(3):
        t0 = time.perf_counter()
        page.goto(f"{url}/?{query}&date=2021-07-0{5 + i}", wait_until="domcontentloaded")
        wait(map_ready)
        loads.append(time.perf_counter() - t0)
    received.clear()
    page.goto(f"{url}/?{query}&date=2021-07-05", wait_until="domcontentloaded")
    wait(map_ready)
    time.sleep(1.0)
    load_bytes = sum(received) + (geometry[-1] if geometry else 0)  # the whole map: messages + geometry
    frame = page.wait_for_selector(FRAME).content_frame()  # this page load's frame, not an earlier one
    slider = page.locator(SLIDER).first
    times, sizes, unchanged = [], [], 0
    for _ in range(steps):
        frame.evaluate("() => { window.feature_group.forEach(l => l.__old = true); }")
        before = page.evaluate("() => location.search")
        received.clear()
        t0 = time.perf_counter()
        slider.focus()
        page.keyboard.press("ArrowRight")
        replaced = "() => !window.feature_group[window.feature_group.length - 1].__old"
        # The rerun is done when the URL shows the new date; the map is redrawn only when some
        # area's colour changed (streamlit-folium skips an identical layer).
        wait(lambda: page.evaluate("() => location.search") != before or frame.evaluate(replaced))
        try:
            wait(lambda: frame.evaluate(replaced), timeout=1.5)
            times.append(time.perf_counter() - t0)
        except TimeoutError:
            unchanged += 1
        time.sleep(0.3)  # let the rest of the rerun's messages arrive
        sizes.append(sum(received))
    page.close()
    return {"load_s": statistics.median(loads), "load_bytes": load_bytes, "times": times, "sizes": sizes,
            "unchanged": unchanged}


def report(label: str, m: dict) -> None:
    t, b = m["times"], m["sizes"]
    print(f"\n{label}")
    print(f"  naive (full page load at a new date): median {m['load_s'] * 1e3:.0f} ms, "
          f"{m['load_bytes'] / 1024:.0f} KiB (websocket messages + geometry file)")
    print(f"  steps: {len(b)} ({m['unchanged']} with no colour change, so no redraw)")
    print(f"  slider step → recoloured:             median {statistics.median(t) * 1e3:.0f} ms, p95 {pct(t, .95) * 1e3:.0f} ms"
          f"  ({m['load_s'] / statistics.median(t):.1f}× faster than naive)")
    print(f"  bytes per step:                       median {statistics.median(b) / 1024:.0f} KiB"
          f" = {statistics.median(b) / max(m['load_bytes'], 1):.1%} of the full load (DESIGN target ≤ 5%)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=15)
    ap.add_argument("--districts", type=Path, help="an imported districts.geojson for the district level")
    ap.add_argument("--records", type=Path, help="a records CSV instead of the embedded one")
    args = ap.parse_args()
    env = {"CLAIMS_DISTRICTS": str(args.districts) if args.districts else str(ROOT / "bench" / ".no-districts.geojson")}
    if args.records:
        env["CLAIMS_RECORDS"] = str(args.records)
    before = time.perf_counter()
    proc, url, ready = start_app(env)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            level, n = ("district", None) if args.districts else ("province", 34)
            if args.districts:
                import geopandas as gpd

                n = len(gpd.read_file(args.districts))
            cold = first_map(browser, url, f"level={level}", n)
            print(f"Cold start: server answers after {ready:.2f} s; first coloured map {cold:.2f} s after opening "
                  f"the page ({time.perf_counter() - before:.2f} s from launch)  — DESIGN target < 2.5 s")
            report("Provinces (34)", measure(browser, url, "level=province", 34, args.steps))
            if args.districts:
                report(f"Districts ({n})", measure(browser, url, "level=district", n, args.steps))
            print(f"\nMemory of the running app (RSS): {rss_mib(proc.pid):.0f} MiB")
            browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)


if __name__ == "__main__":
    main()
