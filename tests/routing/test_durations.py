from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("5m", timedelta(minutes=5)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1w", timedelta(weeks=1)),
        ("0m", timedelta(0)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1w2d3h4m5s", timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5)),
        (" 15m ", timedelta(minutes=15)),
    ],
)
def test_parse_accepted_forms(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", " ", "5", "-5m", "5M", "five minutes", "1.5h", "m", "5m2h", "1m1m", "5 m", "5min"]
)
def test_parse_rejects_with_accepted_forms_in_message(text: str) -> None:
    with pytest.raises(ValueError, match=r'"90s", "5m", "2h", "1d"'):
        parse_duration(text)


def test_negative_is_named_in_message() -> None:
    with pytest.raises(ValueError, match="negative"):
        parse_duration("-5m")


@pytest.mark.parametrize("value", [5, 1.5, None, True])
def test_parse_rejects_non_strings(value: object) -> None:
    # YAML turns `5` into an int and `1:30` into 90: a bare number has no unit.
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=90), "1m30s"),
        (timedelta(minutes=90), "1h30m"),
        (timedelta(hours=2), "2h"),
        (timedelta(days=1), "1d"),
        (timedelta(days=14), "2w"),
        (timedelta(days=8, seconds=1), "1w1d1s"),
    ],
)
def test_format(td: timedelta, text: str) -> None:
    assert format_duration(td) == text


@pytest.mark.parametrize("td", [timedelta(seconds=-1), timedelta(milliseconds=1500)])
def test_format_rejects_unrepresentable(td: timedelta) -> None:
    with pytest.raises(ValueError):
        format_duration(td)


@given(st.integers(min_value=0, max_value=10 * 366 * 86400))
def test_round_trip(seconds: int) -> None:
    td = timedelta(seconds=seconds)
    text = format_duration(td)
    assert parse_duration(text) == td
    assert format_duration(parse_duration(text)) == text


@given(st.lists(st.integers(min_value=0, max_value=500), min_size=5, max_size=5).filter(any))
def test_parse_sums_units(amounts: list[int]) -> None:
    w, d, h, m, s = amounts
    text = "".join(f"{n}{u}" for n, u in zip(amounts, "wdhms", strict=True) if n)
    assert parse_duration(text) == timedelta(weeks=w, days=d, hours=h, minutes=m, seconds=s)
