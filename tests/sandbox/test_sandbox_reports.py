"""The message detail report and recipient search over the seeded + injected log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from socketlabs_sandbox import FIXED_ANCHOR, Sandbox, SandboxConfig, SandboxState, SentMessage
from socketlabs_sandbox._dates import ANCHOR, format_instant, parse_api_date
from socketlabs_sandbox._filters import parse_filters
from socketlabs_sandbox._log import MESSAGE_FIELDS

Conforms = Callable[[object, str], None]
Row = dict[str, Any]
FIELDS = (
    "messageId",
    "mailingId",
    "from",
    "to",
    "subject",
    "status",
    "queuedTime",
    "statusDate",
    "systemMessageId",
    "processedTime",
)


def _all_rows(api: httpx.Client, path: str = "/reports/messages/detail", **params: Any) -> list[Row]:
    rows: list[Row] = []
    page = 0
    while True:
        response = api.get(path, params={"pageSize": 100, "pageNumber": page, **params})
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        rows += data
        if len(data) < 100:
            return rows
        page += 1


def _send(sb: Sandbox, inject: httpx.Client, *recipients: str, subject: str = "Hi") -> None:
    body = {
        "ServerId": sb.server_id,
        "Messages": [
            {
                "To": [{"EmailAddress": r} for r in recipients],
                "From": {"EmailAddress": "me@example.com"},
                "Subject": subject,
                "TextBody": "x",
                "MailingId": "sent-by-test",
            }
        ],
    }
    response = inject.post("/email", json=body, headers={"Authorization": f"Bearer {sb.api_key}"})
    assert response.json()["ErrorCode"] == "Success", response.text


def test_detail_default_page(api: httpx.Client, conforms: Conforms) -> None:
    response = api.get("/reports/messages/detail")
    assert response.status_code == 200
    body = response.json()
    conforms(body, "MessageDetailPage")
    assert body["total"] == 250
    assert len(body["data"]) == 100  # the default page size
    times = [row["queuedTime"] for row in body["data"]]
    assert times == sorted(times)  # default order: queuedTime ascending
    first = body["data"][0]
    assert set(first) == set(FIELDS)
    assert first["messageId"] == "1000000000"


def test_seeded_rows_are_plausible(api: httpx.Client) -> None:
    rows = _all_rows(api)
    assert len(rows) == 250
    assert len({row["messageId"] for row in rows}) == 250
    statuses = {row["status"] for row in rows}
    assert statuses <= {"Queued", "Deferred", "Delivered", "Failed", "Suppressed", "Complaint"}
    assert "Delivered" in statuses and "Failed" in statuses
    start, end = format_instant(ANCHOR - 30 * 86400), format_instant(ANCHOR)
    for row in rows:
        assert start <= row["queuedTime"] < end
        if row["status"] == "Queued":
            assert row["statusDate"] is None
        else:
            assert row["queuedTime"] < row["statusDate"]


def test_the_log_is_deterministic_per_seed() -> None:
    def page(seed: int) -> list[Row]:
        state = SandboxState(SandboxConfig(anchor=FIXED_ANCHOR, seed=seed, report_messages=500))
        total, rows = state.query_messages(
            12345,
            start=None,
            end=None,
            filters=(),
            to=None,
            sort_field="to",
            descending=False,
            offset=0,
            limit=50,
        )
        assert total == 500
        return [row.to_json() for row in rows]

    assert page(1) == page(1)
    assert page(1) != page(2)


def test_paging(api: httpx.Client) -> None:
    everything = _all_rows(api)
    page = api.get("/reports/messages/detail", params={"pageSize": 10, "pageNumber": 24}).json()
    assert page["data"] == everything[240:250] and page["total"] == 250
    past = api.get("/reports/messages/detail", params={"pageSize": 10, "pageNumber": 25}).json()
    assert past == {"data": [], "total": 250}
    huge = api.get("/reports/messages/detail", params={"pageSize": 100, "pageNumber": 2**31 - 1}).json()
    assert huge == {"data": [], "total": 250}


def _sort_key(field: str) -> Callable[[Row], Any]:
    def key(row: Row) -> Any:
        value = row[field]
        return (value is not None, (value or "").casefold())

    return key


@pytest.mark.parametrize("field", FIELDS)
def test_sorting(api: httpx.Client, field: str) -> None:
    everything = _all_rows(api)  # queuedTime ascending, i.e. log order
    ascending = _all_rows(api, sortField=field, sortDirection="asc")
    descending = _all_rows(api, sortField=field, sortDirection="dsc")
    assert ascending == sorted(everything, key=_sort_key(field))  # ties keep log order
    assert descending == ascending[::-1]


def test_deep_pages_of_a_sort_come_from_the_other_end(api: httpx.Client) -> None:
    ascending = _all_rows(api, sortField="to")
    for number in (0, 3, 12, 13, 24):
        page = api.get(
            "/reports/messages/detail", params={"sortField": "to", "pageSize": 10, "pageNumber": number}
        )
        assert page.json()["data"] == ascending[number * 10 : number * 10 + 10]


def _between(rows: list[Row], start: str | None, end: str | None) -> list[Row]:
    return [
        r
        for r in rows
        if (start is None or r["queuedTime"] >= start) and (end is None or r["queuedTime"] <= end)
    ]


@pytest.mark.parametrize(
    ("start_date", "end_date", "start", "end"),
    [
        ("2025-12-10", None, "2025-12-10T00:00:00Z", None),
        (None, "2025-12-10", None, "2025-12-10T23:59:59Z"),  # a date-only end is the whole day
        ("2025-12-10T12:00:00Z", "2025-12-20T12:00:00Z", "2025-12-10T12:00:00Z", "2025-12-20T12:00:00Z"),
        ("2025-12-10T12:00:00", None, "2025-12-10T12:00:00Z", None),  # no offset: UTC
        ("2025-12-10T12:00:00+02:00", None, "2025-12-10T10:00:00Z", None),
        ("2025-12-10T12:00:00-05:30", None, "2025-12-10T17:30:00Z", None),
        ("2025-12-10+02:00", "2025-12-11-01:00", "2025-12-09T22:00:00Z", "2025-12-12T00:59:59Z"),
        ("2025-12-20", "2025-12-10", "x", "a"),  # an inverted range is empty
    ],
)
def test_date_ranges_in_every_format(
    api: httpx.Client, start_date: str | None, end_date: str | None, start: str | None, end: str | None
) -> None:
    everything = _all_rows(api)
    params = {k: v for k, v in (("startDate", start_date), ("endDate", end_date)) if v is not None}
    expected = _between(everything, start, end)
    assert _all_rows(api, **params) == expected
    assert api.get("/reports/messages/detail", params=params).json()["total"] == len(expected)


@pytest.mark.parametrize(
    "value",
    [
        "2025-13-01",
        "2025-02-29",
        "2025-12-01T24:00:00",
        "2025-12-01T10:00",
        "20251201",
        "2025-12-01 10:00:00",
        "2025-12-01T10:00:00+15:00",
        "0000-01-01",
        "2025-12-01t10:00:00z",
        "\u0662\u0660\u0662\u0665-12-01",  # Arabic-Indic digits
    ],
)
def test_invalid_dates_are_400(api: httpx.Client, value: str) -> None:
    response = api.get("/reports/messages/detail", params={"startDate": value})
    assert response.status_code == 400
    assert response.json()["error"][0]["message"].startswith("startDate")


def test_leap_days_are_dates(api: httpx.Client) -> None:
    assert api.get("/reports/messages/detail", params={"startDate": "2024-02-29"}).status_code == 200


@pytest.mark.parametrize(
    ("filters", "predicate"),
    [
        ("status=eq:Failed", lambda r: r["status"] == "Failed"),
        ("status=eq:failed", lambda r: r["status"] == "Failed"),
        ("status=neq:Delivered", lambda r: r["status"] != "Delivered"),
        ("to=like:ANN", lambda r: "ann" in r["to"]),
        ("to=nlike:example.com", lambda r: "example.com" not in r["to"]),
        ("from=start:news", lambda r: r["from"].startswith("news")),
        ("subject=end:digest", lambda r: r["subject"].endswith("digest")),
        ("subject=eq:your receipt", lambda r: r["subject"] == "Your receipt"),
        ("mailingId=eq:mailing-00001", lambda r: r["mailingId"] == "mailing-00001"),
        ("mailingId=neq:mailing-00001", lambda r: r["mailingId"] != "mailing-00001"),
        ("messageId=eq:1000000007", lambda r: r["messageId"] == "1000000007"),
        ("messageId=end:7", lambda r: r["messageId"].endswith("7")),
        ("queuedTime=gte:2025-12-15", lambda r: r["queuedTime"] >= "2025-12-15"),
        ("queuedTime=gt:2025-12-15", lambda r: r["queuedTime"] >= "2025-12-16"),
        ("queuedTime=lt:2025-12-15", lambda r: r["queuedTime"] < "2025-12-15"),
        ("queuedTime=lte:2025-12-15", lambda r: r["queuedTime"] < "2025-12-16"),
        ("queuedTime=eq:2025-12-15", lambda r: r["queuedTime"].startswith("2025-12-15")),
        (
            "statusDate=lt:2025-12-10T00:00:00Z",
            lambda r: r["statusDate"] is not None and r["statusDate"] < "2025-12-10",
        ),
        ("statusDate=eq:2025-12-10", lambda r: (r["statusDate"] or "").startswith("2025-12-10")),
        (
            "status=eq:Failed&from=end:example.com",
            lambda r: r["status"] == "Failed" and r["from"].endswith("example.com"),
        ),
        (
            "queuedTime=gt:2025-12-05&queuedTime=lt:2025-12-25&status=neq:Delivered&to=like:a",
            lambda r: (
                "2025-12-06" <= r["queuedTime"] < "2025-12-25"
                and r["status"] != "Delivered"
                and "a" in r["to"]
            ),
        ),
    ],
)
def test_filters(api: httpx.Client, filters: str, predicate: Callable[[Row], bool]) -> None:
    everything = _all_rows(api)
    expected = [row for row in everything if predicate(row)]
    assert expected, "the filter should match something in the seeded log"
    assert _all_rows(api, filters=filters) == expected
    assert api.get("/reports/messages/detail", params={"filters": filters}).json()["total"] == len(expected)
    descending = _all_rows(api, filters=filters, sortDirection="dsc")
    assert descending == expected[::-1]


@pytest.mark.parametrize(
    ("filters", "fragment"),
    [
        ("status=eq:Sent", "not one of"),
        ("status=like:Deliv", "does not fit enum field 'status'"),
        ("queuedTime=like:2025", "does not fit date field 'queuedTime'"),
        ("queuedTime=neq:2025-12-01", "does not fit date field"),
        ("to=gte:a", "does not fit string field 'to'"),
        ("recipient=eq:a@b.c", "unknown field 'recipient'"),
        ("queuedTime=gt:tomorrow", "not a valid date"),
    ],
)
def test_bad_report_filters(api: httpx.Client, filters: str, fragment: str) -> None:
    response = api.get("/reports/messages/detail", params={"filters": filters})
    assert response.status_code == 400
    assert fragment in response.json()["error"][0]["message"]


def test_unknown_sort_field_is_400(api: httpx.Client) -> None:
    response = api.get("/reports/messages/detail", params={"sortField": "recipient"})
    assert response.status_code == 400
    assert "sortField 'recipient'" in response.json()["error"][0]["message"]


def test_recipient_search(api: httpx.Client, conforms: Conforms) -> None:
    everything = _all_rows(api)
    address = everything[0]["to"]
    expected = [row for row in everything if row["to"] == address]
    response = api.get(
        "/reports/recipient-search/",
        params={"toEmailAddress": address.upper(), "sortField": "queuedTime", "sortDirection": "dsc"},
    )
    assert response.status_code == 200
    conforms(response.json(), "RecipientSearchPage")
    assert response.json() == {"data": expected[::-1], "total": len(expected)}
    dated = api.get(
        "/reports/recipient-search/",
        params={"toEmailAddress": address, "startDate": expected[-1]["queuedTime"][:10]},
    ).json()
    assert dated["data"][-1] == expected[-1]


def test_recipient_search_of_an_unknown_address_is_empty(api: httpx.Client) -> None:
    response = api.get("/reports/recipient-search/", params={"toEmailAddress": "nobody@nowhere.test"})
    assert response.json() == {"data": [], "total": 0}


@pytest.mark.parametrize("params", [{}, {"toEmailAddress": "not-an-address"}, {"toEmailAddress": ""}])
def test_recipient_search_needs_a_valid_address(api: httpx.Client, params: dict[str, str]) -> None:
    response = api.get("/reports/recipient-search/", params=params)
    assert response.status_code == 400
    assert "toEmailAddress" in response.json()["error"][0]["message"]


def test_recipient_search_takes_no_filters(api: httpx.Client) -> None:
    # `filters` is not a parameter of this operation: ignored, like any unknown parameter.
    response = api.get("/reports/recipient-search/", params={"toEmailAddress": "a@b.c", "filters": "x=eq:1"})
    assert response.status_code == 200


def test_injected_mail_joins_the_log(sb: Sandbox, api: httpx.Client, inject: httpx.Client) -> None:
    api.post("/suppressions", params={"emailAddress": "blocked@example.com"})
    sb.state.clock = lambda: ANCHOR + 3600
    _send(sb, inject, "fresh@example.com", "Blocked@Example.com", subject="Injected")
    newest = api.get("/reports/messages/detail", params={"sortDirection": "dsc", "pageSize": 2}).json()
    assert newest["total"] == 252
    assert [(r["to"], r["status"], r["subject"]) for r in newest["data"]] == [
        ("Blocked@Example.com", "Suppressed", "Injected"),
        ("fresh@example.com", "Delivered", "Injected"),
    ]
    assert newest["data"][0]["queuedTime"] == "2026-01-01T01:00:00Z"
    assert newest["data"][0]["mailingId"] == "sent-by-test"
    found = api.get("/reports/recipient-search/", params={"toEmailAddress": "fresh@example.com"}).json()
    assert found["total"] == 1 and found["data"][0]["status"] == "Delivered"
    suppressed = api.get(
        "/reports/messages/detail", params={"filters": "status=eq:Suppressed&subject=eq:Injected"}
    )
    assert [r["to"] for r in suppressed.json()["data"]] == ["Blocked@Example.com"]


def test_injected_mail_is_merged_in_time_order(sb: Sandbox, api: httpx.Client, inject: httpx.Client) -> None:
    seeded = _all_rows(api)
    middle = parse_api_date(seeded[120]["queuedTime"][:19])
    assert middle is not None
    sb.state.clock = lambda: middle.start  # the same second as seeded row 120
    _send(sb, inject, "a@example.com", "b@example.com")
    everything = _all_rows(api)
    assert len(everything) == 252
    assert [r["to"] for r in everything[121:123]] == ["a@example.com", "b@example.com"]
    assert everything[:121] == seeded[:121] and everything[123:] == seeded[121:]
    assert _all_rows(api, sortDirection="dsc") == everything[::-1]
    for size in (7, 10, 50):
        for number in range(252 // size + 1):
            for direction, ordered in (("asc", everything), ("dsc", everything[::-1])):
                page = api.get(
                    "/reports/messages/detail",
                    params={"pageSize": size, "pageNumber": number, "sortDirection": direction},
                ).json()["data"]
                assert page == ordered[number * size : number * size + size], (size, number, direction)
    with_filter = _all_rows(api, filters="to=like:a@")
    assert with_filter == [r for r in everything if "a@" in r["to"]]


def test_another_server_has_an_empty_log(sb: Sandbox, http: httpx.Client) -> None:
    response = http.get(
        f"{sb.api_url}/servers/999/reports/messages/detail", headers={"Authorization": f"Bearer {sb.api_key}"}
    )
    assert response.json() == {"data": [], "total": 0}


def test_an_empty_log() -> None:
    state = SandboxState(SandboxConfig(anchor=FIXED_ANCHOR, report_messages=0))
    total, rows = state.query_messages(
        12345,
        start=None,
        end=None,
        filters=(),
        to=None,
        sort_field="queuedTime",
        descending=True,
        offset=0,
        limit=10,
    )
    assert (total, rows) == (0, [])


def _brute_force(
    state: SandboxState,
    filters_text: str,
    sort_field: str,
    descending: bool,
    start: int | None,
    end: int | None,
) -> list[Any]:
    filters = parse_filters(filters_text.split("&"), MESSAGE_FIELDS) if filters_text else []
    rows = [state.log.row(i) for i in range(state.log.count)] + state.injected.get(12345, [])
    rows = [
        r
        for r in rows
        if (start is None or r.queued_time >= start)
        and (end is None or r.queued_time <= end)
        and all(f.matches(r.field(f.field)) for f in filters)
    ]

    def key(row: Any) -> Any:
        value = row.field(sort_field)
        rank = (0, "") if value is None else (1, value.casefold()) if isinstance(value, str) else (2, value)
        return (rank, row.seq)

    return sorted(rows, key=key, reverse=descending)


@pytest.mark.parametrize(
    "filters_text",
    [
        "",
        "status=neq:Delivered",
        "to=like:ann&from=end:.com",
        "mailingId=start:mailing-0002&queuedTime=gt:2025-12-10",
    ],
)
@pytest.mark.parametrize("sort_field", ["queuedTime", "to", "statusDate"])
def test_paging_agrees_with_brute_force_across_blocks(filters_text: str, sort_field: str) -> None:
    state = SandboxState(SandboxConfig(anchor=FIXED_ANCHOR, report_messages=3000, seed=9))
    for k, when in enumerate((state.log.time_of(0), state.log.time_of(2047), state.log.time_of(2999) + 5, 0)):
        state.record_sent(
            SentMessage(
                12345, 0, f"ann.{k}@example.com", None, "x@y.com", "s", f"m{k}", None, "Delivered", when
            )
        )
    filters = parse_filters(filters_text.split("&"), MESSAGE_FIELDS) if filters_text else []
    window = (state.log.time_of(1000), state.log.time_of(2500))
    for start, end in ((None, None), window):
        for descending in (False, True):
            expected = _brute_force(state, filters_text, sort_field, descending, start, end)
            for limit, offset in ((100, 0), (37, 1000), (100, len(expected) - 50), (10, len(expected) - 3)):
                total, rows = state.query_messages(
                    12345,
                    start=start,
                    end=end,
                    filters=filters,
                    to=None,
                    sort_field=sort_field,
                    descending=descending,
                    offset=max(offset, 0),
                    limit=limit,
                )
                assert total == len(expected)
                assert rows == expected[max(offset, 0) : max(offset, 0) + limit], (start, descending, offset)
