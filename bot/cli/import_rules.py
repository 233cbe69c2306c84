"""``leadrouter import-salesforce-rules FILE [--rule NAME] [--map FILE] [--field-map FILE]
[--normalise] [--out rules.yml]``.

Translates Salesforce lead assignment rules (Metadata API XML) into ``rules:`` YAML with stub
``reps:``/``queues:`` for the assignees; untranslatable parts are kept as YAML comments and
listed on stderr. Conditions keep Salesforce's meaning (``as_written:``) unless
``--normalise`` is given, which then lists every value whose meaning changes. The output is
checked with the same validation as ``leadrouter validate``. See docs/SALESFORCE_IMPORT.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from bot.csv_text import CsvFileError, read_csv_table, read_csv_text
from routing.config.loader import validate_text
from routing.config.yamlsource import read_yaml
from routing.salesforce_rules import QueueInfo, import_rules, parse_queue

_KEY_COLUMNS = ("salesforce", "salesforce_user", "username", "assigned_to", "name", "queue_name")
_ID_COLUMNS = ("id", "rep", "rep_id", "queue", "queue_id")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "import-salesforce-rules",
        help="translate Salesforce lead assignment rules XML into rules: YAML",
        description=__doc__,
    )
    parser.add_argument("file", help="Lead.assignmentRules(-meta.xml) file")
    parser.add_argument("--rule", help="the assignmentRule fullName (default: the active one)")
    parser.add_argument(
        "--map",
        dest="mapping",
        help="CSV (columns salesforce,id) or YAML ({username: rep_id, Queue_Name: queue_id}, "
        "optionally under users:/queues:) mapping Salesforce assignees to ids",
    )
    parser.add_argument(
        "--queues",
        help="directory of *.queue-meta.xml files for queue members "
        "(default: ../queues and the file's own directory, when present)",
    )
    parser.add_argument(
        "--field-map",
        help="YAML {Salesforce field or relationship path: lead key} for cross-object fields "
        "(Country__r.Name: country_name, Owner.Profile.Name: owner_profile, Campaign.Name: "
        "campaign)",
    )
    parser.add_argument(
        "--normalise",
        "--normalize",
        action="store_true",
        help="write normalised conditions (country/state codes, postal codes and ranges, "
        "numbers in text) and report each value whose meaning that changes",
    )
    parser.add_argument("--out", help="write the YAML here instead of stdout")
    parser.set_defaults(handler=handle)


def read_mapping(path: Path) -> dict[str, str]:
    """Salesforce assignee name -> rep/queue id from a CSV or YAML file."""
    try:
        if path.suffix.lower() in (".yml", ".yaml"):
            return _yaml_mapping(path)
        return _csv_mapping(path)
    except CsvFileError as exc:  # handle() reports ValueErrors as "--map: ..."
        raise ValueError(str(exc)) from None


def _yaml_mapping(path: Path) -> dict[str, str]:
    decoded = read_csv_text(path)  # same decoding as the CSV form: BOMs, UTF-16, cp1252
    if decoded.note:
        print(f"note: {decoded.note}", file=sys.stderr)
    # The routing.yml reader: its limits (size, nesting, alias bombs) and line numbers.
    doc = read_yaml(decoded.text, source=str(path))
    if doc.issues:
        raise ValueError(str(doc.issues[0]))
    data = doc.data or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of Salesforce names to ids")
    out: dict[str, str] = {}
    for key, value in data.items():
        if key in ("users", "queues") and isinstance(value, dict):
            out.update({str(k): str(v) for k, v in value.items()})
        else:
            out[str(key)] = str(value)
    return out


def _csv_mapping(path: Path) -> dict[str, str]:
    def used(header: str) -> str:
        name = header.strip().lower()
        return name if name in _KEY_COLUMNS or name in _ID_COLUMNS else ""

    table = read_csv_table(
        path, duplicate_key=used, what="one Salesforce name and its rep or queue id per row"
    )
    if table.note:
        print(f"note: {table.note}", file=sys.stderr)
    columns = {c.strip().lower(): i for i, c in enumerate(table.header) if c}
    key_col = next((columns[c] for c in _KEY_COLUMNS if c in columns), None)
    id_col = next((columns[c] for c in _ID_COLUMNS if c in columns), None)
    if key_col is None or id_col is None:
        raise ValueError(
            f"{path}: needs a Salesforce name column ({', '.join(_KEY_COLUMNS)}) "
            f"and an id column ({', '.join(_ID_COLUMNS)})"
        )
    out: dict[str, str] = {}
    for record in table.records:
        if record.problem:  # a damaged mapping would leave assignees unmapped unnoticed
            raise ValueError(f"{path}: row {record.row} (line {record.line}): {record.problem}")
        cells = record.cells
        name = cells[key_col].strip() if key_col < len(cells) else ""
        target = cells[id_col].strip() if id_col < len(cells) else ""
        if name and target:
            out[name] = target
    return out


def read_queues(directories: list[Path]) -> dict[str, QueueInfo]:
    queues: dict[str, QueueInfo] = {}
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.queue-meta.xml")) + sorted(directory.glob("*.queue")):
            name = path.name.removesuffix(".queue-meta.xml").removesuffix(".queue")
            developer_name = name.rsplit(".", 1)[-1]
            try:
                queues.setdefault(
                    developer_name, parse_queue(path.read_text(encoding="utf-8"), developer_name)
                )
            except Exception as exc:  # a bad queue file only loses its members
                print(f"warning: {path}: {exc}", file=sys.stderr)
    return queues


def handle(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {path}: {exc}", file=sys.stderr)
        return 1
    try:
        mapping = read_mapping(Path(args.mapping)) if args.mapping else {}
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"error: --map: {exc}", file=sys.stderr)
        return 1
    try:
        field_map = read_mapping(Path(args.field_map)) if args.field_map else {}
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"error: --field-map: {exc}", file=sys.stderr)
        return 1
    dirs = (
        [Path(args.queues)]
        if args.queues
        else [path.resolve().parent.parent / "queues", path.resolve().parent]
    )
    try:
        result = import_rules(
            text,
            rule_name=args.rule,
            mapping=mapping,
            queues=read_queues(dirs),
            source=path.name,
            normalise=args.normalise,
            field_map=field_map,
        )
    except ValueError as exc:
        print(f"error: {path}: {exc}", file=sys.stderr)
        return 1
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.normalise:
        changes = result.changes
        print(
            f"--normalise changes the meaning of {len(changes)} value(s)"
            + (":" if changes else "."),
            file=sys.stderr,
        )
        for change in changes:
            print(f"  changed: {change}", file=sys.stderr)
    issues = validate_text(result.yaml, args.out or "<output>")
    for issue in issues:
        print(f"error: {issue}", file=sys.stderr)
    if args.out:
        Path(args.out).write_text(result.yaml, encoding="utf-8")
    else:
        sys.stdout.write(result.yaml)
    print(
        f"{result.rule.name}: {len(result.entries)} entries, {result.translated} translated, "
        f"{result.skipped} kept as comments, {len(result.warnings)} warning(s)",
        file=sys.stderr,
    )
    return 1 if issues else 0
