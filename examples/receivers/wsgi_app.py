"""Bare WSGI with the standard library's server: ``receiver.wsgi`` is the app.

Run: SOCKETLABS_WEBHOOK_SECRETS=... python -m examples.receivers.wsgi_app
"""

from __future__ import annotations

from wsgiref.simple_server import make_server

from socketlabs_client import InboundReceiver

from ._common import log_inbound, secrets_from_env


def create_app_from_env() -> InboundReceiver:
    """An inbound parse receiver (event webhooks work the same with WebhookReceiver)."""
    return InboundReceiver(log_inbound, secrets=secrets_from_env())


if __name__ == "__main__":
    make_server("127.0.0.1", 8000, create_app_from_env().wsgi).serve_forever()
