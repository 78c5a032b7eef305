"""Cold import time of ``socketlabs_client`` next to ``httpx`` and the vendor's ``socketlabs``.

Each import runs in a fresh interpreter (``python -c "import X"``), timed from
outside, so interpreter start-up is in every figure alike. The bytecode caches
are written first (one warm-up import each, with ``PYTHONDONTWRITEBYTECODE``
cleared), because an installed package ships compiled and the comparison is of
imports, not of compiling. Rounds alternate between the modules so drift on a
busy machine hits all of them; the figures are medians. Prints figures,
asserts nothing. The vendor's library (``socketlabs-injectionapi``) is skipped
with a note when it is not installed.

Run it with the interpreter of a base install (``pip install socketlabs-client``,
no extras): with click importable, ``import httpx`` also loads httpx's own
command line (click, rich, pygments), which inflates the yardstick; the
``cli`` extra is what keeps click out of users' apps. The first line says
whether click is importable. ``--breakdown`` prints, per top-level package,
the median self time ``python -X importtime`` reports for each statement:
where the difference to ``import httpx`` goes.

Usage: ``python benchmarks/import_time.py [rounds] [--breakdown [--construct]]`` (default 15);
``--construct`` breaks down the import plus building a client instead of the import alone.
The same pair with a public tool (whole processes, medians)::

    hyperfine -N -w 2 -r 20 "$PY -c 'import httpx'" "$PY -c 'from socketlabs_client import SocketLabs'"

What the client import must not load (the transport's httpcore, asyncio, the
pagers, the webhook models, ...) is guarded without timing by
``tests/unit/test_package_layering.py``.
"""

from __future__ import annotations

import collections
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
    "SocketLabs()": 'from socketlabs_client import SocketLabs; SocketLabs(api_key="k", server_id=1)',
    "httpx": "import httpx",
    "socketlabs": "import socketlabs",
}
"""What is timed: the package alone is lazy, so the client class is timed too, and a client built
from it: work moved from the import into the constructor is no saving for a program that does both."""


def _module_of(statement: str) -> str:
    return statement.split()[1].rstrip(";")


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
    modules = [n for n in STATEMENTS if importlib.util.find_spec(_module_of(STATEMENTS[n])) is not None]
    for module in modules:
        _once(module, env)  # writes the bytecode caches
    samples: dict[str, list[float]] = {m: [] for m in modules}
    for _ in range(rounds):
        for module in modules:
            samples[module].append(_once(module, env))
    return {m: statistics.median(times) for m, times in samples.items()}


def breakdown(statement: str, rounds: int) -> dict[str, float]:
    """Median self seconds per top-level package while ``statement`` runs in a fresh interpreter."""
    env = _environment()
    runs: list[collections.Counter[str]] = []
    for _ in range(rounds):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", statement],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        selfs: collections.Counter[str] = collections.Counter()
        for line in done.stderr.splitlines()[1:]:
            parts = line.split("|")
            if len(parts) == 3 and ":" in parts[0]:
                selfs[parts[2].strip().split(".")[0]] += int(parts[0].split(":")[1])
        runs.append(selfs)
    packages = set().union(*runs)
    return {p: statistics.median(r.get(p, 0) for r in runs) / 1e6 for p in packages}


def main(argv: list[str]) -> int:
    """Print the medians and the ratios to ``import httpx`` and to the vendor's library."""
    numbers = [a for a in argv[1:] if a.isdigit()]
    rounds = int(numbers[0]) if numbers else 15
    clicked = importlib.util.find_spec("click") is not None
    print(f"click importable (httpx then loads its command line): {clicked}")
    if "--breakdown" in argv:
        statement = STATEMENTS["SocketLabs()" if "--construct" in argv else "SocketLabs"]
        ours, theirs = breakdown(statement, rounds), breakdown(STATEMENTS["httpx"], rounds)
        print(f"{'package':<24} {'SocketLabs':>10} {'httpx':>8}  (median self ms, -X importtime)")
        for package, spent in sorted(ours.items(), key=lambda item: -item[1])[:20]:
            print(f"{package:<24} {spent * 1000:10.1f} {theirs.get(package, 0) * 1000:8.1f}")
        print(f"{'total':<24} {sum(ours.values()) * 1000:10.1f} {sum(theirs.values()) * 1000:8.1f}")
        return 0
    medians = measure(rounds)
    for name, statement in STATEMENTS.items():
        if name in medians:
            print(f"{statement:<80} {medians[name] * 1000:7.1f} ms (median of {rounds})")
        else:
            print(f"{statement:<80} not installed")
    for name in ("socketlabs_client", "SocketLabs", "SocketLabs()"):
        ours = medians[name]
        print(f"{STATEMENTS[name]:<80} / import httpx      {ours / medians['httpx']:.2f}x")
        if "socketlabs" in medians:
            print(f"{STATEMENTS[name]:<80} / import socketlabs {ours / medians['socketlabs']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
