"""A merge whose recipients come from an iterator: read as the send goes, reported without holding all."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from socketlabs_client import (
    AsyncSocketLabs,
    BulkMessage,
    BulkRecipient,
    MessageValidationError,
    NotListedError,
    Outcome,
    SocketLabs,
)
from socketlabs_sandbox import Sandbox

PER_MESSAGE, PER_REQUEST, CONCURRENCY = 5, 2, 3


def _settings(sandbox: Sandbox) -> dict[str, object]:
    return {
        "api_key": sandbox.api_key,
        "server_id": sandbox.server_id,
        "base_url": sandbox.api_url,
        "inject_url": sandbox.inject_url,
    }


@pytest.fixture
def sandbox(socketlabs_sandbox: Sandbox) -> Sandbox:
    socketlabs_sandbox.reset()
    return socketlabs_sandbox


class Source:
    """Recipients from a generator that notes, at each row it hands out, how many rows the sandbox had."""

    def __init__(
        self,
        sandbox: Sandbox,
        count: int,
        *,
        bad: frozenset[int] = frozenset(),
        rejected: frozenset[int] = frozenset(),
    ) -> None:
        self.sandbox, self.count, self.bad, self.rejected = sandbox, count, bad, rejected
        self.ahead: list[int] = []  # rows handed out minus rows the server had, at each row

    def __iter__(self) -> Iterator[BulkRecipient | str]:
        for i in range(self.count):
            self.ahead.append(i - len(self.sandbox.state.sent))
            if i in self.bad:
                yield "not an address"
                continue
            domain = "x.invalid" if i in self.rejected else "example.com"
            yield BulkRecipient(f"r{i}@{domain}", f"R{i}", {"Code": str(i)})


def _bulk(rows: Iterable[BulkRecipient | str]) -> BulkMessage:
    return BulkMessage(
        subject="Hi %%RecipientName%%", from_="noreply@example.com", text="%%Code%%", recipients=rows
    )


OPTIONS = {
    "recipients_per_message": PER_MESSAGE,
    "messages_per_request": PER_REQUEST,
    "concurrency": CONCURRENCY,
}
# Rows a send may have read and not yet delivered: the requests in flight, the one being
# planned, and the next chunk being read.
WINDOW = (CONCURRENCY + 2) * PER_REQUEST * PER_MESSAGE + PER_MESSAGE


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_every_row_is_sent_once_and_read_no_further_ahead_than_the_requests_in_flight(
    sandbox: Sandbox, mode: str
) -> None:
    source = Source(sandbox, 437, rejected=frozenset({7, 300}))
    bulk = _bulk(iter(source))
    assert bulk.streamed
    if mode == "sync":
        with SocketLabs(**_settings(sandbox)) as client:  # type: ignore[arg-type]
            report = client.send(bulk, **OPTIONS)  # type: ignore[arg-type]
    else:

        async def run() -> object:
            async with AsyncSocketLabs(**_settings(sandbox)) as client:  # type: ignore[arg-type]
                return await client.send(bulk, **OPTIONS)  # type: ignore[arg-type]

        report = asyncio.run(run())  # type: ignore[assignment]
    sent = sorted(s.address for s in sandbox.state.sent)
    assert sent == sorted(f"r{i}@example.com" for i in range(437) if i not in (7, 300))  # each once
    assert max(source.ahead) <= WINDOW
    assert report.streamed and report.counts == {Outcome.ACCEPTED: 435, Outcome.REJECTED: 2}
    assert [r.address for r in report.recipients] == ["r7@x.invalid", "r300@x.invalid"]
    assert [r.address for r in report.rejected] == ["r7@x.invalid", "r300@x.invalid"]
    assert not report.ok
    assert all(r.wire is None for r in report.requests)
    assert sum(r.recipient_count for r in report.requests) == 437
    with pytest.raises(NotListedError, match="435 recipient"):
        report.accepted  # noqa: B018
    assert "'accepted': 435" in repr(report)


def test_a_row_that_fails_its_checks_after_the_first_chunk_is_reported_and_never_sent(
    sandbox: Sandbox,
) -> None:
    source = Source(sandbox, 40, bad=frozenset({12, 31}))
    with SocketLabs(**_settings(sandbox)) as client:  # type: ignore[arg-type]
        report = client.send(_bulk(iter(source)), **OPTIONS)  # type: ignore[arg-type]
    assert len(sandbox.state.sent) == 38
    assert report.counts == {Outcome.ACCEPTED: 38, Outcome.REJECTED: 2}
    refused = report.rejected
    assert [r.request for r in refused] == [-1, -1]
    assert all(
        "refused by the client's checks" in r.detail and "MergeData.PerMessage[" in r.detail for r in refused
    )


def test_the_first_chunk_is_checked_before_anything_leaves(sandbox: Sandbox) -> None:
    source = Source(sandbox, 40, bad=frozenset({2}))
    with SocketLabs(**_settings(sandbox)) as client, pytest.raises(MessageValidationError):  # type: ignore[arg-type]
        client.send(_bulk(iter(source)), **OPTIONS)  # type: ignore[arg-type]
    assert sandbox.state.sent == []


def test_an_iterator_is_read_by_one_send_only(sandbox: Sandbox) -> None:
    bulk = _bulk(iter(Source(sandbox, 3)))
    with SocketLabs(**_settings(sandbox)) as client:  # type: ignore[arg-type]
        assert client.send(bulk).counts == {Outcome.ACCEPTED: 3}
        with pytest.raises(MessageValidationError, match="read by one send only"):
            client.send(bulk)
    assert len(sandbox.state.sent) == 3


def test_a_dry_run_counts_without_listing(sandbox: Sandbox) -> None:
    with SocketLabs(**_settings(sandbox)) as client:  # type: ignore[arg-type]
        report = client.send(_bulk(iter(Source(sandbox, 23))), dry_run=True, **OPTIONS)  # type: ignore[arg-type]
    assert report.dry_run and report.counts == {Outcome.NOT_SENT: 23} and report.recipients == ()
    assert len(report.requests) == 3 and sandbox.state.sent == []


# The sandbox's state is not read: only the two reports are compared, so one sandbox serves every example.
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    count=st.integers(1, 40),
    bad=st.sets(st.integers(5, 39), max_size=6),
    per_message=st.integers(1, 7),
    per_request=st.integers(1, 3),
)
def test_streamed_and_listed_sends_agree_on_every_outcome(
    socketlabs_sandbox: Sandbox, count: int, bad: set[int], per_message: int, per_request: int
) -> None:
    """The same rows, from a list and from an iterator: same rejections, same counts, same wire."""
    bad = {b for b in bad if b >= per_message}  # the first chunk raises instead (tested above)
    rows = [BulkRecipient(f"r{i}@{'x.invalid' if i in bad else 'example.com'}") for i in range(count)]
    options = {"recipients_per_message": per_message, "messages_per_request": per_request}
    with SocketLabs(**_settings(socketlabs_sandbox)) as client:  # type: ignore[arg-type]
        listed = client.send(_bulk(rows), **options)  # type: ignore[arg-type]
        streamed = client.send(_bulk(iter(rows)), **options)  # type: ignore[arg-type]
    assert streamed.counts == listed.counts
    assert [(r.address, r.outcome, r.code) for r in streamed.recipients] == [
        (r.address, r.outcome, r.code) for r in listed.recipients if r.outcome is not Outcome.ACCEPTED
    ]
    assert [r.recipient_count for r in streamed.requests] == [r.recipient_count for r in listed.requests]
