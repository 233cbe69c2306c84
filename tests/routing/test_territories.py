"""routing.territories: normalised countries/states, cities, postal ranges, config order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from routing.normalize import normalize_lead
from routing.territories import compile_territories, territories_for


@dataclass
class T:
    country: list[str] = field(default_factory=list)
    state: list[str] = field(default_factory=list)
    city: list[str] = field(default_factory=list)
    postal_code: list[str] = field(default_factory=list)


TERRITORIES = {
    "west": T(country=["US"], state=["CA", "OR", "WA"], postal_code=["90000-96199"]),
    "us": T(country=["USA"]),
    "canada": T(country=["Canada"], state=["Ontario", "QC"]),
    "nyc": T(city=["New York", "Brooklyn"], postal_code=["10001", "11201-11256"]),
    "dach": T(country=["Germany", "AT", "Schweiz"]),
    "nowhere": T(),
}


def match(**raw: Any) -> list[str]:
    return compile_territories(TERRITORIES).match(normalize_lead(raw))


def test_west_requires_every_constraint() -> None:
    assert match(country="United States", state="California", postal_code="94105") == [
        "west",
        "us",
    ]
    assert match(country="USA", state="calif", postal_code="94105-1234") == ["west", "us"]
    assert match(country="US", state="CA", postal_code="10001") == ["us"]  # postal fails
    assert match(country="US", state="NV", postal_code="94105") == ["us"]  # state fails
    assert match(country="Mexico", state="CA", postal_code="94105") == []  # country fails
    assert match(state="CA", postal_code="94105") == []  # no country: not in west


def test_country_items_are_normalised_once() -> None:
    assert match(country="U.S.A.") == ["us"]
    assert match(country="Deutschland") == ["dach"]
    assert match(country="Austria") == ["dach"]
    assert match(country="switzerland") == ["dach"]


def test_states_by_code_or_name() -> None:
    assert match(country="Canada", state="ON") == ["canada"]
    assert match(country="CA", state="québec") == ["canada"]
    assert match(country="Canada", state="Alberta") == []


def test_city_case_insensitive_and_postal_range() -> None:
    assert match(city=" new york ", postal_code="10001") == ["nyc"]
    assert match(city="BROOKLYN", postal_code="11215") == ["nyc"]
    assert match(city="Brooklyn", postal_code="1121") == []  # different length
    assert match(city="Queens", postal_code="11215") == []
    assert match(city="Brooklyn") == []  # postal constraint, missing postal code


def test_empty_territory_matches_nothing() -> None:
    assert compile_territories({"nowhere": T()}).match({"country_code": "US"}) == []
    assert compile_territories({}).match({"country_code": "US"}) == []


def test_unnormalised_fields_still_work() -> None:
    fields = {"country": "United States", "state": "California", "postal_code": "90012"}
    assert territories_for(fields, TERRITORIES) == ["west", "us"]


def test_config_order_is_kept() -> None:
    ordered = {"b": T(country=["US"]), "a": T(state=["CA"]), "c": T(city=["Fresno"])}
    lead = normalize_lead({"country": "US", "state": "California", "city": "Fresno"})
    assert territories_for(lead, ordered) == ["b", "a", "c"]


def test_unknown_country_item_never_matches_by_accident() -> None:
    terr = {"x": T(country=["Atlantis"])}
    assert territories_for({"country": "Atlantis"}, terr) == []
    assert territories_for({"country_code": "US"}, terr) == []
