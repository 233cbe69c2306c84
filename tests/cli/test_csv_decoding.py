"""CSV input that never crashes or silently corrupts (issue #21): encodings, BOMs, huge
cells, NULs, quotes never closed, empty and header-only files, duplicate headers, ragged
rows, on every path that reads a CSV (simulate, ingest, account/contact exports, the
``--map`` file of import-salesforce-rules, the demo)."""

from __future__ import annotations

import codecs
import contextlib
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.cli.import_rules import read_mapping
from bot.crm_csv import CrmCsvError, read_crm_csv
from bot.csv_text import MAX_CELL, CsvFileError, decode_csv_bytes, read_csv_table
from bot.demo.runner import lead_rows, read_leads
from bot.leads_csv import CsvError, read_leads_csv
from tests.cli.conftest import EXAMPLE_CONFIG, CliRunner

TUESDAY = "2024-01-23T18:00:00Z"  # US West is open

# A UTF-8 export with a BOM and real UTF-8 (Zoë), then one byte that is not UTF-8: an é
# typed in a Windows editor (0xE9 in cp1252).
BOM_PLUS_BAD_BYTE = (
    codecs.BOM_UTF8
    + b"id,email,first_name,company,country,state\n"
    + "z-1,zoe@acme.example,Zoë,Acme,US,CA\n".encode()
    + b"j-2,jose@acme.example,Jos\xe9,Acme,US,CA\n"
)
BAD_BYTE_AT = BOM_PLUS_BAD_BYTE.index(b"\xe9")


def simulate(cli: CliRunner, leads: Path, *args: str) -> tuple[dict[str, Any], str]:
    run = cli("simulate", "--config", EXAMPLE_CONFIG, "--leads", leads, "--at", TUESDAY,
              "--format", "json", *args)  # fmt: skip
    assert run.code == 0, run.err
    return json.loads(run.out), run.err  # stdout stays one JSON document


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", newline="")
    else:
        path.write_bytes(data)
    return path


# -- decoding --------------------------------------------------------------------------
def test_bom_plus_one_bad_byte_keeps_the_id_column_and_says_how_it_was_read(
    cli: CliRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, "leads.csv", BOM_PLUS_BAD_BYTE)
    leads = read_leads_csv(path)
    assert leads.columns[0] == "id"  # not "ï»¿id"
    assert [lead.external_id for lead in leads.leads] == ["z-1", "j-2"]
    # The UTF-8 stays UTF-8 (no "ZoÃ«"); only the bad byte is read as cp1252.
    assert [lead.raw["first_name"] for lead in leads.leads] == ["Zoë", "José"]
    assert leads.encoding == "utf-8+cp1252"
    assert leads.note is not None
    assert f"not valid UTF-8 at byte {BAD_BYTE_AT}, line 3" in leads.note

    doc, err = simulate(cli, path)
    assert [d["lead"] for d in doc["decisions"]] == ["z-1", "j-2"]
    assert doc["summary"]["input"]["encoding"] == "utf-8+cp1252"
    assert doc["summary"]["input"]["encoding_note"] == leads.note
    assert f"read {path} as UTF-8 with 1 byte(s) as cp1252" in err
    assert f"byte {BAD_BYTE_AT}" in err


def test_windows_1252_file_is_read_as_cp1252_and_says_so(cli: CliRunner, tmp_path: Path) -> None:
    data = "id,email,company,country,state\nx-1,jose@acme.example,Café,US,CA\n".encode("cp1252")
    path = write(tmp_path, "excel.csv", data)
    leads = read_leads_csv(path)
    assert (leads.encoding, leads.leads[0].raw["company"]) == ("cp1252", "Café")
    at = data.index(b"\xe9")
    _, err = simulate(cli, path)
    assert f"read {path} as cp1252 (not valid UTF-8 at byte {at}, line 2)" in err


def test_plain_utf8_with_or_without_bom_has_no_note(tmp_path: Path) -> None:
    for name, data in (("plain.csv", b""), ("bom.csv", codecs.BOM_UTF8)):
        path = write(tmp_path, name, data + "id,email\nü-1,a@acme.example\n".encode())
        leads = read_leads_csv(path)
        assert (leads.columns, leads.encoding, leads.note) == (["id", "email"], "utf-8", None)
        assert leads.leads[0].external_id == "ü-1"


@pytest.mark.parametrize(
    ("codec", "label"),
    [("utf-16-le", "UTF-16 LE"), ("utf-16-be", "UTF-16 BE"), ("utf-32-le", "UTF-32 LE")],
)
def test_utf16_and_utf32_with_a_bom_are_decoded(
    cli: CliRunner, tmp_path: Path, codec: str, label: str
) -> None:
    # Excel's "Unicode text": UTF-16 LE with a BOM, tab-separated.
    text = "\ufeffid\temail\tcompany\tcountry\tstate\nü-1\ta@acme.example\tMüller\tUS\tCA\n"
    path = write(tmp_path, "unicode.txt", text.encode(codec))
    leads = read_leads_csv(path)
    assert leads.columns[0] == "id"
    assert (leads.leads[0].external_id, leads.leads[0].raw["company"]) == ("ü-1", "Müller")
    assert leads.encoding == codec
    doc, err = simulate(cli, path)
    assert [d["lead"] for d in doc["decisions"]] == ["ü-1"]
    assert f"read {path} as {label}" in err


def test_undecodable_files_exit_2_with_what_to_do(cli: CliRunner, tmp_path: Path) -> None:
    cases = {
        "no_bom_utf16.csv": ("id,email\nx,a@acme.example\n".encode("utf-16-le"), "UTF-16"),
        "odd_utf16.csv": (codecs.BOM_UTF16_LE + b"i\x00d\x00\n", "not valid UTF-16 LE"),
        "neither.csv": (b"id,email\nx,\x81@acme.example\n", "neither UTF-8 nor Windows-1252"),
        "xlsx.csv": (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5U", "not a text CSV"),
    }
    for name, (data, message) in cases.items():
        path = write(tmp_path, name, data)
        run = cli("simulate", "--config", EXAMPLE_CONFIG, "--leads", path)
        assert run.code == 2, (name, run)
        assert "cannot read the leads" in run.err and message in run.err, (name, run.err)
        assert "Traceback" not in run.err and run.out == ""


def test_decoding_reports_the_first_bad_byte_when_cp1252_is_refused() -> None:
    with pytest.raises(CsvFileError, match=r"not UTF-8 text \(at byte 12, line 2\)"):
        decode_csv_bytes(b"Name\nCaf\xc3\xa9 M\xfcller\n", "accounts.csv", cp1252=False)


# -- oversized cells -------------------------------------------------------------------
def test_a_cell_over_the_limit_is_a_bad_row_and_the_rows_after_keep_their_numbers(
    cli: CliRunner, tmp_path: Path
) -> None:
    huge = "x" * (MAX_CELL + 10)
    path = write(
        tmp_path,
        "huge.csv",
        "id,email,country,state,description\n"  # line 1
        "ok-1,a@acme.example,US,CA,fine\n"  # row 1, line 2
        f'huge-2,b@acme.example,US,CA,"{huge}\nstill the same cell"\n'  # row 2, lines 3-4
        "ok-3,c@acme.example,US,CA,fine\n"  # row 3, line 5
        "bad-4,not-an-email,US,CA,fine\n"  # row 4, line 6
        f"long-5,d@acme.example,US,CA,{huge}\n"  # row 5, line 7 (no quotes)
        "ok-6,e@acme.example,US,CA,fine\n",  # row 6, line 8
    )
    leads = read_leads_csv(path)
    assert [(lead.lead_id, lead.row, lead.line) for lead in leads.leads] == [
        ("ok-1", 1, 2),
        ("ok-3", 3, 5),
        ("ok-6", 6, 8),
    ]
    assert [(b.row, b.line, b.end_line) for b in leads.bad_rows] == [
        (2, 3, 4),
        (4, 6, 6),
        (5, 7, 7),
    ]
    huge_row, bad_email, long_row = leads.bad_rows
    assert f"column 'description' has {MAX_CELL + 30:,} characters" in huge_row.message
    assert "runs from line 3 to line 4: is a closing quote missing?" in huge_row.message
    assert str(huge_row).startswith("row 2 (lines 3-4): ")
    assert "not-an-email" in bad_email.message
    assert "shorten it" in long_row.message

    doc, err = simulate(cli, path)
    assert [d["lead"] for d in doc["decisions"]] == ["ok-1", "ok-3", "ok-6"]
    bad = [(b["row"], b["line"]) for b in doc["summary"]["bad_rows"]]
    assert bad == [(2, 3), (4, 6), (5, 7)]
    assert "skipped row 2 (lines 3-4)" in err and "skipped row 4 (line 6)" in err


def test_oversized_cells_in_account_exports_and_maps_do_not_crash(tmp_path: Path) -> None:
    huge = "y" * (MAX_CELL + 1)
    accounts = write(
        tmp_path, "accounts.csv", f'Name,Website\nAcme,acme.com\n"{huge}",x.com\nBeta,b.com\n'
    )
    loaded = read_crm_csv(accounts, "Account")
    assert [r["Name"] for r in loaded.records] == ["Acme", "Beta"]
    assert loaded.bad == [
        f"row 2 (line 3): column 'Name' has {MAX_CELL + 1:,} characters, over the limit of "
        f"{MAX_CELL:,}: shorten it"
    ]
    mapping = write(tmp_path, "users.csv", f"salesforce,id\namy@example.com,amy\nbob,{huge}\n")
    with pytest.raises(ValueError, match=r"row 2 \(line 3\): column 'id' has"):
        read_mapping(mapping)


# -- other malformed CSV ---------------------------------------------------------------
def test_nul_bytes_name_their_row(cli: CliRunner, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "nul.csv",
        b"id,email,country,state\nok-1,a@acme.example,US,CA\nnul-2,b\x00@acme.example,US,CA\n"
        b"ok-3,c@acme.example,US,CA\n",
    )
    doc, _ = simulate(cli, path)
    assert [d["lead"] for d in doc["decisions"]] == ["ok-1", "ok-3"]
    [bad] = doc["summary"]["bad_rows"]
    assert (bad["row"], bad["line"]) == (2, 3)
    assert "column 'email' contains a NUL character" in bad["message"]
    header_nul = write(tmp_path, "header_nul.csv", b"id,em\x00ail\nx,a@acme.example\n")
    with pytest.raises(CsvError, match=r"the header \(line 1\) is damaged: .*NUL"):
        read_leads_csv(header_nul)


def test_a_quote_never_closed_is_reported_not_swallowed(cli: CliRunner, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "open_quote.csv",
        "id,email,country,state\n"
        "ok-1,a@acme.example,US,CA\n"
        'open-2,"b@acme.example,US,CA\n'  # row 2, line 3: the quote is never closed...
        "lost-3,c@acme.example,US,CA\n",  # ...so this line is inside its cell
    )
    doc, _ = simulate(cli, path)
    assert [d["lead"] for d in doc["decisions"]] == ["ok-1"]
    [bad] = doc["summary"]["bad_rows"]
    assert (bad["row"], bad["line"]) == (2, 3)
    assert "the quote that opens column 'email' is never closed" in bad["message"]
    assert "lines 3 to 4 (the end of the file)" in bad["message"]
    # A quoted cell that is closed on the last line is fine, with or without a newline.
    for ending in ("", "\n"):
        closed = write(tmp_path, "closed.csv", f'id,email\nx-1,"a@acme.example"{ending}')
        assert read_leads_csv(closed).bad_rows == []


def test_empty_header_only_and_duplicate_headers_exit_2(cli: CliRunner, tmp_path: Path) -> None:
    cases = {
        "empty.csv": (b"", "is empty: expected a header row and lead rows"),
        "blank.csv": (b"\n\r\n  \n", "is empty"),
        "header_only.csv": (b"id,email\n", "has a header (line 1) but no rows below it"),
        "header_blank_lines.csv": (b"id,email\n\n\n", "but no rows below it"),
        "dup.csv": (b"id,email,id\nx,a@acme.example,y\n", "column 'id' appears twice"),
        "open_header.csv": (b'id,"email\nx,a@acme.example\n', "header (line 1) is damaged"),
    }
    for name, (data, message) in cases.items():
        path = write(tmp_path, name, data)
        run = cli("simulate", "--config", EXAMPLE_CONFIG, "--leads", path)
        assert run.code == 2, (name, run)
        assert message in run.err, (name, run.err)
        assert "Traceback" not in run.err


def test_ragged_rows(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "ragged.csv",
        "id,email,company,country\n"
        "short-1,a@acme.example\n"  # fewer cells: the rest are empty
        "long-2,b@acme.example,Acme, Inc.,US\n"  # an unquoted comma
        "trailing-3,c@acme.example,Acme,US,,\n",  # empty extra cells are harmless
    )
    leads = read_leads_csv(path)
    assert [lead.lead_id for lead in leads.leads] == ["short-1", "trailing-3"]
    [bad] = leads.bad_rows
    assert (bad.row, bad.line) == (2, 3)
    assert "5 cells but the header has 4 columns (a value with a comma in it needs quotes)" in str(
        bad
    )


def test_account_exports_share_the_checks(tmp_path: Path) -> None:
    bom_bad = write(tmp_path, "bom_bad.csv", codecs.BOM_UTF8 + b"Name\nCaf\xe9\n")
    with pytest.raises(CrmCsvError, match=r"not UTF-8 text \(at byte 11, line 2\)"):
        read_crm_csv(bom_bad, "Account")
    utf16 = write(tmp_path, "utf16.csv", "\ufeffName,Website\nMüller,m.de\n".encode("utf-16-le"))
    loaded = read_crm_csv(utf16, "Account")
    assert [r["Name"] for r in loaded.records] == ["Müller"]
    assert loaded.note is not None and "UTF-16 LE" in loaded.note
    header_only = write(tmp_path, "header_only.csv", "Name,Website\n")
    with pytest.raises(CrmCsvError, match="no rows below it"):
        read_crm_csv(header_only, "Account")
    dup = write(tmp_path, "dup.csv", "Name,Website,name\nA,a.com,B\n")
    with pytest.raises(CrmCsvError, match=r"'name' appears twice .*columns 1 and 3"):
        read_crm_csv(dup, "Account")
    unused_dup = write(tmp_path, "unused.csv", "Name,Notes,Notes\nA,x,y\n")
    assert [r["Name"] for r in read_crm_csv(unused_dup, "Account").records] == ["A"]
    ragged = write(
        tmp_path, "ragged.csv", "Name,Website,Country\nAcme, Inc.,acme.com,US\nBeta,b.com\n"
    )
    loaded = read_crm_csv(ragged, "Account")
    assert [(r["Name"], r["BillingCountry"]) for r in loaded.records] == [("Beta", None)]
    assert loaded.bad == [
        "row 1 (line 2): 4 cells but the header has 3 columns "
        "(a value with a comma in it needs quotes)"
    ]


def test_simulate_with_a_bad_accounts_file_exits_2(cli: CliRunner, tmp_path: Path) -> None:
    leads = write(tmp_path, "leads.csv", "id,email\nx-1,a@acme.example\n")
    accounts = write(tmp_path, "accounts.csv", "Name,Website\n")
    run = cli("simulate", "--config", EXAMPLE_CONFIG, "--leads", leads, "--accounts", accounts)
    assert run.code == 2 and "cannot read the accounts/contacts" in run.err
    assert "no rows below it" in run.err


def test_map_file_decoding_and_empty_maps(tmp_path: Path) -> None:
    utf16 = write(
        tmp_path, "users.csv", "\ufeffsalesforce,id\nzoë@example.com,zoe\n".encode("utf-16-le")
    )
    assert read_mapping(utf16) == {"zoë@example.com": "zoe"}
    bom_yaml = write(tmp_path, "users.yml", codecs.BOM_UTF8 + b"amy@example.com: amy\n")
    assert read_mapping(bom_yaml) == {"amy@example.com": "amy"}
    for data in (b"", b"salesforce,id\n"):
        empty = write(tmp_path, "empty.csv", data)
        with pytest.raises(ValueError, match=r"is empty|no rows below it"):
            read_mapping(empty)
    with pytest.raises(ValueError, match="no such file"):
        read_mapping(tmp_path / "missing.csv")


def test_demo_leads_are_read_the_same_way(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv", BOM_PLUS_BAD_BYTE + b'big,"' + b"x" * MAX_CELL + b'y"\n')
    table = read_leads(path)
    assert table.note is not None and "cp1252" in table.note
    rows = lead_rows(table)
    assert [(r["id"], r["first_name"]) for r in rows] == [("z-1", "Zoë"), ("j-2", "José")]


# -- output that shows CSV text --------------------------------------------------------
def test_csv_text_that_looks_like_rich_markup_is_printed_as_is(
    cli: CliRunner, tmp_path: Path
) -> None:
    path = write(
        tmp_path, "markup.csv", "id,email,country,state\n[/x],a@acme.example,US,CA\nb,[/y],US,CA\n"
    )
    run = cli("simulate", "--config", EXAMPLE_CONFIG, "--leads", path, "--at", TUESDAY)
    assert run.code == 0, run.err
    assert "[/x]" in run.out and "'[/y]' is not an email address" in run.out


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'leads.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("LEADROUTER_CONFIG", str(EXAMPLE_CONFIG))
    return url


def test_ingest_says_how_it_read_the_file_and_numbers_rows_truly(
    database_url: str, cli: CliRunner, tmp_path: Path
) -> None:
    huge = "z" * (MAX_CELL + 1)
    path = write(
        tmp_path,
        "leads.csv",
        BOM_PLUS_BAD_BYTE  # rows 1-2, lines 2-3
        + f'huge-3,h@acme.example,"{huge}\n",Acme,US,CA\n'.encode()  # row 3, lines 4-5
        + b"bad-4,[/not-an-email],Bad,Acme,US,CA\n",  # row 4, line 6
    )
    run = cli("ingest", path, "--config", EXAMPLE_CONFIG)
    assert run.code == 0, run.err
    out = " ".join(run.out.split())  # rich wraps long lines
    assert "4 row(s); stored 2, duplicates 0, bad rows 2" in out
    assert (
        f"as UTF-8 with 1 byte(s) as cp1252 (not valid UTF-8 at byte {BAD_BYTE_AT}, line 3)" in out
    )
    assert "bad row 3 (lines 4-5): column 'first_name' has" in out
    assert "bad row 4 (line 6): email '[/not-an-email]' is not an email address" in out
    found = cli("explain", "j-2", "--format", "json")
    assert found.code == 0, found.err
    assert json.loads(found.out)["fields"]["first_name"] == "José"


# -- fuzz ------------------------------------------------------------------------------
_PIECES = st.sampled_from(
    [b"id", b"email", b",", b";", b"\t", b'"', b'""', b"\n", b"\r\n", b"\r", b"\x00", b"\xe9",
     b"\xc3\xa9", b"\xef\xbb\xbf", b"\xff\xfe", b"a@b.example", b"US", b" ", b"x" * 50]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(_PIECES, max_size=40).map(b"".join))
@example(b" \xef\xbb\xbf\nid")  # a BOM after a space: still not part of the header
def test_any_bytes_give_records_or_a_clear_error(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "f.csv"
    path.write_bytes(data)
    try:
        table = read_csv_table(path)
    except CsvFileError as exc:
        assert str(path) in str(exc)
        return
    assert "\ufeff" not in table.header[0][:1]
    rows = [r.row for r in table.records]
    assert rows == list(range(1, len(rows) + 1))
    lines = [(r.line, r.end_line) for r in table.records]
    assert all(a <= b for a, b in lines)
    assert all(b1 < a2 for (_, b1), (a2, _) in itertools.pairwise(lines))
    with contextlib.suppress(CsvError):  # a clear error, never another exception
        read_leads_csv(path)
