"""``leadrouter simulate --format table``: the run as rich tables (rich is imported only
here, and only then)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from bot.leads_csv import LeadsFile, LeadsStream
    from routing.simulate import Comparison, SimDecision, SimulationResult

__all__ = ["tables"]


def _console() -> Console:
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, 160)
    return console


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _owner(sim: SimDecision) -> str:
    d = sim.decision
    if d.assignee is not None:
        return d.assignee
    if d.queue is not None:
        return f"queue {d.queue}"
    if d.outcome == "kept":
        return "current owner"  # a keep_owner rule
    return "[red]unrouted[/red]"


def tables(
    result: SimulationResult,
    comparison: Comparison | None,
    leads_file: LeadsFile | LeadsStream,
    default_time: datetime,
    config_path: Path,
    against: Path | None,
) -> None:
    from rich.markup import escape
    from rich.table import Table

    out = _console()
    totals = result.totals
    out.print(
        f"[bold]Simulated {totals['leads']} lead(s)[/bold] from {escape(str(leads_file.path))} "
        f"({leads_file.layout} layout) with {config_path} (version {result.config_version}); "
        f"leads without created_at at {_when(default_time)}. Nothing was stored or sent."
    )

    table = Table(title="Decisions", title_justify="left")
    for col in ("#", "lead", "at", "rule", "target", "to", "tier", "reason"):
        table.add_column(col, overflow="fold")
    for i, sim in enumerate(result.decisions, 1):
        d = sim.decision
        table.add_row(
            str(i),
            escape(sim.lead),  # CSV text: a '[/x]' in it is not rich markup
            _when(sim.at),
            d.rule or "-",
            d.target or "-",
            _owner(sim),
            sim.tier or "-",
            escape(d.reason),
        )
    out.print(table)

    table = Table(title="Totals", title_justify="left")
    for col in ("leads", "to a rep", "to a queue", "unrouted", "bad rows skipped"):
        table.add_column(col, justify="right")
    table.add_row(
        str(totals["leads"]),
        str(totals["to_rep"]),
        str(totals["to_queue"]),
        str(totals["unrouted"]),
        str(len(leads_file.bad_rows)),
    )
    out.print(table)

    table = Table(title="Rule hits", title_justify="left")
    table.add_column("rule")
    table.add_column("leads", justify="right")
    for rule, hits in result.rule_hits.items():
        table.add_row(rule, str(hits) if hits else "[dim]0[/dim]")
    out.print(table)

    routed = max(totals["to_rep"], 1)
    table = Table(title="Distribution per rep", title_justify="left")
    table.add_column("rep")
    table.add_column("leads", justify="right")
    table.add_column("share", justify="right")
    table.add_column("")
    for rep, n in result.per_rep.items():
        table.add_row(rep, str(n), f"{100 * n / routed:.0f}%", "█" * round(30 * n / routed))
    for queue, n in result.per_queue.items():
        table.add_row(f"[cyan]queue {queue}[/cyan]", str(n), "", "")
    out.print(table)

    table = Table(title="Fairness per pool", title_justify="left")
    for col in ("pool", "strategy", "leads", "counts", "min", "max", "spread", "max/min"):
        table.add_column(col, justify="right" if col in ("leads", "min", "max") else "left")
    table.add_column("gini (per weight)", justify="right")
    table.add_column("skipped", overflow="fold")
    for pool, fair in result.fairness.items():
        counts = ", ".join(
            f"{rep} {n}" + (f" (w{fair.weights[rep]})" if fair.strategy == "weighted" else "")
            for rep, n in fair.counts.items()
        )
        skipped = "; ".join(
            f"{rep}: " + ", ".join(f"{why} x{n}" for why, n in reasons.items())
            for rep, reasons in fair.skipped.items()
        )
        ratio = fair.max_min_ratio
        table.add_row(
            pool,
            fair.strategy,
            str(fair.total),
            counts,
            str(fair.min),
            str(fair.max),
            str(fair.spread),
            "-" if ratio is None else f"{ratio:g}",
            f"{fair.gini:.3f}",
            skipped or "-",
        )
    out.print(table)

    if result.unrouted:
        out.print(
            f"[red]Unrouted ({len(result.unrouted)}):[/red] " + escape(", ".join(result.unrouted))
        )
    else:
        out.print("Unrouted: none")

    if comparison is not None:
        _comparison_tables(out, comparison, against)

    if leads_file.bad_rows:
        table = Table(title="Skipped rows (row = data row after the header)", title_justify="left")
        table.add_column("row", justify="right")
        table.add_column("line", justify="right")
        table.add_column("problem")
        for bad in leads_file.bad_rows:
            table.add_row(str(bad.row), str(bad.line), escape(bad.message))
        out.print(table)


def _comparison_tables(out: Console, comparison: Comparison, against: Path | None) -> None:
    from rich.markup import escape
    from rich.table import Table

    before_version = comparison.before_summary.get("config_version")
    out.print(
        f"[bold]Against {against}[/bold] (version {before_version}): "
        f"{len(comparison.changes)} lead(s) change owner or rule."
    )
    if comparison.changes:
        table = Table(title="Changes", title_justify="left")
        for col in ("lead", "changed", "before", "after"):
            table.add_column(col, overflow="fold")
        for change in comparison.changes:
            table.add_row(
                escape(change.lead),
                ", ".join(change.what),
                f"{change.before.decision.rule or '-'} -> {_owner(change.before)}",
                f"{change.after.decision.rule or '-'} -> {_owner(change.after)}",
            )
        out.print(table)
    table = Table(title="Distribution shift", title_justify="left")
    table.add_column("rep / queue")
    for col in ("before", "after", "delta"):
        table.add_column(col, justify="right")
    for key, (before, after) in comparison.shift.items():
        delta = after - before
        style = "green" if delta > 0 else "red" if delta < 0 else "dim"
        table.add_row(key, str(before), str(after), f"[{style}]{delta:+d}[/{style}]")
    out.print(table)
