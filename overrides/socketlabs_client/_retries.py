"""What is retried, when, and why it is safe: one decision function and the policy around it.

``decide`` reads the operation's ``x-retry`` (carried on ``Operation.retry``)
and what one attempt gave:

| outcome                                   | processed | idempotent | send / once          |
|-------------------------------------------|-----------|------------|----------------------|
| connection refused, connect/pool timeout  | no        | retry      | retry (never sent)   |
| a request h11 refuses to write            | no        | done*      | done*                |
| 429, or injection ``OverQuota``           | no        | retry      | retry (not processed)|
| 503                                       | no        | retry      | retry (not processed)|
| other 5xx, 408                            | unknown   | retry      | outcome unknown      |
| read timeout, reset, protocol error       | unknown   | retry      | outcome unknown      |
| 2xx whose body cannot be read             | unknown   | done*      | outcome unknown      |
| 4xx, an injection failure ``ErrorCode``   | no        | done       | done                 |
| 2xx                                       | yes       | done       | done                 |

(* the caller gets a typed error: ``InvalidRequestError``,
``MalformedResponseError``.) The "processed" column is the one verdict on
"did the server act on it?": the retry, ``OutcomeUnknownError``, every
``SendReport`` outcome (``Outcome.REJECTED`` for no, ``IN_DOUBT`` for
unknown) and the rate limiter's feedback all read it, never a second copy.
A ``Retry-After`` longer than ``max_retry_after`` is not waited for: the
caller gets ``RateLimitError`` (its ``retry_after`` says how long). "Outcome
unknown" raises ``OutcomeUnknownError`` naming the messages in doubt and is
never repeated, because the server may have queued the mail: an email is
never sent twice by a retry.

The loop is tenacity's (``Retrying``/``AsyncRetrying``): a strict total
deadline that counts the next wait before taking it, jittered exponential
backoff ("full jitter", so a fleet does not retry in step), the server's
``Retry-After`` when it gives one, and ``on_retry`` called before each wait.
Clock and sleep are injectable, so tests assert waits without sleeping.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Generic, Literal, TypeVar

import httpx
import tenacity
from attrs import field, frozen
from tenacity import RetryCallState

from ._errors import Processed

__all__ = [
    "DEFAULT_RETRY_POLICY",
    "Action",
    "Decision",
    "Observation",
    "RetryEvent",
    "RetryPolicy",
    "Tried",
    "decide",
    "run_with_retries",
    "run_with_retries_async",
]

RetryKind = Literal["idempotent", "send", "once"]

# Errors raised before a single byte of the request could reach the server.
_NOT_SENT: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Raised by h11 on our side, before the request is written (a header it cannot encode).
_REFUSED_LOCALLY: tuple[type[Exception], ...] = (httpx.LocalProtocolError,)


class Action(StrEnum):
    """What to do after one attempt."""

    DONE = "done"
    """Hand the answer (or error) to the caller as it is."""
    RETRY = "retry"
    """Try again: it is safe and may succeed."""
    UNKNOWN = "unknown"
    """It may have been processed and a repeat could duplicate it: raise ``OutcomeUnknownError``."""


@frozen
class Observation:
    """What one attempt gave, reduced to the facts the decision needs."""

    status: int | None = None
    retry_after: float | None = None
    """The server's ``Retry-After`` in seconds (already read from seconds or an HTTP date)."""
    injection_code: str | None = None
    """The ``ErrorCode`` of a 2xx injection answer."""
    unreadable: bool = False
    """A 2xx whose body is not the JSON the operation answers (or too large or deep to read)."""
    error: Exception | None = None
    """The transport error, when no answer came."""


@frozen
class Decision:
    """The verdict on one attempt, with the reason a human would give."""

    action: Action
    reason: str
    wait: float | None = None
    """The server's wait, when it asked for one (used instead of the backoff)."""
    processed: Processed = Processed.UNKNOWN
    """Whether the server acted on the request: the one verdict every layer reads."""
    rate_limited: bool = False
    """A 429 or ``OverQuota``: the limiter pauses the key."""


_NO, _YES, _UNKNOWN = Processed.NO, Processed.YES, Processed.UNKNOWN


def decide(retry: RetryKind, seen: Observation, max_retry_after: float) -> Decision:  # noqa: PLR0911 - one return per row of the table
    """The one retry decision (see the module table)."""
    repeatable = retry == "idempotent"
    if seen.error is not None:
        name = type(seen.error).__name__
        if isinstance(seen.error, _NOT_SENT):
            return Decision(Action.RETRY, f"{name}: the request was never sent", processed=_NO)
        if isinstance(seen.error, _REFUSED_LOCALLY):
            return Decision(Action.DONE, f"{name}: the request could not be written", processed=_NO)
        if repeatable:
            return Decision(Action.RETRY, f"{name} on an idempotent operation")
        return Decision(Action.UNKNOWN, f"{name} after the request was sent")
    status = seen.status or 0
    if status == 429 or seen.injection_code == "OverQuota":
        what = "429" if status == 429 else "OverQuota"
        if seen.retry_after is not None and seen.retry_after > max_retry_after:
            reason = f"{what}: Retry-After {seen.retry_after:g} s is over the cap"
            return Decision(Action.DONE, reason, processed=_NO, rate_limited=True)
        reason = f"{what}: rate limited, not processed"
        return Decision(Action.RETRY, reason, seen.retry_after, processed=_NO, rate_limited=True)
    if status == 503:
        return Decision(Action.RETRY, "503: not processed", seen.retry_after, processed=_NO)
    if status >= 500 or status == 408:
        if repeatable:
            return Decision(Action.RETRY, f"{status} on an idempotent operation")
        return Decision(Action.UNKNOWN, f"{status} after the request was sent")
    if 200 <= status < 300 and seen.unreadable:
        action = Action.DONE if repeatable else Action.UNKNOWN
        return Decision(action, f"{status} with a body that cannot be read")
    if 200 <= status < 300 and seen.injection_code not in (None, "Success", "Warning"):
        return Decision(Action.DONE, f"{status} ErrorCode {seen.injection_code}", processed=_NO)
    return Decision(Action.DONE, f"{status}", processed=_YES if 200 <= status < 300 else _NO)


@frozen
class RetryEvent:
    """Passed to ``on_retry`` before each wait."""

    operation_id: str
    attempt: int
    """The number of the attempt that just failed (1 = the first try)."""
    wait: float
    reason: str


@frozen
class RetryPolicy:
    """How hard the client tries; set per client or with ``client.with_options(...)``.

    **Parameters:**

    * `max_retries` - retries after the first try (0 turns retries off).
    * `initial_backoff`, `max_backoff` - the exponential backoff's first and
      largest window (seconds); each wait is drawn uniformly from it ("full jitter").
    * `max_retry_after` - the longest ``Retry-After`` waited for; longer raises.
    * `deadline` - total seconds for all tries and waits of one call (None: no limit).
    * `max_wait` - the longest the rate limiter may hold a request (None: wait).
    * `on_retry` - called with a ``RetryEvent`` before each wait.
    * `clock`, `sleep`, `async_sleep` - injectable for tests.
    """

    max_retries: int = 3
    initial_backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0
    deadline: float | None = 120.0
    max_wait: float | None = None
    on_retry: Callable[[RetryEvent], None] | None = field(default=None, eq=False)
    clock: Callable[[], float] = field(default=time.monotonic, eq=False, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, eq=False, repr=False)
    async_sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        """Refuse settings that cannot work, before anything is sent."""
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if not 0 < self.initial_backoff <= self.max_backoff:
            raise ValueError("need 0 < initial_backoff <= max_backoff")
        if self.deadline is not None and self.deadline <= 0:
            raise ValueError("deadline must be positive or None")


DEFAULT_RETRY_POLICY = RetryPolicy()


T = TypeVar("T")


@frozen
class Tried(Generic[T]):
    """One attempt's payload (a response or an error) and the verdict on it."""

    payload: T
    decision: Decision


def _settings(policy: RetryPolicy, operation_id: str, start: float) -> dict[str, object]:
    """Tenacity's stop, wait, retry and hook for one call under ``policy`` that began at ``start``."""
    backoff = tenacity.wait_random_exponential(multiplier=policy.initial_backoff, max=policy.max_backoff)

    def last(state: RetryCallState) -> Tried[object]:
        if state.outcome is None:  # tenacity calls these only after an attempt
            raise RuntimeError("no attempt yet")
        result: Tried[object] = state.outcome.result()
        return result

    def stop(state: RetryCallState) -> bool:
        if state.attempt_number > policy.max_retries:
            return True
        elapsed = policy.clock() - start
        return policy.deadline is not None and elapsed + state.upcoming_sleep > policy.deadline

    def wait(state: RetryCallState) -> float:
        server = last(state).decision.wait
        return server if server is not None else float(backoff(state))

    def retry(state: RetryCallState) -> bool:
        if state.outcome is None or state.outcome.failed:  # our own errors are never retried
            return False
        return last(state).decision.action is Action.RETRY

    def before_sleep(state: RetryCallState) -> None:
        if policy.on_retry is not None:
            reason = last(state).decision.reason
            policy.on_retry(RetryEvent(operation_id, state.attempt_number, state.upcoming_sleep, reason))

    return {
        "stop": stop,
        "wait": wait,
        "retry": retry,
        "before_sleep": before_sleep,
        "retry_error_callback": last,  # out of tries: hand back the last answer as it is
        "reraise": True,
    }


def _settled(policy: RetryPolicy, first: Tried[T]) -> bool:
    """Whether the first attempt already ends the call (the common case: no retry machinery at all)."""
    return first.decision.action is not Action.RETRY or policy.max_retries == 0


def run_with_retries(policy: RetryPolicy, operation_id: str, attempt: Callable[[], Tried[T]]) -> Tried[T]:
    """Call ``attempt`` until its verdict is not ``RETRY``, the tries or the deadline run out."""
    start = policy.clock()
    first = attempt()
    if _settled(policy, first):
        return first
    pending = [first]  # tenacity takes over from the second attempt, counting the first

    def again() -> Tried[T]:
        return pending.pop() if pending else attempt()

    retrying = tenacity.Retrying(sleep=policy.sleep, **_settings(policy, operation_id, start))  # type: ignore[arg-type]
    result: Tried[T] = retrying(again)
    return result


async def run_with_retries_async(
    policy: RetryPolicy, operation_id: str, attempt: Callable[[], Awaitable[Tried[T]]]
) -> Tried[T]:
    """The async twin of ``run_with_retries``."""
    start = policy.clock()
    first = await attempt()
    if _settled(policy, first):
        return first
    pending = [first]

    async def again() -> Tried[T]:
        return pending.pop() if pending else await attempt()

    retrying = tenacity.AsyncRetrying(sleep=policy.async_sleep, **_settings(policy, operation_id, start))  # type: ignore[arg-type]
    result: Tried[T] = await retrying(again)
    return result
