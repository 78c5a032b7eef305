"""Cold import time of ``socketlabs_client`` next to ``httpx`` and the vendor's ``socketlabs``.

Each import runs in a fresh interpreter (``python -c "import X"``), timed from
outside, so interpreter start-up is in every figure alike. The bytecode caches
are written first (one warm-up import each, with ``PYTHONDONTWRITEBYTECODE``
cleared), because an installed package ships compiled and the comparison is of
imports, not of compiling. Rounds alternate between the modules so drift on a
busy machine hits all of them; the figures are medians. Prints figures,
asserts nothing. The vendor's library (``socketlabs-injectionapi``) is skipped
with a note when it is not installed.

Usage: ``python benchmarks/import_time.py [rounds]`` (default 15).
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import subprocess
import sys
import time

MODULES = ("socketlabs_client", "httpx", "socketlabs")


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _once(module: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import {module}"], env=env, check=True)
    return time.perf_counter() - start


def measure(rounds: int) -> dict[str, float]:
    """Median seconds of a fresh-process import of each available module."""
    env = _environment()
    modules = [m for m in MODULES if importlib.util.find_spec(m) is not None]
    for module in modules:
        _once(module, env)  # writes the bytecode caches
    samples: dict[str, list[float]] = {m: [] for m in modules}
    for _ in range(rounds):
        for module in modules:
            samples[module].append(_once(module, env))
    return {m: statistics.median(times) for m, times in samples.items()}


def main(argv: list[str]) -> int:
    """Print the medians and the ratios to ``import httpx`` and to the vendor's library."""
    rounds = int(argv[1]) if len(argv) > 1 else 15
    medians = measure(rounds)
    for module in MODULES:
        if module in medians:
            print(f"import {module:<18} {medians[module] * 1000:7.1f} ms (median of {rounds})")
        else:
            print(f"import {module:<18} not installed")
    ours = medians["socketlabs_client"]
    print(f"socketlabs_client / httpx      {ours / medians['httpx']:.2f}x")
    if "socketlabs" in medians:
        print(f"socketlabs_client / socketlabs {ours / medians['socketlabs']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
