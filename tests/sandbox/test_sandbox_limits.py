"""The sandbox's rate limits: its tables agree with the spec, and it answers as assumed/documented."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from socketlabs_sandbox import Sandbox, SandboxConfig
from socketlabs_sandbox._limits import FAMILIES, LIMITS


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_sandbox_reads_the_limits_as_the_spec_states_them(spec: dict[str, Any]) -> None:
    table = {name: (rate["limit"], float(rate["period"])) for name, rate in spec["x-rate-limits"].items()}
    assert table == LIMITS
    declared = {
        op["operationId"]: op["x-rate-limit-family"]
        for item in spec["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "x-rate-limit-family" in op
    }
    assert declared == FAMILIES


@pytest.fixture(scope="module")
def limited() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(rate_limit_window=60.0)) as sb:
        yield sb


@pytest.fixture
def lsb(limited: Sandbox) -> Iterator[Sandbox]:
    limited.reset()
    clock = FakeClock()
    limited.limits.clock = clock
    yield limited


def _check(sb: Sandbox, http: httpx.Client) -> httpx.Response:
    return http.get(
        f"{sb.api_url}/servers/{sb.server_id}/suppressions",
        params={"emailAddress": "a@example.com"},
        headers={"Authorization": f"Bearer {sb.api_key}"},
    )


def _report(sb: Sandbox, http: httpx.Client) -> httpx.Response:
    return http.get(
        f"{sb.api_url}/servers/{sb.server_id}/reports/messages/detail",
        headers={"Authorization": f"Bearer {sb.api_key}"},
    )


def test_the_101st_v2_request_gets_429_with_retry_after_and_the_envelope(
    lsb: Sandbox, http: httpx.Client
) -> None:
    clock = lsb.limits.clock
    assert isinstance(clock, FakeClock)
    for _ in range(100):
        assert _check(lsb, http).status_code == 200
    clock.now += 45.5
    refused = _check(lsb, http)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "15"  # 14.5 s left, rounded up
    assert refused.json()["error"][0]["errorType"] == "RateLimitExceeded"
    clock.now += 14.5
    assert _check(lsb, http).status_code == 200
    assert lsb.limits.counters.refused == {"default": 1}


def test_report_message_operations_have_their_own_30_on_top(lsb: Sandbox, http: httpx.Client) -> None:
    for _ in range(30):
        assert _report(lsb, http).status_code == 200
    assert _report(lsb, http).status_code == 429
    assert _check(lsb, http).status_code == 200  # the key's budget still has room
    assert lsb.limits.counters.refused == {"reports-message": 1}


def test_injection_over_the_limit_is_over_quota_and_nothing_is_sent(lsb: Sandbox, http: httpx.Client) -> None:
    for _ in range(100):
        _check(lsb, http)
    body = {
        "ServerId": lsb.server_id,
        "ApiKey": lsb.api_key,
        "Messages": [
            {
                "To": [{"EmailAddress": "q@example.com"}],
                "From": {"EmailAddress": "f@example.com"},
                "Subject": "s",
                "TextBody": "t",
            }
        ],
    }
    answer = http.post(f"{lsb.inject_url}/email", json=body)
    assert answer.status_code == 200
    assert answer.json()["ErrorCode"] == "OverQuota"
    assert lsb.state.sent == []


def test_limits_are_off_unless_a_window_is_configured(sb: Sandbox, http: httpx.Client) -> None:
    for _ in range(120):
        assert _check(sb, http).status_code == 200
    assert sb.limits.counters.refused_total == 0
