"""The claimed state of every area as of a date (DESIGN §4).

Per claim: weight = reliability × interest × precision × scope, then
  × 0.5^(age / half-life)            older claims count less than the area's newest one,
  × superseded_factor                 once a newer, at least as specific claim about the area
                                      says otherwise (a province-wide "most districts have
                                      fallen" does not overrule a claim about the capital),
and re-reports of one origin (same claimant, day, state, kind and scope) count once.
Per state: support = 1 − Π(1 − weight).  Two sides both strongly supported, or strong
"contested" claims, make the area contested; weak support leaves it unknown.  An outcome resting
only on self-serving claims is flagged claimed-only.  The outcome holds until new claims arrive;
its confidence fades with the time since the newest one (staleness).  Every number is in
`geo.constants`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable

import numpy as np
import pandas as pd

from geo.constants import (
    CAPITAL_FOR_PROVINCE,
    CONTESTED,
    CONTROLLERS,
    DISTRICT_FOR_PROVINCE,
    HOLDERS,
    INTEREST,
    PARAMS,
    PRECISION,
    PROVINCE_WIDE_FOR_DISTRICT,
    RELIABILITY,
    SELF_SERVING,
    UNKNOWN,
    ModelParams,
)
from geo.gazetteer import PROVINCE_BY_ID, district_aliases, name_key

SUPPORTED_STATES: tuple[str, ...] = HOLDERS + (CONTESTED,)
# Supports are compared after rounding, so exact ties (0.5 vs 0.5) decide the same way however
# the product was computed.
SUPPORT_DECIMALS = 9


@dataclass(frozen=True)
class AreaState:
    area_id: str
    controller: str  # one of geo.constants.CONTROLLERS
    confidence: float  # 0..1
    claimed_only: bool  # rests only on self-serving claims
    deciding: tuple[str, ...]  # record ids, strongest first
    last_confirmed: date | None  # newest non-self-serving claim behind the outcome
    last_claim: date | None  # newest claim of any kind about the area
    n_claims: int
    support: dict[str, float] = field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        return self.n_claims > 0

    def days_since_confirmed(self, as_of: date) -> int | None:
        return None if self.last_confirmed is None else (as_of - self.last_confirmed).days


def no_data(area_id: str) -> AreaState:
    return AreaState(area_id, UNKNOWN, 0.0, False, (), None, None, 0, {})


# --- which records speak about which area ---------------------------------------------------

def is_capital_district(province_id: str, district: str) -> bool:
    capital = PROVINCE_BY_ID[province_id].capital
    keys = {name_key(capital), *(name_key(a) for a in district_aliases(capital))}
    return name_key(district) in keys


def province_evidence(records: pd.DataFrame) -> pd.DataFrame:
    """Each record informs its province: fully if province-wide or about the capital."""
    if records.empty:
        return pd.DataFrame({"area_id": pd.Series(dtype=str), "rec": pd.Series(dtype=int), "scope": pd.Series(dtype=float)})
    scopes = [
        1.0 if not d else (CAPITAL_FOR_PROVINCE if is_capital_district(p, d) else DISTRICT_FOR_PROVINCE)
        for p, d in zip(records["province_id"], records["district"].fillna(""))
    ]
    return pd.DataFrame({"area_id": records["province_id"].to_numpy(), "rec": range(len(records)), "scope": scopes})


def district_evidence(
    records: pd.DataFrame, district_ids_by_province: dict[str, list[str]], resolve_district
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Records → districts.  Province-wide claims apply to each district, less precisely.

    `resolve_district(province_id, name)` returns a district id or None.  Records naming a district
    that does not resolve are returned separately so the UI can list them.
    """
    rows: list[tuple[str, int, float]] = []
    unresolved: list[int] = []
    for pos, (pid, dist) in enumerate(zip(records["province_id"], records["district"].fillna(""))):
        if dist:
            did = resolve_district(pid, dist)
            if did is None:
                unresolved.append(pos)
                continue
            rows.append((did, pos, 1.0))
        else:
            rows.extend((did, pos, PROVINCE_WIDE_FOR_DISTRICT) for did in district_ids_by_province.get(pid, []))
    evidence = pd.DataFrame(rows, columns=["area_id", "rec", "scope"])
    return evidence, records.iloc[unresolved]


# --- combining claims -------------------------------------------------------------------------

def base_weight(reliability: str, kind: str, precision: str) -> float:
    return RELIABILITY[reliability] * INTEREST[kind] * PRECISION[precision]


def weigh_claims(claims: pd.DataFrame, as_of: date, params: ModelParams = PARAMS) -> pd.DataFrame:
    """Add weight columns to the claims about one area dated on or before `as_of`.

    Columns added: base, decay, superseded, duplicate (a re-report counted once), weight.
    """
    out = claims[claims["event_date"] <= as_of].copy()
    if out.empty:
        return out.assign(base=[], decay=[], superseded=[], duplicate=[], weight=[])
    out["base"] = [
        base_weight(r, k, p) * s
        for r, k, p, s in zip(out["source_reliability"], out["claim_kind"], out["date_precision"], out["scope"])
    ]
    newest = max(out["event_date"])
    age = [(newest - d).days for d in out["event_date"]]
    out["decay"] = [0.5 ** (a / params.half_life_days) for a in age]
    # Superseded: a later claim about this area, at least as specific, names a different state.
    out["superseded"] = _superseded(out["event_date"].to_numpy(), out["claimed_controller"].to_numpy(),
                                    out["scope"].to_numpy(dtype=float))
    out["weight"] = out["base"] * out["decay"] * [params.superseded_factor if s else 1.0 for s in out["superseded"]]
    # Re-reports of one origin count once: keep the strongest per claimant/day/state.
    origin = (out["claimant"].str.lower().str.strip() + "|" + out["event_date"].astype(str) + "|"
              + out["claimed_controller"] + "|" + out["claim_kind"] + "|" + out["scope"].astype(str))
    strongest_first = out["weight"].sort_values(ascending=False, kind="stable").index
    out["duplicate"] = origin.loc[strongest_first].duplicated().reindex(out.index)
    out.loc[out["duplicate"], "weight"] = 0.0
    return out


def _superseded(dates: np.ndarray, controllers: np.ndarray, scopes: np.ndarray) -> np.ndarray:
    """For each claim: is there a later claim naming another state, with scope ≥ its own?"""
    t = np.array([d.toordinal() for d in dates], dtype=np.int64)
    result = np.zeros(len(t), dtype=bool)
    for level in np.unique(scopes):
        mine = scopes == level
        wide = scopes >= level
        for state in np.unique(controllers[mine]):
            others = wide & (controllers != state)
            if others.any():
                latest_other = t[others].max()
                result |= mine & (controllers == state) & (t < latest_other)
    return result


def support_by_state(weighed: pd.DataFrame) -> dict[str, float]:
    support = {}
    for state in SUPPORTED_STATES:
        w = weighed.loc[weighed["claimed_controller"] == state, "weight"]
        p_none = 1.0
        for x in w:
            p_none *= 1.0 - min(float(x), 1.0)
        support[state] = round(1.0 - p_none, SUPPORT_DECIMALS)
    return support


def freshness(days: int, params: ModelParams = PARAMS) -> float:
    """How much of a state's confidence is left `days` after its newest claim."""
    return 0.5 ** (max(days, 0) / params.stale_half_life_days)


def decide(area_id: str, weighed: pd.DataFrame, as_of: date, params: ModelParams = PARAMS) -> AreaState:
    """Turn weighed claims about one area into its state."""
    if weighed.empty:
        return no_data(area_id)
    support = support_by_state(weighed)
    holders = sorted(HOLDERS, key=lambda s: support[s], reverse=True)
    c1, c2 = holders[0], holders[1]
    a1, a2, s_cont = support[c1], support[c2], support[CONTESTED]
    last_claim = max(weighed["event_date"])
    if max(a1, s_cont) < params.min_support:
        state, conf, states = UNKNOWN, 0.0, ()
    elif s_cont >= a1 or (a2 >= params.conflict_min and a2 >= params.conflict_ratio * a1):
        state, states = CONTESTED, (CONTESTED, c1, c2) if a2 >= params.conflict_min else (CONTESTED,)
        conf = max(s_cont, min(a1, a2))
    else:
        state, states = c1, (c1,)
        conf = a1 * (1.0 - max(a2, s_cont))
    conf *= freshness((as_of - last_claim).days, params)
    behind = weighed[weighed["claimed_controller"].isin(states) & (weighed["weight"] > 0)]
    behind = behind.sort_values(["weight", "event_date"], ascending=[False, False])
    confirmed = behind.loc[behind["claim_kind"] != SELF_SERVING, "event_date"]
    return AreaState(
        area_id=area_id,
        controller=state,
        confidence=round(float(conf), 4),
        claimed_only=bool(len(behind)) and bool((behind["claim_kind"] == SELF_SERVING).all()),
        deciding=tuple(behind["id"]),
        last_confirmed=max(confirmed) if len(confirmed) else None,
        last_claim=last_claim,
        n_claims=len(weighed),
        support={k: round(v, 4) for k, v in support.items()},
    )


def claims_for(records: pd.DataFrame, evidence: pd.DataFrame, area_id: str) -> pd.DataFrame:
    """The records about one area, with the scope they have for it."""
    ev = evidence[evidence["area_id"] == area_id]
    claims = records.iloc[ev["rec"].to_numpy()].copy()
    claims["scope"] = ev["scope"].to_numpy()
    return claims


def explain(records: pd.DataFrame, evidence: pd.DataFrame, area_id: str, as_of: date,
            params: ModelParams = PARAMS) -> tuple[AreaState, pd.DataFrame]:
    """State of one area plus its weighed claim stack (newest first) — the click panel's content."""
    weighed = weigh_claims(claims_for(records, evidence, area_id), as_of, params)
    state = decide(area_id, weighed, as_of, params)
    stack = weighed.sort_values(["event_date", "weight"], ascending=[False, False]) if not weighed.empty else weighed
    return state, stack


def compute_states_naive(records: pd.DataFrame, evidence: pd.DataFrame, area_ids: Iterable[str], as_of: date,
                         params: ModelParams = PARAMS) -> dict[str, AreaState]:
    """Reference implementation: `explain` per area.  Readable, slow; tests and bench compare to it."""
    states = {a: no_data(a) for a in area_ids}
    if records.empty or evidence.empty:
        return states
    dated = evidence[[d <= as_of for d in records["event_date"].to_numpy()[evidence["rec"].to_numpy()]]]
    for area_id, _ in dated.groupby("area_id"):
        if area_id in states:
            states[area_id] = explain(records, evidence, area_id, as_of, params)[0]
    return states


class _Groups:
    """Members of each group, so "how many / the latest up to prefix n" costs one binary search.

    Claims are sorted by date, so a date is a prefix [0, n) of the claims; within a group the
    members are kept in claim order, and composite keys group × N + position are sorted.
    """

    def __init__(self, keys: np.ndarray, n_groups: int):
        self.n_groups, size = n_groups, max(len(keys), 1)
        order = np.argsort(keys, kind="stable")
        self.member = order
        self.composite = keys[order].astype(np.int64) * size + order
        self.offsets = np.searchsorted(keys[order], np.arange(n_groups))
        self.size = size

    def count(self, n: int) -> np.ndarray:
        ends = np.searchsorted(self.composite, np.arange(self.n_groups, dtype=np.int64) * self.size + n)
        return ends - self.offsets

    def last(self, n: int, values: np.ndarray, empty: int) -> tuple[np.ndarray, np.ndarray]:
        """(count, value of the last member before n) per group; `empty` where there is none."""
        count = self.count(n)
        if not len(self.member):
            return count, np.full(self.n_groups, empty, dtype=np.int64)
        last = self.member[np.maximum(self.offsets + count - 1, 0)]
        return count, np.where(count > 0, values[last], empty)


class StateIndex:
    """Every area's state at any date, fast: built once per records/evidence, queried per date.

    Claims are sorted by date once, so a date is a prefix (binary search); per-area and
    per-state latest dates come from pre-grouped claims, and the combination rule runs as array
    operations over the prefix.  `deciding` is left empty here — the panel asks `explain` for one
    area's full reasoning.
    """

    def __init__(self, records: pd.DataFrame, evidence: pd.DataFrame, area_ids: Iterable[str]):
        self.area_ids = list(area_ids)
        n_areas, n_ctrl = len(self.area_ids), len(CONTROLLER_CODE)
        pos = {a: i for i, a in enumerate(self.area_ids)}
        ev = evidence[evidence["area_id"].isin(pos)] if len(evidence) else evidence.iloc[0:0]
        recs = records.iloc[ev["rec"].to_numpy()] if len(ev) else records.iloc[0:0]
        t = np.array([d.toordinal() for d in recs["event_date"]], dtype=np.int64)
        order = np.argsort(t, kind="stable")
        area = ev["area_id"].map(pos).to_numpy(dtype=np.int64)[order] if len(ev) else np.zeros(0, np.int64)
        self.t_claims = t[order]
        self.by_area = _Groups(area, n_areas)  # claims per area: counts and newest date
        if not len(ev):
            self.t = np.zeros(0, np.int64)
            self.area = self.ctrl = self.level = self.cell = np.zeros(0, np.int64)
            self.self_serving, self.base, self.levels = np.zeros(0, bool), np.zeros(0), np.zeros(1)
        else:
            ctrl = np.array([CONTROLLER_CODE[c] for c in recs["claimed_controller"]], dtype=np.int64)[order]
            kind = recs["claim_kind"].to_numpy()[order]
            base = np.array([base_weight(r, k, p) for r, k, p in
                             zip(recs["source_reliability"], recs["claim_kind"], recs["date_precision"])])[order]
            scope = ev["scope"].to_numpy(dtype=float)[order]
            self.levels = np.unique(scope)  # how specific a claim is for its area, ascending
            level = np.searchsorted(self.levels, scope)
            claimant = recs["claimant"].str.lower().str.strip().to_numpy()[order]
            # Re-reports of one origin count once: work on origins, each with its strongest weight.
            origin, uniques = pd.factorize(pd.MultiIndex.from_arrays([area, claimant, self.t_claims, ctrl, kind, level]))
            first = np.unique(origin, return_index=True)[1]  # every member shares these values
            strongest = np.zeros(len(uniques))
            np.maximum.at(strongest, origin, base * scope)
            by_date = np.argsort(self.t_claims[first], kind="stable")
            pick = first[by_date]
            self.t, self.area, self.ctrl, self.level = self.t_claims[pick], area[pick], ctrl[pick], level[pick]
            self.self_serving = kind[pick] == SELF_SERVING
            self.base = strongest[by_date]
            self.cell = self.area * n_ctrl + self.ctrl
        n_levels = len(self.levels)
        self.area_level = self.area * n_levels + self.level  # flat (area, level) index
        self.by_cell = _Groups(self.cell, n_areas * n_ctrl)
        self.by_cell_level = _Groups(self.cell * n_levels + self.level, n_areas * n_ctrl * n_levels)
        # Non-self-serving claims get their cell; self-serving ones go to a spare group past the end.
        self.by_confirmed = _Groups(np.where(self.self_serving, n_areas * n_ctrl, self.cell), n_areas * n_ctrl + 1)

    def at(self, as_of: date, params: ModelParams = PARAMS) -> dict[str, AreaState]:
        n_areas, n_ctrl, n_levels = len(self.area_ids), len(CONTROLLER_CODE), len(self.levels)
        never = np.iinfo(np.int64).min
        day = as_of.toordinal()
        count, newest = self.by_area.last(int(np.searchsorted(self.t_claims, day, side="right")), self.t_claims, never)
        n = int(np.searchsorted(self.t, day, side="right"))  # origins dated on or before the day
        area, t, ctrl = self.area[:n], self.t[:n], self.ctrl[:n]
        backed = self.by_cell.count(n).reshape(n_areas, n_ctrl)
        confirmed_n, confirmed_t = self.by_confirmed.last(n, self.t, never)
        confirmed_n = confirmed_n[:-1].reshape(n_areas, n_ctrl)
        confirmed_t = confirmed_t[:-1].reshape(n_areas, n_ctrl)

        # Superseded: another state was claimed about the area after this claim's date, by a
        # claim at least as specific (level ≥ this claim's level).
        _, by_level = self.by_cell_level.last(n, self.t, never)
        at_least = np.maximum.accumulate(by_level.reshape(n_areas, n_ctrl, n_levels)[:, :, ::-1], axis=2)[:, :, ::-1]
        top = np.argmax(at_least, axis=1)  # (area, level) → controller claimed last
        first = np.take_along_axis(at_least, top[:, None, :], axis=1)[:, 0, :]
        second = np.sort(at_least, axis=1)[:, -2, :]
        al = self.area_level[:n]
        other_latest = np.where(ctrl == top.ravel().take(al), second.ravel().take(al), first.ravel().take(al))
        decay = np.exp2((t - newest.take(area)) / params.half_life_days)
        w = self.base[:n] * decay * np.where(other_latest > t, params.superseded_factor, 1.0)
        log_none = np.bincount(self.cell[:n], weights=np.log1p(-np.minimum(w, 1.0 - 1e-12)),
                               minlength=n_areas * n_ctrl).reshape(n_areas, n_ctrl)
        support = np.round(1.0 - np.exp(log_none), SUPPORT_DECIMALS)

        holders = support[:, HOLDER_CODES]
        rank = np.argsort(-holders, axis=1, kind="stable")
        c1 = HOLDER_CODES[rank[:, 0]]
        c2 = HOLDER_CODES[rank[:, 1]]
        rows = np.arange(n_areas)
        a1, a2, s_cont = support[rows, c1], support[rows, c2], support[:, CONTESTED_CODE]
        unknown = np.maximum(a1, s_cont) < params.min_support
        contested = ~unknown & ((s_cont >= a1) | ((a2 >= params.conflict_min) & (a2 >= params.conflict_ratio * a1)))
        pair = contested & (a2 >= params.conflict_min)
        conf = np.where(contested, np.maximum(s_cont, np.minimum(a1, a2)), a1 * (1.0 - np.maximum(a2, s_cont)))
        age = np.maximum(as_of.toordinal() - newest, 0)
        conf = np.where(unknown, 0.0, conf) * np.exp2(-age / params.stale_half_life_days)

        def over(table: np.ndarray, reduce) -> np.ndarray:
            """Reduce a per-state table over each area's deciding states."""
            mine, cont = table[rows, c1], table[:, CONTESTED_CODE]
            both = reduce(reduce(cont, mine), table[rows, c2])
            return np.where(unknown, 0, np.where(pair, both, np.where(contested, cont, mine)))

        claimed_only = ((over(backed, np.add) > 0) & (over(confirmed_n, np.add) == 0)).tolist()
        n_confirmed = over(confirmed_n, np.add).tolist()
        last_confirmed = over(confirmed_t, np.maximum).tolist()
        controller = np.where(unknown, UNKNOWN_CODE, np.where(contested, CONTESTED_CODE, c1)).tolist()
        conf_list = np.round(conf, 4).tolist()
        support_rows = np.round(support[:, SUPPORTED_CODES], 4).tolist()
        count_list, newest_list = count.tolist(), newest.tolist()
        states: dict[str, AreaState] = {}
        for i, area_id in enumerate(self.area_ids):
            if count_list[i] == 0:
                states[area_id] = no_data(area_id)
                continue
            states[area_id] = AreaState(
                area_id=area_id,
                controller=CONTROLLERS[controller[i]],
                confidence=conf_list[i],
                claimed_only=claimed_only[i],
                deciding=(),
                last_confirmed=date.fromordinal(last_confirmed[i]) if n_confirmed[i] else None,
                last_claim=date.fromordinal(newest_list[i]),
                n_claims=count_list[i],
                support=dict(zip(SUPPORTED_STATES, support_rows[i])),
            )
        return states


CONTROLLER_CODE = {c: i for i, c in enumerate(CONTROLLERS)}
HOLDER_CODES = np.array([CONTROLLER_CODE[h] for h in HOLDERS])
CONTESTED_CODE = CONTROLLER_CODE[CONTESTED]
UNKNOWN_CODE = CONTROLLER_CODE[UNKNOWN]
SUPPORTED_CODES = np.array([CONTROLLER_CODE[c] for c in SUPPORTED_STATES])


def compute_states(records: pd.DataFrame, evidence: pd.DataFrame, area_ids: Iterable[str], as_of: date,
                   params: ModelParams = PARAMS) -> dict[str, AreaState]:
    """State of every area as of a date; areas without claims are `unknown` with no data."""
    return StateIndex(records, evidence, area_ids).at(as_of, params)


def states_frame(states: dict[str, AreaState], as_of: date) -> pd.DataFrame:
    """A table for export and tests: one row per area."""
    return pd.DataFrame(
        [
            {
                "area_id": s.area_id,
                "controller": s.controller,
                "confidence": s.confidence,
                "claimed_only": s.claimed_only,
                "has_data": s.has_data,
                "last_confirmed": s.last_confirmed,
                "days_since_confirmed": s.days_since_confirmed(as_of),
                "n_claims": s.n_claims,
                "deciding": ";".join(s.deciding),
            }
            for s in states.values()
        ]
    )


def date_range(records: pd.DataFrame, pad_days: int = 1) -> tuple[date, date]:
    """The slider's range: the data's first to last claim, padded a little on both sides."""
    if records.empty:
        today = date.today()
        return today - timedelta(days=30), today
    return min(records["event_date"]) - timedelta(days=pad_days), max(records["event_date"]) + timedelta(days=pad_days)


def change_dates(records: pd.DataFrame, evidence: pd.DataFrame, area_id: str) -> list[date]:
    """Dates on which a claim about the area appears: where its state can change."""
    claims = claims_for(records, evidence, area_id)
    return sorted(set(claims["event_date"]))


def area_history(records: pd.DataFrame, evidence: pd.DataFrame, area_id: str,
                 params: ModelParams = PARAMS) -> pd.DataFrame:
    """The area's change log: each claim date, the state it led to, and the records behind it.

    `window_start` is the previous claim date: a change happened after it and by `date`
    (the honest answer to "when did it fall?").  States come from a one-area index; the full
    reasoning (`deciding`) is worked out only on the dates where the state changed.
    """
    mine = evidence[evidence["area_id"] == area_id]
    index = StateIndex(records, mine, [area_id])
    claim_ids = records["id"].to_numpy()[mine["rec"].to_numpy()]
    claim_dates = records["event_date"].to_numpy()[mine["rec"].to_numpy()]
    rows = []
    previous, previous_date = None, None
    for d in sorted(set(claim_dates)):
        state = index.at(d, params)[area_id]
        key = (state.controller, state.claimed_only)
        changed = key != previous
        deciding = explain(records, evidence, area_id, d, params)[0].deciding if changed else ()
        rows.append(
            {
                "date": d,
                "window_start": previous_date,
                "controller": state.controller,
                "confidence": state.confidence,
                "claimed_only": state.claimed_only,
                "changed": changed,
                "new_claims": ";".join(claim_ids[claim_dates == d]),
                "deciding": ";".join(deciding),
            }
        )
        previous, previous_date = key, d
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


HISTORY_COLUMNS = ("date", "window_start", "controller", "confidence", "claimed_only", "changed", "new_claims", "deciding")
