"""The request lifecycle's costs, in one run, against a static server in another process.

Prints, side by side with the baselines a user would otherwise write:

1. per-call overhead of ``client.suppressions.check`` vs the same GET with raw
   httpx (keep-alive), sync and async; blocks alternate so machine drift hits both;
2. CSV peak RSS by page size: a 1M-row export at 10,000 and at 500,000 rows a
   page (the API's maximum), each in a fresh process, next to raw ``httpx.stream``
   + ``csv.reader`` at 500,000;
3. CSV rows per second, client vs that raw baseline.

The server (``static_server.py``) is its own process, so its work never shares
the client's GIL. Not a test: figures only.

Usage: ``python benchmarks/lifecycle.py [--rows 1000000] [--calls 2000]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
KEY = "benchmark-key"

OVERHEAD = r"""
import asyncio, json, statistics, sys, time
import httpx
from socketlabs_client import AsyncSocketLabs, SocketLabs

url, calls = sys.argv[1], int(sys.argv[2])
BLOCK = 100
target = f"{url}/v2/servers/1/suppressions"
headers = {"Authorization": "Bearer k", "Accept": "application/json"}
params = {"emailAddress": "a@example.com"}

def sync():
    raw_t, ours_t = [], []
    with httpx.Client() as raw, SocketLabs("k", 1, base_url=f"{url}/v2", rate_limiter=False) as ours:
        for _ in range(calls // BLOCK):
            t = time.perf_counter()
            for _ in range(BLOCK):
                raw.get(target, params=params, headers=headers).json()
            raw_t.append((time.perf_counter() - t) / BLOCK)
            t = time.perf_counter()
            for _ in range(BLOCK):
                ours.suppressions.check(email_address="a@example.com")
            ours_t.append((time.perf_counter() - t) / BLOCK)
    return statistics.median(raw_t), statistics.median(ours_t)

async def aio():
    raw_t, ours_t = [], []
    ours_client = AsyncSocketLabs("k", 1, base_url=f"{url}/v2", rate_limiter=False)
    async with httpx.AsyncClient() as raw, ours_client as ours:
        for _ in range(calls // BLOCK):
            t = time.perf_counter()
            for _ in range(BLOCK):
                (await raw.get(target, params=params, headers=headers)).json()
            raw_t.append((time.perf_counter() - t) / BLOCK)
            t = time.perf_counter()
            for _ in range(BLOCK):
                await ours.suppressions.check(email_address="a@example.com")
            ours_t.append((time.perf_counter() - t) / BLOCK)
    return statistics.median(raw_t), statistics.median(ours_t)

print(json.dumps({"sync": sync(), "async": asyncio.run(aio())}))
"""

CSV_CHILD = r"""
import csv, json, sys, time
import httpx
from socketlabs_client import SocketLabs

def hwm_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

url, rows, page_size, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
baseline = hwm_kib()
count = 0
started = time.perf_counter()
if mode == "client":
    with SocketLabs("k", 1, base_url=f"{url}/v2", rate_limiter=False, timeout=600) as client:
        for batch in client.suppressions.download(page_size=page_size).batches():
            count += len(batch)
else:
    with httpx.Client(timeout=600) as raw:
        for page in range(0, (rows + page_size - 1) // page_size):
            query = {"pageSize": page_size, "pageNumber": page}
            with raw.stream("GET", f"{url}/v2/servers/1/suppressions/download", params=query) as response:
                reader = csv.reader(response.iter_lines())
                next(reader)
                for _ in reader:
                    count += 1
seconds = time.perf_counter() - started
print(json.dumps({"rows": count, "seconds": seconds, "peak_kib": hwm_kib() - baseline}))
"""


def _child(code: str, *args: object) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Start the static server, run each measurement in a fresh process, print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, str(HERE / "static_server.py"), str(args.rows)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        overhead = _child(OVERHEAD, url, args.calls)
        print(f"per-call overhead vs raw httpx ({args.calls} calls, medians of {100}-call blocks)")
        for mode in ("sync", "async"):
            raw, ours = overhead[mode]  # type: ignore[misc]
            print(f"  {mode:5}  raw {raw * 1e6:7.1f} us  client {ours * 1e6:7.1f} us  ratio {ours / raw:.3f}")
        print(f"CSV export of {args.rows:,} rows (fresh process each; peak RSS above the process's start)")
        results = {}
        for label, size, mode in (
            ("client, 10,000 a page", 10_000, "client"),
            ("client, 500,000 a page", 500_000, "client"),
            ("raw httpx.stream + csv.reader, 500,000 a page", 500_000, "raw"),
        ):
            got = _child(CSV_CHILD, url, args.rows, size, mode)
            results[label] = got
            rate = float(got["rows"]) / float(got["seconds"])  # type: ignore[arg-type]
            print(
                f"  {label:48} rows {got['rows']:>9,}  {rate:>11,.0f} rows/s  peak +{got['peak_kib']:,} KiB"
            )
        small, large, raw = results.values()
        growth = int(str(large["peak_kib"])) / max(int(str(small["peak_kib"])), 1)
        print(f"  peak RSS, 500,000 vs 10,000 a page: {growth:.2f}x")
        client_rate = float(large["rows"]) / float(large["seconds"])  # type: ignore[arg-type]
        raw_rate = float(raw["rows"]) / float(raw["seconds"])  # type: ignore[arg-type]
        print(f"  rows/s, raw vs client at 500,000 a page: {raw_rate / client_rate:.2f}x")
    finally:
        server.terminate()
        server.wait(5)


if __name__ == "__main__":
    main()
