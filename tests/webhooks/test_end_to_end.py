"""Send mail with the client, let the sandbox post its events, receive them typed: sync and async.

The sandbox posts only when asked (`deliver()`/`adeliver()`), so nothing here
waits on a clock.
"""

from __future__ import annotations

from collections import defaultdict

from socketlabs_api.models import (
    Address,
    InboundMessage,
    InjectionErrorCode,
    InjectionRequest,
    Message,
    WebhookEventComplaint,
    WebhookEventFailed,
    WebhookEventFailureType,
    WebhookEventQueued,
    WebhookEventTracking,
)
from socketlabs_client import (
    AsyncSocketLabs,
    InboundReceiver,
    SocketLabs,
    WebhookEvent,
    WebhookReceiver,
    decode_content,
)
from socketlabs_sandbox import InboundFile, Sandbox

from .conftest import serve_asgi, serve_wsgi

RECIPIENTS = ("ann@example.com", "bounce@example.com", "complain@example.com", "click@example.com")


def _request(sandbox: Sandbox) -> InjectionRequest:
    return InjectionRequest(
        server_id=sandbox.server_id,
        messages=[
            Message(
                to=[Address(a) for a in RECIPIENTS],
                from_=Address("noreply@example.com"),
                subject="Events, please",
                text_body="Hello",
                mailing_id="e2e",
            )
        ],
    )


def _by_address(events: list[WebhookEvent]) -> dict[str, list[str]]:
    stories: dict[str, list[str]] = defaultdict(list)
    for event in events:
        stories[str(getattr(event, "address", "?"))].append(type(event).__name__.removeprefix("WebhookEvent"))
    return dict(stories)


def _check(events: list[WebhookEvent], sandbox: Sandbox) -> None:
    stories = _by_address(events)
    assert stories["bounce@example.com"] == ["Queued", "Failed"]
    assert stories["complain@example.com"] == ["Queued", "Delivered", "Complaint"]
    assert stories["click@example.com"] == ["Queued", "Delivered", "Tracking"]
    assert stories["ann@example.com"][:2] == ["Queued", "Delivered"]
    failed = next(e for e in events if isinstance(e, WebhookEventFailed))
    assert (failed.failure_type, failed.failure_code) == (WebhookEventFailureType.PERMANENT, 2001)
    click = next(e for e in events if isinstance(e, WebhookEventTracking))
    assert (click.tracking_type, click.url) == ("Click", "https://example.com/landing")
    assert any(isinstance(e, WebhookEventComplaint) for e in events)
    queued = [e for e in events if isinstance(e, WebhookEventQueued)]
    assert {e.message_id for e in queued} == {m.message_id for m in sandbox.state.sent}
    assert {(e.mailing_id, e.subject, e.server_id) for e in queued} == {
        ("e2e", "Events, please", sandbox.server_id)
    }
    assert all(e.secret_key == "[redacted]" for e in events)


def test_send_then_receive_events_sync(socketlabs_client: SocketLabs, events_sandbox: Sandbox) -> None:
    received: list[WebhookEvent] = []
    receiver = WebhookReceiver(
        received.append, secrets=events_sandbox.config.webhook_secret, server_ids=events_sandbox.server_id
    )
    result = socketlabs_client.injection.send(_request(events_sandbox))
    assert result.error_code == InjectionErrorCode.SUCCESS
    with serve_asgi(receiver) as url:
        events_sandbox.events.webhook_url = f"{url}/socketlabs/events"
        deliveries = events_sandbox.events.deliver()
    assert deliveries
    assert {d.status for d in deliveries} == {200}
    assert len(received) == len(deliveries)
    _check(received, events_sandbox)
    assert events_sandbox.events.pending() == []


async def test_send_then_receive_events_async(
    async_socketlabs_client: AsyncSocketLabs, events_sandbox: Sandbox
) -> None:
    received: list[WebhookEvent] = []

    async def on_event(event: WebhookEvent) -> None:
        received.append(event)

    receiver = WebhookReceiver(on_event, secrets=["rotated-out", events_sandbox.config.webhook_secret])
    result = await async_socketlabs_client.injection.send(_request(events_sandbox))
    assert result.error_code == InjectionErrorCode.SUCCESS
    with serve_asgi(receiver) as url:
        events_sandbox.events.webhook_url = url
        deliveries = await events_sandbox.events.adeliver()
        validation = events_sandbox.events.send_validation()
    assert {d.status for d in deliveries} == {200}
    assert (validation.status, validation.body) == (200, events_sandbox.config.webhook_secret)
    _check(received, events_sandbox)


def test_a_receiver_with_another_secret_refuses_every_post(
    socketlabs_client: SocketLabs, events_sandbox: Sandbox
) -> None:
    received: list[WebhookEvent] = []
    socketlabs_client.injection.send(_request(events_sandbox))
    with serve_wsgi(WebhookReceiver(received.append, secrets="not-the-sandbox-secret").wsgi) as url:
        events_sandbox.events.webhook_url = url
        deliveries = events_sandbox.events.deliver()
        validation = events_sandbox.events.send_validation()
    assert len(deliveries) >= 10
    assert {d.status for d in deliveries} == {401}
    assert validation.status == 401
    assert received == []


def test_inbound_message_end_to_end(events_sandbox: Sandbox) -> None:
    received: list[InboundMessage] = []
    outbox = events_sandbox.events
    payload = outbox.inbound_payload(
        mail_from="customer@example.org",
        rcpt_to="support@inbound.example.com",
        subject="Broken order",
        text="See attached.",
        html="<p>See attached.</p>",
        attachments=[InboundFile("order.csv", "text/csv", b"id,qty\n42,1\n")],
        embedded=[InboundFile("logo.png", "image/png", b"\x89PNG", content_id="logo")],
        headers=[("X-Priority", "1")],
    )
    with serve_wsgi(InboundReceiver(received.append, secrets=outbox.secret).wsgi) as url:
        outbox.inbound_url = url
        delivery = outbox.send_inbound(payload)
    assert delivery.status == 200
    (message,) = received
    assert (message.inbound_mail_from, message.message.subject) == ("customer@example.org", "Broken order")
    assert isinstance(message.message.attachments, list)
    assert isinstance(message.message.embedded_media, list)
    assert decode_content(message.message.attachments[0]) == b"id,qty\n42,1\n"
    assert decode_content(message.message.embedded_media[0]) == b"\x89PNG"
    assert outbox.delivered == [delivery]
