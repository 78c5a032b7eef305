"""Suppression check, add, remove, search and the CSV download."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from socketlabs_sandbox import FIXED_ANCHOR, Sandbox, SandboxConfig, SandboxState
from socketlabs_sandbox._dates import parse_api_date

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
ADDRESSES = [
    "zed@gmail.com",
    "Ann@Example.com",
    "bob@gmail.com",
    "carl+news@example.org",
    "dana@yahoo.com",
]

Conforms = Callable[[object, str], None]


@pytest.fixture
def stepping_clock(sb: Sandbox) -> Iterator[list[int]]:
    """Each add is stamped one hour after the previous, from T0."""
    now = [T0 - 3600]

    def tick() -> float:
        now[0] += 3600
        return now[0]

    sb.state.clock = tick
    yield now


@pytest.fixture
def listed(api: httpx.Client, stepping_clock: list[int]) -> list[str]:
    for address in ADDRESSES:
        assert api.post("/suppressions", params={"emailAddress": address}).status_code == 200
    return ADDRESSES


def _emails(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["emailAddress"] for item in response.json()["data"]]


def _problems(response: httpx.Response) -> list[str]:
    assert response.status_code == 400, response.text
    return [e["message"] for e in response.json()["error"] if e["errorType"] == "InvalidParameter"]


def test_check_an_address_that_is_not_suppressed(api: httpx.Client, conforms: Conforms) -> None:
    response = api.get("/suppressions", params={"emailAddress": "nobody@example.com"})
    assert response.status_code == 200
    body = response.json()
    conforms(body, "SuppressionStatusEnvelope")
    assert body["data"] == {
        "emailAddress": "nobody@example.com",
        "isSuppressed": False,
        "suppressionLastUpdate": None,
        "reason": None,
    }


def test_add_then_check_then_remove(api: httpx.Client, sb: Sandbox, conforms: Conforms) -> None:
    sb.state.clock = lambda: T0
    added = api.post("/suppressions", params={"emailAddress": "Ann@Example.com"})
    assert added.status_code == 200
    conforms(added.json(), "SuppressionEnvelope")
    entry = {
        "emailAddress": "Ann@Example.com",
        "suppressionLastUpdate": "2026-01-01T00:00:00Z",
        "reason": "Manual",
    }
    assert added.json() == {"data": entry}

    checked = api.get("/suppressions", params={"emailAddress": "ann@EXAMPLE.com"}).json()["data"]
    assert checked == {**entry, "isSuppressed": True}  # matched case-insensitively, kept as first given

    removed = api.delete("/suppressions/remove", params={"emailAddress": "ANN@example.com"})
    assert removed.status_code == 200
    conforms(removed.json(), "SuppressionEnvelope")
    assert removed.json() == {"data": entry}
    assert (
        api.get("/suppressions", params={"emailAddress": "ann@example.com"}).json()["data"]["isSuppressed"]
        is False
    )


def test_add_is_idempotent(api: httpx.Client, stepping_clock: list[int]) -> None:
    first = api.post("/suppressions", params={"emailAddress": "a@example.com"}).json()
    second = api.post("/suppressions", params={"emailAddress": "A@EXAMPLE.COM"}).json()
    assert first == second
    assert api.get("/suppressions/search").json()["total"] == 1


def test_remove_of_an_address_not_on_the_list_is_404(api: httpx.Client, conforms: Conforms) -> None:
    response = api.delete("/suppressions/remove", params={"emailAddress": "ghost@example.com"})
    assert response.status_code == 404
    conforms(response.json(), "ErrorEnvelope")
    assert response.json()["error"][0]["errorType"] == "NotFound"
    assert "ghost@example.com" in response.json()["error"][0]["message"]


def test_remove_twice_is_404_the_second_time(api: httpx.Client) -> None:
    api.post("/suppressions", params={"emailAddress": "a@example.com"})
    assert api.delete("/suppressions/remove", params={"emailAddress": "a@example.com"}).status_code == 200
    assert api.delete("/suppressions/remove", params={"emailAddress": "a@example.com"}).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/suppressions"), ("POST", "/suppressions"), ("DELETE", "/suppressions/remove")],
)
@pytest.mark.parametrize(
    "address",
    [
        "",
        "no-at-sign",
        "two@@example.com",
        "a@b@c.com",
        "@example.com",
        "ann@",
        "a b@example.com",
        "a@exa\tmple.com",
        "x" * 316 + "@a.bc",
        "a@",
    ],
)
def test_invalid_addresses_are_400_naming_the_parameter(
    api: httpx.Client, method: str, path: str, address: str
) -> None:
    problems = _problems(api.request(method, path, params={"emailAddress": address}))
    assert len(problems) == 1 and "emailAddress" in problems[0]


def test_longest_valid_address_is_accepted(api: httpx.Client) -> None:
    address = "x" * 315 + "@a.bc"
    assert len(address) == 320
    assert api.post("/suppressions", params={"emailAddress": address}).status_code == 200


def test_missing_email_is_400(api: httpx.Client) -> None:
    assert _problems(api.get("/suppressions")) == ["emailAddress is required"]


def test_an_invalid_server_id_is_400(http: httpx.Client, sb: Sandbox) -> None:
    headers = {"Authorization": f"Bearer {sb.api_key}"}
    for server_id in ("0", "abc", "-1", "2147483648", "1.5"):
        response = http.get(f"{sb.api_url}/servers/{server_id}/suppressions/search", headers=headers)
        assert any("serverId" in m for m in _problems(response)), server_id


def test_search_pages_and_totals(api: httpx.Client, listed: list[str], conforms: Conforms) -> None:
    first = api.get("/suppressions/search", params={"pageSize": 2, "pageNumber": 0})
    conforms(first.json(), "SuppressionPage")
    assert first.json()["total"] == 5
    pages = [
        _emails(api.get("/suppressions/search", params={"pageSize": 2, "pageNumber": n})) for n in range(4)
    ]
    assert [len(p) for p in pages] == [2, 2, 1, 0]
    assert [email for page in pages for email in page] == sorted(
        ADDRESSES, key=str.casefold
    )  # default: emailAddress asc


@pytest.mark.parametrize(
    ("field", "key"),
    [
        ("emailAddress", lambda a: a.casefold()),
        ("suppressionLastUpdate", ADDRESSES.index),
        ("reason", lambda a: (0, a.casefold())),
    ],
)
def test_search_sorts(api: httpx.Client, listed: list[str], field: str, key: Callable[[str], Any]) -> None:
    ascending = _emails(api.get("/suppressions/search", params={"sortField": field, "sortDirection": "asc"}))
    descending = _emails(api.get("/suppressions/search", params={"sortField": field, "sortDirection": "dsc"}))
    assert ascending == sorted(ADDRESSES, key=key)
    assert descending == ascending[::-1]


def test_search_rejects_unknown_sort_field_and_direction(api: httpx.Client) -> None:
    problems = _problems(
        api.get("/suppressions/search", params={"sortField": "name", "sortDirection": "desc"})
    )
    assert len(problems) == 2
    assert "sortField 'name'" in problems[0] and "emailAddress" in problems[0]
    assert "sortDirection 'desc'" in problems[1]


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"pageSize": 0}, ["pageSize"]),
        ({"pageSize": 101}, ["pageSize"]),
        ({"pageSize": "ten"}, ["pageSize"]),
        ({"pageSize": ""}, ["pageSize"]),
        ({"pageNumber": -1}, ["pageNumber"]),
        ({"pageNumber": 2**31}, ["pageNumber"]),
        ({"pageNumber": "1e3"}, ["pageNumber"]),
        ({"sortField": ""}, ["sortField"]),
        ({"startDate": ""}, ["startDate"]),
        ({"filters": ""}, ["filters"]),
        (
            {"pageSize": 0, "pageNumber": -1, "startDate": "yesterday"},
            ["pageSize", "pageNumber", "startDate"],
        ),
    ],
)
def test_search_reports_every_bad_parameter(
    api: httpx.Client, params: dict[str, Any], names: list[str]
) -> None:
    problems = _problems(api.get("/suppressions/search", params=params))
    assert len(problems) == len(names)
    for problem, name in zip(problems, names, strict=True):
        assert problem.startswith(name)


def test_a_repeated_parameter_is_400(api: httpx.Client) -> None:
    problems = _problems(api.get("/suppressions/search", params=[("pageSize", "1"), ("pageSize", "2")]))
    assert problems == ["pageSize must be given at most once"]


def test_search_by_date_range(api: httpx.Client, listed: list[str]) -> None:
    # Stamps: zed 00:00, Ann 01:00, bob 02:00, carl 03:00, dana 04:00 on 2026-01-01 (UTC).
    def between(**params: str) -> list[str]:
        return _emails(
            api.get("/suppressions/search", params={"sortField": "suppressionLastUpdate", **params})
        )

    assert between(startDate="2026-01-01T01:00:00Z", endDate="2026-01-01T03:00:00Z") == ADDRESSES[1:4]
    assert between(startDate="2026-01-01T03:00:00+02:00") == ADDRESSES[1:]  # = 01:00Z
    assert between(startDate="2026-01-01T04:00:00+02:00") == ADDRESSES[2:]  # = 02:00Z
    assert between(endDate="2026-01-01") == ADDRESSES  # a date-only end covers the whole day
    assert between(endDate="2025-12-31") == []
    assert between(startDate="2026-01-01+02:00", endDate="2026-01-01T00:30:00") == ADDRESSES[:1]
    assert between(startDate="2026-01-02") == []


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ("emailAddress=end:gmail.com", ["bob@gmail.com", "zed@gmail.com"]),
        ("emailAddress=like:EXAMPLE", ["Ann@Example.com", "carl+news@example.org"]),
        ("emailAddress=nlike:example", ["bob@gmail.com", "dana@yahoo.com", "zed@gmail.com"]),
        ("emailAddress=start:ann", ["Ann@Example.com"]),
        ("emailAddress=eq:ANN@example.com", ["Ann@Example.com"]),
        (
            "emailAddress=neq:ann@example.com",
            ["bob@gmail.com", "carl+news@example.org", "dana@yahoo.com", "zed@gmail.com"],
        ),
        ("reason=eq:manual", sorted(ADDRESSES, key=str.casefold)),
        ("reason=neq:Manual", []),
        ("suppressionLastUpdate=gte:2026-01-01T03:00:00Z", ["carl+news@example.org", "dana@yahoo.com"]),
        ("suppressionLastUpdate=lt:2026-01-01T01:00:00Z", ["zed@gmail.com"]),
        ("suppressionLastUpdate=eq:2026-01-01", sorted(ADDRESSES, key=str.casefold)),
        ("suppressionLastUpdate=gt:2026-01-01", []),
        ("emailAddress=end:gmail.com&suppressionLastUpdate=gt:2026-01-01T00:00:00Z", ["bob@gmail.com"]),
    ],
)
def test_search_filters(api: httpx.Client, listed: list[str], filters: str, expected: list[str]) -> None:
    response = api.get("/suppressions/search", params={"filters": filters})
    assert _emails(response) == expected
    assert response.json()["total"] == len(expected)


def test_filters_in_the_docs_raw_wire_form(sb: Sandbox, api: httpx.Client, listed: list[str]) -> None:
    # As the docs write it: the second filter looks like a parameter of its own.
    search = f"{sb.api_url}/servers/{sb.server_id}/suppressions/search"
    url = f"{search}?filters=emailAddress=end:gmail.com&emailAddress=start:b&pageSize=10"
    assert _emails(api.get(url)) == ["bob@gmail.com"]
    # `%2B` is a literal plus inside a value; `+` would be a space.
    url = f"{search}?filters=emailAddress=like:carl%2Bnews"
    assert _emails(api.get(url)) == ["carl+news@example.org"]
    url = f"{search}?filters=emailAddress=like:carl+news"
    assert _emails(api.get(url)) == []


def test_an_encoded_ampersand_is_part_of_the_value(api: httpx.Client, stepping_clock: list[int]) -> None:
    api.post("/suppressions", params={"emailAddress": "r&d@example.com"})
    api.post("/suppressions", params={"emailAddress": "r@example.com"})
    # Generic clients encode the whole filter string once more: %26 arrives as %2526.
    assert _emails(api.get("/suppressions/search", params={"filters": "emailAddress=start:r%26d"})) == [
        "r&d@example.com"
    ]


@pytest.mark.parametrize(
    ("filters", "fragment"),
    [
        ("name=eq:x", "unknown field 'name'"),
        ("emailAddress=gt:x", "does not fit string field 'emailAddress'"),
        ("suppressionLastUpdate=like:2026", "does not fit date field"),
        ("suppressionLastUpdate=eq:yesterday", "not a valid date"),
        ("emailAddress=contains:x", "unknown predicate 'contains'"),
        ("emailAddress:eq:x", "not of the form"),
        ("emailAddress=eq:x&", "not of the form"),
    ],
)
def test_bad_filters_are_400_saying_why(api: httpx.Client, filters: str, fragment: str) -> None:
    problems = _problems(api.get("/suppressions/search", params={"filters": filters}))
    assert any(fragment in p for p in problems), problems


def test_a_filter_string_with_two_problems_reports_both(api: httpx.Client) -> None:
    problems = _problems(api.get("/suppressions/search", params={"filters": "a=eq:1&emailAddress=lt:2"}))
    assert len(problems) == 2


def _csv(response: httpx.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.text)))


def test_download_pages_with_content_range(api: httpx.Client, listed: list[str]) -> None:
    statuses, ranges, emails = [], [], []
    for page in range(3):
        response = api.get(
            "/suppressions/download",
            params={
                "pageSize": 2,
                "pageNumber": page,
                "sortField": "suppressionLastUpdate",
                "sortDirection": "dsc",
            },
        )
        assert response.headers["content-type"].startswith("text/csv")
        rows = _csv(response)
        assert rows[0] == ["serverId", "suppressionLastUpdate", "reason", "emailAddress"]
        statuses.append(response.status_code)
        ranges.append(response.headers["content-range"])
        emails += [row[3] for row in rows[1:]]
        assert all(row[0] == "12345" and row[2] == "Manual" for row in rows[1:])
    assert statuses == [206, 206, 200]
    assert ranges == ["rows 0-1/5", "rows 2-3/5", "rows 4-4/5"]
    assert emails == ADDRESSES[::-1]


def test_download_last_page_exactly_full_is_200(api: httpx.Client, listed: list[str]) -> None:
    response = api.get("/suppressions/download", params={"pageSize": 5})
    assert response.status_code == 200
    assert response.headers["content-range"] == "rows 0-4/5"
    assert len(_csv(response)) == 6


def test_download_of_an_empty_result_is_200_with_the_header_only(
    api: httpx.Client, listed: list[str]
) -> None:
    for params in ({}, {"pageNumber": 5}):
        empty = api.get("/suppressions/download", params={"filters": "emailAddress=eq:none@x.y", **params})
        assert empty.status_code == 200
        assert "content-range" not in empty.headers
        assert _csv(empty) == [["serverId", "suppressionLastUpdate", "reason", "emailAddress"]]
    past_the_end = api.get("/suppressions/download", params={"pageSize": 2, "pageNumber": 3})
    assert past_the_end.status_code == 200
    assert "content-range" not in past_the_end.headers


def test_download_page_size_limits(api: httpx.Client, listed: list[str]) -> None:
    assert api.get("/suppressions/download", params={"pageSize": 500_000}).status_code == 200
    assert _problems(api.get("/suppressions/download", params={"pageSize": 500_001}))[0].startswith(
        "pageSize"
    )
    assert _problems(api.get("/suppressions/search", params={"pageSize": 500}))[0].startswith("pageSize")


def test_csv_quotes_awkward_addresses(api: httpx.Client, stepping_clock: list[int]) -> None:
    api.post("/suppressions", params={"emailAddress": '"a,b"@example.com'})
    rows = _csv(api.get("/suppressions/download"))
    assert rows[1][3] == '"a,b"@example.com'


def test_seeded_suppressions_are_deterministic() -> None:
    def entries(seed: int) -> list[tuple[str, int, str | None]]:
        state = SandboxState(SandboxConfig(anchor=FIXED_ANCHOR, seed=seed, suppressions=20))
        listing = state.suppressions[state.config.server_id].values()
        return [(e.email_address, e.suppression_last_update, e.reason) for e in listing]

    assert entries(3) == entries(3)
    assert entries(3) != entries(4)
    assert len(entries(3)) == 20
    anchor = parse_api_date("2026-01-01")
    assert anchor is not None
    assert all(anchor.start - 30 * 86400 <= stamp < anchor.start for _, stamp, _ in entries(3))


def test_seeded_suppressions_are_served_and_restored_by_reset(http: httpx.Client) -> None:
    with Sandbox(SandboxConfig(anchor=FIXED_ANCHOR, suppressions=7)) as sandbox:
        headers = {"Authorization": f"Bearer {sandbox.api_key}"}
        url = f"{sandbox.api_url}/servers/{sandbox.server_id}/suppressions"
        listing = http.get(url + "/search", headers=headers).json()
        assert listing["total"] == 7
        first = listing["data"][0]["emailAddress"]
        assert (
            http.delete(url + "/remove", params={"emailAddress": first}, headers=headers).status_code == 200
        )
        assert http.get(url + "/search", headers=headers).json()["total"] == 6
        sandbox.reset()
        assert http.get(url + "/search", headers=headers).json() == listing
