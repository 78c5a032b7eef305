"""A million seeded messages: filtered pages stay fast and small."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from socketlabs_sandbox import FIXED_ANCHOR, Sandbox, SandboxConfig

MILLION = 1_000_000
LIMIT_BYTES = 50 * 1024 * 1024


@pytest.fixture(scope="module")
def big() -> Iterator[httpx.Client]:
    with (
        Sandbox(SandboxConfig(anchor=FIXED_ANCHOR, report_messages=MILLION, seed=42)) as sandbox,
        httpx.Client(
            base_url=f"{sandbox.api_url}/servers/{sandbox.server_id}",
            headers={"Authorization": f"Bearer {sandbox.api_key}"},
            timeout=60,
        ) as client,
    ):
        yield client


def _measured(client: httpx.Client, path: str, params: dict[str, Any]) -> tuple[Any, int, float]:
    """One request, with the peak of Python allocations (server thread included) during it."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        started = time.perf_counter()
        response = client.get(path, params=params)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 200, response.text
    return response.json(), peak, elapsed


def test_filtered_page_over_a_million_rows(big: httpx.Client) -> None:
    # mailing-05000 is exactly rows 500000..500099; page 3 of 10 is rows 500030..500039.
    body, peak, elapsed = _measured(
        big,
        "/reports/messages/detail",
        {"filters": "mailingId=eq:mailing-05000", "pageSize": 10, "pageNumber": 3},
    )
    assert body["total"] == 100
    assert [row["messageId"] for row in body["data"]] == [str(1_000_500_030 + i) for i in range(10)]
    print(f"peak {peak / 1e6:.2f} MB in {elapsed:.2f} s")
    assert peak < LIMIT_BYTES, f"peak {peak / 1e6:.1f} MB"
    assert elapsed < 20


def test_combined_filters_agree_with_the_rows(big: httpx.Client) -> None:
    params: dict[str, Any] = {
        "filters": "status=eq:Complaint&to=like:ann&queuedTime=gte:2025-12-20",
        "pageSize": 100,
    }
    body, peak, _ = _measured(big, "/reports/messages/detail", params)
    total = body["total"]
    assert isinstance(total, int) and 0 < total < MILLION
    rows = body["data"]
    assert isinstance(rows, list) and len(rows) == min(100, total)
    for row in rows:
        assert row["status"] == "Complaint" and "ann" in row["to"] and row["queuedTime"] >= "2025-12-20"
    assert peak < LIMIT_BYTES
    last_page = big.get(
        "/reports/messages/detail",
        params={**params, "pageNumber": (total - 1) // 100, "sortDirection": "dsc"},
    ).json()
    assert last_page["data"][-1] == rows[0]


def test_deep_unfiltered_page_and_recipient_search(big: httpx.Client) -> None:
    body, peak, _ = _measured(big, "/reports/messages/detail", {"pageSize": 100, "pageNumber": 9_999})
    assert body["total"] == MILLION
    assert [row["messageId"] for row in body["data"]][-1] == str(1_000_000_000 + MILLION - 1)
    assert peak < LIMIT_BYTES

    address = body["data"][0]["to"]
    found, peak, _ = _measured(
        big,
        "/reports/recipient-search/",
        {"toEmailAddress": address, "sortField": "queuedTime", "sortDirection": "dsc"},
    )
    total = found["total"]
    assert isinstance(total, int) and total > 1000  # 256 recipients share a million messages
    assert int(found["data"][0]["messageId"]) >= int(body["data"][0]["messageId"])  # newest first
    assert all(row["to"] == address for row in found["data"])
    assert peak < LIMIT_BYTES
