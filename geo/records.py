"""Claim records: schema, validation with file/row/field errors, and safe saves.

A record is one claim by one claimant, reported by one outlet, about one area on a date.
Bad rows are reported and left out of the map; they are never silently dropped, and loading
never raises on bad content. Records are retired (``status=retired`` with a reason), never
deleted: retired rows stay in the file and are listed apart from the map's records.

Every save goes through one path (``save_records``/``upsert_record``/``retire_record``): under a
lock file, the whole resulting set is validated, written in a canonical form (columns in
``COLUMNS`` order, rows sorted by id, ``\\n`` line endings) to a temp file that is fsynced and
renamed over the target, and the folder is fsynced. An interrupted save leaves the previous
file; a temp file left by a killed save is ignored by loading and removed by the next save.
"""
from __future__ import annotations

import csv
import errno
import fcntl
import glob
import io
import math
import os
import re
import tempfile
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Iterable, Iterator, Mapping
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
from geo.gazetteer import PROVINCE_BY_ID, PROVINCE_GAZETTEER, name_key

ROOT = Path(__file__).resolve().parents[1]
RECORDS_FILE = ROOT / "data" / "records.csv"
SEEDS_DIR = ROOT / "seeds"

CLAIMANT_SIDES: tuple[str, ...] = HOLDERS + (INDEPENDENT,)
ACTIVE, RETIRED = "active", "retired"
STATUSES: tuple[str, ...] = (ACTIVE, RETIRED)
DERIVED: tuple[str, ...] = ("province_id", "row")  # columns loading adds; never written


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
    Field("status", False, "active (also when empty) | retired: a retired record stays in the file, off the map"),
    Field("retired_reason", False, "why the record was retired (required when status is retired)"),
)
COLUMNS: tuple[str, ...] = tuple(f.name for f in SCHEMA)
REQUIRED: tuple[str, ...] = tuple(f.name for f in SCHEMA if f.required)
# A retired record is kept for the record, not mapped: only what keeps the file sound is checked.
_RETIRED_CHECKS = frozenset({"id", "status", "retired_reason"})


@dataclass(frozen=True)
class Problem:
    file: str
    row: int  # line number in the file where the row starts; 1 is the header, 0 the whole file
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}, row {self.row}, field '{self.field}': {self.reason}"


def empty_frame() -> pd.DataFrame:
    return pd.DataFrame(columns=[*COLUMNS, *DERIVED])


@dataclass
class LoadResult:
    records: pd.DataFrame  # valid active rows only, typed: what the map uses
    problems: list[Problem]
    n_rows: int  # data rows read: active, retired or with problems
    retired: pd.DataFrame = field(default_factory=empty_frame)  # valid retired rows, cells as text


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso(value: str) -> date:
    """YYYY-MM-DD only (Python's fromisoformat also takes 20210707 and 2021-W27-3)."""
    if not _ISO_DATE.fullmatch(value):
        raise ValueError(value)
    return date.fromisoformat(value)


def _safe_url(value: str) -> bool:
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def validate_row(
    row: Mapping[str, str], *, file: str, line: int, seen_ids: set[str], seeds_dir: Path = SEEDS_DIR,
    seed_cache: dict[str, str | None] | None = None,
) -> tuple[dict | None, list[Problem]]:
    """Check one raw row; return the record (or None) and every problem found.

    An active record comes back typed (dates, province id, grades). A retired one
    (``status == "retired"``) comes back with its cells as text: only its id, status and reason
    are checked, so a broken record can always be retired, and its id stays taken.
    """
    problems: list[Problem] = []
    cache = seed_cache if seed_cache is not None else {}

    def bad(field: str, reason: str) -> None:
        problems.append(Problem(file, line, field, reason))

    val = {k: cell(row.get(k)) for k in COLUMNS}
    for name in REQUIRED:
        if not val[name]:
            bad(name, "required value is empty")

    rid = val["id"]
    if rid:
        if not all(ch.isalnum() or ch in "-_." for ch in rid):
            bad("id", f"'{rid}' may only contain letters, digits, '-', '_' and '.'")
        elif rid in seen_ids:
            bad("id", f"duplicate id '{rid}' (ids must be unique, retired records included)")
        seen_ids.add(rid)

    status, reason = val["status"], val["retired_reason"]
    if status and status not in STATUSES:
        bad("status", f"'{status}' is not one of {', '.join(STATUSES)} (empty means active)")
    if status == RETIRED and not reason:
        bad("retired_reason", "required when status is retired: say why the record was retired")
    if reason and status != RETIRED:
        bad("retired_reason", "given, but status is not 'retired' (clear it, or set status to retired)")
    if status == RETIRED:
        problems = [p for p in problems if p.field in _RETIRED_CHECKS]
        if problems:
            return None, problems
        return dict(val, province_id=PROVINCE_GAZETTEER.resolve(val["province"]), row=line), []

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
                if not lo <= coords[name] <= hi:  # also false for nan
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
        try:
            path = (seeds_dir / name).resolve()
            inside = path.is_relative_to(seeds_dir.resolve())
            cache[name] = path.read_text(encoding="utf-8") if inside and path.is_file() else None
        except (OSError, ValueError, UnicodeDecodeError):  # ValueError: NUL in the name
            cache[name] = None
    return cache[name]


# --- reading ---------------------------------------------------------------------------------

@dataclass
class _Scan:
    """A CSV text split into rows by their starting line, before any field is checked."""

    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (line, cells by column)
    problems: list[Problem] = field(default_factory=list)  # structural: header, unreadable rows
    lossy: list[Problem] = field(default_factory=list)  # the subset a rewrite would turn into lost data
    n_rows: int = 0  # data rows met, including unreadable ones


def _scan(text: str, file: str) -> _Scan:
    out = _Scan()

    def report(line: int, where: str, reason: str, lossy: bool) -> None:
        out.problems.append(Problem(file, line, where, reason))
        if lossy:
            out.lossy.append(out.problems[-1])

    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    header_line = 1
    index: dict[str, int] = {}  # column name → position of its first occurrence
    ignored: dict[int, str] = {}  # position → label of a column that is not read
    ignored_with_data: dict[int, int] = {}  # position → first line with a value there
    line = 0
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            out.n_rows += header is not None
            if reader.line_num <= line:  # no progress: stop rather than loop
                report(start, "(csv)", f"unreadable CSV: {exc}; nothing after this was read", True)
                break
            line = reader.line_num
            report(start, "(csv)", f"unreadable CSV: {exc}; row left out", True)
            continue
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # blank line: no data
        if header is None:
            header, header_line = [c.strip() for c in cells], start
            unknown, twice = [], []
            for i, name in enumerate(header):
                if name in COLUMNS and name not in index:
                    index[name] = i
                else:
                    ignored[i] = name or f"(column {i + 1})"
                    if name in index:
                        twice.append(name)
                    elif name:
                        unknown.append(name)
            missing = [c for c in REQUIRED if c not in index]
            if missing:
                report(start, ",".join(missing), "required column(s) missing from the header", False)
            if unknown:
                report(start, ",".join(unknown), "unknown column(s) ignored", False)
            if twice:
                report(start, ",".join(twice), "column(s) appear more than once; only the first is read", False)
            continue
        out.n_rows += 1
        if len(cells) > len(header):
            report(start, "(row)", f"{len(cells) - len(header)} cell(s) more than the header has", True)
            continue
        for i in ignored:
            if i < len(cells) and cells[i].strip():
                ignored_with_data.setdefault(i, start)
        out.rows.append((start, {name: cells[i] if i < len(cells) else "" for name, i in index.items()}))
    if header is None:
        report(1, "(header)", "file is empty: no header row", False)
    for i, first in sorted(ignored_with_data.items()):
        if not header[i]:  # named unknown columns are reported above already
            report(first, ignored[i], "a value in a column without a name is ignored", False)
        out.lossy.append(Problem(file, header_line, ignored[i], "this column's values would be dropped by a save"))
    return out


def parse_records(text: str, file: str, seeds_dir: Path = SEEDS_DIR) -> LoadResult:
    """Validate CSV text; file is the name used in messages.

    Every data row ends up in exactly one place: ``records`` (active and valid), ``retired``
    (retired and valid) or reported by at least one ``Problem`` carrying the row's first line.
    Blank lines (and rows of empty cells) hold no data and are skipped.
    """
    scan = _scan(text, file)
    problems = list(scan.problems)
    seen: set[str] = set()
    cache: dict[str, str | None] = {}
    active, retired = [], []
    for line, raw in scan.rows:
        rec, probs = validate_row(raw, file=file, line=line, seen_ids=seen, seeds_dir=seeds_dir, seed_cache=cache)
        problems.extend(probs)
        if rec is not None:
            (retired if rec["status"] == RETIRED else active).append(rec)
    problems.sort(key=lambda p: p.row)  # stable: file order, each row's problems together
    return LoadResult(_frame(active), problems, scan.n_rows, _frame(retired))


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[*COLUMNS, *DERIVED]) if rows else empty_frame()


def load_records(path: Path = RECORDS_FILE, seeds_dir: Path = SEEDS_DIR) -> LoadResult:
    """Read and validate one records file; unreadable files become a problem, not an exception.

    Only the file itself is read: temp files a killed save may have left beside it are ignored.
    """
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


def _norm_text(value) -> str:
    return " ".join(unicodedata.normalize("NFKC", cell(value)).casefold().split())


def _duplicate_key(row: Mapping) -> tuple[str, ...]:
    province = cell(row.get("province"))
    return (
        PROVINCE_GAZETTEER.resolve(province) or "?" + name_key(province),
        name_key(cell(row.get("district"))),
        cell(row.get("event_date")),
        _norm_text(row.get("claimant")),
        _norm_text(row.get("quote")),
    )


def likely_duplicates(rows_or_frame: Iterable[Mapping] | pd.DataFrame, candidate: Mapping) -> list[str]:
    """Ids of records that look like the candidate again: same province (any spelling) and
    district, same event_date, and the same claimant and quote up to case and whitespace.

    The candidate's own id is never listed (editing a record is not duplicating it). Pass raw
    rows or a loaded frame (``LoadResult.records``/``.retired``); whatever is passed is searched.
    """
    rows = rows_or_frame.to_dict("records") if isinstance(rows_or_frame, pd.DataFrame) else rows_or_frame
    key = _duplicate_key(candidate)
    if not key[3] and not key[4]:
        return []  # nothing said yet: no basis for a warning
    own = cell(candidate.get("id"))
    found = {cell(r.get("id")) for r in rows  # the date first: cheap, and it rules out most rows
             if cell(r.get("event_date")) == key[2] and _duplicate_key(r) == key}
    return sorted(found - {own})


# --- writing ---------------------------------------------------------------------------------

@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Serialise writers of one file (a lock file beside it), so concurrent saves lose nothing.

    flock locks belong to an open file, so this excludes other threads as well as processes;
    the kernel drops the lock when a holder dies, even by SIGKILL. Not re-entrant: do not call
    the save functions while holding it.
    """
    lock_path = Path(path).with_name(Path(path).name + ".lock")
    with open(lock_path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def cell(value) -> str:
    """One cell as saved: text, stripped, line breaks as \\n; None/NaN/NA as empty."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, datetime):
        text = value.date().isoformat() if value.time() == datetime.min.time() and value.tzinfo is None else value.isoformat()
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = str(value)
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _canonical_row(row: Mapping) -> dict[str, str]:
    return {k: cell(row.get(k)) for k in COLUMNS}


def to_csv_text(rows: Iterable[Mapping]) -> str:
    """CSV text of the rows in the order given: header of ``COLUMNS``, ``\\n`` line endings,
    cells as ``cell`` makes them; keys outside ``COLUMNS`` are left out. A value holding a line
    break is quoted and so spans lines; every other record is exactly one line."""
    return _serialise([_canonical_row(r) for r in rows])[0]


def _serialise(rows: list[dict[str, str]]) -> tuple[str, list[int]]:
    """(text, line on which each row starts)."""
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    starts = []
    line = 2
    for row in rows:
        writer.writerow(row)
        starts.append(line)
        # A record spans one line plus the line breaks inside its (quoted) cells.
        line += 1 + sum(str(row.get(k) or "").count("\n") for k in COLUMNS)
    return buf.getvalue(), starts


def _sorted(rows: list[dict[str, str]]) -> list[int]:
    return sorted(range(len(rows)), key=lambda i: rows[i]["id"])  # stable for equal ids


def canonical_text(rows: Iterable[Mapping]) -> str:
    """The file a save writes for these rows: ``to_csv_text`` of the rows sorted by id."""
    canon = [_canonical_row(r) for r in rows]
    return to_csv_text([canon[i] for i in _sorted(canon)])


def atomic_write(path: Path, text: str) -> None:
    """Write to a temp file in the same folder, fsync, rename over the target, fsync the folder.

    The file keeps its permissions (new files get 0644). Call it under ``locked(path)``: the
    next locked save removes temp files beside the target as left over from a killed save.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:  # some filesystems cannot fsync a directory; the rename is done
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _remove_stale_temp_files(path: Path) -> list[Path]:
    """Temp files of killed saves (only call under the lock: no live save owns one then)."""
    stale = sorted(path.parent.glob(f".{glob.escape(path.name)}.*.tmp"))
    for tmp in stale:
        tmp.unlink(missing_ok=True)
    return stale


def _read_for_rewrite(path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    """The file's rows (line, cells), or the problems that make rewriting it lose data."""
    name = _display_name(path)
    refuse = "; saving would lose it, so nothing was saved: fix the file by hand first"
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return [], []
    except UnicodeDecodeError as exc:
        return [], [Problem(name, 0, "(file)", f"not UTF-8 text ({exc.reason} at byte {exc.start}){refuse}")]
    except OSError as exc:
        return [], [Problem(name, 0, "(file)", f"cannot read: {exc.strerror}")]
    scan = _scan(text, name)
    if scan.lossy:
        return [], [replace(p, reason=p.reason + refuse) for p in scan.lossy]
    return scan.rows, []


def read_raw_rows(path: Path) -> list[dict[str, str]]:
    """The file's rows as text cells by column (unreadable rows left out)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return []
    return [cells for _, cells in _scan(text, _display_name(path)).rows]


def _save_locked(path: Path, rows: list[Mapping], seeds_dir: Path, target: int | None = None) -> list[Problem]:
    """Validate and write rows (call under the lock). With a target index, only problems of that
    row stop the save (other rows' problems were in the file before); otherwise any does."""
    name = _display_name(path)
    canon = [_canonical_row(r) for r in rows]
    order = _sorted(canon)
    ordered = [canon[i] for i in order]
    text, starts = _serialise(ordered)
    line_of = {i: starts[pos] for pos, i in enumerate(order)}
    problems = [Problem(name, line_of[i], "(row)", "empty record: every value is blank")
                for i, r in enumerate(canon) if not any(r.values())]
    result = parse_records(text, name, seeds_dir)
    problems = sorted(problems + result.problems, key=lambda p: p.row)
    if target is not None:
        problems = [p for p in problems if p.row == line_of[target]]
    if problems:
        return problems
    if [_canonical_row(cells) for _, cells in _scan(text, name).rows] != ordered:
        return [Problem(name, 0, "(file)", "internal error: the text to save does not read back the same; nothing was saved")]
    _remove_stale_temp_files(path)
    atomic_write(path, text)
    return []


def save_records(path: Path, rows: Iterable[Mapping], seeds_dir: Path = SEEDS_DIR) -> list[Problem]:
    """Replace the file with exactly these rows, in the canonical form; nothing is written if any
    row has a problem. Keys outside ``COLUMNS`` (other than the derived ``province_id`` and
    ``row``) are refused rather than dropped. Problems carry the line each row would be on."""
    path = Path(path)
    rows = list(rows)
    with locked(path):
        problems = []
        canon = [_canonical_row(r) for r in rows]
        order = _sorted(canon)
        _, starts = _serialise([canon[i] for i in order])
        line_of = {i: starts[pos] for pos, i in enumerate(order)}
        for i, row in enumerate(rows):
            extra = [str(k) for k, v in row.items() if k not in COLUMNS and k not in DERIVED and cell(v)]
            if extra:
                problems.append(Problem(_display_name(path), line_of[i], ",".join(extra), "not a column of the schema; nothing was saved"))
        if problems:
            return sorted(problems, key=lambda p: p.row)
        return _save_locked(path, rows, seeds_dir)


def upsert_record(path: Path, row: Mapping[str, str], seeds_dir: Path = SEEDS_DIR) -> list[Problem]:
    """Add a record, or replace the one with the same id; nothing is written if it is invalid.

    Validation runs on the whole resulting file under the lock, so a save can neither break the
    file nor lose a record another curator saved a moment before. Keys outside ``COLUMNS`` are
    ignored. When the row has no ``status`` key, a replaced record keeps its status (and its
    ``retired_reason`` unless one is given): editing a retired record does not bring it back by
    accident. To bring one back, give ``status`` ``active`` (the reason then defaults to empty).
    """
    path = Path(path)
    with locked(path):
        existing, problems = _read_for_rewrite(path)
        if problems:
            return problems
        rows = [cells for _, cells in existing]
        clean = _canonical_row(row)
        idx = next((i for i, r in enumerate(rows) if cell(r.get("id")) == clean["id"]), None)
        if idx is None:
            rows.append(clean)
            idx = len(rows) - 1
        elif "status" not in row:
            clean["status"] = cell(rows[idx].get("status"))
            if "retired_reason" not in row:
                clean["retired_reason"] = cell(rows[idx].get("retired_reason"))
        rows[idx] = clean
        return _save_locked(path, rows, seeds_dir, target=idx)


def retire_record(path: Path, record_id: str, reason: str, seeds_dir: Path = SEEDS_DIR) -> list[Problem]:
    """Take a record off the map for good, keeping it: its row gets ``status=retired`` and the
    reason. Unknown id or empty reason is a problem; retiring again with the same reason is a
    no-op, with another reason a problem (edit it with ``upsert_record`` instead)."""
    path = Path(path)
    name = _display_name(path)
    record_id, reason = cell(record_id), cell(reason)
    with locked(path):
        existing, problems = _read_for_rewrite(path)
        if problems:
            return problems
        rows = [cells for _, cells in existing]
        idx = next((i for i, r in enumerate(rows) if cell(r.get("id")) == record_id and record_id), None)
        if idx is None:
            return [Problem(name, 0, "id", f"no record with id '{record_id}' to retire")]
        line = existing[idx][0]
        if not reason:
            return [Problem(name, line, "retired_reason", "say why the record is retired: the reason is required")]
        current = _canonical_row(rows[idx])
        if current["status"] == RETIRED:
            if current["retired_reason"] == reason:
                return []
            return [Problem(name, line, "status", f"already retired: {current['retired_reason']}")]
        rows[idx] = dict(current, status=RETIRED, retired_reason=reason)
        return _save_locked(path, rows, seeds_dir, target=idx)
