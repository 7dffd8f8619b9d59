"""Claim records: schema, validation with file/row/field errors, and atomic saves.

A record is one claim by one claimant, reported by one outlet, about one area on a date.
Bad rows are reported and left out of the map; they are never silently dropped, and loading
never raises on bad content.
"""
from __future__ import annotations

import csv
import fcntl
import io
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import urlparse

import pandas as pd

from geo.constants import (
    CLAIM_KINDS,
    CONTROLLERS,
    DATE_PRECISIONS,
    HOLDERS,
    INDEPENDENT,
    RELIABILITY,
    SELF_SERVING,
    AGAINST_INTEREST,
)
from geo.gazetteer import PROVINCE_BY_ID, PROVINCE_GAZETTEER

ROOT = Path(__file__).resolve().parents[1]
RECORDS_FILE = ROOT / "data" / "records.csv"
SEEDS_DIR = ROOT / "seeds"

CLAIMANT_SIDES: tuple[str, ...] = HOLDERS + (INDEPENDENT,)


@dataclass(frozen=True)
class Field:
    name: str
    required: bool
    help: str


SCHEMA: tuple[Field, ...] = (
    Field("id", True, "stable unique slug: letters, digits, '-', '_' and '.'"),
    Field("event_date", True, "ISO date (YYYY-MM-DD) the claim is about"),
    Field("date_precision", True, "day | week | month"),
    Field("reported_date", False, "ISO date the claim was published (≥ event_date)"),
    Field("province", True, "province name or ISO 3166-2 id (any common spelling)"),
    Field("district", False, "district name, when the claim is about one district"),
    Field("place", False, "town or site named in the claim, e.g. Qala-e-Naw"),
    Field("lat", False, "latitude of the place, decimal degrees"),
    Field("lon", False, "longitude of the place, decimal degrees"),
    Field("claimed_controller", True, " | ".join(CONTROLLERS)),
    Field("claim_kind", True, " | ".join(CLAIM_KINDS)),
    Field("claimant", True, "who made the claim, e.g. 'Governor Hessamuddin Shams'"),
    Field("claimant_side", True, " | ".join(CLAIMANT_SIDES)),
    Field("outlet", True, "who reported it"),
    Field("author", False, "byline"),
    Field("url", False, "http(s) link to the report (url or seed_file is required)"),
    Field("seed_file", False, "file under seeds/ holding the report's text"),
    Field("quote", True, "verbatim words from the report"),
    Field("source_reliability", True, "Admiralty grade A–F"),
    Field("info_credibility", True, "Admiralty grade 1–6"),
    Field("notes", False, "curator's notes"),
)
COLUMNS: tuple[str, ...] = tuple(f.name for f in SCHEMA)
REQUIRED: tuple[str, ...] = tuple(f.name for f in SCHEMA if f.required)


@dataclass(frozen=True)
class Problem:
    file: str
    row: int  # line number in the file; 1 is the header
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}, row {self.row}, field '{self.field}': {self.reason}"


@dataclass
class LoadResult:
    records: pd.DataFrame  # valid rows only, typed
    problems: list[Problem]
    n_rows: int  # data rows read, valid or not


def _iso(value: str) -> date:
    return date.fromisoformat(value)


def _safe_url(value: str) -> bool:
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def validate_row(
    row: dict[str, str], *, file: str, line: int, seen_ids: set[str], seeds_dir: Path = SEEDS_DIR,
    seed_cache: dict[str, str | None] | None = None,
) -> tuple[dict | None, list[Problem]]:
    """Check one raw row; return the typed record (or None) and every problem found."""
    problems: list[Problem] = []
    cache = seed_cache if seed_cache is not None else {}

    def bad(field: str, reason: str) -> None:
        problems.append(Problem(file, line, field, reason))

    val = {k: (row.get(k) or "").strip() for k in COLUMNS}
    for name in REQUIRED:
        if not val[name]:
            bad(name, "required value is empty")

    rid = val["id"]
    if rid:
        if not all(ch.isalnum() or ch in "-_." for ch in rid):
            bad("id", f"'{rid}' may only contain letters, digits, '-', '_' and '.'")
        elif rid in seen_ids:
            bad("id", f"duplicate id '{rid}' (ids must be unique)")
        seen_ids.add(rid)

    dates: dict[str, date] = {}
    for name in ("event_date", "reported_date"):
        if val[name]:
            try:
                dates[name] = _iso(val[name])
            except ValueError:
                bad(name, f"'{val[name]}' is not an ISO date (YYYY-MM-DD)")
    if "event_date" in dates and "reported_date" in dates and dates["reported_date"] < dates["event_date"]:
        bad("reported_date", f"{val['reported_date']} is before event_date {val['event_date']}")

    if val["date_precision"] and val["date_precision"] not in DATE_PRECISIONS:
        bad("date_precision", f"'{val['date_precision']}' is not one of {', '.join(DATE_PRECISIONS)}")

    province_id = None
    if val["province"]:
        province_id = PROVINCE_GAZETTEER.resolve(val["province"])
        if province_id is None:
            hint = PROVINCE_GAZETTEER.suggest(val["province"])
            bad("province", f"unknown province '{val['province']}'" + (f" (did you mean {', '.join(hint)}?)" if hint else ""))

    coords = {}
    for name, lo, hi in (("lat", -90, 90), ("lon", -180, 180)):
        if val[name]:
            try:
                coords[name] = float(val[name])
                if not lo <= coords[name] <= hi:
                    bad(name, f"{val[name]} is outside {lo}..{hi}")
            except ValueError:
                bad(name, f"'{val[name]}' is not a number")
    if bool(val["lat"]) != bool(val["lon"]):
        bad("lat" if not val["lat"] else "lon", "lat and lon go together")

    controller, kind, side = val["claimed_controller"], val["claim_kind"], val["claimant_side"]
    if controller and controller not in CONTROLLERS:
        bad("claimed_controller", f"'{controller}' is not one of {', '.join(CONTROLLERS)}")
    if kind and kind not in CLAIM_KINDS:
        bad("claim_kind", f"'{kind}' is not one of {', '.join(CLAIM_KINDS)}")
    if side and side not in CLAIMANT_SIDES:
        bad("claimant_side", f"'{side}' is not one of {', '.join(CLAIMANT_SIDES)}")
    if kind == SELF_SERVING and side == INDEPENDENT:
        bad("claim_kind", "an independent claimant cannot make a self-serving claim")
    if kind == AGAINST_INTEREST and side and side == controller:
        bad("claim_kind", f"a {side} claim that {side} holds the area is not against its interest")

    if val["source_reliability"] and val["source_reliability"].upper() not in RELIABILITY:
        bad("source_reliability", f"'{val['source_reliability']}' is not an Admiralty grade A–F")
    if val["info_credibility"] and val["info_credibility"] not in {"1", "2", "3", "4", "5", "6"}:
        bad("info_credibility", f"'{val['info_credibility']}' is not an Admiralty grade 1–6")

    if val["url"] and not _safe_url(val["url"]):
        bad("url", f"'{val['url']}' is not an http(s) link")
    if not val["url"] and not val["seed_file"]:
        bad("url", "every record cites its source: give a url or a seed_file")
    if val["seed_file"]:
        text = _seed_text(val["seed_file"], seeds_dir, cache)
        if text is None:
            bad("seed_file", f"'{val['seed_file']}' is not a readable file under seeds/")
        elif val["quote"] and val["quote"] not in text:
            bad("quote", f"quote not found verbatim in seeds/{val['seed_file']}")

    if problems:
        return None, problems
    record = dict(val)
    record.update(
        event_date=dates["event_date"],
        reported_date=dates.get("reported_date"),
        province_id=province_id,
        province=PROVINCE_BY_ID[province_id].name,
        lat=coords.get("lat"),
        lon=coords.get("lon"),
        source_reliability=val["source_reliability"].upper(),
        info_credibility=int(val["info_credibility"]),
        row=line,
    )
    return record, []


def _seed_text(name: str, seeds_dir: Path, cache: dict[str, str | None]) -> str | None:
    if name not in cache:
        path = (seeds_dir / name).resolve()
        try:
            inside = path.is_relative_to(seeds_dir.resolve())
            cache[name] = path.read_text(encoding="utf-8") if inside and path.is_file() else None
        except (OSError, UnicodeDecodeError):
            cache[name] = None
    return cache[name]


def empty_frame() -> pd.DataFrame:
    return pd.DataFrame(columns=[*COLUMNS, "province_id", "row"])


def parse_records(text: str, file: str, seeds_dir: Path = SEEDS_DIR) -> LoadResult:
    """Validate CSV text; file is the name used in messages."""
    problems: list[Problem] = []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    if not header:
        return LoadResult(empty_frame(), [Problem(file, 1, "(header)", "file is empty: no header row")], 0)
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing:
        problems.append(Problem(file, 1, ",".join(missing), "required column(s) missing from the header"))
        return LoadResult(empty_frame(), problems, 0)
    if unknown:
        problems.append(Problem(file, 1, ",".join(unknown), "unknown column(s) ignored"))
    seen: set[str] = set()
    cache: dict[str, str | None] = {}
    rows = []
    n = 0
    line = reader.line_num
    try:
        for raw in reader:
            n += 1
            start = line + 1
            line = reader.line_num
            if None in raw:  # more cells than header columns
                problems.append(Problem(file, start, "(row)", f"{len(raw[None])} cell(s) more than the header has"))
                continue
            rec, probs = validate_row(raw, file=file, line=start, seen_ids=seen, seeds_dir=seeds_dir, seed_cache=cache)
            problems.extend(probs)
            if rec is not None:
                rows.append(rec)
    except csv.Error as exc:
        problems.append(Problem(file, reader.line_num, "(csv)", f"unreadable CSV: {exc}"))
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "province_id", "row"]) if rows else empty_frame()
    return LoadResult(frame, problems, n)


def load_records(path: Path = RECORDS_FILE, seeds_dir: Path = SEEDS_DIR) -> LoadResult:
    """Read and validate one records file; unreadable files become a problem, not an exception."""
    name = _display_name(path)
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return LoadResult(empty_frame(), [Problem(name, 0, "(file)", "file not found")], 0)
    except UnicodeDecodeError as exc:
        return LoadResult(empty_frame(), [Problem(name, 0, "(file)", f"not UTF-8 text ({exc.reason} at byte {exc.start})")], 0)
    except OSError as exc:
        return LoadResult(empty_frame(), [Problem(name, 0, "(file)", f"cannot read: {exc.strerror}")], 0)
    return parse_records(text, name, seeds_dir)


def _display_name(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


# --- writing ---------------------------------------------------------------------------------

@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Serialise writers of one file (a lock file beside it), so concurrent saves lose nothing."""
    lock_path = Path(path).with_name(Path(path).name + ".lock")
    with open(lock_path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def to_csv_text(rows: Iterable[dict]) -> str:
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in COLUMNS})
    return buf.getvalue()


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def atomic_write(path: Path, text: str) -> None:
    """Write to a temp file in the same folder, fsync, then rename over the target."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_raw_rows(path: Path) -> list[dict[str, str]]:
    if not Path(path).exists():
        return []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [dict(r) for r in csv.DictReader(fh)]


def upsert_record(path: Path, row: dict[str, str], seeds_dir: Path = SEEDS_DIR) -> list[Problem]:
    """Add a record, or replace the one with the same id; nothing is written if it is invalid.

    Validation runs on the whole resulting file under the lock, so a save can neither break the
    file nor lose a record another curator saved a moment before.
    """
    path = Path(path)
    with locked(path):
        rows = read_raw_rows(path)
        clean = {k: str(row.get(k) or "").strip() for k in COLUMNS}
        idx = next((i for i, r in enumerate(rows) if r.get("id") == clean["id"]), None)
        if idx is None:
            rows.append(clean)
        else:
            rows[idx] = clean
        text = to_csv_text(rows)
        result = parse_records(text, _display_name(path), seeds_dir)
        line = (idx if idx is not None else len(rows) - 1) + 2
        mine = [p for p in result.problems if p.row == line]
        if mine:
            return mine
        atomic_write(path, text)
        return []
