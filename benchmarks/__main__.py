"""``python -m benchmarks [--quick] [--only NAME]``: run benchmarks, print tables and JSON.

Each benchmark module has ``NAME``, ``run(quick, log) -> dict`` and ``table(results)``
(a rich renderable); results are written to ``var/bench/<NAME>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from types import ModuleType

from rich.console import Console

from benchmarks import card_rate, delivery, load, matching, routing, simulate, timers

MODULES: dict[str, ModuleType] = {
    routing.NAME: routing,
    matching.NAME: matching,
    timers.NAME: timers,
    delivery.NAME: delivery,
    card_rate.NAME: card_rate,
    load.NAME: load,
    simulate.NAME: simulate,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs (about 10x faster)")
    parser.add_argument("--only", choices=sorted(MODULES), action="append", help="run only this")
    parser.add_argument("--out", default="var/bench", help="directory for the JSON results")
    parser.add_argument(
        "--pg",
        action="store_true",
        help="also on PostgreSQL where supported (timers, delivery; same as LEADROUTER_BENCH_PG=1)",
    )
    args = parser.parse_args(argv)
    if args.pg:
        os.environ["LEADROUTER_BENCH_PG"] = "1"
    console = Console(width=150)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    blob = {}
    for name in args.only or sorted(MODULES):
        module = MODULES[name]
        started = time.perf_counter()
        results = module.run(quick=args.quick, log=lambda msg: console.log(msg))
        results["quick"] = args.quick
        results["wall_s"] = round(time.perf_counter() - started, 1)
        (out / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
        console.print(module.table(results))
        blob[name] = results
    sys.stdout.write(json.dumps(blob, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
