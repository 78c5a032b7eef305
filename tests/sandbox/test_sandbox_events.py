"""The sandbox's outgoing event and inbound posts: what it owes, in which order, valid per the spec."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from socketlabs_sandbox import (
    DEFAULT_WEBHOOK_SECRET,
    EventOutbox,
    InboundFile,
    Sandbox,
    SandboxConfig,
    SentMessage,
    events_for,
)


def _sent(address: str, status: str = "Delivered", mailing_id: str | None = "m-1") -> SentMessage:
    return SentMessage(
        server_id=12345,
        message_index=0,
        address=address,
        friendly_name=None,
        from_address="noreply@example.com",
        subject="Hello",
        message_id="5000000001",
        mailing_id=mailing_id,
        status=status,
        timestamp=1_700_000_000,
    )


def _validator(spec: dict[str, Any], schema: str) -> Draft202012Validator:
    registry = Registry().with_resource(
        "urn:spec", Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    ref = {"$ref": f"urn:spec#/components/schemas/{schema}"}
    return Draft202012Validator(ref, registry=registry, format_checker=FormatChecker())


def _story(address: str, status: str = "Delivered", seed: int = 1) -> list[str]:
    return [
        str(e["Type"]) if e["Type"] != "Tracking" else f"Tracking:{e['TrackingType']}"
        for e in events_for(_sent(address, status), seed=seed, secret="s")
    ]


@pytest.mark.parametrize(
    ("address", "status", "story"),
    [
        ("bounce.me@example.com", "Delivered", ["Queued", "Failed"]),
        ("ann@example.com", "Suppressed", ["Queued", "Failed"]),
        ("defer-then-ok@example.com", "Delivered", ["Queued", "Deferred", "Delivered"]),
        ("complainer@example.com", "Delivered", ["Queued", "Delivered", "Complaint"]),
        ("click@example.com", "Delivered", ["Queued", "Delivered", "Tracking:Click"]),
        ("open@example.com", "Delivered", ["Queued", "Delivered", "Tracking:Open"]),
        ("unsub@example.com", "Delivered", ["Queued", "Delivered", "Tracking:Unsubscribe"]),
    ],
)
def test_the_recipient_chooses_the_story(address: str, status: str, story: list[str]) -> None:
    assert _story(address, status) == story


def test_failure_kinds() -> None:
    bounced = events_for(_sent("bounce@example.com"), seed=1, secret="s")[-1]
    suppressed = events_for(_sent("x@example.com", "Suppressed"), seed=1, secret="s")[-1]
    assert (bounced["FailureType"], bounced["FailureCode"]) == ("Permanent", 2001)
    assert suppressed["FailureType"] == "Suppressed"


def test_plain_addresses_are_deterministic_and_some_are_opened() -> None:
    addresses = [f"user{i}@example.com" for i in range(60)]
    stories = [_story(a) for a in addresses]
    assert stories == [_story(a) for a in addresses]
    opened = sum(s == ["Queued", "Delivered", "Tracking:Open"] for s in stories)
    assert opened + sum(s == ["Queued", "Delivered"] for s in stories) == 60
    assert 5 < opened < 40  # about one in three, by hash
    first = events_for(_sent("user1@example.com"), seed=1, secret="s")
    assert first == events_for(_sent("user1@example.com"), seed=1, secret="s")
    assert first != events_for(_sent("user1@example.com"), seed=2, secret="s")


def test_events_are_valid_per_the_spec(spec: dict[str, Any]) -> None:
    validator = _validator(spec, "WebhookEvent")
    stamp = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$")
    addresses = ["bounce@x.com", "defer@x.com", "complain@x.com", "click@x.com", "open@x.com", "unsub@x.com"]
    events = [e for a in addresses for e in events_for(_sent(a, mailing_id=None), seed=3, secret="s")]
    events += events_for(_sent("y@x.com", "Suppressed"), seed=3, secret="s")
    assert {e["Type"] for e in events} == {
        "Queued",
        "Deferred",
        "Delivered",
        "Failed",
        "Complaint",
        "Tracking",
    }
    for event in events:
        assert list(validator.iter_errors(event)) == [], event
        assert stamp.match(str(event["DateTime"]))
    assert events[0]["MailingId"] == "SL12345-5000000001"


def test_inbound_payload_is_valid_per_the_spec(spec: dict[str, Any], sb: Sandbox) -> None:
    payload = sb.events.inbound_payload(
        mail_from="a@example.org",
        rcpt_to="in@example.com",
        subject="Hi",
        text="body",
        attachments=[InboundFile("a.bin", "application/octet-stream", b"\x00\x01")],
        embedded=[InboundFile("i.png", "image/png", b"png", content_id="i1")],
        headers=[("X-Test", "1")],
    )
    assert list(_validator(spec, "InboundMessage").iter_errors(payload)) == []
    assert payload["SecretKey"] == DEFAULT_WEBHOOK_SECRET


def _inject(sb: Sandbox, http: httpx.Client, *to: str) -> None:
    body = {
        "ServerId": sb.server_id,
        "ApiKey": sb.api_key,
        "Messages": [
            {
                "To": [{"EmailAddress": a} for a in to],
                "From": {"EmailAddress": "noreply@example.com"},
                "Subject": "Hi",
                "TextBody": "x",
            }
        ],
    }
    assert http.post(f"{sb.inject_url}/email", json=body).json()["ErrorCode"] == "Success"


def test_pending_follows_injections_and_reset(sb: Sandbox, http: httpx.Client) -> None:
    assert sb.events.pending() == []
    _inject(sb, http, "bounce@example.com", "open@example.com")
    owed = sb.events.pending()
    assert [(e["Address"], e["Type"]) for e in owed] == [
        ("bounce@example.com", "Queued"),
        ("bounce@example.com", "Failed"),
        ("open@example.com", "Queued"),
        ("open@example.com", "Delivered"),
        ("open@example.com", "Tracking"),
    ]
    assert sb.events.pending() == owed  # asking twice owes nothing twice
    assert {e["MessageId"] for e in owed} == {m.message_id for m in sb.state.sent}
    sb.reset()
    assert sb.events.pending() == []
    _inject(sb, http, "defer@example.com")
    assert [e["Type"] for e in sb.events.pending()][:3] == ["Queued", "Deferred", "Delivered"]


def test_state_reset_alone_is_noticed(sb: Sandbox, http: httpx.Client) -> None:
    _inject(sb, http, "a@example.com")
    sb.state.reset()
    _inject(sb, http, "bounce@example.com")
    assert [e["Address"] for e in sb.events.pending()] == ["bounce@example.com"] * 2


def test_deliver_needs_a_url_and_records_unreachable_receivers(sb: Sandbox, http: httpx.Client) -> None:
    outbox = EventOutbox(sb.state, secret="s")
    with pytest.raises(RuntimeError, match="webhook_url"):
        outbox.deliver()
    with pytest.raises(RuntimeError, match="inbound_url"):
        outbox.send_inbound({})
    _inject(sb, http, "bounce@example.com")
    probe = __import__("socket").socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now: connection refused
    outbox.webhook_url = f"http://127.0.0.1:{port}/events"
    done = outbox.deliver(timeout=5)
    assert [(d.status, d.error is not None) for d in done] == [(None, True), (None, True)]
    assert outbox.delivered == done
    assert outbox.pending() == []
    with pytest.raises(ValueError, match="http"):
        EventOutbox(sb.state, webhook_url="file:///etc/passwd", secret="s").send_validation()


def test_config_sets_the_outbox() -> None:
    config = SandboxConfig(
        webhook_url="http://127.0.0.1:1/e", inbound_url="http://127.0.0.1:1/i", webhook_secret="k"
    )
    outbox = Sandbox(config).events
    assert (outbox.webhook_url, outbox.inbound_url, outbox.secret) == (
        "http://127.0.0.1:1/e",
        "http://127.0.0.1:1/i",
        "k",
    )
    with pytest.raises(ValueError, match="webhook_secret"):
        SandboxConfig(webhook_secret="")


def test_a_message_tags_and_metadata_ride_along_in_data(spec: dict[str, Any]) -> None:
    validator = _validator(spec, "WebhookEvent")
    sent = _sent("bounce@example.com")._replace(tags=("Orders",), metadata=(("OrderId", "A-17"),))
    events = events_for(sent, seed=1, secret="s")
    assert [e["Data"] for e in events] == [
        {"Meta": [{"Key": "OrderId", "Value": "A-17"}], "Tags": ["Orders"]}
    ] * 2
    for event in events:
        assert list(validator.iter_errors(event)) == [], event
    assert all("Data" not in e for e in events_for(_sent("bounce@example.com"), seed=1, secret="s"))
