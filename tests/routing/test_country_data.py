"""The country and subdivision tables in routing/data (routing.country_data) are what the
installed pycountry gives, and normalisation reads them exactly as it read pycountry."""

from __future__ import annotations

import functools
import random
import string

import pycountry
import pytest

from routing import country_data, normalize
from routing.normalize import _fold_name, _read_data, country_code_for, state_code_for


def test_bundled_files_match_the_installed_pycountry() -> None:
    for name, text in country_data.render().items():
        bundled = (country_data.DATA / name).read_text(encoding="utf-8")
        assert bundled == text, f"routing/data/{name} is stale: python -m routing.country_data"


def _lookup(value: str) -> str | None:
    """The pre-table country lookup: pycountry itself."""
    try:
        return str(pycountry.countries.lookup(value).alpha_2)
    except LookupError:
        return None


def _probes() -> list[str]:
    values = [
        v for c in pycountry.countries for v in c._fields.values() if isinstance(v, str) and v
    ]
    rng = random.Random(15)
    out = list(values)
    for v in values:
        out += [v.upper(), v.title(), f" {v} ", v[:-1], v + "x", f"the {v}", v.casefold()]
    out += [
        "".join(rng.choices(string.ascii_letters + " .-'", k=rng.randint(1, 12)))
        for _ in range(3000)
    ]
    out += ["", "  ", "ß", "STRASSE", "İtaly", "Türkiye", "Côte d'Ivoire", "cote d ivoire"]
    return out


def test_table_lookup_equals_pycountry_lookup() -> None:
    table = normalize._countries()
    for probe in _probes():
        assert table.get(probe.lower()) == _lookup(probe), probe


def _reference_country_code_for(value: str) -> str | None:
    s = value.strip()
    if not s:
        return None
    key = _fold_name(s)
    code = normalize._country_aliases().get(key)
    if code is not None:
        return code
    for candidate in (s, key, key.removeprefix("the ")):
        found = _lookup(candidate)
        if found is not None:
            return found
    return None


def test_country_code_for_equals_the_pycountry_version() -> None:
    for probe in _probes():
        assert country_code_for(probe) == _reference_country_code_for(probe), probe


@functools.cache
def _reference_subdivisions(country: str) -> dict[str, str]:
    table: dict[str, str] = {}

    def add(key: str, code: str) -> None:
        table[key] = "" if table.get(key, code) != code else code

    for sub in pycountry.subdivisions.get(country_code=country) or ():
        suffix = str(sub.code).split("-", 1)[1]
        add(_fold_name(suffix), suffix)
        add(_fold_name(str(sub.name)), suffix)
    for line in _read_data("state_aliases.txt"):
        full, _, aliases = line.partition(":")
        if full.startswith(country + "-"):
            suffix = full.split("-", 1)[1].strip()
            for alias in aliases.split(","):
                if alias.strip():
                    table[_fold_name(alias)] = suffix
    return table


@pytest.mark.parametrize("case", [str.upper, str.lower])
def test_subdivisions_equal_the_pycountry_version(case: object) -> None:
    codes = [*sorted({str(s.country_code) for s in pycountry.subdivisions}), "XX", "ZZ"]
    for code in codes:
        code = case(code)  # type: ignore[operator]
        assert normalize._subdivisions(code) == _reference_subdivisions(code), code


def test_state_code_for_on_every_subdivision_name() -> None:
    for sub in pycountry.subdivisions:
        country = str(sub.country_code)
        for text in (str(sub.name), str(sub.code).split("-", 1)[1]):
            want = _reference_subdivisions(country).get(_fold_name(text)) or None
            assert state_code_for(text, country) == want, (text, country)
