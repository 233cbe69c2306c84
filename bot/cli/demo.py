"""``leadrouter demo``: the whole product on SQLite with the built-in Slack emulator."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("demo", help="run the demo: no tokens, no network")
    parser.add_argument("--config", type=Path, help="routing.yml (default examples/routing.yml)")
    parser.add_argument("--leads", type=Path, help="leads CSV (default examples/leads.csv)")
    parser.add_argument(
        "--speed",
        type=float,
        default=60.0,
        help="clock speed-up: 60 means one real second is one demo minute",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed for the simulated reps")
    parser.add_argument("--max-seconds", type=float, default=50.0, help="stop after this long")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from bot.demo.runner import run_demo

    return run_demo(
        config=args.config,
        leads=args.leads,
        speed=args.speed,
        seed=args.seed,
        max_seconds=args.max_seconds,
    )
