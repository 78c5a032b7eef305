"""The request lifecycle: the one place a request is sent, read, judged and retried.

```
 limiter ──> send ──> read ──> parse ──> ONE verdict ──> retry (same request, after a wait)
 (slot,      (auth,   (decoded  (2xx:     _retries.decide: processed yes / no / unknown,
  bounded     deadline under    model or  retryable, retry or not
  by the      at every the body the       │
  deadline)   socket   guard)   refusing  ├─ yes: the parsed answer (or, streamed, the open response)
              op)               ErrorCode)├─ no: typed error (refused, rate limited, never sent)
                                          └─ unknown: retried if idempotent, else OutcomeUnknownError
```

``Call`` is the sans-IO core: it owns one call's clock, deadline and
settings, and turns what an attempt gave (an answer, parsed inside the
attempt, or a transport error) into ``_retries.decide``'s verdict; the last
verdict becomes the result or a typed error marked with it, and nothing
changes it afterwards. The sync and async drivers (``send``/``asend``,
``open_stream``/``aopen_stream``) only do the I/O around it, so both follow
the same rules by construction; their retry loop is a plain ``while``.
The httpx transport underneath only moves bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import httpx
from socketlabs_api.operations import DEFAULT_RATE_LIMIT_FAMILY, Operation
from socketlabs_api.types import Record, Response

from ._body import (
    MAX_DECOMPRESSION_RATIO,
    BodyDecoder,
    BodyTooLarge,
    BodyUndecodable,
    Unreadable,
    araw_chunks,
    content_encoding,
    raw_chunks,
)
from ._config import DEFAULT_MAX_RESPONSE_SIZE
from ._errors import (
    APIError,
    ClientStateError,
    InjectionError,
    InvalidRequestError,
    MalformedResponseError,
    OutcomeUnknownError,
    Processed,
    RateLimitWaitError,
    ResponseTooLargeError,
    SocketLabsError,
    _url,
    connection_error,
    outcome_unknown,
    parse_or_raise,
    parse_retry_after,
    preview,
    status_error,
)
from ._ratelimit import LimitWaitExceeded, RateLimiter, key_id
from ._redact import protect_logs, scrub_exception
from ._retries import (
    Action,
    Decision,
    Observation,
    RetryEvent,
    RetryKind,
    RetryPolicy,
    Tried,
    decide,
    method_retry,
    next_wait,
)

__all__ = [
    "MAX_DECOMPRESSION_RATIO",
    "OPERATION_EXTENSION",
    "Call",
    "Lifecycle",
    "aopen_stream",
    "asend",
    "open_stream",
    "send",
]

OPERATION_EXTENSION = "socketlabs.operation"
"""Key under which each request's ``Operation`` travels in ``request.extensions``."""

_RECODED = frozenset({b"content-encoding", b"content-length", b"transfer-encoding"})
"""Headers of the body as it came, not of the decoded body the parsed answer holds."""

Payload = httpx.Response | httpx.TransportError


class Lifecycle(Record):
    """What every call of one client runs under (shared by ``with_options`` copies where unchanged)."""

    policy: RetryPolicy
    limiter: RateLimiter | None
    key: str
    secrets: tuple[str, ...]
    max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE

    def __post_init__(self) -> None:
        for secret in self.secrets:  # redacted from the loggers the client drives while it lives
            protect_logs(secret, self)

    @classmethod
    def of(
        cls,
        *,
        policy: RetryPolicy,
        limiter: RateLimiter | None,
        api_key: str,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
    ) -> Lifecycle:
        """The settings for a client with this key."""
        return cls(policy, limiter, key_id(api_key), (api_key,), max_response_size)


def _kind(operation: Operation | None, request: httpx.Request) -> RetryKind:
    """The operation's ``x-retry``; for a request without one, by its HTTP method (RFC 9110)."""
    return operation.retry if operation is not None else method_retry(request.method)


class Call:
    """One call's state and rules: the sans-IO core of the lifecycle."""

    def __init__(
        self,
        life: Lifecycle,
        operation: Operation | None,
        request: httpx.Request,
        policy: RetryPolicy | None = None,
        build: Callable[..., Response[Any]] | None = None,
    ) -> None:
        self.life = life
        self.build = build
        """The operation's parser; None for a stream (a CSV page is read by its caller)."""
        self.operation = operation
        self.request = request
        self.policy = policy or life.policy
        self.kind = _kind(operation, request)
        self.families: Sequence[str] = (
            operation.rate_limit_families if operation is not None else (DEFAULT_RATE_LIMIT_FAMILY,)
        )
        self.name = operation.operation_id if operation else f"{request.method} {request.url.path}"
        self.clock = self.policy.clock
        """The call's one clock: retries, waits, the deadline and the sockets' bound all read it."""
        started = self.clock()
        self.deadline = None if self.policy.deadline is None else started + self.policy.deadline
        self.retries = 0
        self.unreadable: Unreadable | None = None
        self.parsed: Response[Any] | None = None
        self.refusal: APIError | None = None
        """What the parser found wrong with a 2xx (a refusing ``ErrorCode``, an unparsable body)."""

    def left(self) -> float | None:
        """Seconds before the deadline (None: no deadline)."""
        return None if self.deadline is None else self.deadline - self.clock()

    # -- before sending -------------------------------------------------------------------

    def wait_budget(self) -> float | None:
        """How long the limiter may hold this attempt: ``max_wait``, and never past the deadline."""
        budget, left = self.policy.max_wait, self.left()
        if left is not None:
            budget = max(0.0, left) if budget is None else min(budget, max(0.0, left))
        return budget

    def clamp_pool_wait(self) -> None:
        """Wait for a pooled connection no longer than the time left (sockets are clamped below)."""
        left = self.left()
        if left is None:
            return
        left = max(0.001, left)
        timeouts = dict(self.request.extensions.get("timeout") or {})
        pool = timeouts.get("pool")
        timeouts["pool"] = left if pool is None else min(pool, left)
        self.request.extensions["timeout"] = timeouts

    def wait_error(self, exc: LimitWaitExceeded) -> RateLimitWaitError:
        """The limiter would hold the request too long: it is not sent."""
        request = self.request
        error = RateLimitWaitError(
            f"{request.method} {_url(request)} not sent: the {exc.family} rate limit would hold it"
            f" {exc.wait:.1f} s, longer than max_wait or the time left before the deadline",
            operation=self.operation,
            method=request.method,
            url=_url(request),
            wait=exc.wait,
            family=exc.family,
        )
        error.processed, error.retryable = Processed.NO, True
        return error

    def closed_error(self) -> ClientStateError:
        """The client was closed: nothing is sent."""
        return ClientStateError(f"{self.request.method} {_url(self.request)} not sent: the client is closed")

    @staticmethod
    def broken(exc: RuntimeError) -> httpx.TransportError:
        """Httpx failed under the request (its event loop went away): it may have left, so in doubt."""
        return httpx.TransportError(f"{type(exc).__name__}: {exc}")

    # -- reading --------------------------------------------------------------------------

    def decoder(self, response: httpx.Response) -> BodyDecoder:
        """The guarded decoder of one answer's body (held to ``max_response_size`` and the ratio)."""
        return BodyDecoder(content_encoding(response), self.life.max_response_size)

    def check_deadline(self) -> None:
        """Between chunks: a body still arriving when the deadline passes is abandoned."""
        left = self.left()
        if left is not None and left < 0:
            raise httpx.ReadTimeout(
                "the call's deadline passed while reading the answer", request=self.request
            )

    @staticmethod
    def answer(response: httpx.Response, body: bytes) -> httpx.Response:
        """The answer with its decoded body (the encoding headers no longer apply to it)."""
        headers = [(name, value) for name, value in response.headers.raw if name.lower() not in _RECODED]
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=body,
            request=response.request,
            extensions=response.extensions,
        )

    # -- judging --------------------------------------------------------------------------

    def judge_error(self, exc: httpx.TransportError) -> Tried[Payload]:
        """The verdict on an attempt that got no answer."""
        return Tried(exc, decide(self.kind, Observation(error=exc), self.policy.max_retry_after))

    def judge(self, response: httpx.Response) -> Tried[Payload]:
        """The verdict on an answer: read and, for a 2xx, parsed (streamed: its headers only)."""
        status = response.status_code
        self.parsed, self.refusal = None, None
        if self.unreadable is None and 200 <= status < 300 and self.build is not None:
            self._parse(response)
        code = self.refusal.error_code if isinstance(self.refusal, InjectionError) else None
        seen = Observation(
            status=status,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
            injection_code=None if code is None else str(code),
            unreadable=self.unreadable is not None or isinstance(self.refusal, MalformedResponseError),
        )
        return Tried(response, decide(self.kind, seen, self.policy.max_retry_after))

    def _parse(self, response: httpx.Response) -> None:
        operation, build = self.operation, self.build
        if operation is None or build is None:  # pragma: no cover - every parsed call carries both
            raise TypeError("a parsed call needs its operation and parser")
        try:
            self.parsed = parse_or_raise(
                operation, response, lambda: build(response=response), self.life.secrets
            )
        except (InjectionError, MalformedResponseError) as error:  # a refusing ErrorCode, a bad body
            self.refusal = error

    def pause_for(self, decision: Decision) -> float | None:
        """The fleet-wide pause a rate-limited answer asks for, never longer than ``max_retry_after``."""
        return None if decision.wait is None else min(decision.wait, self.policy.max_retry_after)

    def next_wait(self, tried: Tried[Payload]) -> float | None:
        """The wait before trying again (``on_retry`` hears it), or None: this attempt ends the call."""
        self.retries += 1
        decision = tried.decision
        wait = next_wait(self.policy, decision, self.retries, self.left())
        if wait is not None and self.policy.on_retry is not None:
            self.policy.on_retry(RetryEvent(self.name, self.retries, wait, decision.reason))
        return wait

    # -- the end --------------------------------------------------------------------------

    def _marked(self, error: APIError, decision: Decision) -> APIError:
        error.processed, error.retryable = decision.processed, decision.retryable
        return error

    def _transport_error(self, exc: httpx.TransportError, decision: Decision) -> Exception:
        request = self.request
        if isinstance(exc, httpx.LocalProtocolError):  # refused by h11 before a byte was written
            text = preview(f"{type(exc).__name__}: {exc}", self.life.secrets)
            return InvalidRequestError(f"{request.method} {_url(request)} could not be written: {text}")
        return self._marked(connection_error(self.operation, request, exc, self.life.secrets), decision)

    def unknown(self, decision: Decision, status: int | None) -> OutcomeUnknownError:
        """A request that may have been processed and must not be repeated."""
        error = outcome_unknown(self.operation, self.request, decision.reason, status)
        error.processed = Processed.UNKNOWN
        return error

    def _refused(self, response: httpx.Response) -> APIError | None:
        """The typed error an answer amounts to, or None for a success."""
        status, unreadable = response.status_code, self.unreadable
        where = f"{status} from {self.request.method} {_url(self.request)}"
        if isinstance(unreadable, BodyTooLarge):
            return ResponseTooLargeError(
                f"{where}: {unreadable.what}",
                operation=self.operation,
                response=response,
                limit=unreadable.limit,
            )
        if isinstance(unreadable, BodyUndecodable) and 200 <= status < 300:
            return MalformedResponseError(
                f"{where}: {unreadable.what}", operation=self.operation, response=response
            )
        if not 200 <= status < 300:
            return status_error(self.operation, response, self.life.secrets)
        return self.refusal

    def finish(self, tried: Tried[Payload]) -> Any:
        """The last attempt's parsed answer (a stream: the open response), or its typed error, redacted."""
        try:
            return self._finish(tried)
        except SocketLabsError as error:
            scrub_exception(error, self.life.secrets)
            raise

    def _finish(self, tried: Tried[Payload]) -> Any:
        payload, decision = tried.payload, tried.decision
        if isinstance(payload, Exception):
            if decision.action is Action.UNKNOWN:
                raise self.unknown(decision, None) from payload
            raise self._transport_error(payload, decision) from payload
        if decision.action is Action.UNKNOWN:
            raise self.unknown(decision, payload.status_code)
        error = self._refused(payload)
        if error is not None:
            raise self._marked(error, decision)
        return payload if self.build is None else self.parsed


# -- sync driver -----------------------------------------------------------------------------


def _read(call: Call, response: httpx.Response) -> httpx.Response:
    """The whole body, decoded under the guard; what stopped the read is kept on ``call.unreadable``."""
    chunks: list[bytes] = []
    try:
        decoder = call.decoder(response)
        for raw in raw_chunks(response):
            chunks.extend(decoder.feed(raw))
            call.check_deadline()
    except Unreadable as exc:
        call.unreadable = exc
    finally:
        response.close()
    return call.answer(response, b"".join(chunks))


def _attempt(http: httpx.Client, call: Call, auth: httpx.Auth, stream: bool) -> Tried[Payload]:
    life = call.life
    if life.limiter is not None:
        try:
            life.limiter.acquire(life.key, call.families, call.wait_budget())
        except LimitWaitExceeded as exc:
            raise call.wait_error(exc) from None
    sent = call.clock()
    call.unreadable = None
    call.clamp_pool_wait()
    if http.is_closed:
        raise call.closed_error()
    from ._deadline import bounded  # noqa: PLC0415 - with httpcore, on the first request only

    with bounded(call.deadline, call.clock):
        try:
            response = http.send(call.request, auth=auth, stream=True)
        except httpx.TransportError as exc:
            return call.judge_error(exc)
        except RuntimeError as exc:
            return call.judge_error(call.broken(exc))
        try:
            if not (stream and 200 <= response.status_code < 300):
                response = _read(call, response)
        except httpx.TransportError as exc:
            return call.judge_error(exc)
    if life.limiter is not None:
        life.limiter.observe(call.clock() - sent)
    tried = call.judge(response)
    if stream and tried.decision.action is Action.RETRY:
        response.close()
    if life.limiter is not None and tried.decision.rate_limited:
        life.limiter.penalize(life.key, call.families, call.pause_for(tried.decision))
    return tried


def _run(http: httpx.Client, call: Call, auth: httpx.Auth, stream: bool) -> Any:
    """The retry loop: while the verdict says to wait and try again, wait and try again."""
    tried = _attempt(http, call, auth, stream)
    while (wait := call.next_wait(tried)) is not None:
        call.policy.sleep(wait)
        tried = _attempt(http, call, auth, stream)
    return call.finish(tried)


def send(
    http: httpx.Client, call: Call, auth: httpx.Auth, build: Callable[..., Response[Any]]
) -> Response[Any]:
    """Run one call to its parsed answer or typed error."""
    call.build = build
    result: Response[Any] = _run(http, call, auth, stream=False)
    return result


def open_stream(http: httpx.Client, call: Call, auth: httpx.Auth) -> httpx.Response:
    """Run one call until a success answer's headers arrive; the caller reads (and closes) the body."""
    response: httpx.Response = _run(http, call, auth, stream=True)
    return response


# -- async driver ----------------------------------------------------------------------------


async def _aread(call: Call, response: httpx.Response) -> httpx.Response:
    """The async ``_read``."""
    chunks: list[bytes] = []
    try:
        decoder = call.decoder(response)
        async for raw in araw_chunks(response):
            chunks.extend(decoder.feed(raw))
            call.check_deadline()
    except Unreadable as exc:
        call.unreadable = exc
    finally:
        await response.aclose()
    return call.answer(response, b"".join(chunks))


async def _aattempt(http: httpx.AsyncClient, call: Call, auth: httpx.Auth, stream: bool) -> Tried[Payload]:
    life = call.life
    if life.limiter is not None:
        try:
            await life.limiter.acquire_async(life.key, call.families, call.wait_budget())
        except LimitWaitExceeded as exc:
            raise call.wait_error(exc) from None
    sent = call.clock()
    call.unreadable = None
    call.clamp_pool_wait()
    if http.is_closed:
        raise call.closed_error()
    from ._deadline import bounded  # noqa: PLC0415 - with httpcore, on the first request only

    with bounded(call.deadline, call.clock):
        try:
            response = await http.send(call.request, auth=auth, stream=True)
        except httpx.TransportError as exc:
            return call.judge_error(exc)
        except RuntimeError as exc:
            return call.judge_error(call.broken(exc))
        try:
            if not (stream and 200 <= response.status_code < 300):
                response = await _aread(call, response)
        except httpx.TransportError as exc:
            return call.judge_error(exc)
    if life.limiter is not None:
        await life.limiter.observe_async(call.clock() - sent)
    tried = call.judge(response)
    if stream and tried.decision.action is Action.RETRY:
        await response.aclose()
    if life.limiter is not None and tried.decision.rate_limited:
        await life.limiter.penalize_async(life.key, call.families, call.pause_for(tried.decision))
    return tried


async def _arun(http: httpx.AsyncClient, call: Call, auth: httpx.Auth, stream: bool) -> Any:
    """The async ``_run``."""
    tried = await _aattempt(http, call, auth, stream)
    while (wait := call.next_wait(tried)) is not None:
        await call.policy.async_sleep(wait)
        tried = await _aattempt(http, call, auth, stream)
    return call.finish(tried)


async def asend(
    http: httpx.AsyncClient, call: Call, auth: httpx.Auth, build: Callable[..., Response[Any]]
) -> Response[Any]:
    """The async ``send``."""
    call.build = build
    result: Response[Any] = await _arun(http, call, auth, stream=False)
    return result


async def aopen_stream(http: httpx.AsyncClient, call: Call, auth: httpx.Auth) -> httpx.Response:
    """The async ``open_stream``."""
    response: httpx.Response = await _arun(http, call, auth, stream=True)
    return response
