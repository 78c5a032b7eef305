"""Client-side rate limiting: sliding windows per API key, shared in-process or through Redis.

The limits are the spec's ``x-rate-limits`` table, rendered into
``socketlabs_api.operations.RATE_LIMITS``: every request counts against
``default`` (100 per 60 s per key) and a ``*/reports/message*`` call also
against ``reports-message`` (30 per 60 s). Nothing here repeats those numbers.

The limiter books slots: each caller takes the earliest slot every window
allows, in the order callers arrive, and sleeps exactly until it. One process
keeps its windows in memory (``_MemoryStore``); a fleet keeps them in Redis,
where one Lua script checks and books atomically (``_RedisStore``), so every
process of the fleet books in one order. Booking is what rate-limit libraries
such as pyrate-limiter do not do: they answer "not now, try in N ms", waiting
callers then race for each freed slot, and one can starve past its deadline.
Around the booking, this module adds what measuring the gap between "never
over" and "all of the budget" asked for:

* a ``margin`` added to every window, because a request is stamped when it is
  admitted but counted by the server when it arrives; it widens to the slowest
  round trip of the last two windows (``observe``), which bounds that delay,
  and through Redis the whole fleet widens with it;
* spreading (``burst``): at most ``burst`` requests at once, then one every
  ``period / limit``, and queued callers evenly apart while round trips
  outgrow the margin, so a queue never keeps sending a window's budget in a
  clump whose queueing widens the margin;
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
import os
import threading
import time
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from math import ceil
from typing import TYPE_CHECKING, Any, NamedTuple

from socketlabs_api.operations import RATE_LIMITS, RateLimit

from ._retries import _asyncio_sleep

if TYPE_CHECKING:
    import asyncio

    from redis import Redis
    from redis.asyncio import Redis as AsyncRedis
    from redis.commands.core import AsyncScript, Script

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
_CLOCK_RESYNC = 60.0
_CLOCK_SAMPLES = 5

_BOOK = """
-- Book the earliest slot every family allows (the same rule as _Line.earliest), atomically.
-- KEYS: the key's pause, the fleet's margin, then per family its stamps (a sorted set) and its even pace.
-- ARGV: now (ms), the longest wait allowed ('' = any), the keys' ttl (ms), this booking's member,
--       then per family: limit, span, queue gap, spacing, tolerance (ms).
-- Returns {slot, index of the family that set it, 1 if booked else 0, the fleet's margin}.
local now = tonumber(ARGV[1])
local latest = nil
if ARGV[2] ~= '' then latest = now + tonumber(ARGV[2]) end
local ttl, member = tonumber(ARGV[3]), ARGV[4]
local slot, binding = now, 1
local pause = redis.call('GET', KEYS[1])
if pause then slot = math.max(slot, tonumber(pause)) end
local families = (#KEYS - 2) / 2
local evens = {}
for i = 1, families do
  local stamps, even_key, a = KEYS[2 * i + 1], KEYS[2 * i + 2], 4 + 5 * (i - 1)
  local limit, span = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local gap, tolerance = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 5])
  local count = redis.call('ZCARD', stamps)
  local window_free, last, spread_free = now, now, now
  if count >= limit then
    window_free = tonumber(redis.call('ZRANGE', stamps, -limit, -limit, 'WITHSCORES')[2]) + span + 1
  end
  if count > 0 then last = tonumber(redis.call('ZRANGE', stamps, -1, -1, 'WITHSCORES')[2]) end
  local even = redis.call('GET', even_key)
  if even then
    even = tonumber(even)
    spread_free = even - tolerance
  end
  evens[i] = even
  if last > now or window_free > now or spread_free > now then
    local earliest = math.ceil(math.max(now, window_free, spread_free, last + gap))
    if earliest > slot then slot, binding = earliest, i end
  end
end
local margin = redis.call('GET', KEYS[2]) or '0'
if latest and slot > latest then return {tostring(slot), binding, 0, margin} end
for i = 1, families do
  local stamps, even_key, a = KEYS[2 * i + 1], KEYS[2 * i + 2], 4 + 5 * (i - 1)
  local limit, spacing = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 4])
  redis.call('ZADD', stamps, slot, member)
  redis.call('ZREMRANGEBYRANK', stamps, 0, -(limit + 1))
  redis.call('PEXPIRE', stamps, ttl)
  local even = evens[i]
  if not even or even < slot then even = slot end
  redis.call('SET', even_key, tostring(even + spacing), 'PX', ttl)
end
return {tostring(slot), binding, 1, margin}
"""
"""The Redis twin of ``_MemoryStore.book``: one script, so bookings from every process are serialized."""

_RESTAMP = """
-- Move a booking (ARGV[1] = its new slot, '' = cancel it), or add one (a 429's stamp), in each family.
-- KEYS: the families' stamps. ARGV: slot, member, ttl, then each family's limit.
for i = 1, #KEYS do
  if ARGV[1] == '' then
    redis.call('ZREM', KEYS[i], ARGV[2])
  else
    redis.call('ZADD', KEYS[i], tonumber(ARGV[1]), ARGV[2])
    redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -(tonumber(ARGV[3 + i]) + 1))
    redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[3]))
  end
end
return 1
"""


class LimitWaitExceeded(Exception):
    """A slot would take longer than ``max_wait``; the transport turns it into ``RateLimitWaitError``."""

    def __init__(self, family: str, wait: float) -> None:
        super().__init__(f"the {family} rate limit would need a wait of {wait:.3f} s")
        self.family = family
        self.wait = wait


_LATENESS: ContextVar[tuple[object, float]] = ContextVar("socketlabs_ratelimit_lateness", default=(None, 0.0))
"""The limiter this thread's or task's last slot was taken from, and how late it left (seconds)."""


def _running_loop() -> asyncio.AbstractEventLoop:
    import asyncio  # noqa: PLC0415 - only async paths load asyncio

    return asyncio.get_running_loop()


def _member() -> str:
    """A name for one booking's stamp, unique across the fleet (Redis sorted-set members must be)."""
    return os.urandom(8).hex()


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
    """A booked slot: when (ms, on the store's clock), the family that set it, and how it was made."""

    slot: float
    family: str
    booked_at: float
    """The store's clock when it was booked (ms)."""
    member: str
    """Which stamp is this booking's (Redis: the sorted set's member)."""
    margin_ms: int
    """The margin the limiter used when booking; a margin widened since moves the booking on."""


class _Booked(NamedTuple):
    """What a store answers to a booking: the slot, and whether it was taken."""

    slot: float
    family: str
    now: float
    booked: bool
    fleet_margin_ms: int
    member: str
    """The stamp's name in Redis; empty in memory, where a stamp is named by its time."""


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

    def clock_ms(self) -> float:
        return self._clock() * 1000

    def now_ms(self) -> int:
        return int(self.clock_ms())

    def _line(self, key: str, family: str) -> _Line:
        line = self._lines.get((key, family))
        if line is None:
            line = self._lines[(key, family)] = _Line()
        return line

    def book(self, key: str, windows: Sequence[tuple[str, _Window]], allowed_ms: float | None) -> _Booked:
        """Book the earliest slot every family allows, in arrival order, unless further than ``allowed_ms``.

        All families take the same slot, so a request held by one family is not
        stamped early in another.
        """
        with self._lock:
            now = self.clock_ms()
            slot, binding = max(now, float(self._pauses.get(key, 0))), windows[0][0]
            for family, window in windows:
                earliest = self._line(key, family).earliest(now, window)
                if earliest > slot:
                    slot, binding = earliest, family
            booked = allowed_ms is None or slot - now <= allowed_ms
            if booked:
                for family, window in windows:
                    self._line(key, family).book(slot, window)
            return _Booked(slot, binding, now, booked, 0, "")  # a stamp here is named by its time

    async def book_async(
        self, key: str, windows: Sequence[tuple[str, _Window]], allowed_ms: float | None
    ) -> _Booked:
        return self.book(key, windows, allowed_ms)

    def restamp(
        self, key: str, windows: Sequence[tuple[str, _Window]], old: float | None, new: float | None
    ) -> None:
        """Move a stamp from ``old`` to ``new``: a booking moved on, cancelled (no ``new``), or added."""
        with self._lock:
            for family, window in windows:
                line = self._line(key, family)
                if old is not None:
                    line.unbook(old)
                if new is not None:
                    insort(line.stamps, new)
                    del line.stamps[: -window.limit]

    def move(
        self, key: str, windows: Sequence[tuple[str, _Window]], booking: _Booking, to: float | None
    ) -> None:
        self.restamp(key, windows, booking.slot, to)

    async def move_async(
        self, key: str, windows: Sequence[tuple[str, _Window]], booking: _Booking, to: float | None
    ) -> None:
        self.move(key, windows, booking, to)

    def count_extra(self, key: str, windows: Sequence[tuple[str, _Window]]) -> None:
        """One more stamp, now, in each family: the server counted a request this limiter did not."""
        self.restamp(key, windows, None, self.clock_ms())

    async def count_extra_async(self, key: str, windows: Sequence[tuple[str, _Window]]) -> None:
        self.count_extra(key, windows)

    def pause(self, key: str, until_ms: int) -> None:
        with self._lock:
            self._pauses[key] = max(self._pauses.get(key, 0), until_ms)

    async def pause_async(self, key: str, until_ms: int) -> None:
        self.pause(key, until_ms)

    def fleet_margin(self) -> int:
        """One process is its own fleet: no margin but its own."""
        return 0

    async def fleet_margin_async(self) -> int:
        return 0

    def share_margin(self, margin_ms: int, ttl_ms: int) -> None:
        """Nothing to share in one process: its limiter already uses its own margin."""

    async def share_margin_async(self, margin_ms: int, ttl_ms: int) -> None:
        """Nothing to share in one process."""


class _RedisStore:
    """The windows in Redis, booked by one Lua script, stamped with the Redis server's clock.

    A sync client serves sync callers; an async client (one per event loop)
    serves async ones. The pause marker is a plain key with a millisecond expiry.
    """

    def __init__(self, url: str, prefix: str) -> None:
        import redis  # noqa: PLC0415 - the optional `redis` extra, needed only here

        self._url = url
        self._prefix = prefix
        self._sync: Redis = redis.Redis.from_url(url)
        self._book: Script = self._sync.register_script(_BOOK)
        self._restamp: Script = self._sync.register_script(_RESTAMP)
        self._sync.script_load(_BOOK)  # loaded before the first stamp, so loading it never delays one
        self._sync.script_load(_RESTAMP)
        self._async: tuple[asyncio.AbstractEventLoop, AsyncRedis, AsyncScript, AsyncScript] | None = None
        self._offset_ms = 0.0
        self._synced_at = float("-inf")
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

    def clock_ms(self) -> float:
        if time.time() - self._synced_at > _CLOCK_RESYNC:
            self._sync_clock()
        return time.time() * 1000 + self._offset_ms

    def now_ms(self) -> int:
        return int(self.clock_ms())

    def _name(self, key: str, family: str) -> str:
        return f"{self._prefix}:{key}:{family}"

    def _pause_key(self, key: str) -> str:
        return f"{self._prefix}:{key}:pause"

    def _margin_key(self) -> str:
        return f"{self._prefix}:margin"

    @staticmethod
    def _ttl(windows: Sequence[tuple[str, _Window]]) -> int:
        """Two windows: a stamp no caller's window (margins differ per process) can still count is gone."""
        return 2 * max(window.span_ms for _, window in windows)

    def _book_call(
        self, key: str, windows: Sequence[tuple[str, _Window]], allowed_ms: float | None
    ) -> tuple[list[str], list[str | float | int], float, str]:
        keys = [self._pause_key(key), self._margin_key()]
        now = float(self.now_ms())
        member = _member()
        args: list[str | float | int] = [
            now,
            "" if allowed_ms is None else allowed_ms,
            self._ttl(windows),
            member,
        ]
        for family, window in windows:
            keys += [self._name(key, family), f"{self._name(key, family)}:even"]
            args += [
                window.limit,
                window.span_ms,
                window.queue_gap_ms,
                window.spacing_ms,
                window.tolerance_ms,
            ]
        return keys, args, now, member

    @staticmethod
    def _booked(
        answer: list[Any], windows: Sequence[tuple[str, _Window]], now: float, member: str
    ) -> _Booked:
        slot, binding, booked, margin = answer
        return _Booked(float(slot), windows[int(binding) - 1][0], now, bool(booked), int(margin), member)

    def book(self, key: str, windows: Sequence[tuple[str, _Window]], allowed_ms: float | None) -> _Booked:
        keys, args, now, member = self._book_call(key, windows, allowed_ms)
        return self._booked(self._book(keys=keys, args=args), windows, now, member)

    def _async_client(self) -> tuple[AsyncRedis, AsyncScript, AsyncScript]:
        import asyncio  # noqa: PLC0415 - only async paths load asyncio

        import redis.asyncio  # noqa: PLC0415 - the optional `redis` extra

        loop = asyncio.get_running_loop()
        if self._async is None or self._async[0] is not loop:
            client = redis.asyncio.Redis.from_url(self._url)
            self._async = (loop, client, client.register_script(_BOOK), client.register_script(_RESTAMP))
        return self._async[1:]

    async def book_async(
        self, key: str, windows: Sequence[tuple[str, _Window]], allowed_ms: float | None
    ) -> _Booked:
        fresh = self._async is None or self._async[0] is not _running_loop()
        client, book, _ = self._async_client()
        if fresh:  # connect before the first stamp, so connecting never delays one
            await client.ping()
        keys, args, now, member = self._book_call(key, windows, allowed_ms)
        return self._booked(await book(keys=keys, args=args), windows, now, member)

    def _restamp_call(
        self, key: str, windows: Sequence[tuple[str, _Window]], to: float | None, member: str
    ) -> tuple[list[str], list[str | float | int]]:
        keys = [self._name(key, family) for family, _ in windows]
        args: list[str | float | int] = ["" if to is None else to, member, self._ttl(windows)]
        args += [window.limit for _, window in windows]
        return keys, args

    def move(
        self, key: str, windows: Sequence[tuple[str, _Window]], booking: _Booking, to: float | None
    ) -> None:
        keys, args = self._restamp_call(key, windows, to, booking.member)
        self._restamp(keys=keys, args=args)

    async def move_async(
        self, key: str, windows: Sequence[tuple[str, _Window]], booking: _Booking, to: float | None
    ) -> None:
        _, _, restamp = self._async_client()
        keys, args = self._restamp_call(key, windows, to, booking.member)
        await restamp(keys=keys, args=args)

    def count_extra(self, key: str, windows: Sequence[tuple[str, _Window]]) -> None:
        keys, args = self._restamp_call(key, windows, float(self.now_ms()), _member())
        self._restamp(keys=keys, args=args)

    async def count_extra_async(self, key: str, windows: Sequence[tuple[str, _Window]]) -> None:
        _, _, restamp = self._async_client()
        keys, args = self._restamp_call(key, windows, float(self.now_ms()), _member())
        await restamp(keys=keys, args=args)

    def pause(self, key: str, until_ms: int) -> None:
        ttl = max(1, until_ms - self.now_ms())
        self._sync.set(self._pause_key(key), until_ms, px=ttl)

    async def pause_async(self, key: str, until_ms: int) -> None:
        client, _, _ = self._async_client()
        ttl = max(1, until_ms - self.now_ms())
        await client.set(self._pause_key(key), until_ms, px=ttl)

    def fleet_margin(self) -> int:
        """The widest margin any limiter of the fleet asked for (ms), read after each wait."""
        return int(self._sync.get(self._margin_key()) or 0)

    async def fleet_margin_async(self) -> int:
        client, _, _ = self._async_client()
        return int(await client.get(self._margin_key()) or 0)

    # Raise-only and not atomic: two limiters raising at once may leave the smaller
    # value; the other one's own margin still covers its slow round trips.

    def share_margin(self, margin_ms: int, ttl_ms: int) -> None:
        current = self._sync.get(self._margin_key())
        if current is None or int(current) < margin_ms:
            self._sync.set(self._margin_key(), margin_ms, px=max(1, ttl_ms))

    async def share_margin_async(self, margin_ms: int, ttl_ms: int) -> None:
        client, _, _ = self._async_client()
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
      budget).
    * `clock`, `sleep`, `async_sleep` - injectable for tests (seconds).

    Callers are served in the order they ask: each books its slot, in this
    process's memory or, through Redis, in one order for the whole fleet.
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

        When the same thread or task took its slot late (it woke after its
        slot, or booking took time), that lateness is added: the server's count
        starts at the slot, not when the round trip did.
        """
        widened = self._observe(seconds + self._lateness())
        if widened is not None and widened > round(self.margin * 1000):
            self._store.share_margin(widened, 2 * self._window_ms)

    async def observe_async(self, seconds: float) -> None:
        """The async twin of ``observe``."""
        widened = self._observe(seconds + self._lateness())
        if widened is not None and widened > round(self.margin * 1000):
            await self._store.share_margin_async(widened, 2 * self._window_ms)

    def _lateness(self) -> float:
        """How late this thread's or task's last slot with this limiter was taken (once)."""
        owner, late = _LATENESS.get()
        if owner is not self:
            return 0.0
        _LATENESS.set((None, 0.0))
        return late

    @property
    def effective_margin(self) -> float:
        """The margin in use now: ``margin``, or the slowest recent round trip if longer."""
        return self._margin_ms / 1000

    def acquire(self, key: str, families: Sequence[str], max_wait: float | None = None) -> float:
        """Take one slot in each family (waiting as needed); returns the seconds waited."""
        start = self._clock()
        give_up = None if max_wait is None else start + max_wait
        windows = self._families(families)
        if windows:
            store = self._store
            booking = self._booking(store.book(key, windows, self._allowed_ms(give_up)))
            while True:
                wait = (booking.slot - store.clock_ms()) / 1000
                if wait > 0:
                    self._sleep(wait)
                    self._adopt(store.fleet_margin())  # another process may have widened it meanwhile
                to, refusal = self._after_wait(booking, give_up)
                if refusal is not None:
                    store.move(key, windows, booking, None)
                    raise refusal
                if to is None:
                    break
                store.move(key, windows, booking, to)
                booking = booking._replace(slot=to, margin_ms=self._margin_ms)
        return self._clock() - start

    async def acquire_async(self, key: str, families: Sequence[str], max_wait: float | None = None) -> float:
        """The async twin of ``acquire``: waits with ``asyncio.sleep``, never blocking the loop."""
        start = self._clock()
        give_up = None if max_wait is None else start + max_wait
        windows = self._families(families)
        if windows:
            store = self._store
            booking = self._booking(await store.book_async(key, windows, self._allowed_ms(give_up)))
            while True:
                wait = (booking.slot - store.clock_ms()) / 1000
                if wait > 0:
                    await self._async_sleep(wait)
                    self._adopt(await store.fleet_margin_async())  # another process may have widened it
                to, refusal = self._after_wait(booking, give_up)
                if refusal is not None:
                    await store.move_async(key, windows, booking, None)
                    raise refusal
                if to is None:
                    break
                await store.move_async(key, windows, booking, to)
                booking = booking._replace(slot=to, margin_ms=self._margin_ms)
        return self._clock() - start

    def _allowed_ms(self, give_up: float | None) -> float | None:
        """How long from now a wait may last and still end ``effective_margin`` before the deadline.

        A wait that leaves the request less than a recent round trip would only
        send it to time out, so it is refused (``RateLimitWaitError``, nothing
        sent) instead. Measured on the clock, so sleeps that overran count too.
        """
        return None if give_up is None else (give_up - self.effective_margin - self._clock()) * 1000 - 0.001

    def _booking(self, booked: _Booked) -> _Booking:
        """The booking a store made, or the refusal when the wait was longer than allowed."""
        margin_ms = self._margin_ms
        self._adopt(booked.fleet_margin_ms)  # a fleet's wider margin moves the booking on after its wait
        if not booked.booked:
            raise LimitWaitExceeded(booked.family, (booked.slot - booked.now) / 1000)
        return _Booking(booked.slot, booked.family, booked.now, booked.member, margin_ms)

    def _after_wait(
        self, booking: _Booking, give_up: float | None
    ) -> tuple[float | None, LimitWaitExceeded | None]:
        """After the wait: (None, None) when done; else where to move the booking, or the refusal to raise.

        The booking moves on by a margin that widened meanwhile. A sleep that
        overran past the deadline gives the slot back and refuses, like a wait
        that was too long from the start (the error says the wait it took).
        Oversleeping delays the request after its stamp just as a slow round
        trip does, so the margin learns it the same way.
        """
        now = self._store.clock_ms()
        allowed = self._allowed_ms(give_up)
        if allowed is not None and allowed < 0:
            return None, LimitWaitExceeded(booking.family, (now - booking.booked_at) / 1000)
        widened = self._margin_ms - booking.margin_ms
        if widened > 0:
            moved = booking.slot + widened
            if allowed is not None and moved - now > allowed:
                return None, LimitWaitExceeded(booking.family, (moved - now) / 1000)
            return moved, None
        late = (now - booking.slot) / 1000
        self._observe(late)
        _LATENESS.set((self, max(0.0, late)))  # the round trip observed next, in this thread or task, adds it
        return None, None

    def _pause(self, families: Sequence[str], seconds: float | None) -> int:
        """Milliseconds every caller must wait after a refusal (0: the windows cover it)."""
        longest = max((self.limits[f].period for f in families if f in self.limits), default=0.0)
        if seconds is None:
            return round(longest * 1000)
        return round(seconds * 1000) if seconds > longest else 0

    def penalize(self, key: str, families: Sequence[str], seconds: float | None) -> None:
        """Feedback from a 429 or ``OverQuota``: the server counted a request we did not.

        One more stamp goes into each family's window, now, so the next
        requests wait for it. With no wait given (``OverQuota``), the
        server's window may free a slot only a whole window from now; a
        ``Retry-After`` longer than a window is a penalty no window explains:
        in both cases every caller of the key waits it out.
        """
        now = self._store.now_ms()
        windows = self._families(families)
        if windows:
            self._store.count_extra(key, windows)
        pause = self._pause(families, seconds)
        if pause:
            self._store.pause(key, now + pause)

    async def penalize_async(self, key: str, families: Sequence[str], seconds: float | None) -> None:
        """The async twin of ``penalize``."""
        now = self._store.now_ms()
        windows = self._families(families)
        if windows:
            await self._store.count_extra_async(key, windows)
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
