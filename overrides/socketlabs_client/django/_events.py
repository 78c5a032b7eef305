"""SocketLabs events in django-anymail's normalized vocabulary, with the typed event kept as ``esp_event``.

| SocketLabs event              | ``event_type``  | ``reject_reason`` |
|-------------------------------|-----------------|-------------------|
| Queued                        | ``queued``      |                   |
| Delivered                     | ``delivered``   |                   |
| Deferred                      | ``deferred``    |                   |
| Failed, FailureType Permanent | ``bounced``     | ``bounced``       |
| Failed, FailureType Temporary | ``bounced``     | ``timed_out``     |
| Failed, FailureType Suppressed| ``rejected``    | ``blocked``       |
| Failed, another FailureType   | ``failed``      | ``other``         |
| Complaint                     | ``complained``  | ``spam``          |
| Tracking Open                 | ``opened``      |                   |
| Tracking Click                | ``clicked``     |                   |
| Tracking Unsubscribe          | ``unsubscribed``| ``unsubscribed``  |
| anything else                 | ``unknown``     |                   |

A SocketLabs ``Failed`` is final (its retries are over), hence ``bounced``
for a temporary failure too, with ``timed_out`` saying why.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from attrs import field, frozen
from socketlabs_api.models import (
    InboundMessage,
    InboundParsedMessage,
    WebhookEventComplaint,
    WebhookEventData,
    WebhookEventDeferred,
    WebhookEventDelivered,
    WebhookEventFailed,
    WebhookEventQueued,
    WebhookEventTracking,
)

from .._webhooks import WebhookEvent

__all__ = ["InboundEvent", "TrackingEvent", "inbound_event", "tracking_event"]


@frozen
class TrackingEvent:
    """One delivery or engagement event (anymail's ``AnymailTrackingEvent`` attributes)."""

    event_type: str
    timestamp: datetime.datetime | None
    recipient: str | None
    message_id: str | None
    esp_event: WebhookEvent
    """The typed SocketLabs event (its ``secret_key`` is ``[redacted]``)."""
    event_id: str | None = None
    mailing_id: str | None = None
    tags: list[str] = field(factory=list)
    metadata: dict[str, str] = field(factory=dict)
    reject_reason: str | None = None
    description: str | None = None
    mta_response: str | None = None
    user_agent: str | None = None
    click_url: str | None = None


@frozen
class InboundEvent:
    """One inbound message (anymail's ``AnymailInboundEvent``: ``event_type`` is ``inbound``)."""

    message: InboundParsedMessage
    """The parsed message: addresses, subject, bodies, headers, attachments."""
    esp_event: InboundMessage
    """The whole typed post (envelope, spam score, the message)."""
    event_type: str = "inbound"
    timestamp: datetime.datetime | None = None
    event_id: str | None = None
    envelope_sender: str | None = None
    envelope_recipient: str | None = None
    spam_score: float | None = None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _data(event: WebhookEvent) -> tuple[list[str], dict[str, str]]:
    data = getattr(event, "data", None)
    if not isinstance(data, WebhookEventData):
        return [], {}
    tags = [t for t in data.tags if isinstance(t, str)] if isinstance(data.tags, list) else []
    metadata: dict[str, str] = {}
    if isinstance(data.meta, list):
        for item in data.meta:
            key, value = getattr(item, "key", None), getattr(item, "value", None)
            if isinstance(key, str):
                metadata[key] = value if isinstance(value, str) else ""
    return tags, metadata


_FAILED: Mapping[str, tuple[str, str]] = {
    "Permanent": ("bounced", "bounced"),
    "Temporary": ("bounced", "timed_out"),
    "Suppressed": ("rejected", "blocked"),
}
_TRACKING: Mapping[str, tuple[str, str | None]] = {
    "Open": ("opened", None),
    "Click": ("clicked", None),
    "Unsubscribe": ("unsubscribed", "unsubscribed"),
}


def _kind(event: WebhookEvent) -> tuple[str, str | None, dict[str, Any]]:  # noqa: PLR0911 - one per type
    """``(event_type, reject_reason, other attributes)`` for one typed event."""
    if isinstance(event, WebhookEventQueued):
        return "queued", None, {}
    if isinstance(event, WebhookEventDelivered):
        return "delivered", None, {"mta_response": _text(event.response)}
    if isinstance(event, WebhookEventDeferred):
        return "deferred", None, {"description": _text(event.reason), "mta_response": _text(event.reason)}
    if isinstance(event, WebhookEventFailed):
        failed: tuple[str, str | None] = _FAILED.get(str(event.failure_type), ("failed", "other"))
        kind, reason = failed
        response = _text(event.diagnostic_code) or _text(event.reason)
        return kind, reason, {"description": _text(event.reason), "mta_response": response}
    if isinstance(event, WebhookEventComplaint):
        return "complained", "spam", {"user_agent": _text(event.user_agent)}
    if isinstance(event, WebhookEventTracking):
        kind, reason = _TRACKING.get(str(event.tracking_type), ("unknown", None))
        return kind, reason, {"user_agent": _text(event.user_agent), "click_url": _text(event.url)}
    return "unknown", None, {}


def tracking_event(event: WebhookEvent) -> TrackingEvent:
    """The normalized event for one authenticated SocketLabs event."""
    kind, reason, extra = _kind(event)
    tags, metadata = _data(event)
    when = getattr(event, "date_time", None)
    return TrackingEvent(
        event_type=kind,
        timestamp=when if isinstance(when, datetime.datetime) else None,
        recipient=_text(getattr(event, "address", None)),
        message_id=_text(getattr(event, "message_id", None)),
        mailing_id=_text(getattr(event, "mailing_id", None)),
        esp_event=event,
        tags=tags,
        metadata=metadata,
        reject_reason=reason,
        **extra,
    )


def inbound_event(message: InboundMessage) -> InboundEvent:
    """The normalized event for one authenticated inbound post."""
    score = message.spam_score
    return InboundEvent(
        message=message.message,
        esp_event=message,
        envelope_sender=_text(message.inbound_mail_from),
        envelope_recipient=_text(message.inbound_rcpt_to),
        spam_score=float(score) if isinstance(score, int | float) else None,
    )
