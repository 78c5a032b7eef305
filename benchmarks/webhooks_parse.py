"""How much parsing and authenticating a webhook post costs next to a bare ``json.loads``.

Prints per-post times and ratios for: ``json.loads`` alone; ``parse_event``
(decode, normalise, typed model, type checks); ``parse_event`` with a
secret check against three secrets; ``WebhookReceiver.handle`` (all of that
plus the callback and the answer). A benchmark, not a test: it asserts nothing.

Run: python benchmarks/webhooks_parse.py
"""

from __future__ import annotations

import json
import timeit
from pathlib import Path

from socketlabs_client import WebhookReceiver, WebhookSecrets, parse_event

EXAMPLES = Path(__file__).resolve().parents[1] / "spec" / "examples"


def main() -> None:
    """Time each step on every example event and print the medians' ratios."""
    bodies = [p.read_bytes() for p in sorted(EXAMPLES.glob("webhook-*.json"))]
    secrets = WebhookSecrets(["old-secret", "ABC123", "next-secret"])
    receiver = WebhookReceiver(lambda event: None, secrets=secrets)
    cases = {
        "json.loads": lambda: [json.loads(b) for b in bodies],
        "parse_event": lambda: [parse_event(b, "application/json") for b in bodies],
        "parse_event+secrets": lambda: [parse_event(b, "application/json", secrets=secrets) for b in bodies],
        "receiver.handle": lambda: [receiver.handle(b, "application/json") for b in bodies],
    }
    rounds = 200
    per_post: dict[str, float] = {}
    for name, case in cases.items():
        best = min(timeit.repeat(case, number=rounds, repeat=5))
        per_post[name] = best / rounds / len(bodies)
    base = per_post["json.loads"]
    for name, seconds in per_post.items():
        print(f"{name:22s} {seconds * 1e6:8.1f} µs/post   x{seconds / base:6.1f} vs json.loads")


if __name__ == "__main__":
    main()
