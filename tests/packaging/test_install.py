"""A plain install works: the wheel, installed into a clean virtualenv from the runtime
lock file without the dev extras, runs its console script and imports every module the
console script can reach (so nothing imports a test-only package)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEV_ONLY = ["pytest", "hypothesis", "trustme", "jsonschema", "rule_engine", "mypy", "ruff"]
IMPORT_ALL = r"""
import importlib, json, pkgutil, sys
from importlib.metadata import distribution
dist = distribution("slack-lead-router")
tops = sorted(set((dist.read_text("top_level.txt") or "").split()))
failed, imported = {}, 0
for top in tops:
    package = importlib.import_module(top)
    for info in pkgutil.walk_packages(package.__path__, top + "."):
        if ".migrations." in info.name + ".":
            continue  # Alembic loads these from their files, with its context set up
        try:
            importlib.import_module(info.name)
            imported += 1
        except Exception as exc:
            failed[info.name] = f"{type(exc).__name__}: {exc}"
dev = [m for m in sys.argv[1:] if importlib.util.find_spec(m) is not None]
print(json.dumps({"tops": tops, "imported": imported, "failed": failed, "dev": dev}))
"""


def _run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=600, env=env, cwd=REPO
    )


@pytest.mark.timeout(900)
def test_wheel_installs_and_runs_without_dev_extras(tmp_path: Path) -> None:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    assert uv, "uv (a dev dependency) builds and installs the wheel"
    built = _run(uv, "build", "--wheel", "--out-dir", tmp_path / "dist", REPO)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("slack_lead_router-*.whl"))

    venv = tmp_path / "venv"
    assert _run(uv, "venv", "--python", sys.executable, venv).returncode == 0
    python = venv / "bin" / "python"
    installed = _run(
        uv, "pip", "install", "--python", python, "-r", REPO / "requirements/runtime.txt", wheel
    )
    assert installed.returncode == 0, installed.stderr[-2000:]

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{venv / 'bin'}:{env.get('PATH', '')}"
    helped = _run(venv / "bin" / "leadrouter", "--help", env=env)
    assert helped.returncode == 0 and "simulate" in helped.stdout, helped.stderr
    valid = _run(venv / "bin" / "leadrouter", "validate", REPO / "examples/routing.yml", env=env)
    assert valid.returncode == 0, valid.stdout + valid.stderr

    report = _run(python, "-c", IMPORT_ALL, *DEV_ONLY, env=env)
    assert report.returncode == 0, report.stderr[-3000:]
    found = json.loads(report.stdout)
    assert found["failed"] == {}
    assert found["dev"] == [], "a dev-only package is installed without the dev extras"
    assert {"bot", "lifecycle", "routing", "storage", "slack_emulator"} <= set(found["tops"])
    assert "tests" not in found["tops"]
    assert found["imported"] > 100
