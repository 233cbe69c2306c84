"""The container and compose files stay true to the code: what they copy exists, the
variables they set are settings the bot reads, and every secret they mount is declared."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.settings import ENV

REPO = Path(__file__).resolve().parents[2]


def test_dockerfile_copies_what_exists_and_runs_unprivileged() -> None:
    text = (REPO / "Dockerfile").read_text()
    sources = [
        part
        for line in text.splitlines()
        if line.startswith("COPY ") and "--from=" not in line
        for part in line.split()[1:-1]
    ]
    assert sources and all((REPO / s).exists() for s in sources), sources
    assert "requirements/runtime.txt" in sources  # installed from the lock
    packages = {
        d.name
        for d in REPO.iterdir()
        if (d / "__init__.py").exists() and d.name not in ("tests", "benchmarks")
    }
    assert packages <= set(sources), f"the image misses {sorted(packages - set(sources))}"
    assert re.search(r"^USER leadrouter$", text, re.M)
    assert "HEALTHCHECK" in text and "/readyz" in text
    for var in re.findall(r"^\s+(LEADROUTER_[A-Z_]+)=", text, re.M):
        assert var in ENV.values(), var


def test_compose_runs_two_replicas_on_one_postgres_with_file_secrets() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    services = compose["services"]
    bots = [name for name in services if name.startswith("bot-")]
    assert len(bots) >= 2 and "postgres" in services
    known = set(ENV.values())
    for name in bots:
        bot = services[name]
        env = bot["environment"]
        for var in env:
            assert var.removesuffix("_FILE") in known, var
        assert "DATABASE_URL_FILE" in env
        assert any(v.endswith(":/config/routing.yml:ro") for v in bot["volumes"])
        assert set(bot["secrets"]) <= set(compose["secrets"])
        assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    for secret in compose["secrets"].values():
        assert secret["file"].startswith("./secrets/")
    assert "secrets/" in (REPO / ".gitignore").read_text()
