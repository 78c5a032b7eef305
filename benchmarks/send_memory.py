"""Benchmark (not a test): the memory a merge send holds, per recipient, while it runs and after.

    PYTHONPATH=overrides:generated python benchmarks/send_memory.py [--recipients N [N ...]]

For each size, a fresh child process builds one merge (``BulkMessage``) whose
recipients come from a generator (as from a CSV reader) and sends it with
``client.send`` to a sandbox in another process (so the server's memory is
not counted). ``tracemalloc`` (started after the imports and the client)
gives the peak of Python memory during the send, what is still held when
``send`` has returned while the report is kept, and what is held once the
report is dropped too. A baseline in the same child: the same recipients
collected into a list, the least a caller holds to have them all
at once.

Speed is not the point and is never asserted.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from bench_injection import CHILD, _start

SEND = """
import gc, json, sys, tracemalloc
from socketlabs_client import BulkMessage, BulkRecipient, SocketLabs
from socketlabs_sandbox import DEFAULT_API_KEY, DEFAULT_SERVER_ID

port, count = int(sys.argv[1]), int(sys.argv[2])

def rows():
    for i in range(count):
        yield BulkRecipient(f"r{i}@example.com", f"Recipient {i}", {"Code": str(i)})

client = SocketLabs(api_key=DEFAULT_API_KEY, server_id=DEFAULT_SERVER_ID, rate_limiter=False,
                    inject_url=f"http://127.0.0.1:{port}/api/v1")
gc.collect()
tracemalloc.start()
held = list(rows())
baseline = tracemalloc.get_traced_memory()[0]
del held
gc.collect()
tracemalloc.reset_peak()
start = tracemalloc.get_traced_memory()[0]
bulk = BulkMessage(subject="Hi %%RecipientName%%", from_="noreply@example.com",
                   text="Your code is %%Code%%", recipients=rows())
report = client.send(bulk)
peak = tracemalloc.get_traced_memory()[1] - start
gc.collect()
after = tracemalloc.get_traced_memory()[0] - start
counts = {o.value: n for o, n in report.counts.items()}
accepted = counts.get("accepted", 0)
del report, bulk
gc.collect()
freed = tracemalloc.get_traced_memory()[0] - start
print(json.dumps({"recipients": count, "peak": peak, "after": after, "freed": freed,
                  "baseline": baseline, "accepted": accepted}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    sandbox, port = _start(CHILD, "", "")
    try:
        print(
            f"{'recipients':>10} | {'peak':>9} {'per rcpt':>8} | {'held after send':>15} |"
            f" {'after del':>9} | {'list of rows (baseline)':>23}"
        )
        for count in args.recipients:
            out = subprocess.run(
                [sys.executable, "-c", SEND, str(port), str(count)],
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode:
                raise SystemExit(out.stderr)
            got = json.loads(out.stdout.strip().splitlines()[-1])
            mib = 1024 * 1024
            print(
                f"{count:>10,} | {got['peak'] / mib:>7.1f}MB {got['peak'] / count:>6.0f} B |"
                f" {got['after'] / mib:>13.1f}MB | {got['freed'] / mib:>7.1f}MB |"
                f" {got['baseline'] / mib:>21.1f}MB  (accepted {got['accepted']:,})"
            )
    finally:
        sandbox.kill()


if __name__ == "__main__":
    main()
