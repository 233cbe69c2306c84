"""Raw lead mapping -> canonical + derived fields.

``normalize_lead`` never raises on odd input: values it cannot interpret are kept as given so a
lead is never lost. Rules:

* Keys: canonical names are kept; snake_case spellings and a few common aliases ("First Name",
  ``zip``, ``postcode``, ``job_title``, ``employee_count``...) are mapped to them (the canonical
  key wins when both are present); any other key is a custom field under its own name.
* Strings are stripped; None, blank strings and empty lists are dropped (the key is removed).
* ``email`` is lower-cased. ``domain`` is the registrable domain (public-suffix aware, bundled
  snapshot, no network) of ``website`` if it has one, else of the email. ``email_is_free`` is
  set whenever the email has a domain (list in ``routing/data/free_email_domains.txt``).
* ``country_code`` is the ISO 3166-1 alpha-2 code of ``country`` (names, official names,
  alpha-3, "USA", "U.K.", "Deutschland"...); absent when unknown. ``state_code`` is the
  subdivision code (``"CA"`` for "California"/"Calif."/"ca") for the lead's country, or for
  US/Canada when the country is unknown and the name is unambiguous. ``country`` and ``state``
  keep what the user wrote.
* ``employees`` / ``annual_revenue``: ``"1,000"``, ``"5000"``, ``"$1.5M"``, ``"20k"``,
  ``"2 billion"`` become numbers (int when whole); anything else (``"50-100"``) stays a string,
  so numeric matchers fail on it.
* ``phone`` becomes E.164 when phonenumbers can parse it as a possible number (region from
  ``country_code``); otherwise it is kept as written.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import unicodedata
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from routing.timezones import lead_timezone

if TYPE_CHECKING:
    import tldextract

# phonenumbers and tldextract are imported when first needed: a lead without a phone
# number never loads phonenumbers' tables, and `leadrouter` start-up loads none. Countries
# and subdivisions come from two small tables generated from pycountry (routing.country_data).

__all__ = [
    "CANONICAL_FIELDS",
    "DERIVED_FIELDS",
    "country_code_for",
    "normalize_lead",
    "parse_amount",
    "registrable_domain",
    "salesforce_to_raw",
    "state_code_for",
]

CANONICAL_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "title",
    "company",
    "website",
    "industry",
    "employees",
    "annual_revenue",
    "country",
    "state",
    "city",
    "postal_code",
    "lead_source",
    "description",
)
DERIVED_FIELDS: tuple[str, ...] = ("domain", "email_is_free", "country_code", "state_code")

_CANONICAL = frozenset(CANONICAL_FIELDS)
_KEY_ALIASES = {
    "firstname": "first_name",
    "lastname": "last_name",
    "email_address": "email",
    "phone_number": "phone",
    "job_title": "title",
    "company_name": "company",
    "organization": "company",
    "organisation": "company",
    "company_website": "website",
    "url": "website",
    "number_of_employees": "employees",
    "numberofemployees": "employees",
    "employee_count": "employees",
    "num_employees": "employees",
    "revenue": "annual_revenue",
    "annualrevenue": "annual_revenue",
    "province": "state",
    "zip": "postal_code",
    "zip_code": "postal_code",
    "zipcode": "postal_code",
    "postcode": "postal_code",
    "postalcode": "postal_code",
    "source": "lead_source",
    "leadsource": "lead_source",
}
_SNAKE_RE = re.compile(r"[\s\-]+")

_AMOUNT_RE = re.compile(
    r"(?:[$€£¥]|usd|eur|gbp)?\s*"
    r"(?P<num>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+)\s*"
    r"(?P<mult>k|m|mm|mn|b|bn|thousand|million|billion)?\s*(?:usd|eur|gbp)?",
    re.IGNORECASE,
)
_MULTIPLIERS = {
    "k": 1_000,
    "thousand": 1_000,
    "m": 1_000_000,
    "mm": 1_000_000,
    "mn": 1_000_000,
    "million": 1_000_000,
    "b": 1_000_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
}


def _fold_name(value: str) -> str:
    """Case-, accent- and punctuation-insensitive key: "U.S.A." -> "usa", "Côte d'Ivoire"
    -> "cote d ivoire"."""
    s = unicodedata.normalize("NFKD", value.casefold())
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.replace(".", "")
    s = re.sub(r"[^\w]+", " ", s).strip()
    return s


def _read_data(name: str) -> list[str]:
    text = resources.files("routing").joinpath("data", name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def _read_aliases(name: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for line in _read_data(name):
        code, _, aliases = line.partition(":")
        for alias in aliases.split(","):
            if alias.strip():
                table[_fold_name(alias)] = code.strip()
    return table


@functools.cache
def _country_aliases() -> dict[str, str]:
    return _read_aliases("country_aliases.txt")


@functools.cache
def _free_domains() -> tuple[frozenset[str], frozenset[str]]:
    """(exact domains, registrable names matching under any suffix)."""
    exact: set[str] = set()
    names: set[str] = set()
    for line in _read_data("free_email_domains.txt"):
        domain = line.casefold()
        if domain.endswith(".*"):
            names.add(domain[:-2])
        else:
            exact.add(domain)
    return frozenset(exact), frozenset(names)


@functools.cache
def _extractor() -> tldextract.TLDExtract:
    import tldextract

    # Bundled public-suffix snapshot only: no network, no cache directory.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@functools.lru_cache(maxsize=4096)
def _split_host(host: str) -> tuple[str, str]:
    """(registrable domain or "", registrable name) of a URL, host or e-mail domain."""
    found = _split_plain(host)
    if found is not None:
        return found
    ext = _extractor()(host)
    if not ext.domain or not ext.suffix:
        return "", ext.domain.casefold()
    return f"{ext.domain}.{ext.suffix}".casefold(), ext.domain.casefold()


# What nearly every e-mail domain and website is: an ASCII host name, perhaps after
# http(s):// and before a path. Those are split here, on tldextract's own bundled suffix
# list, exactly as tldextract splits them (tests/routing/test_registrable_domain.py
# compares the two) without importing it and `requests` (a tenth of a second at start-up);
# anything else (ports, user info, IP addresses, punycode, other schemes) goes to it.
_PLAIN_URL = re.compile(
    r"(?:[Hh][Tt][Tt][Pp][Ss]?://)?(?P<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)(?:[/?#].*)?",
    re.DOTALL,
)
_PSL_SUFFIX = re.compile(r"^(?P<suffix>[.*!]*\w[\S]*)", re.UNICODE | re.MULTILINE)
_PSL_PRIVATE = "// ===BEGIN PRIVATE DOMAINS==="
_Node = tuple[dict[str, Any], list[bool]]  # (label -> child, [is the end of a suffix])


@functools.cache
def _public_suffixes() -> dict[str, list[str]] | None:
    """The rules of tldextract's snapshot (ICANN section, no private domains) by their last
    label, or None when the snapshot cannot be read (tldextract then does all the work).
    Only a label's own rules become a trie, when a host first ends in it (:func:`_tld`):
    building all of them took a file's first leads 10-15 ms."""
    spec = importlib.util.find_spec("tldextract")
    if spec is None or spec.origin is None:
        return None
    try:
        text = Path(spec.origin).with_name(".tld_set_snapshot").read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    public = text.partition(_PSL_PRIVATE)[0]
    rules: dict[str, list[str]] = {}
    for match in _PSL_SUFFIX.finditer(public):
        suffix = match.group("suffix")
        rules.setdefault(suffix.rpartition(".")[2], []).append(suffix)
    return rules


@functools.cache
def _tld(label: str) -> _Node | None:
    """The trie of the rules under top-level label ``label`` (its root is that label's
    node in the whole list's trie), or None when no rule ends in it."""
    rules = (_public_suffixes() or {}).get(label)
    if not rules:
        return None
    root: _Node = ({}, [False])
    for suffix in rules:
        node = root
        for part in reversed(suffix.split(".")[:-1]):
            child = node[0].get(part)
            if child is None:
                child = node[0][part] = ({}, [False])
            node = child
        node[1][0] = True
    return root


def _split_plain(host: str) -> tuple[str, str] | None:
    """:func:`_split_host` of a plain ASCII host name (see above), else None."""
    match = _PLAIN_URL.fullmatch(host)
    if match is None:
        return None
    labels = match.group("host").split(".")
    if labels[-1].isdigit() or any(label[:4].lower() == "xn--" for label in labels):
        return None  # an IP address or punycode: tldextract's own rules
    if _public_suffixes() is None:
        return None
    # tldextract's suffix_index, public suffixes only; the root has no "*" rule.
    suffix_at = at = len(labels)
    top = _tld(labels[-1].lower())
    if top is None:
        return "", labels[-1].casefold()  # no known suffix: the last label is the "domain"
    at -= 1
    node = top
    if node[1][0]:
        suffix_at = at
    for label in reversed(labels[:-1]):
        lowered = label.lower()
        child = node[0].get(lowered)
        if child is not None:
            at -= 1
            node = child
            if node[1][0]:
                suffix_at = at
            continue
        if "*" in node[0]:
            suffix_at = at if "!" + lowered in node[0] else at - 1
        break
    if suffix_at == len(labels):
        return "", labels[-1].casefold()  # no known suffix: the last label is the "domain"
    domain = labels[suffix_at - 1] if suffix_at > 0 else ""
    suffix = ".".join(labels[suffix_at:])
    if not domain or not suffix:
        return "", domain.casefold()
    return f"{domain}.{suffix}".casefold(), domain.casefold()


def registrable_domain(url_or_host: str) -> str | None:
    """``"https://www.foo.co.uk/x"`` -> ``"foo.co.uk"``; None for hosts without a public suffix."""
    return _split_host(url_or_host.strip())[0] or None


@functools.lru_cache(maxsize=2048)
def country_code_for(value: str) -> str | None:
    """ISO 3166-1 alpha-2 code for a country name/code as users write it, or None."""
    s = value.strip()
    if not s:
        return None
    key = _fold_name(s)
    code = _country_aliases().get(key)
    if code is not None:
        return code
    # pycountry.countries.lookup(candidate), from the table generated from it
    countries = _countries()
    for candidate in (s, key, key.removeprefix("the ")):
        code = countries.get(candidate.lower())
        if code is not None:
            return code
    return None


@functools.cache
def _countries() -> dict[str, str]:
    """Lower-cased country code/name/... -> alpha-2 (routing.country_data)."""
    table: dict[str, str] = {}
    for line in _read_data("countries.txt"):
        value, _, code = line.rpartition("\t")
        table[value] = code
    return table


@functools.cache
def _subdivision_rows() -> dict[str, list[tuple[str, str]]]:
    """Lower-cased country code -> (code suffix, name) of its subdivisions
    (routing.country_data)."""
    table: dict[str, list[tuple[str, str]]] = {}
    for line in _read_data("subdivisions.txt"):
        country, suffix, name = line.split("\t")
        table.setdefault(country.lower(), []).append((suffix, name))
    return table


@functools.cache
def _subdivisions(country: str) -> dict[str, str]:
    """Folded name/code/alias -> subdivision code suffix for one country ("" if ambiguous)."""
    table: dict[str, str] = {}

    def add(key: str, code: str) -> None:
        if table.get(key, code) != code:
            table[key] = ""  # two subdivisions share this name: refuse to guess
        else:
            table[key] = code

    # pycountry.subdivisions.get(country_code=country), from the table generated from it
    for suffix, name in _subdivision_rows().get(country.lower(), ()):
        add(_fold_name(suffix), suffix)
        add(_fold_name(name), suffix)
    for line in _read_data("state_aliases.txt"):
        full, _, aliases = line.partition(":")
        if full.startswith(country + "-"):
            suffix = full.split("-", 1)[1].strip()
            for alias in aliases.split(","):
                if alias.strip():
                    table[_fold_name(alias)] = suffix
    return table


@functools.lru_cache(maxsize=2048)
def state_code_for(state: str, country_code: str | None) -> str | None:
    """Subdivision code of ``state`` in ``country_code``; with no country, US or Canada when
    exactly one of them knows the name."""
    key = _fold_name(state)
    if not key:
        return None
    if country_code:
        return _subdivisions(country_code).get(key) or None
    hits = {code for c in ("US", "CA") if (code := _subdivisions(c).get(key))}
    return hits.pop() if len(hits) == 1 else None


def parse_amount(value: Any) -> Any:
    """Numbers like ``"1,000"``, ``"$1.5M"``, ``"20k"`` -> int/float; other values unchanged."""
    if not isinstance(value, str):
        return value
    if type(value) is not str:  # a str subclass: not a cache key of its own
        return _parse_amount_text.__wrapped__(value)
    return _parse_amount_text(value)


@functools.lru_cache(maxsize=4096)
def _parse_amount_text(value: str) -> Any:
    m = _AMOUNT_RE.fullmatch(value.strip())
    if m is None:
        return value
    number = float(m["num"].replace(",", ""))
    if m["mult"]:
        number *= _MULTIPLIERS[m["mult"].lower()]
    return int(number) if number.is_integer() else number


@functools.lru_cache(maxsize=4096)
def _e164(phone: str, region: str | None) -> str:
    import phonenumbers

    try:
        parsed = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return phone
    if not phonenumbers.is_possible_number(parsed):
        return phone
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def _clean(value: Any) -> Any:
    """Strip strings; None for blanks; lists cleaned item-wise (None when left empty)."""
    if isinstance(value, str):
        s = value.strip()
        return s or None
    if isinstance(value, list | tuple):
        items = [c for c in (_clean(v) for v in value) if c is not None]
        return items or None
    return value


@functools.lru_cache(maxsize=1024)
def _canonical_key(key: str) -> str:
    if key in _CANONICAL:
        return key
    snake = _SNAKE_RE.sub("_", key.strip()).lower()
    if snake in _CANONICAL:
        return snake
    return _KEY_ALIASES.get(snake, key)


def _is_free(email_host: str) -> bool:
    exact, names = _free_domains()
    registrable, name = _split_host(email_host)
    return email_host in exact or registrable in exact or (bool(registrable) and name in names)


def normalize_lead(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical + derived lead fields (see the module docstring for the rules)."""
    lead: dict[str, Any] = {}
    aliased: dict[str, Any] = {}
    for key, value in raw.items():
        # _clean(value), inlined for the strings nearly every value is
        cleaned = (value.strip() or None) if type(value) is str else _clean(value)
        if cleaned is None or not isinstance(key, str):
            continue
        canonical = _canonical_key(key)
        if canonical == key:
            lead[key] = cleaned
        else:
            aliased.setdefault(canonical, cleaned)
    for key, value in aliased.items():
        lead.setdefault(key, value)

    for key in ("postal_code", "phone"):
        if isinstance(lead.get(key), int) and not isinstance(lead[key], bool):
            lead[key] = str(lead[key])
    for key in ("employees", "annual_revenue"):
        if key in lead:
            lead[key] = parse_amount(lead[key])

    email = lead.get("email")
    email_host = ""
    if isinstance(email, str):
        email = lead["email"] = email.lower()
        if "@" in email:
            email_host = email.rsplit("@", 1)[1]
    if email_host:
        lead["email_is_free"] = _is_free(email_host)

    domain = ""
    website = lead.get("website")
    if isinstance(website, str):
        domain = _split_host(website)[0]
    if not domain and email_host:
        domain = _split_host(email_host)[0]
    if domain:
        lead["domain"] = domain

    country_source = lead.get("country", lead.get("country_code"))
    code = country_code_for(country_source) if isinstance(country_source, str) else None
    if code:
        lead["country_code"] = code
    else:
        lead.pop("country_code", None)
    state_source = lead.get("state", lead.get("state_code"))
    state_code = state_code_for(state_source, code) if isinstance(state_source, str) else None
    if state_code:
        lead["state_code"] = state_code
    else:
        lead.pop("state_code", None)

    phone = lead.get("phone")
    if isinstance(phone, str):
        lead["phone"] = _e164(phone, code)
    if "timezone" not in lead:
        zone = lead_timezone(lead)
        if zone:
            lead["timezone"] = zone
    return lead


#: Standard Salesforce Lead columns -> lead keys (system/audit columns are dropped).
SALESFORCE_LEAD_FIELDS: dict[str, str] = {
    "Id": "salesforce_id",
    "FirstName": "first_name",
    "LastName": "last_name",
    "Salutation": "salutation",
    "Email": "email",
    "Phone": "phone",
    "MobilePhone": "mobile_phone",
    "Title": "title",
    "Company": "company",
    "Website": "website",
    "Industry": "industry",
    "NumberOfEmployees": "employees",
    "AnnualRevenue": "annual_revenue",
    "Country": "country",
    "CountryCode": "country_code",
    "State": "state",
    "StateCode": "state_code",
    "City": "city",
    "Street": "street",
    "PostalCode": "postal_code",
    "LeadSource": "lead_source",
    "Description": "description",
    "Rating": "rating",
    "Status": "status",
    "OwnerId": "salesforce_owner_id",
    "CreatedDate": "salesforce_created_at",
}


def salesforce_to_raw(
    record: Mapping[str, Any], field_map: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A Salesforce Lead (REST record or CSV row) -> raw lead keys for :func:`normalize_lead`.

    Standard columns map per :data:`SALESFORCE_LEAD_FIELDS`; custom ``__c`` columns keep their
    name; ``field_map`` (``salesforce.fields`` in routing.yml) adds ``{Salesforce_Field: key}``
    copies, also for standard columns, and for relationship paths (``RecordType.Name``): a
    column of that name (an export) or the nested object a REST query returns. Other columns
    and nested objects are dropped.
    """
    raw: dict[str, Any] = {}
    mapping = field_map or {}
    for path, key in mapping.items():
        if "." in path and path not in record:
            value = _nested(record, path)
            if value is not None:
                raw[key] = value
    for column, value in record.items():
        if not isinstance(column, str) or isinstance(value, Mapping):
            continue
        name = column.lstrip("\ufeff").strip()
        if name in SALESFORCE_LEAD_FIELDS:
            raw[SALESFORCE_LEAD_FIELDS[name]] = value
        elif name.endswith("__c"):
            raw[name] = value
        if name in mapping:
            raw[mapping[name]] = value
    return raw


def _nested(record: Mapping[str, Any], path: str) -> Any:
    """``record["Owner"]["Profile"]["Name"]`` for ``Owner.Profile.Name``; None when any step
    is missing (a lead without a record type, an owner that is a queue)."""
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return None if isinstance(value, Mapping) else value
