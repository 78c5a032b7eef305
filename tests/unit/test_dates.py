"""Dates sent to the API: the three documented forms, offsets kept, never a silent local time."""

from __future__ import annotations

import datetime as dt

import pytest
from socketlabs_api.types import parse_datetime
from socketlabs_client import InvalidParameterError, format_api_date
from socketlabs_client._dates import api_date_bounds, check_range
from socketlabs_sandbox._dates import parse_api_date

PLUS_2 = dt.timezone(dt.timedelta(hours=2))
MINUS_3_30 = dt.timezone(-dt.timedelta(hours=3, minutes=30))


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        # yyyy-MM-dd
        (dt.date(2024, 3, 1), "2024-03-01"),
        ("2024-03-01", "2024-03-01"),
        # yyyy-MM-ddK
        ("2024-03-01+02:00", "2024-03-01+02:00"),
        ("2024-03-01-03:30", "2024-03-01-03:30"),
        ("2024-03-01Z", "2024-03-01Z"),
        # yyyy-MM-ddTHH:mm:ssK
        (dt.datetime(2024, 3, 1, 10, 0, 5, tzinfo=PLUS_2), "2024-03-01T10:00:05+02:00"),
        (dt.datetime(2024, 3, 1, 10, 0, 5, tzinfo=MINUS_3_30), "2024-03-01T10:00:05-03:30"),
        (dt.datetime(2024, 3, 1, 10, 0, 5, 999_999, tzinfo=dt.UTC), "2024-03-01T10:00:05Z"),
        (dt.datetime(2024, 3, 1, 10, 0, 5), "2024-03-01T10:00:05Z"),  # naive is UTC, said so
        ("2024-03-01T10:00:05+02:00", "2024-03-01T10:00:05+02:00"),
        ("2024-03-01T10:00:05", "2024-03-01T10:00:05"),  # no offset: the API reads UTC too
        # other ISO 8601 spellings are parsed and written in the API's form
        ("2024-03-01T10:00:05.25+02:00", "2024-03-01T10:00:05+02:00"),
        ("2024-03-01 10:00:05z", "2024-03-01T10:00:05Z"),
        ("2024-03-01T10:00+0530", "2024-03-01T10:00:00+05:30"),
        (dt.datetime(5, 1, 2, tzinfo=dt.UTC), "0005-01-02T00:00:00Z"),
    ],
)
def test_each_input_is_sent_in_a_documented_form(given: dt.date | str, sent: str) -> None:
    assert format_api_date(given) == sent
    # The sandbox's reading of the API's forms accepts what we send, at the same instant.
    parsed = parse_api_date(sent)
    assert parsed is not None
    start, _ = api_date_bounds(sent)
    assert int(start.timestamp()) == parsed.start


def test_what_is_sent_means_the_instant_that_was_given() -> None:
    for value in (
        dt.datetime(2024, 3, 1, 23, 30, tzinfo=PLUS_2),
        dt.datetime(2024, 3, 1, 23, 30, tzinfo=MINUS_3_30),
        dt.datetime(2024, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
    ):
        assert parse_datetime(format_api_date(value)) == value
    naive = dt.datetime(2024, 3, 1, 12, 0)
    assert parse_datetime(format_api_date(naive)) == naive.replace(tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "bad",
    ["2024-02-30", "2024-13-01", "yesterday", "2024-03-01T25:00:00Z", "2024-03-01+15:00", "", "2024-3-1x"],
)
def test_bad_dates_are_refused_with_the_parameter_named(bad: str) -> None:
    with pytest.raises(InvalidParameterError) as err:
        format_api_date(bad, "startDate")
    assert err.value.parameter == "startDate"
    assert "startDate" in str(err.value)


def test_offsets_the_api_cannot_carry_are_refused() -> None:
    odd = dt.timezone(dt.timedelta(hours=1, seconds=30))
    with pytest.raises(InvalidParameterError, match="whole minutes"):
        format_api_date(dt.datetime(2024, 3, 1, tzinfo=odd))
    with pytest.raises(InvalidParameterError, match="expected a date"):
        format_api_date(20240301)  # type: ignore[arg-type]


def test_a_range_must_not_end_before_it_starts() -> None:
    check_range("2024-03-01", "2024-03-01")  # one whole day
    check_range("2024-03-01T23:59:59Z", "2024-03-01")  # the end date covers its whole day
    check_range("2024-03-02T00:30:00+02:00", "2024-03-01")  # 22:30 UTC on the 1st
    with pytest.raises(InvalidParameterError, match="after end"):
        check_range("2024-03-02", "2024-03-01T23:59:59Z")
    with pytest.raises(InvalidParameterError, match="after end"):
        check_range("2024-03-01T10:00:00Z", "2024-03-01T11:00:00+02:00")
