"""Anymail's signals, under the names this module had before the integration became an anymail ESP.

``from anymail.signals import tracking, inbound`` is the way to write it now;
these are the very same ``Signal`` objects, so old imports keep receiving.

```python
from anymail.signals import tracking
from django.dispatch import receiver

@receiver(tracking)
def on_event(sender, event, esp_name, **kwargs):
    if event.event_type == "bounced":
        mark_undeliverable(event.recipient)
```
"""

from __future__ import annotations

from anymail.signals import inbound, tracking

__all__ = ["inbound", "tracking"]
