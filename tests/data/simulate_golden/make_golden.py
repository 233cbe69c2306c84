"""Writes the golden inputs and decisions of ``tests/cli/test_simulate_golden.py``.

Run once with the code whose decisions are the reference (the golden files were made
with the ``simulate`` of commit 9d1786c, before issue #15's speed-up):

    PYTHONPATH=. .venv/bin/python tests/data/simulate_golden/make_golden.py

Inputs: ``example-leads.csv`` (generated leads for ``examples/routing.yml``, created_at
spread over working and closed hours, some equal, some going back in time, some absent)
and ``generated-leads.csv`` (leads of the routing benchmark's generator for its seeded
3,000-rule config, with created_at). Outputs: ``*.expected.json``, the decisions and the
summary of ``leadrouter simulate --format json`` (without the ``input`` block).
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
AT = "2026-03-02T15:00:00Z"
GENERATED_RULES = 3000
GENERATED_LEADS = 600
EXAMPLE_LEADS = 700

_COUNTRIES = [
    ("United States", ["California", "CA", "OR", "Washington", "NY", "Texas", "FL", "MA", "CO"]),
    ("USA", ["AZ", "Nevada", "NJ", "GA", ""]),
    ("US", ["WA", "Virginia", "IL", ""]),
    ("Germany", [""]),
    ("France", [""]),
    ("United Kingdom", [""]),
    ("Canada", ["ON", "BC"]),
    ("Japan", [""]),
    ("Norway", [""]),
    ("", [""]),
]
_INDUSTRIES = ["Healthcare", "Hospital & Health Care", "Software", "Retail", "Energy", ""]
_TITLES = ["VP Sales", "Head of Growth", "Engineer", "Director of IT", "Analyst", "CEO", ""]
_SOURCES = ["Demo Request", "Web", "Webinar", "Partner", ""]
_DOMAINS = [
    "gmail.com",
    "yahoo.com",
    "northwind-analytics.com",
    "alpenbank.ch",
    "harborfinance.com",
    "acme.example",
    "corp.co.uk",
]


def _times(rng: random.Random, n: int) -> list[str]:
    """Ascending mostly (0-50 min apart), some equal, some back in time, some blank."""
    t = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # a Monday, before US hours
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.1:
            out.append("")
            continue
        if r < 0.2:
            stamp = t  # same instant as the last one
        elif r < 0.25:
            stamp = t - timedelta(minutes=rng.randint(1, 300))  # back in time
        else:
            t += timedelta(minutes=rng.randint(0, 50))
            stamp = t
        out.append(stamp.isoformat().replace("+00:00", "Z"))
    return out


def example_leads(path: Path) -> None:
    rng = random.Random(15)
    times = _times(rng, EXAMPLE_LEADS)
    columns = [
        "id", "first_name", "last_name", "email", "title", "company", "website", "industry",
        "employees", "country", "state", "postal_code", "lead_source", "created_at",
    ]  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for i in range(EXAMPLE_LEADS):
            country, states = rng.choice(_COUNTRIES)
            domain = rng.choice(_DOMAINS)
            employees = rng.choice(["12", "250", "1,500", "5000", "20k", "", "50-100"])
            writer.writerow(
                [
                    f"g-{i}" if rng.random() < 0.9 else "",
                    "Lee",
                    f"Lead{i}",
                    f"lee{i}@{domain}" if rng.random() < 0.95 else "",
                    rng.choice(_TITLES),
                    f"Company {i % 37}",
                    domain if rng.random() < 0.3 else "",
                    rng.choice(_INDUSTRIES),
                    employees,
                    country,
                    rng.choice(states),
                    rng.choice(["92101", "10001", "", "80331"]),
                    rng.choice(_SOURCES),
                    times[i],
                ]
            )


def generated_config(path: Path) -> None:
    import yaml

    from benchmarks.routing import build_raw_config
    from benchmarks.simulate import _loadable

    raw, _ = build_raw_config(GENERATED_RULES)
    raw = _loadable({k: v for k, v in raw.items() if k != "version"})
    path.write_text(yaml.safe_dump(raw, sort_keys=False))


def generated_leads(path: Path) -> None:
    from benchmarks.routing import build_raw_config, build_raw_leads

    _, gen = build_raw_config(GENERATED_RULES)
    leads = [
        {k: v for k, v in lead.items() if not k.startswith("account.")}
        for lead in build_raw_leads(gen, GENERATED_LEADS)
    ]
    times = _times(random.Random(3000), len(leads))
    columns = sorted({k for lead in leads for k in lead})
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", *columns, "created_at"])
        writer.writeheader()
        for i, lead in enumerate(leads):
            writer.writerow({"id": f"B-{i}", **lead, "created_at": times[i]})


def simulate(*args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "simulate", "--format", "json", "--at", AT, *args],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    doc: dict[str, Any] = json.loads(proc.stdout)
    del doc["summary"]["input"]
    return doc


def compact(doc: dict[str, Any]) -> str:
    """One decision per line: small diffs when a decision changes."""
    lines = ",\n".join(json.dumps(d, sort_keys=True) for d in doc["decisions"])
    summary = json.dumps(doc["summary"], sort_keys=True, indent=1)
    return f'{{"decisions": [\n{lines}\n],\n"summary": {summary}}}\n'


def main() -> None:
    example_leads(HERE / "example-leads.csv")
    generated_leads(HERE / "generated-leads.csv")
    examples = ROOT / "examples"
    doc = simulate(
        "--config", str(examples / "routing.yml"), "--leads", str(HERE / "example-leads.csv"),
        "--accounts", str(examples / "accounts.csv"), "--contacts", str(examples / "contacts.csv"),
    )  # fmt: skip
    (HERE / "example.expected.json").write_text(compact(doc))
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "routing.yml"
        generated_config(config)
        doc = simulate("--config", str(config), "--leads", str(HERE / "generated-leads.csv"))
    (HERE / "generated.expected.json").write_text(compact(doc))


if __name__ == "__main__":
    main()
