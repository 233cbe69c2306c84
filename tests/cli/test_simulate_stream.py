"""``simulate --format json`` written as the leads are routed (issue #15): the same
document ``json.dumps(doc, indent=2)`` gives, and ``--trace`` adds each decision's trace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.cli.conftest import EXAMPLE_CONFIG, EXAMPLE_LEADS, REPO, CliRunner

AT = "2026-03-02T15:00:00Z"
ARGS = ("simulate", "--config", EXAMPLE_CONFIG, "--leads", EXAMPLE_LEADS, "--format", "json")


def test_streamed_document_is_what_json_dumps_writes(cli: CliRunner) -> None:
    run = cli(*ARGS, "--at", AT)
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert run.out == json.dumps(doc, indent=2) + "\n"
    assert len(doc["decisions"]) == doc["summary"]["totals"]["leads"] == 25


def test_trace_flag_adds_each_decisions_trace(cli: CliRunner) -> None:
    plain = json.loads(cli(*ARGS, "--at", AT).out)
    run = cli(*ARGS, "--at", AT, "--trace")
    assert run.code == 0, run.err
    assert run.out == json.dumps(json.loads(run.out), indent=2) + "\n"
    traced = json.loads(run.out)
    assert traced["summary"] == plain["summary"]
    for with_trace, without in zip(traced["decisions"], plain["decisions"], strict=True):
        trace = with_trace.pop("trace")
        assert with_trace == without and "trace" not in without
        rules = [step["rule"] for step in trace if step["step"] == "rule"]
        assert rules and (without["rule"] is None or rules[-1] == without["rule"])


def test_trace_flag_with_against(cli: CliRunner) -> None:
    run = cli(*ARGS, "--at", AT, "--trace", "--against", EXAMPLE_CONFIG)
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert all(d["trace"] for d in doc["decisions"])
    assert doc["summary"]["changes"] == []


@pytest.mark.parametrize("mode", [["--trace"], ["--jobs", "2"], ["--jobs", "1"]])
def test_a_reader_that_leaves_early_gets_no_traceback(mode: list[str]) -> None:
    """`simulate ... | head`: no traceback, and (--jobs 2) the read-ahead process ends too."""
    leads = REPO / "tests" / "data" / "simulate_golden" / "example-leads.csv"  # 700: > a pipe
    args = ["simulate", "--config", str(EXAMPLE_CONFIG), "--leads", str(leads), "--format"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args, "json", "--at", AT, *mode],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode()  # EOF: every process holding stderr has ended
    proc.wait(timeout=60)
    assert "Traceback" not in err


def test_leads_from_a_pipe_read_once(cli: CliRunner, tmp_path: Path) -> None:
    """A pipe cannot be read twice (the file is checked, then streamed): it is read once."""
    fifo = tmp_path / "leads.csv"
    os.mkfifo(fifo)
    data = EXAMPLE_LEADS.read_bytes()

    def feed() -> None:
        with fifo.open("wb") as pipe:
            pipe.write(data)

    writer = threading.Thread(target=feed)
    writer.start()
    piped = cli("simulate", "--config", EXAMPLE_CONFIG, "--leads", fifo, "--format", "json",
                "--at", AT)  # fmt: skip
    writer.join(timeout=30)
    assert piped.code == 0, piped.err
    plain = json.loads(cli(*ARGS, "--at", AT).out)
    got = json.loads(piped.out)
    assert got["decisions"] == plain["decisions"] and len(got["decisions"]) == 25


def test_against_streamed_is_compare_of_both_runs(cli: CliRunner, tmp_path: Path) -> None:
    """--against with --format json routes each lead by both configs in turn and keeps only
    the changes: the same changes and shift as compare() of the two whole runs."""
    from datetime import datetime

    from bot.leads_csv import read_leads_csv
    from routing.config.loader import load_config
    from routing.simulate import compare, simulate

    candidate = tmp_path / "candidate.yml"
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    candidate.write_text(text.replace("caps: {hour: 4, day: 15}", "caps: {hour: 2, day: 5}"))
    leads = REPO / "tests" / "data" / "simulate_golden" / "example-leads.csv"
    run = cli("simulate", "--config", candidate, "--against", EXAMPLE_CONFIG, "--leads", leads,
              "--format", "json", "--at", AT)  # fmt: skip
    assert run.code == 0, run.err
    summary = json.loads(run.out)["summary"]

    at = datetime.fromisoformat(AT.replace("Z", "+00:00"))
    new, old = load_config(candidate), load_config(EXAMPLE_CONFIG)
    rows = read_leads_csv(leads, field_map=new.salesforce.fields).leads
    after = simulate(new, [r.sim_lead() for r in rows], at)
    before = simulate(old, [r.sim_lead() for r in rows], at)
    expected = json.loads(json.dumps(compare(after, before).to_json()))
    assert expected["changes"], "the candidate should change some leads"
    assert summary["changes"] == expected["changes"]
    assert summary["distribution_shift"] == expected["distribution_shift"]
