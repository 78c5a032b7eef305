"""The seeded history's anchor, one outcome for reports and webhooks, and the sandbox's documented surface."""

from __future__ import annotations

import datetime as dt
import pydoc

import httpx
import pytest
from socketlabs_sandbox import FIXED_ANCHOR, Sandbox, SandboxConfig, SandboxState, SentMessage, events_for
from socketlabs_sandbox._dates import DAY, format_instant
from socketlabs_sandbox._state import final_status

NOW = 1_790_000_000  # a fake clock: some moment in 2026


def test_the_history_ends_when_the_sandbox_is_made_by_default() -> None:
    state = SandboxState(SandboxConfig(report_messages=100), clock=lambda: NOW)
    assert state.anchor == NOW
    assert state.log.time_of(99) <= NOW and state.log.time_of(0) >= NOW - 30 * DAY
    state.clock = lambda: NOW + 5 * DAY
    state.reset()
    assert state.anchor == NOW  # a reset keeps the rows where they were


def test_a_fixed_anchor_gives_the_same_rows_any_day() -> None:
    today = SandboxState(SandboxConfig(anchor=FIXED_ANCHOR), clock=lambda: NOW)
    later = SandboxState(SandboxConfig(anchor=FIXED_ANCHOR), clock=lambda: NOW + 400 * DAY)
    assert today.log.row(7) == later.log.row(7)
    assert today.anchor == int(FIXED_ANCHOR.timestamp())


def test_a_naive_anchor_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        SandboxConfig(anchor=dt.datetime(2026, 1, 1))


def test_the_last_7_days_of_failed_messages_have_rows() -> None:
    with Sandbox() as sb:  # the default anchor: now
        start = format_instant(sb.state.now() - 7 * DAY)
        response = httpx.get(
            f"{sb.api_url}/servers/{sb.server_id}/reports/messages/detail",
            params={"startDate": start, "filters": "status=eq:Failed", "pageSize": 100},
            headers={"Authorization": f"Bearer {sb.api_key}"},
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] > 0 and {row["status"] for row in body["data"]} == {"Failed"}


@pytest.mark.parametrize(
    ("address", "suppressed", "status", "last_event"),
    [
        ("bounce@example.com", False, "Failed", "Failed"),
        ("fail.me@example.com", False, "Failed", "Failed"),
        ("ann@example.com", True, "Suppressed", "Failed"),
        ("complain@example.com", False, "Complaint", "Complaint"),
        ("defer@example.com", False, "Delivered", "Delivered"),
    ],
)
def test_reports_and_webhooks_tell_the_same_outcome(
    address: str, suppressed: bool, status: str, last_event: str
) -> None:
    assert final_status(address, suppressed=suppressed) == status
    sent = SentMessage(1, 0, address, None, "me@example.com", "S", "m-1", None, status, NOW)
    types = [event["Type"] for event in events_for(sent, seed=1, secret="s")]
    assert last_event in types
    assert ("Failed" in types) == (status in ("Failed", "Suppressed"))
    assert ("Delivered" in types) == (status in ("Delivered", "Complaint"))


def test_help_shows_events_and_every_public_member() -> None:
    text = pydoc.render_doc(Sandbox, renderer=pydoc.plaintext)
    public = [name for name in dir(Sandbox) if not name.startswith("_")]
    assert "events" in public and "anchor" in public and "urls" in public
    for name in public:
        assert f"{name}" in text, name
        member = getattr(Sandbox, name)
        assert (member.__doc__ or "").strip(), f"{name} has no docstring"


def test_the_delivery_control_path_needs_the_key(sandbox_server: Sandbox) -> None:
    url = f"{sandbox_server.api_url}/_sandbox/events/deliver"
    assert httpx.post(url, json={"webhook_url": "http://127.0.0.1:9/"}).status_code == 401
    wrong = httpx.post(
        url, json={"webhook_url": 5}, headers={"Authorization": f"Bearer {sandbox_server.api_key}"}
    )
    assert wrong.status_code == 400
