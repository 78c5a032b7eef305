"""Paging through the escape hatch: ``client.paginate`` and ``client.download`` against the sandbox.

Each ad hoc call names a sandbox list path the generated client also has, so
its result can be compared with the generated pager's over real HTTP. Requests
are counted by a recording transport on the client, so "nothing was sent" is
checked, not assumed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from socketlabs_api.models import MessageDetail
from socketlabs_client import (
    AsyncSocketLabs,
    BadRequestError,
    CsvRangeError,
    F,
    InvalidFilterError,
    InvalidParameterError,
    InvalidRequestError,
    MalformedResponseError,
    RepeatedPageError,
    SocketLabs,
    UnverifiedOperationWarning,
)
from socketlabs_sandbox import FIXED_ANCHOR, Sandbox, SandboxConfig

SUPPRESSIONS = 57
MESSAGES = 300
SEARCH = "/servers/{serverId}/suppressions/search"
DOWNLOAD = "/servers/{serverId}/suppressions/download"
DETAIL = "/servers/{serverId}/reports/messages/detail"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(
        SandboxConfig(anchor=FIXED_ANCHOR, suppressions=SUPPRESSIONS, report_messages=MESSAGES, seed=11)
    ) as running:
        yield running


class Recording(httpx.HTTPTransport):
    """A real HTTP transport that keeps every request it sent (optionally rewritten first)."""

    def __init__(self, stuck_page: bool = False) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []
        self.stuck_page = stuck_page

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.stuck_page:
            request = _stuck(request)
        self.requests.append(request)
        return super().handle_request(request)


class AsyncRecording(httpx.AsyncHTTPTransport):
    """The async twin of ``Recording``."""

    def __init__(self, stuck_page: bool = False) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []
        self.stuck_page = stuck_page

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.stuck_page:
            request = _stuck(request)
        self.requests.append(request)
        return await super().handle_async_request(request)


def _stuck(request: httpx.Request) -> httpx.Request:
    """Ask for page 0 whatever page was asked for: a server stuck on its first page."""
    head, sep, filters = request.url.query.decode().partition("&filters=")
    pairs = [(k, "0" if k == "pageNumber" else v) for k, v in parse_qsl(head, keep_blank_values=True)]
    url = request.url.copy_with(query=(urlencode(pairs) + sep + filters).encode())
    return httpx.Request(request.method, url, headers=request.headers, extensions=request.extensions)


def _query(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.url.query.decode().partition("&filters=")[0]))


def _filters(request: httpx.Request) -> str:
    return request.url.query.decode().partition("&filters=")[2]


@pytest.fixture
def recorded(sandbox: Sandbox) -> Iterator[tuple[SocketLabs, Recording]]:
    sandbox.reset()
    transport = Recording()
    with SocketLabs(sandbox.api_key, sandbox.server_id, base_url=sandbox.api_url, transport=transport) as c:
        yield c, transport


def _async(sandbox: Sandbox, transport: AsyncRecording) -> AsyncSocketLabs:
    return AsyncSocketLabs(sandbox.api_key, sandbox.server_id, base_url=sandbox.api_url, transport=transport)


# JSON pages -------------------------------------------------------------------


def test_adhoc_pages_yield_what_the_generated_pager_yields(recorded: tuple[SocketLabs, Recording]) -> None:
    client, transport = recorded
    pager = client.paginate("GET", SEARCH, page_size=10, sort_field="emailAddress")
    items = list(pager)
    assert all(type(item) is dict for item in items)  # plain dicts: no model for a path the spec lacks
    assert len(items) == SUPPRESSIONS
    assert len(transport.requests) == math.ceil(SUPPRESSIONS / 10)  # stopped on total
    assert [_query(r)["pageNumber"] for r in transport.requests] == [str(n) for n in range(6)]
    with pytest.warns(UnverifiedOperationWarning, match="searchSuppressions"):
        generated = list(client.unverified.suppressions.search(page_size=10, sort_field="emailAddress"))
    assert items == generated, "the unverified generated list answers the same plain dicts"
    pages = list(pager.pages())
    assert [len(page["data"]) for page in pages] == [10, 10, 10, 10, 10, 7]
    assert {page["total"] for page in pages} == {SUPPRESSIONS}
    assert pager.first_page() == pages[0]


def test_start_page_and_max_items(recorded: tuple[SocketLabs, Recording]) -> None:
    client, transport = recorded
    everything = list(client.paginate("GET", SEARCH, page_size=10, sort_field="emailAddress"))
    transport.requests.clear()
    resumed = list(client.paginate("GET", SEARCH, page_size=10, page_number=4, sort_field="emailAddress"))
    assert resumed == everything[40:]
    assert [_query(r)["pageNumber"] for r in transport.requests] == ["4", "5"]
    transport.requests.clear()
    capped = list(client.paginate("GET", SEARCH, page_size=10, max_items=23, sort_field="emailAddress"))
    assert capped == everything[:23]
    assert len(transport.requests) == 3  # the third page holds the 23rd item; no fourth request
    transport.requests.clear()
    assert list(client.paginate("GET", SEARCH, max_items=0)) == []
    assert transport.requests == []


def test_filters_reach_the_server_in_the_wire_form(recorded: tuple[SocketLabs, Recording]) -> None:
    client, transport = recorded
    everything = list(client.paginate("GET", SEARCH, page_size=100))
    expected = [e for e in everything if e["emailAddress"].endswith("7@example.com")]
    assert 0 < len(expected) < len(everything)
    transport.requests.clear()
    found = list(client.paginate("GET", SEARCH, filters=F.email_address.end("7@example.com")))
    assert sorted(e["emailAddress"] for e in found) == sorted(e["emailAddress"] for e in expected)
    assert _filters(transport.requests[0]) == "emailAddress=end:7@example.com"
    # A wire-form string is checked, re-encoded and sent the same way.
    transport.requests.clear()
    again = list(client.paginate("GET", SEARCH, filters="emailAddress=end:7%40example.com"))
    assert again == found
    assert _filters(transport.requests[0]) == "emailAddress=end:7@example.com"
    # A date value is written in the API's form; the sandbox checks it against its own field type.
    since = dt.datetime(2025, 12, 15, tzinfo=dt.UTC)
    recent = list(client.paginate("GET", SEARCH, filters=F.suppression_last_update >= since))
    assert 0 < len(recent) < len(everything)
    assert all(dt.datetime.fromisoformat(e["suppressionLastUpdate"]) >= since for e in recent)
    assert _filters(transport.requests[-1]) == "suppressionLastUpdate=gte:2025-12-15T00:00:00Z"


def test_a_field_the_server_does_not_know_is_its_typed_error(recorded: tuple[SocketLabs, Recording]) -> None:
    client, transport = recorded
    # No x-filters for an ad hoc path: the client checks the form, the server the field.
    pager = client.paginate("GET", SEARCH, filters=F.mailing_id == "m-1")
    assert transport.requests == []  # lazy: nothing sent until iterated
    with pytest.raises(BadRequestError):
        list(pager)
    assert len(transport.requests) == 1


def test_dates_sort_and_a_reports_path_match_the_generated_pager(
    recorded: tuple[SocketLabs, Recording],
) -> None:
    client, transport = recorded
    window: dict[str, Any] = {"start_date": dt.date(2025, 12, 10), "end_date": "2025-12-20T12:00:00+02:00"}
    items = list(client.paginate("GET", DETAIL, page_size=50, sort_direction="dsc", **window))
    generated = list(client.reports.messages_detail(page_size=50, sort_direction="dsc", **window))
    assert 0 < len(items) < MESSAGES
    assert [MessageDetail.from_dict(item) for item in items] == generated
    sent = _query(transport.requests[0])
    assert (sent["startDate"], sent["endDate"]) == ("2025-12-10", "2025-12-20T12:00:00+02:00")
    assert transport.requests[0].extensions["socketlabs.operation"].rate_limit_family == "reports-message"


def test_a_page_stuck_on_page_zero_is_refused(sandbox: Sandbox) -> None:
    sandbox.reset()
    transport = Recording(stuck_page=True)
    seen: list[dict[str, Any]] = []
    with (
        SocketLabs(sandbox.api_key, sandbox.server_id, base_url=sandbox.api_url, transport=transport) as c,
        pytest.raises(RepeatedPageError) as caught,
    ):
        seen.extend(c.paginate("GET", SEARCH, page_size=10))
    assert len(seen) == 10  # page 0 delivered once, then the repeat is refused, not looped on
    assert len(transport.requests) == 2
    assert caught.value.next_page == 1
    assert caught.value.operation_id == f"request GET {SEARCH}"


def test_a_body_that_is_not_a_page_is_malformed(recorded: tuple[SocketLabs, Recording]) -> None:
    client, _ = recorded
    with pytest.raises(MalformedResponseError, match="'data' list"):
        list(client.paginate("GET", "/servers/{serverId}/suppressions", params={"emailAddress": "a@b.co"}))


# CSV --------------------------------------------------------------------------


def test_adhoc_download_is_byte_for_byte_the_generated_one(
    recorded: tuple[SocketLabs, Recording], tmp_path: Path
) -> None:
    client, transport = recorded
    progress: list[tuple[int, int | None]] = []
    rows = client.download(
        "GET",
        DOWNLOAD,
        page_size=10,
        sort_field="emailAddress",
        progress=lambda d, t: progress.append((d, t)),
    ).save(tmp_path / "adhoc.csv")
    assert rows == SUPPRESSIONS
    assert len(transport.requests) == math.ceil(SUPPRESSIONS / 10)
    assert {r.headers["Accept"] for r in transport.requests} == {"text/csv"}
    assert progress[-1] == (SUPPRESSIONS, SUPPRESSIONS)
    client.suppressions.download(page_size=10, sort_field="emailAddress").save(tmp_path / "generated.csv")
    adhoc = (tmp_path / "adhoc.csv").read_bytes()
    assert adhoc == (tmp_path / "generated.csv").read_bytes()
    assert adhoc.count(b"\n") == SUPPRESSIONS + 1  # one header row


def test_download_start_row_max_rows_and_filters(recorded: tuple[SocketLabs, Recording]) -> None:
    client, transport = recorded
    everything = list(client.download("GET", DOWNLOAD, page_size=10))
    transport.requests.clear()
    assert list(client.download("GET", DOWNLOAD, page_size=10, start_row=33)) == everything[33:]
    assert [_query(r)["pageNumber"] for r in transport.requests] == ["3", "4", "5"]
    transport.requests.clear()
    assert list(client.download("GET", DOWNLOAD, page_size=10, max_rows=25)) == everything[:25]
    assert len(transport.requests) == 3
    filtered = list(client.download("GET", DOWNLOAD, filters=F.reason == "Bounce"))
    assert filtered == [row for row in everything if row["reason"] == "Bounce"]
    assert 0 < len(filtered) < SUPPRESSIONS
    assert _filters(transport.requests[-1]) == "reason=eq:Bounce"


def test_a_truncated_csv_page_says_where_to_resume(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.reset()
    sandbox.state.csv_truncate_page = 2
    try:
        with SocketLabs(sandbox.api_key, sandbox.server_id, base_url=sandbox.api_url) as client:
            with pytest.raises(CsvRangeError) as caught:
                client.download("GET", DOWNLOAD, page_size=10).save(tmp_path / "part.csv")
            assert caught.value.next_row == 25  # page 2 stopped after half its rows
            sandbox.state.csv_truncate_page = None
            client.download("GET", DOWNLOAD, page_size=10, start_row=caught.value.next_row).save(
                tmp_path / "part.csv"
            )
            client.suppressions.download(page_size=10).save(tmp_path / "whole.csv")
    finally:
        sandbox.state.csv_truncate_page = None
    assert (tmp_path / "part.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


# Checked before sending ----------------------------------------------------------


BAD_CALLS: list[tuple[str, dict[str, Any], type[Exception], str]] = [
    ("paginate", {"page_size": 0}, InvalidParameterError, "pageSize"),
    ("paginate", {"page_size": 101}, InvalidParameterError, "pageSize"),
    ("paginate", {"page_size": True}, InvalidParameterError, "pageSize"),
    ("download", {"page_size": 500_001}, InvalidParameterError, "pageSize"),
    ("paginate", {"page_number": -1}, InvalidParameterError, "pageNumber"),
    ("paginate", {"max_items": -1}, InvalidParameterError, "max_items"),
    ("download", {"start_row": -1}, InvalidParameterError, "start_row"),
    ("paginate", {"sort_direction": "desc"}, InvalidParameterError, "dsc"),
    ("paginate", {"start_date": "2025-13-01"}, InvalidParameterError, "startDate"),
    ("paginate", {"start_date": "2025-12-02", "end_date": "2025-12-01"}, InvalidParameterError, "after"),
    ("paginate", {"filters": "emailAddress=end"}, InvalidFilterError, "field=predicate:value"),
    ("paginate", {"filters": "emailAddress=endswith:x"}, InvalidFilterError, "unknown predicate"),
    ("paginate", {"filters": ""}, InvalidFilterError, "empty"),
    ("paginate", {"filters": F.reason.like(5)}, InvalidFilterError, "compares text"),  # type: ignore[arg-type]
    ("paginate", {"filters": F.count.eq(float("nan"))}, InvalidFilterError, "not a number"),
    ("paginate", {"filters": F.reason == [1, 2]}, InvalidFilterError, "not text, a number"),
    ("download", {"filters": "reason=eq:%FF"}, InvalidFilterError, "UTF-8"),
    ("paginate", {"params": {"pageSize": 5}}, InvalidRequestError, "page_size="),
    ("download", {"params": {"filters": "reason=eq:Bounce"}}, InvalidRequestError, "filters="),
    ("paginate", {"path_params": {"listId": 1}}, InvalidRequestError, "no placeholder"),
]


@pytest.mark.parametrize(("method", "kwargs", "error", "said"), BAD_CALLS)
def test_bad_list_arguments_fail_with_zero_requests(
    recorded: tuple[SocketLabs, Recording],
    method: str,
    kwargs: dict[str, Any],
    error: type[Exception],
    said: str,
) -> None:
    client, transport = recorded
    path = DOWNLOAD if method == "download" else SEARCH
    with pytest.raises(error, match=said):
        getattr(client, method)("GET", path, **kwargs)
    assert transport.requests == []


def test_request_checks_its_filters_too(recorded: tuple[SocketLabs, Recording]) -> None:
    client, transport = recorded
    with pytest.raises(InvalidFilterError, match="unknown predicate"):
        client.request("GET", SEARCH, filters="emailAddress=endswith:x")
    assert transport.requests == []
    # F clauses now work through request() as well (they used to be sent as their repr).
    page = client.request("GET", SEARCH, params={"pageSize": 100}, filters=F.reason == "Bounce")
    assert page["total"] == len([e for e in client.paginate("GET", SEARCH) if e["reason"] == "Bounce"]) > 0


# Async ------------------------------------------------------------------------


async def test_async_pages_and_download_match_the_generated_ones(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.reset()
    transport = AsyncRecording()
    async with _async(sandbox, transport) as client:
        pager = client.paginate("GET", SEARCH, page_size=10, sort_field="emailAddress")
        items = [item async for item in pager]
        assert len(transport.requests) == math.ceil(SUPPRESSIONS / 10)
        with pytest.warns(UnverifiedOperationWarning, match="searchSuppressions"):
            search = client.unverified.suppressions.search(page_size=10, sort_field="emailAddress")
            generated = [e async for e in search]
        assert items == generated, "the unverified generated list answers the same plain dicts"
        first = await pager
        assert first["data"] == items[:10]
        pages = [page async for page in client.paginate("GET", SEARCH, page_size=25, max_items=30).pages()]
        assert [len(page["data"]) for page in pages] == [25, 25]
        filtered = [e async for e in client.paginate("GET", SEARCH, filters=F.reason == "Complaint")]
        assert filtered == [e for e in items if e["reason"] == "Complaint"]
        assert 0 < len(filtered) < SUPPRESSIONS
        assert _filters(transport.requests[-1]) == "reason=eq:Complaint"
        adhoc = await client.download("GET", DOWNLOAD, page_size=20).save(tmp_path / "adhoc.csv")
        await client.suppressions.download(page_size=20).save(tmp_path / "generated.csv")
    assert adhoc == SUPPRESSIONS
    assert (tmp_path / "adhoc.csv").read_bytes() == (tmp_path / "generated.csv").read_bytes()


async def test_async_guards_and_checks(sandbox: Sandbox) -> None:
    sandbox.reset()
    stuck = AsyncRecording(stuck_page=True)
    async with _async(sandbox, stuck) as client:
        with pytest.raises(RepeatedPageError):
            [e async for e in client.paginate("GET", SEARCH, page_size=10)]
    assert len(stuck.requests) == 2
    transport = AsyncRecording()
    async with _async(sandbox, transport) as client:
        with pytest.raises(InvalidParameterError, match="pageSize"):
            client.paginate("GET", SEARCH, page_size=101)
        with pytest.raises(InvalidFilterError):
            client.download("GET", DOWNLOAD, filters="reason=maybe:Bounce")
        assert transport.requests == []
        capped = [row async for row in client.download("GET", DOWNLOAD, page_size=10, max_rows=12)]
    assert len(capped) == 12
    assert len(transport.requests) == 2
