"""Lead-to-account matching: precision/recall on two labelled sets, and match throughput.

* ``developer-edition``: the stock Salesforce Developer Edition export
  (``../shared/data/salesforce/records/developer-edition``). Each converted lead's
  ``ConvertedAccountId`` is the truth; converted leads are matched against the Accounts
  (contacts left out: the contact created by the conversion would give the answer away).
  Unconverted leads have no truth; how many of them match an account is reported apart.
* ``labelled``: ``tests/data/matching_labelled.csv`` against ``tests/data/matching_accounts.csv``,
  hard cases (same name in two countries, free mail, subsidiaries, suffix variants, similar
  names of different companies, missing website).

Precision = correct matches / matches made; recall = correct matches / cases with a truth.
"""

from __future__ import annotations

import csv
import random
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from routing.matching import AccountRecord, MatchIndex

NAME = "matching"

ROOT = Path(__file__).resolve().parent.parent
DEV_EDITION = ROOT.parent / "shared" / "data" / "salesforce" / "records" / "developer-edition"
LABELLED = ROOT / "tests" / "data" / "matching_labelled.csv"
LABELLED_ACCOUNTS = ROOT / "tests" / "data" / "matching_accounts.csv"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _blank(value: str | None) -> str | None:
    return value.strip() or None if value else None


def score(pairs: list[tuple[str | None, str | None]]) -> dict[str, Any]:
    """(expected, got) pairs -> counts, precision and recall."""
    made = [(e, g) for e, g in pairs if g is not None]
    correct = sum(1 for e, g in made if e == g)
    positives = sum(1 for e, _ in pairs if e is not None)
    return {
        "cases": len(pairs),
        "positives": positives,
        "matches_made": len(made),
        "correct": correct,
        "wrong": len(made) - correct,
        "missed": sum(1 for e, g in pairs if e is not None and g != e),
        "true_negatives": sum(1 for e, g in pairs if e is None and g is None),
        "precision": round(correct / len(made), 4) if made else 1.0,
        "recall": round(correct / positives, 4) if positives else 1.0,
    }


def labelled_results() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    accounts = [
        AccountRecord(
            r["id"], r["name"], _blank(r["website"]), _blank(r["country"]), _blank(r["owner_id"])
        )
        for r in _rows(LABELLED_ACCOUNTS)
    ]
    index = MatchIndex.build(accounts)
    pairs = []
    failures = []
    for row in _rows(LABELLED):
        lead = {k: _blank(row[k]) for k in ("company", "email", "website", "country")}
        result = index.match(lead)
        expected = _blank(row["expected"])
        pairs.append((expected, result.account_id))
        if result.account_id != expected:
            failures.append(
                {"case": row["case"], "expected": expected, "got": result.account_id,
                 "note": row["note"], "trace": result.trace}
            )  # fmt: skip
    return score(pairs), failures


def developer_edition_results() -> dict[str, Any]:
    accounts = [
        AccountRecord(r["Id"], r["Name"], _blank(r.get("Website")), _blank(r.get("BillingCountry")),
                      _blank(r.get("OwnerId")))
        for r in _rows(DEV_EDITION / "Account.csv")
    ]  # fmt: skip
    index = MatchIndex.build(accounts)
    pairs = []
    unconverted = matched_unconverted = 0
    for row in _rows(DEV_EDITION / "Lead.csv"):
        lead = {
            "company": _blank(row.get("Company")),
            "email": _blank(row.get("Email")),
            "website": _blank(row.get("Website")),
            "country": _blank(row.get("Country")),
        }
        got = index.match(lead).account_id
        if (row.get("IsConverted") or "").upper() == "TRUE":
            pairs.append((_blank(row.get("ConvertedAccountId")), got))
        else:
            unconverted += 1
            matched_unconverted += got is not None
    out = score(pairs)
    out["unconverted_leads"] = unconverted
    out["unconverted_matched"] = matched_unconverted
    return out


_WORDS = [
    "acme",
    "global",
    "north",
    "star",
    "blue",
    "river",
    "stone",
    "peak",
    "summit",
    "bright",
    "harbor",
    "cedar",
    "maple",
    "silver",
    "iron",
    "quantum",
    "vertex",
    "apex",
    "orbit",
    "nova",
    "pixel",
    "cloud",
    "data",
    "logic",
    "metric",
    "prime",
    "core",
    "fusion",
    "atlas",
    "titan",
    "delta",
    "omega",
    "sigma",
    "terra",
    "aqua",
    "solar",
    "lunar",
    "vector",
    "zenith",
    "pioneer",
    "frontier",
]
_KINDS = [
    "systems",
    "labs",
    "partners",
    "holdings",
    "industries",
    "media",
    "software",
    "health",
    "capital",
    "foods",
]
_SUFFIXES = ("Inc.", "LLC", "Ltd", "GmbH", "Corp.", "S.A.", "", "", "")
_COUNTRIES = ("US", "GB", "DE", "FR", "CA", "AU", None)


def _company(rng: random.Random) -> str:
    words = [rng.choice(_WORDS).title() for _ in range(rng.randint(1, 3))]
    return " ".join([*words, rng.choice(_KINDS).title(), rng.choice(_SUFFIXES)]).strip()


def throughput(accounts: int, leads: int, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    records = []
    for i in range(accounts):
        name = _company(rng)
        site = f"{name.split()[0].lower()}{i}.com" if rng.random() < 0.7 else None
        records.append(AccountRecord(f"A{i}", name, site, rng.choice(_COUNTRIES), f"005{i % 50}"))
    started = time.perf_counter()
    index = MatchIndex.build(records)
    build_s = time.perf_counter() - started
    batch = []
    for _ in range(leads):
        account = rng.choice(records)
        kind = rng.random()
        if kind < 0.4 and account.website:
            lead = {"email": f"x@{account.website}", "company": account.name}
        elif kind < 0.8:
            lead = {"company": account.name.replace(".", ""), "country": account.country}
        else:
            lead = {"company": _company(rng), "email": "someone@gmail.com"}
        batch.append(lead)
    started = time.perf_counter()
    cpu = time.process_time()
    matched = sum(1 for lead in batch if index.match(lead).account_matched)
    wall = time.perf_counter() - started
    cpu_s = time.process_time() - cpu
    return {
        "accounts": accounts,
        "leads": leads,
        "matched": matched,
        "build_s": round(build_s, 3),
        "matches_per_s": round(leads / cpu_s) if cpu_s else None,
        "matches_per_s_wall": round(leads / wall) if wall else None,
        "mean_us": round(wall / leads * 1e6, 1),
    }


def run(quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    labelled, failures = labelled_results()
    log(f"labelled: precision {labelled['precision']}, recall {labelled['recall']}")
    dev = developer_edition_results()
    log(f"developer-edition: precision {dev['precision']}, recall {dev['recall']}")
    sizes = [(1_000, 2_000), (10_000, 2_000)] if quick else [(1_000, 10_000), (50_000, 5_000)]
    speed = []
    for accounts, leads in sizes:
        speed.append(throughput(accounts, leads))
        log(f"throughput {accounts:,} accounts: {speed[-1]['matches_per_s']:,} matches/s")
    return {
        "labelled": labelled,
        "labelled_failures": failures,
        "developer_edition": dev,
        "throughput": speed,
    }


def table(results: Mapping[str, Any]) -> Any:
    from rich.table import Table

    t = Table(title="lead-to-account matching", caption=__doc__.splitlines()[0] if __doc__ else "")
    for col in ("set", "cases", "with truth", "matched", "correct", "wrong", "precision", "recall"):
        t.add_column(col, justify="left" if col == "set" else "right")
    for name in ("labelled", "developer_edition"):
        r = results[name]
        t.add_row(
            name, str(r["cases"]), str(r["positives"]), str(r["matches_made"]), str(r["correct"]),
            str(r["wrong"]), f"{r['precision']:.3f}", f"{r['recall']:.3f}",
        )  # fmt: skip
    for s in results["throughput"]:
        t.add_row(
            f"throughput {s['accounts']:,} accounts", str(s["leads"]), "", str(s["matched"]), "",
            "", f"{s['matches_per_s']:,}/s", f"{s['mean_us']} µs",
        )  # fmt: skip
    return t
