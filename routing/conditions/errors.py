"""Errors and trace records of compiled conditions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CheckResult", "ConditionError", "PathItem", "format_path"]

PathItem = str | int


def format_path(path: tuple[PathItem, ...]) -> str:
    """``("any", 1, "title", "matches")`` -> ``"any[1].title.matches"``."""
    out = ""
    for item in path:
        if isinstance(item, int):
            out += f"[{item}]"
        else:
            out += f".{item}" if out else str(item)
    return out


class ConditionError(ValueError):
    """A condition mapping that cannot be compiled.

    ``path`` locates the offending node inside the condition mapping, e.g.
    ``("any", 1, "title", "matches")``; ``message`` says what is wrong with it.
    """

    def __init__(self, path: tuple[PathItem, ...], message: str) -> None:
        self.path: tuple[PathItem, ...] = tuple(path)
        self.message: str = message
        where = format_path(self.path)
        super().__init__(f"{where}: {message}" if where else message)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One leaf matcher evaluated against one lead (for decision traces).

    ``matcher`` is the matcher name (``"eq"`` for a plain value), ``expected`` its argument as
    written in the config and ``actual`` the lead's raw value (None when absent).
    """

    field: str
    matcher: str
    expected: Any
    actual: Any
    passed: bool
