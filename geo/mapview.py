"""The folium map: offline base map, per-date styles, legend and the claim panel's HTML.

Geometry and styles are separate: the base map never changes (so the browser keeps it, with its
zoom and pan), and each date only rebuilds the styled area layer.  Every piece of record text
goes through `esc`; links are kept only when they are http(s).
"""
from __future__ import annotations

import html
import json
import re
from datetime import date
from urllib.parse import urlparse

import folium
from branca.element import Template
import pandas as pd

from geo.constants import (
    ACTORS,
    CLAIM_KIND_LABELS,
    CONTESTED,
    MAX_FILL_OPACITY,
    MIN_FILL_OPACITY,
    NO_DATA_COLOUR,
    OUTLINE_COLOUR,
    PARAMS,
    RELIABILITY,
    INTEREST,
    PRECISION,
    SELF_SERVING,
    UNKNOWN,
    ModelParams,
)
from geo.control import AreaState

AFGHANISTAN_BOUNDS = [[29.3, 60.4], [38.6, 75.2]]
AREA_CLASS_PREFIX = "area-"
OPACITY_STEPS = 20


def esc(value) -> str:
    """HTML-escape any record text (None and NaN become empty)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return html.escape(str(value), quote=True)


def safe_href(url) -> str | None:
    if not isinstance(url, str):
        return None
    parsed = urlparse(url.strip())
    if parsed.scheme in ("http", "https") and parsed.netloc:
        return html.escape(url.strip(), quote=True)
    return None


# --- styles -------------------------------------------------------------------------------------

def fill_opacity(confidence: float) -> float:
    """Fill strength for a confidence, in 5 % steps (finer is invisible, and a map with few
    distinct styles sends few bytes per date)."""
    stepped = round(max(0.0, min(confidence, 1.0)) * OPACITY_STEPS) / OPACITY_STEPS
    return round(MIN_FILL_OPACITY + (MAX_FILL_OPACITY - MIN_FILL_OPACITY) * stepped, 3)


def css_class(area_id: str) -> str:
    """The SVG class naming an area (ids such as `AF-BDG:qalanaw` made CSS-safe)."""
    return AREA_CLASS_PREFIX + re.sub(r"[^A-Za-z0-9_-]", "_", str(area_id))


def style_for(state: AreaState, selected: bool = False) -> dict:
    """Hue = controller; fill strength = confidence; dashed outline = claimed only."""
    css = css_class(state.area_id)
    if not state.has_data:
        style = {"fillColor": NO_DATA_COLOUR, "fillOpacity": 0.6, "color": OUTLINE_COLOUR, "weight": 0.8, "dashArray": None}
    else:
        colour = ACTORS[state.controller].colour
        opacity = fill_opacity(state.confidence)
        if state.claimed_only:
            style = {"fillColor": colour, "fillOpacity": round(opacity * 0.6, 3), "color": colour, "weight": 2.5, "dashArray": "6 4"}
        else:
            style = {"fillColor": colour, "fillOpacity": opacity, "color": OUTLINE_COLOUR, "weight": 0.8, "dashArray": None}
    if selected:
        style.update(color="#000000", weight=3.5)
    style["className"] = css
    return style


def state_label(state: AreaState) -> str:
    if not state.has_data:
        return "No claims yet"
    label = ACTORS[state.controller].label
    return f"{label} (claimed only)" if state.claimed_only else label


# --- the map ------------------------------------------------------------------------------------

def base_map(leaflet_urls: dict[str, str], tiles_url: str | None = None, attribution: str | None = None) -> folium.Map:
    """A map with no basemap and no CDN: only the app's own Leaflet is loaded."""
    m = folium.Map(
        location=[34.0, 66.5],
        zoom_start=6,
        min_zoom=5,
        max_zoom=12,
        tiles=None,
        prefer_canvas=False,
        control_scale=True,
        max_bounds=True,
    )
    m.default_js = [("leaflet", leaflet_urls["js"]), ("area_layer", leaflet_urls["area_layer"])]
    m.default_css = [("leaflet_css", leaflet_urls["css"])]
    if tiles_url:
        folium.TileLayer(tiles=tiles_url, attr=attribution or "basemap", name="basemap").add_to(m)
    m.fit_bounds(AFGHANISTAN_BOUNDS)
    return m


def display_geometry(geojson: dict) -> dict:
    """The static geometry file: each feature keeps `area_id` and `name`, and gains its position
    `i` (the per-date colour list is in this order) and its CSS class."""
    features = []
    for i, feat in enumerate(geojson["features"]):
        props = feat["properties"]
        features.append({**feat, "properties": {"area_id": props["area_id"], "name": props.get("name"), "i": i,
                                                "css": css_class(props["area_id"])}})
    return {"type": "FeatureCollection", "features": features}


PALETTE_KEYS = ("fillColor", "fillOpacity", "color", "weight", "dashArray")  # order known to area_layer.js


class AreaLayer(folium.MacroElement):
    """Areas drawn from a static geometry file the page fetches once and keeps.

    The drawing code is `static/js/area_layer.js`, loaded once with the map; each rerun sends only
    a call with a small palette of distinct styles, the state labels, and per area (in geometry
    order) [style index, label index, confidence %].
    """

    _template = Template("""
{% macro script(this, kwargs) %}
window.drawAreas({{ this._parent.get_name() }}, {{ this.url|tojson }}, {{ this.palette|tojson }},
                 {{ this.labels|tojson }}, {{ this.cells|tojson }});
{% endmacro %}
""")

    def __init__(self, url: str, palette: list[list], labels: list[str], cells: list[tuple[int, int, int]]):
        super().__init__()
        self._name = "AreaLayer"
        self.url, self.palette, self.labels, self.cells = url, palette, labels, cells


def area_layer(geometry_url: str, area_ids: list[str], states: dict[str, AreaState], selected: str | None,
               name: str = "areas") -> folium.FeatureGroup:
    """The styled areas for one date.  `area_ids` are in the geometry file's order."""
    palette: dict[str, int] = {}
    labels: dict[str, int] = {}
    cells = []
    for area_id in area_ids:
        state = states[area_id]
        style = style_for(state, area_id == selected)  # className comes from the geometry file
        key = json.dumps([style[k] for k in PALETTE_KEYS])
        pct = round(state.confidence * 100) if state.has_data else -1
        cells.append((palette.setdefault(key, len(palette)), labels.setdefault(state_label(state), len(labels)), pct))
    group = folium.FeatureGroup(name=name)
    AreaLayer(geometry_url, [json.loads(k) for k in palette], list(labels), cells).add_to(group)
    return group


# --- legend and explanations (static text, ours) --------------------------------------------------

def legend_html(params: ModelParams = PARAMS) -> str:
    swatches = "".join(
        f'<span class="lg-item"><span class="lg-swatch" style="background:{a.colour}"></span>{esc(a.label)}</span>'
        for a in ACTORS.values()
        if a.key != UNKNOWN
    )
    ramp = "".join(
        f'<span class="lg-swatch" style="background:{ACTORS["taliban"].colour};opacity:{fill_opacity(c)}"></span>'
        for c in (0.1, 0.3, 0.5, 0.7, 0.9)
    )
    return f"""
<div class="legend">
  <div><b>Claimed controller</b> (hue)</div>
  <div>{swatches}<span class="lg-item"><span class="lg-swatch" style="background:{NO_DATA_COLOUR}"></span>No claims</span></div>
  <div style="margin-top:4px"><b>Confidence</b> (fill strength): low {ramp} high</div>
  <div style="margin-top:4px"><span class="lg-swatch lg-dashed"></span><b>Claimed only</b>: dashed outline, pale fill
  — the state rests only on self-serving claims (a side claiming its own gain).</div>
</div>
<style>
.legend {{font-size:0.85rem; line-height:1.6}}
.lg-item {{margin-right:10px; white-space:nowrap}}
.lg-swatch {{display:inline-block; width:14px; height:14px; margin:0 3px -2px 0; border:1px solid #666}}
.lg-dashed {{border:2px dashed {ACTORS['taliban'].colour}; background:transparent}}
</style>"""


def model_explanation(params: ModelParams = PARAMS) -> str:
    rel = ", ".join(f"{k} {v:g}" for k, v in RELIABILITY.items())
    interest = ", ".join(f"{k.replace('_', '-')} {v:g}" for k, v in INTEREST.items())
    prec = ", ".join(f"{k} {v:g}" for k, v in PRECISION.items())
    return f"""
**How a colour is decided.** Each claim gets a weight = source reliability × interest × date precision
(× scope when a claim is about part of the area). Reliability (Admiralty grade): {rel}.
Interest: {interest}. Precision: {prec}.
A claim {params.half_life_days:g} days older than the area's newest claim counts half; a claim
that a newer, at least as specific one contradicts keeps {params.superseded_factor:g} of its weight
(a province-wide statement does not overrule a claim about one district); re-reports of the same
claimant, day, state and kind count once. Support for a state = 1 − Π(1 − weight).
If the runner-up side has ≥ {params.conflict_ratio:.0%} of the leader's support (and ≥ {params.conflict_min:g}),
or "contested" claims are strongest, the area is **contested**. Below {params.min_support:g} support it stays unknown.
Confidence fades by half every {params.stale_half_life_days:g} days without new claims.
"""


# --- the panel (record text: always escaped) ---------------------------------------------------------

def _badge(controller: str, claimed_only: bool = False) -> str:
    colour = ACTORS[controller].colour
    border = "dashed" if claimed_only else "solid"
    return (
        f'<span class="badge" style="border:2px {border} {colour};color:{colour}">{esc(ACTORS[controller].label)}'
        f'{" · claimed" if claimed_only else ""}</span>'
    )


def _quoted(quote: str) -> str:
    """Wrap in quotation marks unless the verbatim quote already opens with one."""
    text = esc(quote)
    return text if str(quote)[:1] in "“\"‘'" else f"“{text}”"


def _claim_card(row, deciding: set[str]) -> str:
    href = safe_href(row.url)
    link = f'<a href="{href}" target="_blank" rel="noopener noreferrer">source link</a>' if href else ""
    seed = f'seed: {esc(row.seed_file)}' if isinstance(row.seed_file, str) and row.seed_file else ""
    flags = []
    if row.id in deciding:
        flags.append('<span class="flag decides">decides</span>')
    if row.superseded:
        flags.append('<span class="flag">superseded by a newer claim</span>')
    if row.duplicate:
        flags.append('<span class="flag">re-report, counted once</span>')
    place = " · ".join(esc(x) for x in (row.district, row.place) if isinstance(x, str) and x)
    return f"""
<div class="claim" data-record-id="{esc(row.id)}">
  <div class="claim-head">{_badge(row.claimed_controller)} {''.join(flags)}</div>
  <blockquote class="quote">{_quoted(row.quote)}</blockquote>
  <div class="meta"><b>{esc(row.claimant)}</b> ({esc(row.claimant_side)}; {esc(CLAIM_KIND_LABELS.get(row.claim_kind, row.claim_kind))})</div>
  <div class="meta">{esc(row.outlet)}{(' — ' + esc(row.author)) if isinstance(row.author, str) and row.author else ''}
   · event {esc(row.event_date)} ({esc(row.date_precision)}){(' · reported ' + esc(row.reported_date)) if row.reported_date else ''}
   {('· about ' + place) if place else ''}</div>
  <div class="meta">weight {row.weight:.2f} (base {row.base:.2f}, age ×{row.decay:.2f}) · reliability {esc(row.source_reliability)}{esc(row.info_credibility)} {link} {seed}</div>
  {('<div class="meta notes">' + esc(row.notes) + '</div>') if isinstance(row.notes, str) and row.notes else ''}
</div>"""


def panel_html(area_name: str, state: AreaState, stack: pd.DataFrame, as_of: date, params: ModelParams = PARAMS,
               extra: str = "") -> str:
    """Current state, why, and the full claim stack for the chosen date."""
    if not state.has_data:
        body = '<p class="why">No claims about this area on or before this date.</p>'
    else:
        days = state.days_since_confirmed(as_of)
        if state.last_confirmed is None:
            confirmed = "never confirmed by a claim against interest or an independent source"
        else:
            stale = " — stale" if days is not None and days > params.stale_after_days else ""
            confirmed = f"last confirmed {esc(state.last_confirmed)} ({days} days before this date{stale})"
        disagree = stack[(stack["weight"] > 0) & ~stack["id"].isin(state.deciding)]
        disagree_note = (
            f'<p class="why"><b>{len(disagree)} claim(s) disagree</b> with this reading (listed below without “decides”).</p>'
            if len(disagree) and state.controller != CONTESTED
            else ""
        )
        support = ", ".join(f"{esc(ACTORS[k].label)} {v:.2f}" for k, v in state.support.items() if v > 0)
        body = f"""
<p>{_badge(state.controller, state.claimed_only)} <span class="conf">confidence {state.confidence:.0%}</span></p>
<p class="why"><b>Why:</b> decided by {len(state.deciding)} claim(s){' — all self-serving, so shown as <i>claimed only</i>' if state.claimed_only else ''};
{confirmed}. Support: {support}.</p>
{disagree_note}"""
    claims = "".join(_claim_card(r, set(state.deciding)) for r in stack.itertuples()) if len(stack) else ""
    return f"""
<div class="panel" data-area-name="{esc(area_name)}">
<h3 class="area-title">{esc(area_name)} <small>as of {esc(as_of)}</small></h3>
{body}
{extra}
<h4>Claims on or before {esc(as_of)} ({len(stack)})</h4>
{claims or '<p>None.</p>'}
</div>
<style>
.panel {{font-family: sans-serif; font-size: 0.9rem}}
.panel .badge {{display:inline-block; padding:1px 6px; border-radius:4px; font-weight:600; font-size:0.8rem}}
.panel .conf {{margin-left:6px}}
.panel .claim {{border-left:3px solid #ccc; padding:4px 8px; margin:8px 0}}
.panel .quote {{margin:4px 0; font-style:italic; white-space:pre-wrap}}
.panel .meta {{color:#555; font-size:0.8rem}}
.panel .flag {{font-size:0.75rem; background:#eee; border-radius:3px; padding:0 4px; margin-left:4px}}
.panel .flag.decides {{background:#fde68a}}
</style>"""


def history_chart_spec(history: pd.DataFrame) -> dict:
    """Vega-Lite timeline of an area's state: colour = controller, height = confidence."""
    data = [
        {
            "date": r.date.isoformat(),
            "controller": ACTORS[r.controller].label,
            "confidence": r.confidence,
            "basis": "claimed only" if r.claimed_only else "confirmed",
        }
        for r in history.itertuples()
    ]
    return {
        "data": {"values": data},
        "height": 160,
        "layer": [
            {"mark": {"type": "line", "interpolate": "step-after", "color": "#999"}},
            {"mark": {"type": "point", "filled": True, "size": 90}},
        ],
        "encoding": {
            "x": {"field": "date", "type": "temporal", "title": None},
            "y": {"field": "confidence", "type": "quantitative", "scale": {"domain": [0, 1]}, "title": "confidence"},
            "color": {
                "field": "controller",
                "type": "nominal",
                "scale": {"domain": [a.label for a in ACTORS.values()], "range": [a.colour for a in ACTORS.values()]},
                "legend": {"orient": "bottom", "title": None},
            },
            "shape": {"field": "basis", "type": "nominal", "legend": {"orient": "bottom", "title": None}},
            "tooltip": [
                {"field": "date", "type": "temporal"},
                {"field": "controller"},
                {"field": "confidence", "format": ".0%"},
                {"field": "basis"},
            ],
        },
    }
