"""A wait for the rate limiter that the deadline cuts short is a ``RateLimitWaitError``, never a timeout.

64 async callers queue on a limiter far smaller than their demand, each with a
short deadline, against a raw server that answers at once: every call either
succeeds or is refused by the limiter before anything is sent; none runs into
its deadline on the wire (``APITimeoutError``) after the limiter let it go.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from socketlabs_api.operations import RateLimit
from socketlabs_client import AsyncSocketLabs, RateLimiter, RateLimitWaitError, RetryPolicy, SocketLabsError
from socketlabs_client._ratelimit import DEFAULT_BURST

from .rawserver import RawServer, response

CHECK_OK = json.dumps({"data": {"emailAddress": "a@example.com", "isSuppressed": False}}).encode()


async def _run(raw: RawServer, callers: int, limit: int, period: float, deadline: float) -> Counter[str]:
    limiter = RateLimiter({"default": RateLimit(limit=limit, period=period)}, margin=0.001)
    outcomes: Counter[str] = Counter()
    async with AsyncSocketLabs(
        api_key="k3yPart0123456789abc.s3cretPart0123456789",
        server_id=1,
        base_url=f"{raw.url}/v2",
        rate_limiter=limiter,
        retry=RetryPolicy(max_retries=0, deadline=deadline),
        max_connections=callers,
    ) as client:

        async def one() -> None:
            try:
                await client.suppressions.check(email_address="a@example.com")
            except SocketLabsError as error:
                outcomes[type(error).__name__] += 1
                if isinstance(error, RateLimitWaitError):
                    assert error.wait > 0
            else:
                outcomes["ok"] += 1

        await asyncio.gather(*(one() for _ in range(callers)))
    return outcomes


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    limit=st.integers(2, 12),
    period=st.sampled_from([0.5, 1.0, 1.5]),
    deadline=st.sampled_from([0.8, 1.2, 2.0]),
)
def test_a_wait_cut_short_by_the_deadline_is_a_rate_limit_wait_error(
    raw: RawServer, limit: int, period: float, deadline: float
) -> None:
    raw.answer(response(200, CHECK_OK))
    before = len(raw.requests)
    outcomes = asyncio.run(_run(raw, 64, limit, period, deadline))
    assert set(outcomes) <= {"ok", "RateLimitWaitError"}, outcomes
    assert outcomes["ok"] >= min(limit, DEFAULT_BURST)  # at least the first (spread) share went out
    assert sum(outcomes.values()) == 64
    assert len(raw.requests) - before == outcomes["ok"]  # a refused wait sent nothing
