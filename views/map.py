"""Map page: date slider and playback, coloured areas, click → the claims behind the colour.
Layout only."""
from __future__ import annotations

from datetime import timedelta

import streamlit as st
from streamlit_folium import st_folium

from geo import control, mapview
from geo.constants import DISTRICT, LEVELS, PROVINCE
from geo.districts import derive_provinces, explain_rollup, resolve_area
from views import common

SPEEDS = {0.5: "½ day/s", 1.0: "1 day/s", 2.0: "2 days/s", 4.0: "4 days/s"}

result = common.load_records()
records = result.records
layer = common.districts()
first, last = control.date_range(records)

# --- state from the URL on first load, then from widgets ------------------------------------------
if "map_init" not in st.session_state:
    qp = st.query_params
    st.session_state.map_init = True
    wanted = common.parse_date(qp.get("date"))
    if qp.get("date") and wanted is None:
        st.session_state.url_warning = f"Ignored date '{qp.get('date')}' in the link: use YYYY-MM-DD."
    st.session_state.date = min(max(wanted, first), last) if wanted else last
    level = qp.get("level", PROVINCE)
    st.session_state.level = level if level in LEVELS else PROVINCE
    st.session_state.area_query = qp.get("area")
    st.session_state.playing = False

if st.session_state.get("url_warning"):
    st.warning(st.session_state.pop("url_warning"))
if st.session_state.level == DISTRICT and layer is None:
    st.session_state.level = PROVINCE
st.session_state.date = min(max(st.session_state.date, first), last)  # the records may have changed


def _shift(days: int) -> None:
    st.session_state.date = min(max(st.session_state.date + timedelta(days=days), first), last)


def _jump(direction: int) -> None:
    evidence = common.state_index(st.session_state.level)[1]
    area = st.session_state.get("area")
    dates = control.change_dates(records, evidence, area) if area else sorted(set(records["event_date"]))
    current = st.session_state.date
    target = [d for d in dates if (d > current if direction > 0 else d < current)]
    if target:
        st.session_state.date = target[0] if direction > 0 else target[-1]


def _toggle_play() -> None:
    st.session_state.playing = not st.session_state.playing
    if st.session_state.playing and st.session_state.date >= last:
        st.session_state.date = first  # play again from the start


def _advance() -> None:
    """One playback tick: the next day; at the end of the data, stop."""
    if st.session_state.date >= last:
        st.session_state.playing = False
        st.rerun(scope="app")  # drop the timer
    st.session_state.date += timedelta(days=1)


def _view() -> None:
    """Controls, map and panel — one fragment, so playback reruns only this part."""
    if st.session_state.playing:
        _advance()
    level = st.session_state.level
    gdf, geometry_url = common.provinces()
    names = dict(zip(gdf["area_id"], gdf["name"]))
    if level == DISTRICT:
        names, geometry_url = layer.names(), common.district_geometry_url()

    if st.session_state.get("area_query"):  # ?area= : a name or an id, any common spelling
        query = st.session_state.pop("area_query")
        found = resolve_area(query, level, layer)
        if found:
            st.session_state.area = found
        else:
            st.warning(f"No {level} called '{query}' on this map.")

    st.slider("Date", min_value=first, max_value=max(last, first + timedelta(days=1)), step=timedelta(days=1),
              format="YYYY-MM-DD", key="date", help="Each area shows its claimed state as of this day.")

    as_of = st.session_state.date
    index, evidence, unresolved = common.state_index(level)
    states = index.at(as_of)
    rollups = {}
    if level == PROVINCE and layer is not None:  # with a district layer, provinces come from their districts
        states, rollups = derive_provinces(layer, common.state_index(DISTRICT)[0].at(as_of), states)
    selected = st.session_state.get("area")
    if selected not in names:
        selected = None

    left, right = st.columns([3, 2], gap="medium")
    with left:
        base = mapview.base_map(common.leaflet_urls())
        group = mapview.area_layer(geometry_url, list(names), states, selected)
        out = st_folium(base, feature_group_to_add=group, key="map", height=600, use_container_width=True,
                        returned_objects=["last_active_drawing", "last_object_clicked"])

    clicked = (out or {}).get("last_active_drawing") or {}
    click_sig = str((out or {}).get("last_object_clicked"))
    if clicked and click_sig != st.session_state.get("last_click_sig"):
        st.session_state.last_click_sig = click_sig
        area_id = (clicked.get("properties") or {}).get("area_id")
        if area_id in names and area_id != selected:
            st.session_state.area = area_id
            st.rerun(scope="fragment" if st.session_state.playing else "app")

    with right:
        if selected is None:
            st.info("Click a province or district to read the claims behind its colour.")
            counts = control.states_frame(states, as_of)
            st.caption(f"{int(counts['has_data'].sum())} of {len(counts)} areas have claims on or before {as_of}.")
        else:
            state, stack = control.explain(records, evidence, selected, as_of)
            extra = ""
            if selected in rollups and rollups[selected].state.has_data:
                roll = explain_rollup(records, common.state_index(DISTRICT)[1], layer, selected, as_of)
                state = roll.state
                extra = f'<p class="why rollup"><b>From districts:</b> {mapview.esc(roll.summary())}</p>'
            title = layer.title(selected) if level == DISTRICT else names[selected]
            st.html(mapview.panel_html(title, state, stack, as_of, extra=extra))
            history = common.area_history(level, selected)
            if len(history):
                st.markdown("**Change log** (a change happened after *window start* and by *date*)")
                st.vega_lite_chart(mapview.history_chart_spec(history), width="stretch")
                st.dataframe(history[history["changed"]], hide_index=True, width="stretch")

    if len(unresolved):
        st.warning(f"{len(unresolved)} record(s) name a district that is not in the district layer; "
                   "they are not on the district map (see the Data page).")

    # Keep the URL shareable.
    params = {"date": as_of.isoformat(), "level": level}
    if selected:
        params["area"] = names[selected] if level == PROVINCE else selected
    st.query_params.from_dict(params)


# Controls other than the date slider sit outside the fragment: they rerun the page (playback
# controls set the fragment's timer), and a date step does not re-send them.
play, speed, back2, back1, fwd1, fwd2, lvl = st.columns([1.2, 2, 0.8, 0.8, 0.8, 0.8, 2.4], vertical_alignment="bottom")
play.button("Pause" if st.session_state.playing else "Play", key="play", on_click=_toggle_play,
            icon=":material/pause:" if st.session_state.playing else ":material/play_arrow:",
            help="Step through the dates day by day")
speed.select_slider("Speed", options=list(SPEEDS), value=2.0, format_func=SPEEDS.get, key="speed")
back2.button("◀◀", help="Previous change (of the selected area, else of any area)", on_click=_jump, args=(-1,))
back1.button("◀", help="Previous day", on_click=_shift, args=(-1,))
fwd1.button("▶", help="Next day", on_click=_shift, args=(1,))
fwd2.button("▶▶", help="Next change (of the selected area, else of any area)", on_click=_jump, args=(1,))
with lvl:
    st.segmented_control("Level", list(LEVELS) if layer is not None else [PROVINCE], key="level",
                         format_func=str.capitalize, required=True,
                         help=None if layer is not None else "Add a district layer on the Data page to map districts.")
# Always a fragment (same element tree whether playing or not, so the map is never remounted).
interval = timedelta(seconds=1 / st.session_state.speed) if st.session_state.playing else None
st.fragment(run_every=interval)(_view)()

st.html(mapview.legend_html())  # static: outside the fragment, so it is not re-sent per date
if layer is None:
    st.caption("Province level only: add a district layer on the **Data** page to map districts.")
with st.expander("How confidence works"):
    st.markdown(mapview.model_explanation())
if result.problems:
    st.caption(f"{len(result.problems)} problem(s) in the records file — see the Data page.")
