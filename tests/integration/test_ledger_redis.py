"""The send ledger against a real redis-server and the sandbox over HTTP: at most once, doubts resolved.

The sandbox counts what it accepted per address (``processed_per_recipient``):
that count, not the client's report, is what "sent twice" is measured by.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from socketlabs_client import (
    AsyncSocketLabs,
    BasicMessage,
    BulkMessage,
    EntryState,
    LedgerReport,
    MessageValidationError,
    Resolution,
    SendLedger,
    SocketLabs,
    derive_message_id,
)
from socketlabs_sandbox import FaultKind, Sandbox

redis = pytest.importorskip("redis", reason="the `redis` extra is not installed")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


@pytest.fixture
def sb(sandbox: Sandbox) -> Sandbox:
    sandbox.reset()
    return sandbox


@pytest.fixture
def ledger(redis_url: str, request: pytest.FixtureRequest) -> Iterator[SendLedger]:
    made = SendLedger.redis(redis_url, prefix=f"test:{request.node.name}", stale_after=0, visibility_lag=0)
    yield made
    made.close()


def _client(sb: Sandbox, **options: object) -> SocketLabs:
    return SocketLabs(
        api_key=sb.api_key,
        server_id=sb.server_id,
        base_url=sb.api_url,
        inject_url=options.pop("inject_url", sb.inject_url),  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


def _bulk(count: int, *, bad: frozenset[int] = frozenset(), tag: str = "r") -> BulkMessage:
    bulk = BulkMessage(subject="Hi %%Code%%", from_="news@example.com", text="Code %%Code%%")
    for i in range(count):
        domain = "example.invalid" if i in bad else "example.com"
        bulk.add_recipient(f"{tag}{i}@{domain}", merge={"Code": str(i)})
    return bulk


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_batch_sent_twice_reaches_each_recipient_once(sb: Sandbox, ledger: SendLedger) -> None:
    bulk = _bulk(230, bad=frozenset({7}))
    with _client(sb) as client:
        first = ledger.send(client, bulk, key="campaign-1")
        again = ledger.send(client, bulk, key="campaign-1")
    assert (first.sent, first.skipped) == (230, 0)
    assert first.counts()["accepted"] == 229
    assert [e.address for e in first.rejected] == ["r7@example.invalid"]
    assert (again.sent, again.skipped) == (0, 230)
    assert again.counts() == first.counts()
    assert again.done
    processed = sb.processed_per_recipient()
    assert len(processed) == 229
    assert max(processed.values()) == 1
    # 50 rows per message: five derived message ids, the same on every call
    ids = {e.message_id for e in first.entries}
    assert ids == {derive_message_id("campaign-1", 0, n) for n in range(5)}
    assert {sent.message_id for sent in sb.state.sent} == ids
    assert first.to_json()["counts"]["accepted"] == 229


def test_answer_lost_after_processing_is_in_doubt_then_resolved_as_accepted(
    sb: Sandbox, ledger: SendLedger
) -> None:
    sb.faults.add(FaultKind.RESET_AFTER, operation="sendEmail", times=1)
    bulk = _bulk(60)
    with _client(sb) as client:
        first = ledger.send(client, bulk, key="k", concurrency=1, messages_per_request=1)
        assert len(first.in_doubt) == 50  # the first request: processed, answer lost
        assert len(first.accepted) == 10
        again = ledger.send(client, bulk, key="k")
        assert again.sent == 0  # in doubt is never resent
        resolved = ledger.resolve_in_doubt(client, first)
    assert resolved.count(Resolution.ACCEPTED) == 50
    assert resolved.queries == 1
    assert {e.state for e in ledger.entries("k")} == {EntryState.ACCEPTED}
    assert max(sb.processed_per_recipient().values()) == 1
    assert len(sb.processed_per_recipient()) == 60


def test_request_never_processed_is_not_found_then_sent_once(sb: Sandbox, ledger: SendLedger) -> None:
    sb.faults.add(FaultKind.SERVER_ERROR, operation="sendEmail", status=500, times=1)
    bulk = _bulk(40)
    with _client(sb, max_retries=0) as client:
        first = ledger.send(client, bulk, key="k")
        assert len(first.in_doubt) == 40  # a 500 may have been processed: the client cannot tell
        assert sb.processed_per_recipient() == {}
        resolved = ledger.resolve_in_doubt(client, "k")
        assert resolved.count(Resolution.NOT_FOUND) == 40
        assert {e.state for e in ledger.entries("k")} == {EntryState.FREE}
        second = ledger.send(client, bulk, key="k")
    assert second.sent == 40
    assert second.done
    assert sorted(sb.processed_per_recipient().values()) == [1] * 40


def test_recent_doubt_is_not_yet_visible(sb: Sandbox, redis_url: str) -> None:
    ledger = SendLedger(redis_url, prefix="test:lag", visibility_lag=3600)
    sb.faults.add(FaultKind.RESET_BEFORE, operation="sendEmail", times=1)
    with _client(sb) as client:
        first = ledger.send(client, _bulk(5), key="k")
        resolved = ledger.resolve_in_doubt(client, first)
    ledger.close()
    assert [r for _, r in resolved.verdicts] == [Resolution.NOT_YET_VISIBLE] * 5
    assert resolved.to_json() == {"queries": 1, "accepted": 0, "not_found": 0, "not_yet_visible": 5}
    assert {e.state for e in ledger.entries("k")} == {EntryState.IN_DOUBT}


def test_refused_connection_leaves_entries_free_for_the_next_send(sb: Sandbox, ledger: SendLedger) -> None:
    message = BasicMessage(
        subject="Hi", from_="a@example.com", text="x", to=["t@example.com"], cc=["c@example.com"]
    )
    dead = f"http://127.0.0.1:{_closed_port()}/api/v1"
    with _client(sb, inject_url=dead, max_retries=0) as client:
        first = ledger.send(client, message, key="basic")
    assert {e.state for e in first.entries} == {EntryState.FREE}
    with _client(sb) as client:
        second = ledger.send(client, message, key="basic")
    assert second.sent == 2
    assert second.done
    assert sorted(sb.processed_per_recipient()) == ["c@example.com", "t@example.com"]


def test_a_worker_that_died_while_sending_is_resolved_from_the_report(
    sb: Sandbox, ledger: SendLedger, redis_url: str
) -> None:
    bulk = _bulk(20)
    with _client(sb) as client:
        ledger.send(client, bulk, key="dead")
        # As if the worker had been killed between its request and its answer: the entries stay
        # *sending* under its token (it was processed: the sandbox has the mail).
        raw = redis.Redis.from_url(redis_url)
        (name,) = raw.smembers(f"{ledger.prefix}:{{{_hash('dead')}}}:index")
        for field, value in raw.hgetall(name).items():
            if field != b"@id":
                raw.hset(name, field, b"S" + value[1:])
        raw.close()
        held = ledger.send(client, bulk, key="dead")
        assert held.sent == 0
        assert len(held.in_doubt) == 20
        resolved = ledger.resolve_in_doubt(client, held)
    assert resolved.count(Resolution.ACCEPTED) == 20
    assert max(sb.processed_per_recipient().values()) == 1


def _hash(key: str) -> str:
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()[:24]


def test_invalid_message_raises_before_anything_is_claimed(sb: Sandbox, ledger: SendLedger) -> None:
    bulk = _bulk(3)
    bulk.add_recipient("not an address")
    with _client(sb) as client, pytest.raises(MessageValidationError):
        ledger.send(client, bulk, key="bad")
    assert ledger.entries("bad") == []
    assert sb.processed_per_recipient() == {}


async def test_async_send_and_resolution(sb: Sandbox, ledger: SendLedger) -> None:
    sb.faults.add(FaultKind.MALFORMED_JSON, operation="sendEmail", times=1)
    bulk = _bulk(120, tag="a")
    async with AsyncSocketLabs(
        api_key=sb.api_key, server_id=sb.server_id, base_url=sb.api_url, inject_url=sb.inject_url
    ) as client:
        first = await ledger.send_async(client, bulk, key="async", concurrency=1, messages_per_request=1)
        assert isinstance(first, LedgerReport)
        assert len(first.in_doubt) == 50
        again = await ledger.send_async(client, bulk, key="async")
        assert again.sent == 0
        resolved = await ledger.resolve_in_doubt_async(client, ["async"])
        assert {e.state for e in await ledger.entries_async("async")} == {EntryState.ACCEPTED}
    await ledger.aclose()
    assert resolved.count(Resolution.ACCEPTED) == 50
    assert sorted(sb.processed_per_recipient().values()) == [1] * 120
