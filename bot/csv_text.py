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
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

__all__ = [
    "MAX_CELL",
    "CsvFileError",
    "CsvStream",
    "CsvTable",
    "Decoded",
    "Record",
    "decode_csv_bytes",
    "open_csv_table",
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


# -- reading a file as a stream of lines, memory flat whatever its size ---------------------
_CHUNK = 1 << 20
_MIXED_ERRORS = "leadrouter-utf8-cp1252"


def _bad_bytes_as_cp1252(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 read as cp1252 (what
    :func:`decode_csv_bytes` does to a mostly UTF-8 file)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("cp1252"), exc.end


codecs.register_error(_MIXED_ERRORS, _bad_bytes_as_cp1252)


@dataclass(frozen=True)
class _Plan:
    """How to decode a file, found by :func:`_scan` before any of it is used."""

    skip: int  # bytes of byte order mark
    codec: str
    errors: str
    encoding: str
    note: str | None
    blank: bool  # nothing but whitespace


def _open(path: Path, error: type[CsvFileError]) -> io.BufferedReader:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror or exc}") from None


def _chunks(handle: io.BufferedReader, path: Path, error: type[CsvFileError]) -> Iterator[bytes]:
    while True:
        try:
            chunk = handle.read(_CHUNK)
        except OSError as exc:
            raise error(f"cannot read {path}: {exc.strerror or exc}") from None
        if not chunk:
            return
        yield chunk


def _scan(path: Path, cp1252: bool, error: type[CsvFileError]) -> _Plan:
    """One pass over the file, in chunks: the decoding :func:`decode_csv_bytes` would
    choose for the whole of it, with the same note or the same error, holding one chunk."""
    name = str(path)
    with _open(path, error) as handle:
        head = handle.read(_SAMPLE + len(codecs.BOM_UTF8))
        for bom, codec, label in _WIDE_BOMS:
            if head.startswith(bom):
                handle.seek(len(bom))
                decoder = codecs.getincrementaldecoder(codec)("strict")
                fed = len(bom)  # bytes handed to the decoder before the current chunk
                blank = True
                try:
                    for chunk in itertools.chain(_chunks(handle, path, error), [None]):
                        final = chunk is None
                        text = decoder.decode(b"" if chunk is None else chunk, final=final)
                        blank = blank and not text.strip()
                        fed += 0 if chunk is None else len(chunk)
                except UnicodeDecodeError as exc:
                    at = fed - (len(exc.object) - len(chunk or b"")) + exc.start
                    raise error(
                        f"{name} starts with a {label} byte order mark but is not valid "
                        f"{label} text (at byte {at}): save it again as CSV UTF-8"
                    ) from None
                note = f"read {name} as {label} (it has a {label} byte order mark)"
                return _Plan(len(bom), codec, "strict", codec, note, blank)

        skip = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
        sample = head[skip : skip + _SAMPLE]
        if b"\x00" in sample and _looks_like_utf16(sample):
            raise error(
                f"{name} looks like UTF-16 text without a byte order mark: save it again as "
                "CSV UTF-8"
            )
        handle.seek(skip)
        # Strict UTF-8 until the first bad byte; from there on, count what the mixed
        # decoding needs to know (bad bytes, real UTF-8 beyond ASCII, cp1252's gaps).
        strict = codecs.getincrementaldecoder("utf-8")("strict")
        escaping = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        fed = skip  # bytes handed to the strict decoder before this chunk
        first: int | None = None
        newlines = [0, 0]  # b"\n", b"\r" before the first bad byte
        seen_lf = False
        blank = True
        bad_bytes = 0
        non_ascii = False
        undecodable = False
        for chunk in _chunks(handle, path, error):
            seen_lf = seen_lf or b"\n" in chunk
            if first is None:
                try:
                    text = strict.decode(chunk)
                except UnicodeDecodeError as exc:
                    buffered = len(exc.object) - len(chunk)
                    first = fed - buffered + exc.start
                    upto = exc.start - buffered  # offset of the bad byte in this chunk
                    newlines[0] += chunk.count(b"\n", 0, max(upto, 0))
                    newlines[1] += chunk.count(b"\r", 0, max(upto, 0))
                    # Re-read this chunk (and what the strict decoder held) escaping.
                    text = escaping.decode(exc.object)
                else:
                    newlines[0] += chunk.count(b"\n")
                    newlines[1] += chunk.count(b"\r")
                    blank = blank and not text.strip()
                    non_ascii = non_ascii or not text.isascii()
                    fed += len(chunk)
                    continue
            else:
                text = escaping.decode(chunk)
            blank = blank and not _as_read(text).strip()
            bad_bytes, non_ascii, undecodable = _count_escaped(
                text, bad_bytes, non_ascii, undecodable
            )
        if first is None:
            try:
                text = strict.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                first = fed - len(exc.object) + exc.start
                text = escaping.decode(exc.object, final=True)
                blank = blank and not _as_read(text).strip()
                bad_bytes, non_ascii, undecodable = _count_escaped(
                    text, bad_bytes, non_ascii, undecodable
                )
            else:
                blank = blank and not text.strip()
                return _Plan(skip, "utf-8", "strict", "utf-8", None, blank)
        else:
            text = escaping.decode(b"", final=True)
            blank = blank and not _as_read(text).strip()
            bad_bytes, non_ascii, undecodable = _count_escaped(
                text, bad_bytes, non_ascii, undecodable
            )
    line = newlines[0 if seen_lf else 1] + 1
    where = f"byte {first}, line {line}"
    if b"\x00" in sample:
        raise error(
            f"{name} is not a text CSV file (binary data: NUL bytes, not valid UTF-8 at "
            f"{where}); if it is a spreadsheet, export it as CSV UTF-8"
        )
    if not cp1252:
        raise error(f"{name}: not UTF-8 text (at {where}); export the CSV as UTF-8")
    if undecodable:
        raise error(
            f"{name} is neither UTF-8 nor Windows-1252 text (not valid UTF-8 at {where}): "
            "save it again as CSV UTF-8"
        )
    if skip or non_ascii:
        note = (
            f"read {name} as UTF-8 with {bad_bytes} byte(s) as cp1252 (not valid UTF-8 at "
            f"{where}): check the characters there"
        )
        return _Plan(skip, "utf-8", _MIXED_ERRORS, "utf-8+cp1252", note, blank)
    note = f"read {name} as cp1252 (not valid UTF-8 at {where})"
    # No UTF-8 beyond ASCII anywhere: cp1252 reads every byte as the mixed decoding would.
    return _Plan(skip, "cp1252", "strict", "cp1252", note, blank)


def _as_read(text: str) -> str:
    """Escaped text (surrogateescape) with its bad bytes read as cp1252 (those cp1252
    lacks as "?": the file is refused then)."""
    return _ESCAPED.sub(
        lambda m: bytes(ord(c) - 0xDC00 for c in m.group()).decode("cp1252", "replace"), text
    )


def _count_escaped(
    text: str, bad_bytes: int, non_ascii: bool, undecodable: bool
) -> tuple[int, bool, bool]:
    escaped = _ESCAPED.findall(text)
    if escaped:
        bad_bytes += sum(map(len, escaped))
        if not undecodable:
            try:
                bytes(ord(c) - 0xDC00 for run in escaped for c in run).decode("cp1252")
            except UnicodeDecodeError:
                undecodable = True
    non_ascii = non_ascii or _NON_ASCII_UTF8.search(text) is not None
    return bad_bytes, non_ascii, undecodable


class _Lines:
    """The file's lines as ``io.StringIO(text, newline="")`` splits them, read lazily;
    remembers the lines of the record being read and whether the file has more."""

    __slots__ = ("_lines", "_next", "done", "nul", "taken")

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.taken: list[str] = []
        self.nul = False
        self._next: str | None = next(lines, None)
        self.done = self._next is None

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._next
        if line is None:
            raise StopIteration
        self._next = next(self._lines, None)
        if self._next is None:
            self.done = True
        self.taken.append(line)
        if "\x00" in line:
            self.nul = True
        return line


@dataclass
class CsvStream:
    """:class:`CsvTable` whose ``records`` are read as they are asked for (once)."""

    path: Path
    encoding: str
    note: str | None
    delimiter: str
    header: list[str]
    header_line: int
    records: Iterator[Record]


def open_csv_table(
    path: str | Path,
    *,
    cp1252: bool = True,
    error: type[CsvFileError] = CsvFileError,
    duplicate_key: Callable[[str], str] = lambda name: name,
    what: str = "rows",
) -> CsvStream:
    """:func:`read_csv_table`, streaming: the file is checked and its header read now (the
    same errors are raised here), records are read and numbered as they are iterated, so
    memory stays flat however long the file is."""
    path = Path(path)
    text: TextIO
    if path.is_file():
        plan = _scan(path, cp1252, error)
        if plan.blank:
            raise error(f"{path} is empty: expected a header row and {what}")
        encoding, note = plan.encoding, plan.note
        handle = _open(path, error)
        try:
            handle.seek(plan.skip)
        except BaseException:
            handle.close()
            raise
        text = io.TextIOWrapper(handle, encoding=plan.codec, errors=plan.errors, newline="")
    else:  # a pipe (/dev/stdin), or no file at all: read once, into memory
        decoded = read_csv_text(path, cp1252=cp1252, error=error)
        if not decoded.text.strip():
            raise error(f"{path} is empty: expected a header row and {what}")
        encoding, note = decoded.encoding, decoded.note
        text = io.StringIO(decoded.text, newline="")
    try:
        stream = _records(path, text, error, duplicate_key, what)
        header_info = next(stream)
    except BaseException:
        text.close()
        raise
    assert isinstance(header_info, tuple)
    delimiter, header, header_line = header_info
    return CsvStream(
        path,
        encoding,
        note,
        delimiter,
        header,
        header_line,
        (record for record in stream if isinstance(record, Record)),
    )


def _records(
    path: Path,
    text: TextIO,
    error: type[CsvFileError],
    duplicate_key: Callable[[str], str],
    what: str,
) -> Iterator[Record | tuple[str, list[str], int]]:
    """First (delimiter, header, header line), then every record; closes the file."""
    with text:
        # Cells are checked against MAX_CELL below; the csv module's own limit would cut a
        # long cell short and read its remainder as new rows. (Only ever raised: the limit
        # is process-wide.)
        csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))
        first = 0
        raw = iter(text)
        line = next(raw, None)
        while line is not None and not line.strip():
            first += 1
            line = next(raw, None)
        assert line is not None  # the text is not blank
        delimiter = _delimiter(line)
        lines = _Lines(itertools.chain((line,), raw))
        reader = csv.reader(lines, delimiter=delimiter)

        def parse(header: list[str]) -> tuple[int, int, list[str], str | None] | None:
            """The next non-blank record: first and last line, cells, what is wrong."""
            while True:
                start = first + reader.line_num + 1
                lines.taken.clear()
                lines.nul = False
                try:
                    cells = next(reader)
                except StopIteration:
                    return None
                except csv.Error as exc:  # not expected with these settings; never fatal
                    return start, first + reader.line_num, [], f"not valid CSV: {exc}"
                end = first + reader.line_num
                if cells:
                    open_quote = lines.done and _ends_inside_quotes("".join(lines.taken), delimiter)
                    return (
                        start,
                        end,
                        cells,
                        _problem(header or cells, cells, start, end, open_quote, lines.nul),
                    )

        header_record = parse([])
        assert header_record is not None
        header_line, _, cells, problem = header_record
        if problem is not None:
            raise error(f"{path}: the header (line {header_line}) is damaged: {problem}")
        # A stray BOM (U+FEFF) anywhere in a header name is never part of it: Excel leaves
        # them.
        header = [h.replace("\ufeff", "").strip() for h in cells]
        seen: dict[str, int] = {}
        for number, name in enumerate(header, 1):
            key = duplicate_key(name) if name else ""
            if key and key in seen:
                raise error(
                    f"{path}: column {name!r} appears twice in the header (columns "
                    f"{seen[key]} and {number}): rename or remove one"
                )
            seen.setdefault(key, number)
        record = parse(header)
        if record is None:
            raise error(
                f"{path} has a header (line {header_line}) but no rows below it: expected {what}"
            )
        yield delimiter, header, header_line
        row = 0
        new, put = object.__new__, object.__setattr__
        while record is not None:
            row += 1
            # Record(row, *record) without the frozen dataclass's per-field setattr: one
            # per row of a file that may have millions.
            start, end, cells, problem = record
            item = new(Record)
            put(
                item,
                "__dict__",
                {"row": row, "line": start, "end_line": end, "cells": cells, "problem": problem},
            )
            yield item
            record = parse(header)


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
    messages ("lead rows"). :func:`open_csv_table` reads the records one at a time.
    """
    stream = open_csv_table(
        path, cp1252=cp1252, error=error, duplicate_key=duplicate_key, what=what
    )
    table = CsvTable(
        stream.path,
        stream.encoding,
        stream.note,
        stream.delimiter,
        stream.header,
        stream.header_line,
    )
    table.records.extend(stream.records)
    return table
