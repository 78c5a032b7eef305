"""10,000 recipients through ``client.injection.send`` with ~20% of requests faulted.

Checked at the sandbox, which records what it really accepted: no recipient
was accepted twice, and every recipient is accounted for exactly once as
sent (the API said so), failed (the client knows it was not sent) or in
doubt (``OutcomeUnknownError`` named it). Rate limits are on, with the window
shortened to one second, and the client's limiter uses the same window.
"""

from __future__ import annotations

import asyncio

from socketlabs_api.models import Address, InjectionRequest, Message
from socketlabs_client import (
    AsyncSocketLabs,
    OutcomeUnknownError,
    RateLimiter,
    RetryPolicy,
    SocketLabsError,
)
from socketlabs_sandbox import FaultKind, Sandbox, SandboxConfig

RECIPIENTS = 10_000
PER_MESSAGE = 4
PER_REQUEST = 10  # messages; the Injection API's limit
WINDOW = 1.0
FAULTS = [
    (FaultKind.RESET_BEFORE, 500),
    (FaultKind.RESET_AFTER, 500),
    (FaultKind.SERVER_ERROR, 500),
    (FaultKind.SERVER_ERROR, 503),
    (FaultKind.MALFORMED_JSON, 500),
]
RATE_EACH = 0.045  # five faults: 1 - 0.955**5 = 20.5% of requests


def _batches(server_id: int) -> list[InjectionRequest]:
    addresses = [f"r{i:05d}@example.com" for i in range(RECIPIENTS)]
    messages = [
        Message(
            to=[Address(a) for a in addresses[i : i + PER_MESSAGE]],
            from_=Address("bulk@example.com"),
            subject="Bulk",
            text_body="hello",
            message_id=f"m{i // PER_MESSAGE:05d}",
        )
        for i in range(0, RECIPIENTS, PER_MESSAGE)
    ]
    return [
        InjectionRequest(server_id=server_id, messages=messages[i : i + PER_REQUEST])
        for i in range(0, len(messages), PER_REQUEST)
    ]


def _recipients(request: InjectionRequest) -> set[str]:
    return {address.email_address for message in request.messages for address in message.to or []}


async def _send_all(sb: Sandbox, batches: list[InjectionRequest]) -> tuple[set[str], set[str], set[str]]:
    sent: set[str] = set()
    failed: set[str] = set()
    in_doubt: set[str] = set()
    limiter = RateLimiter(RateLimiter.scaled(WINDOW / 60), margin=0.02)
    policy = RetryPolicy(initial_backoff=0.005, max_backoff=0.05, max_retries=5)
    gate = asyncio.Semaphore(8)
    async with AsyncSocketLabs(
        api_key=sb.api_key,
        server_id=sb.server_id,
        base_url=sb.api_url,
        inject_url=sb.inject_url,
        retry=policy,
        rate_limiter=limiter,
        timeout=10,
    ) as client:

        async def one(request: InjectionRequest) -> None:
            async with gate:
                try:
                    result = await client.injection.send(request)
                except OutcomeUnknownError as exc:
                    in_doubt.update(r for d in exc.in_doubt for r in d.recipients)
                    return
                except SocketLabsError:
                    failed.update(_recipients(request))
                    return
            rejected = {
                a.email_address
                for m in result.message_results or []
                for a in m.address_results or []
                if not a.accepted
            }
            failed.update(rejected)
            sent.update(_recipients(request) - rejected)

        await asyncio.gather(*(one(b) for b in batches))
    return sent, failed, in_doubt


def test_ten_thousand_recipients_with_twenty_percent_faults() -> None:
    with Sandbox(SandboxConfig(rate_limit_window=WINDOW)) as sb:
        for seed, (kind, status) in enumerate(FAULTS):
            sb.faults.add(kind, operation="sendEmail", rate=RATE_EACH, status=status, seed=seed)
        batches = _batches(sb.server_id)
        sent, failed, in_doubt = asyncio.run(_send_all(sb, batches))
        processed = sb.processed_per_recipient()
        injected = sum(sb.faults.injected.values())

    everyone = {f"r{i:05d}@example.com" for i in range(RECIPIENTS)}
    # zero duplicates: the sandbox accepted no recipient twice
    assert max(processed.values()) == 1
    # every recipient accounted for exactly once
    assert sent | failed | in_doubt == everyone
    assert not (sent & failed) and not (sent & in_doubt) and not (failed & in_doubt)
    # the client's account agrees with what the sandbox did
    assert sent <= set(processed)
    assert not (failed & set(processed))
    assert set(processed) <= sent | in_doubt
    # the faults really happened (~20% of ~250 requests plus retries), and 503s were retried to success
    assert injected >= 30
    assert len(in_doubt) > 0 and len(sent) > 0.7 * RECIPIENTS
    print(
        f"\n10k run: {len(batches)} requests, {injected} faults injected, sent {len(sent)},"
        f" failed {len(failed)}, in doubt {len(in_doubt)} (of which processed"
        f" {len(in_doubt & set(processed))}), sandbox refusals {sb.limits.counters.refused_total}"
    )
