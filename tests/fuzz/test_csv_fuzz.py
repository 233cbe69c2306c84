"""Fuzzing lead CSV files (issue #21): structured CSV and random bytes through the lead
reader (``bot/leads_csv.py``), the account/contact reader and ``leadrouter simulate``.

The promise: rows, each good one a lead and each bad one reported with its true row and
line, or one clear error naming the file; ``simulate`` exits 0 (a JSON report counting
every row) or 2 (``cannot read the leads: ...``), never a traceback.

Structured files are written cell by cell, so the fuzzer knows where every row starts:
the reader must find exactly those rows at exactly those lines, and a row with a NUL, an
oversized cell or too many cells must be one of the bad ones.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from bot.crm_csv import CrmCsvError, read_crm_csv
from bot.csv_text import MAX_CELL
from bot.leads_csv import CsvError, LeadsFile, read_leads_csv
from routing.config import load_config
from tests.cli.conftest import EXAMPLE_CONFIG, CliRunner
from tests.fuzz.conftest import fuzz_settings

FIELD_MAP = load_config(EXAMPLE_CONFIG).salesforce.fields
AT = "2024-01-23T18:00:00Z"

# Header names: canonical lead fields, Salesforce export columns, custom and odd ones.
# None has a delimiter, a quote or a line break in it: the header picks the delimiter.
LEAD_COLUMNS = ["email", "company", "last_name", "id"]
COLUMNS = st.one_of(
    st.sampled_from(
        [
            *LEAD_COLUMNS,
            "first_name",
            "First Name",
            "country",
            "state",
            "employees",
            "annual_revenue",
            "created_at",
            "salesforce_id",
            "external_id",
            "Id",
            "FirstName",
            "LastName",
            "Company",
            "Email",
            "CreatedDate",
            "NumberOfEmployees",
            "LeadSource",
            "Product_Interest__c",
            "Zoë",
            "名前",
            "",
        ]
    ),
    # cp1252 letters only: in a cp1252 file, two names it has no letters for would both
    # be written "??" (a duplicate header, refused).
    st.text(
        st.characters(categories=["L", "N"], include_characters="_ -", codec="cp1252"), max_size=12
    ).map(str.strip),
)
CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "dana@fbi.example.org",
            "not-an-email",
            "a@b",
            "FBI",
            "Acme, Inc.",
            'He said "hi"',
            '"',
            "line\nbreak",
            "cr\ronly",
            "crlf\r\nend",
            "\x00",
            "nul\x00inside",
            "\ufeff",
            "Zoë",
            "José",
            "名前",
            "\U0001f600",
            "\u2028",
            "\x85",
            "2024-01-22T20:36:47.000+0000",
            "9999-12-31T23:59:59-12:00",
            "not a date",
            "00Q5e00000AbCdEfGH",
            "00Q5e00000AbCdE",
            "1e999",
            "nan",
            "-1",
            "9" * 400,
            "United States",
            "DE",
            "[/red]",
            "=cmd|' /C calc'!A0",
        ]
    ),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=20),
)
# Values that make a good row, per column (other columns: any cell).
PLAUSIBLE = {
    "email": st.sampled_from(["dana@fbi.example.org", "zoë@acme.example", "x@gmail.com"]),
    "Email": st.sampled_from(["dana@fbi.example.org", "x@gmail.com"]),
    "company": st.sampled_from(["FBI", "Acme, Inc.", "名前 GmbH"]),
    "last_name": st.sampled_from(["Scully", "O'Brien", "Zoë"]),
    "id": st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=8),
    "created_at": st.sampled_from(["", "2024-01-22T20:36:47.000+0000", "2024-01-22 10:00"]),
    "CreatedDate": st.sampled_from(["", "2024-01-22T20:36:47.000+0000"]),
    "employees": st.sampled_from(["", "250", "1,200", "-5", "lots"]),
    "country": st.sampled_from(["US", "United States", "DE", "Deutschland", ""]),
    "salesforce_id": st.sampled_from(["", "00Q5e00000AbCdEfGH", "00Q5e00000AbCdE"]),
}
LONG_CELL = "x" * (MAX_CELL + 1)
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1252"]


@dataclass
class Written:
    """A CSV file as written: its bytes, its text and what the reader must find."""

    data: bytes
    text: str
    encoding: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]  # the line each row starts on

    def __repr__(self) -> str:  # a failing example is printed: not 131,073 x's
        def short(cell: str) -> str:
            return cell if len(cell) <= 80 else f"{cell[:20]}...({len(cell):,} chars)"

        rows = [[short(c) for c in cells] for cells in self.rows]
        return (
            f"Written(encoding={self.encoding!r}, header={self.header!r}, rows={rows!r}, "
            f"lines={self.lines!r}, text={short(self.text)!r})"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # how hypothesis prints it
        printer.text(repr(self))


def _cell(value: str, quote_all: bool) -> str:
    if quote_all or any(c in value for c in ',"\r\n') or value != value.strip(" "):
        return '"' + value.replace('"', '""') + '"'
    return value


def _record(cells: list[str], quote_all: bool) -> str:
    if cells == [""]:
        return '""'  # else it would be a blank line, which is no row at all
    return ",".join(_cell(c, quote_all) for c in cells)


def _lines_in(text: str) -> int:
    """Lines the reader counts in ``text`` (\\n, \\r\\n and a lone \\r each end one)."""
    return len(io.StringIO(text, newline="").readlines())


@st.composite
def structured_csv(draw: st.DrawFn) -> Written:
    header = draw(st.lists(COLUMNS, min_size=1, max_size=7, unique=True))
    if not set(LEAD_COLUMNS) & set(header):
        header.insert(draw(st.integers(0, len(header))), draw(st.sampled_from(LEAD_COLUMNS)))
    width = len(header)
    row_cells = st.one_of(
        st.tuples(*(PLAUSIBLE.get(name, CELLS) for name in header)).map(list),
        st.lists(CELLS, min_size=width, max_size=width),
        st.lists(CELLS, min_size=1, max_size=width + 3),  # ragged: short or long
    )
    rows = draw(st.lists(row_cells, min_size=1, max_size=10))
    if draw(st.integers(0, 9)) == 0:  # now and then a cell over the limit
        rows[draw(st.integers(0, len(rows) - 1))][0] = LONG_CELL
    quote_all = draw(st.booleans())
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline * draw(st.integers(0, 2))  # blank lines before the header
    text += _record(header, quote_all) + newline
    lines = []
    for cells in rows:
        text += newline * draw(st.sampled_from([0, 0, 0, 1, 2]))  # blank lines are no rows
        lines.append(_lines_in(text) + 1)
        text += _record(cells, quote_all) + newline
    if draw(st.booleans()):
        text = text[: -len(newline)]  # no line break after the last row
    encoding = draw(st.sampled_from(ENCODINGS))
    # What cp1252 has no character for becomes "?", as a Windows export does.
    data = text.encode(encoding, errors="replace" if encoding == "cp1252" else "strict")
    text = data.decode(encoding)
    return Written(data, text, encoding, header, rows, lines)


def _damaged(written: Written, cut: int, junk: bytes) -> bytes:
    at = cut % (len(written.data) + 1)
    return written.data[:at] + junk + written.data[at + len(junk) :]


RAW = st.one_of(
    st.binary(max_size=300),
    # A structured file cut short or overwritten in places: quotes never closed, bytes
    # that are not the file's encoding, half a UTF-16 character.
    st.builds(_damaged, structured_csv(), st.integers(0, 10**6), st.binary(max_size=6)),
    structured_csv().map(lambda w: w.data[: len(w.data) // 2]),
)


def check_leads_file(leads: LeadsFile) -> None:
    """What holds for any file the reader accepts."""
    assert leads.layout in ("canonical", "salesforce")
    rows = sorted([lead.row for lead in leads.leads] + [bad.row for bad in leads.bad_rows])
    assert rows == list(range(1, len(rows) + 1)), rows
    for bad in leads.bad_rows:
        assert bad.line >= 2 and bad.message.strip(), bad
        assert str(bad).startswith(f"row {bad.row} (line"), str(bad)
        json.dumps(bad.to_json())
    for lead in leads.leads:
        assert lead.line >= 2 and lead.lead_id, lead
        lead.idempotency_key()


def check_csv_error(err: CsvError | CrmCsvError, path: Path) -> None:
    message = str(err)
    assert message.strip() and "Traceback" not in message
    assert str(path) in message, message


@given(structured_csv())
@fuzz_settings(examples=80)
def test_structured_csv_gives_every_row_at_its_line(tmp_path: Path, written: Written) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(written.data)
    try:
        leads = read_leads_csv(path, field_map=FIELD_MAP)
    except CsvError as err:
        # Only NUL characters make a file of real text look like binary data or UTF-16.
        check_csv_error(err, path)
        assert "\x00" in written.text, str(err)
        assert "NUL" in str(err) or "UTF-16" in str(err), str(err)
        event("refused: NUL bytes")
        return
    event(f"{written.encoding}, good rows: {bool(leads.leads)}, bad rows: {bool(leads.bad_rows)}")
    check_leads_file(leads)
    found = {lead.row: lead.line for lead in leads.leads}
    found.update({bad.row: bad.line for bad in leads.bad_rows})
    assert [found[row] for row in sorted(found)] == written.lines, (found, written.lines)
    bad = {b.row: b.message for b in leads.bad_rows}
    for row, cells in enumerate(written.rows, 1):
        # The first damaged cell is the one reported; then too many cells.
        damage = [
            "NUL character" if "\x00" in c else "over the limit"
            for c in cells
            if "\x00" in c or len(c) > MAX_CELL
        ]
        if any(c.strip() for c in cells[len(written.header) :]):
            damage.append("cells but the header has")
        if damage:
            assert damage[0] in bad.get(row, ""), (row, damage, bad.get(row))


@given(RAW)
@fuzz_settings(examples=80)
def test_any_bytes_give_rows_or_one_clear_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(data)
    try:
        leads = read_leads_csv(path, field_map=FIELD_MAP)
    except CsvError as err:
        event("CsvError")
        check_csv_error(err, path)
    else:
        event("rows")
        check_leads_file(leads)
    # The same bytes as an account export and a contact export.
    for sobject in ("Account", "Contact"):
        try:
            crm = read_crm_csv(path, sobject)
        except CrmCsvError as err:
            check_csv_error(err, path)
            continue
        for problem in crm.bad:
            assert problem.startswith("row ") and "(line" in problem, problem


@given(st.one_of(structured_csv().map(lambda w: w.data), RAW))
@fuzz_settings(examples=30)
def test_simulate_exits_0_with_every_row_or_2(cli: CliRunner, tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(data)
    run = cli("simulate", "--config", EXAMPLE_CONFIG, "--leads", path, "--at", AT,
              "--format", "json")  # fmt: skip
    assert "Traceback" not in run.out + run.err
    event(f"exit {run.code}")
    try:
        expected = read_leads_csv(path, field_map=FIELD_MAP)
    except CsvError as err:
        assert run.code == 2, run
        assert run.out == "" and run.err == f"cannot read the leads: {err}\n", run
        return
    assert run.code == 0, run
    summary = json.loads(run.out)["summary"]
    assert summary["input"]["rows"] == expected.rows
    assert len(summary["bad_rows"]) == len(expected.bad_rows)
    assert summary["totals"]["leads"] == len(expected.leads)
    for bad in expected.bad_rows:
        assert f"{path}: skipped {bad}" in run.err
