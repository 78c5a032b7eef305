"""Bare ASGI: the receiver is the app. Async callbacks are awaited on the server's loop.

Run: SOCKETLABS_WEBHOOK_SECRETS=... uvicorn --factory examples.receivers.asgi_app:create_app_from_env
"""

from __future__ import annotations

from socketlabs_client import WebhookEvent, WebhookReceiver

from ._common import secrets_from_env


async def on_event(event: WebhookEvent) -> None:
    """An async callback: await your database or queue here."""
    print(f"{event.type_} event for {getattr(event, 'address', '-')}", flush=True)


def create_app_from_env() -> WebhookReceiver:
    """The ASGI app: one receiver, answering POSTs at any path."""
    return WebhookReceiver(on_event, secrets=secrets_from_env())


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(create_app_from_env(), host="127.0.0.1", port=8000)
