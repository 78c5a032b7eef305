"""Flask: a view hands the raw body to the framework-agnostic handler.

Run: SOCKETLABS_WEBHOOK_SECRETS=... python -m examples.receivers.flask_app
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, request
from socketlabs_client import WebhookEvent, WebhookReceiver, WebhookSecrets

from ._common import log_event, secrets_from_env


def create_app(secrets: WebhookSecrets, on_event: Callable[[WebhookEvent], object] = log_event) -> Flask:
    """Event webhooks at ``POST /socketlabs/events``."""
    receiver = WebhookReceiver(on_event, secrets=secrets)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = receiver.max_body_size  # Flask answers 413 before reading

    @app.post("/socketlabs/events")
    def socketlabs_events() -> Response:
        answer = receiver.handle(request.get_data(), request.content_type)
        return Response(answer.body, status=answer.status, headers=list(answer.headers))

    return app


if __name__ == "__main__":
    create_app(secrets_from_env()).run(host="127.0.0.1", port=8000)
