"""``leadrouter simulate --format json``: the document, and the same bytes written as the
leads are routed (``stream``)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterable
from datetime import datetime
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from bot.leads_csv import LeadsFile, LeadsStream
    from routing.simulate import Comparison, SimDecision, Simulation, SimulationResult

__all__ = ["document", "stream"]


def _input(
    leads_file: LeadsFile | LeadsStream, default_time: datetime, config_path: Path
) -> dict[str, Any]:
    return {
        "file": str(leads_file.path),
        "layout": leads_file.layout,
        "encoding": leads_file.encoding,
        "encoding_note": leads_file.note,
        "rows": leads_file.rows,
        "config": str(config_path),
        "default_time": default_time.isoformat(),
    }


def document(
    result: SimulationResult,
    comparison: Comparison | None,
    leads_file: LeadsFile | LeadsStream,
    default_time: datetime,
    config_path: Path,
    against: Path | None,
) -> dict[str, Any]:
    doc = result.to_json()
    summary = doc["summary"]
    summary["input"] = _input(leads_file, default_time, config_path)
    summary["bad_rows"] = [bad.to_json() for bad in leads_file.bad_rows]
    if comparison is not None:
        summary.update(comparison.to_json())
        summary["against"] = {"config": str(against), **comparison.before_summary}
    return doc


def _text(value: str | None) -> str:
    return "null" if value is None else encode_basestring_ascii(value)


def _decision_json(sim: SimDecision, trace: bool = False) -> str:
    """``SimDecision.to_json()`` as ``json.dumps(doc, indent=2)`` writes it in the list
    (``trace``: with the decision's trace)."""
    d = sim.decision
    if trace:
        item = {**sim.to_json(), "trace": d.trace}
        return textwrap.indent(json.dumps(item, indent=2, default=str), "    ")
    return (
        f'    {{\n      "lead": {_text(sim.lead)},\n      "rule": {_text(d.rule)},\n'
        f'      "target": {_text(d.target)},\n      "assignee": {_text(d.assignee)},\n'
        f'      "queue": {_text(d.queue)},\n      "reason": {_text(d.reason)}\n    }}'
    )


def stream(
    out: TextIO,
    decisions: Iterable[SimDecision],
    run: Simulation,
    leads_file: LeadsStream,
    default_time: datetime,
    config_path: Path,
    *,
    trace: bool = False,
    finish: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """The document :func:`document` makes, byte for byte, written as the leads are routed:
    each decision when it is made, the summary at the end (``finish`` adds to it)."""
    write = out.write
    write('{\n  "decisions": [')
    batch: list[str] = []
    sep = "\n"
    for sim in decisions:
        batch.append(sep)
        batch.append(_decision_json(sim, trace))
        sep = ",\n"
        if len(batch) >= 2048:
            write("".join(batch))
            batch.clear()
    write("".join(batch))
    write("]" if sep == "\n" else "\n  ]")
    summary = run.result().summary_json()
    summary["input"] = _input(leads_file, default_time, config_path)
    summary["bad_rows"] = [bad.to_json() for bad in leads_file.bad_rows]
    if finish is not None:
        finish(summary)
    tail = json.dumps({"summary": summary}, indent=2, default=str)
    write(",\n" + tail[2:] + "\n")
