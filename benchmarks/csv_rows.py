"""CSV ``.rows()`` and ``.batches()`` next to raw ``httpx.stream`` + ``csv.reader``: time per row.

The static server (``static_server.py``) runs in its own process. Rounds
alternate between the raw baseline and the client (so drift on a busy
machine hits both), and the figures are medians of the rounds. Each round
reads every row of the export: the client through its whole stack (the
lifecycle, the body guard, ``Content-Range`` checks, records split across
chunks), the baseline with no checks at all. Not a test: figures only.

Usage: ``PYTHONPATH=overrides:generated python benchmarks/csv_rows.py [--rows 300000] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from socketlabs_client import SocketLabs

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 100_000


def _raw(url: str, rows: int) -> int:
    count = 0
    with httpx.Client(timeout=600) as raw:
        for page in range((rows + PAGE_SIZE - 1) // PAGE_SIZE):
            query = {"pageSize": PAGE_SIZE, "pageNumber": page}
            with raw.stream("GET", f"{url}/v2/servers/1/suppressions/download", params=query) as response:
                reader = csv.reader(response.iter_lines())
                next(reader)
                for _ in reader:
                    count += 1
    return count


def _rows(url: str, rows: int) -> int:
    count = 0
    with SocketLabs("k" * 20, 1, base_url=f"{url}/v2", rate_limiter=False, timeout=600) as client:
        for _ in client.suppressions.download(page_size=PAGE_SIZE).rows():
            count += 1
    return count


def _batches(url: str, rows: int) -> int:
    count = 0
    with SocketLabs("k" * 20, 1, base_url=f"{url}/v2", rate_limiter=False, timeout=600) as client:
        for batch in client.suppressions.download(page_size=PAGE_SIZE).batches():
            count += len(batch)
    return count


def _timed(read: Callable[[str, int], int], url: str, rows: int) -> float:
    started = time.perf_counter()
    count = read(url, rows)
    seconds = time.perf_counter() - started
    if count != rows:
        raise SystemExit(f"{read.__name__} read {count} rows, not {rows}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, str(HERE / "static_server.py"), str(args.rows)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        readers = {
            "raw httpx.stream + csv.reader": _raw,
            "client .rows()": _rows,
            "client .batches()": _batches,
        }
        times: dict[str, list[float]] = {name: [] for name in readers}
        _timed(_rows, url, args.rows)  # warm up both sides once
        _timed(_raw, url, args.rows)
        for _ in range(args.rounds):
            for name, read in readers.items():
                times[name].append(_timed(read, url, args.rows))
        baseline = statistics.median(times["raw httpx.stream + csv.reader"])
        print(f"{args.rows:,} rows, {PAGE_SIZE:,} a page, medians of {args.rounds} interleaved rounds")
        for name, seconds in times.items():
            median = statistics.median(seconds)
            print(f"  {name:32} {args.rows / median:>12,.0f} rows/s   {median / baseline:.3f}x the raw time")
    finally:
        server.terminate()
        server.wait(5)


if __name__ == "__main__":
    main()
