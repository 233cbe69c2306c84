"""Work ahead in a second process: a producer's items, made in a forked child, read in order.

``leadrouter simulate`` reads, normalises, enriches and matches each lead (pure of the lead)
in the child while this process routes them (in file order, with the roster): on a machine
with two cores the two halves overlap. The child sends pickled batches through a pipe; the
pipe's buffer paces it, so memory stays flat on any file.

Only where ``os.fork`` exists and this process may run on two CPUs or more; elsewhere
callers run the producer in-line (:func:`usable`).
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable, Generator, Iterable
from typing import Any, TypeVar

__all__ = ["ReadAheadError", "ahead", "cpus", "usable"]

T = TypeVar("T")
R = TypeVar("R")

_ITEMS, _END, _ERROR = 0, 1, 2
_HEAD = 4  # bytes of each message's length
#: Items per message: large enough that pickling shares keys and the pipe moves a few KiB
#: at a time, small enough that the first decisions come out at once.
BATCH = 256


class ReadAheadError(RuntimeError):
    """The child failed in a way it could not send back as its own exception."""


def cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def usable(jobs: int | None = None) -> bool:
    """Whether :func:`ahead` helps: ``jobs`` (None: as many CPUs as this process may use)
    is 2 or more and ``os.fork`` exists."""
    return hasattr(os, "fork") and (cpus() if jobs is None else jobs) >= 2


def ahead(
    produce: Callable[[], Iterable[T]],
    finish: Callable[[], R],
    done: Callable[[R], None],
    *,
    batch: int = BATCH,
    meanwhile: Callable[[], None] | None = None,
) -> Generator[T, None, None]:
    """The items of ``produce()``, made in a forked child process, in order; once the last
    is read, ``done`` gets what ``finish()`` returned in the child (counts the producer kept).

    An exception in the child is raised here (its traceback as a note). Closing the iterator
    early stops the child. ``meanwhile`` runs here while the child makes its first batch.
    """
    # What sits in this process's buffers must not be written twice (the child never
    # flushes: it leaves with os._exit).
    sys.stdout.flush()
    sys.stderr.flush()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_fd)
        _child(write_fd, produce, finish, batch)
    os.close(write_fd)
    finished = reaped = False
    try:
        if meanwhile is not None:
            meanwhile()
        with os.fdopen(read_fd, "rb", buffering=1 << 16) as pipe:
            while True:
                message = _receive(pipe)
                if message is None:  # the child closed the pipe early: it has ended
                    reaped = True
                    raise ReadAheadError(
                        f"the read-ahead process ended before its last message "
                        f"({_wait(pid)}); run again with --jobs 1 to read in this process"
                    )
                kind, payload = message
                if kind == _ITEMS:
                    yield from payload
                elif kind == _END:
                    finished = True
                    done(payload)
                    return
                else:
                    raise payload
    finally:
        if not reaped:  # (a reaped pid may already belong to another process)
            if not finished:
                os.kill(pid, signal.SIGKILL)
            _wait(pid)


def _child(
    fd: int, produce: Callable[[], Iterable[Any]], finish: Callable[[], Any], batch: int
) -> None:
    """Runs the producer and leaves with ``os._exit``: never returns to the caller's code
    (no atexit handlers, no flushing of buffers copied from the parent)."""
    code = 0
    out = os.fdopen(fd, "wb", buffering=1 << 16)
    try:
        items: list[Any] = []
        for item in produce():
            items.append(item)
            if len(items) >= batch:
                _send(out, _ITEMS, items)
                items = []
        if items:
            _send(out, _ITEMS, items)
        _send(out, _END, finish())
        out.flush()
    except BrokenPipeError:
        code = 0  # the parent stopped reading (it left early): nobody to tell
    except BaseException as exc:  # reported to the parent, which raises it
        code = 1
        _send_error(out, exc)
    finally:
        os._exit(code)


def _send(out: Any, kind: int, payload: Any) -> None:
    data = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
    out.write(len(data).to_bytes(_HEAD, "little"))
    out.write(data)
    # Now, not when the buffer fills: the parent starts on the first leads at once (it
    # waited ~50 ms for 64 KiB of them) and is never handed its work in bursts.
    out.flush()


def _send_error(out: Any, exc: BaseException) -> None:
    text = traceback.format_exc()
    try:
        exc.add_note(f"in the read-ahead process:\n{text}")
        data = pickle.dumps(exc)
        failure: BaseException = pickle.loads(data)
    except Exception:  # not picklable (or its note not): send its text instead
        failure = ReadAheadError(f"the read-ahead process failed:\n{text}")
    try:
        _send(out, _ERROR, failure)
        out.flush()
    except OSError as err:  # the parent is gone too: stderr is all that is left
        print(f"read-ahead process: {err}; it failed with:\n{text}", file=sys.stderr)


def _receive(pipe: Any) -> tuple[int, Any] | None:
    """The next message, or None when the pipe ends before a whole one."""
    head = pipe.read(_HEAD)
    if len(head) != _HEAD:
        return None
    size = int.from_bytes(head, "little")
    data = pipe.read(size)
    if len(data) != size:
        return None
    kind, payload = pickle.loads(data)
    return int(kind), payload


def _wait(pid: int) -> str:
    """Waits for the child to end; how it ended."""
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
