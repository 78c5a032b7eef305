"""Client-side rate limiting: sliding windows per API key, shared in-process or through Redis.

The limits are the spec's ``x-rate-limits`` table, rendered into
``socketlabs_api.operations.RATE_LIMITS``: every request counts against
``default`` (100 per 60 s per key) and a ``*/reports/message*`` call also
against ``reports-message`` (30 per 60 s). Nothing here repeats those numbers.

In one process the limiter books slots: each caller takes the earliest slot
every window allows, in the order callers arrive, and sleeps exactly until it.
Booking is what pyrate-limiter does not do (it answers "not now, try in N ms",
and waiting callers then race for each freed slot, so one can starve); it gives
first come, first served, and evenly spaced requests once callers queue. For
a fleet, the windows live in Redis through pyrate-limiter's ``RedisBucket``.
Around both, this module adds what measuring the gap between "never over" and
"all of the budget" asked for:

* a ``margin`` added to every window, because a request is stamped when it is
  admitted but counted by the server when it arrives; it widens to the slowest
  round trip of the last two windows (``observe``), which bounds that delay,
  and through Redis the whole fleet widens with it;
* spreading (``burst``): at most ``burst`` requests at once, then one every
  ``period / limit``, so a queue of callers never sends a window's budget in
  one clump whose queueing would widen the margin;
* one clock for a fleet: Redis-backed stamps use the Redis server's clock
  (an offset to ``TIME`` measured at start and every minute), not each host's;
* feedback: a 429 or ``OverQuota`` means the server counted a request the
  limiter did not, so it adds one to its window; a ``Retry-After`` longer than
  a window pauses every caller of the key.

Waiting is the default; ``max_wait``, and the call's deadline, turn a longer
wait into ``RateLimitWaitError`` before anything is sent. The wait is measured
on the clock and must end a recent round trip before the deadline, so a call
the limiter lets go has time to be answered rather than to time out. Keys are stored hashed, never
in clear, in Redis or anywhere else.
"""

from __future__ import annotations

import hashlib
import threading
import time
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import cache
from math import ceil
from typing import TYPE_CHECKING, Any, NamedTuple

from socketlabs_api.operations import RATE_LIMITS, RateLimit

from ._retries import _asyncio_sleep

# pyrate-limiter is imported where it is used, not here: its package imports
# multiprocessing and sqlite3, which a program that only imports the client
# should not pay for.
if TYPE_CHECKING:
    import asyncio

    from pyrate_limiter import Rate, RateItem
    from redis import Redis
    from redis.asyncio import Redis as AsyncRedis

__all__ = ["DEFAULT_BURST", "DEFAULT_MARGIN", "LimitWaitExceeded", "RateLimiter", "key_id"]

DEFAULT_MARGIN = 0.25
"""Seconds added to every window: covers the admission-to-arrival delay (0.4% of a 60 s window)."""

DEFAULT_BURST = 25
"""At most this many requests at once, by default; queued ones then keep to one every ``period / limit``.

Spending a window's whole budget at once queues its requests; the queue makes
round trips long, the margin widens to cover them, and the widened margin is
budget lost (and, before it widens, 429s). Spread, each request meets an idle
connection and the margin stays near its floor. A quarter of the budget, not
less: a program that sends a dozen mails at once still sends them at once.
"""

_COUNT_OWN_AND_EARLIER = "redis.call('ZCOUNT', bucket, window_start, now)"
_COUNT_ALL_LATER = "redis.call('ZCOUNT', bucket, window_start, '+inf')"


@cache
def _put_item() -> str:
    """pyrate-limiter's check-and-insert script, counting every stamp from the window's start on.

    pyrate's own counts stamps up to the caller's: across processes, a stamp
    read a moment before another process's but inserted after it does not see
    that one, and both take the last slot. Counting later stamps too closes
    that race; everything else (the window, the insert, the wait) is pyrate's.
    """
    from pyrate_limiter.buckets.redis_bucket import LuaScript  # noqa: PLC0415 - see the imports

    if _COUNT_OWN_AND_EARLIER not in LuaScript.PUT_ITEM:  # pragma: no cover - a pyrate-limiter upgrade
        raise ImportError("pyrate-limiter's Redis script changed; review _ratelimit._put_item")
    return LuaScript.PUT_ITEM.replace(_COUNT_OWN_AND_EARLIER, _COUNT_ALL_LATER)


_LEAK_EVERY = 64
_CLOCK_RESYNC = 60.0
_CLOCK_SAMPLES = 5


class LimitWaitExceeded(Exception):
    """A slot would take longer than ``max_wait``; the transport turns it into ``RateLimitWaitError``."""

    def __init__(self, family: str, wait: float) -> None:
        super().__init__(f"the {family} rate limit would need a wait of {wait:.3f} s")
        self.family = family
        self.wait = wait


def key_id(api_key: str) -> str:
    """A short, non-reversible name for an API key, used to key the windows."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


class _Window(NamedTuple):
    """One family's limit as the limiter applies it, in milliseconds."""

    limit: int
    span_ms: int
    """The server's window plus the margin."""
    spacing_ms: float
    """The even pace (``period / limit``); 0 when not spreading."""
    tolerance_ms: float
    """How much earlier than the even pace an idle limiter lets requests go: ``burst - 1`` spacings."""
    queue_gap_ms: float
    """The gap kept between queued requests: the even pace while round trips outgrow the margin, else 0."""


class _Booking(NamedTuple):
    """A slot booked in the in-process store: when (ms), the family that set it, the margin it assumed."""

    slot: float
    family: str
    margin_ms: int
    booked_at: float


def _leak_before(rates: list[Rate], now_ms: int) -> int:
    """A leak timestamp a whole window further back than pyrate's own bound.

    Callers may use different margins (it adapts per process), so a stamp is
    dropped only when no caller's window can still count it.
    """
    return now_ms - 2 * max(rate.interval for rate in rates)


def _wait_ms(bucket: Any, item: RateItem, decision: Any) -> int:
    """0 when admitted, else how long until this item would fit."""
    if decision.allowed:
        return 0
    wait = decision.retry_after_ms
    return max(1, int(wait)) if wait is not None else max(1, int(bucket.waiting(item)))


class _Line:
    """One key's window in one family: its last ``limit`` stamps (some ahead: booked) and the spacing."""

    __slots__ = ("next_even", "stamps")

    def __init__(self) -> None:
        self.stamps: list[float] = []
        self.next_even = float("-inf")
        """When the next request would go if requests were spaced evenly (GCRA's theoretical arrival time)."""

    def earliest(self, now: float, window: _Window) -> float:
        """The first moment this line could take one more request.

        With nobody booked ahead and room in both the window and the pace's
        tolerance, that is now. Otherwise the request queues: after the last
        booking (by ``queue_gap_ms``), after the stamp ``limit`` back has left
        the window, and no earlier than the even pace allows.

        Slots a burst took free together a window later, and the pace's
        tolerance lets their successors go together too: a clump that costs
        nothing while its round trips stay within the margin. When they do not
        (the clump queues on the way, and the margin widens to cover it), the
        gap spreads the queue at the even pace, which costs the burst's head
        start once and keeps the margin at its floor from then on.
        """
        stamps = self.stamps
        # One millisecond past the window's end: whether a server counts a request that
        # arrives exactly a window after another is its convention, not ours to guess.
        window_free = stamps[-window.limit] + window.span_ms + 1 if len(stamps) >= window.limit else now
        spread_free = self.next_even - window.tolerance_ms
        last = stamps[-1] if stamps else now
        if last <= now and window_free <= now and spread_free <= now:
            return now
        # Up to the next whole millisecond: a wait never ends a fraction before its bound.
        return float(ceil(max(now, window_free, spread_free, last + window.queue_gap_ms)))

    def book(self, slot: float, window: _Window) -> None:
        insort(self.stamps, slot)
        del self.stamps[: -window.limit]
        self.next_even = max(self.next_even, slot) + window.spacing_ms

    def unbook(self, slot: float) -> None:
        """Take back a booking (given up, or moved); gone already if newer stamps pushed it out."""
        at = bisect_left(self.stamps, slot)
        if at < len(self.stamps) and self.stamps[at] == slot:
            del self.stamps[at]


class _MemoryStore:
    """One process's windows: a booking per request, under one lock (threads and asyncio tasks alike)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lines: dict[tuple[str, str], _Line] = {}
        self._pauses: dict[str, int] = {}
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    def book(
        self, key: str, windows: Sequence[tuple[str, _Window]], latest: float | None
    ) -> tuple[float, str, float]:
        """Book the earliest slot every family allows, in arrival order: (slot, binding family, now), in ms.

        Nothing is booked when that slot is later than ``latest``; the caller
        then refuses the wait. All families take the same slot, so a request
        held by one family is not stamped early in another.
        """
        with self._lock:
            now = self._clock() * 1000
            slot, binding = max(now, float(self._pauses.get(key, 0))), windows[0][0]
            lines = []
            for family, window in windows:
                line = self._lines.get((key, family))
                if line is None:
                    line = self._lines[(key, family)] = _Line()
                lines.append((line, window))
                earliest = line.earliest(now, window)
                if earliest > slot:
                    slot, binding = earliest, family
            if latest is None or slot <= latest:
                for line, window in lines:
                    line.book(slot, window)
            return slot, binding, now

    def move(self, key: str, windows: Sequence[tuple[str, _Window]], slot: float, to: float | None) -> None:
        """Move a booking later (the margin widened while it waited), or cancel it (``to`` None)."""
        with self._lock:
            for family, window in windows:
                line = self._lines.get((key, family))
                if line is not None:
                    line.unbook(slot)
                    if to is not None:
                        insort(line.stamps, to)
                        del line.stamps[: -window.limit]

    def count_extra(self, key: str, windows: Sequence[tuple[str, _Window]]) -> None:
        """One more stamp, now, in each family: the server counted a request this limiter did not."""
        with self._lock:
            now = self._clock() * 1000
            for family, window in windows:
                line = self._lines.get((key, family))
                if line is None:
                    line = self._lines[(key, family)] = _Line()
                insort(line.stamps, now)
                del line.stamps[: -window.limit]

    def pause(self, key: str, until_ms: int) -> None:
        with self._lock:
            self._pauses[key] = max(self._pauses.get(key, 0), until_ms)

    async def pause_async(self, key: str, until_ms: int) -> None:
        self.pause(key, until_ms)

    def shared(self, key: str) -> tuple[int, int]:
        """(paused until, ms; the fleet's margin, ms): one process is its own fleet, so no margin."""
        return self._pauses.get(key, 0), 0

    async def shared_async(self, key: str) -> tuple[int, int]:
        return self.shared(key)

    def share_margin(self, margin_ms: int, ttl_ms: int) -> None:
        """Nothing to share in one process: its limiter already uses its own margin."""

    async def share_margin_async(self, margin_ms: int, ttl_ms: int) -> None:
        """Nothing to share in one process."""


class _RedisStore:
    """pyrate-limiter Redis buckets, stamped with the Redis server's clock.

    A sync client serves sync callers; an async client (one per event loop)
    serves async ones. The pause marker is a plain key with a millisecond expiry.
    """

    def __init__(self, url: str, prefix: str) -> None:
        import redis  # noqa: PLC0415 - the optional `redis` extra, needed only here

        self._url = url
        self._prefix = prefix
        self._sync: Redis = redis.Redis.from_url(url)
        self._async: tuple[asyncio.AbstractEventLoop, AsyncRedis] | None = None
        self._script: str | None = None
        self._async_script: str | None = None
        self._lock = threading.Lock()
        self._offset_ms = 0.0
        self._synced_at = float("-inf")
        self._puts = 0
        self._sync_clock()

    def _sync_clock(self) -> None:
        """Measure the offset to Redis ``TIME`` from the fastest of a few round trips (NTP's trick)."""
        samples = []
        for _ in range(_CLOCK_SAMPLES):
            before = time.time()
            seconds, micros = self._sync.time()
            after = time.time()
            samples.append((after - before, seconds + micros / 1e6 - (before + after) / 2))
        self._offset_ms = min(samples)[1] * 1000
        self._synced_at = time.time()

    def now_ms(self) -> int:
        if time.time() - self._synced_at > _CLOCK_RESYNC:
            self._sync_clock()
        return int(time.time() * 1000 + self._offset_ms)

    def _name(self, key: str, family: str) -> str:
        return f"{self._prefix}:{key}:{family}"

    def _leak_now(self) -> bool:
        with self._lock:
            self._puts += 1
            return self._puts % _LEAK_EVERY == 0

    # pyrate's buckets record each verdict on the bucket object and read it back, so
    # concurrent callers get a bucket object each (cheap: no I/O) over the same Redis key.

    # No lock around read-stamp-then-insert: _put_item() counts stamps later than the
    # caller's own, so callers in this process race no differently from other processes.

    def put(self, key: str, family: str, rates: list[Rate]) -> int:
        from pyrate_limiter import RateItem, RedisBucket  # noqa: PLC0415 - see the imports

        if self._script is None:
            self._script = str(self._sync.script_load(_put_item()))
        bucket = RedisBucket(rates, self._sync, self._name(key, family), self._script)
        now_ms = self.now_ms()
        if self._leak_now():
            bucket.leak(_leak_before(rates, now_ms))
        item = RateItem(family, now_ms)
        return _wait_ms(bucket, item, bucket.put_decision(item))

    def _async_client(self) -> AsyncRedis:
        import asyncio  # noqa: PLC0415 - only async paths load asyncio

        import redis.asyncio  # noqa: PLC0415 - the optional `redis` extra

        loop = asyncio.get_running_loop()
        if self._async is None or self._async[0] is not loop:
            self._async = (loop, redis.asyncio.Redis.from_url(self._url))
        return self._async[1]

    async def put_async(self, key: str, family: str, rates: list[Rate]) -> int:
        from pyrate_limiter import RateItem, RedisBucket  # noqa: PLC0415 - see the imports

        client = self._async_client()
        if self._async_script is None:
            self._async_script = str(await client.script_load(_put_item()))
        bucket = RedisBucket(rates, client, self._name(key, family), self._async_script)
        now_ms = self.now_ms()
        if self._leak_now():
            await bucket.leak(_leak_before(rates, now_ms))  # type: ignore[misc]
        item = RateItem(family, now_ms)
        decision = await bucket.put_decision(item)  # type: ignore[misc]
        return _wait_ms(bucket, item, decision)

    def _pause_key(self, key: str) -> str:
        return f"{self._prefix}:{key}:pause"

    def pause(self, key: str, until_ms: int) -> None:
        ttl = max(1, until_ms - self.now_ms())
        self._sync.set(self._pause_key(key), until_ms, px=ttl)

    async def pause_async(self, key: str, until_ms: int) -> None:
        ttl = max(1, until_ms - self.now_ms())
        await self._async_client().set(self._pause_key(key), until_ms, px=ttl)

    def _margin_key(self) -> str:
        return f"{self._prefix}:margin"

    @staticmethod
    def _ints(values: list[Any]) -> tuple[int, int]:
        pause, margin = values
        return (int(pause) if pause is not None else 0, int(margin) if margin is not None else 0)

    def shared(self, key: str) -> tuple[int, int]:
        """(paused until, ms; the widest margin any limiter of the fleet asked for, ms): one round trip."""
        return self._ints(self._sync.mget(self._pause_key(key), self._margin_key()))

    async def shared_async(self, key: str) -> tuple[int, int]:
        return self._ints(await self._async_client().mget(self._pause_key(key), self._margin_key()))

    # Raise-only and not atomic: two limiters raising at once may leave the smaller
    # value; the other one's own margin still covers its slow round trips.

    def share_margin(self, margin_ms: int, ttl_ms: int) -> None:
        current = self._sync.get(self._margin_key())
        if current is None or int(current) < margin_ms:
            self._sync.set(self._margin_key(), margin_ms, px=max(1, ttl_ms))

    async def share_margin_async(self, margin_ms: int, ttl_ms: int) -> None:
        client = self._async_client()
        current = await client.get(self._margin_key())
        if current is None or int(current) < margin_ms:
            await client.set(self._margin_key(), margin_ms, px=max(1, ttl_ms))

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        if self._async is not None:
            await self._async[1].aclose()
            self._async = None


class RateLimiter:
    """Sliding-window limits per API key, waited for before each request.

    One limiter is one budget: clients made with ``with_options`` share their
    parent's; pass the same limiter to several clients of one key to make them
    share it, and use ``RateLimiter.redis(url)`` to share it between processes
    and hosts. Safe to use from threads and asyncio tasks at once.

    **Parameters:**

    * `limits` - family -> ``RateLimit``; the spec's ``RATE_LIMITS`` by default
      (tests shorten the windows with ``RateLimiter.scaled``).
    * `margin` - seconds added to every window (default ``DEFAULT_MARGIN``).
    * `burst` - at most this many requests at once; callers that queue then go
      at one every ``period / limit``, evenly apart once round trips outgrow
      the margin (default ``DEFAULT_BURST``; None: no spreading). Concurrent
      callers need it: a burst of a whole window's budget queues up, and a
      request admitted early but delivered late is what makes a server count
      more than the client did (and what widens the margin, which costs
      budget). Through Redis: at most ``burst`` requests in any
      ``burst / limit`` of a window.
    * `clock`, `sleep`, `async_sleep` - injectable for tests (seconds).

    In one process callers are served in the order they ask (each books its
    slot); through Redis, waiting callers race for each freed slot.
    """

    def __init__(
        self,
        limits: Mapping[str, RateLimit] | None = None,
        *,
        margin: float = DEFAULT_MARGIN,
        burst: int | None = DEFAULT_BURST,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        async_sleep: Callable[[float], Awaitable[None]] = _asyncio_sleep,
        _store: _MemoryStore | _RedisStore | None = None,
    ) -> None:
        if margin < 0:
            raise ValueError("margin must be >= 0")
        self.limits: dict[str, RateLimit] = dict(RATE_LIMITS if limits is None else limits)
        self.margin = margin
        if burst is not None and burst < 1:
            raise ValueError("burst must be >= 1 or None")
        self.burst = burst
        self._windows = self._windows_for(margin)
        self._margin_ms = round(margin * 1000)
        self._local_margin_ms = self._margin_ms
        self._fleet_margin_ms = 0
        self._window_ms = round(max(limit.period for limit in self.limits.values()) * 1000)
        self._latencies: deque[tuple[float, float]] = deque()
        self._latency_lock = threading.Lock()
        self._clock = clock
        self._store: _MemoryStore | _RedisStore = _store or _MemoryStore(clock)
        self._sleep = sleep
        self._async_sleep = async_sleep

    def _windows_for(self, margin: float) -> dict[str, _Window]:
        """Each family's window plus ``margin``, and its spreading (none when ``burst`` covers the limit)."""
        widened = margin > self.margin  # round trips outgrew the configured margin: spread the queue
        windows = {}
        for family, limit in self.limits.items():
            spreading = self.burst is not None and self.burst < limit.limit
            spacing = limit.period * 1000 / limit.limit if spreading else 0.0
            tolerance = (self.burst - 1) * spacing if self.burst is not None and spreading else 0.0
            span = round((limit.period + margin) * 1000)
            windows[family] = _Window(limit.limit, span, spacing, tolerance, spacing if widened else 0.0)
        return windows

    def _rates(self, window: _Window) -> list[Rate]:
        """The pyrate-limiter rates of a window (the Redis store): it, and a spreading window of ``burst``."""
        from pyrate_limiter import Rate  # noqa: PLC0415 - see the imports

        rates = [Rate(window.limit, window.span_ms)]
        if window.spacing_ms and self.burst is not None:
            rates.insert(0, Rate(self.burst, round(window.spacing_ms * self.burst)))
        return rates

    @classmethod
    def redis(
        cls,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        limits: Mapping[str, RateLimit] | None = None,
        margin: float = DEFAULT_MARGIN,
        burst: int | None = DEFAULT_BURST,
        prefix: str = "socketlabs:ratelimit",
    ) -> RateLimiter:
        """A limiter whose windows live in Redis, shared by every process that uses the same URL."""
        return cls(limits, margin=margin, burst=burst, _store=_RedisStore(url, prefix))

    @staticmethod
    def scaled(factor: float, limits: Mapping[str, RateLimit] | None = None) -> dict[str, RateLimit]:
        """The spec's limits with every window multiplied by ``factor`` (tests, benchmarks)."""
        return {
            name: RateLimit(limit=rate.limit, period=rate.period * factor)
            for name, rate in (RATE_LIMITS if limits is None else limits).items()
        }

    def _families(self, families: Sequence[str]) -> list[tuple[str, _Window]]:
        return [(family, self._windows[family]) for family in families if family in self._windows]

    def _observe(self, seconds: float) -> int | None:
        """Record one round trip; the new local margin (ms) when it changed, else None."""
        if seconds <= self.margin and not self._latencies:
            return None  # the common case: nothing slower than the floor to remember
        with self._latency_lock:
            now = self._clock()
            window = self._window_ms / 1000
            # A sliding-window maximum: only round trips no later one beats are kept.
            while self._latencies and self._latencies[-1][1] <= seconds:
                self._latencies.pop()
            self._latencies.append((now, seconds))
            # Kept two windows, not one: the stamp of a slow request counts for a window
            # after it was taken, and the margin must still cover it at the window's end.
            while self._latencies[0][0] < now - 2 * window:
                self._latencies.popleft()
            wanted_ms = round(min(max(self.margin, self._latencies[0][1]), window / 10) * 1000)
            if wanted_ms == self._local_margin_ms:
                return None
            self._local_margin_ms = wanted_ms
            self._apply_margin()
            return wanted_ms

    def _apply_margin(self) -> None:
        """Use the wider of this limiter's margin and the fleet's (caller holds the latency lock)."""
        wanted = max(self._local_margin_ms, self._fleet_margin_ms)
        if wanted == self._margin_ms:
            return
        self._margin_ms = wanted
        self._windows = self._windows_for(wanted / 1000)

    def _adopt(self, fleet_margin_ms: int) -> None:
        """Take the fleet's margin (from Redis) when it changed."""
        capped = min(fleet_margin_ms, self._window_ms // 10)
        if capped != self._fleet_margin_ms:
            with self._latency_lock:
                self._fleet_margin_ms = capped
                self._apply_margin()

    def observe(self, seconds: float) -> None:
        """Feed one request's round trip: the margin widens to the slowest of the last two windows.

        The server counts a request when it arrives, somewhere inside its round
        trip; a margin at least as long as recent round trips keeps the server's
        count at or below ours, even when the machine or network is slow. It
        never shrinks below ``margin`` nor grows past a tenth of a window. A
        Redis-backed limiter also publishes a wider margin to the fleet for two
        windows, because another process's stamps are just as late when this
        machine is slow, and its limiter has not seen these round trips.
        """
        widened = self._observe(seconds)
        if widened is not None and widened > round(self.margin * 1000):
            self._store.share_margin(widened, 2 * self._window_ms)

    async def observe_async(self, seconds: float) -> None:
        """The async twin of ``observe``."""
        widened = self._observe(seconds)
        if widened is not None and widened > round(self.margin * 1000):
            await self._store.share_margin_async(widened, 2 * self._window_ms)

    @property
    def effective_margin(self) -> float:
        """The margin in use now: ``margin``, or the slowest recent round trip if longer."""
        return self._margin_ms / 1000

    def acquire(self, key: str, families: Sequence[str], max_wait: float | None = None) -> float:
        """Take one slot in each family (waiting as needed); returns the seconds waited."""
        start = self._clock()
        give_up = None if max_wait is None else start + max_wait
        store = self._store
        if isinstance(store, _MemoryStore):
            windows = self._families(families)
            if windows:
                booking: _Booking | None = self._book(store, key, windows, give_up)
                while booking is not None:
                    wait = (booking.slot - self._clock() * 1000) / 1000  # in ms, as the store booked it
                    if wait > 0:
                        self._sleep(wait)
                    booking = self._after_wait(store, key, windows, booking, give_up)
            return self._clock() - start
        slept = False
        for family, _ in self._families(families):
            while True:
                now = store.now_ms()
                paused_until, fleet_margin = store.shared(key)
                self._adopt(fleet_margin)
                wait_ms = paused_until - now
                if wait_ms <= 0:
                    if slept:  # after a wait (or a sleep that overran): still in time?
                        self._check_time(family, give_up, 0)
                    # The rates are read now, not before a wait: the margin may have widened meanwhile.
                    wait_ms = store.put(key, family, self._rates(self._windows[family]))
                    if wait_ms == 0:
                        break
                self._check_time(family, give_up, wait_ms)
                self._sleep(wait_ms / 1000)
                slept = True
        return self._clock() - start

    async def acquire_async(self, key: str, families: Sequence[str], max_wait: float | None = None) -> float:
        """The async twin of ``acquire``: waits with ``asyncio.sleep``, never blocking the loop."""
        start = self._clock()
        give_up = None if max_wait is None else start + max_wait
        store = self._store
        if isinstance(store, _MemoryStore):
            windows = self._families(families)
            if windows:
                booking: _Booking | None = self._book(store, key, windows, give_up)
                while booking is not None:
                    wait = (booking.slot - self._clock() * 1000) / 1000  # in ms, as the store booked it
                    if wait > 0:
                        await self._async_sleep(wait)
                    booking = self._after_wait(store, key, windows, booking, give_up)
            return self._clock() - start
        slept = False
        for family, _ in self._families(families):
            while True:
                now = store.now_ms()
                paused_until, fleet_margin = await store.shared_async(key)
                self._adopt(fleet_margin)
                wait_ms = paused_until - now
                if wait_ms <= 0:
                    if slept:
                        self._check_time(family, give_up, 0)
                    # The rates are read now, not before a wait: the margin may have widened meanwhile.
                    wait_ms = await store.put_async(key, family, self._rates(self._windows[family]))
                    if wait_ms == 0:
                        break
                self._check_time(family, give_up, wait_ms)
                await self._async_sleep(wait_ms / 1000)
                slept = True
        return self._clock() - start

    def _latest_slot(self, give_up: float | None) -> float | None:
        """The last slot (ms) ending ``effective_margin`` before the deadline (as ``_check_time``)."""
        return None if give_up is None else (give_up - self.effective_margin) * 1000 - 0.001

    def _book(
        self, store: _MemoryStore, key: str, windows: Sequence[tuple[str, _Window]], give_up: float | None
    ) -> _Booking:
        """Book the request's slot, or refuse (nothing booked) when it would not end in time."""
        latest = self._latest_slot(give_up)
        slot, family, now = store.book(key, windows, latest)
        if latest is not None and slot > latest:
            raise LimitWaitExceeded(family, (slot - now) / 1000)
        return _Booking(slot, family, self._margin_ms, now)

    def _after_wait(
        self,
        store: _MemoryStore,
        key: str,
        windows: Sequence[tuple[str, _Window]],
        booking: _Booking,
        give_up: float | None,
    ) -> _Booking | None:
        """After the wait: done (None), or the booking moved on by a margin that widened meanwhile.

        A sleep that overran past the deadline gives the slot back and refuses,
        like a wait that was too long from the start. Oversleeping delays the
        request after its stamp just as a slow round trip does, so the margin
        learns it the same way.
        """
        now = self._clock()
        latest = self._latest_slot(give_up)
        if latest is not None and now * 1000 > latest:  # the wait it took, not the one planned, ran out
            store.move(key, windows, booking.slot, None)
            raise LimitWaitExceeded(booking.family, (now * 1000 - booking.booked_at) / 1000)
        widened = self._margin_ms - booking.margin_ms
        if widened > 0:
            moved = booking.slot + widened
            if latest is not None and moved > latest:
                store.move(key, windows, booking.slot, None)
                raise LimitWaitExceeded(booking.family, (moved - now * 1000) / 1000)
            store.move(key, windows, booking.slot, moved)
            return _Booking(moved, booking.family, self._margin_ms, booking.booked_at)
        self._observe((now * 1000 - booking.slot) / 1000)
        return None

    def _check_time(self, family: str, give_up: float | None, wait_ms: int) -> None:
        """Refuse a wait that would not end in time for the request (the clock, not a sum of sleeps).

        Measured on the clock, so time spent asking the store and sleeps that
        overran count too. A wait must end at least ``effective_margin`` (the
        slowest recent round trip, or ``margin``) before ``give_up``: one that
        leaves the request less would only send it to time out, so it is refused
        (``RateLimitWaitError``, nothing sent) instead.
        """
        if give_up is None:
            return
        ends = self._clock() + wait_ms / 1000
        if ends + self.effective_margin >= give_up:
            raise LimitWaitExceeded(family, wait_ms / 1000)

    def _pause(self, families: Sequence[str], seconds: float | None) -> int:
        """Milliseconds every caller must wait after a refusal (0: the windows cover it)."""
        longest = max((self.limits[f].period for f in families if f in self.limits), default=0.0)
        if seconds is None:
            return round(longest * 1000)
        return round(seconds * 1000) if seconds > longest else 0

    def penalize(self, key: str, families: Sequence[str], seconds: float | None) -> None:
        """Feedback from a 429 or ``OverQuota``: the server counted a request we did not.

        One more stamp goes into each family's window (taken if there is room),
        so the next requests wait for it. With no wait given (``OverQuota``), the
        server's window may free a slot only a whole window from now; a
        ``Retry-After`` longer than a window is a penalty no window explains:
        in both cases every caller of the key waits it out.
        """
        now = self._store.now_ms()
        store = self._store
        if isinstance(store, _MemoryStore):
            store.count_extra(key, self._families(families))
        else:
            for family, window in self._families(families):
                store.put(key, family, self._rates(window))
        pause = self._pause(families, seconds)
        if pause:
            self._store.pause(key, now + pause)

    async def penalize_async(self, key: str, families: Sequence[str], seconds: float | None) -> None:
        """The async twin of ``penalize``."""
        now = self._store.now_ms()
        store = self._store
        if isinstance(store, _MemoryStore):
            store.count_extra(key, self._families(families))
        else:
            for family, window in self._families(families):
                await store.put_async(key, family, self._rates(window))
        pause = self._pause(families, seconds)
        if pause:
            await self._store.pause_async(key, now + pause)

    def close(self) -> None:
        """Close the Redis connections (sync side); the in-process limiter has none."""
        if isinstance(self._store, _RedisStore):
            self._store.close()

    async def aclose(self) -> None:
        """Close the Redis connections, async side included (call it in the loop that used them)."""
        if isinstance(self._store, _RedisStore):
            await self._store.aclose()
            self._store.close()

    def __repr__(self) -> str:
        store = "redis" if isinstance(self._store, _RedisStore) else "in-process"
        limits = ", ".join(f"{name}={rate.limit}/{rate.period:g}s" for name, rate in self.limits.items())
        return f"RateLimiter({store}, {limits}, margin={self.margin:g}s)"
