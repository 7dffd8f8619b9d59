"""ACLED and UCDP GED event CSVs → claim records.

Event datasets code *events*, not claims, so every import is an interpretation; the rules live
here as tables and are documented in ``data/README.md`` ("Importing ACLED and UCDP"):

- ACLED: only the territory-change sub-events become claims; the actor who gains the area
  (``actor1``) is the claimed controller, ACLED is the (independent) claimant and its ``notes``
  text is the quote.
- UCDP GED codes fighting, never control: an event is read as evidence that its area was
  **contested** on that date; the headline of the coded source article is the quote.

Importing never raises on bad content.  A row is either imported, *skipped* (by design: not a
territory change, an actor we do not map, no quotable text, too imprecise; counted by reason) or
*rejected* with problems (malformed: missing values, bad dates, unknown province; reported with
file, row and field).  Every record emitted has passed ``geo.records.validate_row``, so the loader
accepts it.

CLI::

    python -m geo.importers acled|ucdp FILE [--into data/records.csv] [--dry-run]
"""
from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

from geo.constants import CONTESTED, GOVERNMENT, INDEPENDENT, ISKP, RESISTANCE, TALIBAN
from geo.gazetteer import PROVINCE_BY_ID, PROVINCE_GAZETTEER, name_key
from geo import records as records_mod
from geo.records import COLUMNS, SEEDS_DIR, Problem, validate_row

ACLED = "acled"
UCDP = "ucdp"
KINDS: tuple[str, ...] = (ACLED, UCDP)
PROGRESS_EVERY = 1000  # rows between progress callbacks

Progress = Callable[[float, str], None]

# --- ACLED -------------------------------------------------------------------------------------
ACLED_REQUIRED: tuple[str, ...] = (
    "event_id_cnty", "event_date", "time_precision", "sub_event_type", "actor1",
    "admin1", "admin2", "geo_precision", "notes",
)
ACLED_OPTIONAL: tuple[str, ...] = (
    "event_type", "actor2", "location", "latitude", "longitude", "source", "source_scale", "country",
)
# Territory-change sub-events (casefolded) → how the claimed controller is found.
# In all three ACLED codes the actor that ends up holding the area as actor1.
ACLED_TERRITORY: dict[str, str] = {
    "non-state actor overtakes territory": "actor1 (the non-state actor) gains the area",
    "government regains territory": "actor1 (the state's forces) regains the area",
    "non-violent transfer of territory": "actor1 (the receiving actor) gains the area",
}
ACLED_TIME_PRECISION = {1: "day", 2: "week", 3: "month"}
# geo_precision 1 (the place itself) and 2 (near the place, within its district) name a district;
# 3 (only the province / a larger region) makes the claim province-wide.
ACLED_GEO_DISTRICT = (1, 2)
ACLED_GEO_PROVINCE = (3,)
ACLED_RELIABILITY = "B"  # ACLED: an established observer, usually reliable
ACLED_URL = "https://acleddata.com/data-export-tool/"
# The Islamic Republic fell on 15 August 2021; ACLED names the Islamic Emirate's forces with the
# period "(2021-)" (e.g. "Military Forces of Afghanistan (2021-)"), the Republic's "(2004-2021)".
REPUBLIC_FELL = date(2021, 8, 15)
_STATE = "state"  # Afghan state forces: government before REPUBLIC_FELL, Taliban after

# --- UCDP GED ----------------------------------------------------------------------------------
UCDP_REQUIRED: tuple[str, ...] = (
    "id", "date_start", "date_prec", "where_prec", "adm_1", "adm_2", "side_a", "side_b",
    "source_headline", "type_of_violence",
)
UCDP_OPTIONAL: tuple[str, ...] = (
    "date_end", "source_article", "source_office", "where_coordinates", "latitude", "longitude",
    "country", "conflict_name",
)
# GED date_prec: 1 exact day; 2 within 2–6 days; 3 only the week; 4 within 8–30 days or only
# the month; 5 only within more than a month (up to a year) — coarser than any record precision.
UCDP_DATE_PRECISION = {1: "day", 2: "week", 3: "week", 4: "month"}
UCDP_DATE_SKIP = (5,)
# GED where_prec: 1 exact place; 2 within ~25 km of a known place; 3 only the second-order unit
# (district); 4 only the first-order unit (province); 5 a part of the country larger than a province
# (or a linear feature); 6 only the country; 7 international waters or airspace.
UCDP_WHERE_DISTRICT = (1, 2, 3)
UCDP_WHERE_PROVINCE = (4,)
UCDP_WHERE_SKIP = (5, 6, 7)
UCDP_TYPES = {1: "state-based", 2: "non-state", 3: "one-sided"}
UCDP_RELIABILITY = "B"
UCDP_URL = "https://ucdp.uu.se/"

# --- skip reasons (the category is the text before " (") ----------------------------------------
OUTSIDE_AFGHANISTAN = "outside Afghanistan"
NOT_TERRITORY = "not a territory change"
ACTOR_NOT_MAPPED = "actor not mapped to a controller"
NO_QUOTE = "no quotable text"
ONE_SIDED = "one-sided violence (no fighting between two sides)"
TOO_IMPRECISE = "too imprecise"
DUPLICATE = "duplicate event"

_MONTH_FORMATS = ("%d %B %Y", "%d %b %Y", "%d-%b-%Y", "%d-%b-%y", "%B %d, %Y", "%b %d, %Y", "%Y/%m/%d")
_ISO = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T][0-9:.+\-Z ]*)?")
_INT = re.compile(r"\s*(\d+)(?:\.0*)?\s*")


@dataclass
class ImportResult:
    file: str
    kind: str
    records: list[dict] = field(default_factory=list)  # valid claim records, every value a string
    rows_read: int = 0  # data rows (blank lines not counted)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row, reason), not errors
    problems: list[Problem] = field(default_factory=list)  # malformed rows or an unusable file
    rejected: int = 0  # rows not imported because of a problem
    readable: bool = True  # False: the file itself could not be used (see problems)

    @property
    def imported(self) -> int:
        return len(self.records)

    def skip_counts(self) -> Counter:
        """Skipped rows by reason category (the reason without its detail in brackets)."""
        return Counter(reason.split(" (", 1)[0] for _, reason in self.skipped)

    def summary(self, limit: int = 20) -> str:
        label = {ACLED: "ACLED", UCDP: "UCDP GED"}.get(self.kind, self.kind)
        if not self.readable:
            lines = [f"{self.file} ({label}): not imported."]
        else:
            lines = [
                f"{self.file} ({label}): {self.rows_read} row(s) read — {self.imported} imported, "
                f"{len(self.skipped)} skipped, {self.rejected} with problems."
            ]
        if self.skipped:
            lines.append("Skipped:")
            for reason, n in self.skip_counts().most_common():
                lines.append(f"  {n:6d}  {reason}")
        if self.problems:
            lines.append(f"Problems ({len(self.problems)}):")
            lines += [f"  {p}" for p in self.problems[:limit]]
            if len(self.problems) > limit:
                lines.append(f"  … and {len(self.problems) - limit} more")
        return "\n".join(lines)


class MergeReport(list):
    """``merge_into``'s answer: a list of Problems, plus which ids were added or already there."""

    def __init__(self) -> None:
        super().__init__()
        self.added: list[str] = []
        self.present: list[str] = []


# --- reading -----------------------------------------------------------------------------------

def _decode(data: bytes) -> tuple[str | None, str]:
    if data[:4] == b"PK\x03\x04":
        return None, "a zip or Excel file, not CSV text (export the data as CSV)"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            return None, f"not readable UTF-16 text ({exc.reason})"
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return None, f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    if "\x00" in text.split("\n", 1)[0]:  # a NUL in a data row is only that row's problem
        return None, "binary data (NUL bytes), not CSV text"
    return text, ""


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _clean(cell: str) -> str:
    return cell.replace("\r\n", "\n").replace("\r", "\n").strip()


def _rows(text: str, file: str, problems: list[Problem], progress: Progress | None):
    """Yield (header, None, None) once, then (None, line, row dict) per data row.

    Header names are lower-cased; cells are stripped, with line breaks inside quoted cells
    normalised to "\\n".  A CSV error ends the file with a problem; rows read so far stand.
    """
    buf = io.StringIO(text, newline="")
    reader = csv.reader(buf, delimiter=_delimiter(text))
    total = max(len(text), 1)
    header: list[str] | None = None
    prev = 0
    n = 0
    try:
        for cells in reader:
            start, prev = prev + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = [c.strip().lower() for c in cells]
                yield header, None, None
                continue
            n += 1
            if progress is not None and n % PROGRESS_EVERY == 0:
                progress(min(buf.tell() / total, 0.99), f"{n} rows read")
            extra = cells[len(header):]
            if any(c.strip() for c in extra):
                problems.append(Problem(file, start, "(row)", f"{len(extra)} cell(s) more than the header has"))
                yield None, start, None
                continue
            if any("\x00" in c for c in cells):
                problems.append(Problem(file, start, "(row)", "contains NUL characters (binary data)"))
                yield None, start, None
                continue
            row: dict[str, str] = {}
            for i, name in enumerate(header):
                if name not in row:
                    row[name] = _clean(cells[i]) if i < len(cells) else ""
            yield None, start, row
    except csv.Error as exc:
        problems.append(Problem(file, reader.line_num, "(csv)", f"unreadable CSV from here on: {exc}"))
    if header is None:
        yield None, 0, None  # signals "no header"


# --- helpers -----------------------------------------------------------------------------------

def parse_date(text: str) -> date | None:
    """ISO dates (with or without a time) and ACLED's '07 July 2021' style; None if neither."""
    s = " ".join(text.split())
    if not s:
        return None
    m = _ISO.fullmatch(s)
    if m:
        try:
            return date.fromisoformat(m.group(1))
        except ValueError:
            return None
    for fmt in _MONTH_FORMATS:
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    return None


def _code(text: str) -> int | None:
    m = _INT.fullmatch(text)
    return int(m.group(1)) if m else None


def _slug(prefix: str, raw: str) -> str:
    body = re.sub(r"[^A-Za-z0-9._-]+", "-", raw).strip("-._")
    return f"{prefix}-{body}" if body else ""


def _http_url(text: str) -> str:
    """The first http(s) link in a cell, or ''."""
    for part in re.split(r"[\s;,]+", text):
        parsed = urlparse(part)
        if parsed.scheme in ("http", "https") and parsed.netloc:
            return part
    return ""


def _coords(lat: str, lon: str) -> tuple[str, str]:
    try:
        la, lo = float(lat), float(lon)
    except ValueError:
        return "", ""
    if -90 <= la <= 90 and -180 <= lo <= 180:
        return lat, lon
    return "", ""


def _is_afghanistan(country: str) -> bool:
    return not country or name_key(country) == "afghanistan"


def acled_actor_side(name: str) -> str | None:
    """Our controller for an ACLED actor name; '_STATE' for Afghan state forces; None if unmapped."""
    n = " ".join(name.casefold().split())
    if not n or "pakistan" in n:
        return None
    if "khorasan" in n or re.search(r"\biskp\b|\bis-k\b", n) or n == "islamic state" \
            or n.startswith("islamic state (afghanistan)"):
        return ISKP
    if re.search(r"\bnrf\b", n) or "national resistance front" in n:
        return RESISTANCE
    if re.match(r"(military|police) forces of afghanistan\b|government of afghanistan\b", n):
        return _STATE
    if re.match(r"taliban\b", n):
        return TALIBAN
    return None


def _state_controller(name: str, when: date) -> str:
    """Afghan state forces: the period in ACLED's name decides, else the date."""
    m = re.search(r"\((\d{4})\s*-\s*(\d{4})?\s*\)", name)
    if m:
        start = int(m.group(1))
        return TALIBAN if start >= REPUBLIC_FELL.year else GOVERNMENT
    return GOVERNMENT if when < REPUBLIC_FELL else TALIBAN


@dataclass
class _Ctx:
    file: str
    ids: set[str] = field(default_factory=set)  # ids validated so far (validate_row's seen_ids)
    event_rows: dict[str, int] = field(default_factory=dict)  # record id → first row


class _Skip(Exception):
    pass


def _province(value: str, column: str, file: str, line: int, problems: list[Problem]) -> str | None:
    if not value:
        problems.append(Problem(file, line, column, "required value is empty"))
        return None
    pid = PROVINCE_GAZETTEER.resolve(value)
    if pid is None:
        hint = PROVINCE_GAZETTEER.suggest(value)
        problems.append(Problem(
            file, line, column,
            f"unknown province '{value}'" + (f" (did you mean {', '.join(hint)}?)" if hint else ""),
        ))
    return pid


def _date(value: str, column: str, file: str, line: int, problems: list[Problem], required: bool = True) -> date | None:
    if not value:
        if required:
            problems.append(Problem(file, line, column, "required value is empty"))
        return None
    parsed = parse_date(value)
    if parsed is None:
        problems.append(Problem(file, line, column, f"'{value}' is not a date (YYYY-MM-DD or '07 July 2021')"))
    return parsed


def _precision(value: str, column: str, allowed, file: str, line: int, problems: list[Problem]) -> int | None:
    code = _code(value)
    if code is None or code not in allowed:
        shown = f"'{value}'" if value else "empty"
        problems.append(Problem(file, line, column, f"{shown} is not a precision code ({', '.join(map(str, allowed))})"))
        return None
    return code


def _duplicate(ctx: _Ctx, rid: str, line: int) -> None:
    if rid in ctx.event_rows:
        raise _Skip(f"{DUPLICATE} (same id as row {ctx.event_rows[rid]})")
    ctx.event_rows[rid] = line


def _blank_record() -> dict[str, str]:
    return {c: "" for c in COLUMNS}


# --- ACLED -------------------------------------------------------------------------------------

def _acled(row: dict[str, str], line: int, ctx: _Ctx, problems: list[Problem]) -> dict | None:
    f = ctx.file
    if not _is_afghanistan(row.get("country", "")):
        raise _Skip(f"{OUTSIDE_AFGHANISTAN} ({row['country']})")
    sub = row["sub_event_type"]
    if sub.casefold() not in ACLED_TERRITORY:
        raise _Skip(f"{NOT_TERRITORY} ({row.get('event_type') or '?'} / {sub or 'no sub_event_type'})")
    side = acled_actor_side(row["actor1"])
    if side is None:
        raise _Skip(f"{ACTOR_NOT_MAPPED} (actor1 '{row['actor1']}')" if row["actor1"] else f"{ACTOR_NOT_MAPPED} (actor1 empty)")
    if not row["notes"]:
        raise _Skip(f"{NO_QUOTE} (notes empty)")

    rid = _slug("acled", row["event_id_cnty"])
    if not rid:
        problems.append(Problem(f, line, "event_id_cnty", "required value is empty"))
    when = _date(row["event_date"], "event_date", f, line, problems)
    tp = _precision(row["time_precision"], "time_precision", tuple(ACLED_TIME_PRECISION), f, line, problems)
    gp = _precision(row["geo_precision"], "geo_precision", ACLED_GEO_DISTRICT + ACLED_GEO_PROVINCE, f, line, problems)
    pid = _province(row["admin1"], "admin1", f, line, problems)
    if problems:
        return None
    _duplicate(ctx, rid, line)
    controller = _state_controller(row["actor1"], when) if side == _STATE else side

    rec = _blank_record()
    scope_note = ""
    if gp in ACLED_GEO_DISTRICT:
        rec["district"] = row["admin2"]
        rec["place"] = row.get("location", "")
        rec["lat"], rec["lon"] = _coords(row.get("latitude", ""), row.get("longitude", ""))
        if not row["admin2"]:
            scope_note = " admin2 empty, so the claim is province-wide."
    source = row.get("source", "")
    scale = row.get("source_scale", "")
    rec.update(
        id=rid,
        event_date=when.isoformat(),
        date_precision=ACLED_TIME_PRECISION[tp],
        province=PROVINCE_BY_ID[pid].name,
        claimed_controller=controller,
        claim_kind=INDEPENDENT,
        claimant=f"ACLED (coded from: {source})" if source else "ACLED",
        claimant_side=INDEPENDENT,
        outlet="ACLED",
        url=ACLED_URL,
        quote=row["notes"],
        source_reliability=ACLED_RELIABILITY,
        info_credibility="2" if tp == 1 and gp == 1 else "3",
        notes=(
            f"ACLED event {row['event_id_cnty']}; {row.get('event_type') or '?'} / {sub}; "
            f"actor1 '{row['actor1']}' → {controller}"
            + (f"; actor2 '{row['actor2']}'" if row.get("actor2") else "")
            + (f"; source: {source}" + (f" ({scale})" if scale else "") if source else "")
            + f"; time_precision {tp}, geo_precision {gp}.{scope_note} Imported from {Path(f).name}."
        ),
    )
    return rec


# --- UCDP GED ----------------------------------------------------------------------------------

def _strip_suffix(value: str, word: str) -> str:
    return re.sub(rf"\s+{word}\s*$", "", value, flags=re.IGNORECASE).strip()


def _ucdp(row: dict[str, str], line: int, ctx: _Ctx, problems: list[Problem]) -> dict | None:
    f = ctx.file
    if not _is_afghanistan(row.get("country", "")):
        raise _Skip(f"{OUTSIDE_AFGHANISTAN} ({row['country']})")
    tov = _code(row["type_of_violence"])
    if tov == 3:
        raise _Skip(f"{ONE_SIDED} (type_of_violence 3)")
    if not row["source_headline"]:
        raise _Skip(f"{NO_QUOTE} (source_headline empty)")
    dp, wp = _code(row["date_prec"]), _code(row["where_prec"])
    if wp in UCDP_WHERE_SKIP:
        raise _Skip(f"{TOO_IMPRECISE} (where_prec {wp}: coarser than a province)")
    if dp in UCDP_DATE_SKIP:
        raise _Skip(f"{TOO_IMPRECISE} (date_prec {dp}: coarser than a month)")

    if tov not in UCDP_TYPES:
        problems.append(Problem(f, line, "type_of_violence", f"'{row['type_of_violence']}' is not 1, 2 or 3"))
    rid = _slug("ucdp", row["id"])
    if not rid:
        problems.append(Problem(f, line, "id", "required value is empty"))
    start = _date(row["date_start"], "date_start", f, line, problems)
    end = _date(row.get("date_end", ""), "date_end", f, line, problems, required=False)
    if start and end and end < start:
        problems.append(Problem(f, line, "date_end", f"{end.isoformat()} is before date_start {start.isoformat()}"))
    dp = _precision(row["date_prec"], "date_prec", tuple(UCDP_DATE_PRECISION) + UCDP_DATE_SKIP, f, line, problems)
    wp = _precision(row["where_prec"], "where_prec", UCDP_WHERE_DISTRICT + UCDP_WHERE_PROVINCE + UCDP_WHERE_SKIP,
                    f, line, problems)
    pid = _province(row["adm_1"], "adm_1", f, line, problems)
    if problems:
        return None
    _duplicate(ctx, rid, line)

    precision = UCDP_DATE_PRECISION[dp]
    window = ""
    if end and end > start:
        span = (end - start).days
        window = f" Event window {start.isoformat()} to {end.isoformat()} ({span} day(s)); dated by date_start."
        if span > 7:
            precision = "month"
        elif span > 1 and precision == "day":
            precision = "week"

    rec = _blank_record()
    scope_note = ""
    if wp in UCDP_WHERE_DISTRICT:
        rec["district"] = _strip_suffix(row["adm_2"], "district")
        if wp <= 2:
            rec["place"] = row.get("where_coordinates", "")
            rec["lat"], rec["lon"] = _coords(row.get("latitude", ""), row.get("longitude", ""))
        if not rec["district"]:
            scope_note = " adm_2 empty, so the claim is province-wide."
    article = row.get("source_article", "")
    link = _http_url(article)
    office = row.get("source_office", "")
    rec.update(
        id=rid,
        event_date=start.isoformat(),
        date_precision=precision,
        province=PROVINCE_BY_ID[pid].name,
        claimed_controller=CONTESTED,
        claim_kind=INDEPENDENT,
        claimant=f"UCDP GED (coded from: {office})" if office else "UCDP GED",
        claimant_side=INDEPENDENT,
        outlet="UCDP",
        url=link or UCDP_URL,
        quote=row["source_headline"],
        source_reliability=UCDP_RELIABILITY,
        info_credibility="3" if dp == 1 and wp <= 2 and precision == "day" else "4",
        notes=(
            f"UCDP GED event {row['id']} ({UCDP_TYPES[tov]} violence): {row['side_a']} vs {row['side_b']}; "
            f"fighting read as the area being contested."
            f"{window}"
            + (f" Source: {article}." if article and article != link else "")
            + f" date_prec {dp}, where_prec {wp}.{scope_note} Imported from {Path(f).name}."
        ),
    )
    return rec


_MAPPERS = {ACLED: (_acled, ACLED_REQUIRED, ACLED_OPTIONAL), UCDP: (_ucdp, UCDP_REQUIRED, UCDP_OPTIONAL)}


# --- entry points ------------------------------------------------------------------------------

def _check_kind(kind: str) -> None:
    if kind not in _MAPPERS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")


def import_bytes(data: bytes, kind: str, *, file: str = "upload.csv", progress: Progress | None = None,
                 seeds_dir: Path = SEEDS_DIR) -> ImportResult:
    """Import CSV content (e.g. an uploaded file); ``file`` names it in messages."""
    _check_kind(kind)
    mapper, required, optional = _MAPPERS[kind]
    result = ImportResult(file=file, kind=kind)

    def unusable(row: int, fld: str, reason: str) -> ImportResult:
        result.readable = False
        result.problems.append(Problem(file, row, fld, reason))
        return result

    text, why = _decode(bytes(data))
    if text is None:
        return unusable(0, "(file)", why)
    if not text.strip():
        return unusable(1, "(header)", "file is empty: no header row")

    ctx = _Ctx(file=file)
    rows = _rows(text, file, result.problems, progress)
    for header, line, row in rows:
        if header is not None:
            missing = [c for c in required if c not in header]
            if missing:
                rows.close()
                other = next((k for k, (_, req, _) in _MAPPERS.items() if k != kind and set(req) <= set(header)), None)
                hint = f" (this looks like a {other.upper()} file)" if other else ""
                return unusable(1, ",".join(missing), f"required {kind.upper()} column(s) missing from the header{hint}")
            continue
        if line == 0:  # no header at all (only unreadable content)
            result.readable = False
            if not result.problems:
                result.problems.append(Problem(file, 1, "(header)", "no header row"))
            break
        result.rows_read += 1
        if row is None:  # malformed: already reported
            result.rejected += 1
            continue
        for name in optional:
            row.setdefault(name, "")
        problems: list[Problem] = []
        try:
            rec = mapper(row, line, ctx, problems)
        except _Skip as skip:
            result.skipped.append((line, str(skip)))
            continue
        if rec is not None:
            checked, problems = validate_row(rec, file=file, line=line, seen_ids=ctx.ids, seeds_dir=seeds_dir)
            if checked is not None:
                result.records.append({k: str(v) for k, v in rec.items()})
        if problems:
            result.rejected += 1
            result.problems.extend(problems)
    if progress is not None:
        progress(1.0, f"{result.rows_read} rows read: {result.imported} imported")
    return result


def import_events(path: str | Path, kind: str, *, progress: Progress | None = None,
                  seeds_dir: Path = SEEDS_DIR) -> ImportResult:
    """Read an ACLED or UCDP GED CSV export into claim records; never raises on bad content."""
    _check_kind(kind)
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return ImportResult(name, kind, problems=[Problem(name, 0, "(file)", "file not found")], readable=False)
    except OSError as exc:
        reason = f"cannot read: {exc.strerror or exc}"
        return ImportResult(name, kind, problems=[Problem(name, 0, "(file)", reason)], readable=False)
    return import_bytes(data, kind, file=name, progress=progress, seeds_dir=seeds_dir)


def merge_into(records_path: str | Path, result: ImportResult, *, dry_run: bool = False,
               seeds_dir: Path = SEEDS_DIR, progress: Progress | None = None) -> MergeReport:
    """Add imported records to a records CSV in one validated, locked, atomic save; never replaces.

    Under the file's lock: the existing rows are read once, ids already in the file are left
    alone and reported (so importing a file twice adds nothing), each new record is validated
    against the file's ids, and the valid ones are written together (one rewrite, not one per
    record).  A file that a rewrite would damage (unreadable rows, unknown columns with data) is
    refused and nothing is added.  Returns the problems; ``.added`` and ``.present`` list the ids.
    ``dry_run`` reports what would happen without writing.
    """
    path = Path(records_path)
    name = str(records_path)
    report = MergeReport()
    total = max(len(result.records), 1)
    try:
        with records_mod.locked(path):
            existing_rows, problems = records_mod._read_for_rewrite(path)
            if problems:
                report.extend(problems)
                if result.records:
                    report.append(Problem(name, 0, "(file)", f"merge stopped: {len(result.records)} record(s) not added"))
                return report
            rows = [cells for _, cells in existing_rows]
            line_of = {}
            for line, cells in existing_rows:
                line_of.setdefault(records_mod.cell(cells.get("id")), line)
            seen = set(line_of) - {""}
            cache: dict[str, str | None] = {}
            new_rows: list[dict] = []
            for i, rec in enumerate(result.records, 1):
                rid = records_mod.cell(rec.get("id"))
                if rid in line_of:
                    report.present.append(rid)
                    report.append(Problem(name, line_of[rid], "id",
                                          f"'{rid}' is already in the file; the imported record was not added"))
                else:
                    _, probs = validate_row(rec, file=name, line=0, seen_ids=seen, seeds_dir=seeds_dir, seed_cache=cache)
                    if probs:
                        report.extend(probs)
                    else:
                        new_rows.append(rec)
                        line_of[rid] = 0
                if progress is not None and i % 500 == 0:
                    progress(0.9 * i / total, f"{i} of {len(result.records)} records checked")
            if new_rows and not dry_run:
                text = records_mod.canonical_text(rows + new_rows)
                if [records_mod._canonical_row(c) for _, c in records_mod._scan(text, name).rows] != \
                        [records_mod._canonical_row(r) for r in _sorted_rows(rows + new_rows)]:
                    report.append(Problem(name, 0, "(file)", "internal error: the text to save does not read back "
                                                             "the same; nothing was saved"))
                    return report
                records_mod._remove_stale_temp_files(path)
                records_mod.atomic_write(path, text)
            report.added.extend(records_mod.cell(r.get("id")) for r in new_rows)
    except OSError as exc:
        report.append(Problem(name, 0, "(file)", f"cannot write: {exc.strerror or exc}"))
        return report
    if progress is not None:
        progress(1.0, f"{len(report.added)} record(s) {'would be ' if dry_run else ''}added")
    return report


def _sorted_rows(rows: list) -> list:
    canon = [records_mod._canonical_row(r) for r in rows]
    return [canon[i] for i in records_mod._sorted(canon)]


# --- CLI ---------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m geo.importers",
        description="Turn an ACLED or UCDP GED CSV export into claim records and report what was "
                    "imported, skipped and rejected. Exit status: 0 fine, 1 some rows or records "
                    "had problems, 2 the input could not be read.",
    )
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("file", type=Path)
    parser.add_argument("--into", type=Path, help="records CSV to add the imported records to")
    parser.add_argument("--dry-run", action="store_true", help="with --into: report, write nothing")
    parser.add_argument("--limit", type=int, default=50, help="problems to list (default 50)")
    args = parser.parse_args(argv)

    def progress(fraction: float, message: str) -> None:
        if fraction < 1.0:  # the final call is the summary's job
            print(f"  {fraction:4.0%}  {message}", file=sys.stderr)

    result = import_events(args.file, args.kind, progress=progress)
    print(result.summary(limit=args.limit))
    if not result.readable:
        print(f"error: cannot import {args.file}: {result.problems[0].reason}", file=sys.stderr)
        return 2
    failed = bool(result.problems)
    if args.into is not None:
        report = merge_into(args.into, result, dry_run=args.dry_run)
        verb = "would be added" if args.dry_run else "added"
        print(f"{args.into}: {len(report.added)} record(s) {verb}, {len(report.present)} already present.")
        others = [p for p in report if not (p.field == "id" and "already in the file" in p.reason)]
        for p in others[: args.limit]:
            print(f"  {p}")
        failed = failed or bool(others)
    elif args.dry_run:
        print("(dry run: nothing written)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
