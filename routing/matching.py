"""Lead-to-account matching and duplicate detection (pure; SPEC §9).

Build the index once per sync, then match each lead::

    index = MatchIndex.build(accounts, contacts, open_leads)
    result = index.match(lead_fields, owner_to_rep={"005...": "alice"})
    fields.update(result.fields())   # account.matched, account.owner, duplicate.*...

Account matching, in order:

1. **Domain.** The registrable domain of the lead's website, then of its e-mail (public-suffix
   aware, bundled snapshot). Free-mail (``routing/data/free_email_domains.txt``) and disposable
   (``routing/data/disposable_email_domains.txt``) domains never match by domain. A domain
   matches the accounts whose website has it (method ``website_domain`` / ``email_domain``),
   else the accounts of contacts with e-mails at it (``contact_domain``).
   Several accounts: tie-break by country agreement (same country, then unknown, then
   different), then company-name similarity, then contacts at the domain, then lowest id.
   When the chosen account's country is known and differs from the lead's and a name match in
   the lead's own country exists, the name match wins (a subsidiary sharing the parent's
   domain, e.g. "Acme Europe GmbH" with acme.com).
2. **Company name.** Case, accents and punctuation folded, "&" read as "and", legal suffixes
   (Inc., Corp., Corporation, LLC, Ltd, Limited, GmbH, AG, S.A., SAS, BV, Pty Ltd, PLC...)
   stripped; scored with rapidfuzz ``ratio`` (0-100) against every account name; a candidate
   needs ``threshold`` (default 92). A known, different country on both sides rejects a
   candidate; so does a name that differs only by a place or region word ("United Oil & Gas,
   UK" is not "United Oil & Gas Corp."). Tie-breaks: score, country agreement, contacts on
   the account, lowest id.

Duplicates: a contact, then an open lead, with the same e-mail (case-insensitive); else one
with the same first and last name at the same (non-free) e-mail domain. Ties: contacts before
leads, then lowest id. The lead's own Salesforce id is never its duplicate.

Owners are Salesforce user ids; with ``owner_to_rep`` they become rep ids (an unmapped owner
gives ``None`` and a trace note).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from rapidfuzz import fuzz, process

from routing.normalize import country_code_for, normalize_lead, registrable_domain

__all__ = [
    "DEFAULT_THRESHOLD",
    "AccountRecord",
    "ContactRecord",
    "MatchIndex",
    "MatchResult",
    "OpenLeadRecord",
    "is_disposable_domain",
    "is_free_domain",
    "normalize_company",
]

DEFAULT_THRESHOLD = 92.0


@dataclass(frozen=True)
class AccountRecord:
    id: str
    name: str
    website: str | None = None
    country: str | None = None
    owner_id: str | None = None
    domains: tuple[str, ...] = ()  # further known domains of the account


@dataclass(frozen=True)
class ContactRecord:
    id: str
    email: str | None = None
    account_id: str | None = None
    owner_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None


@dataclass(frozen=True)
class OpenLeadRecord:
    id: str
    email: str | None = None
    company: str | None = None
    owner_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None


@dataclass
class MatchResult:
    account_matched: bool = False
    account_id: str | None = None
    account_name: str | None = None
    account_owner: str | None = None
    account_method: str | None = None  # website_domain | email_domain | contact_domain | name
    account_score: float | None = None
    duplicate_matched: bool = False
    duplicate_id: str | None = None
    duplicate_type: str | None = None  # contact | lead
    duplicate_owner: str | None = None
    duplicate_method: str | None = None  # email | domain_name
    trace: list[str] = field(default_factory=list)

    def fields(self) -> dict[str, Any]:
        """Dotted lead fields as conditions name them (``account.matched``...)."""
        out: dict[str, Any] = {"account.matched": self.account_matched}
        if self.account_matched:
            out.update(
                {
                    "account.id": self.account_id,
                    "account.name": self.account_name,
                    "account.owner": self.account_owner,
                    "account.method": self.account_method,
                    "account.score": self.account_score,
                }
            )
        out["duplicate.matched"] = self.duplicate_matched
        if self.duplicate_matched:
            out.update(
                {
                    "duplicate.id": self.duplicate_id,
                    "duplicate.type": self.duplicate_type,
                    "duplicate.owner": self.duplicate_owner,
                }
            )
        return {k: v for k, v in out.items() if v is not None}


# -- domains ----------------------------------------------------------------------------


@functools.cache
def _disposable() -> frozenset[str]:
    text = (
        resources.files("routing")
        .joinpath("data", "disposable_email_domains.txt")
        .read_text(encoding="utf-8")
    )
    return frozenset(
        line.strip().casefold() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


@functools.lru_cache(maxsize=8192)
def is_free_domain(domain: str) -> bool:
    """A consumer mail provider (gmail.com, yahoo.co.uk...), per routing.normalize's list."""
    return bool(normalize_lead({"email": f"x@{domain}"}).get("email_is_free"))


@functools.lru_cache(maxsize=8192)
def is_disposable_domain(domain: str) -> bool:
    d = domain.casefold()
    return d in _disposable() or (registrable_domain(d) or d) in _disposable()


def _personal(domain: str) -> bool:
    return is_free_domain(domain) or is_disposable_domain(domain)


def _email_domain(email: Any) -> str | None:
    if not isinstance(email, str) or "@" not in email:
        return None
    return registrable_domain(email.rsplit("@", 1)[1].strip())


def _site_domain(website: Any) -> str | None:
    if not isinstance(website, str) or not website.strip():
        return None
    return registrable_domain(website)


# -- names ------------------------------------------------------------------------------

_LEGAL_SUFFIXES: tuple[tuple[str, ...], ...] = tuple(
    tuple(s.split())
    for s in sorted(
        [
            "inc", "incorporated", "corp", "corporation", "co", "company", "cos", "llc", "l l c",
            "ltd", "limited", "co ltd", "pty ltd", "pty limited", "pty", "plc", "llp", "lp",
            "gmbh", "gmbh co kg", "co kg", "kg", "ag", "sa", "s a", "sas", "s a s", "sarl",
            "sa de cv", "de cv", "bv", "b v", "nv", "n v", "srl", "spa", "s p a", "oy", "ab",
            "as", "a s", "aps", "kk", "se", "pte", "pte ltd", "sl", "sro", "s r o", "bhd",
            "sdn bhd", "pvt ltd", "private limited", "ulc", "lda", "ltda",
        ],
        key=lambda s: -len(s.split()),
    )
)  # fmt: skip
# Place/region words: names that differ by one denote different accounts (subsidiaries).
_REGION_WORDS = frozenset(
    {
        "europe", "emea", "apac", "asia", "americas", "america", "latam", "nordic", "nordics",
        "benelux", "dach", "international", "intl", "global", "north", "south", "east", "west",
        "uk", "usa", "us", "uae", "eu",
    }
)  # fmt: skip
_PUNCT_RE = re.compile(r"[^\w\s]+")


@functools.lru_cache(maxsize=65536)
def normalize_company(name: str) -> str:
    """``"Grand Hotels & Resorts, Ltd."`` -> ``"grand hotels and resorts"``."""
    s = unicodedata.normalize("NFKD", name.casefold())
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.replace("&", " and ").replace("+", " and ").replace(".", "").replace("'", "")
    tokens = _PUNCT_RE.sub(" ", s).replace("_", " ").split()
    if tokens[:1] == ["the"] and len(tokens) > 1:
        tokens = tokens[1:]
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        for suffix in _LEGAL_SUFFIXES:
            n = len(suffix)
            if len(tokens) > n and tuple(tokens[-n:]) == suffix:
                tokens = tokens[:-n]
                changed = True
                break
        if tokens and tokens[-1] == "and" and len(tokens) > 1:
            tokens = tokens[:-1]
            changed = True
    return " ".join(tokens)


@functools.lru_cache(maxsize=65536)
def _is_place(token: str) -> bool:
    if token in _REGION_WORDS:
        return True
    return len(token) >= 4 and country_code_for(token) is not None


def _region_mismatch(a: str, b: str) -> str | None:
    """A place word in one name but not the other, else None."""
    ta, tb = set(a.split()), set(b.split())
    for token in sorted(ta ^ tb):
        if _is_place(token):
            return token
    return None


def _country(value: Any) -> str | None:
    return country_code_for(value) if isinstance(value, str) and value.strip() else None


def _agreement(lead_country: str | None, account_country: str | None) -> int:
    """0 same country, 1 unknown on either side, 2 different."""
    if lead_country is None or account_country is None:
        return 1
    return 0 if lead_country == account_country else 2


def _fold(value: Any) -> str:
    return value.strip().casefold() if isinstance(value, str) else ""


# -- index ------------------------------------------------------------------------------


@dataclass
class _Person:
    kind: str  # contact | lead
    id: str
    owner_id: str | None

    def rank(self) -> tuple[int, str]:
        return (0 if self.kind == "contact" else 1, self.id)


class MatchIndex:
    """Accounts, contacts and open leads indexed for :meth:`match`. Build once, match many."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.threshold = threshold
        self.accounts: dict[str, AccountRecord] = {}
        self.account_country: dict[str, str | None] = {}
        self.by_domain: dict[str, list[str]] = defaultdict(list)
        self.by_contact_domain: dict[str, Counter[str]] = defaultdict(Counter)
        self.contact_count: Counter[str] = Counter()
        self.names: list[str] = []  # normalised account names, parallel to name_ids
        self.name_ids: list[str] = []
        self.exact_names: dict[str, list[str]] = defaultdict(list)
        self.by_email: dict[str, list[_Person]] = defaultdict(list)
        self.by_domain_name: dict[tuple[str, str, str], list[_Person]] = defaultdict(list)

    @classmethod
    def build(
        cls,
        accounts: Iterable[AccountRecord],
        contacts: Iterable[ContactRecord] = (),
        open_leads: Iterable[OpenLeadRecord] = (),
        *,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> MatchIndex:
        index = cls(threshold)
        for account in accounts:
            index.accounts[account.id] = account
            index.account_country[account.id] = _country(account.country)
            domains = {_site_domain(account.website), *(_site_domain(d) for d in account.domains)}
            for domain in sorted(d for d in domains if d):
                if not _personal(domain):
                    index.by_domain[domain].append(account.id)
            norm = normalize_company(account.name or "")
            if norm:
                index.names.append(norm)
                index.name_ids.append(account.id)
                index.exact_names[norm].append(account.id)
        for contact in contacts:
            if contact.account_id in index.accounts:
                index.contact_count[contact.account_id] += 1
            index._add_person(
                _Person("contact", contact.id, contact.owner_id),
                contact.email,
                contact.first_name,
                contact.last_name,
            )
            contact_domain = _email_domain(contact.email)
            if (
                contact_domain
                and contact.account_id in index.accounts
                and not _personal(contact_domain)
            ):
                index.by_contact_domain[contact_domain][contact.account_id] += 1
        for lead in open_leads:
            index._add_person(
                _Person("lead", lead.id, lead.owner_id), lead.email, lead.first_name, lead.last_name
            )
        return index

    def _add_person(
        self, person: _Person, email: str | None, first: str | None, last: str | None
    ) -> None:
        address = _fold(email)
        if "@" not in address:
            return
        self.by_email[address].append(person)
        domain = _email_domain(address)
        if domain and not _personal(domain) and _fold(first) and _fold(last):
            self.by_domain_name[(domain, _fold(first), _fold(last))].append(person)

    # -- matching -------------------------------------------------------------------------
    def match(
        self,
        lead: Mapping[str, Any],
        owner_to_rep: Mapping[str, str] | None = None,
    ) -> MatchResult:
        """Match a lead (canonical field names: email, website, company, country,
        first_name, last_name; ``salesforce_id`` excludes the lead itself from duplicates)."""
        result = MatchResult()
        trace = result.trace
        lead_country = _country(lead.get("country_code")) or _country(lead.get("country"))
        company = lead.get("company")
        norm = normalize_company(company) if isinstance(company, str) else ""

        chosen = self._by_domain(lead, lead_country, norm, trace)
        if chosen is not None:
            account_id, method, score = chosen
            account_country = self.account_country[account_id]
            if _agreement(lead_country, account_country) == 2:
                by_name = self._by_name(norm, lead_country, trace, quiet=True)
                if by_name is not None and self.account_country[by_name[0]] == lead_country:
                    trace.append(
                        f"domain account {account_id} is in {account_country}, the lead in "
                        f"{lead_country}: name match {by_name[0]} in the lead's country preferred"
                    )
                    chosen = (by_name[0], "name", by_name[1])
        else:
            by_name = self._by_name(norm, lead_country, trace)
            if by_name is not None:
                chosen = (by_name[0], "name", by_name[1])
        if chosen is not None:
            account_id, method, score = chosen
            account = self.accounts[account_id]
            result.account_matched = True
            result.account_id = account_id
            result.account_name = account.name
            result.account_method = method
            result.account_score = score
            result.account_owner = _owner(account.owner_id, owner_to_rep, "account", trace)
            trace.append(f"account: {account_id} {account.name!r} by {method} (score {score:g})")
        else:
            trace.append("account: no match")
        self._duplicate(lead, result, owner_to_rep)
        return result

    def _by_domain(
        self, lead: Mapping[str, Any], lead_country: str | None, norm: str, trace: list[str]
    ) -> tuple[str, str, float] | None:
        sources = (
            ("website_domain", _site_domain(lead.get("website"))),
            ("email_domain", _email_domain(lead.get("email"))),
        )
        tried: set[str] = set()
        for method, domain in sources:
            if not domain or domain in tried:
                continue
            tried.add(domain)
            if is_disposable_domain(domain):
                trace.append(f"domain {domain}: disposable, never matched by domain")
                continue
            if is_free_domain(domain):
                trace.append(f"domain {domain}: free mail, never matched by domain")
                continue
            ids = self.by_domain.get(domain, [])
            how = method
            if not ids and domain in self.by_contact_domain:
                ids = sorted(self.by_contact_domain[domain])
                how = "contact_domain"
            if not ids:
                trace.append(f"domain {domain}: no account")
                continue
            if len(ids) == 1:
                trace.append(f"domain {domain}: account {ids[0]} ({how})")
                return ids[0], how, 100.0
            contacts = self.by_contact_domain.get(domain, Counter())

            ranked = sorted(
                dict.fromkeys(ids),
                key=lambda account_id, at=contacts: (  # type: ignore[misc]
                    _agreement(lead_country, self.account_country[account_id]),
                    -(
                        fuzz.ratio(norm, normalize_company(self.accounts[account_id].name or ""))
                        if norm
                        else 0.0
                    ),
                    -at[account_id],
                    account_id,
                ),
            )
            trace.append(
                f"domain {domain}: {len(ranked)} accounts {', '.join(ranked)}; tie-break: "
                "country agreement, then name similarity, then contacts at the domain, then "
                f"lowest id -> {ranked[0]}"
            )
            return ranked[0], how, 100.0
        return None

    def _by_name(
        self, norm: str, lead_country: str | None, trace: list[str], quiet: bool = False
    ) -> tuple[str, float] | None:
        if not norm:
            if not quiet:
                trace.append("name: the lead has no company name")
            return None
        # Exact (normalised) names first; the fuzzy scan runs only when none of them is usable.
        candidates = self._candidates(
            norm, dict.fromkeys(self.exact_names.get(norm, []), 100.0), lead_country, trace, quiet
        )
        if not candidates:
            scored: dict[str, float] = {}
            for _, score, position in process.extract(
                norm, self.names, scorer=fuzz.ratio, score_cutoff=self.threshold, limit=None
            ):
                account_id = self.name_ids[position]
                if account_id not in self.exact_names.get(norm, ()):
                    scored[account_id] = max(scored.get(account_id, 0.0), round(float(score), 1))
            candidates = self._candidates(norm, scored, lead_country, trace, quiet)
        if not candidates:
            if not quiet:
                trace.append(f"name: no account name within {self.threshold:g} of {norm!r}")
            return None
        candidates.sort(key=lambda c: (-c[1], c[0], -c[2], c[3]))
        best = candidates[0]
        if len(candidates) > 1 and not quiet:
            listed = ", ".join(f"{c[3]} ({c[1]:g})" for c in candidates[:5])
            trace.append(
                f"name: candidates {listed}; tie-break: score, then country agreement, then "
                f"contacts on the account, then lowest id -> {best[3]}"
            )
        return best[3], best[1]

    def _candidates(
        self,
        norm: str,
        scored: Mapping[str, float],
        lead_country: str | None,
        trace: list[str],
        quiet: bool,
    ) -> list[tuple[int, float, int, str]]:
        candidates: list[tuple[int, float, int, str]] = []
        for account_id, score in scored.items():
            account = self.accounts[account_id]
            agree = _agreement(lead_country, self.account_country[account_id])
            if agree == 2:
                if not quiet:
                    trace.append(
                        f"name: {account_id} {account.name!r} ({score:g}) rejected: account in "
                        f"{self.account_country[account_id]}, lead in {lead_country}"
                    )
                continue
            place = _region_mismatch(norm, normalize_company(account.name or ""))
            if place is not None:
                if not quiet:
                    trace.append(
                        f"name: {account_id} {account.name!r} ({score:g}) rejected: the names "
                        f"differ by the place word {place!r}"
                    )
                continue
            candidates.append((agree, score, self.contact_count[account_id], account_id))
        return candidates

    def _duplicate(
        self,
        lead: Mapping[str, Any],
        result: MatchResult,
        owner_to_rep: Mapping[str, str] | None,
    ) -> None:
        trace = result.trace
        own = {str(v) for k in ("salesforce_id", "id") if (v := lead.get(k))}
        address = _fold(lead.get("email"))
        people = [p for p in self.by_email.get(address, []) if p.id not in own] if address else []
        method = "email"
        if not people:
            domain = _email_domain(address)
            first, last = _fold(lead.get("first_name")), _fold(lead.get("last_name"))
            if domain and first and last and not _personal(domain):
                people = [
                    p for p in self.by_domain_name.get((domain, first, last), []) if p.id not in own
                ]
                method = "domain_name"
        if not people:
            trace.append("duplicate: none")
            return
        people.sort(key=_Person.rank)
        best = people[0]
        if len(people) > 1:
            listed = ", ".join(f"{p.kind} {p.id}" for p in people[:5])
            trace.append(
                f"duplicate: {listed}; tie-break: contacts before leads, then lowest id -> "
                f"{best.id}"
            )
        result.duplicate_matched = True
        result.duplicate_id = best.id
        result.duplicate_type = best.kind
        result.duplicate_method = method
        result.duplicate_owner = _owner(best.owner_id, owner_to_rep, "duplicate", trace)
        how = "same e-mail" if method == "email" else "same name at the same domain"
        trace.append(f"duplicate: {best.kind} {best.id} ({how})")


def _owner(
    owner_id: str | None, owner_to_rep: Mapping[str, str] | None, what: str, trace: list[str]
) -> str | None:
    if not owner_id:
        trace.append(f"{what} owner: none recorded")
        return None
    if owner_to_rep is None:
        return owner_id
    rep = owner_to_rep.get(owner_id)
    if rep is None:
        trace.append(f"{what} owner {owner_id}: no rep mapped to this Salesforce user")
    return rep
