"""Inbound parse: SocketLabs posts each message sent to your inbound domain as JSON.

The post is authenticated exactly like an event webhook (``SecretKey`` in
the body, constant-time compare, optional ``ServerId``), then read into the
generated ``InboundMessage`` (addresses, bodies, headers, attachments and
embedded media). Attachment bytes stay base64 until asked for with
``decode_content``: a 50 MB message need not be decoded twice or at all.
A ``Validation`` post on the inbound route is answered like the webhook one.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from socketlabs_api.models import (
    InboundAttachment,
    InboundMessage,
    InboundParsedMessage,
    WebhookEventValidation,
)

from ._errors import REDACTED, WebhookParseError
from ._webhooks import (
    Body,
    Receiver,
    WebhookSecrets,
    build_model,
    decode_body,
    member,
    normalize,
)

__all__ = [
    "DEFAULT_MAX_INBOUND_SIZE",
    "InboundReceiver",
    "decode_content",
    "header_values",
    "parse_inbound",
]

DEFAULT_MAX_INBOUND_SIZE = 72 * 1024 * 1024
"""A 50 MB message (the documented maximum) grows by a third in base64, plus JSON."""


def _inbound_from_data(data: Mapping[str, Any]) -> InboundMessage | WebhookEventValidation:
    kind = member(data, "Type")
    if isinstance(kind, str) and kind.strip().casefold() == "validation":
        validation: WebhookEventValidation = build_model(
            WebhookEventValidation, normalize(data), "a Validation post"
        )
        return validation
    message: InboundMessage = build_model(InboundMessage, normalize(data), "an inbound message")
    return message


def parse_inbound(
    body: Body,
    content_type: str | None = "application/json",
    *,
    secrets: WebhookSecrets | None = None,
    max_body_size: int | None = None,
) -> InboundMessage | WebhookEventValidation:
    """Parse one inbound parse post; with ``secrets``, authenticate it first.

    An authenticated post's ``secret_key`` is ``[redacted]``, as in a receiver.
    Raises ``WebhookError`` (a subclass saying why, with the HTTP status to answer).
    """
    data = decode_body(body, content_type, max_body_size=max_body_size)
    if secrets is None:
        return _inbound_from_data(data)
    secrets.authenticate(data)
    parsed = _inbound_from_data(data)
    parsed.secret_key = REDACTED
    return parsed


def decode_content(item: InboundAttachment) -> bytes:
    """The bytes of an attachment or embedded media item (strict base64)."""
    try:
        return base64.b64decode("".join(item.content.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WebhookParseError(f"content of {item.name!r} is not valid base64: {exc}") from None


def header_values(message: InboundParsedMessage, name: str) -> list[str | None]:
    """The values of an original header, by name in any case, in message order."""
    folded = name.casefold()
    headers = message.custom_headers if isinstance(message.custom_headers, list) else []
    return [h.value if isinstance(h.value, str) else None for h in headers if h.name.casefold() == folded]


class InboundReceiver(Receiver[InboundMessage]):
    """Receives inbound parse posts: ``handle``/``handle_async``, ``asgi`` and ``wsgi``.

    The callback gets each authenticated ``InboundMessage``; see ``Receiver``
    for secrets, limits and answers. The default body limit fits the
    documented 50 MB message.
    """

    kind = "inbound message"
    default_max_body_size = DEFAULT_MAX_INBOUND_SIZE

    def parse(self, data: Mapping[str, Any]) -> InboundMessage | WebhookEventValidation:
        """The typed message, or the ``Validation`` event."""
        return _inbound_from_data(data)
