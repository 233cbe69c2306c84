"""Block Kit as plain text: for the README's card renderings, logs and terminals."""

from __future__ import annotations

import re
from typing import Any

_MENTION = re.compile(r"<@([A-Z0-9_]+)>")
_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")


def _text(obj: dict[str, Any] | None) -> str:
    if not obj:
        return ""
    text = str(obj.get("text", ""))
    text = _LINK.sub(r"\2", text)
    return _MENTION.sub(lambda m: "@" + m.group(1).removeprefix("U_").lower(), text)


def blocks_to_text(blocks: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"== {_text(block.get('text'))} ==")
        elif kind == "section":
            if block.get("text"):
                lines.append(_text(block["text"]))
            fields = [_text(f).replace("\n", ": ", 1) for f in block.get("fields", [])]
            if fields:
                lines.append("  " + " | ".join(fields))
        elif kind == "context":
            lines.append("  " + "  ".join(_text(e) for e in block.get("elements", [])))
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "actions":
            labels = []
            for element in block.get("elements", []):
                label = element.get("text") or element.get("placeholder") or {}
                labels.append(f"[ {_text(label)} ]")
            lines.append(" ".join(labels))
    return "\n".join(lines)
