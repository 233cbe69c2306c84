"""Configuration problems, each located by a YAML path and a line number."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ConfigError", "ConfigIssue", "Path", "PathItem", "format_path"]

PathItem = str | int
Path = tuple[PathItem, ...]


def format_path(path: Path) -> str:
    """``("reps", 2, "caps", "day")`` -> ``"reps[2].caps.day"``."""
    out = ""
    for item in path:
        if isinstance(item, int) and not isinstance(item, bool):
            out += f"[{item}]"
        else:
            out += f".{item}" if out else str(item)
    return out


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem: ``path`` like ``"pools.west-sdr.members[1]"``, 1-based ``line`` of that
    node (or of its nearest parent present in the file), and a human ``message``."""

    path: str
    line: int | None
    message: str
    source: str = "routing.yml"

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ConfigError(ValueError):
    """A configuration that cannot be used; ``issues`` lists every problem found."""

    def __init__(self, issues: Iterable[ConfigIssue]) -> None:
        self.issues: list[ConfigIssue] = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))

    def __str__(self) -> str:
        return "\n".join(str(issue) for issue in self.issues)
