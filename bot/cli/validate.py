"""``leadrouter validate routing.yml``: every error with its YAML path and line."""

from __future__ import annotations

import argparse
import sys

from routing.config.loader import validate_file


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("validate", help="check a routing.yml; exit 1 on any error")
    parser.add_argument("path", help="the routing.yml to check")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    issues = validate_file(args.path)
    for issue in issues:
        print(str(issue), file=sys.stderr)
    if issues:
        print(f"{len(issues)} error(s) in {args.path}", file=sys.stderr)
        return 1
    print(f"{args.path}: OK")
    return 0
