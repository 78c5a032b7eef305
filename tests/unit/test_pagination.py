"""Pagers and CSV streams against servers that misbehave in ways the sandbox does not.

Each case answers from an ``httpx.MockTransport`` so that a wrong page, a
repeated page or an inconsistent ``Content-Range`` can be served exactly.
"""

from __future__ import annotations

import asyncio
import csv
import itertools
from collections.abc import Callable
from urllib.parse import parse_qsl

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from socketlabs_api.models import SortDirection
from socketlabs_api.operations import OPERATIONS
from socketlabs_api.resources import ListQuery
from socketlabs_client import (
    AsyncSocketLabs,
    CsvRangeError,
    F,
    InvalidFilterError,
    InvalidParameterError,
    RepeatedPageError,
    SocketLabs,
)
from socketlabs_client._pagination import list_request, plan

# The pager mechanics are exercised through searchSuppressions, an unverified (plain-data) list;
# its warning is tested in tests/integration/test_tiers_sandbox.py.
pytestmark = pytest.mark.filterwarnings("ignore::socketlabs_client.UnverifiedOperationWarning")

Handler = Callable[[httpx.Request], httpx.Response]
HEADER = "serverId,suppressionLastUpdate,reason,emailAddress\n"


def _query(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.url.query.decode().partition("&filters=")[0]))


class Server:
    """Records requests and answers with ``handler``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def pages(self) -> list[int]:
        return [int(_query(r)["pageNumber"]) for r in self.requests]


def _client(server: Server) -> SocketLabs:
    return SocketLabs("k", 7, transport=httpx.MockTransport(server))


def _async_client(server: Server) -> AsyncSocketLabs:
    return AsyncSocketLabs("k", 7, transport=httpx.MockTransport(server))


def _suppression(i: int) -> dict[str, str]:
    return {"emailAddress": f"u{i}@example.com", "suppressionLastUpdate": "2024-03-01T10:00:00Z"}


def _json_pages(total: int, *, repeat_from: int | None = None) -> Handler:
    """A list of ``total`` entries; from page ``repeat_from`` on it keeps sending that page."""

    def handle(request: httpx.Request) -> httpx.Response:
        q = _query(request)
        size, number = int(q["pageSize"]), int(q["pageNumber"])
        if repeat_from is not None and number > repeat_from:
            number = repeat_from
        rows = [_suppression(i) for i in range(number * size, min(total, (number + 1) * size))]
        return httpx.Response(200, json={"data": rows, "total": total})

    return handle


def test_items_pages_total_and_max_items() -> None:
    server = Server(_json_pages(25))
    with _client(server) as client:
        pager = client.unverified.suppressions.search(page_size=10)
        assert [e["emailAddress"] for e in pager] == [f"u{i}@example.com" for i in range(25)]
        assert server.pages() == [0, 1, 2]  # stops on total: no fourth request
        assert [len(p["data"]) for p in pager.pages()] == [10, 10, 5]
        server.requests.clear()
        assert len(list(client.unverified.suppressions.search(page_size=10, max_items=12))) == 12
        assert server.pages() == [0, 1]
        server.requests.clear()
        resumed = list(client.unverified.suppressions.search(page_size=10, page_number=2))
        assert [e["emailAddress"] for e in resumed] == [f"u{i}@example.com" for i in range(20, 25)]
        assert server.pages() == [2]


def test_an_empty_page_stops_even_when_total_says_more() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        number = int(_query(request)["pageNumber"])
        rows = [_suppression(i) for i in range(3)] if number == 0 else []
        return httpx.Response(200, json={"data": rows, "total": 1000})

    server = Server(handle)
    with _client(server) as client:
        assert len(list(client.unverified.suppressions.search(page_size=3))) == 3
    assert server.pages() == [0, 1]


def test_a_repeated_page_is_an_error_not_a_loop() -> None:
    server = Server(_json_pages(100, repeat_from=1))
    seen = []
    with _client(server) as client, pytest.raises(RepeatedPageError) as err:
        seen.extend(e["emailAddress"] for e in client.unverified.suppressions.search(page_size=10))
    assert len(seen) == 20  # pages 0 and 1 were delivered, page 2 repeated page 1
    assert err.value.next_page == 2
    assert err.value.operation_id == "searchSuppressions"


def test_async_pager_items_pages_first_page_and_repeat_guard() -> None:
    async def run() -> None:
        server = Server(_json_pages(25))
        async with _async_client(server) as client:
            first = await client.unverified.suppressions.search(page_size=10)
            assert (len(first["data"]), first["total"]) == (10, 25)
            items = [e["emailAddress"] async for e in client.unverified.suppressions.search(page_size=10)]
            assert len(items) == 25
            pages = [
                p async for p in client.unverified.suppressions.search(page_size=10, page_number=1).pages()
            ]
            assert [len(p["data"]) for p in pages] == [10, 5]
        looping = Server(_json_pages(100, repeat_from=0))
        async with _async_client(looping) as client:
            with pytest.raises(RepeatedPageError):
                [e async for e in client.unverified.suppressions.search(page_size=10)]

    asyncio.run(run())


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda c: c.unverified.suppressions.search(page_size=0), "pageSize"),
        (lambda c: c.unverified.suppressions.search(page_size=101), "pageSize"),
        (lambda c: c.unverified.suppressions.search(page_size=True), "pageSize"),
        (lambda c: c.suppressions.download(page_size=500_001), "pageSize"),
        (lambda c: c.unverified.suppressions.search(page_number=-1), "pageNumber"),
        (lambda c: c.unverified.suppressions.search(sort_direction="desc"), "sortDirection"),
        (lambda c: c.unverified.suppressions.search(sort_field="a b"), "sortField"),
        (lambda c: c.unverified.suppressions.search(start_date="2024-02-30"), "startDate"),
        (
            lambda c: c.unverified.suppressions.search(start_date="2024-03-02", end_date="2024-03-01"),
            "startDate",
        ),
        (lambda c: c.unverified.suppressions.search(filters=F.reason > 3), "filters"),
        (lambda c: c.reports.messages_detail(filters=F.status == "Bounced"), "filters"),
        (lambda c: c.unverified.suppressions.search(max_items=-1), "max_items"),
        (lambda c: c.suppressions.download(start_row=-5), "start_row"),
        (lambda c: c.suppressions.download(progress="yes"), "progress"),
    ],
)
def test_bad_list_arguments_fail_before_any_request(
    call: Callable[[SocketLabs], object], parameter: str
) -> None:
    server = Server(_json_pages(1))
    with _client(server) as client, pytest.raises(InvalidParameterError) as err:
        call(client)
    assert err.value.parameter == parameter
    assert server.requests == []


def test_a_csv_page_size_up_to_500000_is_fine() -> None:
    server = Server(lambda r: httpx.Response(200, headers={"Content-Type": "text/csv"}, text=HEADER))
    with _client(server) as client:
        assert list(client.suppressions.download(page_size=500_000)) == []
        with pytest.raises(InvalidFilterError):
            client.suppressions.download(filters="status=eq:x")
    assert _query(server.requests[0])["pageSize"] == "500000"


# --- CSV: Content-Range checks ---------------------------------------------------------------------


def _row(i: int) -> str:
    return f"12345,2024-03-01T10:00:00Z,Manual,u{i}@example.com\n"


def _csv(status: int, content_range: str | None, rows: range, header: str = HEADER) -> httpx.Response:
    headers = {"Content-Type": "text/csv"}
    if content_range is not None:
        headers["Content-Range"] = content_range
    return httpx.Response(status, headers=headers, text=header + "".join(_row(i) for i in rows))


def _csv_server(total: int, size: int, fault: Callable[[int], httpx.Response | None] | None = None) -> Server:
    def handle(request: httpx.Request) -> httpx.Response:
        number = int(_query(request)["pageNumber"])
        broken = fault(number) if fault else None
        if broken is not None:
            return broken
        first, last = number * size, min(total, (number + 1) * size) - 1
        if first >= total:
            return _csv(200, None, range(0))
        return _csv(200 if last == total - 1 else 206, f"rows {first}-{last}/{total}", range(first, last + 1))

    return Server(handle)


def test_csv_rows_stream_across_pages() -> None:
    server = _csv_server(7, 3)
    with _client(server) as client:
        rows = list(client.suppressions.download(page_size=3))
    assert [r["emailAddress"] for r in rows] == [f"u{i}@example.com" for i in range(7)]
    assert server.pages() == [0, 1, 2]


BROKEN: dict[str, Callable[[int], httpx.Response | None]] = {
    "206-without-range": lambda n: _csv(206, None, range(3, 6)) if n == 1 else None,
    "short-middle-page": lambda n: _csv(206, "rows 3-4/7", range(3, 5)) if n == 1 else None,
    "range-does-not-follow-on": lambda n: _csv(206, "rows 4-6/7", range(4, 7)) if n == 1 else None,
    "total-changed": lambda n: _csv(206, "rows 3-5/9", range(3, 6)) if n == 1 else None,
    "206-on-the-last-page": lambda n: _csv(206, "rows 6-6/7", range(6, 7)) if n == 2 else None,
    "200-before-the-end": lambda n: _csv(200, "rows 3-5/7", range(3, 6)) if n == 1 else None,
    "not-a-range": lambda n: _csv(206, "bytes 0-10/20", range(3, 6)) if n == 1 else None,
    "truncated-body": lambda n: _csv(206, "rows 3-5/7", range(3, 5)) if n == 1 else None,
    "too-many-rows": lambda n: _csv(206, "rows 3-5/7", range(3, 7)) if n == 1 else None,
    "header-changed": lambda n: _csv(206, "rows 3-5/7", range(3, 6), header="a,b,c,d\n") if n == 1 else None,
    "empty-body": lambda n: httpx.Response(206, headers={"Content-Range": "rows 3-5/7"}) if n == 1 else None,
    "rows-missing-at-the-end": lambda n: _csv(200, None, range(0)) if n == 1 else None,
}


@pytest.mark.parametrize("fault", sorted(BROKEN))
def test_an_inconsistent_csv_page_is_an_error_never_silent_loss(fault: str) -> None:
    server = _csv_server(7, 3, BROKEN[fault])
    delivered: list[str] = []
    with _client(server) as client, pytest.raises(CsvRangeError) as err:
        delivered.extend(r["emailAddress"] for r in client.suppressions.download(page_size=3))
    # Whatever came before the fault is whole and in order, and next_row says where to resume.
    next_row = err.value.next_row
    assert next_row is not None
    assert delivered == [f"u{i}@example.com" for i in range(next_row)]
    assert 3 <= next_row <= 6
    assert f"start_row={next_row}" in str(err.value)


def test_async_csv_checks_ranges_too() -> None:
    async def run() -> list[str]:
        server = _csv_server(7, 3, BROKEN["truncated-body"])
        got: list[str] = []
        async with _async_client(server) as client:
            with pytest.raises(CsvRangeError) as err:
                async for row in client.suppressions.download(page_size=3):
                    got.append(row["emailAddress"])
        assert err.value.next_row == 5
        return got

    assert asyncio.run(run()) == [f"u{i}@example.com" for i in range(5)]


def test_quoted_fields_may_hold_newlines_and_commas() -> None:
    body = HEADER + '12345,2024-03-01T10:00:00Z,"Manual, with\nnewline",a@example.com\n'

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Range": "rows 0-0/1"}, text=body)

    with _client(Server(handle)) as client:
        (row,) = list(client.suppressions.download())
    assert row["reason"] == "Manual, with\nnewline"
    assert row["emailAddress"] == "a@example.com"


def test_the_operations_own_parameters_are_written_as_httpx_would() -> None:
    checked = plan(OPERATIONS["searchSuppressions"], ListQuery(page_size=5, sort_direction=SortDirection.DSC))
    base = {"method": "get", "url": "/x", "params": {"flag": True, "ids": [1, 2], "to": "a b@example.com"}}
    request = list_request(base, checked, 3)
    assert (
        request["url"]
        == "/x?flag=true&ids=1&ids=2&to=a%20b%40example.com&pageSize=5&pageNumber=3&sortDirection=dsc"
    )
    assert "params" not in request
    assert base["params"] == {
        "flag": True,
        "ids": [1, 2],
        "to": "a b@example.com",
    }  # the base is reused per page


def test_a_csv_download_may_start_at_a_page() -> None:
    server = _csv_server(7, 3, BROKEN["206-on-the-last-page"])
    got: list[str] = []
    with _client(server) as client, pytest.raises(CsvRangeError) as err:
        got.extend(r["emailAddress"] for r in client.suppressions.download(page_size=3, page_number=1))
    assert got == [f"u{i}@example.com" for i in range(3, 6)]
    assert err.value.next_row == 6


def test_zero_items_sends_nothing() -> None:
    server = Server(_json_pages(5))
    with _client(server) as client:
        assert list(client.unverified.suppressions.search(max_items=0)) == []
        assert list(client.suppressions.download(max_rows=0)) == []
    assert server.requests == []


@given(
    rows=st.lists(st.lists(st.text(alphabet='ab,"\n x', max_size=6), min_size=1, max_size=3), max_size=12),
    cuts=st.lists(st.integers(0, 400), max_size=8),
)
def test_records_split_anywhere_read_as_the_whole_text_does(rows: list[list[str]], cuts: list[int]) -> None:
    """Chunks cut anywhere (inside quotes too), plain and quoted, give csv.reader's rows of the whole."""
    import io

    from socketlabs_client._pagination import _Records

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    text = buffer.getvalue()
    bounds = sorted({min(c, len(text)) for c in cuts} | {0, len(text)})
    records = _Records()
    got: list[list[str]] = []
    for start, end in itertools.pairwise(bounds):
        got += list(csv.reader(records.push(text[start:end])))
    got += list(csv.reader(records.flush()))
    assert got == list(csv.reader(io.StringIO(text, newline="")))
