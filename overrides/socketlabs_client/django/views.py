"""The event webhook and inbound parse views: the client's receivers behind two CSRF-exempt views.

```python
# urls.py
from django.urls import include, path

urlpatterns = [path("socketlabs/", include("socketlabs_client.django.urls"))]
# POST socketlabs/events/  -> tracking signal;  POST socketlabs/inbound/ -> inbound signal
```

The receivers do the work (the secret check in constant time, the
``Validation`` handshake, the typed parse); these views only read the body
within the receiver's limit and turn a Django request into bytes and back.
Every malformed post is a 4xx: Django itself would answer 500 for a
``Content-Length`` that is not a number (its ``request.body`` calls ``int``
on it), so the length is checked here first, and the body is read from the
stream so Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not cap an inbound
message below the receiver's own limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from .._inbound import InboundReceiver
from .._webhooks import Receiver, ReceiverResponse, WebhookEvent, WebhookReceiver
from ..models import InboundMessage
from ._backend import ESP_NAME
from ._events import inbound_event, tracking_event
from ._settings import webhook_secrets, webhook_server_ids
from .signals import inbound, tracking

__all__ = ["inbound_view", "tracking_view"]

_DIGITS = re.compile(r"[0-9]{1,32}")


def _send_tracking(event: WebhookEvent) -> None:
    tracking.send(sender=tracking_view, event=tracking_event(event), esp_name=ESP_NAME)


def _send_inbound(message: InboundMessage) -> None:
    inbound.send(sender=inbound_view, event=inbound_event(message), esp_name=ESP_NAME)


def _plain(status: int, text: str, **headers: str) -> HttpResponse:
    return HttpResponse(
        f"{text}\n".encode(), status=status, content_type="text/plain; charset=utf-8", headers=headers
    )


def _answer(receiver: Receiver[Any], request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _plain(405, "POST only", Allow="POST")
    declared = str(request.META.get("CONTENT_LENGTH") or "").strip()
    if declared and not _DIGITS.fullmatch(declared):
        return _plain(400, "malformed Content-Length")
    if declared and int(declared) > receiver.max_body_size:
        return _plain(413, f"body over the limit of {receiver.max_body_size} bytes")
    body = request.read(receiver.max_body_size + 1)  # the stream: not capped by DATA_UPLOAD_MAX_MEMORY_SIZE
    if len(body) > receiver.max_body_size:
        return _plain(413, f"body over the limit of {receiver.max_body_size} bytes")
    if declared and len(body) < int(declared):
        return _plain(400, "body shorter than its Content-Length")
    answer: ReceiverResponse = receiver.handle(body, request.META.get("CONTENT_TYPE"))
    return HttpResponse(answer.body, status=answer.status, headers=dict(answer.headers))


def _view(make: Callable[[], Receiver[Any]]) -> Callable[[HttpRequest], HttpResponse]:
    @csrf_exempt
    def view(request: HttpRequest) -> HttpResponse:
        return _answer(make(), request)

    return view


def _tracking_receiver() -> Receiver[Any]:
    # Built per request from the settings (cheap), so override_settings and rotation apply at once.
    return WebhookReceiver(_send_tracking, secrets=webhook_secrets(), server_ids=webhook_server_ids())


def _inbound_receiver() -> Receiver[Any]:
    return InboundReceiver(_send_inbound, secrets=webhook_secrets(), server_ids=webhook_server_ids())


tracking_view = _view(_tracking_receiver)
"""``POST``: one SocketLabs event webhook post; sends the ``tracking`` signal."""

inbound_view = _view(_inbound_receiver)
"""``POST``: one inbound parse post; sends the ``inbound`` signal."""
