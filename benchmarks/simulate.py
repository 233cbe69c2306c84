"""``leadrouter simulate`` as a user meets it: the whole process on a CSV export.

For 50 and 3,000 generated rules (the routing benchmark's configs, written as routing.yml)
and 20,000 generated leads (as a CSV a web form or an export would give), the wall time
of ``leadrouter simulate --format json`` from process start to exit, against the
``rule-engine`` package evaluating the same first-match rules in-process on already
normalised dicts, in the same run. Plus start-up: ``leadrouter validate`` on the
example config.

Targets (issue #15): >= 5x the peer at 50 rules, >= 30x at 3,000 rules. Each simulate row
also has the process's peak RSS; ``LEADROUTER_BENCH_SIMULATE_LEADS=1000000`` adds a run on
that many leads (50 rules) to show memory stays flat.
"""

from __future__ import annotations

import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from rich.table import Table

from benchmarks.routing import (
    build_config,
    build_leads,
    build_raw_config,
    build_raw_leads,
    time_peer,
)
from bot.cli import read_ahead
from routing.engine import Router

NAME = "simulate"
ROOT = Path(__file__).resolve().parents[1]
GOALS = {50: 5.0, 3000: 30.0}
# Columns the matcher fills (account.*) are not in an export.
SKIP = ("account.",)


def _loadable(raw: dict[str, Any]) -> dict[str, Any]:
    """The generated mapping as ``load_config`` accepts it: the generator may ask a pool
    for skills none of its members has (a file-level check the model alone skips)."""
    skills = {r["id"]: set(r.get("skills") or ()) for r in raw["reps"]}

    def members(pool: str) -> list[str]:
        return [m["rep"] if isinstance(m, dict) else m for m in raw["pools"][pool]["members"]]

    for rule in raw["rules"]:
        assign = rule.get("assign")
        if isinstance(assign, dict) and assign.get("require_skills") and "pool" in assign:
            need = set(assign["require_skills"])
            if not any(need <= skills[m] for m in members(assign["pool"])):
                assign = {k: v for k, v in assign.items() if k != "require_skills"}
                rule["assign"] = assign
    return raw


def write_csv(path: Path, leads: Iterable[Mapping[str, Any]]) -> int:
    rows = [{k: v for k, v in lead.items() if not k.startswith(SKIP)} for lead in leads]
    columns = sorted({k for row in rows for k in row})
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", *columns])
        writer.writeheader()
        for i, row in enumerate(rows):
            writer.writerow({"id": f"B-{i}", **row})
    return len(rows)


# `python -m bot.cli ARGS`, reporting its own peak RSS (VmHWM: since exec, so not the
# benchmark process's memory the fork copied) and its read-ahead child's (ru_maxrss of the
# reaped children) on stderr as it exits.
_BOOT = """\
import atexit, resource, sys
def _peak():
    try:
        with open("/proc/self/status") as f:
            kib = int(next(line.split()[1] for line in f if line.startswith("VmHWM:")))
    except (OSError, StopIteration):
        return
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print("@@peak_rss_kib", kib, child, file=sys.stderr)
atexit.register(_peak)
from bot.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _all_cpus() -> None:
    # The routing benchmark pins this process to one core; a user's `leadrouter` runs on
    # all of them (simulate reads ahead in a second process where two are free).
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, range(os.cpu_count() or 1))


Rss = tuple[float, float] | None  # peak RSS in MiB: (the process, its read-ahead child)


def _leadrouter(*args: str) -> tuple[float, Rss]:
    """Wall seconds and peak RSS (None where /proc is not) of one ``leadrouter``: the
    process's own and its read-ahead child's (0 without one). The child's counts the pages
    it still shares with its parent too."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _BOOT, *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
        preexec_fn=_all_cpus,
    )
    wall = time.perf_counter() - started
    err = proc.stderr.decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"leadrouter {args[0]} failed: {err[-2000:]}")
    peak = [line.split()[1:] for line in err.splitlines() if line.startswith("@@peak_rss_kib")]
    if not peak:
        return wall, None
    own, child = (int(kib) / 1024 for kib in peak[-1])
    return wall, (own, child)


def _best(args: tuple[str, ...], repeat: int) -> tuple[float, Rss]:
    """The fastest of ``repeat`` runs, with the largest peak RSS seen."""
    runs = [_leadrouter(*args) for _ in range(repeat)]
    rss = [r for _, r in runs if r is not None]
    if not rss:
        return min(w for w, _ in runs), None
    return min(w for w, _ in runs), (max(r[0] for r in rss), max(r[1] for r in rss))


def _mib(rss: Rss, which: int) -> int | None:
    return None if rss is None else round(rss[which])


def _byte_compiled() -> None:
    """The project's modules byte-compiled, as ``pip install`` leaves them for a user: with
    PYTHONDONTWRITEBYTECODE set (as on CI machines) and no ``__pycache__`` yet, each
    ``leadrouter`` measured would compile ~100 modules from source first (~0.25 s)."""
    import compileall

    for package in ("bot", "routing", "lifecycle", "storage"):
        compileall.compile_dir(ROOT / package, quiet=1)


def run(quick: bool = False, log: Callable[[str], None] = print) -> dict[str, Any]:
    _byte_compiled()
    n_leads = 4_000 if quick else 20_000
    repeat = 1 if quick else 5  # the best of: other work on the machine only slows a run
    results: dict[str, Any] = {"benchmark": NAME, "leads": n_leads, "sizes": []}
    with tempfile.TemporaryDirectory(prefix="bench-sim-") as tmp:
        work = Path(tmp)
        for size, peer_n in ((50, 2000), (3000, 100)):
            if quick:
                peer_n = max(50, peer_n // 4)
            raw, gen = build_raw_config(size)
            config_path = work / f"routing-{size}.yml"
            raw = _loadable({k: v for k, v in raw.items() if k != "version"})
            config_path.write_text(yaml.safe_dump(raw, sort_keys=False))
            leads_path = work / f"leads-{size}.csv"
            write_csv(leads_path, build_raw_leads(gen, n_leads))
            args = (
                "simulate", "--config", str(config_path), "--leads", str(leads_path),
                "--format", "json", "--at", "2026-03-02T15:00:00Z",
            )  # fmt: skip
            wall, rss = _best(args, repeat)
            one_wall, one_rss = _best((*args, "--jobs", "1"), repeat)
            config, gen = build_config(size)
            router = Router(config)
            peer, _ = time_peer(config, build_leads(router, gen, peer_n))
            ours = n_leads / wall
            theirs = peer.leads / peer.cpu_s if peer.cpu_s else 0.0
            row = {
                "rules": size,
                "simulate_leads_per_s": round(ours),
                "simulate_wall_s": round(wall, 2),
                "simulate_peak_rss_mib": _mib(rss, 0),
                "read_ahead_peak_rss_mib": _mib(rss, 1),
                "processes": 2 if read_ahead.usable(os.cpu_count()) else 1,
                "one_process_leads_per_s": round(n_leads / one_wall),
                "one_process_wall_s": round(one_wall, 2),
                "one_process_peak_rss_mib": _mib(one_rss, 0),
                "peer_leads_per_s": round(theirs),
                "ratio": round(ours / theirs, 2) if theirs else None,
                "one_process_ratio": round(n_leads / one_wall / theirs, 2) if theirs else None,
                "goal": GOALS[size],
            }
            log(f"simulate: {row}")
            results["sizes"].append(row)
        big = int(os.environ.get("LEADROUTER_BENCH_SIMULATE_LEADS") or 0)
        if big:
            # Memory stays flat: the same command on a much longer file (50 rules).
            raw, gen = build_raw_config(50)
            leads_path = work / "leads-big.csv"
            write_csv(leads_path, build_raw_leads(gen, big))
            wall, rss = _leadrouter(
                "simulate", "--config", str(work / "routing-50.yml"), "--leads", str(leads_path),
                "--format", "json", "--at", "2026-03-02T15:00:00Z",
            )  # fmt: skip
            results["big"] = {
                "leads": big,
                "wall_s": round(wall, 1),
                "leads_per_s": round(big / wall),
                "peak_rss_mib": _mib(rss, 0),
                "read_ahead_peak_rss_mib": _mib(rss, 1),
            }
            log(f"simulate: {results['big']}")
    walls = [_leadrouter("validate", str(ROOT / "examples" / "routing.yml"))[0] for _ in range(3)]
    results["validate_startup_s"] = round(statistics.median(walls), 3)
    log(f"simulate: validate start-up {results['validate_startup_s']} s")
    return results


def table(results: Mapping[str, Any]) -> Table:
    startup = results["validate_startup_s"]
    caption = f"start-up (leadrouter validate, example config): {startup} s"
    big = results.get("big")
    if big:
        caption += (
            f"; {big['leads']:,} leads at 50 rules: {big['wall_s']} s, "
            f"{big['leads_per_s']:,} leads/s, peak RSS {big['peak_rss_mib']} MiB "
            f"(read-ahead process {big.get('read_ahead_peak_rss_mib')} MiB)"
        )
    out = Table(
        title=f"simulate: whole process, {results['leads']:,} leads (CSV in, JSON out)",
        caption=caption,
    )
    cols = (
        "rules", "processes", "simulate leads/s", "wall s", "peak RSS MiB (+ reader)",
        "--jobs 1 leads/s", "rule-engine leads/s", "ratio", "--jobs 1 ratio", "goal",
    )  # fmt: skip
    for col in cols:
        out.add_column(col, justify="right")
    for row in results["sizes"]:
        out.add_row(
            f"{row['rules']:,}",
            f"{row.get('processes', 1)}",
            f"{row['simulate_leads_per_s']:,}",
            f"{row['simulate_wall_s']}",
            f"{row.get('simulate_peak_rss_mib', '-')} + {row.get('read_ahead_peak_rss_mib', '-')}",
            f"{row.get('one_process_leads_per_s', 0):,}",
            f"{row['peer_leads_per_s']:,}",
            f"{row['ratio']}x",
            f"{row.get('one_process_ratio', '-')}x",
            f">= {row['goal']:g}x",
        )
    return out
