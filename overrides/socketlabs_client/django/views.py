"""The event webhook and inbound parse views: anymail webhook views over the client's receivers.

```python
# urls.py
from django.urls import include, path

urlpatterns = [path("anymail/socketlabs/", include("socketlabs_client.django.urls"))]
# POST .../tracking/ -> anymail.signals.tracking;  POST .../inbound/ -> anymail.signals.inbound
```

Two checks guard each post: anymail's own (HTTP basic auth with
``ANYMAIL["WEBHOOK_SECRET"]``, when set: put the user and password in the
URL you give SocketLabs, ``https://user:pass@host/...``), then SocketLabs'
(the ``SecretKey`` in the body, compared in constant time with
``ANYMAIL["SOCKETLABS_WEBHOOK_SECRET_KEY"]``, and optionally the
``ServerId``). The client's receiver does the SocketLabs part, the
``Validation`` handshake (200 with the secret key as the body) and the typed
parse; these views read the body within the receiver's limit and send
anymail's signals. Every malformed post is a 4xx whose body quotes nothing
of the post: Django itself would answer 500 for a ``Content-Length`` that is
not a number (``request.body`` calls ``int`` on it), so the length is checked
here first, and the body is read from the stream so that
``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not cap an inbound message below the
receiver's own limit. A signal receiver that raises makes the view answer
500, so SocketLabs delivers the post again.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from anymail.signals import inbound, tracking
from anymail.webhooks.base import AnymailBaseWebhookView
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse

from .._inbound import InboundReceiver
from .._webhooks import Receiver, ReceiverResponse, WebhookEvent, WebhookReceiver
from ..models import InboundMessage
from ._events import inbound_event, tracking_event
from ._settings import ESP_NAME, webhook_secret_keys, webhook_server_ids

__all__ = [
    "SocketLabsInboundWebhookView",
    "SocketLabsTrackingWebhookView",
    "inbound_view",
    "tracking_view",
]

_DIGITS = re.compile(r"[0-9]{1,32}")


def _plain(status: int, text: str) -> HttpResponse:
    return HttpResponse(f"{text}\n".encode(), status=status, content_type="text/plain; charset=utf-8")


class _SocketLabsWebhookView(AnymailBaseWebhookView):  # type: ignore[misc]  # anymail ships no types
    """What both views share: anymail's basic auth, then the client's receiver."""

    esp_name = ESP_NAME
    warn_if_no_basic_auth = False  # the SecretKey in every post is SocketLabs' own check
    signal: ClassVar[Signal]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Built per request from the settings (cheap), so override_settings and key rotation apply at once.
        self.receiver = self.make_receiver(webhook_secret_keys(), webhook_server_ids())

    def make_receiver(self, secrets: list[str], server_ids: list[int] | None) -> Receiver[Any]:
        """The client's receiver for this kind of post."""
        raise NotImplementedError

    def to_anymail(self, payload: Any) -> Any:
        """Anymail's normalized event for one typed payload."""
        raise NotImplementedError

    def dispatch_payload(self, payload: Any) -> None:
        """Send anymail's signal for one authenticated, typed post."""
        self.signal.send(sender=self.__class__, event=self.to_anymail(payload), esp_name=self.esp_name)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Anymail's validators (basic auth), then the receiver; answers as the receiver says."""
        self.run_validators(request)  # AnymailWebhookValidationFailure: Django answers 400
        receiver = self.receiver
        declared = str(request.META.get("CONTENT_LENGTH") or "").strip()
        if declared and not _DIGITS.fullmatch(declared):
            return _plain(400, "malformed Content-Length")
        if declared and int(declared) > receiver.max_body_size:
            return _plain(413, f"body over the limit of {receiver.max_body_size} bytes")
        # the stream, so DATA_UPLOAD_MAX_MEMORY_SIZE does not cap it
        body = request.read(receiver.max_body_size + 1)
        if len(body) > receiver.max_body_size:
            return _plain(413, f"body over the limit of {receiver.max_body_size} bytes")
        if declared and len(body) < int(declared):
            return _plain(400, "body shorter than its Content-Length")
        answer: ReceiverResponse = receiver.handle(body, request.META.get("CONTENT_TYPE"))
        return HttpResponse(answer.body, status=answer.status, headers=dict(answer.headers))


class SocketLabsTrackingWebhookView(_SocketLabsWebhookView):
    """``POST``: one SocketLabs event webhook post; sends ``anymail.signals.tracking``."""

    signal = tracking

    def make_receiver(self, secrets: list[str], server_ids: list[int] | None) -> Receiver[Any]:
        """The client's event webhook receiver."""
        return WebhookReceiver(self.dispatch_payload, secrets=secrets, server_ids=server_ids)

    def to_anymail(self, payload: WebhookEvent) -> Any:
        """An ``AnymailTrackingEvent``."""
        return tracking_event(payload)


class SocketLabsInboundWebhookView(_SocketLabsWebhookView):
    """``POST``: one SocketLabs inbound parse post; sends ``anymail.signals.inbound``."""

    signal = inbound

    def make_receiver(self, secrets: list[str], server_ids: list[int] | None) -> Receiver[Any]:
        """The client's inbound parse receiver."""
        return InboundReceiver(self.dispatch_payload, secrets=secrets, server_ids=server_ids)

    def to_anymail(self, payload: InboundMessage) -> Any:
        """An ``AnymailInboundEvent``."""
        return inbound_event(payload)


tracking_view = SocketLabsTrackingWebhookView.as_view()
"""The tracking view as a function (for ``path(...)``)."""

inbound_view = SocketLabsInboundWebhookView.as_view()
"""The inbound view as a function."""
