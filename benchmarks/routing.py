"""Routing engine benchmark: ``Router.route`` against first-match rules in ``rule-engine``.

For each rule-list size (50 and 3,000 rules, Salesforce's limit per assignment rule) it
generates, from a fixed seed:

* a config with 500 reps (mixed hours, skills, ``max_pending`` and caps), 50 pools of
  mixed strategies, 3 queues, 40 territories, scoring, and ``size`` rules mixing
  country/state/territory/industry/lead_source/custom-field equalities and ``in``,
  employee ranges, title regexes, ``any`` and ``not``, then a catch-all;
* leads aimed at rules drawn uniformly over the whole list (each lead is built to satisfy
  its aimed rule, other fields random), so first matches spread over the list; the leads
  are normalised and enriched (territory, score) once, like the app does before routing;
* a roster where every rep has a load, some are away, some at ``max_pending`` or a cap.

It then times ``Router.route`` per decision on one core (pool rotation state carried from
decision to decision), the same engine with its rule index disabled (every rule in order),
and the peer: the same rules written as ``rule_engine.Rule`` expressions over pre-folded
leads, evaluated in order until the first match. Engine and peer must pick the same first
matching rule for every lead the peer is measured on (the peer, ~1000x slower on long
lists, runs on a subset, reported as ``leads``).
"""

from __future__ import annotations

import gc
import math
import os
import platform
import random
import re
import statistics
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from routing.conditions.values import fold, parse_number
from routing.config.models import RoutingConfig
from routing.decision import Decision
from routing.engine import Router
from routing.normalize import normalize_lead
from routing.roster import RepLoad, Roster

NAME = "routing"
BATCH = 1000  # decisions per batch for the least-disturbed throughput
SEED = 20240611
NOW = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)  # a Tuesday: US and EMEA hours open

# -- value pools ----------------------------------------------------------------------------
COUNTRIES: dict[str, list[str]] = {
    "US": ["United States", "USA", "us", "US"],
    "CA": ["Canada", "CA"],
    "GB": ["United Kingdom", "UK", "GB"],
    "DE": ["Germany", "Deutschland", "DE"],
    "FR": ["France", "FR"],
    "ES": ["Spain", "ES"],
    "IT": ["Italy", "IT"],
    "NL": ["Netherlands", "NL"],
    "SE": ["Sweden", "SE"],
    "NO": ["Norway", "NO"],
    "DK": ["Denmark", "DK"],
    "FI": ["Finland", "FI"],
    "IE": ["Ireland", "IE"],
    "CH": ["Switzerland", "CH"],
    "AT": ["Austria", "AT"],
    "BE": ["Belgium", "BE"],
    "PL": ["Poland", "PL"],
    "AU": ["Australia", "AU"],
    "NZ": ["New Zealand", "NZ"],
    "JP": ["Japan", "JP"],
    "SG": ["Singapore", "SG"],
    "IN": ["India", "IN"],
    "BR": ["Brazil", "BR"],
    "MX": ["Mexico", "MX"],
    "ZA": ["South Africa", "ZA"],
    "IL": ["Israel", "IL"],
}
US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
    "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire",
    "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip
CA_PROVINCES = {
    "ON": "Ontario", "QC": "Quebec", "BC": "British Columbia", "AB": "Alberta",
    "MB": "Manitoba", "SK": "Saskatchewan", "NS": "Nova Scotia", "NB": "New Brunswick",
}  # fmt: skip
INDUSTRIES = [
    "Healthcare", "Hospital & Health Care", "Biotechnology", "Pharmaceuticals", "Banking",
    "Financial Services", "Insurance", "Retail", "E-commerce", "Manufacturing", "Automotive",
    "Aerospace", "Education", "Higher Education", "Government", "Non-profit", "Software",
    "Information Technology", "Telecommunications", "Media", "Entertainment", "Hospitality",
    "Real Estate", "Construction", "Energy", "Utilities", "Oil & Gas", "Transportation",
    "Logistics", "Food & Beverage", "Agriculture", "Legal", "Consulting", "Marketing",
    "Staffing", "Security", "Gaming", "Sports", "Chemicals", "Mining",
]  # fmt: skip
LEAD_SOURCES = [
    "Demo Request", "Web", "Webinar", "Trade Show", "Partner", "Referral", "Content Download",
    "Free Trial", "Contact Us", "Cold Call", "Paid Search", "Social",
]  # fmt: skip
PRODUCTS = [f"Product {c}" for c in "ABCDEFGHIJKLMNOPQRST"]
TITLE_PATTERNS: list[tuple[str, list[str]]] = [
    (r"(?i)\b(vp|vice president)\b", ["VP Sales", "Vice President, Marketing", "SVP, VP Ops"]),
    (r"(?i)\b(cto|cio|chief)\b", ["CTO", "Chief Revenue Officer", "CIO"]),
    (r"(?i)\bdirector\b", ["Director of IT", "Sales Director", "Marketing Director"]),
    (r"(?i)^head of\b", ["Head of Growth", "Head of Sales", "head of data"]),
    (r"(?i)\b(founder|owner)\b", ["Founder", "Co-Founder & CEO", "Owner"]),
]
PLAIN_TITLES = ["Engineer", "Analyst", "Manager", "Account Executive", "Consultant", "Intern"]
SKILLS = ["healthcare", "spanish", "german", "french", "enterprise", "fintech", "public-sector"]
EMPLOYEE_BANDS = [(1, 10), (10, 50), (50, 200), (200, 1000), (1000, 5000), (5000, 100000)]


def _territories() -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    states = sorted(US_STATES)
    for i in range(0, len(states), 3):  # 17 US territories of three states
        out[f"us-{i // 3 + 1}"] = {"country": ["US"], "state": states[i : i + 3]}
    provinces = sorted(CA_PROVINCES)
    for i in range(0, len(provinces), 2):  # 4 Canadian territories
        out[f"ca-{i // 2 + 1}"] = {"country": ["CA"], "state": provinces[i : i + 2]}
    others = [c for c in COUNTRIES if c not in ("US", "CA")]
    for i in range(0, len(others), 2):  # 12 two-country territories
        out[f"intl-{i // 2 + 1}"] = {"country": others[i : i + 2]}
    for i in range(7):  # 7 overlapping wide ones
        out[f"wide-{i + 1}"] = {"country": others[i * 3 : i * 3 + 4]}
    return out


TERRITORIES = _territories()


# -- rule generation --------------------------------------------------------------------------
# A rule is generated together with the constraints a lead must meet to match it.
Constraint = tuple[Any, ...]


@dataclass
class GenRule:
    name: str
    when: dict[str, Any] | None
    assign: Any
    needs: list[Constraint] = field(default_factory=list)


def _country_written(rng: random.Random, code: str) -> str:
    return rng.choice(COUNTRIES[code])


def _state_of(rng: random.Random, country: str) -> str:
    return rng.choice(sorted(US_STATES if country == "US" else CA_PROVINCES))


def _rule(rng: random.Random, i: int) -> tuple[dict[str, Any], list[Constraint]]:
    kind = rng.choices(
        range(10), weights=[22, 18, 10, 10, 10, 8, 8, 8, 3, 3], k=1
    )[0]  # fmt: skip
    when: dict[str, Any]
    if kind == 0:  # state + industries
        country = rng.choice(["US", "US", "US", "CA"])
        state = _state_of(rng, country)
        inds = rng.sample(INDUSTRIES, rng.randint(1, 2))
        written = state if rng.random() < 0.7 else (US_STATES | CA_PROVINCES)[state]
        when = {"country": _country_written(rng, country), "state": written}
        when["industry"] = inds[0] if len(inds) == 1 else {"in": inds}
        needs: list[Constraint] = [("country", country), ("state", state), ("eq", "industry", inds)]
        if rng.random() < 0.5:
            source = rng.choice(LEAD_SOURCES)
            when["lead_source"] = source
            needs.append(("eq", "lead_source", [source]))
        return when, needs
    if kind == 1:  # territory + lead source
        terr = rng.choice(sorted(TERRITORIES))
        sources = rng.sample(LEAD_SOURCES, rng.randint(1, 2))
        band = rng.choice(EMPLOYEE_BANDS)
        inds = rng.sample(INDUSTRIES, 2)
        when = {
            "territory": terr,
            "lead_source": {"in": sources},
            "industry": {"in": inds},
            "employees": {"gte": band[0], "lt": band[1]},
        }
        return when, [("territory", terr), ("eq", "lead_source", sources),
                      ("eq", "industry", inds), ("emp", *band)]  # fmt: skip
    if kind == 2:  # industry + size band + country
        ind = rng.choice(INDUSTRIES)
        band = rng.choice(EMPLOYEE_BANDS)
        country = rng.choice(sorted(COUNTRIES))
        when = {
            "industry": ind,
            "employees": {"between": [band[0], band[1] - 1]},
            "country": _country_written(rng, country),
        }
        return when, [("eq", "industry", [ind]), ("emp", *band), ("country", country)]
    if kind == 3:  # countries + lead sources
        countries = rng.sample(sorted(COUNTRIES), rng.randint(1, 2))
        source = rng.choice(LEAD_SOURCES)
        ind = rng.choice(INDUSTRIES)
        when = {"country": {"in": countries}, "lead_source": source, "industry": ind}
        return when, [("countries", countries), ("eq", "lead_source", [source]),
                      ("eq", "industry", [ind])]  # fmt: skip
    if kind == 4:  # custom field + country
        product = rng.choice(PRODUCTS)
        country = rng.choice(sorted(COUNTRIES))
        source = rng.choice(LEAD_SOURCES)
        when = {"Product_Interest__c": product, "country": country, "lead_source": source}
        return when, [("eq", "Product_Interest__c", [product]), ("country", country),
                      ("eq", "lead_source", [source])]  # fmt: skip
    if kind == 5:  # title regex + country + industry
        pattern, _ = rng.choice(TITLE_PATTERNS)
        country = rng.choice(sorted(COUNTRIES))
        ind = rng.choice(INDUSTRIES)
        when = {"title": {"matches": pattern}, "country": country, "industry": ind}
        return when, [("title", pattern), ("country", country), ("eq", "industry", [ind])]
    if kind == 6:  # any: industry or lead source, in a state
        country = "US"
        state = _state_of(rng, country)
        ind, src = rng.choice(INDUSTRIES), rng.choice(LEAD_SOURCES)
        band = rng.choice(EMPLOYEE_BANDS)
        when = {
            "any": [{"industry": ind}, {"lead_source": src}],
            "state": state,
            "employees": {"gte": band[0], "lt": band[1]},
        }
        need: Constraint = ("eq", "industry", [ind]) if rng.random() < 0.5 else (
            "eq", "lead_source", [src])  # fmt: skip
        return when, [("country", country), ("state", state), need, ("emp", *band)]
    if kind == 7:  # not: country + industry, excluding a lead source
        country = rng.choice(sorted(COUNTRIES))
        ind, src = rng.choice(INDUSTRIES), rng.choice(LEAD_SOURCES)
        band = rng.choice(EMPLOYEE_BANDS)
        when = {
            "country": country,
            "industry": ind,
            "employees": {"gte": band[0], "lt": band[1]},
            "not": {"lead_source": src},
        }
        return when, [("country", country), ("eq", "industry", [ind]), ("emp", *band),
                      ("ne", "lead_source", src)]  # fmt: skip
    if kind == 8:  # not indexable: narrow size and revenue ranges
        lo = rng.randint(20, 20000)
        hi = lo + max(2, lo // 200)
        when = {"employees": {"between": [lo, hi]}, "annual_revenue": {"gte": 1_000_000}}
        return when, [("emp", lo, hi + 1), ("revenue", 1_000_000)]
    # not indexable: any of a title regex or a narrow size band, outside one country
    pattern, _ = rng.choice(TITLE_PATTERNS)
    lo = rng.randint(20, 20000)
    hi = lo + max(2, lo // 400)
    country = rng.choice(sorted(COUNTRIES))
    ind = rng.choice(INDUSTRIES)
    product = rng.choice(PRODUCTS)
    when = {
        "any": [{"all": [{"title": {"matches": pattern}}, {"industry": ind},
                         {"Product_Interest__c": {"starts_with": product}}]},
                {"employees": {"between": [lo, hi]}}],
        "not": {"country": country},
    }  # fmt: skip
    other = rng.choice([c for c in COUNTRIES if c != country])
    return when, [("emp", lo, hi + 1), ("country", other)]


def _assign(rng: random.Random, pools: Sequence[str], reps: Sequence[str]) -> Any:
    pool = rng.choice(pools)
    r = rng.random()
    if r < 0.65:
        return {"pool": pool}
    if r < 0.75:
        return {"pool": pool, "require_skills": [rng.choice(SKILLS)]}
    if r < 0.85:
        return [{"rep": rng.choice(reps)}, {"pool": pool}]
    if r < 0.95:
        return ["account_owner", {"pool": pool}]
    return {"queue": rng.choice(["triage", "emea-claim", "apac-claim"])}


def build_config(size: int, seed: int = SEED) -> tuple[RoutingConfig, list[GenRule]]:
    """A config with ``size`` rules (the last one a catch-all) and its generated rules."""
    raw, rules = build_raw_config(size, seed)
    return RoutingConfig.model_validate(raw), rules


def build_raw_config(size: int, seed: int = SEED) -> tuple[dict[str, Any], list[GenRule]]:
    """:func:`build_config` as the routing.yml mapping (for tools that read a file)."""
    rng = random.Random(seed * 7 + size)
    hours = ["us-east", "us-west", "emea", "apac", None]
    reps = []
    for i in range(500):
        rep: dict[str, Any] = {"id": f"rep{i:03d}", "name": f"Rep {i}"}
        if (h := rng.choice(hours)) is not None:
            rep["hours"] = h
        rep["skills"] = rng.sample(SKILLS, rng.randint(0, 3))
        if rng.random() < 0.5:
            rep["max_pending"] = rng.randint(3, 8)
        if rng.random() < 0.4:
            rep["caps"] = {"day": rng.randint(8, 20), "week": rng.randint(40, 80)}
        reps.append(rep)
    rep_ids = [r["id"] for r in reps]
    pools = {}
    strategies = ["round_robin", "weighted", "least_loaded"]
    for p in range(50):
        members = rng.sample(rep_ids, rng.randint(6, 20))
        strategy = strategies[p % 3]
        pools[f"pool{p:02d}"] = {
            "strategy": strategy,
            "members": [{"rep": m, "weight": rng.randint(1, 3)} for m in members]
            if strategy == "weighted"
            else members,
            "respect_hours": rng.random() < 0.8,
        }
    pool_ids = sorted(pools)
    rules: list[GenRule] = []
    for i in range(size - 1):
        when, needs = _rule(rng, i)
        rules.append(GenRule(f"rule {i + 1}", when, _assign(rng, pool_ids, rep_ids), needs))
    rules.append(GenRule("catch-all", None, {"queue": "triage"}))
    raw = {
        "timezone": "America/New_York",
        "business_hours": {
            "us-east": {"timezone": "America/New_York", "hours": "09:00-18:00", "holidays": "US"},
            "us-west": {"timezone": "America/Los_Angeles", "hours": "08:00-17:00"},
            "emea": {"timezone": "Europe/Berlin", "hours": "09:00-18:00", "holidays": "DE"},
            "apac": {"timezone": "Asia/Singapore", "hours": "09:00-18:00"},
        },
        "reps": reps,
        "pools": pools,
        "queues": {
            "triage": {"channel": "#triage", "members": pool_ids[:3]},
            "emea-claim": {"channel": "#emea-claim", "members": pool_ids[3:5]},
            "apac-claim": {"channel": "#apac-claim", "members": pool_ids[5:7]},
        },
        "territories": TERRITORIES,
        "scoring": {
            "rules": [
                {"when": {"employees": {"gte": 1000}}, "points": 30, "reason": "Enterprise"},
                {
                    "when": {"title": {"matches": TITLE_PATTERNS[0][0]}},
                    "points": 20,
                    "reason": "Senior title",
                },
                {"when": {"lead_source": "Demo Request"}, "points": 40, "reason": "Demo"},
                {"when": {"email_is_free": True}, "points": -20, "reason": "Free email"},
            ],
            "tiers": {"A": 70, "B": 40, "C": 0},
        },
        "rules": [
            {"name": r.name, **({"when": r.when} if r.when else {}), "assign": r.assign}
            for r in rules
        ],
        "version": f"bench-{size}",
    }
    return raw, rules


# -- leads ------------------------------------------------------------------------------------
def _random_lead(rng: random.Random, i: int) -> dict[str, Any]:
    country = rng.choice(["US"] * 6 + ["CA"] * 2 + sorted(COUNTRIES))
    lead: dict[str, Any] = {
        "first_name": "Lee",
        "last_name": f"Lead{i}",
        "email": f"lee{i}@{rng.choice(['acme.com', 'gmail.com', 'example.org', 'corp.io'])}",
        "company": f"Company {i % 977}",
        "country": _country_written(rng, country),
        "industry": rng.choice(INDUSTRIES),
        "lead_source": rng.choice(LEAD_SOURCES),
        "employees": int(10 ** rng.uniform(0, 5)),
        "title": rng.choice(PLAIN_TITLES + [t for _, ts in TITLE_PATTERNS for t in ts[:1]]),
    }
    if country in ("US", "CA"):
        state = _state_of(rng, country)
        lead["state"] = state if rng.random() < 0.6 else (US_STATES | CA_PROVINCES)[state]
    if rng.random() < 0.6:
        lead["Product_Interest__c"] = rng.choice(PRODUCTS)
    if rng.random() < 0.5:
        lead["annual_revenue"] = rng.choice(["250000", "1,500,000", 5_000_000, "12000000"])
    if rng.random() < 0.1:
        lead["account.matched"] = True
        lead["account.owner"] = f"rep{rng.randrange(500):03d}"
    return lead


def _spell(rng: random.Random, value: str) -> str:
    r = rng.random()
    return (
        value.upper()
        if r < 0.1
        else value.lower()
        if r < 0.2
        else f" {value} "
        if r < 0.25
        else value
    )


def _satisfy(rng: random.Random, lead: dict[str, Any], needs: Iterable[Constraint]) -> None:
    for need in needs:
        kind = need[0]
        if kind == "country":
            lead["country"] = _country_written(rng, need[1])
            if need[1] not in ("US", "CA"):
                lead.pop("state", None)
            elif lead.get("state") is None:
                lead["state"] = _state_of(rng, need[1])
        elif kind == "countries":
            _satisfy(rng, lead, [("country", rng.choice(need[1]))])
        elif kind == "state":
            state = need[1]
            lead["state"] = state if rng.random() < 0.5 else (US_STATES | CA_PROVINCES)[state]
        elif kind == "territory":
            terr = TERRITORIES[need[1]]
            country = rng.choice(terr["country"])
            lead["country"] = _country_written(rng, country)
            if "state" in terr:
                lead["state"] = rng.choice(terr["state"])
            else:
                lead.pop("state", None)
        elif kind == "eq":
            lead[need[1]] = _spell(rng, rng.choice(need[2]))
        elif kind == "ne":
            lead[need[1]] = rng.choice([v for v in LEAD_SOURCES if v != need[2]])
        elif kind == "emp":
            n = rng.randrange(need[1], need[2])
            lead["employees"] = f"{n:,}" if rng.random() < 0.3 else n
        elif kind == "revenue":
            lead["annual_revenue"] = need[1] * rng.randint(1, 20)
        elif kind == "title":
            lead["title"] = rng.choice(dict(TITLE_PATTERNS)[need[1]])


def build_leads(
    router: Router, rules: Sequence[GenRule], count: int, seed: int = SEED
) -> list[dict[str, Any]]:
    """``count`` normalised, enriched leads, each aimed at a rule drawn over the whole list."""
    return [router.enrich(normalize_lead(lead)) for lead in build_raw_leads(rules, count, seed)]


def build_raw_leads(
    rules: Sequence[GenRule], count: int, seed: int = SEED
) -> Iterator[dict[str, Any]]:
    """The leads of :func:`build_leads` as a web form or an export would give them."""
    rng = random.Random(seed + len(rules))
    for i in range(count):
        lead = _random_lead(rng, i)
        aim = rules[rng.randrange(len(rules))]
        _satisfy(rng, lead, aim.needs)
        yield lead


def build_roster(config: RoutingConfig, seed: int = SEED) -> Roster:
    """Every rep has a load; ~5% away, some at max_pending, some at a cap."""
    rng = random.Random(seed)
    loads = {}
    for rep in config.reps:
        pending = rng.randint(0, 4)
        if rep.max_pending is not None and rng.random() < 0.15:
            pending = rep.max_pending
        offers = rng.randint(0, 6)
        if rep.caps is not None and rep.caps.day is not None and rng.random() < 0.15:
            offers = rep.caps.day
        recent = tuple(NOW - timedelta(minutes=rng.randint(1, 23 * 60)) for _ in range(offers))
        recent += tuple(NOW - timedelta(days=rng.randint(2, 6)) for _ in range(rng.randint(0, 8)))
        loads[rep.id] = RepLoad(
            pending=pending,
            recent_offers=recent,
            last_offered_at=max(recent) if recent else None,
            away_until=NOW + timedelta(hours=2) if rng.random() < 0.05 else None,
        )
    return Roster(reps=loads, pools={})


# -- the peer: rule-engine ----------------------------------------------------------------------
_PEER_CODE = {"country": "country_code", "state": "state_code"}
_NUMERIC = ("employees", "annual_revenue")


def _lit(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(float(value))
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _peer_value(field_name: str, value: Any) -> Any:
    if field_name in ("country", "state"):
        from routing.normalize import country_code_for, state_code_for

        value = country_code_for(value) if field_name == "country" else state_code_for(value, None)
    return fold(value)


def to_rule_engine(when: Mapping[str, Any] | None) -> str:
    """The rule-engine expression of a ``when`` block (the matchers the benchmark uses)."""
    if not when:
        return "true"
    parts = []
    for key, spec in when.items():
        if key == "not":
            parts.append(f"not ({to_rule_engine(spec)})")
        elif key in ("any", "all"):
            joiner = " or " if key == "any" else " and "
            parts.append("(" + joiner.join(f"({to_rule_engine(c)})" for c in spec) + ")")
        elif not isinstance(spec, Mapping):
            if key == "territory":
                parts.append(f"{_lit(fold(spec))} in territory")
            else:
                parts.append(f"{key} == {_lit(_peer_value(key, spec))}")
        else:
            for matcher, arg in spec.items():
                if matcher == "in":
                    items = ", ".join(_lit(_peer_value(key, a)) for a in arg)
                    parts.append(f"{key} in [{items}]")
                elif matcher == "matches":
                    parts.append(f"({key}_raw != null and {key}_raw =~~ {_lit(arg)})")
                elif matcher == "between":
                    parts.append(
                        f"({key} != null and {key} >= {_lit(arg[0])} and {key} <= {_lit(arg[1])})"
                    )
                elif matcher == "starts_with":
                    needle = _lit(re.escape(fold(arg)))
                    parts.append(f"({key} != null and {key} =~ {needle})")
                elif matcher in ("gte", "lt"):
                    op = ">=" if matcher == "gte" else "<"
                    parts.append(f"({key} != null and {key} {op} {_lit(arg)})")
                else:
                    raise ValueError(f"no rule-engine form for {matcher}")
    return " and ".join(parts)


def peer_thing(fields: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The lead as a rule-engine user would prepare it: strings folded, codes, numbers."""
    thing: dict[str, Any] = {}
    for name in names:
        value = fields.get(_PEER_CODE.get(name, name), fields.get(name))
        if name in _NUMERIC:
            n = parse_number(value)
            thing[name] = None if n is None else float(n)
        elif name == "territory":
            thing[name] = [fold(t) for t in value or ()]
        elif isinstance(value, str) and value.strip():
            thing[name] = fold(value)
            thing[f"{name}_raw"] = value
        else:
            thing[name] = None
            thing[f"{name}_raw"] = None
    return thing


# -- measuring --------------------------------------------------------------------------------
@dataclass
class Run:
    name: str
    leads: int
    latencies_ns: list[int]  # wall time of each decision
    cpu_s: float  # CPU time of the whole loop (includes the loop's own bookkeeping)
    firsts: list[int | None]  # first matching rule position per lead
    best_batch_s: float | None = None  # CPU time of the fastest batch of BATCH decisions

    def row(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ns)
        return {
            "engine": self.name,
            "leads": self.leads,
            "decisions_per_s": round(self.leads / self.cpu_s),
            "decisions_per_s_wall": round(self.leads / (sum(lat) / 1e9)),
            "decisions_per_s_best_batch": round(BATCH / self.best_batch_s)
            if self.best_batch_s
            else None,
            "p50_us": round(lat[len(lat) // 2] / 1000, 1),
            "p99_us": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] / 1000, 1),
            "max_us": round(lat[-1] / 1000, 1),
        }


# What two decisions must share to count as the same: outcome, rule, assignee, queue, and
# the first rule whose condition matched (a matched rule may fall through to a later one).
Summary = tuple[str, str | None, str | None, str | None, int | None]


def _summary(decision: Decision, positions: Mapping[str, int]) -> Summary:
    first = None
    for entry in decision.trace:
        if entry["step"] == "rule" and entry["matched"]:
            first = positions[entry["rule"]]
            break
    return decision.outcome, decision.rule, decision.assignee, decision.queue, first


def time_router(
    name: str, router: Router, leads: Sequence[Mapping[str, Any]], roster: Roster
) -> tuple[Run, list[Summary]]:
    """Route every lead in turn, carrying pool rotation state; time each ``route`` call."""
    pools: dict[str, Any] = {}
    roster = Roster(reps=roster.reps, pools=pools, excluded=roster.excluded)
    positions = {rule.name: i for i, rule in enumerate(router.config.rules)}
    route = router.route
    clock = time.perf_counter_ns
    latencies = [0] * len(leads)
    summaries: list[Summary] = []
    gc.collect()
    cpu = batch = time.thread_time()
    best = math.inf
    for i, fields in enumerate(leads):
        if i % BATCH == 0 and i:
            now_cpu = time.thread_time()
            best = min(best, now_cpu - batch)
            batch = now_cpu
        t0 = clock()
        decision = route(fields, roster, NOW)
        latencies[i] = clock() - t0
        if decision.pool is not None and decision.pool_state is not None:
            pools[decision.pool] = decision.pool_state
        summaries.append(_summary(decision, positions))
    cpu = time.thread_time() - cpu
    firsts = [s[-1] for s in summaries]
    best_batch = best if best < math.inf else None
    return Run(name, len(leads), latencies, cpu, firsts, best_batch), summaries


def time_peer(config: RoutingConfig, leads: Sequence[Mapping[str, Any]]) -> tuple[Run, float]:
    import rule_engine

    context = rule_engine.Context(default_value=None)
    t0 = time.perf_counter()
    rules = [rule_engine.Rule(to_rule_engine(r.when), context=context) for r in config.rules]
    compile_s = time.perf_counter() - t0
    names = {"country", "state", "territory", "industry", "lead_source", "title",
             "employees", "annual_revenue", "Product_Interest__c"}  # fmt: skip
    things = [peer_thing(f, names) for f in leads]
    clock = time.perf_counter_ns
    latencies = [0] * len(things)
    firsts: list[int | None] = [None] * len(things)
    gc.collect()
    cpu = time.thread_time()
    for i, thing in enumerate(things):
        t0 = clock()
        for position, rule in enumerate(rules):
            if rule.matches(thing):
                firsts[i] = position
                break
        latencies[i] = clock() - t0
    cpu = time.thread_time() - cpu
    return Run("rule-engine (peer)", len(things), latencies, cpu, firsts), compile_s


def _evaluated(router: Router, leads: Sequence[Mapping[str, Any]]) -> list[int]:
    """Rules whose condition ``route`` evaluated, per lead (from the trace)."""
    roster = Roster()
    return [
        sum(1 for e in router.route(f, roster, NOW).trace if e["step"] == "rule") for f in leads
    ]


def _pin_one_core() -> int | None:
    try:
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[-1]})
        return cpus[-1]
    except (AttributeError, OSError):
        return None


def _spread(firsts: Sequence[int | None], size: int) -> dict[str, Any]:
    found = sorted(f for f in firsts if f is not None)
    quart = statistics.quantiles(found, n=4) if len(found) > 1 else [0, 0, 0]
    return {
        "first_match_quartiles": [round(q) for q in quart],
        "last_quarter_share": round(sum(1 for f in found if f >= 0.75 * size) / len(found), 3),
        "catch_all_share": round(sum(1 for f in found if f == size - 1) / len(found), 3),
    }


def run(quick: bool = False, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run every size; returns JSON-ready results (raises if engine and peer disagree)."""
    cpu = _pin_one_core()
    n_leads = 10_000 if quick else 100_000
    results: dict[str, Any] = {
        "benchmark": NAME,
        "cpu": cpu,
        "python": platform.python_version(),
        "reps": 500,
        "pools": 50,
        "leads": n_leads,
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "sizes": [],
    }
    for size, peer_n, naive_n in ((50, 5000, 20_000), (3000, 500, 500)):
        if quick:
            peer_n, naive_n = peer_n // 5, naive_n // 5
        t0 = time.perf_counter()
        config, gen = build_config(size)
        router = Router(config)
        leads = build_leads(router, gen, n_leads)
        roster = build_roster(config)
        log(f"routing: {size} rules, {n_leads} leads generated in {time.perf_counter() - t0:.1f}s")
        t0 = time.perf_counter()
        enrich_leads = leads[: min(len(leads), 20_000)]
        raw = [{k: v for k, v in f.items() if k not in ("territory", "score", "tier")}
               for f in enrich_leads]  # fmt: skip
        t1 = time.perf_counter()
        for f in raw:
            router.enrich(f)
        enrich_us = (time.perf_counter() - t1) / len(raw) * 1e6
        del raw
        log(f"routing: enrich {enrich_us:.1f} us/lead ({time.perf_counter() - t0:.1f}s)")

        engine, decisions = time_router("Lead Router", router, leads, roster)
        log(f"routing: engine {engine.row()}")
        naive_router = Router(config, index=False)
        naive, naive_decisions = time_router("Lead Router, index off", naive_router,
                                             leads[:naive_n], roster)  # fmt: skip
        log(f"routing: index off {naive.row()}")
        peer, compile_s = time_peer(config, leads[:peer_n])
        log(f"routing: peer {peer.row()}")

        mismatches = [i for i, (a, b) in enumerate(zip(engine.firsts, peer.firsts, strict=False))
                      if a != b]  # fmt: skip
        if mismatches:
            i = mismatches[0]
            raise AssertionError(
                f"{size} rules: engine and rule-engine disagree on {len(mismatches)} leads, "
                f"first lead {i}: engine rule {engine.firsts[i]}, peer rule {peer.firsts[i]}"
            )
        if decisions[: len(naive_decisions)] != naive_decisions:
            raise AssertionError(f"{size} rules: decisions differ with the index on and off")
        outcomes: dict[str, int] = {}
        for d in decisions:
            outcomes[d[0]] = outcomes.get(d[0], 0) + 1
        evaluated = _evaluated(router, leads[:2000])
        results["sizes"].append(
            {
                "rules": size,
                "indexed_rules": router.rule_index.indexed,
                "runs": [engine.row(), naive.row(), peer.row()],
                "peer_compile_s": round(compile_s, 2),
                "peer_agrees_on": len(peer.firsts),
                "index_off_agrees_on": len(naive_decisions),
                "spread": _spread(engine.firsts, size),
                "rules_evaluated_mean": round(statistics.fmean(evaluated), 1),
                "rules_evaluated_p99": sorted(evaluated)[int(len(evaluated) * 0.99)],
                "outcomes": outcomes,
                "enrich_us": round(enrich_us, 1),
            }
        )
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return results


def table(results: Mapping[str, Any]) -> Any:
    from rich.table import Table

    t = Table(
        title=f"routing: {results['leads']:,} leads, 500 reps, 50 pools, one core",
        caption="decisions/s: per CPU second over the run (wall-clock in brackets); best 1k: "
        "fastest batch of 1,000 decisions, per CPU second; p50/p99/max: wall-clock per "
        f"decision. Load average {results['load_average_before'][0]} before, "
        f"{results['load_average_after'][0]} after.",
    )
    cols = ("rules", "engine", "leads", "decisions/s", "best 1k", "p50 µs", "p99 µs", "max µs")
    for col in (*cols, "vs peer"):
        t.add_column(col, justify="left" if col == "engine" else "right", no_wrap=True)
    for size in results["sizes"]:
        runs = size["runs"]
        peer = runs[-1]["decisions_per_s"]
        for run_ in runs:
            t.add_row(
                f"{size['rules']:,}",
                run_["engine"],
                f"{run_['leads']:,}",
                f"{run_['decisions_per_s']:,} ({run_['decisions_per_s_wall']:,})",
                f"{best:,}" if (best := run_["decisions_per_s_best_batch"]) else "-",
                f"{run_['p50_us']:,}",
                f"{run_['p99_us']:,}",
                f"{run_['max_us']:,}",
                f"{run_['decisions_per_s'] / peer:,.1f}x",
            )
    return t
