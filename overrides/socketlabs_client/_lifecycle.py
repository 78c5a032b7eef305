"""The request lifecycle: the one place a request is sent, read, judged and retried.

```
 limiter ──> send ──> read ──> one verdict ──> retry (same request, after a wait)
 (slot,      (auth,   (capped;    processed: yes / no / unknown
  bounded     headers, streamed    │
  by the      deadline where the   ├─ yes: parse ─> model, page, rows, send report
  deadline)   at every caller      ├─ no: typed error (refused, rate limited, never sent)
              socket   streams)    └─ unknown: retried if idempotent, else OutcomeUnknownError
              op)
```

``Call`` is the sans-IO core: it holds one call's settings and turns what an
attempt gave (an answer or a transport error) into ``_retries.decide``'s
verdict, and the last verdict into a parsed result or a typed error. The sync
and async drivers (``send``/``asend`` and ``open_stream``/``aopen_stream``)
only do the I/O around it, so both follow the same rules by construction.
The httpx transport underneath only moves bytes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from attrs import evolve, frozen
from socketlabs_api.operations import DEFAULT_RATE_LIMIT_FAMILY, Operation
from socketlabs_api.types import Response

from ._config import DEFAULT_MAX_RESPONSE_SIZE
from ._deadline import bounded
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
    RetryKind,
    RetryPolicy,
    Tried,
    decide,
    run_with_retries,
    run_with_retries_async,
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

MAX_DECOMPRESSION_RATIO = 100
"""An answer may expand at most this many times its compressed size (past the first MiB)."""
_RATIO_FLOOR = 1024 * 1024

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

Payload = httpx.Response | httpx.TransportError


@frozen
class Lifecycle:
    """What every call of one client runs under (shared by ``with_options`` copies where unchanged)."""

    policy: RetryPolicy
    limiter: RateLimiter | None
    key: str
    secrets: tuple[str, ...]
    max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE

    def __attrs_post_init__(self) -> None:
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


class _Unreadable(Exception):
    """Why reading an answer stopped; ``limit`` is the size it went past (0: none)."""

    def __init__(self, limit: int, what: str) -> None:
        super().__init__(what)
        self.limit = limit
        self.what = what


class _TooLarge(_Unreadable):
    """Over ``max_response_size``, or expanding past the decompression ratio."""


class _Undecodable(_Unreadable):
    """A body that does not follow its ``Content-Encoding``."""

    def __init__(self, reason: str) -> None:
        super().__init__(0, f"the body cannot be decoded ({reason})")


def _kind(operation: Operation | None, request: httpx.Request) -> RetryKind:
    """The operation's ``x-retry``; for a request without one, by HTTP method semantics."""
    if operation is not None:
        return operation.retry
    return "idempotent" if request.method in _SAFE_METHODS else "once"


def _injection_code(response: httpx.Response) -> tuple[str | None, bool]:
    """(ErrorCode, readable) of a 2xx injection answer; the verdict depends on it."""
    if "json" not in response.headers.get("content-type", ""):
        return None, True  # XML answers: their ErrorCode is read when parsed
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, False
    if not isinstance(body, dict):
        return None, False
    found = next((v for k, v in body.items() if str(k).casefold() == "errorcode"), None)
    return (found if isinstance(found, str) else None), True


class Call:
    """One call's state and rules: the sans-IO core of the lifecycle."""

    def __init__(
        self,
        life: Lifecycle,
        operation: Operation | None,
        request: httpx.Request,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.life = life
        self.operation = operation
        self.request = request
        self.policy = policy or life.policy
        self.kind = _kind(operation, request)
        self.families: Sequence[str] = (
            operation.rate_limit_families if operation is not None else (DEFAULT_RATE_LIMIT_FAMILY,)
        )
        self.name = operation.operation_id if operation else f"{request.method} {request.url.path}"
        self.deadline = None if self.policy.deadline is None else time.monotonic() + self.policy.deadline
        self.unreadable: _Unreadable | None = None

    # -- before sending -------------------------------------------------------------------

    def wait_budget(self) -> float | None:
        """How long the limiter may hold this attempt: ``max_wait``, and never past the deadline."""
        budget = self.policy.max_wait
        if self.deadline is not None:
            left = max(0.0, self.deadline - time.monotonic())
            budget = left if budget is None else min(budget, left)
        return budget

    def clamp_pool_wait(self) -> None:
        """Wait for a pooled connection no longer than the time left (sockets are clamped below)."""
        if self.deadline is None:
            return
        left = max(0.001, self.deadline - time.monotonic())
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
        error.processed = Processed.NO
        return error

    def state_error(self, exc: RuntimeError) -> ClientStateError:
        """Httpx refused to send: the client is closed, or used from another event loop."""
        return ClientStateError(
            f"{self.request.method} {_url(self.request)} not sent: {exc}"
            " (a closed client cannot send, and an async client belongs to the event loop it first ran in)"
        )

    # -- reading --------------------------------------------------------------------------

    def check_read(self, total: int, response: httpx.Response) -> None:
        """After each chunk: refuse an answer too large or expanding too far, and keep the deadline."""
        limit = self.life.max_response_size
        if total > limit:
            raise _TooLarge(limit, f"the answer is over max_response_size ({limit} bytes)")
        compressed = response.num_bytes_downloaded
        if total > _RATIO_FLOOR and total > MAX_DECOMPRESSION_RATIO * max(compressed, 1):
            raise _TooLarge(
                limit,
                f"the answer expands past {MAX_DECOMPRESSION_RATIO}x its compressed size ({compressed})",
            )
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise httpx.ReadTimeout(
                "the call's deadline passed while reading the answer", request=self.request
            )

    @staticmethod
    def kept(response: httpx.Response, chunks: list[bytes]) -> None:
        """Leave the read body on the response, as ``response.read()`` does."""
        response._content = b"".join(chunks)

    # -- judging --------------------------------------------------------------------------

    def judge_error(self, exc: httpx.TransportError) -> Tried[Payload]:
        """The verdict on an attempt that got no answer."""
        return Tried(exc, decide(self.kind, Observation(error=exc), self.policy.max_retry_after))

    def judge(self, response: httpx.Response) -> Tried[Payload]:
        """The verdict on an answer whose body was read (or, streamed, whose headers came)."""
        status = response.status_code
        code, readable = None, self.unreadable is None
        if (
            readable
            and 200 <= status < 300
            and self.operation is not None
            and self.operation.server == "injection"
        ):
            code, readable = _injection_code(response)
        seen = Observation(
            status=status,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
            injection_code=code,
            unreadable=not readable,
        )
        return Tried(response, decide(self.kind, seen, self.policy.max_retry_after))

    def pause_for(self, decision: Decision) -> float | None:
        """The fleet-wide pause a rate-limited answer asks for, never longer than ``max_retry_after``."""
        return None if decision.wait is None else min(decision.wait, self.policy.max_retry_after)

    # -- the end --------------------------------------------------------------------------

    def _marked(self, error: APIError, decision: Decision) -> APIError:
        error.processed = decision.processed
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

    def finish(self, tried: Tried[Payload], build: Callable[..., Response[Any]] | None) -> Any:
        """The parsed answer (or, for a stream, the open response), or the typed error, redacted."""
        try:
            return self._finish(tried, build)
        except SocketLabsError as error:
            scrub_exception(error, self.life.secrets)
            raise

    def _finish(self, tried: Tried[Payload], build: Callable[..., Response[Any]] | None) -> Any:
        payload, decision = tried.payload, tried.decision
        if isinstance(payload, Exception):
            if decision.action is Action.UNKNOWN:
                raise self.unknown(decision, None) from payload
            raise self._transport_error(payload, decision) from payload
        status = payload.status_code
        if decision.action is Action.UNKNOWN:
            raise self.unknown(decision, status)
        if isinstance(self.unreadable, _Undecodable) and 200 <= status < 300:
            message = f"{status} from {self.request.method} {_url(self.request)}: {self.unreadable.what}"
            raise self._marked(
                MalformedResponseError(message, operation=self.operation, response=payload), decision
            )
        if isinstance(self.unreadable, _TooLarge):
            raise self._marked(
                ResponseTooLargeError(
                    f"{status} from {self.request.method} {_url(self.request)}: {self.unreadable.what}",
                    operation=self.operation,
                    response=payload,
                    limit=self.unreadable.limit,
                ),
                decision,
            )
        if not 200 <= status < 300:
            raise self._marked(status_error(self.operation, payload, self.life.secrets), decision)
        if build is None:
            return payload
        operation = self.operation
        if operation is None:  # pragma: no cover - every executor call carries one
            raise TypeError("a parsed call needs its operation")
        try:
            return parse_or_raise(operation, payload, lambda: build(response=payload), self.life.secrets)
        except InjectionError as error:  # a failure ErrorCode: the API refused the request
            raise self._marked(error, evolve(decision, processed=Processed.NO)) from None
        except MalformedResponseError as error:
            if self.kind != "idempotent":  # it may have been processed: never repeated, never dropped
                reason = f"{status} with a body that cannot be read"
                raise self.unknown(evolve(decision, reason=reason), status) from None
            raise self._marked(error, decision) from None


# -- sync driver -----------------------------------------------------------------------------


def _read(call: Call, response: httpx.Response) -> None:
    chunks: list[bytes] = []
    total = 0
    try:
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            total += len(chunk)
            call.check_read(total, response)
    except _TooLarge as exc:
        call.unreadable = exc
    except httpx.DecodingError as exc:  # a Content-Encoding the body does not follow
        call.unreadable = _Undecodable(str(exc))
    finally:
        response.close()
    call.kept(response, chunks)


def _attempt(http: httpx.Client, call: Call, auth: httpx.Auth, stream: bool) -> Tried[Payload]:
    life = call.life
    if life.limiter is not None:
        try:
            life.limiter.acquire(life.key, call.families, call.wait_budget())
        except LimitWaitExceeded as exc:
            raise call.wait_error(exc) from None
    sent = time.monotonic()
    call.unreadable = None
    call.clamp_pool_wait()
    with bounded(call.deadline):
        try:
            response = http.send(call.request, auth=auth, stream=True)
        except httpx.TransportError as exc:
            return call.judge_error(exc)
        except RuntimeError as exc:
            raise call.state_error(exc) from exc
        try:
            if not (stream and 200 <= response.status_code < 300):
                _read(call, response)
        except httpx.TransportError as exc:
            return call.judge_error(exc)
    if life.limiter is not None:
        life.limiter.observe(time.monotonic() - sent)
    tried = call.judge(response)
    if stream and tried.decision.action is Action.RETRY:
        response.close()
    if life.limiter is not None and tried.decision.rate_limited:
        life.limiter.penalize(life.key, call.families, call.pause_for(tried.decision))
    return tried


def send(
    http: httpx.Client, call: Call, auth: httpx.Auth, build: Callable[..., Response[Any]]
) -> Response[Any]:
    """Run one call to its parsed answer or typed error."""
    tried = run_with_retries(call.policy, call.name, lambda: _attempt(http, call, auth, stream=False))
    result: Response[Any] = call.finish(tried, build)
    return result


def open_stream(http: httpx.Client, call: Call, auth: httpx.Auth) -> httpx.Response:
    """Run one call until a success answer's headers arrive; the caller reads (and closes) the body."""
    tried = run_with_retries(call.policy, call.name, lambda: _attempt(http, call, auth, stream=True))
    response: httpx.Response = call.finish(tried, None)
    return response


# -- async driver ----------------------------------------------------------------------------


async def _aread(call: Call, response: httpx.Response) -> None:
    chunks: list[bytes] = []
    total = 0
    try:
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            total += len(chunk)
            call.check_read(total, response)
    except _TooLarge as exc:
        call.unreadable = exc
    except httpx.DecodingError as exc:
        call.unreadable = _Undecodable(str(exc))
    finally:
        await response.aclose()
    call.kept(response, chunks)


async def _aattempt(http: httpx.AsyncClient, call: Call, auth: httpx.Auth, stream: bool) -> Tried[Payload]:
    life = call.life
    if life.limiter is not None:
        try:
            await life.limiter.acquire_async(life.key, call.families, call.wait_budget())
        except LimitWaitExceeded as exc:
            raise call.wait_error(exc) from None
    sent = time.monotonic()
    call.unreadable = None
    call.clamp_pool_wait()
    with bounded(call.deadline):
        try:
            response = await http.send(call.request, auth=auth, stream=True)
        except httpx.TransportError as exc:
            return call.judge_error(exc)
        except RuntimeError as exc:
            raise call.state_error(exc) from exc
        try:
            if not (stream and 200 <= response.status_code < 300):
                await _aread(call, response)
        except httpx.TransportError as exc:
            return call.judge_error(exc)
    if life.limiter is not None:
        await life.limiter.observe_async(time.monotonic() - sent)
    tried = call.judge(response)
    if stream and tried.decision.action is Action.RETRY:
        await response.aclose()
    if life.limiter is not None and tried.decision.rate_limited:
        await life.limiter.penalize_async(life.key, call.families, call.pause_for(tried.decision))
    return tried


async def asend(
    http: httpx.AsyncClient, call: Call, auth: httpx.Auth, build: Callable[..., Response[Any]]
) -> Response[Any]:
    """The async ``send``."""
    tried = await run_with_retries_async(
        call.policy, call.name, lambda: _aattempt(http, call, auth, stream=False)
    )
    result: Response[Any] = call.finish(tried, build)
    return result


async def aopen_stream(http: httpx.AsyncClient, call: Call, auth: httpx.Auth) -> httpx.Response:
    """The async ``open_stream``."""
    tried = await run_with_retries_async(
        call.policy, call.name, lambda: _aattempt(http, call, auth, stream=True)
    )
    response: httpx.Response = call.finish(tried, None)
    return response
