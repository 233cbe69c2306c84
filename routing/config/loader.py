"""Load ``routing.yml``: YAML with line numbers -> :class:`RoutingConfig`, or every problem.

>>> parse_config("reps: []\\nrules: []").version
'...'  # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import hashlib
import types
import typing
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from routing.config.issues import ConfigError, ConfigIssue, Path, PathItem
from routing.config.models import PoolMember, RoutingConfig, Target
from routing.config.types import CONDITION_ERROR
from routing.config.validate import check_config
from routing.config.yamlsource import MAX_DOCUMENT_CHARS, LineMap, read_yaml
from routing.gc_paused import collector_paused

__all__ = [
    "ConfigError",
    "ConfigIssue",
    "config_version",
    "load_config",
    "parse_config",
    "read_config_text",
]

# pydantic's location items that name a type rather than a key of the file
_TYPE_LABELS = frozenset({"str", "int", "float", "bool", "none", "list", "dict", "tuple"})
# Keys users write for a target, which the model stores as kind/id.
_TARGET_KEYS = ("rep", "pool", "queue", "require_skills")


def config_version(text: str) -> str:
    """First 12 hex digits of the sha256 of the file's text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def parse_config(text: str, source: str = "routing.yml") -> RoutingConfig:
    """Parse and check a config; raise :class:`ConfigError` listing every issue."""
    config, issues = _parse(text, source)
    if issues or config is None:
        raise ConfigError(issues)
    return config


def load_config(path: str | FsPath) -> RoutingConfig:
    """Read and parse a config file; unreadable files raise :class:`ConfigError` too."""
    return parse_config(read_config_text(path), str(path))


def read_config_text(path: str | FsPath) -> str:
    """The file's text, at most one character past the size limit (which the parser then
    reports): a huge file is never read whole."""
    try:
        with FsPath(path).open(encoding="utf-8") as handle:
            return handle.read(MAX_DOCUMENT_CHARS + 1)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            [ConfigIssue("", None, f"cannot read the file: {exc}", str(path))]
        ) from None


def collect_issues(text: str, source: str = "routing.yml") -> list[ConfigIssue]:
    """Every issue of ``text`` (empty when it is a usable config). Never raises for bad input."""
    return _parse(text, source)[1]


def validate_text(text: str, source: str = "routing.yml") -> list[ConfigIssue]:
    """Every issue of a config text; empty when it loads. Never raises for bad input."""
    return collect_issues(text, source)


def validate_file(path: str | FsPath) -> list[ConfigIssue]:
    """Every issue of a config file, including an unreadable file. Never raises for bad input."""
    try:
        text = read_config_text(path)
    except ConfigError as exc:
        return exc.issues
    return validate_text(text, str(path))


def _parse(text: str, source: str) -> tuple[RoutingConfig | None, list[ConfigIssue]]:
    with collector_paused():
        return _parse_text(text, source)


def _parse_text(text: str, source: str) -> tuple[RoutingConfig | None, list[ConfigIssue]]:
    doc = read_yaml(text, source)
    lines = doc.lines
    if doc.data is None and doc.issues:
        return None, doc.issues
    if doc.data is None:
        return None, [
            ConfigIssue("", None, "the file is empty; it needs at least reps and rules", source)
        ]
    if not isinstance(doc.data, dict):
        return None, [
            *doc.issues,
            lines.issue((), "the top level must be a mapping (reps:, rules:, ...)"),
        ]
    if "version" in doc.data:
        # The version identifies the file's text; decisions store it.
        return None, [
            *doc.issues,
            lines.issue(("version",), "version is computed from the file; remove this key"),
        ]
    try:
        config = RoutingConfig.model_validate({**doc.data, "version": config_version(text)})
    except ValidationError as exc:
        return None, _sorted([*doc.issues, *(_issue(err, lines) for err in exc.errors())])
    return config, _sorted([*doc.issues, *check_config(config, lines)])


def _sorted(issues: list[ConfigIssue]) -> list[ConfigIssue]:
    unique = list(dict.fromkeys(issues))  # a union can repeat the same complaint
    return sorted(unique, key=lambda issue: issue.line or 0)


def _issue(err: ErrorDetails, lines: LineMap) -> ConfigIssue:
    loc: Path = tuple(err["loc"])
    path = _file_path(loc, lines)
    ctx = err.get("ctx") or {}
    message = err["msg"]
    if err["type"] == CONDITION_ERROR:
        path = lines.yaml_path((*path, *ctx.get("condition_path", ())))
        message = str(ctx["message"])
    elif err["type"] == "extra_forbidden":
        message = _unknown_key(loc)
    elif err["type"] == "missing":
        message = "required key is missing"
    elif err["type"] in ("model_type", "dict_type"):
        message = (
            "expected a rep id or {rep: id, weight: n}"
            if _model_at(loc) is PoolMember
            else "expected a mapping"
        )
        message += _got(err.get("input"))
    else:
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        if err["type"].endswith(("_type", "_parsing")):
            message += _got(err.get("input"))
    if path and path[-1] == "id":
        # Target ids are written under their kind: {rep: alice}.
        for kind in ("rep", "pool", "queue"):
            if (*path[:-1], kind) in lines:
                path = (*path[:-1], kind)
    return lines.issue(path, message)


def _got(value: Any) -> str:
    if isinstance(value, dict | list):
        return f" (got a {'mapping' if isinstance(value, dict) else 'list'})"
    return f" (got {value!r})"


def _file_path(loc: Path, lines: LineMap) -> Path:
    """Map a pydantic location to a path of the file, dropping union/validator labels."""
    out: list[PathItem] = []
    for item in loc:
        candidate = (*out, item)
        if candidate in lines:
            out.append(item)
            continue
        here = tuple(out)
        if isinstance(item, int) and lines.kinds.get(here, "seq") != "seq":
            continue  # a scalar the model wrapped into a one-item list
        label = isinstance(item, str) and (
            "[" in item or item in _TYPE_LABELS or item[:1].isupper()
        )
        if not label:
            out.append(item)  # a missing key, or a model field under another YAML name
    return tuple(out)


def _model_at(loc: Path) -> type[BaseModel] | None:
    """The model class validating the node at ``loc`` (walks field annotations)."""
    current: Any = RoutingConfig
    for item in loc:
        current = _strip_optional(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(item) if isinstance(item, str) else None
            if field is None:
                return None
            current = field.annotation
            continue
        origin = typing.get_origin(current)
        args = typing.get_args(current)
        if origin is list and args:
            current = args[0]
        elif origin is dict and len(args) == 2:
            current = args[1]
        else:
            return None
    current = _strip_optional(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _strip_optional(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(options) == 1:
            return _strip_optional(options[0])
    return tp


def _unknown_key(loc: Path) -> str:
    key = str(loc[-1])
    model = _model_at(loc[:-1])
    if model is None:
        return f"unknown key {key!r}"
    allowed = list(_TARGET_KEYS) if model is Target else list(model.model_fields)
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f"unknown key {key!r} (did you mean {close[0]!r}?)"
    return f"unknown key {key!r}; expected one of: {', '.join(allowed)}"
