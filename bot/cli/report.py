"""``leadrouter report [--since 7d] [--out report.html]``."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("report", help="speed-to-lead, acceptance, escalations, fairness")
    parser.add_argument("--since", default="7d", help="period to cover, like 24h, 7d, 4w")
    parser.add_argument("--out", type=Path, default=Path("report.html"), help="HTML file")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from rich.console import Console

    from bot.reporting.html import render_html
    from bot.reporting.report import build_report
    from bot.reporting.stats import percentile
    from routing.durations import parse_duration
    from storage.db import DATABASE_UNAVAILABLE, Database, database_error_message

    try:
        period = parse_duration(args.since)
    except ValueError as exc:
        print(f"--since: {exc}", file=sys.stderr)
        return 2
    db = Database()
    try:
        with db.session() as session:
            report = build_report(session, now=datetime.now(UTC), period=period)
    except DATABASE_UNAVAILABLE as exc:
        print(database_error_message(exc, db.url), file=sys.stderr)
        return 1
    finally:
        db.dispose()
    args.out.write_text(render_html(report), encoding="utf-8")
    s = report.stats
    console = Console()
    p50, p90 = percentile(s.speed_to_lead, 50), percentile(s.speed_to_lead, 90)
    rate = s.acceptance_rate
    console.print(
        f"{s.leads} leads since {report.since:%Y-%m-%d %H:%M} UTC; speed to lead p50 "
        f"{'-' if p50 is None else f'{p50 / 60:.1f} min'}, p90 "
        f"{'-' if p90 is None else f'{p90 / 60:.1f} min'}; acceptance "
        f"{'-' if rate is None else f'{rate:.0%}'}; {report.events['sla.breached']} SLA breaches. "
        f"Report written to {args.out}",
        highlight=False,
    )
    return 0
