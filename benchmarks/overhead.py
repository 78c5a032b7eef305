"""Per-call time of ``client.suppressions.check`` vs the same request with raw httpx (keep-alive).

Both talk to one sandbox on 127.0.0.1 (served from a thread of this process,
so both sides pay the same GIL cost). The client runs its whole stack: auth,
the rate limiter (limits raised so it never waits, its bookkeeping still
runs), the retry loop, error checks and model parsing. Blocks of calls
alternate between the two so drift on a busy machine hits both; the ratio
is of medians. Prints figures, asserts nothing.

Usage: ``python benchmarks/overhead.py [calls]``
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

import httpx
from socketlabs_api.operations import RateLimit
from socketlabs_client import AsyncSocketLabs, RateLimiter, SocketLabs
from socketlabs_sandbox import Sandbox

BLOCK = 100
UNLIMITED = {"default": RateLimit(10**9, 60), "reports-message": RateLimit(10**9, 60)}


def _sync(sb: Sandbox, blocks: int) -> tuple[float, float]:
    url = f"{sb.api_url}/servers/{sb.server_id}/suppressions"
    headers = {"Authorization": f"Bearer {sb.api_key}", "Accept": "application/json"}
    raw_times, client_times = [], []
    with (
        httpx.Client() as raw,
        SocketLabs(
            api_key=sb.api_key,
            server_id=sb.server_id,
            base_url=sb.api_url,
            inject_url=sb.inject_url,
            rate_limiter=RateLimiter(UNLIMITED),
        ) as client,
    ):
        for i in range(blocks + 1):  # block 0 warms both up and is not counted
            start = time.perf_counter()
            for _ in range(BLOCK):
                raw.get(url, params={"emailAddress": "a@example.com"}, headers=headers).json()
            raw_block = time.perf_counter() - start
            start = time.perf_counter()
            for _ in range(BLOCK):
                client.suppressions.check(email_address="a@example.com")
            client_block = time.perf_counter() - start
            if i:
                raw_times.append(raw_block / BLOCK)
                client_times.append(client_block / BLOCK)
    return statistics.median(raw_times), statistics.median(client_times)


async def _async(sb: Sandbox, blocks: int) -> tuple[float, float]:
    url = f"{sb.api_url}/servers/{sb.server_id}/suppressions"
    headers = {"Authorization": f"Bearer {sb.api_key}", "Accept": "application/json"}
    raw_times, client_times = [], []
    async with (
        httpx.AsyncClient() as raw,
        AsyncSocketLabs(
            api_key=sb.api_key,
            server_id=sb.server_id,
            base_url=sb.api_url,
            inject_url=sb.inject_url,
            rate_limiter=RateLimiter(UNLIMITED),
        ) as client,
    ):
        for i in range(blocks + 1):
            start = time.perf_counter()
            for _ in range(BLOCK):
                (await raw.get(url, params={"emailAddress": "a@example.com"}, headers=headers)).json()
            raw_block = time.perf_counter() - start
            start = time.perf_counter()
            for _ in range(BLOCK):
                await client.suppressions.check(email_address="a@example.com")
            client_block = time.perf_counter() - start
            if i:
                raw_times.append(raw_block / BLOCK)
                client_times.append(client_block / BLOCK)
    return statistics.median(raw_times), statistics.median(client_times)


def _report(name: str, raw: float, ours: float) -> None:
    print(
        f"{name}: raw httpx {raw * 1e3:.3f} ms/call, client {ours * 1e3:.3f} ms/call, ratio {ours / raw:.3f}"
    )


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    blocks = max(1, calls // BLOCK)
    with Sandbox() as sb:
        _report("sync ", *_sync(sb, blocks))
        _report("async", *asyncio.run(_async(sb, blocks)))
    print(f"({blocks} alternating blocks of {BLOCK} calls each side, medians of per-block means)")


if __name__ == "__main__":
    main()
