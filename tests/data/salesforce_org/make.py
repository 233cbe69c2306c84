"""Writes the small synthetic Salesforce org the tests use when ../shared is absent.

``python tests/data/salesforce_org/make.py``: deterministic; the CSVs are committed.
Columns are a subset of a real export's, in Salesforce's own names.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

HERE = Path(__file__).parent
OWNER = "005Ec000004o8yHIAQ"
STAMP = "2024-01-19T09:42:24.000+0000"
COMPANIES = [
    ("Globex", "globex.de", "DE", "Manufacturing"),
    ("Initech", "initech.com", "US", "Technology"),
    ("Hooli", "hooli.com", "US", "Technology"),
    ("Vandelay Industries", "vandelay.example", "US", "Wholesale"),
    ("Stark Medical", "starkmed.example", "US", "Healthcare"),
    ("Wayne Foods", "waynefoods.example", "GB", "Food & Beverage"),
    ("Soylent Labs", "soylent.example", "CA", "Biotechnology"),
    ("Tyrell Systems", "tyrell.example", "US", "Technology"),
]
FIRST = ["Ana", "Ben", "Chloe", "Dev", "Ema", "Femi", "Gus", "Hana", "Ivo", "Jun"]
LAST = ["Ryan", "Klein", "Okafor", "Silva", "Tanaka", "Novak", "Haddad", "Moreau"]


def _id(prefix: str, n: int) -> str:
    return f"{prefix}Ec0000{n:06d}AAA"


def main() -> None:
    rng = random.Random(7)
    accounts = [
        {
            "Id": _id("001", i),
            "IsDeleted": "",
            "Name": name,
            "Website": f"https://www.{domain}",
            "Industry": industry,
            "BillingCountry": country,
            "NumberOfEmployees": str(rng.choice([40, 250, 1200, 5000])),
            "OwnerId": OWNER,
            "CreatedDate": STAMP,
            "SystemModstamp": STAMP,
        }
        for i, (name, domain, country, industry) in enumerate(COMPANIES, 1)
    ]
    contacts = []
    for i in range(1, 21):
        account = accounts[i % len(accounts)]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        domain = account["Website"].removeprefix("https://www.")
        contacts.append(
            {
                "Id": _id("003", i),
                "IsDeleted": "",
                "AccountId": account["Id"],
                "LastName": last,
                "FirstName": first,
                "Email": f"{first}.{last}{i}@{domain}".lower(),
                "OwnerId": OWNER,
                "CreatedDate": STAMP,
                "SystemModstamp": STAMP,
            }
        )
    leads = []
    for i in range(1, 31):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name, domain, country, industry = rng.choice(COMPANIES)
        leads.append(
            {
                "Id": _id("00Q", i),
                "IsDeleted": "",
                "LastName": last,
                "FirstName": first,
                "Title": rng.choice(["VP Sales", "Engineer", "Head of IT", ""]),
                "Company": name,
                "Country": country,
                "Email": f"{first}.{last}{i}@lead-{domain}".lower(),
                "LeadSource": rng.choice(["Web", "Demo Request", "Partner Referral"]),
                "Status": "Open - Not Contacted",
                "Industry": industry,
                "NumberOfEmployees": str(rng.choice([10, 300, 2000])),
                "OwnerId": OWNER,
                "IsConverted": "false",
                "CreatedDate": STAMP,
                "SystemModstamp": STAMP,
            }
        )
    for name, rows in (("Account", accounts), ("Contact", contacts), ("Lead", leads)):
        with (HERE / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)


if __name__ == "__main__":
    main()
