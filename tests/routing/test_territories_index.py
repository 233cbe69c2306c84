"""Territory matching through the country index and the memo (issue #15) gives what trying
every territory in config order gives, lead after lead."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.normalize import normalize_lead
from routing.territories import _lead_country, compile_territories


@dataclass
class T:
    country: list[str] = field(default_factory=list)
    state: list[str] = field(default_factory=list)
    city: list[str] = field(default_factory=list)
    postal_code: list[str] = field(default_factory=list)


COUNTRIES = ["US", "USA", "Canada", "DE", "Germany", "FR", "GB", "Atlantis"]
STATES = ["CA", "California", "NY", "ON", "Ontario", "BY", "Texas", ""]
CITIES = ["New York", "Paris", "Munich", "Toronto", ""]
POSTAL = ["10001", "90000-96199", "80331", "M5H"]

TERRITORY = st.builds(
    T,
    country=st.lists(st.sampled_from(COUNTRIES), max_size=3),
    state=st.lists(st.sampled_from(STATES), max_size=3),
    city=st.lists(st.sampled_from(CITIES), max_size=2),
    postal_code=st.lists(st.sampled_from(POSTAL), max_size=2),
)
LEAD = st.fixed_dictionaries(
    {},
    optional={
        "country": st.sampled_from([*COUNTRIES, "  us ", "Deutschland", ""]),
        "country_code": st.sampled_from(["US", "de", "XX", ""]),
        "state": st.sampled_from(STATES),
        "city": st.sampled_from([*CITIES, "new york "]),
        "postal_code": st.sampled_from(["10001", "94105", "80331", "M5H 2N2", ""]),
    },
)


def _reference(compiled: Any, fields: dict[str, Any]) -> list[str]:
    country = _lead_country(fields)
    return [t.name for t in compiled._territories if t.matches(fields, country)]


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdefgh"), TERRITORY, max_size=8), st.lists(LEAD))
def test_index_and_memo_match_every_territory_in_order(
    territories: dict[str, T], leads: list[dict[str, Any]]
) -> None:
    compiled = compile_territories(territories)
    for raw in leads + leads:  # twice: the second time from the memo
        for fields in (raw, normalize_lead(raw)):
            assert compiled.match(fields) == _reference(compiled, fields)
