"""The lifecycle's sans-IO core (``Call``) driven directly: no socket, no driver.

One verdict: an answer is parsed inside the attempt, ``decide`` sees the
status, the refusing ``ErrorCode`` and the parse result once, and the error
handed over carries that verdict (processed, retryable) unchanged. One clock:
the policy's clock governs the retries, the deadline and the sockets' bound.
One method table: RFC 9110's idempotent methods, for the lifecycle and the
escape hatch alike.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from socketlabs_api.api.injection import send_email
from socketlabs_api.api.suppressions import check_suppression
from socketlabs_api.operations import OPERATIONS
from socketlabs_client import (
    InjectionOverQuotaError,
    InjectionRejectedError,
    MalformedResponseError,
    OutcomeUnknownError,
    Processed,
    RetryEvent,
    RetryPolicy,
)
from socketlabs_client._adhoc import adhoc_operation
from socketlabs_client._deadline import bounded, remaining
from socketlabs_client._lifecycle import Call, Lifecycle
from socketlabs_client._retries import IDEMPOTENT_METHODS, Action, method_retry

SEND = OPERATIONS["sendEmail"]
CHECK = OPERATIONS["checkSuppression"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 500.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _call(operation: Any, method: str, policy: RetryPolicy, build: Any) -> Call:
    life = Lifecycle.of(policy=policy, limiter=None, api_key="k" * 20)
    request = httpx.Request(method, "http://api.test/x")
    return Call(life, operation, request, policy, build)


def _send_call(policy: RetryPolicy | None = None) -> Call:
    build = send_email._build_response
    return _call(SEND, "POST", policy or RetryPolicy(), build)


def _answer(call: Call, status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.Response(
        status,
        content=content,
        headers={"Content-Type": "application/json", **(headers or {})},
        request=call.request,
    )


def test_a_refusing_error_code_is_read_once_inside_the_attempt_and_the_error_carries_the_verdict() -> None:
    call = _send_call()
    tried = call.judge(_answer(call, 200, {"ErrorCode": "TooManyMessages"}))
    assert tried.decision.action is Action.DONE
    assert (tried.decision.processed, tried.decision.retryable) == (Processed.NO, False)
    with pytest.raises(InjectionRejectedError) as caught:
        call.finish(tried)
    assert (caught.value.processed, caught.value.retryable) == (Processed.NO, False)


def test_over_quota_is_retried_then_handed_over_as_retryable() -> None:
    call = _send_call(RetryPolicy(max_retries=0))
    tried = call.judge(_answer(call, 200, {"ErrorCode": "OverQuota"}))
    assert tried.decision.action is Action.RETRY and tried.decision.rate_limited
    assert call.next_wait(tried) is None  # no retries left: this answer ends the call
    with pytest.raises(InjectionOverQuotaError) as caught:
        call.finish(tried)
    assert (caught.value.processed, caught.value.retryable) == (Processed.NO, True)


def test_an_accepted_send_is_its_parsed_answer() -> None:
    call = _send_call()
    tried = call.judge(_answer(call, 200, {"ErrorCode": "Success", "MessageResults": []}))
    assert (tried.decision.action, tried.decision.processed) == (Action.DONE, Processed.YES)
    assert str(call.finish(tried).parsed.error_code) == "Success"


# An object with none of the modeled members also warns of shape drift (tested with the tiers).
@pytest.mark.filterwarnings("ignore::socketlabs_client.ShapeDriftWarning")
@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"ErrorCode": 7}'])
def test_an_unparsable_2xx_is_in_doubt_for_a_send_and_malformed_for_a_read(body: bytes) -> None:
    send = _send_call()
    tried = send.judge(_answer(send, 200, body))
    assert tried.decision.action is Action.UNKNOWN
    with pytest.raises(OutcomeUnknownError):
        send.finish(tried)
    read = _call(CHECK, "GET", RetryPolicy(), check_suppression._build_response)
    tried = read.judge(_answer(read, 200, body))
    assert tried.decision.action is Action.DONE
    with pytest.raises(MalformedResponseError) as caught:
        read.finish(tried)
    assert caught.value.processed is Processed.UNKNOWN


def test_the_policy_clock_governs_retries_and_the_deadline() -> None:
    clock = FakeClock()
    events: list[RetryEvent] = []
    policy = RetryPolicy(
        max_retries=10,
        initial_backoff=2.0,
        max_backoff=4.0,
        deadline=10.0,
        clock=clock,
        on_retry=events.append,
    )
    call = _send_call(policy)
    assert call.left() == 10.0
    waits = []
    while True:
        tried = call.judge(_answer(call, 503, {}, {"Retry-After": "3"}))
        wait = call.next_wait(tried)
        if wait is None:
            break
        waits.append(wait)
        clock.sleep(wait)
    assert waits == [3.0, 3.0, 3.0], "a fourth wait of 3 s would cross the 10 s deadline"
    assert [e.attempt for e in events] == [1, 2, 3]
    assert call.left() == 1.0
    clock.now += 0.5
    with bounded(call.deadline, call.clock):
        assert remaining() == 0.5, "the sockets' bound reads the same clock"


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE", "POST", "PATCH"])
def test_one_method_table_for_the_lifecycle_and_the_escape_hatch(method: str) -> None:
    expected = "idempotent" if method in {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"} else "once"
    assert (method in IDEMPOTENT_METHODS) == (expected == "idempotent")
    assert method_retry(method) == expected
    assert _call(None, method, RetryPolicy(), None).kind == expected
    assert adhoc_operation(method, "/x", "api").retry == expected
    assert adhoc_operation(method, "/x", "injection").retry == "send"
