"""Turning a CSV file someone exported into text and records: the one place that does it.

Every CSV reader (leads for ``simulate``/``ingest``, account and contact exports, the
``import-salesforce-rules --map`` file, the demo's leads) goes through here, so they all
decode, number rows and reject damaged input the same way.

Decoding: a byte order mark is never part of the text. UTF-16/UTF-32 files (Excel's
"Unicode text") are decoded by their BOM; everything else must be UTF-8, or, when the
caller allows it, Windows-1252 (cp1252, what Excel on Windows writes). A file that is
mostly UTF-8 with a few bad bytes keeps its UTF-8 and reads only those bytes as cp1252:
decoding it all as cp1252 would garble every other accented letter (and the BOM would
end up in the first column name). Anything but plain UTF-8 comes with a ``note`` saying
what was done, for the command to show.

Records: ``row`` counts data rows from 1 after the header (blank lines are not rows);
``line`` is the file line where the row starts, the header being line 1 (a quoted cell
may span lines, so the two differ). A record the parser cannot trust (a NUL character, a
cell over :data:`MAX_CELL` characters, a quote never closed, more cells than columns)
carries a ``problem`` and the rows after it keep their true numbers.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "MAX_CELL",
    "CsvFileError",
    "CsvTable",
    "Decoded",
    "Record",
    "decode_csv_bytes",
    "read_csv_table",
    "read_csv_text",
]

# Python's own default field limit. No lead or account field is anywhere near it: a cell
# this long is a quote that was never closed (the rows after it were swallowed) or junk.
MAX_CELL = 131_072
_SAMPLE = 4096
# Checked in this order: a UTF-32 LE BOM starts with the UTF-16 LE one.
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 LE"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 BE"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"),
)
_ESCAPED = re.compile(r"[\udc80-\udcff]+")  # bytes surrogateescape could not decode
_NON_ASCII_UTF8 = re.compile(r"[^\x00-\x7f\udc80-\udcff]")


class CsvFileError(Exception):
    """The file cannot be used at all; the message names the file and what to do."""


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # "utf-8", "cp1252", "utf-8+cp1252", "utf-16-le", ...
    note: str | None = None  # set whenever it was not plain UTF-8: show it to the user


@dataclass(frozen=True)
class Record:
    row: int
    line: int
    end_line: int
    cells: list[str]
    problem: str | None = None  # the reader could not trust this record: skip it


@dataclass
class CsvTable:
    path: Path
    encoding: str
    note: str | None
    delimiter: str
    header: list[str]
    header_line: int
    records: list[Record] = field(default_factory=list)


def _line_of(data: bytes, offset: int) -> int:
    newline = b"\n" if b"\n" in data else b"\r"
    return data.count(newline, 0, offset) + 1


def _looks_like_utf16(sample: bytes) -> bool:
    """ASCII text in UTF-16 without a BOM: every other byte is a NUL."""
    half = len(sample) // 2
    if half < 2:
        return False
    nuls = sorted((sample[0::2].count(0), sample[1::2].count(0)))
    return nuls[1] > 0.4 * half and nuls[0] < 0.1 * half


def decode_csv_bytes(
    data: bytes,
    name: str,
    *,
    cp1252: bool = True,
    error: type[CsvFileError] = CsvFileError,
) -> Decoded:
    """The text of a CSV file; ``cp1252=False`` refuses anything but UTF-8/UTF-16/UTF-32."""
    for bom, codec, label in _WIDE_BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                raise error(
                    f"{name} starts with a {label} byte order mark but is not valid {label} "
                    f"text (at byte {exc.start + len(bom)}): save it again as CSV UTF-8"
                ) from None
            return Decoded(
                text, codec, f"read {name} as {label} (it has a {label} byte order mark)"
            )

    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    body = data[skip:]
    # ASCII in UTF-16 is valid UTF-8 with a NUL every other byte: catch it before decoding.
    if b"\x00" in body[:_SAMPLE] and _looks_like_utf16(body[:_SAMPLE]):
        raise error(
            f"{name} looks like UTF-16 text without a byte order mark: save it again as CSV UTF-8"
        )
    try:
        return Decoded(body.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        first = skip + exc.start
    where = f"byte {first}, line {_line_of(data, first)}"
    # A NUL in a file that is not UTF-8 either: a spreadsheet, an image, a zip...
    # (stray NULs in UTF-8 text are reported on their row by read_csv_table).
    if b"\x00" in body[:_SAMPLE]:
        raise error(
            f"{name} is not a text CSV file (binary data: NUL bytes, not valid UTF-8 at "
            f"{where}); if it is a spreadsheet, export it as CSV UTF-8"
        )
    if not cp1252:
        raise error(f"{name}: not UTF-8 text (at {where}); export the CSV as UTF-8")

    escaped = body.decode("utf-8", "surrogateescape")
    bad_bytes = 0

    def as_cp1252(match: re.Match[str]) -> str:
        nonlocal bad_bytes
        raw = bytes(ord(c) - 0xDC00 for c in match.group())
        bad_bytes += len(raw)
        return raw.decode("cp1252")

    try:
        if skip or _NON_ASCII_UTF8.search(escaped):
            # Real UTF-8 around the bad bytes (or a UTF-8 BOM): keep it, read only them as cp1252.
            text = _ESCAPED.sub(as_cp1252, escaped)
            return Decoded(
                text,
                "utf-8+cp1252",
                f"read {name} as UTF-8 with {bad_bytes} byte(s) as cp1252 (not valid UTF-8 at "
                f"{where}): check the characters there",
            )
        return Decoded(
            body.decode("cp1252"), "cp1252", f"read {name} as cp1252 (not valid UTF-8 at {where})"
        )
    except UnicodeDecodeError:
        raise error(
            f"{name} is neither UTF-8 nor Windows-1252 text (not valid UTF-8 at {where}): "
            "save it again as CSV UTF-8"
        ) from None


def read_csv_text(
    path: Path, *, cp1252: bool = True, error: type[CsvFileError] = CsvFileError
) -> Decoded:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror or exc}") from None
    return decode_csv_bytes(data, str(path), cp1252=cp1252, error=error)


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _ends_inside_quotes(raw: str, delimiter: str) -> bool:
    """Whether ``raw`` (the file's last record) ends inside a quoted cell.

    The csv module then quietly takes everything up to the end of the file as that cell.
    A newline and a quote added after a closed record start a record of their own; after
    an open one they only close it.
    """
    probe = csv.reader(io.StringIO(raw + '\n"', newline=""), delimiter=delimiter)
    return sum(1 for _ in probe) == 1


def _problem(
    header: list[str], cells: list[str], line: int, end: int, open_quote: bool, nul: bool
) -> str | None:
    if not (open_quote or nul) and len(cells) <= len(header) and max(map(len, cells)) <= MAX_CELL:
        return None  # the common case, checked cheaply: files have 100,000s of rows

    def column(i: int) -> str:
        return repr(header[i]) if i < len(header) and header[i] else str(i + 1)

    if open_quote:
        return (
            f"the quote that opens column {column(len(cells) - 1)} is never closed, so lines "
            f"{line} to {end} (the end of the file) were read as one cell: add the closing quote"
        )
    for i, cell in enumerate(cells):
        if "\x00" in cell:
            return (
                f"column {column(i)} contains a NUL character (a zero byte): the file is "
                "damaged there; remove it and save the CSV again"
            )
        if len(cell) > MAX_CELL:
            hint = (
                f"; the row runs from line {line} to line {end}: is a closing quote missing?"
                if end > line
                else ": shorten it"
            )
            return (
                f"column {column(i)} has {len(cell):,} characters, over the limit of "
                f"{MAX_CELL:,}{hint}"
            )
    if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
        return (
            f"{len(cells)} cells but the header has {len(header)} columns "
            "(a value with a comma in it needs quotes)"
        )
    return None


def read_csv_table(
    path: str | Path,
    *,
    cp1252: bool = True,
    error: type[CsvFileError] = CsvFileError,
    duplicate_key: Callable[[str], str] = lambda name: name,
    what: str = "rows",
) -> CsvTable:
    """The header and every record of a CSV file, in file order.

    Raises ``error`` when the file cannot be used at all: missing, not text, empty, only
    a header, a damaged header, or two header names with the same non-empty
    ``duplicate_key`` (which one would the reader use?). ``what`` names the rows in
    messages ("lead rows").
    """
    path = Path(path)
    decoded = read_csv_text(path, cp1252=cp1252, error=error)
    if not decoded.text.strip():
        raise error(f"{path} is empty: expected a header row and {what}")
    lines = io.StringIO(decoded.text, newline="").readlines()
    # The whole file is in memory already, so the csv module's limit protects nothing;
    # left in place it cuts a long cell short and reads its remainder as new rows.
    # (Only ever raised: the limit is process-wide.)
    csv.field_size_limit(max(csv.field_size_limit(), min(len(decoded.text) + 1, 2**31 - 1)))
    first = next(i for i, text in enumerate(lines) if text.strip())
    delimiter = _delimiter(lines[first])
    reader = csv.reader(lines[first:], delimiter=delimiter)
    nul = "\x00" in decoded.text

    def parse(header: list[str]) -> tuple[int, int, list[str], str | None] | None:
        """The next non-blank record: first and last line, cells, what is wrong with it."""
        while True:
            start = first + reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return None
            except csv.Error as exc:  # not expected with these settings; never fatal
                return start, first + reader.line_num, [], f"not valid CSV: {exc}"
            end = first + reader.line_num
            if cells:
                open_quote = end == len(lines) and _ends_inside_quotes(
                    "".join(lines[start - 1 :]), delimiter
                )
                return (
                    start,
                    end,
                    cells,
                    _problem(header or cells, cells, start, end, open_quote, nul),
                )

    header_record = parse([])
    assert header_record is not None  # the text is not blank
    header_line, _, cells, problem = header_record
    if problem is not None:
        raise error(f"{path}: the header (line {header_line}) is damaged: {problem}")
    # A stray BOM (U+FEFF) anywhere in a header name is never part of it: Excel leaves them.
    header = [h.replace("\ufeff", "").strip() for h in cells]
    seen: dict[str, int] = {}
    for number, name in enumerate(header, 1):
        key = duplicate_key(name) if name else ""
        if key and key in seen:
            raise error(
                f"{path}: column {name!r} appears twice in the header (columns {seen[key]} "
                f"and {number}): rename or remove one"
            )
        seen.setdefault(key, number)

    table = CsvTable(path, decoded.encoding, decoded.note, delimiter, header, header_line)
    row = 0
    while (record := parse(header)) is not None:
        row += 1
        table.records.append(Record(row, *record))
    if not table.records:
        raise error(
            f"{path} has a header (line {header_line}) but no rows below it: expected {what}"
        )
    return table
