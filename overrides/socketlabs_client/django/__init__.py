"""Django integration: an email backend, webhook views and signals, following django-anymail's conventions.

``pip install 'socketlabs-client[django]'``, then in settings:

```python
EMAIL_BACKEND = "socketlabs_client.django.EmailBackend"
SOCKETLABS = {"API_KEY": "...", "SERVER_ID": 12345, "WEBHOOK_SECRETS": ["..."]}
```

and ``path("socketlabs/", include("socketlabs_client.django.urls"))`` in urls.py
for the ``tracking`` and ``inbound`` signals. Importing ``socketlabs_client``
never imports Django; only this subpackage does.
"""

from __future__ import annotations

from ._backend import (
    EmailBackend,
    RecipientsRefusedError,
    RecipientStatus,
    SocketLabsStatus,
    UnsupportedFeatureError,
    to_socketlabs,
)
from ._events import InboundEvent, TrackingEvent, inbound_event, tracking_event
from .signals import inbound, tracking

__all__ = [
    "EmailBackend",
    "InboundEvent",
    "RecipientStatus",
    "RecipientsRefusedError",
    "SocketLabsStatus",
    "TrackingEvent",
    "UnsupportedFeatureError",
    "inbound",
    "inbound_event",
    "to_socketlabs",
    "tracking",
    "tracking_event",
]
