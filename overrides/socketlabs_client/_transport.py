"""The one place that wraps httpx's transport with the rate limiter and the retries.

``_client`` puts a ``LimitedTransport`` (sync) or ``AsyncLimitedTransport``
around the user's transport (or a default ``httpx.HTTPTransport``), so every
generated operation inherits both. Per attempt: take a slot from the limiter,
send, read the whole answer (so a reset mid-body is seen here, where it can be
judged), reduce it to an ``Observation`` and let ``_retries.decide`` rule. A
429 or ``OverQuota`` also tells the limiter to pause every caller of the key.

What leaves this module: the last answer (the executor turns error statuses
into typed errors), an httpx error (the executor wraps it), or one of ours
raised here because only here is it known: ``OutcomeUnknownError`` and
``RateLimitWaitError``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import httpx
from socketlabs_api.operations import DEFAULT_RATE_LIMIT_FAMILY, Operation

from ._errors import RateLimitWaitError, _url, outcome_unknown, parse_retry_after
from ._ratelimit import LimitWaitExceeded, RateLimiter, key_id
from ._retries import (
    Action,
    Observation,
    RetryKind,
    RetryPolicy,
    Tried,
    decide,
    run_with_retries,
    run_with_retries_async,
)

__all__ = ["OPERATION_EXTENSION", "RETRY_POLICY_EXTENSION", "AsyncLimitedTransport", "LimitedTransport"]

OPERATION_EXTENSION = "socketlabs.operation"
"""Key under which each request's ``Operation`` travels in ``request.extensions``."""

RETRY_POLICY_EXTENSION = "socketlabs.retry_policy"
"""Optional per-request ``RetryPolicy`` in ``request.extensions``, overriding the client's."""

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

Payload = httpx.Response | httpx.TransportError


def _kind(operation: Operation | None, request: httpx.Request) -> RetryKind:
    """The operation's ``x-retry``; for a request without one, by HTTP method semantics."""
    if operation is not None:
        return operation.retry
    return "idempotent" if request.method in _SAFE_METHODS else "once"


def _families(operation: Operation | None) -> Sequence[str]:
    return operation.rate_limit_families if operation is not None else (DEFAULT_RATE_LIMIT_FAMILY,)


def _json_body(response: httpx.Response) -> tuple[bool, Any]:
    """(readable, value): whether a success body is the JSON the API answers."""
    if "json" not in response.headers.get("content-type", ""):
        return False, None
    try:
        return True, json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return False, None


def observe(operation: Operation | None, kind: RetryKind, response: httpx.Response) -> Observation:
    """Reduce a fully read answer to what ``decide`` needs."""
    status = response.status_code
    code: str | None = None
    unreadable = False
    expects_json = operation is None or "json" in operation.accept
    # Bodies are looked into only where the verdict depends on them: injection's
    # ErrorCode, and whether a send's or create's success answer can be read at all.
    if 200 <= status < 300 and expects_json and (kind != "idempotent" or _is_injection(operation)):
        readable, body = _json_body(response)
        unreadable = not readable
        if isinstance(body, dict):
            found = next((v for k, v in body.items() if str(k).casefold() == "errorcode"), None)
            code = found if isinstance(found, str) else None
    return Observation(
        status=status,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
        injection_code=code,
        unreadable=unreadable,
    )


def _is_injection(operation: Operation | None) -> bool:
    return operation is not None and operation.server == "injection"


def _rate_limited(seen: Observation) -> bool:
    return seen.status == 429 or seen.injection_code == "OverQuota"


def _read(response: httpx.Response, request: httpx.Request) -> httpx.Response:
    """The answer with its whole body read here, so a reset mid-body is judged like any other.

    The body stays on the response (httpx's own ``read()`` then finds it), and the
    response is the transport's own object, so transports that record answers see it.
    """
    response.request = request
    try:
        response.read()
    finally:
        response.close()
    return response


async def _aread(response: httpx.Response, request: httpx.Request) -> httpx.Response:
    """The async twin of ``_read``."""
    response.request = request
    try:
        await response.aread()
    finally:
        await response.aclose()
    return response


class _Core:
    """What the sync and async transports share: settings and the verdict on one answer."""

    def __init__(self, *, policy: RetryPolicy, limiter: RateLimiter | None, api_key: str) -> None:
        self.policy = policy
        self.limiter = limiter
        self.key = key_id(api_key)

    def setup(self, request: httpx.Request) -> tuple[Operation | None, RetryKind, RetryPolicy]:
        operation = request.extensions.get(OPERATION_EXTENSION)
        policy = request.extensions.get(RETRY_POLICY_EXTENSION) or self.policy
        return operation, _kind(operation, request), policy

    def wait_error(
        self, operation: Operation | None, request: httpx.Request, exc: LimitWaitExceeded
    ) -> Exception:
        return RateLimitWaitError(
            f"{request.method} {_url(request)} not sent: the {exc.family} rate limit would hold it"
            f" {exc.wait:.1f} s, longer than max_wait",
            operation=operation,
            method=request.method,
            url=_url(request),
            wait=exc.wait,
            family=exc.family,
        )

    def judge_error(self, kind: RetryKind, policy: RetryPolicy, exc: httpx.TransportError) -> Tried[Payload]:
        return Tried(exc, decide(kind, Observation(error=exc), policy.max_retry_after))

    def judge(
        self, operation: Operation | None, kind: RetryKind, policy: RetryPolicy, response: httpx.Response
    ) -> tuple[Tried[Payload], Observation]:
        seen = observe(operation, kind, response)
        return Tried(response, decide(kind, seen, policy.max_retry_after)), seen

    def finish(
        self, operation: Operation | None, request: httpx.Request, tried: Tried[Payload]
    ) -> httpx.Response:
        """Hand back the last answer, or raise what the caller must see."""
        payload, decision = tried.payload, tried.decision
        if decision.action is Action.UNKNOWN:
            status = payload.status_code if isinstance(payload, httpx.Response) else None
            error = outcome_unknown(operation, request, decision.reason, status)
            if isinstance(payload, Exception):
                raise error from payload
            raise error
        if isinstance(payload, Exception):
            raise payload
        return payload


class LimitedTransport(httpx.BaseTransport):
    """Rate limiter and retries around a sync httpx transport."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        policy: RetryPolicy,
        limiter: RateLimiter | None,
        api_key: str,
    ) -> None:
        self._inner = inner
        self._core = _Core(policy=policy, limiter=limiter, api_key=api_key)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send with limits and retries; see the module docstring."""
        core = self._core
        operation, kind, policy = core.setup(request)
        families = _families(operation)

        def attempt() -> Tried[Payload]:
            if core.limiter is not None:
                try:
                    core.limiter.acquire(core.key, families, policy.max_wait)
                except LimitWaitExceeded as exc:
                    raise core.wait_error(operation, request, exc) from None
            sent = time.monotonic()
            try:
                response = _read(self._inner.handle_request(request), request)
            except httpx.TransportError as exc:
                return core.judge_error(kind, policy, exc)
            if core.limiter is not None:
                core.limiter.observe(time.monotonic() - sent)
            tried, seen = core.judge(operation, kind, policy, response)
            if core.limiter is not None and _rate_limited(seen):
                core.limiter.penalize(core.key, families, seen.retry_after)
            return tried

        name = operation.operation_id if operation else f"{request.method} {request.url.path}"
        return core.finish(operation, request, run_with_retries(policy, name, attempt))

    def close(self) -> None:
        """Close the wrapped transport."""
        self._inner.close()


class AsyncLimitedTransport(httpx.AsyncBaseTransport):
    """Rate limiter and retries around an async httpx transport."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        policy: RetryPolicy,
        limiter: RateLimiter | None,
        api_key: str,
    ) -> None:
        self._inner = inner
        self._core = _Core(policy=policy, limiter=limiter, api_key=api_key)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send with limits and retries; see the module docstring."""
        core = self._core
        operation, kind, policy = core.setup(request)
        families = _families(operation)

        async def attempt() -> Tried[Payload]:
            if core.limiter is not None:
                try:
                    await core.limiter.acquire_async(core.key, families, policy.max_wait)
                except LimitWaitExceeded as exc:
                    raise core.wait_error(operation, request, exc) from None
            sent = time.monotonic()
            try:
                response = await _aread(await self._inner.handle_async_request(request), request)
            except httpx.TransportError as exc:
                return core.judge_error(kind, policy, exc)
            if core.limiter is not None:
                await core.limiter.observe_async(time.monotonic() - sent)
            tried, seen = core.judge(operation, kind, policy, response)
            if core.limiter is not None and _rate_limited(seen):
                await core.limiter.penalize_async(core.key, families, seen.retry_after)
            return tried

        name = operation.operation_id if operation else f"{request.method} {request.url.path}"
        return core.finish(operation, request, await run_with_retries_async(policy, name, attempt))

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self._inner.aclose()
