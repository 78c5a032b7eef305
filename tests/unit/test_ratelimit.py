"""The in-process rate limiter on a fake clock: exact waits, families, max_wait, server feedback."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from socketlabs_api.operations import OPERATIONS, RATE_LIMITS, RateLimit
from socketlabs_client import RateLimiter, RateLimitWaitError, RetryPolicy, SocketLabs
from socketlabs_client._ratelimit import key_id

CHECK_OK = {"data": {"emailAddress": "a@example.com", "isSuppressed": False}}


class FakeTime:
    def __init__(self) -> None:
        self.now = 500.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


def _limiter(
    fake: FakeTime, limits: dict[str, RateLimit] | None = None, margin: float = 0.0, burst: int | None = None
) -> RateLimiter:
    """A limiter on the fake clock; without spreading unless ``burst`` is given (the window's own math)."""
    return RateLimiter(
        limits, margin=margin, burst=burst, clock=fake.clock, sleep=fake.sleep, async_sleep=fake.async_sleep
    )


def test_the_limits_are_the_spec_table() -> None:
    expected = {"default": RateLimit(100, 60), "reports-message": RateLimit(30, 60, "*/reports/message*")}
    assert expected == RATE_LIMITS
    assert OPERATIONS["getMessageDetailReport"].rate_limit_families == ("reports-message", "default")
    assert OPERATIONS["searchRecipients"].rate_limit_families == ("reports-message", "default")
    assert OPERATIONS["checkSuppression"].rate_limit_families == ("default",)
    assert OPERATIONS["sendEmail"].rate_limit_families == ("default",)
    assert RateLimiter().limits == RATE_LIMITS


def test_the_101st_call_waits_exactly_until_the_first_leaves_the_window() -> None:
    fake = FakeTime()
    limiter = _limiter(fake, margin=0.25)
    for i in range(100):
        assert limiter.acquire("k", ("default",)) == 0.0
        fake.now += 0.1 if i < 99 else 0.0
    start = fake.now
    waited = limiter.acquire("k", ("default",))
    # the first stamp was at 500.0; the window is 60 s plus the 0.25 s margin
    assert fake.now == pytest.approx(500.0 + 60.25, abs=0.002)
    assert waited == pytest.approx(fake.now - start, abs=0.002)


def test_report_message_calls_count_against_both_windows() -> None:
    fake = FakeTime()
    limiter = _limiter(fake)
    for _ in range(30):
        limiter.acquire("k", ("reports-message", "default"))
    for _ in range(70):
        limiter.acquire("k", ("default",))  # the key's budget still has room
    assert fake.sleeps == []
    limiter.acquire("k", ("reports-message", "default"))
    assert sum(fake.sleeps) == pytest.approx(60.0, abs=0.002)


def test_keys_have_separate_budgets() -> None:
    fake = FakeTime()
    limiter = _limiter(fake, {"default": RateLimit(2, 10)})
    for key in ("a", "a", "b", "b"):
        limiter.acquire(key, ("default",))
    assert fake.sleeps == []
    assert key_id("secret-key") != "secret-key" and "secret" not in key_id("secret-key")


def test_max_wait_turns_a_long_wait_into_a_typed_error_before_sending() -> None:
    fake = FakeTime()
    limiter = _limiter(fake, {"default": RateLimit(1, 60)})
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200, json=CHECK_OK))
    with SocketLabs(
        api_key="k", server_id=1, transport=transport, rate_limiter=limiter, max_wait=5
    ) as client:
        client.suppressions.check(email_address="a@example.com")
        with pytest.raises(RateLimitWaitError) as err:
            client.suppressions.check(email_address="a@example.com")
    assert len(sent) == 1 and fake.sleeps == []
    # The window, plus the margin the first call's real round trip may have widened (a loaded machine),
    # plus the millisecond past the window's end that the limiter keeps.
    expected = 60.0 + limiter.effective_margin + 0.001
    assert err.value.family == "default" and err.value.wait == pytest.approx(expected, abs=0.0015)
    assert "max_wait" in str(err.value)


def test_a_429_counts_as_one_more_request_in_the_window() -> None:
    """The server counted a request the limiter did not: the limiter adds one, and later calls wait for it."""
    fake = FakeTime()
    limiter = _limiter(fake, {"default": RateLimit(3, 60)})
    answers = iter(
        [
            httpx.Response(429, json={}, headers={"Retry-After": "7"}),
            httpx.Response(200, json=CHECK_OK),
            httpx.Response(200, json=CHECK_OK),
        ]
    )
    transport = httpx.MockTransport(lambda r: next(answers))
    policy = RetryPolicy(clock=fake.clock, sleep=fake.sleep)
    with SocketLabs(
        api_key="k", server_id=1, transport=transport, rate_limiter=limiter, retry=policy
    ) as client:
        client.suppressions.check(email_address="a@example.com")  # 429 + feedback stamp + retry: 3 stamps
        assert fake.sleeps == [7.0]
        client.suppressions.check(email_address="a@example.com")  # waits for the first stamp to expire
    assert fake.sleeps[1] == pytest.approx(60.0 - 7.0, abs=0.002)


def test_a_retry_after_longer_than_a_window_pauses_every_caller() -> None:
    fake = FakeTime()
    limiter = _limiter(fake, {"default": RateLimit(100, 2)})
    limiter.penalize("k", ("default",), 5.0)
    limiter.acquire("k", ("default",))
    assert sum(fake.sleeps) == pytest.approx(5.0, abs=0.002)
    limiter.penalize("k", ("default",), 1.0)  # within a window: only the feedback stamp
    limiter.acquire("k", ("default",))
    assert sum(fake.sleeps) == pytest.approx(5.0, abs=0.002)


def test_over_quota_without_a_wait_pauses_for_a_whole_window() -> None:
    fake = FakeTime()
    limiter = _limiter(fake, {"default": RateLimit(100, 2)})
    limiter.penalize("k", ("default",), None)
    limiter.acquire("k", ("default",))
    assert sum(fake.sleeps) == pytest.approx(2.0, abs=0.002)


def test_threads_never_get_more_than_the_limit_per_window() -> None:
    """Real threads, fake time: 8 threads x 50 acquires, every window holds at most 20 stamps."""
    lock = threading.Lock()
    fake = FakeTime()

    def sleep(seconds: float) -> None:
        with lock:
            fake.now += seconds

    limiter = RateLimiter({"default": RateLimit(20, 1)}, margin=0.0, clock=fake.clock, sleep=sleep)
    stamps: list[float] = []

    def worker() -> None:
        for _ in range(50):
            limiter.acquire("k", ("default",))
            with lock:
                stamps.append(fake.now)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps.sort()
    assert len(stamps) == 400
    for i, start in enumerate(stamps):
        in_window = [s for s in stamps[i:] if s < start + 1.0]
        assert len(in_window) <= 20 + 1  # a stamp read after another thread moved the clock may be late


async def test_asyncio_tasks_share_the_window() -> None:
    fake = FakeTime()
    limiter = _limiter(fake, {"default": RateLimit(10, 1)})
    await asyncio.gather(*(limiter.acquire_async("k", ("default",)) for _ in range(30)))
    # 30 slots at 10 per second: the last ten had to wait until the 3rd window
    assert fake.now - 500.0 == pytest.approx(2.0, abs=0.01)


def test_the_margin_widens_to_the_slowest_recent_round_trip() -> None:
    fake = FakeTime()
    limiter = _limiter(fake, {"default": RateLimit(1, 10)}, margin=0.1)
    limiter.observe(0.05)
    assert limiter.effective_margin == 0.1  # never below the configured margin
    limiter.observe(0.4)
    assert limiter.effective_margin == 0.4
    limiter.observe(30.0)
    assert limiter.effective_margin == 1.0  # at most a tenth of the window
    limiter.acquire("k", ("default",))
    limiter.acquire("k", ("default",))
    assert fake.sleeps == [pytest.approx(11.0, abs=0.002)]
    fake.now += 20  # the slow round trips leave the window: back to the configured margin
    limiter.observe(0.01)
    assert limiter.effective_margin == 0.1


def test_a_margin_widened_during_a_wait_holds_the_waiting_caller_too() -> None:
    """The margin is read after each wait: a slow round trip seen meanwhile must count."""
    fake = FakeTime()
    limiter = _limiter(fake, {"default": RateLimit(1, 10)}, margin=0.1)
    limiter.acquire("k", ("default",))  # the one slot, stamped at 500.0

    def sleep_while_a_slow_answer_comes_back(seconds: float) -> None:
        fake.sleep(seconds)
        if len(fake.sleeps) == 1:
            limiter.observe(0.6)  # another caller's answer took 0.6 s

    limiter._sleep = sleep_while_a_slow_answer_comes_back
    limiter.acquire("k", ("default",))
    # first wait: to 510.1 (window + margin 0.1); then the margin is 0.6, so on to 510.6
    assert fake.sleeps == [pytest.approx(10.1, abs=0.002), pytest.approx(0.5, abs=0.002)]


def test_a_slow_round_trip_is_remembered_for_two_windows() -> None:
    """Its stamp counts for a window after it was taken; the margin must outlive that."""
    fake = FakeTime()
    limiter = _limiter(fake, {"default": RateLimit(1, 10)}, margin=0.1)
    limiter.observe(0.5)
    fake.now += 15  # past one window, not two
    limiter.observe(0.01)
    assert limiter.effective_margin == 0.5
    fake.now += 6  # past two windows
    limiter.observe(0.01)
    assert limiter.effective_margin == 0.1


@settings(max_examples=40, deadline=None)
@given(latencies=st.lists(st.floats(0.0, 0.25), min_size=1, max_size=50))
def test_the_defaults_use_98_percent_of_the_budget_and_the_server_never_refuses(
    latencies: list[float],
) -> None:
    """A server counting each request on arrival (up to ``margin`` after its stamp) never sees more
    than the limit in a window, and the defaults still admit at least 98% of it, over ten windows."""
    fake = FakeTime()
    limiter = RateLimiter(clock=fake.clock, sleep=fake.sleep, async_sleep=fake.async_sleep)
    limit, window = RATE_LIMITS["default"].limit, RATE_LIMITS["default"].period
    arrivals: list[float] = []
    start = fake.now
    while fake.now < start + 10 * window:
        limiter.acquire("k", ("default",))
        latency = latencies[len(arrivals) % len(latencies)]
        limiter.observe(latency)
        arrivals.append(fake.now + latency)
    arrivals.sort()
    counted = [sum(1 for b in arrivals[: i + 1] if b > a - window) for i, a in enumerate(arrivals)]
    assert max(counted) <= limit
    admitted = sum(1 for a in arrivals if a <= start + 10 * window)
    assert admitted >= 0.98 * 10 * limit


def test_a_slot_taken_late_counts_in_the_round_trip_that_follows() -> None:
    """The server counts from the slot: a wake-up 0.3 s late plus a 0.1 s round trip is 0.4 s of delay."""
    fake = FakeTime()
    limiter = _limiter(fake, {"default": RateLimit(1, 10)}, margin=0.05)
    other = _limiter(fake, {"default": RateLimit(1, 10)}, margin=0.05)
    limiter.acquire("k", ("default",))

    def oversleep(seconds: float) -> None:
        fake.sleep(seconds + 0.3)

    limiter._sleep = oversleep
    limiter.acquire("k", ("default",))  # waits for the window, and wakes 0.3 s late
    other.observe(0.1)  # another limiter's round trip owes nothing to that lateness
    assert other.effective_margin == pytest.approx(0.1)
    limiter.observe(0.1)
    assert limiter.effective_margin == pytest.approx(0.4)
    limiter.observe(0.1)  # the lateness counts once
    assert limiter.effective_margin == pytest.approx(0.4)  # (the widest of two windows is kept)
