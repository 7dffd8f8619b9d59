"""Data-quality checks for the Data page: every row with a problem, districts the layer does not
know, quotes missing from their seed, likely duplicates, retired records and stale areas — each
with a link to fix it (the Curate page for a record, the map for an area).  No Streamlit here.
"""
from __future__ import annotations

import io
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Iterable, Mapping
from urllib.parse import urlencode

import pandas as pd

from geo import control
from geo.constants import PARAMS, ModelParams
from geo.mapview import esc, safe_href
from geo.records import Problem, _duplicate_key, _scan, cell

CURATE_PATH = "curate"


def curate_link(record_id: str) -> str:
    return f"/{CURATE_PATH}?" + urlencode({"id": record_id})


def map_link(area: str, as_of: date | str, level: str = "province") -> str:
    return "/?" + urlencode({"area": area, "date": str(as_of), "level": level})


def ids_by_line(text: str, file: str = "records.csv") -> dict[int, str]:
    """Line on which each row starts → its id (as written), to link problems to records."""
    return {line: cell(cells.get("id")) for line, cells in _scan(text, file).rows if cell(cells.get("id"))}


def ids_by_line_of(path: Path) -> dict[int, str]:
    try:
        return ids_by_line(Path(path).read_bytes().decode("utf-8-sig"), str(path))
    except (OSError, UnicodeDecodeError):
        return {}


def invalid_rows(problems: Iterable[Problem], ids: Mapping[int, str] | None = None) -> pd.DataFrame:
    """One row per problem: file, row, id (when the row has one), field, reason, link."""
    ids = ids or {}
    rows = []
    for p in problems:
        rid = ids.get(p.row, "")
        rows.append({"file": p.file, "row": p.row, "id": rid, "field": p.field, "reason": p.reason,
                     "fix": curate_link(rid) if rid else ""})
    return pd.DataFrame(rows, columns=["file", "row", "id", "field", "reason", "fix"])


def quote_problems(problems: Iterable[Problem], ids: Mapping[int, str] | None = None) -> pd.DataFrame:
    """Quotes not found in their seed and unreadable seed files, grouped by seed file."""
    table = invalid_rows([p for p in problems if p.field in ("quote", "seed_file")], ids)
    if table.empty:
        return table.assign(seed=pd.Series(dtype=str))
    table["seed"] = table["reason"].str.extract(r"seeds/(\S+)$|'([^']+)' is not a readable")\
        .bfill(axis=1).iloc[:, 0].fillna("")
    return table.sort_values(["seed", "row"], ignore_index=True)


def unresolved_districts(records: pd.DataFrame, layer) -> pd.DataFrame:
    """Active records naming a district the imported layer does not have (empty without a layer)."""
    cols = ["id", "province", "district", "row", "fix"]
    if layer is None or records.empty:
        return pd.DataFrame(columns=cols)
    _, unresolved = layer.evidence(records)
    if unresolved is None or len(unresolved) == 0:
        return pd.DataFrame(columns=cols)
    out = unresolved[["id", "province", "district", "row"]].copy()
    out["fix"] = out["id"].map(curate_link)
    return out.reset_index(drop=True)


def duplicate_groups(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Groups of two or more records that look like the same claim again (same key as
    ``records.likely_duplicates``): group number, id, status, and a link per record."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for frame in frames:
        for row in frame.to_dict("records"):
            key = _duplicate_key(row)
            if key[3] or key[4]:
                groups[key].append(row)
    rows = []
    n = 0
    for key in sorted(groups, key=lambda k: (k[2], k[0], k[1], k[3])):
        members = groups[key]
        if len(members) < 2:
            continue
        n += 1
        for r in sorted(members, key=lambda r: cell(r.get("id"))):
            rows.append({"group": n, "id": cell(r.get("id")), "status": cell(r.get("status")) or "active",
                         "event_date": cell(r.get("event_date")), "province": cell(r.get("province")),
                         "district": cell(r.get("district")), "claimant": cell(r.get("claimant")),
                         "quote": cell(r.get("quote")), "fix": curate_link(cell(r.get("id")))})
    return pd.DataFrame(rows, columns=["group", "id", "status", "event_date", "province", "district", "claimant",
                                       "quote", "fix"])


def retired_table(retired: pd.DataFrame) -> pd.DataFrame:
    cols = ["id", "event_date", "province", "district", "claimant", "retired_reason", "fix"]
    if retired is None or retired.empty:
        return pd.DataFrame(columns=cols)
    out = retired.reindex(columns=cols[:-1]).fillna("").astype(str)
    out["fix"] = out["id"].map(curate_link)
    return out.sort_values("id", ignore_index=True)


def stale_areas(index: control.StateIndex, as_of: date, names: Mapping[str, str], level: str = "province",
                params: ModelParams = PARAMS) -> pd.DataFrame:
    """Areas with claims whose newest confirmed claim is older than ``params.stale_after_days``
    as of a date (the data's last date), oldest first, with a map link to look at them."""
    cols = ["area", "area_id", "controller", "last_confirmed", "days_since_confirmed", "fix"]
    states = index.at(as_of, params)
    frame = control.states_frame(states, as_of) if states else pd.DataFrame()
    if frame.empty:
        return pd.DataFrame(columns=cols)
    frame = frame[frame["has_data"]]
    days = frame["days_since_confirmed"]
    # No confirmed claim at all (only self-serving ones) is stale too: nothing independent backs it.
    stale = frame[days.isna() | (days.fillna(10**9) > params.stale_after_days)].copy()
    stale["area"] = stale["area_id"].map(lambda a: names.get(a, a))
    link_name = stale["area"] if level == "province" else stale["area_id"]
    stale["fix"] = [map_link(a, as_of, level) for a in link_name]
    stale = stale.sort_values("days_since_confirmed", ascending=False, na_position="first", ignore_index=True)
    return stale[cols]


def html_table(frame: pd.DataFrame, link_column: str = "fix", link_text: str = "fix", table_class: str = "quality") -> str:
    """An HTML table of record text, every cell escaped; the link column becomes a link only for
    same-site paths or http(s) URLs."""
    cols = [c for c in frame.columns if c != link_column]
    out = io.StringIO()
    out.write(f'<table class="{esc(table_class)}"><thead><tr>')
    out.write("".join(f"<th>{esc(c)}</th>" for c in cols))
    if link_column in frame.columns:
        out.write("<th></th>")
    out.write("</tr></thead><tbody>")
    for row in frame.to_dict("records"):
        rid = esc(row.get("id", ""))
        out.write(f'<tr data-id="{rid}">' if rid else "<tr>")
        out.write("".join(f"<td>{esc(cell(row.get(c)))}</td>" for c in cols))
        if link_column in frame.columns:
            href = str(row.get(link_column) or "")
            ok = href.startswith("/") and not href.startswith("//")
            safe = esc(href) if ok else safe_href(href)
            out.write(f'<td><a href="{safe}" target="_self">{esc(link_text)}</a></td>' if safe else "<td></td>")
        out.write("</tr>")
    out.write("</tbody></table>")
    return out.getvalue()
