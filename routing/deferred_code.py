"""Generated functions compiled by their first call.

The engine writes some functions out as source (a weighted pool's checks, a rule's traced
condition) and compiling that source is most of what building a Router costs (1-2 ms a
pool, 0.3 ms a rule), while a pool or rule may never be reached. :func:`compiled_when_called`
returns a stand-in with the function's signature and globals: its first call compiles the
source and gives the stand-in the compiled code, so that later calls run it directly.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache
from types import CodeType, FunctionType
from typing import Any

__all__ = ["compiled_when_called"]

_COMPILE_NOW = "COMPILE_NOW"


@cache
def _stand_in(name: str, params: str) -> CodeType:
    """The code of ``def name(params): return COMPILE_NOW()(params)``, compiled once."""
    module = compile(
        f"def {name}({params}):\n    return {_COMPILE_NOW}()({params})\n",
        f"<{name}, compiled by its first call>",
        "exec",
    )
    return next(const for const in module.co_consts if isinstance(const, CodeType))


@lru_cache(maxsize=512)
def _compiled(source: str, filename: str) -> CodeType:
    """Equal sources are compiled once: a pool or rule both configs of ``simulate
    --against`` (or a reloaded file) have shares its code; its globals stay its own."""
    return compile(source, filename, "exec")


def compiled_when_called(
    source: str, filename: str, env: dict[str, Any], name: str, params: str
) -> Callable[..., Any]:
    """Function ``name`` of ``source`` (whose globals are ``env``), compiled when first
    called. ``params``: its parameters, positional and comma-separated."""
    stand_in = FunctionType(_stand_in(name, params), env, name)

    def compile_now() -> Callable[..., Any]:
        namespace: dict[str, Any] = {}
        exec(_compiled(source, filename), env, namespace)
        function: FunctionType = namespace[name]
        stand_in.__code__ = function.__code__
        return function

    env[_COMPILE_NOW] = compile_now
    return stand_in
