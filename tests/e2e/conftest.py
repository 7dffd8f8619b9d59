"""Browser tests against the running app: a real `streamlit run`, driven by Playwright + Debian chromium.

Servers are started from the repo root with this interpreter (`sys.executable -m streamlit`) on a free
port and killed at the end.  The browser is the system chromium: never `playwright install`.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from playwright.sync_api import Frame, Page, sync_playwright

from geo.mapview import css_class

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
HOSTILE_RECORDS = FIXTURES / "hostile_records.csv"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FOLIUM_IFRAME = 'iframe[src*="/component/streamlit_folium.st_folium/"]'
AREA_PATHS = 'path.leaflet-interactive[class*="area-"]'
PANEL = "div.panel"
N_PROVINCES = 34
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
LOCAL_SCHEMES = {"data", "blob", "about"}

# Generous: the CI box has two cores and every Streamlit rerun takes about a second.
SERVER_START_TIMEOUT = 90.0
TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1400, "height": 1000}

# --- servers -------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """`streamlit run app.py` in a subprocess (own process group, so its children die with it)."""

    def __init__(self, env_extra: dict[str, str] | None = None):
        self.port = _free_port()
        self.url = f"http://localhost:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix=f"streamlit-e2e-{self.port}-", suffix=".log", delete=False)
        env = {**os.environ, **(env_extra or {})}
        if not env_extra or "CLAIMS_RECORDS" not in env_extra:
            env.pop("CLAIMS_RECORDS", None)  # the default server reads data/records.csv
        if not env_extra or "CLAIMS_DISTRICTS" not in env_extra:
            # As on a fresh clone: no district layer, whatever a developer imported locally.
            env["CLAIMS_DISTRICTS"] = str(Path(self.log.name).with_suffix(".no-districts.geojson"))
        env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py",
             "--server.port", str(self.port), "--server.headless", "true"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_healthy(self, timeout: float = SERVER_START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.25)
        raise TimeoutError(f"streamlit not healthy after {timeout:.0f}s:\n{self.output()}")

    def output(self) -> str:
        try:
            return Path(self.log.name).read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # the group we created: streamlit and its children
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


@contextmanager
def running_app(env_extra: dict[str, str] | None = None) -> Iterator[str]:
    """A healthy app server for the block; yields its base URL and always stops it."""
    server = StreamlitServer(env_extra)
    try:
        server.wait_healthy()
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def app_url():
    """Base URL of the app reading data/records.csv."""
    with running_app() as url:
        yield url


@pytest.fixture(scope="session")
def hostile_app_url():
    """Base URL of a second app reading the hostile fixture (started only when a test asks for it)."""
    assert HOSTILE_RECORDS.is_file(), HOSTILE_RECORDS
    with running_app({"CLAIMS_RECORDS": str(HOSTILE_RECORDS)}) as url:
        yield url


# --- browser -------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    """A fresh context + page; `page.requested` lists every request URL (all frames, websockets)."""
    context = browser.new_context(viewport=VIEWPORT, service_workers="block")
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    requested: list[str] = []
    pg.on("request", lambda req: requested.append(req.url))
    pg.on("websocket", lambda ws: requested.append(ws.url))
    pg.on("popup", lambda popup: requested.append(popup.url))
    pg.requested = requested  # type: ignore[attr-defined]
    try:
        yield pg
    finally:
        context.close()


# --- helpers -------------------------------------------------------------------------------------

def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return parts.scheme in ("http", "https", "ws", "wss") and (parts.hostname or "") in LOCAL_HOSTS


def wait_until(predicate, timeout: float = TIMEOUT_MS / 1000, interval: float = 0.2, message: str = "condition"):
    """Poll `predicate` until it returns something truthy; return that value."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # frames detach/reattach while Streamlit reruns
            last_exc = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {message}" + (f" (last error: {last_exc})" if last_exc else ""))


def map_frame(page: Page) -> Frame:
    """The streamlit-folium iframe's Frame (waits for it to exist)."""
    page.wait_for_selector(FOLIUM_IFRAME, state="attached", timeout=60_000)
    handle = page.query_selector(FOLIUM_IFRAME)
    frame = wait_until(lambda: handle.content_frame(), message="the map iframe's frame")
    return frame


def wait_for_map(page: Page, n: int = N_PROVINCES) -> Frame:
    """Wait until the map iframe has drawn `n` area paths and Leaflet has settled (no zoom/pan running)."""
    frame = map_frame(page)

    def ready():
        return frame.evaluate(
            """([sel, n]) => !!window.map && document.querySelectorAll(sel).length === n
                && !window.map._animatingZoom && !(window.map._panAnim && window.map._panAnim._inProgress)""",
            [AREA_PATHS, n],
        )

    wait_until(ready, timeout=60, message=f"{n} area paths in the map")
    return frame


def goto_map(page: Page, base_url: str, query: str = "") -> Frame:
    page.goto(f"{base_url}/{('?' + query) if query else ''}", wait_until="domcontentloaded")
    return wait_for_map(page)


def area_style(frame: Frame, area_id: str) -> dict:
    return frame.eval_on_selector(
        f"path.{css_class(area_id)}",
        """e => ({fill: e.getAttribute('fill'), fillOpacity: e.getAttribute('fill-opacity'),
                 dash: e.getAttribute('stroke-dasharray'), stroke: e.getAttribute('stroke')})""",
    )


# Centre of an area's Leaflet layer in viewport coordinates of the frame, and what is hit there.
_AREA_POINT_JS = """([areaId, areaClass]) => {
  let layer = null;
  window.map.eachLayer(l => {
    if (!layer && l.feature && l.feature.properties && l.feature.properties.area_id === areaId && l.getCenter) layer = l;
  });
  if (!layer) return null;
  const p = window.map.latLngToContainerPoint(layer.getCenter());
  const r = window.map.getContainer().getBoundingClientRect();
  const x = r.left + p.x, y = r.top + p.y;
  const el = document.elementFromPoint(x, y);
  const cls = el && el.getAttribute('class') || '';
  return {x, y, hit: cls.split(/\\s+/).includes(areaClass)};
}"""


def area_click_point(page: Page, frame: Frame, area_id: str) -> tuple[float, float] | None:
    """Page coordinates of a point inside the area's polygon (checked with elementFromPoint), once stable."""
    iframe_box = page.locator(FOLIUM_IFRAME).bounding_box()
    previous = None

    def stable_point():
        nonlocal previous
        pt = frame.evaluate(_AREA_POINT_JS, [area_id, css_class(area_id)])
        if not pt or not pt["hit"]:
            previous = None
            return None
        here = (round(pt["x"], 1), round(pt["y"], 1))
        same = previous == here
        previous = here
        return here if same else None

    try:
        x, y = wait_until(stable_point, timeout=15, interval=0.3, message=f"a stable point inside {area_id}")
    except AssertionError:
        return None
    return iframe_box["x"] + x, iframe_box["y"] + y


def current_url(page: Page) -> str:
    """The address bar as the page sees it now (`page.url` is only refreshed when Playwright's events are pumped)."""
    return page.evaluate("() => location.href")


def current_query(page: Page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(current_url(page)).query).items()}


def no_app_errors(page) -> None:
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, "the app raised: " + " | ".join(errors.all_inner_texts())[:2000]


def wait_for_query(page, **expected: str) -> dict[str, str]:
    """Wait until the page URL's query has these values (the app rewrites it at the end of each run)."""
    try:
        return wait_until(
            lambda: (q := current_query(page)) and all(q.get(k) == v for k, v in expected.items()) and q,
            message=f"URL query {expected}",
        )
    except AssertionError as exc:
        no_app_errors(page)  # a crashed script run never rewrites the URL: show why
        raise AssertionError(f"{exc}; URL is {current_url(page)}") from None


def open_panel(page, name: str):
    panel = page.locator(f'{PANEL}[data-area-name="{name}"]')
    panel.wait_for(state="visible", timeout=TIMEOUT_MS)
    return panel
