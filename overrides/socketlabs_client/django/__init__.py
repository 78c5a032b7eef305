"""Django: SocketLabs as a django-anymail ESP (an email backend, webhook and inbound views).

``pip install 'socketlabs-client[django]'`` (it brings django-anymail), then in settings:

```python
EMAIL_BACKEND = "socketlabs_client.django.EmailBackend"
ANYMAIL = {
    "SOCKETLABS_API_KEY": "...",
    "SOCKETLABS_SERVER_ID": 12345,
    "SOCKETLABS_WEBHOOK_SECRET_KEY": "...",  # the endpoint's Secret Key in SocketLabs
}
```

and ``path("anymail/socketlabs/", include("socketlabs_client.django.urls"))``
in urls.py for ``anymail.signals.tracking`` and ``anymail.signals.inbound``.
Errors are anymail's (``AnymailRecipientsRefused``, ``AnymailAPIError``...,
with the client's typed error as ``__cause__``). Importing
``socketlabs_client`` never imports Django; only this subpackage does.
"""

from __future__ import annotations

from anymail.exceptions import AnymailRecipientsRefused, AnymailUnsupportedFeature

from ._backend import EmailBackend, SocketLabsPayload
from ._events import inbound_event, inbound_message, tracking_event
from .views import SocketLabsInboundWebhookView, SocketLabsTrackingWebhookView

RecipientsRefusedError = AnymailRecipientsRefused
"""The earlier name of ``AnymailRecipientsRefused`` (the same class: old ``except`` clauses still catch)."""

UnsupportedFeatureError = AnymailUnsupportedFeature
"""The earlier name of ``AnymailUnsupportedFeature``."""

__all__ = [
    "EmailBackend",
    "RecipientsRefusedError",
    "SocketLabsInboundWebhookView",
    "SocketLabsPayload",
    "SocketLabsTrackingWebhookView",
    "UnsupportedFeatureError",
    "inbound_event",
    "inbound_message",
    "tracking_event",
]
