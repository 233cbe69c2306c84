"""routing.normalize: canonical keys, blanks, derived fields, Salesforce mapping."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from routing.normalize import (
    CANONICAL_FIELDS,
    country_code_for,
    normalize_lead,
    parse_amount,
    registrable_domain,
    salesforce_to_raw,
    state_code_for,
)
from tests import shared
from tests.shared import needs_shared

RECORDS = shared.DATA / "salesforce" / "records"
WORKSHOP_CSV = RECORDS / "data-cloud-workshop" / "Lead.csv"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("United States", "US"),
        ("united states of america", "US"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("U.S.", "US"),
        ("us", "US"),
        (" US ", "US"),
        ("America", "US"),
        ("UK", "GB"),
        ("U.K.", "GB"),
        ("United Kingdom", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("Scotland", "GB"),
        ("GBR", "GB"),
        ("Germany", "DE"),
        ("Deutschland", "DE"),
        ("DEU", "DE"),
        ("de", "DE"),
        ("France", "FR"),
        ("The Netherlands", "NL"),
        ("Holland", "NL"),
        ("Russia", "RU"),
        ("Russian Federation", "RU"),
        ("South Korea", "KR"),
        ("Côte d'Ivoire", "CI"),
        ("Ivory Coast", "CI"),
        ("México", "MX"),
        ("Brasil", "BR"),
        ("España", "ES"),
        ("Schweiz", "CH"),
        ("UAE", "AE"),
        ("Canada", "CA"),
        ("CAN", "CA"),
        ("Japan", "JP"),
        ("Czechia", "CZ"),
        ("Viet Nam", "VN"),
        ("Turkey", "TR"),
        ("Hong Kong", "HK"),
    ],
)
def test_country_variants(given: str, code: str) -> None:
    assert country_code_for(given) == code
    assert normalize_lead({"country": given})["country_code"] == code


@pytest.mark.parametrize("given", ["Atlantis", "xx", "  ", "Kosovo-ish", "123456"])
def test_unknown_country_is_absent(given: str) -> None:
    lead = normalize_lead({"country": given})
    assert "country_code" not in lead
    if given.strip():
        assert lead["country"] == given.strip()  # kept as written


@pytest.mark.parametrize(
    ("state", "country", "code"),
    [
        ("California", "US", "CA"),
        ("california", "USA", "CA"),
        ("Calif.", "United States", "CA"),
        ("CA", "US", "CA"),
        ("ca", None, "CA"),
        ("New York", "US", "NY"),
        ("N.Y.", "US", "NY"),
        ("Washington", "US", "WA"),
        ("Washington, D.C.", "US", "DC"),
        ("W. Va.", "US", "WV"),
        ("Texas", None, "TX"),
        ("Ontario", "Canada", "ON"),
        ("Québec", "CA", "QC"),
        ("Que.", None, "QC"),
        ("BC", "Canada", "BC"),
        ("Bayern", "Germany", "BY"),
    ],
)
def test_state_codes(state: str, country: str | None, code: str) -> None:
    raw: dict[str, Any] = {"state": state}
    if country:
        raw["country"] = country
    lead = normalize_lead(raw)
    assert lead["state_code"] == code
    assert lead["state"] == state.strip()  # kept as written


def test_state_code_absent_when_unknown_or_wrong_country() -> None:
    assert "state_code" not in normalize_lead({"state": "Narnia", "country": "US"})
    assert "state_code" not in normalize_lead({"state": "CA", "country": "Canada"})
    assert "state_code" not in normalize_lead({"state": "Ontario", "country": "US"})
    assert state_code_for("", None) is None


@pytest.mark.parametrize(
    ("email", "free"),
    [
        ("jo@gmail.com", True),
        ("jo@GoogleMail.com", True),
        ("jo@yahoo.co.uk", True),
        ("jo@yahoo.fr", True),
        ("jo@hotmail.com", True),
        ("jo@outlook.de", True),
        ("jo@live.com", True),
        ("jo@icloud.com", True),
        ("jo@me.com", True),
        ("jo@protonmail.com", True),
        ("jo@proton.me", True),
        ("jo@gmx.de", True),
        ("jo@web.de", True),
        ("jo@yandex.ru", True),
        ("jo@mail.ru", True),
        ("jo@qq.com", True),
        ("jo@163.com", True),
        ("jo@aol.com", True),
        ("jo@acme.com", False),
        ("jo@mail.acme.co.uk", False),
        ("jo@gmail-partners.com", False),
        ("jo@notyahoo.com", False),
    ],
)
def test_free_email(email: str, free: bool) -> None:
    assert normalize_lead({"email": email})["email_is_free"] is free


@pytest.mark.parametrize(
    ("website", "domain"),
    [
        ("https://www.acme.com/about?x=1", "acme.com"),
        ("www.acme.com", "acme.com"),
        ("ACME.COM", "acme.com"),
        ("http://shop.eu.acme.com:8080/path", "acme.com"),
        ("https://www.acme.co.uk/", "acme.co.uk"),
        ("blog.acme.com.au", "acme.com.au"),
    ],
)
def test_domain_from_website(website: str, domain: str) -> None:
    lead = normalize_lead({"website": website, "email": "jo@other.org"})
    assert lead["domain"] == domain
    assert registrable_domain(website) == domain


def test_domain_falls_back_to_email() -> None:
    assert normalize_lead({"email": "Jo@Mail.Acme.CO.UK"})["domain"] == "acme.co.uk"
    assert normalize_lead({"website": "n/a", "email": "jo@acme.io"})["domain"] == "acme.io"
    assert normalize_lead({"website": "localhost"}).get("domain") is None
    assert "domain" not in normalize_lead({"email": "not-an-email"})
    assert "email_is_free" not in normalize_lead({"email": "not-an-email"})


def test_email_lowercased_and_stripped() -> None:
    assert normalize_lead({"email": "  Jo.Smith@ACME.com "})["email"] == "jo.smith@acme.com"


@pytest.mark.parametrize(
    ("given", "parsed"),
    [
        ("1000", 1000),
        ("1,000", 1000),
        (" 12,345,678 ", 12345678),
        ("1000.5", 1000.5),
        ("$1.5M", 1_500_000),
        ("1.5 million", 1_500_000),
        ("20k", 20_000),
        ("€2bn", 2_000_000_000),
        ("USD 300", 300),
        (250, 250),
        (2.5, 2.5),
        ("50-100", "50-100"),
        ("lots", "lots"),
        ("5000+", "5000+"),
    ],
)
def test_numbers(given: Any, parsed: Any) -> None:
    assert parse_amount(given) == parsed
    lead = normalize_lead({"employees": given, "annual_revenue": given})
    assert lead["employees"] == parsed and lead["annual_revenue"] == parsed
    assert type(lead["employees"]) is type(parsed)


def test_blanks_are_removed_and_strings_stripped() -> None:
    lead = normalize_lead(
        {
            "first_name": "  Ann ",
            "last_name": "",
            "title": "   ",
            "company": None,
            "tags": ["a", " ", None, " b "],
            "empty_list": [],
            "Product_Interest__c": " Widgets ",
            "count": 0,
            "flag": False,
        }
    )
    assert lead == {
        "first_name": "Ann",
        "tags": ["a", "b"],
        "Product_Interest__c": "Widgets",
        "count": 0,
        "flag": False,
    }


def test_key_aliases_map_to_canonical_fields() -> None:
    lead = normalize_lead(
        {"First Name": "Ann", "zip": "94105", "Job Title": "CTO", "employee_count": "10"}
    )
    assert lead["first_name"] == "Ann"
    assert lead["postal_code"] == "94105"
    assert lead["title"] == "CTO"
    assert lead["employees"] == 10
    # the canonical key wins over an alias
    assert normalize_lead({"zip": "1", "postal_code": "2"})["postal_code"] == "2"


def test_phone_e164() -> None:
    assert normalize_lead({"phone": "(415) 555-0100", "country": "USA"})["phone"] == "+14155550100"
    assert normalize_lead({"phone": "+44 20 7946 0958"})["phone"] == "+442079460958"
    assert normalize_lead({"phone": "030 1234567", "country": "Germany"})["phone"] == "+49301234567"
    # no region and no +country prefix: kept as written
    assert normalize_lead({"phone": "(415) 555-0100"})["phone"] == "(415) 555-0100"
    assert normalize_lead({"phone": "call me", "country": "US"})["phone"] == "call me"
    assert normalize_lead({"phone": "12", "country": "US"})["phone"] == "12"


def test_postal_code_number_becomes_text() -> None:
    assert normalize_lead({"postal_code": 94105})["postal_code"] == "94105"


def test_normalize_does_not_mutate_input() -> None:
    raw = {"email": " A@B.COM ", "employees": "1,000"}
    normalize_lead(raw)
    assert raw == {"email": " A@B.COM ", "employees": "1,000"}


def test_salesforce_to_raw_maps_standard_and_custom_fields() -> None:
    record = {
        "attributes": {"type": "Lead"},
        "\ufeffId": "00Q1",
        "FirstName": "Ann",
        "LastName": "Lee",
        "Email": "ann@acme.com",
        "NumberOfEmployees": 1200,
        "AnnualRevenue": 5e6,
        "PostalCode": "94105",
        "Country": "USA",
        "Street": "1 Main St",
        "Rating": "Hot",
        "Product_Interest__c": "Widgets",
        "IsDeleted": "false",
        "Owner": {"Name": "Queue"},
    }
    raw = salesforce_to_raw(record, {"Product_Interest__c": "product_interest", "Rating": "grade"})
    assert raw == {
        "salesforce_id": "00Q1",
        "first_name": "Ann",
        "last_name": "Lee",
        "email": "ann@acme.com",
        "employees": 1200,
        "annual_revenue": 5e6,
        "postal_code": "94105",
        "country": "USA",
        "street": "1 Main St",
        "rating": "Hot",
        "grade": "Hot",
        "Product_Interest__c": "Widgets",
        "product_interest": "Widgets",
    }


@needs_shared
def test_real_salesforce_csv_normalises() -> None:
    rows = read_csv(WORKSHOP_CSV)
    assert len(rows) == 60
    for row in rows:
        lead = normalize_lead(salesforce_to_raw(row))
        assert lead["salesforce_id"].startswith("00Q")
        assert lead["last_name"]
        assert lead["country_code"] == "US"
        assert lead["email_is_free"] is False
        assert lead["domain"] == "example.com"
        # possible numbers become E.164; others (9-digit junk) are kept as written
        assert lead["phone"].startswith("+1") or lead["phone"] == row["Phone"]
        assert all(v not in ("", None) for v in lead.values())
    first = normalize_lead(salesforce_to_raw(rows[0]))
    assert first["state_code"] == "ME" and first["postal_code"] == "11709"
    assert first["External_id__c"] == "crm_lead_0"


@needs_shared
@pytest.mark.parametrize(
    "path",
    shared.params(sorted(RECORDS.glob("*/Lead*.csv"))),
    ids=lambda p: getattr(p, "parent", p),
)
def test_every_salesforce_lead_csv_normalises(path: Path) -> None:
    for row in read_csv(path):
        lead = normalize_lead(salesforce_to_raw(row))
        assert set(lead) & set(CANONICAL_FIELDS)
        for key in ("employees", "annual_revenue"):
            assert key not in lead or isinstance(lead[key], int | float)
