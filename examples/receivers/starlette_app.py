"""Starlette: the receivers are ASGI apps, so they are routes as they are.

Run: SOCKETLABS_WEBHOOK_SECRETS=... uvicorn examples.receivers.starlette_app:app
"""

from __future__ import annotations

from collections.abc import Callable

from socketlabs_client import InboundReceiver, WebhookEvent, WebhookReceiver, WebhookSecrets
from socketlabs_client.models import InboundMessage
from starlette.applications import Starlette
from starlette.routing import Route

from ._common import log_event, log_inbound, secrets_from_env


def create_app(
    secrets: WebhookSecrets,
    on_event: Callable[[WebhookEvent], object] = log_event,
    on_inbound: Callable[[InboundMessage], object] = log_inbound,
) -> Starlette:
    """Event webhooks at ``/socketlabs/events``, inbound parse at ``/socketlabs/inbound``."""
    events = WebhookReceiver(on_event, secrets=secrets)
    inbound = InboundReceiver(on_inbound, secrets=secrets)
    return Starlette(
        routes=[
            Route("/socketlabs/events", events, methods=["POST"]),
            Route("/socketlabs/inbound", inbound, methods=["POST"]),
        ]
    )


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(create_app(secrets_from_env()), host="127.0.0.1", port=8000)
