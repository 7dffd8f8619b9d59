"""Source documents in ``seeds/``: listing, adding (with ``index.csv`` metadata), cutting a text
into sentences so a quote is chosen verbatim, and suggesting draft records from claim-like
sentences.  Pure functions: the Curate page only lays them out.  Drafts are never saved here.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd

from geo.gazetteer import DISTRICT_ALIASES, PROVINCE_BY_ID, PROVINCE_GAZETTEER, PROVINCES, Gazetteer, name_key
from geo.records import SEEDS_DIR, atomic_write, locked

INDEX_NAME = "index.csv"
INDEX_COLUMNS: tuple[str, ...] = (
    "seed_file", "title", "outlet", "author", "published", "weekday_note", "retrieved_from", "complete", "notes",
)
MAX_SEED_BYTES = 2_000_000


# --- listing and reading -------------------------------------------------------------------------

def read_index(seeds_dir: Path = SEEDS_DIR) -> pd.DataFrame:
    """``index.csv`` as text cells (missing file → empty frame with the usual columns)."""
    path = Path(seeds_dir) / INDEX_NAME
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return pd.DataFrame(columns=list(INDEX_COLUMNS))
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    for col in INDEX_COLUMNS:
        if col not in frame.columns:
            frame[col] = ""
    return frame


def list_seeds(seeds_dir: Path = SEEDS_DIR) -> pd.DataFrame:
    """Every seed text file with its index metadata (files missing from the index get empty
    metadata; index rows whose file is missing are flagged ``exists=False``)."""
    seeds_dir = Path(seeds_dir)
    index = read_index(seeds_dir)
    files = sorted(p.name for p in seeds_dir.glob("*.txt") if p.is_file()) if seeds_dir.is_dir() else []
    known = set(index["seed_file"])
    extra = pd.DataFrame([{c: "" for c in INDEX_COLUMNS} | {"seed_file": f} for f in files if f not in known],
                         columns=list(INDEX_COLUMNS))
    out = pd.concat([index, extra], ignore_index=True) if len(extra) else index.copy()
    out["exists"] = out["seed_file"].isin(set(files))
    return out.sort_values("seed_file", ignore_index=True)


def read_seed(name: str, seeds_dir: Path = SEEDS_DIR) -> str | None:
    """A seed's text, or None when the name is not a readable UTF-8 file inside the folder."""
    try:
        base = Path(seeds_dir).resolve()
        path = (base / name).resolve()
        if not path.is_relative_to(base) or not path.is_file():
            return None
        return path.read_text(encoding="utf-8")
    except (OSError, ValueError, UnicodeDecodeError):
        return None


# --- adding a document --------------------------------------------------------------------------

def slugify(text: str, max_len: int = 80) -> str:
    """ascii, lower case, words joined by '-'; '' when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug[:max_len].rstrip("-")


def seed_file_name(name: str, published: str = "", outlet: str = "") -> str:
    """A safe file name: the given name (or date-outlet) slugified, ending in ``.txt``."""
    stem = re.sub(r"\.txt$", "", str(name).strip(), flags=re.I)
    slug = slugify(stem) or slugify(f"{published} {outlet}")
    return f"{slug}.txt" if slug else ""


@dataclass(frozen=True)
class AddResult:
    seed_file: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def add_seed(seeds_dir: Path, name: str, text: str, meta: Mapping[str, str]) -> AddResult:
    """Store a text as ``seeds/<slug>.txt`` and append its metadata to ``index.csv``.

    Refuses (and writes nothing) when the slug is empty, a file or index row of that name exists,
    the text is empty or too large, the published date is not ISO, or the url is not http(s).
    Both writes are atomic (temp file + rename) under the index's lock; the text is written first,
    so an index row never points at a missing file.
    """
    seeds_dir = Path(seeds_dir)
    meta = {k: str(v or "").strip() for k, v in meta.items()}
    fname = seed_file_name(name, meta.get("published", ""), meta.get("outlet", ""))
    problems: list[str] = []
    if not fname:
        problems.append("file name: give a name (letters or digits)")
    body = str(text or "").replace("\r\n", "\n").replace("\r", "\n")
    if not body.strip():
        problems.append("text: the document is empty")
    if len(body.encode("utf-8")) > MAX_SEED_BYTES:
        problems.append(f"text: larger than {MAX_SEED_BYTES // 1_000_000} MB")
    if "\x00" in body:
        problems.append("text: contains NUL bytes")
    published = meta.get("published", "")
    if published:
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", published):
                raise ValueError
            date.fromisoformat(published)
        except ValueError:
            problems.append(f"published: '{published}' is not an ISO date (YYYY-MM-DD)")
    url = meta.get("url", "") or meta.get("retrieved_from", "")
    if url and not re.match(r"https?://[^/\s]+", url):
        problems.append(f"url: '{url}' is not an http(s) link")
    if not meta.get("outlet"):
        problems.append("outlet: required")
    if problems:
        return AddResult(fname, problems)
    seeds_dir.mkdir(parents=True, exist_ok=True)
    index_path = seeds_dir / INDEX_NAME
    with locked(index_path):
        index = read_index(seeds_dir)
        if (seeds_dir / fname).exists() or fname in set(index["seed_file"]):
            return AddResult(fname, [f"file name: seeds/{fname} already exists; choose another name"])
        atomic_write(seeds_dir / fname, body if body.endswith("\n") else body + "\n")
        row = {c: "" for c in INDEX_COLUMNS}
        row.update(seed_file=fname, title=meta.get("title", ""), outlet=meta.get("outlet", ""),
                   author=meta.get("author", ""), published=published, retrieved_from=url,
                   complete=meta.get("complete", ""), notes=meta.get("notes", ""))
        columns = list(index.columns) + [c for c in INDEX_COLUMNS if c not in index.columns]
        rows = index.to_dict("records") + [row]
        buf = io.StringIO(newline="")
        writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: " ".join(str(r.get(k, "") or "").split()) for k in columns})
        atomic_write(index_path, buf.getvalue())
    return AddResult(fname, [])


# --- sentences and verbatim quotes -----------------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    start: int
    end: int
    text: str


# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) before white space.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s)")


def segments(text: str) -> list[Segment]:
    """The text cut into sentences (and lines), each with its character offsets, so that
    ``text[s.start:s.end] == s.text`` and any run of consecutive segments is a substring."""
    out: list[Segment] = []
    for para in re.finditer(r"[^\n]+", text):
        pos = para.start()
        cuts = [m.end() for m in _SENTENCE_END.finditer(para.group())] + [len(para.group())]
        for cut in cuts:
            end = para.start() + cut
            chunk = text[pos:end]
            lead = len(chunk) - len(chunk.lstrip())
            s, e = pos + lead, pos + len(chunk.rstrip())
            if e > s:
                out.append(Segment(s, e, text[s:e]))
            pos = end
    return out


def quote_from(text: str, segs: list[Segment], first: int, last: int, trim_start: int = 0, trim_end: int = 0) -> str:
    """The text from segment ``first`` to ``last`` (inclusive), less ``trim_start`` characters at
    the start and ``trim_end`` at the end: always a substring of ``text``."""
    if not segs:
        return ""
    first, last = max(0, min(first, len(segs) - 1)), max(0, min(last, len(segs) - 1))
    if last < first:
        first, last = last, first
    start, end = segs[first].start, segs[last].end
    start = min(start + max(0, int(trim_start)), end)
    end = max(end - max(0, int(trim_end)), start)
    return text[start:end]


def locate_quote(text: str, segs: list[Segment], quote: str) -> tuple[int, int, int, int] | None:
    """(first, last, trim_start, trim_end) that ``quote_from`` turns back into the quote."""
    if not quote:
        return None
    at = text.find(quote)
    if at < 0:
        return None
    end = at + len(quote)
    # The segments that cover the quote, including any space between segments it starts or ends in.
    first = next((i for i in range(len(segs) - 1, -1, -1) if segs[i].start <= at), None)
    last = next((i for i, s in enumerate(segs) if s.end >= end), None)
    if first is None or last is None or last < first:
        return None
    return first, last, at - segs[first].start, segs[last].end - end


# --- draft suggestions ---------------------------------------------------------------------------

CLAIM_WORDS: dict[str, str] = {
    # keyword → a guessed controller ("gain" = the side named as acting, "contested" = fighting)
    "captured": "gain", "capture": "gain", "fell": "gain", "fallen": "gain", "seized": "gain", "overran": "gain",
    "overrun": "gain", "took control": "gain", "taken": "gain", "takeover": "gain", "conquered": "gain",
    "surrendered": "gain", "surrendering": "gain", "entered": "gain", "control": "gain",
    "retook": "retake", "recaptured": "retake", "retaken": "retake", "cleared": "retake", "pushed back": "retake",
    "dislodged": "retake", "counteroffensive": "retake", "regained": "retake",
    "fighting": "contested", "clashes": "contested", "war is raging": "contested", "battle": "contested",
    "besieged": "contested", "siege": "contested",
}
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*(?:-[A-Za-z][A-Za-z'’]*)*")
_KEYWORDS = re.compile(r"\b(" + "|".join(sorted((re.escape(k) for k in CLAIM_WORDS), key=len, reverse=True)) + r")\b", re.I)
_TALIBAN = re.compile(r"\b(taliban|insurgen\w*|militants?|enemy|islamic emirate)\b", re.I)
_GOVERNMENT = re.compile(r"\b(government|security forces|army|afghan forces|national army|police|commandos?|ANDSF)\b", re.I)


def _place_gazetteer(layer=None) -> tuple[Gazetteer, dict[str, str]]:
    """Names of districts/places: the layer's districts when present, else known aliases and
    provincial capitals.  Returns (gazetteer of place ids, place id → province id or '')."""
    gaz, province_of = Gazetteer(), {}
    if layer is not None:
        for row in layer.gdf.itertuples(index=False):
            from geo.gazetteer import district_aliases
            gaz.add(row.area_id, row.name, district_aliases(row.name))
            province_of[row.area_id] = row.province_id
    for p in PROVINCES:
        pid = f"capital:{p.id}"
        if not gaz.resolve(p.capital):
            gaz.add(pid, p.capital)
            province_of[pid] = p.id
    for canonical, alts in DISTRICT_ALIASES.items():
        if not gaz.resolve(canonical):
            gaz.add(f"alias:{canonical}", canonical, alts)
            province_of[f"alias:{canonical}"] = ""
    return gaz, province_of


@dataclass(frozen=True)
class Mention:
    kind: str  # province | place
    area: str  # province id, or place id
    name: str  # the words as written
    start: int
    end: int
    province_id: str  # '' when unknown


def find_places(text: str, layer=None) -> list[Mention]:
    """Province and district/place names in a text (1–3 word spans), longest match first."""
    places, province_of = _place_gazetteer(layer)
    words = list(_WORD.finditer(text))
    found: list[Mention] = []
    i = 0
    while i < len(words):
        hit = None
        for n in (3, 2, 1):
            if i + n > len(words):
                continue
            span = text[words[i].start():words[i + n - 1].end()]
            if n > 1 and re.search(r"[.,;:!?\n]", span):
                continue
            key = name_key(span)
            if not key or len(key) < 3:
                continue
            if (pid := PROVINCE_GAZETTEER.resolve(span)) and name_key(span) not in {"center", ""}:
                hit = Mention("province", pid, span, words[i].start(), words[i + n - 1].end(), pid)
            elif place := places.resolve(span):
                hit = Mention("place", place, span, words[i].start(), words[i + n - 1].end(), province_of.get(place, ""))
            if hit:
                i += n
                break
        if hit:
            found.append(hit)
        else:
            i += 1
    return found


def guess_controller(sentence: str) -> str:
    """A first guess for the curator: who the sentence says holds (or fights for) the area."""
    kinds = {CLAIM_WORDS[m.group(1).lower()] for m in _KEYWORDS.finditer(sentence)}
    if "retake" in kinds and _GOVERNMENT.search(sentence):
        return "government"
    if "gain" in kinds and _TALIBAN.search(sentence):
        return "taliban"
    if "contested" in kinds:
        return "contested"
    if "retake" in kinds:
        return "government"
    return "unknown"


def claim_sentences(text: str) -> list[Segment]:
    return [s for s in segments(text) if _KEYWORDS.search(s.text)]


DRAFT_COLUMNS = ("draft", "province", "district", "place", "claimed_controller", "keywords", "quote",
                 "event_date", "reported_date", "outlet", "author", "url", "seed_file")


def suggest_drafts(text: str, seed_file: str = "", meta: Mapping[str, str] | None = None, layer=None) -> pd.DataFrame:
    """One draft per claim-like sentence: the sentence as quote (verbatim), the province and
    district/place it names (else the document's most named province), and a guessed controller.
    Claim kind, claimant and grades are left for the curator.  Nothing is saved."""
    meta = dict(meta or {})
    mentions = find_places(text, layer)
    counts = pd.Series([m.province_id for m in mentions if m.province_id]).value_counts()
    doc_province = counts.index[0] if len(counts) else ""
    rows = []
    for seg in claim_sentences(text):
        inside = [m for m in mentions if seg.start <= m.start and m.end <= seg.end]
        provinces = [m.province_id for m in inside if m.kind == "province"]
        places = [m for m in inside if m.kind == "place"]
        pid = provinces[0] if provinces else next((m.province_id for m in places if m.province_id), doc_province)
        place = places[0] if places else None
        district = ""
        if place is not None and layer is not None and not place.area.startswith(("capital:", "alias:")):
            district = layer.names().get(place.area, "")
        elif place is not None:
            district = place.name
        rows.append({
            "draft": len(rows) + 1,
            "province": PROVINCE_BY_ID[pid].name if pid else "",
            "district": district,
            "place": place.name if place else "",
            "claimed_controller": guess_controller(seg.text),
            "keywords": ", ".join(sorted({m.group(1).lower() for m in _KEYWORDS.finditer(seg.text)})),
            "quote": seg.text,
            "event_date": meta.get("published", ""),
            "reported_date": meta.get("published", ""),
            "outlet": meta.get("outlet", ""),
            "author": meta.get("author", ""),
            "url": meta.get("retrieved_from", "") or meta.get("url", ""),
            "seed_file": seed_file,
        })
    return pd.DataFrame(rows, columns=list(DRAFT_COLUMNS))


def draft_id(draft: Mapping[str, str]) -> str:
    """A suggested id: province-date-first words."""
    words = slugify(" ".join(str(draft.get("quote", "")).split()[:4]))
    parts = [slugify(str(draft.get("province", ""))[:3]), str(draft.get("event_date", "")), words]
    return "-".join(p for p in parts if p)[:80]


# --- the Curate form's row ------------------------------------------------------------------------

def form_row(values: Mapping[str, object], columns: Iterable[str]) -> dict[str, str]:
    """A record row from form values: every schema column, None → '', text stripped
    (lat/lon and dates as typed: the validator judges them)."""
    out = {}
    for col in columns:
        v = values.get(col)
        out[col] = "" if v is None else str(v).strip()
    return out


def problem_lines(problems) -> list[tuple[str, str]]:
    """(field, reason) pairs in form order, without repeats."""
    seen, out = set(), []
    for p in problems:
        key = (p.field, p.reason)
        if key not in seen:
            seen.add(key)
            out.append(key)
    return out
