"""Python's cyclic garbage collector paused while a config is parsed or a Router built.

Both make tens of thousands of objects that live on (nodes, data, models, compiled
conditions) and next to no cyclic garbage: each collection meanwhile would only walk them,
and every imported module's objects, again. That was a third of a cold load of a 50-rule
routing.yml and half of a 3,000-rule one, and half of building its Router.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector paused for the block (or the decorated function), unless something
    else paused it already; enabled again after, however the block ends."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
