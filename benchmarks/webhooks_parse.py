"""How much parsing and authenticating a webhook post costs next to a bare ``json.loads``.

Prints per-post times and ratios for: ``json.loads`` alone; ``parse_event``
(decode, normalise, typed model, type checks); ``parse_event`` with a
secret check against three secrets; ``WebhookReceiver.handle`` (all of that
plus the callback and the answer). Each case is timed interleaved with
``json.loads`` of the same bodies, on CPU time, and the median of the rounds'
ratios is printed, so a busy machine moves both sides alike. The target for
``parse_event`` is at most 5x ``json.loads``. A benchmark, not a test: it
asserts nothing.

Run: python benchmarks/webhooks_parse.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from socketlabs_client import WebhookReceiver, WebhookSecrets, parse_event

EXAMPLES = Path(__file__).resolve().parents[1] / "spec" / "examples"
TARGET = 5.0


def _cpu(case: Callable[[], object], number: int) -> float:
    start = time.process_time()
    for _ in range(number):
        case()
    return time.process_time() - start


def main(argv: list[str] | None = None) -> None:
    """Time each step on every example event and print the medians and their ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (default: %(default)s)")
    args = parser.parse_args(argv)
    bodies = [p.read_bytes() for p in sorted(EXAMPLES.glob("webhook-*.json"))]
    secrets = WebhookSecrets(["old-secret", "ABC123", "next-secret"])
    receiver = WebhookReceiver(lambda event: None, secrets=secrets)

    def baseline() -> object:
        return [json.loads(b) for b in bodies]

    cases: dict[str, Callable[[], object]] = {
        "parse_event": lambda: [parse_event(b, "application/json") for b in bodies],
        "parse_event+secrets": lambda: [parse_event(b, "application/json", secrets=secrets) for b in bodies],
        "receiver.handle": lambda: [receiver.handle(b, "application/json") for b in bodies],
    }
    number = 100
    for case in (baseline, *cases.values()):  # warm up: imports, caches
        _cpu(case, 5)
    base_times: list[float] = []
    results: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in cases}
    for _ in range(args.rounds):
        for name, case in cases.items():
            base = _cpu(baseline, number)
            spent = _cpu(case, number)
            base_times.append(base)
            results[name][0].append(spent)
            results[name][1].append(spent / base)
    per_post = number * len(bodies)
    print(f"{'json.loads':22s} {statistics.median(base_times) / per_post * 1e6:8.1f} µs/post   x   1.0")
    for name, (times, ratios) in results.items():
        note = f"   (target: at most x{TARGET:.0f})" if name == "parse_event" else ""
        median = statistics.median(times) / per_post * 1e6
        print(f"{name:22s} {median:8.1f} µs/post   x{statistics.median(ratios):6.1f} vs json.loads{note}")


if __name__ == "__main__":
    main()
