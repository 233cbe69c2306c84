"""The packages' arrows go one way: bot -> lifecycle -> storage -> routing.

Read from the source (every import statement, also those inside functions), so a late
import that hides a circle is caught too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Which of our packages each may import (besides itself).
ALLOWED = {
    "routing": set(),
    "storage": {"routing"},
    "lifecycle": {"routing", "storage"},
    "bot": {"routing", "storage", "lifecycle", "slack_emulator"},
    "slack_emulator": set(),
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            # ``from pkg import mod`` also names the submodule pkg.mod (kept as a
            # candidate: the circle check keeps only what is a module of ours).
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _modules(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    wrong = [
        f"{path.relative_to(REPO)}:{line} imports {name}"
        for path in _modules(package)
        for line, name in _imports(path)
        if name.split(".")[0] in ALLOWED
        and name.split(".")[0] != package
        and name.split(".")[0] not in ALLOWED[package]
    ]
    assert not wrong, "\n".join(wrong)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("package", ["routing", "storage", "lifecycle", "bot"])
def test_no_import_circle_inside_a_layer(package: str) -> None:
    graph: dict[str, set[str]] = {}
    for path in _modules(package):
        name = _module_name(path)
        graph[name] = {m for _, m in _imports(path) if m.split(".")[0] == package and m != name}
    for name, deps in graph.items():
        # ``from pkg import mod`` is an arrow to pkg.mod, not to pkg's __init__.
        graph[name] = {
            d
            for d in deps
            if d in graph and not any(e.startswith(d + ".") for e in deps if e in graph)
        }
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, trail: list[str]) -> bool:
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if dep not in graph:
                continue
            if state.get(dep) == 1:
                cycle.extend([*trail[trail.index(dep) :], dep] if dep in trail else [node, dep])
                return True
            if dep not in state and visit(dep, [*trail, dep]):
                return True
        state[node] = 2
        return False

    for start in sorted(graph):
        if start not in state and visit(start, [start]):
            break
    assert not cycle, " -> ".join(cycle)


def test_storage_holds_no_slack_text_or_policy_words() -> None:
    """Storage is rows, locks and queries: no Slack markup, no channel guessing, no
    effect values built there (the application layer decides what happens)."""
    wrong = []
    for path in _modules("storage"):
        text = path.read_text()
        for needle in ("routing.effects import", "chat.postMessage", ":rotating_light:", "<@"):
            if needle in text and not (
                needle == "routing.effects import" and path.name == "outbox.py"
            ):
                wrong.append(f"{path.relative_to(REPO)}: {needle}")
    assert not wrong, wrong


def test_only_the_lifecycle_layer_changes_a_lead_or_an_offer() -> None:
    """Assigning ``.state`` or ``.outcome``, or asking for a transition, happens in
    ``lifecycle/`` only (``routing/states.py`` defines the tables)."""
    wrong = []
    for package in ("bot", "storage", "routing"):
        for path in _modules(package):
            if path.relative_to(REPO).as_posix() == "routing/states.py":
                continue
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                targets = node.targets if isinstance(node, ast.Assign) else []
                for target in targets:
                    if isinstance(target, ast.Attribute) and target.attr in ("state", "outcome"):
                        wrong.append(f"{path.relative_to(REPO)}:{node.lineno} sets .{target.attr}")
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
                    "lead_transition",
                    "offer_transition",
                ):
                    wrong.append(f"{path.relative_to(REPO)}:{node.lineno} changes state")
    assert not wrong, "\n".join(wrong)
