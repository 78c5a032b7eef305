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

The loop is the lifecycle's own (``_lifecycle.send``): a plain ``while``
over ``Call.next_wait``, which reads ``next_wait`` here. Plainer than tenacity
for this: one attempt function, one wait rule, one deadline, and the first
attempt is an attempt like the others. A wait is the server's ``Retry-After``
when it gave one, else jittered exponential backoff ("full jitter", so a
fleet does not retry in step); the call ends instead of waiting when the
wait would cross its deadline. ``on_retry`` is called before each wait.
Clock and sleep are injectable, and the call's deadline is read from the
same clock, so a test's fake clock governs both.

The method table: a request without an operation (the escape hatch) is
retried by RFC 9110's idempotent methods (``IDEMPOTENT_METHODS``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, Literal, TypeVar

import httpx
from socketlabs_api.types import Record

from ._errors import Processed

__all__ = [
    "DEFAULT_RETRY_POLICY",
    "IDEMPOTENT_METHODS",
    "Action",
    "Decision",
    "Observation",
    "RetryEvent",
    "RetryPolicy",
    "Tried",
    "backoff",
    "decide",
    "method_retry",
]

RetryKind = Literal["idempotent", "send", "once"]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
"""RFC 9110 section 9.2.2: the safe methods (GET, HEAD, OPTIONS, TRACE), PUT and DELETE."""


def method_retry(method: str) -> RetryKind:
    """The retry kind of a request the spec does not describe, by its HTTP method."""
    return "idempotent" if method.upper() in IDEMPOTENT_METHODS else "once"


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


class Observation(Record):
    """What one attempt gave, reduced to the facts the decision needs."""

    status: int | None = None
    retry_after: float | None = None
    """The server's ``Retry-After`` in seconds (already read from seconds or an HTTP date)."""
    injection_code: str | None = None
    """The refusing ``ErrorCode`` of a 2xx injection answer, as its parser read it (None: accepted)."""
    unreadable: bool = False
    """A 2xx whose body is not what the operation answers (too large, undecodable, unparsable)."""
    error: Exception | None = None
    """The transport error, when no answer came."""


class Decision(Record):
    """The verdict on one attempt, with the reason a human would give."""

    action: Action
    reason: str
    wait: float | None = None
    """The server's wait, when it asked for one (used instead of the backoff)."""
    processed: Processed = Processed.UNKNOWN
    """Whether the server acted on the request: the one verdict every layer reads."""
    rate_limited: bool = False
    """A 429 or ``OverQuota``: the limiter pauses the key."""
    retryable: bool = False
    """Refused for now, not for good (never sent, rate limited, 503): the same request may succeed later."""


_NO, _YES, _UNKNOWN = Processed.NO, Processed.YES, Processed.UNKNOWN


def decide(retry: RetryKind, seen: Observation, max_retry_after: float) -> Decision:  # noqa: PLR0911 - one return per row of the table
    """The one retry decision (see the module table)."""
    repeatable = retry == "idempotent"
    if seen.error is not None:
        name = type(seen.error).__name__
        if isinstance(seen.error, _NOT_SENT):
            return Decision(
                Action.RETRY, f"{name}: the request was never sent", processed=_NO, retryable=True
            )
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
            return Decision(Action.DONE, reason, processed=_NO, rate_limited=True, retryable=True)
        reason = f"{what}: rate limited, not processed"
        return Decision(Action.RETRY, reason, seen.retry_after, _NO, rate_limited=True, retryable=True)
    if status == 503:
        return Decision(Action.RETRY, "503: not processed", seen.retry_after, _NO, retryable=True)
    if status >= 500 or status == 408:
        if repeatable:
            return Decision(Action.RETRY, f"{status} on an idempotent operation")
        return Decision(Action.UNKNOWN, f"{status} after the request was sent")
    if 200 <= status < 300 and seen.unreadable:
        action = Action.DONE if repeatable else Action.UNKNOWN
        return Decision(action, f"{status} with a body that cannot be read")
    if 200 <= status < 300 and seen.injection_code is not None:
        return Decision(Action.DONE, f"{status} ErrorCode {seen.injection_code}", processed=_NO)
    return Decision(Action.DONE, f"{status}", processed=_YES if 200 <= status < 300 else _NO)


async def _asyncio_sleep(seconds: float) -> None:
    """``asyncio.sleep``, imported when an async client first waits (not at import)."""
    import asyncio  # noqa: PLC0415

    await asyncio.sleep(seconds)


class RetryEvent(Record):
    """Passed to ``on_retry`` before each wait."""

    operation_id: str
    attempt: int
    """The number of the attempt that just failed (1 = the first try)."""
    wait: float
    reason: str


# A dataclass, not a Record: its callables are left out of eq and repr, and with_options reads its fields.
@dataclass(frozen=True, slots=True, weakref_slot=True)
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
    on_retry: Callable[[RetryEvent], None] | None = field(default=None, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    async_sleep: Callable[[float], Awaitable[None]] = field(default=_asyncio_sleep, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Refuse settings that cannot work, before anything is sent."""
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if not 0 < self.initial_backoff <= self.max_backoff:
            raise ValueError("need 0 < initial_backoff <= max_backoff")
        if self.deadline is not None and self.deadline <= 0:
            raise ValueError("deadline must be positive or None")


DEFAULT_RETRY_POLICY = RetryPolicy()


T = TypeVar("T")


class Tried(Record, Generic[T]):
    """One attempt's payload (a response or an error) and the verdict on it."""

    payload: T
    decision: Decision


def backoff(policy: RetryPolicy, retry_number: int) -> float:
    """Full jitter: uniform over the ``retry_number``-th exponential window (1 = the first retry)."""
    window = min(policy.max_backoff, policy.initial_backoff * 2 ** min(retry_number - 1, 64))
    return random.uniform(0, window)  # noqa: S311 - jitter, not a secret


def next_wait(policy: RetryPolicy, decision: Decision, retry_number: int, left: float | None) -> float | None:
    """The wait before retry number ``retry_number``, or None when the call ends with this answer.

    ``left`` is the time before the call's deadline (None: no deadline); a wait
    that would cross it is not taken.
    """
    if decision.action is not Action.RETRY or retry_number > policy.max_retries:
        return None
    wait = decision.wait if decision.wait is not None else backoff(policy, retry_number)
    if left is not None and wait >= left:
        return None
    return wait
