"""The retry decision table, the policy's waits and deadline, and its settings; no wall-clock sleeps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from socketlabs_client import (
    APIConnectionError,
    InjectionOverQuotaError,
    InternalServerError,
    OutcomeUnknownError,
    RateLimitError,
    RetryEvent,
    RetryPolicy,
    SocketLabs,
)
from socketlabs_client._errors import parse_retry_after
from socketlabs_client._retries import Action, Observation, decide

SEND_OK = {"ErrorCode": "Success", "TransactionReceipt": None, "MessageResults": []}
OVER_QUOTA = {"ErrorCode": "OverQuota", "TransactionReceipt": None, "MessageResults": None}
CHECK_OK = {"data": {"emailAddress": "a@example.com", "isSuppressed": False}}
REQUEST = {
    "ServerId": 1,
    "Messages": [
        {
            "To": [{"EmailAddress": "ann@example.com"}],
            "Cc": [{"EmailAddress": "cat@example.com"}],
            "From": {"EmailAddress": "b@example.com"},
            "Subject": "s",
            "TextBody": "t",
            "MessageId": "m-1",
        },
        {
            "To": [{"EmailAddress": "bob@example.com"}],
            "From": {"EmailAddress": "b@example.com"},
            "Subject": "s",
        },
    ],
}


class FakeTime:
    """A clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


def _policy(fake: FakeTime, **changes: object) -> RetryPolicy:
    return RetryPolicy(clock=fake.clock, sleep=fake.sleep, async_sleep=fake.async_sleep, **changes)  # type: ignore[arg-type]


Answer = httpx.Response | Exception


def _scripted(answers: list[Answer], seen: list[httpx.Request]) -> httpx.MockTransport:
    """Answer each request with the next scripted answer (the last one repeats)."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers[min(len(seen), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.MockTransport(handler)


def _client(answers: list[Answer], fake: FakeTime, seen: list[httpx.Request], **policy: object) -> SocketLabs:
    return SocketLabs(
        api_key="k",
        server_id=1,
        transport=_scripted(answers, seen),
        retry=_policy(fake, **policy),
        rate_limiter=False,
    )


def _json(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def _send(client: SocketLabs) -> object:
    from socketlabs_api.models import InjectionRequest

    return client.injection.send(InjectionRequest.from_dict(REQUEST))


def _check(client: SocketLabs) -> object:
    return client.suppressions.check(email_address="a@example.com")


CONNECT = httpx.ConnectError("refused")
READ_TIMEOUT = httpx.ReadTimeout("slow")
RESET = httpx.ReadError("reset by peer")


@pytest.mark.parametrize(
    ("kind", "seen", "action"),
    [
        ("idempotent", Observation(error=CONNECT), Action.RETRY),
        ("send", Observation(error=CONNECT), Action.RETRY),
        ("once", Observation(error=httpx.ConnectTimeout("t")), Action.RETRY),
        ("send", Observation(error=httpx.PoolTimeout("t")), Action.RETRY),
        ("idempotent", Observation(error=READ_TIMEOUT), Action.RETRY),
        ("send", Observation(error=READ_TIMEOUT), Action.UNKNOWN),
        ("once", Observation(error=RESET), Action.UNKNOWN),
        ("send", Observation(error=httpx.RemoteProtocolError("gone")), Action.UNKNOWN),
        ("idempotent", Observation(status=429), Action.RETRY),
        ("send", Observation(status=429), Action.RETRY),
        ("send", Observation(status=200, injection_code="OverQuota"), Action.RETRY),
        ("idempotent", Observation(status=503), Action.RETRY),
        ("send", Observation(status=503), Action.RETRY),
        ("idempotent", Observation(status=500), Action.RETRY),
        ("send", Observation(status=500), Action.UNKNOWN),
        ("once", Observation(status=502), Action.UNKNOWN),
        ("send", Observation(status=408), Action.UNKNOWN),
        ("idempotent", Observation(status=200, unreadable=True), Action.DONE),
        ("send", Observation(status=200, unreadable=True), Action.UNKNOWN),
        ("send", Observation(status=200, injection_code="Success"), Action.DONE),
        ("idempotent", Observation(status=404), Action.DONE),
        ("send", Observation(status=400), Action.DONE),
        ("idempotent", Observation(status=429, retry_after=61), Action.DONE),
    ],
)
def test_the_decision_table(kind: str, seen: Observation, action: Action) -> None:
    assert decide(kind, seen, max_retry_after=60).action is action  # type: ignore[arg-type]


def test_a_server_wait_is_used_instead_of_the_backoff() -> None:
    decision = decide("idempotent", Observation(status=429, retry_after=7), max_retry_after=60)
    assert (decision.action, decision.wait) == (Action.RETRY, 7)


def test_retry_after_as_an_http_date_against_a_given_now() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0.0


def test_reads_retry_with_jittered_exponential_backoff_then_succeed() -> None:
    fake, seen = FakeTime(), []
    answers: list[Answer] = [_json(500, {}), RESET, _json(502, {}), _json(200, CHECK_OK)]
    with _client(answers, fake, seen, initial_backoff=0.5, max_backoff=8.0) as client:
        assert _check(client).is_suppressed is False  # type: ignore[attr-defined]
    assert len(seen) == 4
    # full jitter: the n-th wait is drawn from [0, 0.5 * 2**(n-1)]
    assert len(fake.sleeps) == 3
    for n, wait in enumerate(fake.sleeps, start=1):
        assert 0 <= wait <= 0.5 * 2 ** (n - 1)


def test_retry_after_seconds_are_waited_exactly_and_the_hook_hears_each_retry() -> None:
    fake, seen, events = FakeTime(), [], []
    answers: list[Answer] = [_json(429, {}, {"Retry-After": "3"}), _json(503, {}, {"Retry-After": "2"})]
    answers.append(_json(200, CHECK_OK))
    with _client(answers, fake, seen, on_retry=events.append) as client:
        _check(client)
    assert fake.sleeps == [3.0, 2.0]
    assert events == [
        RetryEvent("checkSuppression", 1, 3.0, "429: rate limited, not processed"),
        RetryEvent("checkSuppression", 2, 2.0, "503: not processed"),
    ]


def test_a_retry_after_over_the_cap_raises_rate_limit_error_carrying_the_wait() -> None:
    fake, seen = FakeTime(), []
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=600), usegmt=True)
    with (
        _client([_json(429, {}, {"Retry-After": later})], fake, seen, max_retry_after=60) as client,
        pytest.raises(RateLimitError) as err,
    ):
        _check(client)
    assert len(seen) == 1 and fake.sleeps == []
    assert err.value.retry_after is not None and 590 < err.value.retry_after <= 600


def test_out_of_retries_gives_the_last_answer_as_its_typed_error() -> None:
    fake, seen = FakeTime(), []
    with _client([_json(500, {})], fake, seen, max_retries=2) as client, pytest.raises(InternalServerError):
        _check(client)
    assert len(seen) == 3


def test_the_deadline_counts_the_next_wait_before_taking_it() -> None:
    fake, seen = FakeTime(), []
    answers: list[Answer] = [_json(503, {}, {"Retry-After": "4"})]
    with (
        _client(answers, fake, seen, max_retries=10, deadline=10.0) as client,
        pytest.raises(InternalServerError),
    ):
        _check(client)
    # waits of 4 s: 4, 8 fit in 10 s; a third would end at 12 s, so it is not taken
    assert fake.sleeps == [4.0, 4.0]
    assert len(seen) == 3


def test_a_send_is_retried_only_when_certainly_not_processed() -> None:
    fake, seen = FakeTime(), []
    answers: list[Answer] = [CONNECT, _json(200, OVER_QUOTA), _json(503, {}), _json(200, SEND_OK)]
    with _client(answers, fake, seen) as client:
        _send(client)
    assert len(seen) == 4


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (READ_TIMEOUT, None),
        (RESET, None),
        (_json(500, {}), 500),
        (
            httpx.Response(200, content=b'{"ErrorCode": "Succ', headers={"Content-Type": "application/json"}),
            200,
        ),
        (httpx.Response(200, content=b"<html></html>", headers={"Content-Type": "text/html"}), 200),
    ],
)
def test_a_send_that_may_have_been_processed_is_never_repeated(answer: Answer, status: int | None) -> None:
    fake, seen = FakeTime(), []
    with (
        _client([answer, _json(200, SEND_OK)], fake, seen) as client,
        pytest.raises(OutcomeUnknownError) as err,
    ):
        _send(client)
    assert len(seen) == 1
    assert isinstance(err.value, APIConnectionError)
    assert err.value.status_code == status
    doubts = err.value.in_doubt
    assert [(d.index, d.recipients, d.message_id) for d in doubts] == [
        (0, ("ann@example.com", "cat@example.com"), "m-1"),
        (1, ("bob@example.com",), None),
    ]
    assert "2 message(s) may or may not have been sent" in str(err.value)


def test_over_quota_until_out_of_retries_is_its_typed_error() -> None:
    fake, seen = FakeTime(), []
    with (
        _client([_json(200, OVER_QUOTA)], fake, seen, max_retries=1) as client,
        pytest.raises(InjectionOverQuotaError),
    ):
        _send(client)
    assert len(seen) == 2


def test_a_connection_refused_send_ends_as_a_connection_error_not_an_unknown_outcome() -> None:
    fake, seen = FakeTime(), []
    with _client([CONNECT], fake, seen, max_retries=2) as client, pytest.raises(APIConnectionError) as err:
        _send(client)
    assert type(err.value) is APIConnectionError
    assert len(seen) == 3


def test_with_options_changes_retries_for_the_new_client_only() -> None:
    fake, seen = FakeTime(), []
    with _client([_json(500, {})], fake, seen, max_retries=3) as client:
        no_retry = client.with_options(max_retries=0)
        assert no_retry.config.retry.max_retries == 0
        assert client.config.retry.max_retries == 3
        with no_retry, pytest.raises(InternalServerError):
            _check(no_retry)
    assert len(seen) == 1


def test_with_options_shares_the_rate_limiter_or_drops_it() -> None:
    with SocketLabs(api_key="k", server_id=1) as client:
        limiter = client.config.rate_limiter
        assert limiter is not None
        with client.with_options(max_retries=0) as copy:
            assert copy.config.rate_limiter is limiter
        with client.with_options(rate_limiter=False) as unlimited:
            assert unlimited.config.rate_limiter is None
    with SocketLabs(api_key="k", server_id=1, rate_limiter=False) as client:
        assert client.config.rate_limiter is None


@pytest.mark.parametrize(
    "bad",
    [{"max_retries": -1}, {"initial_backoff": 0}, {"initial_backoff": 9, "max_backoff": 8}, {"deadline": 0}],
)
def test_impossible_policies_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"must|need"):
        RetryPolicy(**bad)  # type: ignore[arg-type]


async def test_the_async_client_follows_the_same_rules() -> None:
    from socketlabs_api.models import InjectionRequest
    from socketlabs_client import AsyncSocketLabs

    fake, seen = FakeTime(), []

    def handler(answers: list[Answer]) -> Callable[[httpx.Request], httpx.Response]:
        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            item = answers[min(len(seen), len(answers)) - 1]
            if isinstance(item, Exception):
                raise item
            return item

        return answer

    read = AsyncSocketLabs(
        api_key="k",
        server_id=1,
        transport=httpx.MockTransport(handler([_json(500, {}), _json(200, CHECK_OK)])),
        retry=_policy(fake),
        rate_limiter=False,
    )
    async with read:
        await read.suppressions.check(email_address="a@example.com")
    assert len(seen) == 2 and len(fake.sleeps) == 1
    seen.clear()
    send = AsyncSocketLabs(
        api_key="k",
        server_id=1,
        transport=httpx.MockTransport(handler([READ_TIMEOUT, _json(200, SEND_OK)])),
        retry=_policy(fake),
        rate_limiter=False,
    )
    async with send:
        with pytest.raises(OutcomeUnknownError):
            await send.injection.send(InjectionRequest.from_dict(REQUEST))
    assert len(seen) == 1
