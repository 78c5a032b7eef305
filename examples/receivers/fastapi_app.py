"""FastAPI: an ordinary endpoint hands the raw body to the framework-agnostic handler.

(``app.add_route("/socketlabs/events", receiver, methods=["POST"])`` works too,
as in the Starlette example.)

Run: SOCKETLABS_WEBHOOK_SECRETS=... python -m examples.receivers.fastapi_app
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request, Response
from socketlabs_client import WebhookEvent, WebhookReceiver, WebhookSecrets

from ._common import log_event, secrets_from_env


def create_app(secrets: WebhookSecrets, on_event: Callable[[WebhookEvent], object] = log_event) -> FastAPI:
    """Event webhooks at ``POST /socketlabs/events``."""
    receiver = WebhookReceiver(on_event, secrets=secrets)
    app = FastAPI()

    @app.post("/socketlabs/events", include_in_schema=False)
    async def socketlabs_events(request: Request) -> Response:
        declared = request.headers.get("content-length", "")  # the server checked it is ASCII digits
        if declared.isascii() and declared.isdigit() and int(declared) > receiver.max_body_size:
            return Response(b"too large\n", status_code=413)  # refuse before reading the body
        answer = await receiver.handle_async(await request.body(), request.headers.get("content-type"))
        return Response(answer.body, status_code=answer.status, headers=dict(answer.headers))

    return app


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(create_app(secrets_from_env()), host="127.0.0.1", port=8000)
