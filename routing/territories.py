"""Territory membership of a lead (the derived ``territory`` field, a list of names).

A territory lists allowed ``country``, ``state``, ``city`` and ``postal_code`` values; an empty
list means "no constraint" and every non-empty constraint must hold. A territory with no
constraint at all matches nothing (it is almost certainly a config mistake, not "everywhere").

* countries compare ISO alpha-2 codes: config items are normalised once ("USA" -> US) and
  compared to the lead's ``country_code`` (derived from ``country`` when absent);
* states compare subdivision codes (items normalised within the territory's country when it
  names exactly one, else US/Canada) to ``state_code``, or case-insensitively to ``state``;
* cities compare case- and whitespace-insensitively;
* postal codes use :class:`routing.conditions.PostalSet` (exact codes, ZIP+4 reduced to the
  ZIP, same-length ranges ``"90000-96199"``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from routing.conditions import PostalSet, is_missing
from routing.normalize import country_code_for, state_code_for

__all__ = ["CompiledTerritories", "TerritoryLike", "compile_territories", "territories_for"]


class TerritoryLike(Protocol):
    @property
    def country(self) -> Sequence[str]: ...

    @property
    def state(self) -> Sequence[str]: ...

    @property
    def city(self) -> Sequence[str]: ...

    @property
    def postal_code(self) -> Sequence[str]: ...


def _items(values: Sequence[str] | str | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [str(v).strip() for v in values if not is_missing(v)]


def _fold(value: Any) -> str:
    return str(value).strip().casefold()


class _Territory:
    __slots__ = ("cities", "countries", "name", "postal", "state_codes", "state_names")

    def __init__(self, name: str, territory: TerritoryLike) -> None:
        self.name = name
        countries = _items(territory.country)
        self.countries = (
            frozenset(country_code_for(c) or c.upper() for c in countries) if countries else None
        )
        states = _items(territory.state)
        if states:
            only = (
                next(iter(self.countries)) if self.countries and len(self.countries) == 1 else None
            )
            self.state_codes: frozenset[str] | None = frozenset(
                code for s in states if (code := state_code_for(s, only))
            )
            self.state_names: frozenset[str] = frozenset(_fold(s) for s in states)
        else:
            self.state_codes = None
            self.state_names = frozenset()
        cities = _items(territory.city)
        self.cities = frozenset(_fold(c) for c in cities) if cities else None
        postal = _items(territory.postal_code)
        self.postal = PostalSet(postal) if postal else None

    @property
    def empty(self) -> bool:
        return (
            self.countries is None
            and self.state_codes is None
            and self.cities is None
            and self.postal is None
        )

    def matches(self, fields: Mapping[str, Any], country: str | None) -> bool:
        if self.countries is not None and (country is None or country not in self.countries):
            return False
        if self.state_codes is not None and not self._state_matches(
            self.state_codes, fields, country
        ):
            return False
        if self.cities is not None:
            city = fields.get("city")
            if is_missing(city) or _fold(city) not in self.cities:
                return False
        if self.postal is not None:
            code = fields.get("postal_code")
            if is_missing(code) or code not in self.postal:
                return False
        return True

    def _state_matches(
        self, codes: frozenset[str], fields: Mapping[str, Any], country: str | None
    ) -> bool:
        code = fields.get("state_code")
        state = fields.get("state")
        if is_missing(code) and isinstance(state, str) and not is_missing(state):
            code = state_code_for(state, country)
        if isinstance(code, str) and code.upper() in codes:
            return True
        return not is_missing(state) and _fold(state) in self.state_names


def _lead_country(fields: Mapping[str, Any]) -> str | None:
    code = fields.get("country_code")
    if isinstance(code, str) and not is_missing(code):
        return code.strip().upper()
    country = fields.get("country")
    if isinstance(country, str) and not is_missing(country):
        return country_code_for(country)
    return None


class CompiledTerritories:
    """Territories compiled once per config; ``match(fields)`` gives names in config order.

    Only the territories that allow the lead's country are tried (an index by country
    code), and the answer is remembered for the location fields the territories read, so
    leads from the same place are matched once.
    """

    __slots__ = ("_any_country", "_by_country", "_keys", "_memo", "_territories")

    def __init__(self, territories: Iterable[_Territory]) -> None:
        self._territories = tuple(t for t in territories if not t.empty)
        # Country code -> the territories a lead there can be in, in config order.
        self._any_country = tuple(t for t in self._territories if t.countries is None)
        codes = {c for t in self._territories for c in t.countries or ()}
        self._by_country = {
            code: tuple(t for t in self._territories if t.countries is None or code in t.countries)
            for code in codes
        }
        keys = ["country_code", "country"]
        if any(t.state_codes is not None for t in self._territories):
            keys += ["state_code", "state"]
        if any(t.cities is not None for t in self._territories):
            keys.append("city")
        if any(t.postal is not None for t in self._territories):
            keys.append("postal_code")
        self._keys = tuple(keys)
        self._memo: dict[tuple[Any, ...], tuple[str, ...]] = {}

    def match(self, fields: Mapping[str, Any]) -> list[str]:
        if not self._territories:
            return []
        key = tuple(map(fields.get, self._keys))
        try:
            found = self._memo.get(key)
        except TypeError:  # a value that cannot be a key (a list): no memo
            return list(self._match(fields))
        if found is None:
            found = self._match(fields)
            if len(self._memo) >= _MEMO_MAX:
                self._memo.clear()
            self._memo[key] = found
        return list(found)

    def _match(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        country = _lead_country(fields)
        tried = self._any_country if country is None else self._by_country.get(country)
        if tried is None:
            tried = self._any_country
        return tuple(t.name for t in tried if t.matches(fields, country))


_MEMO_MAX = 8192


def compile_territories(territories: Mapping[str, TerritoryLike]) -> CompiledTerritories:
    return CompiledTerritories(_Territory(name, t) for name, t in territories.items())


def territories_for(
    fields: Mapping[str, Any], territories: Mapping[str, TerritoryLike]
) -> list[str]:
    """Names of the territories the lead is in, in config order (compiles every call: prefer
    :func:`compile_territories` on hot paths)."""
    return compile_territories(territories).match(fields)
