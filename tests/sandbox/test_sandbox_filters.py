"""The filter grammar, predicates by field type, and query-string splitting."""

from __future__ import annotations

import pytest
from socketlabs_sandbox._dates import ApiDate, format_instant, parse_api_date
from socketlabs_sandbox._filters import FieldSpec, FieldType, FilterError, FilterValue, parse_filters
from socketlabs_sandbox._params import QueryReader, is_valid_email

FIELDS = {
    spec.name: spec
    for spec in (
        FieldSpec("name", FieldType.STRING),
        FieldSpec("count", FieldType.NUMBER),
        FieldSpec("created", FieldType.DATE),
        FieldSpec("isActive", FieldType.BOOLEAN),
        FieldSpec("status", FieldType.ENUM, ("Active", "Inactive")),
    )
}
NOON = parse_api_date("2025-06-15T12:00:00Z")
assert NOON is not None


def _matches(text: str, value: FilterValue) -> bool:
    [only] = parse_filters(text.split("&"), FIELDS)
    return only.matches(value)


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("name=eq:JOHN", "john", True),
        ("name=neq:john", "John", False),
        ("name=like:oh", "JOHN", True),
        ("name=nlike:oh", "JOHN", False),
        ("name=start:jo", "John", True),
        ("name=end:HN", "john", True),
        ("name=eq:", None, True),
        ("name=like:a%26b", "xa&by", True),
        ("name=eq:a%2Bb", "a+b", True),
        ("name=eq:a=b:c", "a=b:c", True),
        ("count=eq:3", 3, True),
        ("count=neq:3", 3.5, True),
        ("count=gt:2.5", 3, True),
        ("count=lt:-1", 0, False),
        ("count=gte:3", 3, True),
        ("count=lte:3", 4, False),
        ("count=neq:3", None, True),
        ("count=eq:3", None, False),
        ("count=eq:1", True, False),
        ("created=eq:2025-06-15", NOON.start, True),
        ("created=gt:2025-06-15", NOON.start, False),
        ("created=gt:2025-06-14", NOON.start, True),
        ("created=gte:2025-06-15", NOON.start, True),
        ("created=lt:2025-06-15", NOON.start, False),
        ("created=lte:2025-06-15", NOON.start, True),
        ("created=eq:2025-06-15T12:00:00Z", NOON.start, True),
        ("created=eq:2025-06-15T14:00:00+02:00", NOON.start, True),
        ("created=gt:2025-06-15T11:59:59", NOON.start, True),
        ("created=eq:2025-06-15", None, False),
        ("isActive=eq:true", True, True),
        ("isActive=eq:TRUE", False, False),
        ("isActive=neq:false", True, True),
        ("status=eq:active", "Active", True),
        ("status=neq:Active", "Inactive", True),
    ],
)
def test_predicates(text: str, value: FilterValue, expected: bool) -> None:
    assert _matches(text, value) is expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("nope=eq:1", "unknown field 'nope'"),
        ("Name=eq:1", "unknown field 'Name'"),  # field names are exact
        ("name=EQ:1", "unknown predicate 'EQ'"),
        ("name=gt:1", "does not fit string field 'name' (use one of: eq neq like nlike start end)"),
        ("count=like:1", "does not fit number field"),
        ("created=neq:2025-01-01", "does not fit date field"),
        ("isActive=gt:true", "does not fit boolean field"),
        ("status=start:Act", "does not fit enum field"),
        ("count=eq:three", "not a number"),
        ("count=eq:1e3", "not a number"),
        ("created=eq:2025-02-30", "not a valid date"),
        ("isActive=eq:yes", "not true or false"),
        ("status=eq:Paused", "not one of Active, Inactive"),
        ("=eq:1", "not of the form"),
        ("name:eq:1", "not of the form"),
        ("name=eq", "not of the form"),
        ("", "not of the form"),
        ("9name=eq:1", "not of the form"),
    ],
)
def test_errors_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(FilterError) as raised:
        parse_filters([text], FIELDS)
    assert fragment in str(raised.value)


def test_every_problem_is_reported() -> None:
    with pytest.raises(FilterError) as raised:
        parse_filters(["nope=eq:1", "name=eq:ok", "count=like:2"], FIELDS)
    assert len(raised.value.problems) == 2


def test_all_filters_must_hold() -> None:
    filters = parse_filters(["name=start:jo", "name=end:hn"], FIELDS)
    assert all(f.matches("John") for f in filters)
    assert not all(f.matches("Joan") for f in filters)


@pytest.mark.parametrize(
    ("text", "start", "has_time"),
    [
        ("2025-06-15", "2025-06-15T00:00:00Z", False),
        ("2025-06-15Z", "2025-06-15T00:00:00Z", False),
        ("2025-06-15+02:00", "2025-06-14T22:00:00Z", False),
        ("2025-06-15T12:00:00", "2025-06-15T12:00:00Z", True),
        ("2025-06-15T12:00:00Z", "2025-06-15T12:00:00Z", True),
        ("2025-06-15T12:00:00-14:00", "2025-06-16T02:00:00Z", True),
        ("0001-01-01T00:00:00+14:00", "0000-12-31T10:00:00Z", True),
        ("9999-12-31T23:59:59-14:00", None, True),
    ],
)
def test_api_dates(text: str, start: str | None, has_time: bool) -> None:
    parsed = parse_api_date(text)
    assert parsed is not None and parsed.has_time is has_time
    if start is not None and not start.startswith("0000"):
        assert format_instant(parsed.start) == start
    assert parsed.end == (parsed.start if has_time else parsed.start + 86399)


def test_date_only_values_cover_the_day() -> None:
    assert ApiDate(start=0, has_time=False).end == 86399


@pytest.mark.parametrize(
    "text",
    [
        "2025-6-15",
        "2025-06-15T12:00",
        "2025-06-15T12:00:00.5Z",
        "2025-06-15 12:00:00",
        "2025-06-15T12:00:00+1:00",
        "2025-06-15T12:00:00+02:60",
        "2025-06-15T12:00:00+14:01",
        "2025-06-31",
        "2025-06-15T12:60:00",
    ],
)
def test_not_api_dates(text: str) -> None:
    assert parse_api_date(text) is None


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("a@b", True),
        ("ann.lee+tag@example.co.uk", True),
        ('"quoted"@example.com', True),
        ("ab", False),
        ("a@b@c", False),
        ("@b.c", False),
        ("a@", False),
        ("a @b.c", False),
        ("a@b.c\n", False),
        ("a@b\x00c", False),
        ("a@b\u00a0c", False),
        ("a" * 316 + "@b.co", False),
    ],
)
def test_email_syntax(address: str, valid: bool) -> None:
    assert is_valid_email(address) is valid


KNOWN = ("pageSize", "filters", "sortField")


def _pieces(raw_query: str) -> tuple[list[str], list[str]]:
    reader = QueryReader(raw_query, KNOWN)
    names = [f.field + "=" + f.predicate + ":" + f.value for f in reader.filters(FIELDS_FOR_SPLIT)]
    return names, reader.problems


FIELDS_FOR_SPLIT = {name: FieldSpec(name, FieldType.STRING) for name in ("name", "emailAddress", "status")}


def test_the_docs_raw_form_spreads_over_pieces() -> None:
    filters, problems = _pieces("filters=name=start:jo&emailAddress=end:gmail.com&pageSize=5")
    assert filters == ["name=start:jo", "emailAddress=end:gmail.com"]
    assert problems == []
    reader = QueryReader("filters=name=start:jo&emailAddress=end:gmail.com&pageSize=5", KNOWN)
    assert reader.integer("pageSize", minimum=1, maximum=100, default=100) == 5


def test_raw_form_decodes_each_value_once() -> None:
    filters, _ = _pieces("filters=name=eq:a%26b+c%2Bd&status=eq:x%3Ay")
    assert filters == ["name=eq:a&b c+d", "status=eq:x:y"]


def test_fully_encoded_form_decodes_twice() -> None:
    # What httpx/requests send for filters="name=eq:a%26b+c&status=eq:1"
    filters, _ = _pieces("filters=name%3Deq%3Aa%2526b%2Bc%26status%3Deq%3A1")
    assert filters == ["name=eq:a&b+c", "status=eq:1"]


def test_unknown_parameters_are_ignored_and_known_ones_end_nothing() -> None:
    filters, problems = _pieces("other=1&filters=name=eq:x&sortField=name&status=eq:y&junk=zz")
    assert filters == ["name=eq:x", "status=eq:y"]
    assert problems == []


def test_filters_twice_or_empty_is_a_problem() -> None:
    assert _pieces("filters=name=eq:x&filters=name=eq:y")[1] == ["filters must be given at most once"]
    assert _pieces("filters=")[1] == ["filters must not be empty"]


def test_integers_are_strict() -> None:
    for text in ("+5", "5.0", " 5", "\u0665", "1" * 30, "0x10"):  # \u0665: ARABIC-INDIC DIGIT FIVE
        reader = QueryReader(f"pageSize={text}", KNOWN)
        assert reader.integer("pageSize", minimum=1, maximum=100, default=100) == 100
        assert reader.problems, text
