"""Rate limits as the sandbox enforces them: sliding windows, answered as the API would.

The sandbox keeps its own reading of the documented limits (``LIMITS``,
``FAMILIES``), as it does for every other fact: it never imports the client
or the generated package, and a test checks these tables against the spec's
``x-rate-limits`` and ``x-rate-limit-family``. Every request to a known
route counts against ``default`` (the sandbox has one account key); the
report-message operations count against ``reports-message`` as well. A
refused request is not counted and not processed.

Answers when over a limit:

* Injection: HTTP 200 with ``ErrorCode: OverQuota`` (documented: the
  Injection API expresses rate limiting only this way).
* v2: **assumed** HTTP 429 with ``Retry-After`` (whole seconds until a slot
  frees) and the usual error envelope, ``errorType: RateLimitExceeded``. The
  vendor documents the limits but not the status or headers; 429 +
  ``Retry-After`` is the HTTP standard's answer and what clients expect.

``SandboxConfig.rate_limit_window`` turns enforcement on: the length in
seconds of the ``default`` window (60 is the real API; tests use a second or
two); other families keep their ratio to it. ``None`` (the default) leaves it
off, so suites that fire many requests at one sandbox are not throttled.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["FAMILIES", "LIMITS", "RateLimitCounters", "SandboxRateLimits"]

LIMITS: dict[str, tuple[int, float]] = {"default": (100, 60.0), "reports-message": (30, 60.0)}
"""Family -> (requests, seconds): 100 per 60 s per key; ``*/reports/message*`` 30 per 60 s on top."""

FAMILIES: dict[str, str] = {
    operation_id: "reports-message"
    for operation_id in (
        "getMessageDetailReport",
        "searchRecipients",
        "getMessagesOverview",
        "getMessagesAggregate",
        "getSubaccountMessageDetailReport",
        "searchSubaccountRecipients",
        "getSubaccountMessagesOverview",
        "getSubaccountMessagesAggregate",
    )
}
"""operationId -> the family it counts against besides ``default``."""


class RateLimitCounters:
    """What the limits did, for tests and benchmarks: admitted stamps and refusals per family."""

    def __init__(self) -> None:
        self.admitted: list[float] = []
        """Clock times of every admitted request (any family)."""
        self.refused: dict[str, int] = {}
        """Refused requests by the family that was full."""

    @property
    def refused_total(self) -> int:
        """All refusals (429s and OverQuotas)."""
        return sum(self.refused.values())


class SandboxRateLimits:
    """Sliding-window logs per family, behind one lock (uvicorn's thread vs. the test's)."""

    def __init__(self, window: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.clock = clock
        self._lock = threading.Lock()
        self._logs: dict[str, deque[float]] = {}
        self.counters = RateLimitCounters()

    def reset(self) -> None:
        """Forget every window and counter."""
        with self._lock:
            self._logs = {}
            self.counters = RateLimitCounters()

    def _limits(self, operation_id: str) -> list[tuple[str, int, float]]:
        """(family, limit, period) for an operation, periods scaled to ``window``."""
        if self.window is None:
            return []
        scale = self.window / LIMITS["default"][1]
        families = [FAMILIES[operation_id], "default"] if operation_id in FAMILIES else ["default"]
        return [(f, LIMITS[f][0], LIMITS[f][1] * scale) for f in families]

    def admit(self, operation_id: str) -> tuple[str, float] | None:
        """Record the request and return None, or return (full family, seconds until a slot)."""
        limits = self._limits(operation_id)
        if not limits:
            return None
        with self._lock:
            now = self.clock()
            for family, limit, period in limits:
                log = self._logs.setdefault(family, deque())
                while log and log[0] <= now - period:
                    log.popleft()
                if len(log) >= limit:
                    self.counters.refused[family] = self.counters.refused.get(family, 0) + 1
                    return family, max(0.0, log[0] + period - now)
            for family, _, _ in limits:
                self._logs[family].append(now)
            self.counters.admitted.append(now)
        return None

    @staticmethod
    def retry_after_header(seconds: float) -> str:
        """``Retry-After`` in whole seconds, rounded up (the header has no fractions)."""
        return str(max(1, math.ceil(seconds)))
