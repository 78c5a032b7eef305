"""Filters, dates, pagination and CSV streaming against the sandbox over HTTP, sync and async."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from socketlabs_api.models import MessageStatus, SortDirection
from socketlabs_client import (
    AsyncSocketLabs,
    CsvRangeError,
    F,
    ReportingHistoryError,
    SocketLabs,
    UnverifiedOperationWarning,
)
from socketlabs_sandbox import FIXED_ANCHOR, Sandbox, SandboxConfig

MESSAGES = 2000
SUPPRESSIONS = 1234


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(
        SandboxConfig(anchor=FIXED_ANCHOR, report_messages=MESSAGES, suppressions=SUPPRESSIONS, seed=4)
    ) as running:
        yield running


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[SocketLabs]:
    sandbox.reset()
    with SocketLabs(sandbox.api_key, sandbox.server_id, base_url=sandbox.api_url) as c:
        yield c


def _async(sandbox: Sandbox) -> AsyncSocketLabs:
    return AsyncSocketLabs(sandbox.api_key, sandbox.server_id, base_url=sandbox.api_url)


def test_items_across_pages_match_the_total_and_the_filter(client: SocketLabs) -> None:
    pager = client.reports.messages_detail(
        filters=(F.status == "Delivered") & F.mailing_id.start("mailing-0000"), page_size=100
    )
    total = pager.first_page().total
    rows = list(pager)
    assert 500 < len(rows) == total < 1000  # mailing-00000..00009 hold 1000 messages
    assert all(r.status is MessageStatus.DELIVERED and r.mailing_id.startswith("mailing-0000") for r in rows)
    assert len({r.message_id for r in rows}) == total


def test_sorting_max_items_and_resuming_from_a_page(client: SocketLabs) -> None:
    newest = list(
        client.reports.messages_detail(
            sort_field="queuedTime", sort_direction=SortDirection.DSC, max_items=250
        )
    )
    assert len(newest) == 250
    times = [r.queued_time for r in newest]
    assert times == sorted(times, reverse=True)
    everything = [
        r.message_id for r in client.reports.messages_detail(page_size=100, sort_field="queuedTime")
    ]
    assert len(everything) == MESSAGES
    resumed = [r.message_id for r in client.reports.messages_detail(page_size=100, page_number=13)]
    assert resumed == everything[1300:]


@pytest.mark.parametrize(
    ("start", "end", "low", "high"),
    [
        # yyyy-MM-dd: whole days in UTC
        (
            dt.date(2025, 12, 10),
            dt.date(2025, 12, 12),
            "2025-12-10T00:00:00+00:00",
            "2025-12-12T23:59:59+00:00",
        ),
        # yyyy-MM-ddK: whole days at an offset
        ("2025-12-10+05:00", "2025-12-12-03:00", "2025-12-09T19:00:00+00:00", "2025-12-13T02:59:59+00:00"),
        # yyyy-MM-ddTHH:mm:ssK from aware datetimes, offsets kept
        (
            dt.datetime(2025, 12, 10, 6, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            dt.datetime(2025, 12, 11, 1, 0, tzinfo=dt.timezone(-dt.timedelta(hours=4))),
            "2025-12-10T04:30:00+00:00",
            "2025-12-11T05:00:00+00:00",
        ),
    ],
)
def test_the_three_date_forms_select_the_same_instants_the_server_reads(
    client: SocketLabs, start: dt.date | str, end: dt.date | str, low: str, high: str
) -> None:
    lo, hi = dt.datetime.fromisoformat(low), dt.datetime.fromisoformat(high)
    everything = [r.queued_time for r in client.reports.messages_detail()]
    expected = [t for t in everything if lo <= t <= hi]
    got = [r.queued_time for r in client.reports.messages_detail(start_date=start, end_date=end)]
    assert 0 < len(got) < MESSAGES
    assert got == expected


def test_a_date_filter_with_an_offset(client: SocketLabs) -> None:
    since = dt.datetime(2025, 12, 20, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=-7)))
    rows = list(client.reports.messages_detail(filters=F.queued_time >= since))
    assert rows
    assert all(r.queued_time >= since for r in rows)
    before = list(client.reports.messages_detail(filters=F.queued_time < since))
    assert len(rows) + len(before) == MESSAGES


def test_a_hostile_value_matches_only_itself(client: SocketLabs) -> None:
    hostile = "x&pageSize=1&filters=reason=eq:Manual#+%@example.com"
    client.suppressions.add(email_address=hostile)
    client.suppressions.add(email_address="x@example.com")
    with pytest.warns(UnverifiedOperationWarning):
        pager = client.unverified.suppressions.search(filters=F.email_address == hostile)
        found = [e["emailAddress"] for e in pager]
    assert found == [hostile]


@dataclass
class Row:
    server_id: str
    suppression_last_update: str
    reason: str
    email_address: str


def test_csv_download_streams_every_row_as_search_lists_them(client: SocketLabs, tmp_path: Path) -> None:
    order = {"sort_field": "emailAddress", "sort_direction": "asc"}
    with pytest.warns(UnverifiedOperationWarning):
        listed = [e["emailAddress"] for e in client.unverified.suppressions.search(**order)]
    assert len(listed) == SUPPRESSIONS
    progress: list[tuple[int, int | None]] = []
    download = client.suppressions.download(
        page_size=100, progress=lambda d, t: progress.append((d, t)), **order
    )
    assert [row["emailAddress"] for row in download] == listed
    assert progress[-1] == (SUPPRESSIONS, SUPPRESSIONS)
    assert len(progress) == 13  # once per page
    typed = list(client.suppressions.download(page_size=500, **order).records(Row))
    assert [r.email_address for r in typed] == listed
    assert {r.reason for r in typed} <= {"Manual", "Bounce", "Complaint", "Unsubscribe"}
    path = tmp_path / "all.csv"
    assert client.suppressions.download(page_size=250, **order).save(path) == SUPPRESSIONS
    lines = list(csv.reader(io.StringIO(path.read_text())))
    assert lines[0] == ["serverId", "suppressionLastUpdate", "reason", "emailAddress"]
    assert [line[3] for line in lines[1:]] == listed
    filtered = list(client.suppressions.download(filters=F.reason == "Bounce", **order))
    assert filtered
    assert {row["reason"] for row in filtered} == {"Bounce"}


def test_a_progress_bar_when_a_terminal_is_attached(
    client: SocketLabs, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert len(list(client.suppressions.download(page_size=500, progress=True))) == SUPPRESSIONS
    shown = terminal.getvalue()
    assert f"{SUPPRESSIONS}/{SUPPRESSIONS}" in shown
    assert "rows" in shown


def test_a_truncated_csv_page_is_an_error_and_the_download_resumes(
    client: SocketLabs, sandbox: Sandbox, tmp_path: Path
) -> None:
    order = {"sort_field": "emailAddress", "page_size": 100}
    whole = tmp_path / "whole.csv"
    client.suppressions.download(**order).save(whole)
    partial = tmp_path / "partial.csv"
    with sandbox.state.lock:
        sandbox.state.csv_truncate_page = 2  # page 2 sends 50 of its 100 rows
    try:
        with pytest.raises(CsvRangeError) as err:
            client.suppressions.download(**order).save(partial)
    finally:
        with sandbox.state.lock:
            sandbox.state.csv_truncate_page = None
    assert err.value.next_row == 250
    assert "truncated: 50 of the 100 rows" in str(err.value)
    assert len(partial.read_text().splitlines()) == 1 + 250  # header and the rows that arrived whole
    resumed = client.suppressions.download(start_row=err.value.next_row, **order).save(partial)
    assert resumed == SUPPRESSIONS - 250
    assert partial.read_bytes() == whole.read_bytes()


def test_async_pagers_and_csv(sandbox: Sandbox, tmp_path: Path) -> None:
    async def run() -> None:
        sandbox.reset()
        async with _async(sandbox) as client:
            first = await client.reports.messages_detail(page_size=10, filters=F.status != "Delivered")
            items = [r async for r in client.reports.messages_detail(filters=F.status != "Delivered")]
            assert len(items) == first.total
            assert all(r.status is not MessageStatus.DELIVERED for r in items)
            pages = [p async for p in client.reports.messages_detail(page_size=100, max_items=150).pages()]
            assert [len(p.data) for p in pages] == [100, 100]
            rows = [r["emailAddress"] async for r in client.suppressions.download(page_size=300)]
            assert len(rows) == SUPPRESSIONS
            typed = [r async for r in client.suppressions.download(max_rows=5).records(Row)]
            assert len(typed) == 5
            assert await client.suppressions.download(page_size=300).save(tmp_path / "a.csv") == SUPPRESSIONS
            with sandbox.state.lock:
                sandbox.state.csv_truncate_page = 0
            try:
                with pytest.raises(CsvRangeError) as err:
                    [r async for r in client.suppressions.download(page_size=300)]
            finally:
                with sandbox.state.lock:
                    sandbox.state.csv_truncate_page = None
            assert err.value.next_row == 150
            rest = [r async for r in client.suppressions.download(page_size=300, start_row=150)]
            assert len(rest) == SUPPRESSIONS - 150

    asyncio.run(run())


def test_the_plans_reporting_history_is_its_own_error() -> None:
    config = SandboxConfig(anchor=FIXED_ANCHOR, report_messages=100, reporting_history_days=30)
    with Sandbox(config) as limited:
        # A fake clock: "today" is 2026-01-10, so the history starts on 2025-12-11.
        limited.state.clock = lambda: dt.datetime(2026, 1, 10, 15, tzinfo=dt.UTC).timestamp()
        with SocketLabs(limited.api_key, limited.server_id, base_url=limited.api_url) as client:
            inside = list(client.reports.messages_detail(start_date=dt.date(2025, 12, 11)))
            assert inside
            with pytest.raises(ReportingHistoryError) as err:
                list(client.reports.messages_detail(start_date=dt.date(2025, 12, 10)))
            assert err.value.status_code == 400
            assert err.value.errors[0].error_type == "ReportingHistoryExceeded"
            assert "30 days" in str(err.value)

        async def run() -> None:
            async with _async(limited) as client:
                with pytest.raises(ReportingHistoryError):
                    await client.reports.recipient_search(
                        to_email_address="a@example.com", start_date="2025-01-01"
                    )

        asyncio.run(run())
