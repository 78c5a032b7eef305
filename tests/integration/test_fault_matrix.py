"""The fault matrix: each sandbox fault x sync and async x a read and a send, over real HTTP.

Expected outcome per cell (attempts = requests the client made; processed = how
many times the sandbox accepted the send's recipient):

| fault                 | read (checkSuppression)        | send (injection)                        |
|-----------------------|--------------------------------|-----------------------------------------|
| latency < timeout     | ok, 1 attempt                  | ok, 1 attempt, processed 1              |
| latency > timeout     | ok after 1 retry               | OutcomeUnknownError, processed 1        |
| reset before          | ok after 1 retry               | OutcomeUnknownError, processed 0        |
| reset after           | ok after 1 retry               | OutcomeUnknownError, processed 1        |
| 500                   | ok after 1 retry               | OutcomeUnknownError (500), processed 0  |
| 503                   | ok after 1 retry               | ok after 1 retry, processed 1           |
| malformed JSON        | MalformedResponseError, 1      | OutcomeUnknownError (200), processed 1  |
| wrong content type    | MalformedResponseError, 1      | OutcomeUnknownError (200), processed 1  |
| connection refused    | APIConnectionError after 1+3   | APIConnectionError after 1+3, never sent|
| over the rate limit   | 429 -> waits Retry-After, ok   | OverQuota -> waits, ok, processed 1     |

Backoff waits go to an injected sleep (recorded, not slept); only the
"latency" rows wait for real, for the sandbox's injected delay.
"""

from __future__ import annotations

import itertools
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from socketlabs_api.models import Address, InjectionRequest, Message
from socketlabs_client import (
    APIConnectionError,
    AsyncSocketLabs,
    MalformedResponseError,
    OutcomeUnknownError,
    RateLimiter,
    RetryEvent,
    RetryPolicy,
    SocketLabs,
    SocketLabsError,
)
from socketlabs_sandbox import FaultKind, Sandbox, SandboxConfig

_counter = itertools.count()


@dataclass(frozen=True)
class Cell:
    """One expected outcome: the error class (None: success), attempts, and processed count for sends."""

    error: type[SocketLabsError] | None
    attempts: int
    processed: int | None = None
    status: int | None = None


@dataclass(frozen=True)
class Row:
    fault: FaultKind | None
    read: Cell
    send: Cell
    delay: float = 0.0
    status: int = 500
    timeout: float = 10.0


OK1 = Cell(None, 1)
OK2 = Cell(None, 2)
MATRIX: dict[str, Row] = {
    "latency-under-timeout": Row(FaultKind.LATENCY, OK1, Cell(None, 1, 1), delay=0.05),
    "latency-over-timeout": Row(
        FaultKind.LATENCY, OK2, Cell(OutcomeUnknownError, 1, 1), delay=0.6, timeout=0.25
    ),
    "reset-before": Row(FaultKind.RESET_BEFORE, OK2, Cell(OutcomeUnknownError, 1, 0)),
    "reset-after": Row(FaultKind.RESET_AFTER, OK2, Cell(OutcomeUnknownError, 1, 1)),
    "500": Row(FaultKind.SERVER_ERROR, OK2, Cell(OutcomeUnknownError, 1, 0, 500)),
    "503": Row(FaultKind.SERVER_ERROR, OK2, Cell(None, 2, 1), status=503),
    "malformed-json": Row(
        FaultKind.MALFORMED_JSON, Cell(MalformedResponseError, 1), Cell(OutcomeUnknownError, 1, 1, 200)
    ),
    "wrong-content-type": Row(
        FaultKind.WRONG_CONTENT_TYPE, Cell(MalformedResponseError, 1), Cell(OutcomeUnknownError, 1, 1, 200)
    ),
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig()) as sb:
        yield sb


@pytest.fixture
def sb(sandbox: Sandbox) -> Sandbox:
    sandbox.reset()
    return sandbox


def _settings(sb: Sandbox, events: list[RetryEvent], timeout: float, **extra: object) -> dict[str, object]:
    policy = RetryPolicy(on_retry=events.append, sleep=lambda s: None, async_sleep=_no_sleep)
    settings: dict[str, object] = {
        "api_key": sb.api_key,
        "server_id": sb.server_id,
        "base_url": sb.api_url,
        "inject_url": sb.inject_url,
        "retry": policy,
        "timeout": timeout,
        "rate_limiter": False,
    }
    settings.update(extra)
    return settings


async def _no_sleep(seconds: float) -> None:
    return None


def _request(sb: Sandbox, address: str) -> InjectionRequest:
    message = Message(
        to=[Address(address)], from_=Address("noreply@example.com"), subject="Matrix", text_body="hi"
    )
    return InjectionRequest(server_id=sb.server_id, messages=[message])


def _processed(sb: Sandbox, address: str, expected: int) -> int:
    """The sandbox's count for ``address``, waiting briefly for a handler still running (latency rows)."""
    deadline = time.monotonic() + 3.0
    while True:
        count = sb.processed_per_recipient()[address]
        if count >= expected or time.monotonic() > deadline:
            return count
        time.sleep(0.01)


def _call(sb: Sandbox, mode: str, op: str, settings: dict[str, object], address: str) -> BaseException | None:
    """Make one call the way a user would; return the error it raised, if any."""
    try:
        if mode == "sync":
            with SocketLabs(**settings) as client:  # type: ignore[arg-type]
                if op == "read":
                    client.suppressions.check(email_address=address)
                else:
                    client.injection.send(_request(sb, address))
        else:
            import asyncio

            async def run() -> None:
                async with AsyncSocketLabs(**settings) as client:  # type: ignore[arg-type]
                    if op == "read":
                        await client.suppressions.check(email_address=address)
                    else:
                        await client.injection.send(_request(sb, address))

            asyncio.run(run())
    except SocketLabsError as exc:
        return exc
    return None


def _check(cell: Cell, error: BaseException | None, events: list[RetryEvent]) -> None:
    if cell.error is None:
        assert error is None, f"expected success, got {error!r}"
    else:
        assert isinstance(error, cell.error), f"expected {cell.error.__name__}, got {error!r}"
    assert len(events) + 1 == cell.attempts, [e.reason for e in events]
    if cell.status is not None:
        assert isinstance(error, OutcomeUnknownError) and error.status_code == cell.status


@pytest.mark.parametrize("op", ["read", "send"])
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("name", list(MATRIX))
def test_fault_matrix(sb: Sandbox, name: str, mode: str, op: str) -> None:
    row = MATRIX[name]
    cell = row.read if op == "read" else row.send
    operation = "checkSuppression" if op == "read" else "sendEmail"
    assert row.fault is not None
    sb.faults.add(row.fault, operation=operation, times=1, delay=row.delay, status=row.status)
    address = f"matrix-{next(_counter)}@example.com"
    events: list[RetryEvent] = []
    error = _call(sb, mode, op, _settings(sb, events, row.timeout), address)
    _check(cell, error, events)
    assert sb.faults.injected[row.fault] == 1
    if op == "send":
        assert _processed(sb, address, cell.processed or 0) == cell.processed
        if isinstance(error, OutcomeUnknownError):
            assert [d.recipients for d in error.in_doubt] == [(address,)]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("op", ["read", "send"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_connection_refused_is_retried_and_never_an_unknown_outcome(sb: Sandbox, mode: str, op: str) -> None:
    port = _closed_port()
    events: list[RetryEvent] = []
    settings = _settings(
        sb, events, 2.0, base_url=f"http://127.0.0.1:{port}/v2", inject_url=f"http://127.0.0.1:{port}/api/v1"
    )
    address = f"refused-{next(_counter)}@example.com"
    error = _call(sb, mode, op, settings, address)
    assert type(error) is APIConnectionError
    assert len(events) == 3 and all("never sent" in e.reason for e in events)
    assert sb.processed_per_recipient()[address] == 0


class SharedFakeTime:
    """One fake clock for the sandbox's windows, the client's limiter and its retry sleeps."""

    def __init__(self) -> None:
        self.now = 10_000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.mark.parametrize("op", ["read", "send"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_over_the_rate_limit_the_client_waits_and_succeeds(mode: str, op: str) -> None:
    """The real 60 s window on a fake clock: 429/OverQuota, the client waits, then succeeds once."""
    fake = SharedFakeTime()
    with Sandbox(SandboxConfig(rate_limit_window=60.0)) as sb:
        sb.limits.clock = fake.clock
        operation = "checkSuppression" if op == "read" else "sendEmail"
        for _ in range(100):  # another process used the whole budget
            assert sb.limits.admit(operation) is None
        events: list[RetryEvent] = []
        limiter = RateLimiter(clock=fake.clock, sleep=fake.sleep, async_sleep=fake.async_sleep)
        policy = RetryPolicy(on_retry=events.append, sleep=fake.sleep, async_sleep=fake.async_sleep)
        settings = _settings(sb, [], 10.0, retry=policy, rate_limiter=limiter)
        address = f"limited-{next(_counter)}@example.com"
        start = fake.now
        error = _call(sb, mode, op, settings, address)
        assert error is None
        assert sb.limits.counters.refused_total == 1
        assert len(events) == 1
        expected = "429: rate limited" if op == "read" else "OverQuota: rate limited"
        assert events[0].reason.startswith(expected)
        # the window opened 60 s after the budget was used; the client waited at least that long
        assert 60.0 <= fake.now - start <= 61.0
        if op == "send":
            assert sb.processed_per_recipient()[address] == 1


def test_a_read_timeout_without_retries_is_a_timeout_error(sb: Sandbox) -> None:
    from socketlabs_client import APITimeoutError

    sb.faults.add(FaultKind.LATENCY, operation="checkSuppression", times=1, delay=0.6)
    events: list[RetryEvent] = []
    settings = _settings(sb, events, 0.25)
    with SocketLabs(**settings, max_retries=0) as client, pytest.raises(APITimeoutError):  # type: ignore[arg-type]
        client.suppressions.check(email_address="t@example.com")
    assert events == []
