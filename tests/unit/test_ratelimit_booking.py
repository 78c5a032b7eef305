"""The in-process limiter with many concurrent callers, on virtual time: order, spacing, budget.

Callers are real asyncio tasks; only time is virtual. Each sleep parks the
task on a heap, and the driver moves the clock to the earliest wake-up once
every task is parked, so a run of many windows takes milliseconds and a
limiter that lets a caller starve, or sends a queue in one clump, shows it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from socketlabs_api.operations import RATE_LIMITS, RateLimit
from socketlabs_client import RateLimiter


class VirtualTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self._parked: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:  # pragma: no cover - the async side is what runs here
        raise AssertionError("the async limiter must not block")

    async def async_sleep(self, seconds: float) -> None:
        wake = asyncio.get_running_loop().create_future()
        heapq.heappush(self._parked, (self.now + seconds, next(self._order), wake))
        await wake

    async def run(self, tasks: list[asyncio.Task[None]]) -> None:
        while not all(task.done() for task in tasks):
            for _ in range(20):  # let every runnable task run until it parks again
                await asyncio.sleep(0)
            if self._parked:
                when, _, wake = heapq.heappop(self._parked)
                self.now = max(self.now, when)
                wake.set_result(None)
        for task in tasks:
            task.result()


def _run_callers(
    limiter: RateLimiter, vt: VirtualTime, callers: int, calls: int, latency: float
) -> tuple[list[tuple[int, float, float]], list[float]]:
    """``callers`` tasks calling in a loop: (ticket, asked at, admitted at) per call; the arrivals."""
    tickets = itertools.count()
    record: list[tuple[int, float, float]] = []
    arrivals: list[float] = []
    left = calls

    async def caller() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            ticket, asked = next(tickets), vt.now
            await limiter.acquire_async("k", ("default",))
            record.append((ticket, asked, vt.now))
            arrivals.append(vt.now + latency)  # the server counts it when it arrives
            await vt.async_sleep(latency * 2)  # the round trip
            await limiter.observe_async(latency * 2)  # as the client does after each answer

    async def main() -> None:
        await vt.run([asyncio.ensure_future(caller()) for _ in range(callers)])

    asyncio.run(main())
    return record, sorted(arrivals)


def _limiter(vt: VirtualTime, limits: dict[str, RateLimit] | None = None) -> RateLimiter:
    return RateLimiter(limits, clock=vt.clock, sleep=vt.sleep, async_sleep=vt.async_sleep)


@settings(max_examples=30, deadline=None)
@given(
    callers=st.integers(2, 90),
    limit=st.integers(5, 100),
    latency=st.floats(0.0, 0.25),
)
def test_callers_are_served_in_the_order_they_asked_and_the_server_never_counts_more_than_the_limit(
    callers: int, limit: int, latency: float
) -> None:
    """First come, first served: no caller is overtaken, so none starves behind a crowd."""
    vt = VirtualTime()
    limiter = _limiter(vt, {"default": RateLimit(limit, 60)})
    record, arrivals = _run_callers(limiter, vt, callers, 4 * limit, latency)
    by_ticket = sorted(record)
    admitted = [at for _, _, at in by_ticket]
    # Admitted in the order they asked (to the microsecond: the slots are float milliseconds).
    assert all(b >= a - 1e-6 for a, b in itertools.pairwise(admitted))
    # The server's sliding window, counting on arrival, never holds more than the limit.
    for i, start in enumerate(arrivals):
        assert sum(1 for a in arrivals[i:] if a < start + 60) <= limit


def test_sixty_four_callers_on_the_real_window_all_finish_within_the_default_deadline() -> None:
    """The crowd the rate-limit issue describes: 64 callers on 100 requests a minute.

    Served in order, a caller waits for the callers ahead of it, about 64
    slots, plus once the budget the first burst borrowed (``burst`` spacings):
    well inside the default deadline (120 s), where callers racing for each
    freed slot left some waiting past it.
    """
    vt = VirtualTime()
    limiter = _limiter(vt)
    record, _ = _run_callers(limiter, vt, 64, 600, 0.05)
    longest = max(at - asked for _, asked, at in record)
    slot = (60 + limiter.effective_margin) / RATE_LIMITS["default"].limit
    assert limiter.burst is not None
    borrowed = limiter.burst * RATE_LIMITS["default"].period / RATE_LIMITS["default"].limit
    assert longest <= 64 * slot + borrowed + 1.0, longest


def test_a_queue_keeps_the_bursts_pace_while_round_trips_stay_within_the_margin() -> None:
    """Two windows' worth of calls end as soon as the window allows: the burst's head start is kept.

    The slots the first burst took free together a window later; with round
    trips inside the margin, their successors go together too, so the second
    window is not stretched by a burst's worth of spacings.
    """
    vt = VirtualTime()
    limiter = _limiter(vt)
    limit = RATE_LIMITS["default"].limit
    record, _ = _run_callers(limiter, vt, 64, 2 * limit, 0.01)
    times = sorted(at for _, _, at in record)
    assert limiter.effective_margin == limiter.margin
    # The (limit + 1)-th call waits for the first stamp to leave the window, and so on.
    window_after_first = times[0] + 60 + limiter.effective_margin + 0.001
    assert times[limit] == pytest.approx(window_after_first, abs=0.002)
    assert times[limit + limiter.burst - 1] == pytest.approx(window_after_first, abs=0.002)  # not spread
    assert times[-1] == pytest.approx(times[limit - 1] + 60 + limiter.effective_margin + 0.001, abs=0.002)


def test_a_queue_goes_out_evenly_spaced_once_round_trips_outgrow_the_margin() -> None:
    """At most ``burst`` at once; once round trips outgrow the margin, queued callers go one every
    ``period / limit``.

    A clump that queues on the way makes round trips long; the margin widens
    to cover them, and the widened margin is budget lost every window. Spread,
    the round trips, and the margin, shrink back.
    """
    vt = VirtualTime()
    limiter = _limiter(vt)
    record, _ = _run_callers(limiter, vt, 64, 500, 0.2)
    times = sorted(at for _, _, at in record)
    assert times.count(times[0]) == limiter.burst  # the first burst, at once
    spacing = RATE_LIMITS["default"].period / RATE_LIMITS["default"].limit
    # From the second window on (in the first, a booking made before the margin widened
    # moves on by the widening when its wait ends, closer to the next one).
    later = times[RATE_LIMITS["default"].limit :]
    gaps = [b - a for a, b in itertools.pairwise(later)]
    assert min(gaps) >= spacing - 1e-6


def test_the_steady_state_uses_more_than_99_percent_of_the_budget() -> None:
    """From the third window on, each window's worth of calls takes the window plus the margin."""
    vt = VirtualTime()
    limiter = _limiter(vt)
    limit, period = RATE_LIMITS["default"].limit, RATE_LIMITS["default"].period
    _, arrivals = _run_callers(limiter, vt, 64, 10 * limit, 0.01)
    spans = [arrivals[i + limit] - arrivals[i] for i in range(2 * limit, len(arrivals) - limit)]
    use = period / (sum(spans) / len(spans))
    assert use >= 0.99, use
    assert math.isclose(max(spans), period + limiter.effective_margin, abs_tol=0.003)
