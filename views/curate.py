"""Curate page: add, edit and retire claim records; choose quotes verbatim from source texts; add
source documents and open draft records suggested from them.  Layout only: checks are
``geo.records.validate_row`` (the loader's own), text handling is ``geo.seeds``."""
from __future__ import annotations

import streamlit as st

from geo import records, seeds
from geo.constants import CLAIM_KIND_LABELS, CLAIM_KINDS, CONTROLLERS, DATE_PRECISIONS, RELIABILITY, ACTORS
from geo.gazetteer import PROVINCES
from geo.mapview import esc
from geo.quality import map_link
from views import common

NEW = "(new record)"
MANUAL = "(no stored text: type the quote, cite a url)"
FIELDS = [c for c in records.COLUMNS if c not in ("status", "retired_reason", "quote")]
PROVINCE_NAMES = [p.name for p in PROVINCES]
GRADES_1_6 = ["1", "2", "3", "4", "5", "6"]

path = common.records_path()
seeds_dir = common.seeds_path()
layer = common.districts()
ss = st.session_state


def seed_text(name: str | None) -> str | None:
    return seeds.read_seed(name, seeds_dir) if name and name != MANUAL else None


def clear_form() -> None:
    for col in FIELDS:
        ss[f"f_{col}"] = None if col in ("date_precision", "province", "claimed_controller", "claim_kind",
                                         "claimant_side", "source_reliability", "info_credibility") else ""
    ss.f_seed_file = MANUAL
    ss.f_quote_manual = ""
    ss.q_from = ss.q_to = 0
    ss.q_trim_start = ss.q_trim_end = 0


def fill_form(row: dict) -> None:
    """Put a record (or a draft) into the form; the quote is located in its seed when possible."""
    clear_form()
    for col in FIELDS:
        value = records.cell(row.get(col))
        if col == "province" and value:
            pid = records.PROVINCE_GAZETTEER.resolve(value)
            value = records.PROVINCE_BY_ID[pid].name if pid else value
        if col in ("date_precision", "province", "claimed_controller", "claim_kind", "claimant_side",
                   "source_reliability", "info_credibility"):
            value = value or None
        ss[f"f_{col}"] = value
    quote = records.cell(row.get("quote"))
    text = seed_text(records.cell(row.get("seed_file")))
    located = seeds.locate_quote(text, seeds.segments(text), quote) if text else None
    if text is not None and located:
        ss.f_seed_file = records.cell(row.get("seed_file"))
        ss.q_from, ss.q_to, ss.q_trim_start, ss.q_trim_end = located
    else:
        ss.f_seed_file = MANUAL if text is None else records.cell(row.get("seed_file"))
        ss.f_quote_manual = quote


def open_record() -> None:
    rid = ss.pick
    ss.flash = None
    if rid == NEW:
        ss.editing = None
        clear_form()
        return
    row = next((r for r in common.raw_rows() if records.cell(r.get("id")) == rid), None)
    if row is not None:
        ss.editing = rid
        fill_form(row)


def current_quote() -> str:
    text = seed_text(ss.f_seed_file)
    if text is None:
        return ss.get("f_quote_manual", "") or ""
    return seeds.quote_from(text, seeds.segments(text), ss.q_from, ss.q_to, ss.q_trim_start, ss.q_trim_end)


def current_row() -> dict[str, str]:
    values = {col: ss.get(f"f_{col}") for col in FIELDS}
    values["seed_file"] = "" if ss.f_seed_file == MANUAL else ss.f_seed_file
    values["quote"] = current_quote()
    return seeds.form_row(values, records.COLUMNS)


def save() -> None:
    row = current_row()
    row.pop("status"), row.pop("retired_reason")  # an edit keeps the record's status
    problems = records.upsert_record(path, row, seeds_dir=seeds_dir)
    if problems:
        ss.flash = ("error", [(p.field, p.reason) for p in problems])
        return
    common.clear_caches()
    ss.editing = row["id"]
    ss.pick = row["id"]
    ss.flash = ("saved", row["id"], row["event_date"], row["province"])
    ss.f_save_anyway = False


def retire() -> None:
    problems = records.retire_record(path, ss.editing, ss.get("retire_reason", ""), seeds_dir=seeds_dir)
    if problems:
        ss.flash = ("error", [(p.field, p.reason) for p in problems])
        return
    common.clear_caches()
    ss.flash = ("retired", ss.editing)
    ss.retire_reason = ""


def open_draft(drafts, number: int) -> None:
    draft = drafts[drafts["draft"] == number].iloc[0].to_dict()
    ss.editing = None
    ss.pick = NEW
    fill_form(draft | {"id": seeds.draft_id(draft)})
    ss.flash = ("draft", number)


def problems_html(pairs) -> str:
    items = "".join(f"<li><b>{esc(f)}</b>: {esc(r)}</li>" for f, r in pairs)
    return f'<ul class="form-problems" style="color:#b00020;margin:0">{items}</ul>'


# --- state: first visit (and ?id=) -------------------------------------------------------------
if "curate_init" not in ss:
    ss.curate_init = True
    ss.editing = None
    ss.flash = None
    clear_form()
    ss.pick = NEW
    wanted = st.query_params.get("id")
    if wanted and any(records.cell(r.get("id")) == wanted for r in common.raw_rows()):
        ss.pick = wanted
        open_record()
    elif wanted:
        ss.flash = ("error", [("id", f"no record with id '{wanted}' in the file")])

st.header("Curate")
all_rows = common.raw_rows()
ids = sorted(records.cell(r.get("id")) for r in all_rows if records.cell(r.get("id")))
if ss.pick not in ids and ss.pick != NEW:
    ss.pick = NEW
st.selectbox("Record", [NEW, *ids], key="pick", on_change=open_record,
             help="Pick a record to edit it, or start a new one.")
if ss.editing:
    st.query_params["id"] = ss.editing
elif "id" in st.query_params:
    del st.query_params["id"]

flash = ss.get("flash")
if flash and flash[0] == "saved":
    st.success(f"Saved {flash[1]}.")
    st.html(f'<a href="{esc(map_link(flash[3], flash[2]))}" target="_self">Show it on the map</a>')
elif flash and flash[0] == "retired":
    st.success(f"Retired {flash[1]}: it stays in the file, off the map.")
elif flash and flash[0] == "draft":
    st.info(f"Draft {flash[1]} opened: confirm the controller, claim kind, claimant and grades before saving.")
elif flash and flash[0] == "error":
    st.error("Nothing was saved:")
    st.html(problems_html(flash[1]))

editing_row = next((r for r in all_rows if records.cell(r.get("id")) == ss.editing), None) if ss.editing else None
if editing_row is not None and records.cell(editing_row.get("status")) == records.RETIRED:
    st.warning("This record is retired (off the map). Reason:")
    st.text(records.cell(editing_row.get("retired_reason")))

# --- the form (live: every change is validated) --------------------------------------------------
left, right = st.columns([3, 2])
with left:
    c = st.columns(3)
    c[0].text_input("id", key="f_id", disabled=bool(ss.editing), help="stable unique slug; cannot change once saved")
    c[1].text_input("event_date (YYYY-MM-DD)", key="f_event_date")
    c[2].selectbox("date_precision", list(DATE_PRECISIONS), key="f_date_precision", placeholder="choose…")
    c = st.columns(3)
    c[0].text_input("reported_date (YYYY-MM-DD)", key="f_reported_date")
    province = c[1].selectbox("province", PROVINCE_NAMES, key="f_province", placeholder="choose…")
    pid = records.PROVINCE_GAZETTEER.resolve(province) if province else None
    if layer is not None and pid in layer.by_province:
        options = ["", *sorted(layer.by_province[pid].names.values())]
        if ss.f_district and ss.f_district not in options:
            options.append(ss.f_district)
        c[2].selectbox("district", options, key="f_district", help="from the imported district layer; empty = province-wide")
    else:
        c[2].text_input("district", key="f_district", help="empty = province-wide")
    c = st.columns(3)
    c[0].text_input("place", key="f_place")
    c[1].text_input("lat", key="f_lat")
    c[2].text_input("lon", key="f_lon")
    c = st.columns(3)
    c[0].selectbox("claimed_controller", list(CONTROLLERS), key="f_claimed_controller", placeholder="choose…",
                   format_func=lambda k: f"{k} — {ACTORS[k].label}")
    c[1].selectbox("claim_kind", list(CLAIM_KINDS), key="f_claim_kind", placeholder="choose…",
                   format_func=lambda k: CLAIM_KIND_LABELS[k])
    c[2].selectbox("claimant_side", list(records.CLAIMANT_SIDES), key="f_claimant_side", placeholder="choose…")
    c = st.columns(3)
    c[0].text_input("claimant", key="f_claimant")
    c[1].text_input("outlet", key="f_outlet")
    c[2].text_input("author", key="f_author")
    c = st.columns(2)
    c[0].selectbox("source_reliability (Admiralty A–F)", list(RELIABILITY), key="f_source_reliability", placeholder="choose…")
    c[1].selectbox("info_credibility (Admiralty 1–6)", GRADES_1_6, key="f_info_credibility", placeholder="choose…")
    st.text_input("url (http/https only)", key="f_url")

    st.markdown("**Quote** — chosen from the stored text, so it is verbatim by construction")
    seed_names = [s for s in seeds.list_seeds(seeds_dir).query("exists")["seed_file"]]
    if ss.f_seed_file not in [MANUAL, *seed_names]:
        seed_names.append(ss.f_seed_file)
    st.selectbox("seed_file", [MANUAL, *seed_names], key="f_seed_file",
                 on_change=lambda: ss.update(q_from=0, q_to=0, q_trim_start=0, q_trim_end=0))
    text = seed_text(ss.f_seed_file)
    if text is not None:
        segs = seeds.segments(text)
        n = max(len(segs), 1)
        ss.q_from, ss.q_to = min(ss.q_from, n - 1), min(ss.q_to, n - 1)
        label = lambda i: f"{i + 1}: {segs[i].text[:110]}{'…' if len(segs[i].text) > 110 else ''}" if segs else ""
        c = st.columns(2)
        c[0].selectbox("From sentence", list(range(len(segs))), key="q_from", format_func=label)
        c[1].selectbox("To sentence", list(range(len(segs))), key="q_to", format_func=label)
        c = st.columns(2)
        c[0].number_input("Trim characters at the start", min_value=0, step=1, key="q_trim_start")
        c[1].number_input("Trim characters at the end", min_value=0, step=1, key="q_trim_end")
    else:
        st.text_area("quote (verbatim from the report at the url)", key="f_quote_manual")
    st.text_area("notes", key="f_notes")

row = current_row()
others = {records.cell(r.get("id")) for r in all_rows} - ({ss.editing} if ss.editing else set())
check = dict(row)
if editing_row is not None:
    check.update(status=records.cell(editing_row.get("status")), retired_reason=records.cell(editing_row.get("retired_reason")))
_, problems = records.validate_row(check, file=path.name, line=0, seen_ids=set(others), seeds_dir=seeds_dir)
dups = records.likely_duplicates([r for r in all_rows if records.cell(r.get("id")) != ss.editing], row)

with right:
    st.markdown("**Quote as it will be saved**")
    st.text(row["quote"] or "(empty)")
    if problems:
        st.markdown(f"**{len(problems)} problem(s)** — the record cannot be saved yet:")
        st.html(problems_html(seeds.problem_lines(problems)))
    else:
        st.success("No problems: the record passes the same checks as the loader.")
    if dups:
        st.warning("This looks like a record already in the file:")
        st.dataframe({"id": dups}, hide_index=True)
        st.checkbox("Save anyway (it is a separate claim)", key="f_save_anyway")
    blocked = bool(problems) or (bool(dups) and not ss.get("f_save_anyway"))
    st.button("Save record", type="primary", disabled=blocked, on_click=save)
    if ss.editing:
        st.divider()
        st.text_input("Reason for retiring", key="retire_reason",
                      help="duplicate, misread source, retracted report… The record stays in the file.")
        st.button("Retire record", disabled=not (ss.get("retire_reason") or "").strip(), on_click=retire)

# --- source documents --------------------------------------------------------------------------
st.divider()
st.subheader("Source documents")
with st.form("add_seed", clear_on_submit=False):
    st.markdown("Add a report's text to `seeds/` (pasted or uploaded as UTF-8 text) with its metadata.")
    up = st.file_uploader("Text file", type=["txt"])
    pasted = st.text_area("…or paste the text", height=150)
    c = st.columns(3)
    s_name = c[0].text_input("File name (slugified; .txt)")
    s_title = c[1].text_input("Title")
    s_outlet = c[2].text_input("Outlet")
    c = st.columns(3)
    s_author = c[0].text_input("Author")
    s_url = c[1].text_input("URL (http/https)")
    s_pub = c[2].text_input("Published (YYYY-MM-DD)")
    add = st.form_submit_button("Add document")
if add:
    try:
        body = up.getvalue().decode("utf-8-sig") if up is not None else pasted
    except UnicodeDecodeError:
        body, added = None, None
        st.error("The file is not UTF-8 text.")
    if body is not None:
        added = seeds.add_seed(seeds_dir, s_name or (up.name if up is not None else ""), body,
                               {"title": s_title, "outlet": s_outlet, "author": s_author, "url": s_url, "published": s_pub})
        if added.ok:
            st.success(f"Added seeds/{added.seed_file}.")
            ss.draft_seed = added.seed_file
        else:
            st.error("Nothing was added:")
            st.html(problems_html([tuple(p.split(": ", 1)) if ": " in p else ("", p) for p in added.problems]))

catalogue = seeds.list_seeds(seeds_dir)
available = list(catalogue.query("exists")["seed_file"])
if available:
    if ss.get("draft_seed") not in available:
        ss.draft_seed = available[0]
    st.selectbox("Suggest draft records from", available, key="draft_seed")
    meta = catalogue[catalogue["seed_file"] == ss.draft_seed].iloc[0].to_dict()
    drafts = seeds.suggest_drafts(seed_text(ss.draft_seed) or "", ss.draft_seed, meta, layer)
    if drafts.empty:
        st.info("No claim-like sentences found in this text.")
    else:
        st.caption("Drafts are suggestions: nothing is saved until you open one, check it and press Save.")
        st.dataframe(drafts[["draft", "province", "district", "claimed_controller", "keywords", "quote"]],
                     hide_index=True, width="stretch")
        c = st.columns([1, 3])
        number = c[0].selectbox("Draft", list(drafts["draft"]), key="draft_pick")
        c[1].button("Open draft in the form", on_click=open_draft, args=(drafts, number))
