"""SocketLabs posts as anymail's tracking and inbound events, the typed post kept as ``esp_event``.

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

import base64
import binascii
import datetime
import re
from collections.abc import Mapping
from email.errors import MessageError
from email.headerregistry import Address
from email.policy import default as default_policy
from typing import Any

from anymail.inbound import AnymailInboundMessage
from anymail.signals import AnymailInboundEvent, AnymailTrackingEvent
from socketlabs_api.models import (
    InboundAddress,
    InboundAttachment,
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

__all__ = ["inbound_event", "tracking_event"]


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


def tracking_event(event: WebhookEvent) -> AnymailTrackingEvent:
    """The normalized event for one authenticated SocketLabs event (``esp_event``: the typed event).

    SocketLabs gives events no id of their own, so ``event_id`` is ``None``;
    ``message_id`` is the ``MessageId`` the message was sent with (the
    backend's ``anymail_status.message_id``). The ``MailingId`` is on
    ``esp_event.mailing_id``.
    """
    kind, reason, extra = _kind(event)
    tags, metadata = _data(event)
    when = getattr(event, "date_time", None)
    return AnymailTrackingEvent(
        event_type=kind,
        timestamp=when if isinstance(when, datetime.datetime) else None,
        event_id=None,
        recipient=_text(getattr(event, "address", None)),
        message_id=_text(getattr(event, "message_id", None)),
        esp_event=event,
        tags=tags,
        metadata=metadata,
        reject_reason=reason,
        **extra,
    )


_OCTETS = "application/octet-stream"
_HEADER_NAME = re.compile(r"[!-9;-~]+")
_OWN_HEADERS = frozenset({"from", "to", "cc", "bcc", "subject", "reply-to", "mime-version", "content-type"})


def _one_line(value: object) -> str:
    return re.sub(r"[\r\n]+", " ", value) if isinstance(value, str) else ""


_UNWRITABLE = (ValueError, TypeError, IndexError, LookupError, AttributeError, MessageError)
"""What the email package raises for a header or part it cannot write (its parser errors included)."""


def _fits(name: str, value: str) -> bool:
    """Whether the email package takes ``value`` as header ``name`` and can write it out again."""
    try:
        default_policy.fold_binary(*default_policy.header_store_parse(name, value))
    except _UNWRITABLE:
        return False
    return True


def _address(value: object) -> str | None:
    """One address as header text, or ``None`` when the email package cannot write it."""
    if not isinstance(value, InboundAddress) or not isinstance(value.email_address, str):
        return None
    name = _one_line(value.friendly_name) if isinstance(value.friendly_name, str) else ""
    try:
        text = str(Address(display_name=name, addr_spec=_one_line(value.email_address)))
    except _UNWRITABLE:
        return None
    return text if _fits("To", text) else None


def _addresses(values: object) -> str | None:
    formatted = [_address(v) for v in values] if isinstance(values, list) else []
    return ", ".join(a for a in formatted if a) or None


def _content(value: str) -> bytes:
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return value.encode("utf-8", "surrogateescape")


def _attachment(item: InboundAttachment, *, inline: bool) -> AnymailInboundMessage:
    content = _content(item.content) if isinstance(item.content, str) else b""
    content_id = _one_line(item.content_id) if inline and isinstance(item.content_id, str) else ""
    options: dict[str, Any] = {
        "content_type": _one_line(item.content_type) or _OCTETS,
        "filename": _one_line(item.name) or None,
        "content_id": content_id or None,
    }
    for fallback in ({}, {"content_type": _OCTETS}, {"content_type": _OCTETS, "filename": None}):
        try:
            part = AnymailInboundMessage.construct_attachment(content=content, **{**options, **fallback})
            part.as_bytes()
        except _UNWRITABLE:
            continue
        return part
    return AnymailInboundMessage.construct_attachment(content_type=_OCTETS, content=content)


def _attachments(items: object, *, inline: bool) -> list[AnymailInboundMessage]:
    found = items if isinstance(items, list) else []
    return [_attachment(item, inline=inline) for item in found if isinstance(item, InboundAttachment)]


def inbound_message(parsed: InboundParsedMessage) -> AnymailInboundMessage:
    """The parsed message as anymail's ``AnymailInboundMessage`` (an ``email.message.EmailMessage``).

    What the email package cannot write is left out of it rather than failing
    the post (the typed post, ``esp_event``, keeps everything): header values
    are kept on one line, names that are not header names and addresses it
    cannot parse are dropped, and an attachment whose type or name it refuses
    becomes ``application/octet-stream``. The bodies are already text, so
    they are written as UTF-8 whatever charset the original had.
    """
    headers: list[tuple[str, str]] = []
    for header in parsed.custom_headers if isinstance(parsed.custom_headers, list) else []:
        name = header.name if isinstance(header.name, str) else ""
        if _HEADER_NAME.fullmatch(name) and name.casefold() not in _OWN_HEADERS:
            headers.append((name, _one_line(header.value)))
    if isinstance(parsed.reply_to, InboundAddress) and (reply_to := _address(parsed.reply_to)):
        headers.append(("Reply-To", reply_to))
    subject = _one_line(parsed.subject) if isinstance(parsed.subject, str) else None
    message: AnymailInboundMessage = AnymailInboundMessage.construct(
        from_email=_address(parsed.from_),
        to=_addresses(parsed.to),
        cc=_addresses(parsed.cc),
        subject=subject if subject is not None and _fits("Subject", subject) else None,
        text=_text(parsed.text_body),
        html=_text(parsed.html_body),
        attachments=_attachments(parsed.attachments, inline=False)
        + _attachments(parsed.embedded_media, inline=True),
    )
    for name, value in headers:
        if _fits(name, value):
            message.add_header(name, value)
    return message


def inbound_event(post: InboundMessage) -> AnymailInboundEvent:
    """The normalized event for one authenticated inbound post (``esp_event``: the typed post)."""
    message = inbound_message(post.message)
    message.envelope_sender = _text(post.inbound_mail_from)
    message.envelope_recipient = _text(post.inbound_rcpt_to)
    score = post.spam_score
    if isinstance(score, int | float) and not isinstance(score, bool):
        message.spam_score = float(score)
    return AnymailInboundEvent(
        event_type="inbound", timestamp=None, event_id=None, esp_event=post, message=message
    )
