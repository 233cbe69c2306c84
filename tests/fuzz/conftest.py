"""Hypothesis profiles of the fuzz suite, chosen by ``HYPOTHESIS_PROFILE``.

* ``fuzz-ci`` (the default, what ``make test`` runs): few examples per test, derandomized
  (every run and every machine tries the same inputs) and no example database, so a red
  build is reproducible from the commit alone.
* ``fuzz`` (``make fuzz``): twenty times the examples, a fresh random seed each run, the
  example database kept (``.hypothesis/``, ignored by git) so a failure found once is
  retried first; a failure prints the ``@reproduce_failure(...)`` line that replays it.

The profile applies to the tests of this directory only (:func:`fuzz_settings`); the
rest of the suite keeps hypothesis's defaults.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

from tests.cli.conftest import cli as cli  # the in-process `leadrouter` runner

CI_PROFILE = "fuzz-ci"
LONG_PROFILE = "fuzz"
# Examples per test in the long profile, as a multiple of the test's own count.
LONG_FACTOR = 20

_COMMON = {
    "deadline": None,  # a slow shared machine: no per-example deadline
    # Servers and files are built once per test and reused by every example.
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
    "print_blob": True,
}
settings.register_profile(
    CI_PROFILE,
    derandomize=True,
    database=None,
    # No "explain" phase: it re-runs a failure many times to describe it, slowly here.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    **_COMMON,
)
settings.register_profile(LONG_PROFILE, derandomize=False, **_COMMON)


def profile_name() -> str:
    name = os.environ.get("HYPOTHESIS_PROFILE", CI_PROFILE)
    return name if name in (CI_PROFILE, LONG_PROFILE) else CI_PROFILE


def fuzz_settings(examples: int) -> settings:
    """``examples`` per test in the default profile, ``LONG_FACTOR`` times more in ``fuzz``."""
    name = profile_name()
    factor = LONG_FACTOR if name == LONG_PROFILE else 1
    return settings(settings.get_profile(name), max_examples=examples * factor)
