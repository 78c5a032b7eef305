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
STATEMENTS = {
    "socketlabs_client": "import socketlabs_client",
    "SocketLabs": "from socketlabs_client import SocketLabs",
    "httpx": "import httpx",
    "socketlabs": "import socketlabs",
}
"""What is timed: the package alone is lazy, so the client class is timed too (what a program does)."""


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _once(name: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", STATEMENTS[name]], env=env, check=True)
    return time.perf_counter() - start


def measure(rounds: int) -> dict[str, float]:
    """Median seconds of a fresh-process import of each available module."""
    env = _environment()
    modules = [n for n in STATEMENTS if importlib.util.find_spec(STATEMENTS[n].split()[1]) is not None]
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
    for name, statement in STATEMENTS.items():
        if name in medians:
            print(f"{statement:<42} {medians[name] * 1000:7.1f} ms (median of {rounds})")
        else:
            print(f"{statement:<42} not installed")
    for name in ("socketlabs_client", "SocketLabs"):
        ours = medians[name]
        print(f"{STATEMENTS[name]:<42} / import httpx      {ours / medians['httpx']:.2f}x")
        if "socketlabs" in medians:
            print(f"{STATEMENTS[name]:<42} / import socketlabs {ours / medians['socketlabs']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
