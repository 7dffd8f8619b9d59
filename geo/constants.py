"""Every named state, actor, colour and model parameter in one place.

The UI shows these values (legend, "how confidence works"), so changing a number here changes
both the map and its explanation.
"""
from __future__ import annotations

from dataclasses import dataclass

# --- controllers (claimed states) --------------------------------------------------------------
TALIBAN = "taliban"
GOVERNMENT = "government"
CONTESTED = "contested"
RESISTANCE = "resistance"
ISKP = "iskp"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Actor:
    key: str
    label: str
    colour: str


# Order matters: it is the legend order.
ACTORS: dict[str, Actor] = {
    a.key: a
    for a in (
        Actor(TALIBAN, "Taliban", "#c0392b"),
        Actor(GOVERNMENT, "Government (Islamic Republic)", "#1f6fb2"),
        Actor(CONTESTED, "Contested", "#8e44ad"),
        Actor(RESISTANCE, "Resistance (NRF)", "#1e8449"),
        Actor(ISKP, "ISKP", "#2c2c2c"),
        Actor(UNKNOWN, "Unknown / no claims", "#bdbdbd"),
    )
}
CONTROLLERS: tuple[str, ...] = tuple(ACTORS)
# States a side can hold (contested/unknown are outcomes, not holders).
HOLDERS: tuple[str, ...] = (TALIBAN, GOVERNMENT, RESISTANCE, ISKP)

NO_DATA_COLOUR = "#e6e6e6"
OUTLINE_COLOUR = "#555555"

# --- claim kinds -------------------------------------------------------------------------------
SELF_SERVING = "self_serving"
AGAINST_INTEREST = "against_interest"
INDEPENDENT = "independent"
CLAIM_KINDS: tuple[str, ...] = (SELF_SERVING, AGAINST_INTEREST, INDEPENDENT)
CLAIM_KIND_LABELS = {
    SELF_SERVING: "self-serving (a party claiming its own gain or denying its loss)",
    AGAINST_INTEREST: "against interest (a party admitting its loss)",
    INDEPENDENT: "independent (reporter, observer, third party)",
}

# --- confidence model (DESIGN §4) ---------------------------------------------------------------
# NATO Admiralty source reliability A-F.  F ("cannot be judged") sits at the midpoint.
RELIABILITY = {"A": 1.0, "B": 0.75, "C": 0.5, "D": 0.25, "E": 0.05, "F": 0.5}
INTEREST = {SELF_SERVING: 0.5, AGAINST_INTEREST: 1.0, INDEPENDENT: 1.0}
DATE_PRECISIONS = ("day", "week", "month")
PRECISION = {"day": 1.0, "week": 0.8, "month": 0.6}
# A province-wide claim is less precise for each of the province's districts.
PROVINCE_WIDE_FOR_DISTRICT = 0.8
# A district claim informs its province: fully for the capital district, partly otherwise.
DISTRICT_FOR_PROVINCE = 0.5
CAPITAL_FOR_PROVINCE = 1.0


@dataclass(frozen=True)
class ModelParams:
    """Knobs of the combination rule; one instance is the app's default."""

    half_life_days: float = 7.0  # a claim this much older than the area's newest counts half
    stale_half_life_days: float = 30.0  # confidence halves this long after the newest claim
    superseded_factor: float = 0.25  # weight left to a claim once a newer one says otherwise
    min_support: float = 0.1  # below this the area stays unknown
    conflict_ratio: float = 0.6  # runner-up side ≥ this share of the leader → contested
    conflict_min: float = 0.2  # …and the runner-up at least this strong
    stale_after_days: int = 14  # "last confirmed N days ago" is flagged past this


PARAMS = ModelParams()

# Map drawing: fill opacity grows with confidence inside this range.
MIN_FILL_OPACITY = 0.15
MAX_FILL_OPACITY = 0.85

# Levels of the map.
PROVINCE = "province"
DISTRICT = "district"
LEVELS = (PROVINCE, DISTRICT)

# Province from its districts: the capital district counts this many times; the leading
# controller needs this share of the (weighted) districts with claims, else contested.
CAPITAL_DISTRICT_WEIGHT = 3.0
ROLLUP_MAJORITY = 0.75
