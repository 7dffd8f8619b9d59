"""An imported district layer, ready for the map: names → ids, records → districts, and the
roll-up of district states into their provinces (DESIGN §4)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import boundaries
from geo.constants import CAPITAL_DISTRICT_WEIGHT, CONTESTED, ROLLUP_MAJORITY, ACTORS, UNKNOWN
from geo.control import AreaState, district_evidence, explain, no_data, province_evidence
from geo.gazetteer import PROVINCE_BY_ID, PROVINCE_GAZETTEER, Gazetteer, district_aliases


@dataclass
class DistrictLayer:
    gdf: gpd.GeoDataFrame  # area_id, name, province_id, province_name, is_capital, geometry
    geojson: dict
    by_province: dict[str, Gazetteer] = field(default_factory=dict)
    national: Gazetteer = field(default_factory=Gazetteer)

    @classmethod
    def from_frame(cls, gdf: gpd.GeoDataFrame) -> "DistrictLayer":
        layer = cls(gdf=gdf.reset_index(drop=True), geojson=boundaries.to_geojson(gdf, ("area_id", "name", "province_id")))
        for row in layer.gdf.itertuples(index=False):
            aliases = district_aliases(row.name)
            layer.by_province.setdefault(row.province_id, Gazetteer()).add(row.area_id, row.name, aliases)
            layer.national.add(row.area_id, row.name, aliases)
        return layer

    @property
    def ids_by_province(self) -> dict[str, list[str]]:
        return self.gdf.groupby("province_id")["area_id"].apply(list).to_dict()

    def resolve(self, province_id: str, name: str) -> str | None:
        """A district name in a province → district id (falls back to a unique national match)."""
        gaz = self.by_province.get(province_id)
        found = gaz.resolve(name) if gaz else None
        return found or self.national.resolve(name)

    def evidence(self, records: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(evidence, unresolved records): records naming an unknown district are listed, not dropped."""
        return district_evidence(records, self.ids_by_province, self.resolve)

    def names(self) -> dict[str, str]:
        return dict(zip(self.gdf["area_id"], self.gdf["name"]))

    def title(self, district_id: str) -> str:
        """e.g. "Qala-I-Naw (Badghis)": district names repeat across provinces."""
        row = self.gdf.loc[self.gdf["area_id"] == district_id].iloc[0]
        return f"{row['name']} ({PROVINCE_BY_ID[row['province_id']].name})"


def load_district_layer(path: Path | None = None) -> DistrictLayer | None:
    gdf = boundaries.load_districts(path) if path else boundaries.load_districts()
    return None if gdf is None or gdf.empty else DistrictLayer.from_frame(gdf)


@dataclass(frozen=True)
class Rollup:
    state: AreaState
    counts: dict[str, int]  # controller → number of districts (UNKNOWN counts districts without data)
    n_districts: int
    capital_controller: str | None

    def summary(self) -> str:
        """e.g. "Taliban: 6 of 7 districts; Contested: 1 of 7 (incl. the capital)"."""
        parts = []
        for key, n in sorted(self.counts.items(), key=lambda kv: -kv[1]):
            label = "No claims" if key == UNKNOWN else ACTORS[key].label.split(" (")[0]
            capital = " (incl. the capital)" if key == self.capital_controller else ""
            parts.append(f"{label}: {n} of {self.n_districts} districts{capital}")
        return "; ".join(parts)


def rollup_province(province_id: str, layer: DistrictLayer, states: dict[str, AreaState]) -> Rollup:
    """Province state from its districts: capital weighs more; no clear majority → contested.

    The controller is decided among districts with claims; confidence counts districts without
    claims as zero, so "2 of 16 districts" is drawn pale.
    """
    rows = layer.gdf[layer.gdf["province_id"] == province_id]
    counts: dict[str, int] = {}
    weights: dict[str, float] = {}
    conf_sum = total = 0.0
    # Confidence is spread over every district, so claims about a few districts stay pale.
    all_weight = float(sum(CAPITAL_DISTRICT_WEIGHT if c else 1.0 for c in rows["is_capital"])) or 1.0
    capital_controller = None
    backing: dict[str, list[AreaState]] = {}
    for row in rows.itertuples(index=False):
        st = states.get(row.area_id) or no_data(row.area_id)
        key = st.controller if st.has_data else UNKNOWN
        counts[key] = counts.get(key, 0) + 1
        if row.is_capital:
            capital_controller = key
        if not st.has_data:
            continue
        w = CAPITAL_DISTRICT_WEIGHT if row.is_capital else 1.0
        weights[st.controller] = weights.get(st.controller, 0.0) + w
        backing.setdefault(st.controller, []).append(st)
        conf_sum += w * st.confidence
        total += w
    if total == 0:
        return Rollup(no_data(province_id), counts, len(rows), capital_controller)
    leader = max(weights, key=weights.get)
    share = weights[leader] / total
    controller = leader if share >= ROLLUP_MAJORITY else CONTESTED
    behind = backing.get(controller, []) if controller != CONTESTED else [s for v in backing.values() for s in v]
    deciding = tuple(dict.fromkeys(r for s in behind for r in s.deciding))
    confirmed = [s.last_confirmed for s in behind if s.last_confirmed]
    claims = [s.last_claim for s in behind if s.last_claim]
    state = AreaState(
        area_id=province_id,
        controller=controller,
        confidence=round(conf_sum / all_weight * (share if controller != CONTESTED else 1.0), 4),
        claimed_only=bool(behind) and all(s.claimed_only for s in behind),
        deciding=deciding,
        last_confirmed=max(confirmed) if confirmed else None,
        last_claim=max(claims) if claims else None,
        n_claims=sum(s.n_claims for s in behind),
        support={k: round(v / total, 4) for k, v in weights.items()},
    )
    return Rollup(state, counts, len(rows), capital_controller)


def evidence_for_level(level: str, records: pd.DataFrame, layer: DistrictLayer | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(evidence, unresolved records) for the map level; provinces need no district layer."""
    if level == "district" and layer is not None:
        return layer.evidence(records)
    return province_evidence(records), records.iloc[0:0]


def derive_provinces(layer: DistrictLayer, district_states: dict[str, AreaState],
                     province_states: dict[str, AreaState]) -> tuple[dict[str, AreaState], dict[str, Rollup]]:
    """Province states from their districts; a province whose districts have no claims keeps its
    own (province-wide) state."""
    rollups = {pid: rollup_province(pid, layer, district_states) for pid in province_states}
    states = {pid: (r.state if r.state.has_data else province_states[pid]) for pid, r in rollups.items()}
    return states, rollups


def explain_rollup(records: pd.DataFrame, district_evidence_: pd.DataFrame, layer: DistrictLayer,
                   province_id: str, as_of) -> Rollup:
    """The roll-up with each district's full reasoning (deciding records), for the panel."""
    detailed = {d: explain(records, district_evidence_, d, as_of)[0] for d in layer.ids_by_province.get(province_id, [])}
    return rollup_province(province_id, layer, detailed)


def resolve_area(query: str, level: str, layer: DistrictLayer | None) -> str | None:
    """An area named in a link (name or id, any common spelling) at the map's level."""
    if level == "district":
        return layer.national.resolve(query) if layer is not None else None
    return PROVINCE_GAZETTEER.resolve(query)
