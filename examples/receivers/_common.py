"""What every receiver example shares: where the secrets come from, and what to do with a post.

Secrets come from ``SOCKETLABS_WEBHOOK_SECRETS`` (comma-separated, so an old
and a new key can both be active while you rotate) and the optional
``SOCKETLABS_SERVER_ID``.
"""

from __future__ import annotations

import os

from socketlabs_client import WebhookEvent, WebhookSecrets
from socketlabs_client.models import InboundMessage


def secrets_from_env() -> WebhookSecrets:
    """The receiver's secrets (and server id) from the environment."""
    raw = os.environ.get("SOCKETLABS_WEBHOOK_SECRETS", "")
    server_id = os.environ.get("SOCKETLABS_SERVER_ID")
    return WebhookSecrets(
        [s.strip() for s in raw.split(",") if s.strip()],
        server_ids=int(server_id) if server_id else None,
    )


def log_event(event: WebhookEvent) -> None:
    """Replace with your own handling: update a delivery status, unsubscribe, ..."""
    print(f"{event.type_} event for {getattr(event, 'address', '-')}", flush=True)


def log_inbound(message: InboundMessage) -> None:
    """Replace with your own handling: open a ticket, store the attachments, ..."""
    print(f"inbound mail from {message.message.from_.email_address}: {message.message.subject}", flush=True)
