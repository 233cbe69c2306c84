"""``leadrouter simulate --leads export.csv --compare-owner COLUMN``: a parity report.

A team moving off Salesforce's assignment rules proves the imported rules on its own
history: every lead of an export is routed as ``simulate`` does, and the owner Salesforce
gave it (``COLUMN``: ``OwnerId``, ``Owner.Name``, ``Lead Owner``...) is compared with ours.

The export's owner is resolved to a rep or queue id through, in order: ``--owner-map``
(the same CSV/YAML as ``import-salesforce-rules --map``: Salesforce name -> id), then the
config's reps (id, ``salesforce_user``, email, name) and queues (id), each compared
case-insensitively, then the slug the importer would have made of it.

* A lead we give to a rep or a queue agrees when the resolved owner is that rep or queue.
* A lead we leave with its owner (``keep_owner``) or cannot route agrees when the export's
  owner resolves to none of the config's reps and queues: Salesforce did not route it to
  any of them either.

Prints the agreement and each disagreeing lead with both traces: our decision's, and the
checks of the rules that would have given the lead Salesforce's owner (why none of them
won) (table), or
one JSON document (``--format json``). Exit 0 when every compared lead agrees, 3 when some
disagree (so a script can gate a switch-over on it), 2 when a file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.csv_text import CsvFileError, open_csv_table
from routing.conditions.dates import ROUTING_TIME, routing_time
from routing.config.models import RoutingConfig
from routing.salesforce_rules import slugify
from routing.simulate import SimDecision, SimLead

__all__ = [
    "OwnerResolver",
    "Parity",
    "SalesforceSide",
    "compare_owners",
    "owner_column",
    "run_parity",
]

DISAGREE_EXIT = 3


class OwnerResolver:
    """Salesforce owner text -> a rep id, ``queue:<id>``, or None (none of ours)."""

    def __init__(self, config: RoutingConfig, owner_map: dict[str, str]) -> None:
        self.reps = {rep.id for rep in config.reps}
        self.queues = set(config.queues)
        names: dict[str, str] = {}
        for rep in config.reps:
            for alias in (rep.name, rep.email, rep.salesforce_user, rep.id):
                if alias:
                    names.setdefault(alias.casefold(), rep.id)
        for queue_id in config.queues:
            names.setdefault(queue_id.casefold(), f"queue:{queue_id}")
        self.names = names
        self.mapped = {k.strip().casefold(): v.strip() for k, v in owner_map.items()}

    def _ours(self, ident: str) -> str | None:
        if ident in self.reps:
            return ident
        if ident in self.queues:
            return f"queue:{ident}"
        return self.names.get(ident.casefold())

    def resolve(self, owner: str) -> str | None:
        text = owner.strip()
        if not text:
            return None
        mapped = self.mapped.get(text.casefold())
        if mapped is not None:
            return self._ours(mapped) or mapped
        return self.names.get(text.casefold()) or self._ours(slugify(text))


@dataclass
class Parity:
    column: str
    compared: int = 0
    agree: int = 0
    missing: list[str] = field(default_factory=list)  # leads without an owner cell
    disagreements: list[dict[str, Any]] = field(default_factory=list)

    @property
    def agreement(self) -> float:
        return self.agree / self.compared if self.compared else 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "compared": self.compared,
            "agree": self.agree,
            "agreement": round(self.agreement, 6),
            "without_owner": self.missing,
            "disagreements": self.disagreements,
        }


def _ours(decision: SimDecision) -> str | None:
    d = decision.decision
    if d.outcome == "rep":
        return d.assignee
    if d.outcome == "queue":
        return f"queue:{d.queue}"
    return None  # kept its owner, or unrouted


class SalesforceSide:
    """The other trace of a disagreement: the rules that would give the lead the owner
    Salesforce gave it, each with its checks on the lead (why it did not win)."""

    def __init__(self, config: RoutingConfig) -> None:
        from routing.conditions import compile_condition
        from routing.engine import Router

        self.router = Router(config)
        self.rules = [
            (rule.name, compile_condition(rule.when), _owners_of(config, rule.assign))
            for rule in config.rules
        ]
        # Date matchers read the routing time in the org's zone, as in the engine.
        self.zone = ZoneInfo(config.timezone)

    def trace(
        self, fields: dict[str, Any] | None, owner: str | None, at: datetime | None = None
    ) -> list[dict[str, Any]]:
        """``at``: the time the lead was routed (for relative dates such as TODAY)."""
        if fields is None or owner is None:
            return []
        enriched = self.router.enrich(fields)
        if at is not None:
            enriched[ROUTING_TIME] = routing_time(at, self.zone)
        out = []
        for name, condition, owners in self.rules:
            if owner not in owners:
                continue
            checks = [
                {
                    "field": c.field,
                    "matcher": c.matcher,
                    "expected": c.expected,
                    "actual": c.actual,
                    "passed": c.passed,
                }
                for c in condition.explain(enriched)
            ]
            out.append({"rule": name, "matched": condition.evaluate(enriched), "checks": checks})
        return out


def _owners_of(config: RoutingConfig, targets: Iterable[Any]) -> set[str]:
    """Every rep id / ``queue:<id>`` a rule's targets can give a lead."""
    out: set[str] = set()
    for target in targets:
        if target.kind == "rep" and target.id:
            out.add(target.id)
        elif target.kind == "queue" and target.id:
            out.add(f"queue:{target.id}")
        elif target.kind == "pool" and target.id in config.pools:
            out.update(m.rep for m in config.pools[target.id].members)
    return out


def compare_owners(
    pairs: Iterable[tuple[str, SimDecision]],
    resolver: OwnerResolver,
    column: str,
    fields: list[dict[str, Any]] | None = None,
    salesforce_side: SalesforceSide | None = None,
) -> Parity:
    """Compare each decision with the owner Salesforce gave that lead: ``pairs`` of (the
    export's owner cell, our decision); ``fields`` (the leads' fields, in the same order)
    and ``salesforce_side`` add, for a disagreement, the trace of the rules that would
    have given Salesforce's owner."""
    parity = Parity(column)
    for n, (owner, sim) in enumerate(pairs):
        if not owner.strip():
            parity.missing.append(sim.lead)
            continue
        parity.compared += 1
        expected = resolver.resolve(owner)
        ours = _ours(sim)
        if expected == ours:
            parity.agree += 1
            continue
        d = sim.decision
        parity.disagreements.append(
            {
                "lead": sim.lead,
                "salesforce_owner": owner,
                "salesforce_owner_is": expected,
                "ours": ours,
                "rule": d.rule,
                "target": d.target,
                "reason": d.reason,
                "trace": d.trace,
                "salesforce_trace": (
                    salesforce_side.trace(fields[n] if fields else None, expected, sim.at)
                    if salesforce_side is not None
                    else []
                ),
            }
        )
    return parity


def owner_column(path: Path, column: str) -> dict[int, str]:
    """Row number -> the owner cell, read in the lead reader's row numbering."""
    stream = open_csv_table(path, what="lead rows")
    names = [name.strip() for name in stream.header]
    wanted = column.strip()
    index = next((i for i, n in enumerate(names) if n == wanted), None)
    if index is None:
        index = next((i for i, n in enumerate(names) if n.casefold() == wanted.casefold()), None)
    if index is None:
        raise CsvFileError(
            f"{path} has no column {column!r} for --compare-owner (columns: "
            f"{', '.join(n for n in names if n)})"
        )
    out: dict[int, str] = {}
    for record in stream.records:
        if index < len(record.cells):
            out[record.row] = record.cells[index]
    return out


def _normalised(lead: SimLead) -> dict[str, Any]:
    from routing.normalize import normalize_lead

    return dict(lead.fields) if lead.normalized else normalize_lead(lead.fields)


def _trace_lines(trace: list[dict[str, Any]]) -> list[str]:
    lines = []
    for step in trace:
        kind = step.get("step")
        if kind == "rule":  # each check: what the rule wanted and what the lead had
            mark = "matched" if step.get("matched") else "no match"
            checks = ", ".join(
                f"{c.get('field')} {c.get('matcher')} {c.get('expected')!r}: "
                f"{'yes' if c.get('passed') else 'no'} (lead: {c.get('actual')!r})"
                for c in step.get("checks", [])
            )
            lines.append(f"rule {step.get('rule')!r}: {mark}" + (f" [{checks}]" if checks else ""))
        elif kind == "target":
            lines.append(
                f"  target {step.get('target')}" + (f": {step['why']}" if step.get("why") else "")
            )
        elif kind == "index":
            lines.append(f"{step.get('skipped')} rule(s) skipped: {step.get('why')}")
        elif kind == "fallthrough":
            lines.append(f"  {step.get('rule')}: {step.get('why')}")
    return lines


def print_parity(parity: Parity, out: Any = None) -> None:
    out = out or sys.stdout
    pct = 100 * parity.agreement
    print(
        f"Owner parity on {parity.column!r}: {parity.agree} of {parity.compared} lead(s) "
        f"agree ({pct:.1f} %)"
        + (f"; {len(parity.missing)} without an owner not compared" if parity.missing else ""),
        file=out,
    )
    for item in parity.disagreements:
        print(
            f"\n{item['lead']}: Salesforce {item['salesforce_owner']!r}"
            f" ({item['salesforce_owner_is'] or 'none of ours'}), ours "
            f"{item['ours'] or item['target'] or 'unrouted'} -- {item['reason']}",
            file=out,
        )
        print("  ours:", file=out)
        for line in _trace_lines(item["trace"]):
            print(f"    {line}", file=out)
        if item["salesforce_trace"]:
            print(f"  rules giving {item['salesforce_owner_is']}:", file=out)
            for line in _trace_lines([{"step": "rule", **r} for r in item["salesforce_trace"]]):
                print(f"    {line}", file=out)


def run_parity(
    config: RoutingConfig,
    args: argparse.Namespace,
    rows: list[int],
    sim_leads: Iterable[SimLead],
    default_time: datetime,
) -> int:
    """Route ``sim_leads`` (the CSV's good rows, numbered ``rows``) as ``simulate`` does,
    with traces, and compare each with the owner in ``args.compare_owner``."""
    from bot.cli.import_rules import read_mapping
    from routing.simulate import simulate

    try:
        owner_map = read_mapping(Path(args.owner_map)) if args.owner_map else {}
    except (OSError, ValueError) as exc:
        print(f"error: --owner-map: {exc}", file=sys.stderr)
        return 2
    try:
        cells = owner_column(Path(args.leads), args.compare_owner)
    except CsvFileError as err:
        print(f"cannot read the leads: {err}", file=sys.stderr)
        return 2
    leads = list(sim_leads)  # kept: a disagreement shows what the other rules saw
    result = simulate(config, leads, default_time, keep_traces=True)
    owners = [cells.get(row, "") for row in rows]
    parity = compare_owners(
        zip(owners, result.decisions, strict=True),
        OwnerResolver(config, owner_map),
        args.compare_owner,
        fields=[_normalised(lead) for lead in leads],
        salesforce_side=SalesforceSide(config),
    )
    if args.format == "json":
        print(json.dumps({"parity": parity.to_json()}, indent=2, default=str))
    else:
        print_parity(parity)
    return 0 if not parity.disagreements else DISAGREE_EXIT
