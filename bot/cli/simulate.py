"""``leadrouter simulate``: dry-run a routing.yml over a CSV of leads; no side effects.

Exit 0 on success (bad rows are reported and skipped), 1 when a config has errors,
2 when the CSV cannot be read.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from collections.abc import Callable, Generator, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bot.cli import read_ahead, simulate_json

# What a run needs is imported when it runs (``leadrouter`` start-up is part of every
# simulate): the engine and the CSV reader in ``handle``, rich only for tables, the
# matcher only with --accounts/--contacts.
if TYPE_CHECKING:
    from bot.leads_csv import BadRow, CsvLead, LeadsStream
    from routing.config.models import RoutingConfig
    from routing.matching import MatchIndex
    from routing.simulate import (
        Comparing,
        Prepared,
        SimDecision,
        SimLead,
        Simulation,
    )


T = TypeVar("T")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "simulate",
        help="dry-run a routing.yml over a CSV of leads (no database, no Slack)",
        description="Route every lead of a CSV in file order with an in-memory roster: "
        "rotation and rolling caps carry from lead to lead, every offer counts as accepted "
        "at once. Nothing is stored and nothing is sent.",
    )
    parser.add_argument(
        "--config", type=Path, help="routing.yml to test (default LEADROUTER_CONFIG or routing.yml)"
    )
    parser.add_argument(
        "--leads",
        type=Path,
        required=True,
        help="CSV of leads: canonical columns or a Salesforce Lead export",
    )
    parser.add_argument(
        "--against", type=Path, help="another routing.yml (e.g. the live one) to compare with"
    )
    parser.add_argument(
        "--at",
        type=_time_arg,
        help="ISO time for leads without a created_at/CreatedDate cell (no offset = UTC; "
        "default now)",
    )
    parser.add_argument(
        "--ignore-created-at",
        action="store_true",
        help="route every lead at --at even when the CSV has created_at/CreatedDate",
    )
    parser.add_argument(
        "--accounts",
        type=Path,
        help="accounts CSV export to match leads against (fills account.*), as for "
        "`leadrouter sync --accounts`",
    )
    parser.add_argument(
        "--contacts", type=Path, help="contacts CSV export, for duplicate.* and tie-breaks"
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument(
        "--trace",
        action="store_true",
        help="with --format json: each decision also has its full trace (every rule tried, "
        "every candidate and why), as `leadrouter explain` shows a stored lead's",
    )
    parser.add_argument(
        "--jobs",
        type=_jobs_arg,
        help="processes to use: with 2, a second process reads, normalises and matches the "
        "leads while this one routes them in file order (not with --trace, --compare-owner, "
        "or --against in table format); 1 does all in one. Default: 2 where two CPUs are "
        "free. The output is the same either way",
    )
    parser.add_argument(
        "--compare-owner",
        metavar="COLUMN",
        help="parity report: compare our assignee with the owner Salesforce gave each lead in "
        "this column of the export (bot/cli/parity.py); exit 3 when some disagree",
    )
    parser.add_argument(
        "--owner-map",
        help="with --compare-owner: CSV/YAML of Salesforce owner names -> rep/queue ids "
        "(as import-salesforce-rules --map)",
    )
    parser.set_defaults(handler=handle)


def _matcher(accounts: Path | None, contacts: Path | None, threshold: float) -> MatchIndex | None:
    """A match index over CSV exports, or None (no account.* / duplicate.* fields)."""
    if accounts is None and contacts is None:
        return None
    from bot.crm_csv import read_crm_csv
    from routing.matching import AccountRecord, ContactRecord, MatchIndex
    from storage.crm import account_values, contact_values

    loads = [read_crm_csv(p, o) for p, o in ((accounts, "Account"), (contacts, "Contact")) if p]
    for load in loads:
        if load.note:
            print(f"{load.sobject.lower()}s: {load.note}", file=sys.stderr)
        for bad in load.bad:
            print(f"{load.sobject.lower()}s: skipped {bad}", file=sys.stderr)
    records = {load.sobject: load.records for load in loads}
    return MatchIndex.build(
        [AccountRecord(r["Id"], **account_values(r)) for r in records.get("Account", [])],
        [ContactRecord(r["Id"], **contact_values(r)) for r in records.get("Contact", [])],
        threshold=threshold,
    )


def _sim_leads(
    leads: Iterable[CsvLead],
    use_created_at: bool,
    index: MatchIndex | None,
    config: RoutingConfig,
) -> Iterator[SimLead]:
    """The rows as leads to route, matched to the accounts and contacts if given."""
    if index is None:
        for lead in leads:
            yield lead.sim_lead(use_created_at=use_created_at)
        return
    from bot.services.matching import owner_lookup
    from routing.simulate import SimLead

    owners = owner_lookup(config, {})
    for row in leads:
        sim = row.sim_lead(use_created_at=use_created_at)
        result = index.match(sim.fields, owner_to_rep=owners)
        yield SimLead(sim.id, {**sim.fields, **result.fields()}, sim.created_at, normalized=True)


def _jobs_arg(value: str) -> int:
    if value not in ("1", "2"):
        raise argparse.ArgumentTypeError(f"{value!r}: use 1 or 2")
    return int(value)


def _time_arg(value: str) -> datetime:
    from bot.leads_csv import parse_time

    try:
        return parse_time(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO 8601 time, e.g. 2024-05-14T16:00:00Z"
        ) from None


def _load(path: Path) -> RoutingConfig | None:
    from routing.config.loader import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as err:
        for issue in err.issues:
            print(str(issue), file=sys.stderr)
        print(f"{len(err.issues)} error(s) in {path}", file=sys.stderr)
        return None


def handle(args: argparse.Namespace) -> int:
    from bot.crm_csv import CrmCsvError
    from bot.leads_csv import CsvError, LeadsStream
    from routing.simulate import Simulation, compare, simulate

    config_path = args.config or Path(os.environ.get("LEADROUTER_CONFIG", "routing.yml"))
    config = _load(config_path)
    if config is None:
        return 1
    old = None
    if args.against is not None:
        old = _load(args.against)
        if old is None:
            return 1
    try:
        leads_file = LeadsStream(args.leads, field_map=config.salesforce.fields)
    except CsvError as err:
        print(f"cannot read the leads: {err}", file=sys.stderr)
        return 2

    try:
        matcher = _matcher(args.accounts, args.contacts, config.salesforce.match_threshold)
    except CrmCsvError as err:
        print(f"cannot read the accounts/contacts: {err}", file=sys.stderr)
        return 2

    default_time = args.at or datetime.now(UTC)
    use_created = not args.ignore_created_at
    if args.compare_owner is not None:
        from bot.cli.parity import run_parity

        rows = list(leads_file)
        _report_rows(leads_file)
        sims = _sim_leads(rows, use_created, matcher, config)
        return run_parity(config, args, [r.row for r in rows], sims, default_time)
    same_rows = old is None or old.salesforce.fields == config.salesforce.fields
    if args.format == "json" and same_rows:
        # One lead at a time from the file to stdout: memory stays flat on any file (with
        # --against, both configs route each lead in turn; only changes are kept).
        run = Simulation(config, default_time, keep_traces=args.trace)
        decisions, ahead, finish = _streamed(
            args, run, old, leads_file, use_created, matcher, default_time
        )
        try:
            simulate_json.stream(
                sys.stdout,
                decisions,
                run,
                leads_file,
                default_time,
                config_path,
                trace=args.trace,
                finish=finish,
            )
            sys.stdout.flush()
        except BrokenPipeError:  # `| head`: the reader left; no traceback for that
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
        finally:
            if ahead is not None:
                ahead.close()  # stops the read-ahead process if it is still reading
        _report_rows(leads_file)
        return 0

    traces = args.trace and args.format == "json"
    leads: list[CsvLead] = []
    if old is None and not traces and read_ahead.usable(args.jobs):
        run = Simulation(config, default_time, keep_traces=False)
        prepared = _ahead(leads_file, lambda: _prepared(run, leads_file, use_created, matcher), run)
        try:
            result = run.result([run.decide(lead) for lead in prepared])
        finally:
            prepared.close()
    else:
        leads = list(leads_file)
        result = simulate(
            config,
            _sim_leads(leads, use_created, matcher, config),
            default_time,
            keep_traces=traces,
        )
    comparison = None
    if old is not None:
        before_leads: Iterable[CsvLead] = leads
        if old.salesforce.fields != config.salesforce.fields:
            before_leads = LeadsStream(args.leads, field_map=old.salesforce.fields)
        before = simulate(
            old,
            _sim_leads(before_leads, use_created, matcher, old),
            default_time,
            keep_traces=False,
        )
        comparison = compare(result, before)

    # stderr, like skipped rows: stdout stays one JSON document with --format json.
    _report_rows(leads_file)
    if args.format == "json":
        doc = simulate_json.document(
            result, comparison, leads_file, default_time, config_path, args.against
        )
        if traces:
            for item, sim in zip(doc["decisions"], result.decisions, strict=True):
                item["trace"] = sim.decision.trace
        print(json.dumps(doc, indent=2, default=str))
    else:
        from bot.cli.simulate_tables import tables

        tables(result, comparison, leads_file, default_time, config_path, args.against)
    return 0


def _streamed(
    args: argparse.Namespace,
    run: Simulation,
    old: RoutingConfig | None,
    leads_file: LeadsStream,
    use_created: bool,
    matcher: MatchIndex | None,
    default_time: datetime,
) -> tuple[
    Iterable[SimDecision],
    Generator[Any, None, None] | None,
    Callable[[dict[str, Any]], None] | None,
]:
    """The decisions to stream (with --against: ``old`` routes each lead too and the pair
    is compared), the read-ahead generator to close if one is used, and what adds the
    comparison to the summary."""
    from routing.simulate import Comparing, Simulation

    config = run.config
    ahead: Generator[Any, None, None] | None = None
    finish: Callable[[dict[str, Any]], None] | None = None
    decisions: Iterable[SimDecision]
    read_first = not args.trace and read_ahead.usable(args.jobs)
    if old is None:
        if read_first:
            # Reading, normalising and matching need no roster: a second process does them
            # while this one routes in file order (bot/cli/read_ahead.py).
            ahead = _ahead(
                leads_file, lambda: _prepared(run, leads_file, use_created, matcher), run
            )
            decisions = map(run.decide, ahead)
        else:
            decisions = map(run.route, _sim_leads(iter(leads_file), use_created, matcher, config))
        return decisions, ahead, finish

    before_run = Simulation(old, default_time, keep_traces=False)
    comparing = Comparing()
    if read_first:

        def pairs() -> Iterator[tuple[Prepared, Prepared]]:
            after_rows, before_rows = itertools.tee(iter(leads_file))
            return zip(
                map(run.prepare, _sim_leads(after_rows, use_created, matcher, config)),
                map(before_run.prepare, _sim_leads(before_rows, use_created, matcher, old)),
                strict=True,
            )

        ahead = _ahead(leads_file, pairs, run, before_run)
        decisions = _both_decided(run, before_run, comparing, ahead)
    else:
        after_rows, before_rows = itertools.tee(iter(leads_file))
        decisions = _both(
            run,
            before_run,
            comparing,
            _sim_leads(after_rows, use_created, matcher, config),
            _sim_leads(before_rows, use_created, matcher, old),
        )

    def add_comparison(summary: dict[str, Any]) -> None:
        comparison = comparing.result(run.result(), before_run.result())
        summary.update(comparison.to_json())
        summary["against"] = {"config": str(args.against), **comparison.before_summary}

    return decisions, ahead, add_comparison


def _prepared(
    run: Simulation, leads_file: LeadsStream, use_created: bool, matcher: MatchIndex | None
) -> Iterator[Prepared]:
    """The file's leads as ``run.prepare`` reads them."""
    if matcher is None:  # straight from the rows (no SimLead per row)
        prepare = run.prepare_fields
        return (
            prepare(row.lead_id, row.fields, row.created_at if use_created else None)
            for row in leads_file
        )
    return map(run.prepare, _sim_leads(iter(leads_file), use_created, matcher, run.config))


def _ahead(
    leads_file: LeadsStream, produce: Callable[[], Iterable[T]], *runs: Simulation
) -> Generator[T, None, None]:
    """``produce()`` (which reads ``leads_file``) made in a second process; the file's row
    counts come back with the last item. ``runs`` warm up while the first leads are read."""

    def counts() -> tuple[int, list[BadRow]]:
        return leads_file.good, leads_file.bad_rows

    def keep(got: tuple[int, list[BadRow]]) -> None:
        leads_file.good, leads_file.bad_rows = got

    def warm() -> None:
        for run in runs:
            run.warm()

    return read_ahead.ahead(produce, counts, keep, meanwhile=warm)


def _both_decided(
    run: Simulation,
    before_run: Simulation,
    comparing: Comparing,
    pairs: Iterable[tuple[Prepared, Prepared]],
) -> Iterator[SimDecision]:
    """:func:`_both` of leads read ahead."""
    for new_lead, old_lead in pairs:
        new = run.decide(new_lead)
        comparing.add(before_run.decide(old_lead), new)
        yield new


def _both(
    run: Simulation,
    before_run: Simulation,
    comparing: Comparing,
    after: Iterable[SimLead],
    before: Iterable[SimLead],
) -> Iterator[SimDecision]:
    """Each lead routed by both configs in turn: the new decision, the pair compared."""
    for new_lead, old_lead in zip(after, before, strict=True):
        new = run.route(new_lead)
        comparing.add(before_run.route(old_lead), new)
        yield new


def _report_rows(leads_file: LeadsStream) -> None:
    if leads_file.note:
        print(leads_file.note, file=sys.stderr)
    for bad in leads_file.bad_rows:
        print(f"{leads_file.path}: skipped {bad}", file=sys.stderr)
