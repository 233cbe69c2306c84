"""manifest.yml is a valid Slack app manifest and declares what the app listens for."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml
from referencing import Registry, Resource

from bot.actions import ActionId

ROOT = Path(__file__).resolve().parents[2]


def load_manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_validates_against_slack_schema(shared_data: Path) -> None:
    slack = shared_data / "slack"
    root = json.loads((slack / "manifest.schema.json").read_text())
    resources = []
    for version in ("1.0.0", "2.0.0"):
        schema = json.loads((slack / f"manifest.schema.{version}.json").read_text())
        url = (
            "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/"
            f"manifest.schema.{version}.json"
        )
        resources.append((url, Resource.from_contents(schema)))
    registry = Registry().with_resources(resources)
    validator = jsonschema.Draft7Validator(root, registry=registry)
    errors = sorted(validator.iter_errors(load_manifest()), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_manifest_is_rejected_when_broken(shared_data: Path) -> None:
    """The schema check above can fail: a manifest without display_information does."""
    slack = shared_data / "slack"
    schema = json.loads((slack / "manifest.schema.1.0.0.json").read_text())
    broken = load_manifest()
    del broken["display_information"]
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))


def test_manifest_declares_every_command_and_event_the_app_handles() -> None:
    from bot.app import create_bolt_app

    manifest = load_manifest()
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert manifest["settings"]["interactivity"]["is_enabled"] is True

    app_commands, app_events, app_actions = registered_listeners(create_bolt_app)
    assert app_commands == commands
    assert app_events == events
    assert app_actions == {a.value for a in ActionId}


def registered_listeners(factory) -> tuple[set[str], set[str], set[str]]:
    """What the Bolt app built by ``factory`` listens for, read from its listeners."""
    from tests.slack.introspect import listeners_of

    return listeners_of(factory)
