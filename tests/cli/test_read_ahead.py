"""bot/cli/read_ahead.py: a forked child makes the items, this process reads them in order;
failures in the child come back as errors here, and nothing is left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import read_ahead
from bot.cli.read_ahead import ReadAheadError, ahead

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


class Counted:
    """A producer that counts what it made (in the process that runs it)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.made = 0

    def __call__(self) -> Iterator[dict[str, object]]:
        for i in range(self.n):
            self.made += 1
            yield {"i": i, "text": f"lead {i}", "tags": ("a", i)}


def test_items_arrive_in_order_and_the_childs_counts_come_back() -> None:
    produce = Counted(1_000)
    got: list[int] = []
    items = list(ahead(produce, lambda: produce.made, got.append, batch=64))
    assert [item["i"] for item in items] == list(range(1_000))
    assert items[7] == {"i": 7, "text": "lead 7", "tags": ("a", 7)}
    assert got == [1_000]  # counted in the child, handed over at the end
    assert produce.made == 0  # nothing ran here


def test_an_empty_producer_still_finishes() -> None:
    got: list[str] = []
    assert list(ahead(lambda: iter(()), lambda: "done", got.append)) == []
    assert got == ["done"]


def test_an_exception_in_the_child_is_raised_here_with_its_traceback() -> None:
    def produce() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("row 3 is bad")

    seen: list[int] = []
    with pytest.raises(ValueError, match="row 3 is bad") as caught:
        for item in ahead(produce, lambda: None, lambda _: None, batch=1):
            seen.append(item)
    assert seen == [1, 2]  # what came before the failure was delivered
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    assert "in the read-ahead process" in notes and "row 3 is bad" in notes


def test_an_exception_that_cannot_be_pickled_comes_back_as_text() -> None:
    class Local(Exception):  # a local class: pickle cannot find it
        pass

    def produce() -> Iterator[int]:
        raise Local("no way back")
        yield 0

    with pytest.raises(ReadAheadError, match="no way back"):
        list(ahead(produce, lambda: None, lambda _: None))


def test_a_child_killed_mid_file_is_an_error_not_a_short_result(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"

    def produce() -> Iterator[int]:
        pid_file.write_text(str(os.getpid()))
        yield from range(10**9)

    items = ahead(produce, lambda: None, lambda _: None, batch=16)
    assert next(items) == 0
    os.kill(int(pid_file.read_text()), signal.SIGKILL)
    with pytest.raises(ReadAheadError, match=r"killed by signal 9.*--jobs 1"):
        for _ in items:
            pass


def test_closing_early_stops_and_reaps_the_child(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"

    def produce() -> Iterator[int]:
        pid_file.write_text(str(os.getpid()))
        yield from range(10**9)  # would run for minutes

    items = ahead(produce, lambda: None, lambda _: None, batch=16)
    assert [next(items) for _ in range(40)] == list(range(40))
    pid = int(pid_file.read_text())
    items.close()
    with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
        os.waitpid(pid, os.WNOHANG)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.01)
    else:
        pytest.fail("the read-ahead child is still running")


def test_buffered_output_is_not_written_twice(tmp_path: Path) -> None:
    """The child leaves without flushing the buffers it copied from this process."""
    out = tmp_path / "out.txt"
    code = (
        "import sys\n"
        "from bot.cli.read_ahead import ahead\n"
        "sys.stdout.write('before;')\n"
        "for item in ahead(lambda: iter(range(3)), lambda: None, lambda _: None):\n"
        "    sys.stdout.write(f'{item};')\n"
        "sys.stdout.write('after')\n"
    )
    with out.open("w") as handle:
        subprocess.run(
            [sys.executable, "-c", code],
            stdout=handle,
            check=True,
            cwd=Path(__file__).resolve().parents[2],
        )
    assert out.read_text() == "before;0;1;2;after"


def test_usable_needs_two_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    assert read_ahead.usable(2) is True
    assert read_ahead.usable(1) is False
    monkeypatch.setattr(read_ahead, "cpus", lambda: 1)
    assert read_ahead.usable() is False
    monkeypatch.setattr(read_ahead, "cpus", lambda: 4)
    assert read_ahead.usable() is True


def test_meanwhile_runs_here_before_the_first_item() -> None:
    ran: list[int] = []
    items = ahead(
        lambda: iter(range(3)),
        lambda: None,
        lambda _: None,
        meanwhile=lambda: ran.append(os.getpid()),
    )
    assert ran == []  # nothing starts before the first item is asked for
    assert next(items) == 0
    assert ran == [os.getpid()]  # in this process, once
    assert list(items) == [1, 2] and ran == [os.getpid()]
