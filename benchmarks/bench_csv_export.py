"""CSV export: constant memory and rows per second, next to csv.reader over a local file.

Not a test: it prints figures and never fails on speed.

This process runs the sandbox (a million seeded suppressions). Each export
runs in a fresh child process, so the peak RSS printed is the client's alone:
the child streams ``client.suppressions.download(...)`` to a file, then times
``csv.reader`` over the same bytes read back from that local file. If memory
is constant, the peak RSS at 1M rows is about the same as at 100k (the ratio
is near 1), however large the export.

Run: ``PYTHONPATH=overrides:generated python benchmarks/bench_csv_export.py``
(``--rows 100000 1000000 --page-size 50000`` are the defaults).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from socketlabs_sandbox import Sandbox, SandboxConfig

# Peak RSS is read from /proc (VmHWM), not getrusage: ru_maxrss survives exec, so a
# child forked from this sandbox process would report the sandbox's memory.
CHILD = r"""
import csv, json, sys, tempfile, time
from pathlib import Path
from socketlabs_client import SocketLabs

def hwm_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

api_url, key, server_id = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows, page_size = int(sys.argv[4]), int(sys.argv[5])
with SocketLabs(key, server_id, base_url=api_url, timeout=600) as client:
    baseline = hwm_kib()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        download = client.suppressions.download(page_size=page_size, max_rows=rows, sort_field="emailAddress")
        started, cpu = time.perf_counter(), time.process_time()
        written = download.save(path)
        export_s, export_cpu = time.perf_counter() - started, time.process_time() - cpu
        peak = hwm_kib()
        started, cpu = time.perf_counter(), time.process_time()
        with path.open(newline="", encoding="utf-8") as file:
            read = sum(1 for _ in csv.reader(file)) - 1
        reader_s, reader_cpu = time.perf_counter() - started, time.process_time() - cpu
        size = path.stat().st_size
print(json.dumps({"rows": written, "read": read, "export_s": export_s, "reader_s": reader_s,
                  "export_cpu": export_cpu, "reader_cpu": reader_cpu,
                  "baseline_kib": baseline, "peak_kib": peak, "bytes": size}))
"""


def _export(sandbox: Sandbox, rows: int, page_size: int) -> dict[str, float]:
    """Export ``rows`` rows in a child process and return what it measured."""
    result = subprocess.run(  # our own interpreter and script
        [
            sys.executable,
            "-c",
            CHILD,
            sandbox.api_url,
            sandbox.api_key,
            str(sandbox.server_id),
            str(rows),
            str(page_size),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def main() -> int:
    """Seed the sandbox, run each export, print the table and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--page-size", type=int, default=50_000)
    args = parser.parse_args()
    largest = max(args.rows)
    started = time.perf_counter()
    with Sandbox(SandboxConfig(suppressions=largest)) as sandbox:
        print(f"sandbox with {largest:,} seeded suppressions up in {time.perf_counter() - started:.1f} s")
        _export(sandbox, 1, args.page_size)  # warm up: the sandbox sorts its list once
        results = []
        for rows in args.rows:
            figures = _export(sandbox, rows, args.page_size)
            assert figures["rows"] == figures["read"] == rows, figures
            results.append(figures)
    print()
    print(
        f"{'rows':>10} {'MB':>6} {'RSS before':>10} {'peak RSS':>9} | {'export rows/s':>13}"
        f" {'csv.reader':>10} {'ratio':>6} | {'per CPU-s':>10} {'csv.reader':>10} {'ratio':>6}"
    )
    for f in results:
        wall = (f["rows"] / f["export_s"], f["rows"] / f["reader_s"])
        cpu = (f["rows"] / f["export_cpu"], f["rows"] / f["reader_cpu"])
        print(
            f"{int(f['rows']):>10,} {f['bytes'] / 1e6:>6.1f} {f['baseline_kib'] / 1024:>8.1f}MB"
            f" {f['peak_kib'] / 1024:>7.1f}MB | {wall[0]:>13,.0f} {wall[1]:>10,.0f} {wall[0] / wall[1]:>6.3f}"
            f" | {cpu[0]:>10,.0f} {cpu[1]:>10,.0f} {cpu[0] / cpu[1]:>6.3f}"
        )
    first, last = results[0], results[-1]
    print()
    print(
        f"peak RSS {int(last['rows']):,} rows / {int(first['rows']):,} rows:"
        f" {last['peak_kib'] / first['peak_kib']:.3f} (1.0 = constant memory;"
        f" {last['rows'] / first['rows']:.0f}x the rows)"
    )
    print(
        "export rows/s is wall clock and includes the sandbox rendering the CSV on the same cores;"
        " 'per CPU-s' counts the client process's own CPU time only."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
