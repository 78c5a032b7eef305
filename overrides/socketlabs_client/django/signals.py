"""The signals the webhook views send, named as django-anymail names its own.

```python
from django.dispatch import receiver
from socketlabs_client.django.signals import tracking

@receiver(tracking)
def on_event(sender, event, esp_name, **kwargs):
    if event.event_type == "bounced":
        mark_undeliverable(event.recipient)
```

Both are sent with ``event`` (a ``TrackingEvent`` or ``InboundEvent``) and
``esp_name="SocketLabs"``. A receiver that raises makes the view answer 500,
so SocketLabs delivers the post again.
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["inbound", "tracking"]

tracking = Signal()
"""A delivery or engagement event (``event``: ``TrackingEvent``)."""

inbound = Signal()
"""An inbound message (``event``: ``InboundEvent``)."""
