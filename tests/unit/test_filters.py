"""The filter builder, its checks, and the one encoder (DESIGN.md section 4)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from socketlabs_api.models import MessageStatus
from socketlabs_api.operations import OPERATIONS, FilterField, Operation
from socketlabs_client import F, InvalidFilterError, SocketLabs, encode_filters
from socketlabs_client._filters import (
    PREDICATES,
    Clause,
    parse_filter_string,
    resolve_filters,
    resolve_untyped_filters,
)
from socketlabs_sandbox._filters import FieldSpec, FieldType
from socketlabs_sandbox._params import QueryReader

ALL = ("eq", "neq", "like", "nlike", "start", "end", "gt", "lt", "gte", "lte")

# The fields of the docs' two examples, one per type.
DOCS_OPERATION = Operation(
    operation_id="docsExample",
    method="GET",
    path="/servers/{serverId}/things",
    tag="things",
    server="api",
    confidence="modeled",
    shape_confidence="modeled",
    source="DESIGN.md section 4",
    retry="idempotent",
    accept="application/json",
    pagination="page",
    max_page_size=100,
    filters=(
        FilterField("name", "string"),
        FilterField("emailAddress", "string"),
        FilterField("status", "enum", ("active", "inactive")),
        FilterField("isActive", "boolean"),
        FilterField("count", "number"),
        FilterField("createdOn", "date"),
    ),
)

SAMPLE_VALUE = {
    "name": "jo",
    "count": 5,
    "createdOn": dt.date(2024, 3, 1),
    "isActive": True,
    "status": "active",
}
FIELD_OF_TYPE = {
    "string": "name",
    "number": "count",
    "date": "createdOn",
    "boolean": "isActive",
    "enum": "status",
}


def test_the_docs_examples_byte_for_byte() -> None:
    first = F.name.start("jo") & F.email_address.end("gmail.com")
    second = (F.status == "active") & (F.is_active == True)  # noqa: E712  # == builds the clause
    assert resolve_filters(DOCS_OPERATION, first) == "name=start:jo&emailAddress=end:gmail.com"
    assert resolve_filters(DOCS_OPERATION, second) == "status=eq:active&isActive=eq:true"
    # The same strings given by hand pass the checks unchanged.
    for text in ("name=start:jo&emailAddress=end:gmail.com", "status=eq:active&isActive=eq:true"):
        assert resolve_filters(DOCS_OPERATION, text) == text


def test_the_docs_example_goes_on_the_wire_byte_for_byte() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": [], "total": 0})

    with SocketLabs("k", 7, transport=httpx.MockTransport(answer)) as client:
        list(client.reports.messages_detail(filters=F.mailing_id.start("jo") & F.to.end("gmail.com")))
    (request,) = seen
    assert request.url.raw_path.endswith(b"&filters=mailingId=start:jo&to=end:gmail.com")


@pytest.mark.parametrize("kind", sorted(PREDICATES))
@pytest.mark.parametrize("predicate", ALL)
def test_every_predicate_by_type(kind: str, predicate: str) -> None:
    field = FIELD_OF_TYPE[kind]
    value = SAMPLE_VALUE[field] if predicate not in ("like", "nlike", "start", "end") else "jo"
    clause = getattr(F[field], predicate)(value)
    if predicate in PREDICATES[kind]:
        encoded = resolve_filters(DOCS_OPERATION, clause)
        assert encoded.startswith(f"{field}={predicate}:")
    else:
        with pytest.raises(InvalidFilterError, match=f"'{predicate}' does not fit {kind}"):
            resolve_filters(DOCS_OPERATION, clause)


def test_operators_build_the_same_clauses_as_the_methods() -> None:
    count = F.count
    assert (count == 1, count != 1, count < 1, count <= 1, count > 1, count >= 1) == (
        count.eq(1),
        count.neq(1),
        count.lt(1),
        count.lte(1),
        count.gt(1),
        count.gte(1),
    )
    assert F.mailing_id.name == F["mailingId"].name == F.mailingId.name == "mailingId"
    assert F.from_.name == "from"


def test_values_are_written_for_their_type() -> None:
    op = DOCS_OPERATION
    assert resolve_filters(op, F.count > 2.5) == "count=gt:2.5"
    assert resolve_filters(op, F.count > 1e-7) == "count=gt:0.0000001"
    assert resolve_filters(op, F.count.gte("12")) == "count=gte:12"
    assert resolve_filters(op, F.is_active != False) == "isActive=neq:false"  # noqa: E712
    assert resolve_filters(op, F.status == "INACTIVE") == "status=eq:inactive"  # the enum's own spelling
    offset = dt.timezone(dt.timedelta(hours=2))
    when = dt.datetime(2024, 3, 1, 10, 0, tzinfo=offset)
    assert resolve_filters(op, F.created_on >= when) == "createdOn=gte:2024-03-01T10:00:00%2B02:00"
    report = OPERATIONS["getMessageDetailReport"]
    assert resolve_filters(report, F.status == MessageStatus.DELIVERED) == "status=eq:Delivered"


def test_every_problem_is_reported_at_once() -> None:
    bad = (
        (F.nope == "x")
        & (F.status == "archived")
        & (F.count == "many")
        & (F.is_active == "yes")
        & (F.created_on < "2024-02-30")
        & F.name.eq(3)
        & F.count.like("1")
    )
    with pytest.raises(InvalidFilterError) as err:
        resolve_filters(DOCS_OPERATION, bad)
    problems = err.value.problems
    assert len(problems) == 7
    assert "unknown field 'nope'" in problems[0]
    assert "'archived' is not one of active, inactive" in problems[1]
    assert "not a number" in problems[2]
    assert "not true or false" in problems[3]
    assert "not a real date" in problems[4]
    assert "a text value is needed" in problems[5]
    assert "'like' does not fit number" in problems[6]
    assert err.value.parameter == "filters"


def test_bad_strings_and_operations_without_filters_are_refused() -> None:
    with pytest.raises(InvalidFilterError, match="not of the form"):
        resolve_filters(DOCS_OPERATION, "name:jo")
    with pytest.raises(InvalidFilterError, match="not UTF-8"):
        resolve_filters(DOCS_OPERATION, "name=eq:%FF")
    with pytest.raises(InvalidFilterError, match="takes no filters"):
        resolve_filters(OPERATIONS["searchRecipients"], F.to == "a@example.com")
    with pytest.raises(InvalidFilterError, match="expected F clauses"):
        resolve_filters(DOCS_OPERATION, 42)


HOSTILE = [
    "a&pageSize=1",
    "x&name=eq:y",
    "#fragment",
    "1+1",
    "100%",
    "%26",
    "two words",
    "é ü 東京",
    "a=b:c",
    "line\nbreak",
    "?q=1",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_cannot_break_out(value: str) -> None:
    encoded = resolve_filters(DOCS_OPERATION, F.name == value)
    head, _, written = encoded.partition(":")
    assert head == "name=eq"
    assert not set(written) & set("&#+ =?\n%") - {"%"}
    assert set(written) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~@:%")
    assert written == quote(value, safe="@:~")
    assert parse_filter_string(encoded)[0].value == value


# --- round trip through the sandbox's own parser ---------------------------------------------------

SANDBOX_FIELDS = {
    "name": FieldSpec("name", FieldType.STRING),
    "emailAddress": FieldSpec("emailAddress", FieldType.STRING),
    "status": FieldSpec("status", FieldType.ENUM, ("active", "inactive")),
    "isActive": FieldSpec("isActive", FieldType.BOOLEAN),
    "count": FieldSpec("count", FieldType.NUMBER),
    "createdOn": FieldSpec("createdOn", FieldType.DATE),
}
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
DATES = st.one_of(
    st.dates(min_value=dt.date(1971, 1, 1), max_value=dt.date(2200, 1, 1)),
    st.datetimes(
        min_value=dt.datetime(1971, 1, 1),
        max_value=dt.datetime(2200, 1, 1),
        timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=5, minutes=30))]),
    ),
)
CLAUSE = st.one_of(
    st.builds(lambda p, v: getattr(F.name, p)(v), st.sampled_from(PREDICATES["string"]), TEXT),
    st.builds(lambda p, v: getattr(F.email_address, p)(v), st.sampled_from(PREDICATES["string"]), TEXT),
    st.builds(lambda p, v: getattr(F.count, p)(v), st.sampled_from(PREDICATES["number"]), st.integers()),
    st.builds(lambda p, v: getattr(F.is_active, p)(v), st.sampled_from(PREDICATES["boolean"]), st.booleans()),
    st.builds(
        lambda p, v: getattr(F.status, p)(v), st.sampled_from(PREDICATES["enum"]), st.sampled_from(["active"])
    ),
    st.builds(lambda p, v: getattr(F.created_on, p)(v), st.sampled_from(PREDICATES["date"]), DATES),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clauses=st.lists(CLAUSE, min_size=1, max_size=5), page_size=st.integers(1, 100))
def test_encoding_round_trips_through_the_sandbox_parser(clauses: list, page_size: int) -> None:
    combined = clauses[0]
    for clause in clauses[1:]:
        combined = combined & clause
    encoded = resolve_filters(DOCS_OPERATION, combined)
    query = f"pageSize={page_size}&pageNumber=0&filters={encoded}"
    reader = QueryReader(query, ("pageSize", "pageNumber", "filters"))
    parsed = reader.filters(SANDBOX_FIELDS)
    assert reader.problems == []
    assert reader.integer("pageSize", minimum=1, maximum=100, default=0) == page_size
    wire = [tuple(piece.split(":", 1)[0].split("=")) for piece in encoded.split("&")]
    assert [(f.field, f.predicate) for f in parsed] == wire
    for f, clause in zip(parsed, combined.clauses, strict=True):
        if isinstance(clause.value, str):
            assert f.value == clause.value  # text arrives exactly as given
    assert encode_filters((f.field, f.predicate, f.value) for f in parsed) == encoded


# No x-filters (client.request / paginate / download): the form is checked, values written by their type.


def test_untyped_values_are_written_as_for_a_field_of_their_type() -> None:
    offset = dt.timezone(dt.timedelta(hours=2))
    when = dt.datetime(2024, 3, 1, 10, 0, tzinfo=offset)
    given = (
        (F.count > 2.5)
        & (F.is_active != False)  # noqa: E712
        & (F.created_on >= when)
        & (F.day == dt.date(2024, 3, 1))
        & (F.status == MessageStatus.DELIVERED)
        & F.name.start("a&b")
    )
    assert resolve_untyped_filters(given) == (
        "count=gt:2.5&isActive=neq:false&createdOn=gte:2024-03-01T10:00:00%2B02:00"
        "&day=eq:2024-03-01&status=eq:Delivered&name=start:a%26b"
    )
    # Each value is written exactly as the typed path writes it for a field of that type.
    typed = resolve_filters(DOCS_OPERATION, (F.count > 2.5) & (F.created_on >= when))
    assert resolve_untyped_filters((F.count > 2.5) & (F.created_on >= when)) == typed
    # A wire-form string comes back in the canonical encoding.
    assert resolve_untyped_filters("name=eq:a%40b&x=like:%C3%A9") == "name=eq:a@b&x=like:%C3%A9"


def test_untyped_problems_are_reported_at_once_and_any_field_is_allowed() -> None:
    bad = (F.name.like(3)) & F.count.eq(float("inf")) & F.x.eq(b"raw") & Clause("a b", "eq", "v")  # type: ignore[arg-type]
    bad = bad & Clause("y", "above", "1")
    with pytest.raises(InvalidFilterError) as err:
        resolve_untyped_filters(bad)
    assert len(err.value.problems) == 5
    said = " | ".join(err.value.problems)
    for part in (
        "compares text",
        "not a number",
        "not text, a number",
        "'a b' is not a field name",
        "unknown predicate 'above'",
    ):
        assert part in said
    for bad_text in ("", "name", "name=eq", "=eq:x", "name=eq:%FF"):
        with pytest.raises(InvalidFilterError):
            resolve_untyped_filters(bad_text)
    with pytest.raises(InvalidFilterError, match="expected F clauses"):
        resolve_untyped_filters(42)
    assert resolve_untyped_filters(F.anything_at_all == "x") == "anythingAtAll=eq:x"
