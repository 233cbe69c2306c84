"""Every path that loads routing.yml reports the inputs of issue #21 as line-numbered errors:
``leadrouter validate``, ``leadrouter simulate`` and the bot's load and hot reload."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.config_store import ConfigStore
from routing.config import ConfigError
from routing.config.yamlsource import MAX_DOCUMENT_CHARS
from tests.cli.conftest import EXAMPLE_CONFIG, EXAMPLE_LEADS, CliRunner
from tests.routing.test_config_limits import big_text, bomb, durations, nested

# name -> (text, line, start of the message)
CASES = {
    "deep": (nested(1000, sep=""), 7, "nested too deeply: more than 100 levels"),
    "duration": (
        durations(accept="99999999999999999999d"),
        8,
        "sla[0].accept_within: duration 99999999999999999999d is too long (at most 366d)",
    ),
    "bomb": (bomb(), 6, "aliases copy too much: with alias *e"),
    "recursive": (
        "reps: [{id: ann, name: Ann}]\nrules:\n  - {name: r, when: &w {not: *w}, "
        "assign: {rep: ann}}\n",
        3,
        "alias *w is inside the node it refers to",
    ),
}


@pytest.fixture(params=sorted(CASES))
def bad_file(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    text, line, message = CASES[request.param]
    path = tmp_path / "routing.yml"
    path.write_text(text)
    return path, f"{path}:{line}: {message}"


def test_validate_prints_the_error_and_exits_1(cli: CliRunner, bad_file: tuple[Path, str]) -> None:
    path, expected = bad_file
    run = cli("validate", path)
    assert run.code == 1
    assert run.err.startswith(expected), run.err
    assert run.err.endswith(f"1 error(s) in {path}\n")
    assert "Traceback" not in run.err and run.out == ""


def test_validate_refuses_a_huge_file(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "routing.yml"
    text = big_text()
    path.write_text(text + "# more\n" * 100_000)
    run = cli("validate", path)
    assert run.code == 1
    line = text.count("\n", 0, MAX_DOCUMENT_CHARS) + 1
    assert run.err.startswith(f"{path}:{line}: the file is too large"), run.err


def test_simulate_prints_the_error_and_exits_1(cli: CliRunner, bad_file: tuple[Path, str]) -> None:
    path, expected = bad_file
    run = cli("simulate", "--config", path, "--leads", EXAMPLE_LEADS)
    assert run.code == 1
    assert run.err.startswith(expected), run.err
    assert run.out == ""
    run = cli("simulate", "--config", EXAMPLE_CONFIG, "--against", path, "--leads", EXAMPLE_LEADS)
    assert run.code == 1 and run.err.startswith(expected), run.err


def test_the_bot_refuses_to_start_and_a_reload_keeps_the_old_config(
    bad_file: tuple[Path, str], tmp_path: Path
) -> None:
    path, expected = bad_file
    with pytest.raises(ConfigError) as start:
        ConfigStore(path)
    assert str(start.value).startswith(expected)

    live = tmp_path / "live.yml"
    live.write_text(EXAMPLE_CONFIG.read_text())
    store = ConfigStore(live)
    good = store.config
    live.write_text(path.read_text())
    stat = live.stat()
    os.utime(live, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert store.reload_if_changed() is False
    assert store.config is good
    assert store.last_error is not None
    assert str(store.last_error).startswith(expected.replace(str(path), str(live)))
