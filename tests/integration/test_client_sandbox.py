"""The client against the sandbox over real HTTP on 127.0.0.1, sync and async."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from socketlabs_api import resources
from socketlabs_api.models import (
    Address,
    InjectionErrorCode,
    InjectionRequest,
    MergeData,
    MergeField,
    Message,
    MessageStatus,
    SortDirection,
)
from socketlabs_client import (
    AsyncSocketLabs,
    AuthenticationError,
    BadRequestError,
    InjectionAuthenticationError,
    NotFoundError,
    SocketLabs,
    SocketLabsError,
    UnverifiedOperationWarning,
)
from socketlabs_sandbox import Sandbox, SandboxConfig

LEGACY_KEY = "legacyKey0123456789"  # not the new 20.40 format: goes in the body


def _client(sandbox: Sandbox, **overrides: object) -> SocketLabs:
    settings: dict[str, object] = {
        "api_key": sandbox.api_key,
        "server_id": sandbox.server_id,
        "base_url": sandbox.api_url,
        "inject_url": sandbox.inject_url,
    }
    settings.update(overrides)
    return SocketLabs(**settings)  # type: ignore[arg-type]


def _message(*to: str, subject: str = "Hello", mailing_id: str = "it-test") -> Message:
    return Message(
        to=[Address(address) for address in to],
        from_=Address("noreply@example.com", friendly_name="Example"),
        subject=subject,
        text_body="Hello",
        mailing_id=mailing_id,
    )


def test_send_is_recorded_by_the_sandbox(socketlabs_client: SocketLabs, socketlabs_sandbox: Sandbox) -> None:
    result = socketlabs_client.injection.send(
        InjectionRequest(
            server_id=socketlabs_sandbox.server_id, messages=[_message("ann@example.com", "bob@example.com")]
        )
    )
    assert result.error_code is InjectionErrorCode.SUCCESS
    assert sorted(r.address for r in socketlabs_sandbox.state.sent) == ["ann@example.com", "bob@example.com"]


def test_send_with_a_bad_address_reports_it_per_address(
    socketlabs_client: SocketLabs, socketlabs_sandbox: Sandbox
) -> None:
    result = socketlabs_client.injection.send(
        InjectionRequest(
            server_id=socketlabs_sandbox.server_id, messages=[_message("ann@example.com", "not-an-address")]
        )
    )
    assert result.error_code is InjectionErrorCode.WARNING
    [failed] = result.message_results  # type: ignore[misc]
    bad = [a for a in failed.address_results if not a.accepted]  # type: ignore[union-attr]
    assert [(a.email_address, a.error_code) for a in bad] == [
        ("not-an-address", InjectionErrorCode.INVALIDADDRESS)
    ]
    assert [r.address for r in socketlabs_sandbox.state.sent] == ["ann@example.com"]


def test_merge_sends_one_message_per_row(socketlabs_client: SocketLabs, socketlabs_sandbox: Sandbox) -> None:
    message = _message("%%DeliveryAddress%%", subject="Hi %%Name%%")
    message.merge_data = MergeData(
        per_message=[
            [MergeField("DeliveryAddress", "a@example.com"), MergeField("Name", "A")],
            [MergeField("DeliveryAddress", "b@example.com"), MergeField("Name", "B")],
        ]
    )
    result = socketlabs_client.injection.send(
        InjectionRequest(server_id=socketlabs_sandbox.server_id, messages=[message])
    )
    assert result.error_code is InjectionErrorCode.SUCCESS
    assert sorted(r.address for r in socketlabs_sandbox.state.sent) == ["a@example.com", "b@example.com"]


@pytest.fixture
def legacy_sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(api_key=LEGACY_KEY)) as sandbox:
        yield sandbox


def test_a_legacy_key_travels_in_the_body_and_works(legacy_sandbox: Sandbox) -> None:
    with _client(legacy_sandbox) as client:
        result = client.injection.send(
            InjectionRequest(server_id=legacy_sandbox.server_id, messages=[_message("a@example.com")])
        )
        assert result.error_code is InjectionErrorCode.SUCCESS
        assert client.suppressions.check(email_address="a@example.com").is_suppressed is False


def test_a_wrong_key_is_a_typed_error_everywhere(socketlabs_sandbox: Sandbox) -> None:
    socketlabs_sandbox.reset()
    with _client(socketlabs_sandbox, api_key="A" * 20 + "." + "z" * 40) as client:
        with pytest.raises(AuthenticationError) as err:
            client.suppressions.check(email_address="a@example.com")
        assert err.value.status_code == 401
        with pytest.raises((AuthenticationError, InjectionAuthenticationError)):
            client.injection.send(
                InjectionRequest(server_id=socketlabs_sandbox.server_id, messages=[_message("a@example.com")])
            )
    assert socketlabs_sandbox.state.sent == []


def test_basic_auth_works(socketlabs_sandbox: Sandbox) -> None:
    with _client(socketlabs_sandbox, auth="basic") as client:
        assert client.suppressions.add(email_address="basic@example.com").email_address == "basic@example.com"


def test_suppression_lifecycle(socketlabs_client: SocketLabs) -> None:
    suppressions = socketlabs_client.suppressions
    assert suppressions.check(email_address="x@example.com").is_suppressed is False
    added = suppressions.add(email_address="x@example.com")
    assert added.email_address == "x@example.com"
    assert added.suppression_last_update.tzinfo is not None
    assert suppressions.check(email_address="X@Example.com").is_suppressed is True
    assert suppressions.remove(email_address="x@example.com").email_address == "x@example.com"
    with pytest.raises(NotFoundError) as err:
        suppressions.remove(email_address="x@example.com")
    assert err.value.errors
    assert err.value.operation_id == "removeSuppression"


def test_invalid_input_is_a_bad_request_with_the_servers_reason(socketlabs_client: SocketLabs) -> None:
    with pytest.raises(BadRequestError) as err:
        socketlabs_client.suppressions.check(email_address="not-an-address")
    assert "emailAddress" in str(err.value)


def test_search_pages_cover_every_entry_once(socketlabs_client: SocketLabs) -> None:
    for i in range(23):
        socketlabs_client.suppressions.add(email_address=f"user{i:02}@example.com")
    pager = socketlabs_client.unverified.suppressions.search(
        page_size=10, sort_field="emailAddress", sort_direction=SortDirection.ASC
    )
    with pytest.warns(UnverifiedOperationWarning, match="searchSuppressions"):
        pages = list(pager.pages())
    assert [len(page["data"]) for page in pages] == [10, 10, 3]
    assert {page["total"] for page in pages} == {23}
    seen = [entry["emailAddress"] for entry in pager]
    assert seen == [f"user{i:02}@example.com" for i in range(23)]


def test_download_streams_csv_rows_across_pages(socketlabs_client: SocketLabs, tmp_path: Path) -> None:
    for i in range(5):
        socketlabs_client.suppressions.add(email_address=f"csv{i}@example.com")
    download = socketlabs_client.suppressions.download(page_size=3, sort_field="emailAddress")
    assert [row["emailAddress"] for row in download] == [f"csv{i}@example.com" for i in range(5)]
    assert download.save(tmp_path / "s.csv") == 5
    rows = list(csv.reader(io.StringIO((tmp_path / "s.csv").read_text())))
    assert rows[0] == ["serverId", "suppressionLastUpdate", "reason", "emailAddress"]
    assert [row[3] for row in rows[1:]] == [f"csv{i}@example.com" for i in range(5)]


def test_reports_filter_and_page_the_seeded_log(socketlabs_client: SocketLabs) -> None:
    reports = socketlabs_client.reports
    everything = reports.messages_detail(page_size=1).first_page()
    delivered = reports.messages_detail(filters="status=eq:Delivered", page_size=100).first_page()
    assert 0 < delivered.total < everything.total
    assert all(row.status is MessageStatus.DELIVERED for row in delivered.data)
    ordered = reports.messages_detail(sort_field="queuedTime", sort_direction=SortDirection.ASC, page_size=50)
    times = [row.queued_time for row in ordered]
    assert len(times) == everything.total
    assert times == sorted(times)
    assert all(t.tzinfo is not None for t in times)


def test_sent_mail_appears_in_the_reports(socketlabs_client: SocketLabs, socketlabs_sandbox: Sandbox) -> None:
    socketlabs_client.suppressions.add(email_address="blocked@example.com")
    socketlabs_client.injection.send(
        InjectionRequest(
            server_id=socketlabs_sandbox.server_id,
            messages=[_message("ok@example.com", "blocked@example.com", mailing_id="report-me")],
        )
    )
    rows = socketlabs_client.reports.messages_detail(filters="mailingId=eq:report-me")
    assert {(row.to, row.status) for row in rows} == {
        ("ok@example.com", MessageStatus.DELIVERED),
        ("blocked@example.com", MessageStatus.SUPPRESSED),
    }
    found = list(socketlabs_client.reports.recipient_search(to_email_address="ok@example.com"))
    assert found
    assert any(row.to == "ok@example.com" for row in found)


def test_generated_modules_work_with_the_client_we_build(socketlabs_client: SocketLabs) -> None:
    """The generated resource classes are the client's: same executor, so the same guarantees."""
    socketlabs_client.suppressions.add(email_address="raw@example.com")
    assert type(socketlabs_client).suppressions is resources.Suppressions
    assert isinstance(socketlabs_client.suppressions, resources.Suppressions)
    response = socketlabs_client.with_raw_response.suppressions.check(email_address="raw@example.com")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.parsed is not None
    assert response.parsed.data.is_suppressed is True


def test_the_key_never_shows_in_errors_or_debug_logs(
    socketlabs_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sentinel = "SENTINEL-KEY-7f3a9c-not-the-real-one"
    texts: list[str] = []
    with _client(socketlabs_sandbox, api_key=sentinel) as client:
        for call in (
            lambda: client.suppressions.check(email_address="a@example.com"),
            lambda: client.reports.messages_detail(page_size=5).first_page(),
            lambda: client.injection.send(
                InjectionRequest(server_id=socketlabs_sandbox.server_id, messages=[_message("a@example.com")])
            ),
        ):
            with pytest.raises(SocketLabsError) as err:
                call()
            texts += [str(err.value), repr(err.value), getattr(err.value, "body", "")]
        texts += [repr(client), repr(client.config), repr(client.http_client)]
    texts += [record.getMessage() for record in caplog.records]
    assert len(caplog.records) >= 3
    assert [t for t in texts if sentinel in t] == []


async def test_async_client_does_the_same_work(
    async_socketlabs_client: AsyncSocketLabs, socketlabs_sandbox: Sandbox
) -> None:
    client = async_socketlabs_client
    result = await client.injection.send(
        InjectionRequest(
            server_id=socketlabs_sandbox.server_id,
            messages=[_message("async@example.com", mailing_id="async")],
        )
    )
    assert result.error_code is InjectionErrorCode.SUCCESS
    await client.suppressions.add(email_address="async@example.com")
    assert (await client.suppressions.check(email_address="async@example.com")).is_suppressed is True
    await client.suppressions.remove(email_address="async@example.com")
    with pytest.raises(NotFoundError):
        await client.suppressions.remove(email_address="async@example.com")
    page = await client.reports.messages_detail(filters="mailingId=eq:async")
    assert [row.to for row in page.data] == ["async@example.com"]
    found = [row async for row in client.reports.recipient_search(to_email_address="async@example.com")]
    assert len(found) == 1
    with pytest.warns(UnverifiedOperationWarning, match="searchSuppressions"):
        search = await client.unverified.suppressions.search(page_size=10)
    assert search["total"] == 0
    assert [row async for row in client.suppressions.download(page_size=10)] == []


async def test_async_errors_are_typed_too(socketlabs_sandbox: Sandbox) -> None:
    async with AsyncSocketLabs(
        api_key="wrong", server_id=socketlabs_sandbox.server_id, base_url=socketlabs_sandbox.api_url
    ) as client:
        with pytest.raises(AuthenticationError):
            await client.suppressions.check(email_address="a@example.com")
