"""Lead-to-account matching and dedupe (routing.matching)."""

from __future__ import annotations

import pytest

from benchmarks.matching import developer_edition_results, labelled_results
from routing.matching import (
    AccountRecord,
    ContactRecord,
    MatchIndex,
    OpenLeadRecord,
    is_disposable_domain,
    is_free_domain,
    normalize_company,
)
from tests.shared import needs_shared

ACCOUNTS = [
    AccountRecord("A1", "Acme Inc.", "https://www.acme.com", "United States", "005A"),
    AccountRecord("A2", "Acme Europe GmbH", None, "Germany", "005B"),
    AccountRecord("A3", "Globex Corporation", "globex.com", "US", "005C"),
    AccountRecord("A4", "Globex Corporation", "globex.com", "United Kingdom", "005D"),
    AccountRecord("A5", "Initech LLC", None, None, None),
]
CONTACTS = [
    ContactRecord("C1", "Jane.Doe@initech.io", "A5", "005E", "Jane", "Doe"),
    ContactRecord("C2", "bob@gmail.com", "A1", "005A", "Bob", "Smith"),
]
LEADS = [
    OpenLeadRecord("L1", "jane.doe@initech.io", "Initech", "005F", "Jane", "Doe"),
    OpenLeadRecord("L2", "sam@globex.com", "Globex", "005G", "Sam", "Lee"),
]


@pytest.fixture(scope="module")
def index() -> MatchIndex:
    return MatchIndex.build(ACCOUNTS, CONTACTS, LEADS)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Acme, Inc.", "acme"),
        ("ACME Corporation", "acme"),
        ("Grand Hotels & Resorts Ltd", "grand hotels and resorts"),
        ("Umbrella Pty. Ltd.", "umbrella"),
        ("Soylent S.A.", "soylent"),
        ("Los Pollos Hermanos S.A. de C.V.", "los pollos hermanos"),
        ("Blue Sky Media B.V.", "blue sky media"),
        ("Dickenson plc", "dickenson"),
        ("The Kwik-E-Mart Co.", "kwik e mart"),
        ("AG", "ag"),  # never stripped to nothing
    ],
)
def test_normalize_company(name: str, expected: str) -> None:
    assert normalize_company(name) == expected


def test_free_and_disposable_domains() -> None:
    assert is_free_domain("gmail.com") and is_free_domain("yahoo.co.uk")
    assert not is_free_domain("acme.com")
    assert is_disposable_domain("mailinator.com") and not is_disposable_domain("acme.com")


def test_domain_first_with_method_and_owner(index: MatchIndex) -> None:
    r = index.match({"email": "x@acme.com", "company": "Something Else"})
    assert (r.account_id, r.account_method, r.account_owner) == ("A1", "email_domain", "005A")
    r = index.match({"website": "http://acme.com/about", "email": "x@other.org"})
    assert r.account_method == "website_domain"
    fields = r.fields()
    assert fields["account.matched"] is True and fields["account.owner"] == "005A"


def test_free_mail_never_matches_by_domain(index: MatchIndex) -> None:
    r = index.match({"email": "bob@gmail.com"})  # a contact of A1 uses gmail
    assert not r.account_matched
    assert any("free mail" in t for t in r.trace)
    r = index.match({"email": "x@mailinator.com", "company": "Nobody"})
    assert not r.account_matched and any("disposable" in t for t in r.trace)


def test_contact_domain(index: MatchIndex) -> None:
    r = index.match({"email": "new.person@initech.io"})
    assert (r.account_id, r.account_method) == ("A5", "contact_domain")


def test_domain_tie_break_by_country(index: MatchIndex) -> None:
    assert index.match({"email": "a@globex.com", "country": "UK"}).account_id == "A4"
    r = index.match({"email": "a@globex.com"})
    assert r.account_id == "A3"  # unknown country: same name similarity, lowest id
    assert any("tie-break" in t for t in r.trace)


def test_subsidiary_and_country_agreement(index: MatchIndex) -> None:
    r = index.match({"email": "hans@acme.com", "company": "Acme Europe GmbH", "country": "DE"})
    assert r.account_id == "A2" and r.account_method == "name"
    assert index.match({"company": "Acme Inc", "country": "France"}).account_id is None
    assert index.match({"company": "ACME Inc"}).account_id == "A1"
    assert index.match({"company": "Acme Europe", "country": "US"}).account_id is None


def test_threshold_is_configurable() -> None:
    strict = MatchIndex.build(ACCOUNTS, threshold=99)
    loose = MatchIndex.build(ACCOUNTS, threshold=75)  # "initek" vs "initech": 76.9
    assert strict.match({"company": "Initek"}).account_id is None
    assert loose.match({"company": "Initek"}).account_id == "A5"


def test_owner_mapping(index: MatchIndex) -> None:
    r = index.match({"email": "x@acme.com"}, owner_to_rep={"005A": "alice"})
    assert r.account_owner == "alice"
    r = index.match({"email": "x@acme.com"}, owner_to_rep={})
    assert r.account_owner is None and any("no rep mapped" in t for t in r.trace)


def test_duplicates(index: MatchIndex) -> None:
    r = index.match({"email": "JANE.DOE@initech.io"})
    assert (r.duplicate_id, r.duplicate_type, r.duplicate_owner) == ("C1", "contact", "005E")
    assert any("tie-break" in t for t in r.trace)  # contact C1 before lead L1
    r = index.match({"email": "jane.doe@initech.io", "salesforce_id": "C1"})
    assert r.duplicate_id == "L1"
    r = index.match({"email": "s.lee@globex.com", "first_name": "Sam", "last_name": "LEE"})
    assert (r.duplicate_id, r.duplicate_type, r.duplicate_method) == ("L2", "lead", "domain_name")
    # same name at a free-mail domain is not a duplicate
    r = index.match({"email": "bsmith@gmail.com", "first_name": "Bob", "last_name": "Smith"})
    assert not r.duplicate_matched
    assert index.match({"email": "x@y.org"}).fields()["duplicate.matched"] is False
    mapped = index.match({"email": "jane.doe@initech.io"}, owner_to_rep={"005E": "erin"})
    assert mapped.fields()["duplicate.owner"] == "erin"


def test_labelled_set_precision_is_one() -> None:
    result, failures = labelled_results()
    assert result["cases"] >= 40
    assert result["precision"] == 1.0, failures
    assert result["recall"] >= 0.95, failures


@needs_shared
def test_developer_edition_converted_leads() -> None:
    result = developer_edition_results()
    assert result["positives"] == 5
    assert result["precision"] == 1.0 and result["recall"] == 1.0
