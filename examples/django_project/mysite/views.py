"""A view that sends mail the Django way, and the signal receivers for what comes back."""

from __future__ import annotations

import logging

from django.core.mail import EmailMultiAlternatives
from django.dispatch import receiver
from django.http import HttpRequest, JsonResponse
from socketlabs_client.django import InboundEvent, TrackingEvent
from socketlabs_client.django.signals import inbound, tracking

logger = logging.getLogger(__name__)


def welcome(request: HttpRequest, address: str) -> JsonResponse:
    """Send a welcome mail; answer with SocketLabs' per-recipient status."""
    message = EmailMultiAlternatives("Welcome", "Hello!", to=[address])
    message.attach_alternative("<p>Hello!</p>", "text/html")
    message.tags = ["welcome"]  # type: ignore[attr-defined]
    message.send()
    status = message.anymail_status  # type: ignore[attr-defined]
    return JsonResponse({a: r.status for a, r in status.recipients.items()})


@receiver(tracking)
def on_tracking(sender: object, event: TrackingEvent, esp_name: str, **kwargs: object) -> None:
    """Replace with your own handling: mark bounced addresses, count opens..."""
    logger.warning("%s: %s for %s", esp_name, event.event_type, event.recipient)


@receiver(inbound)
def on_inbound(sender: object, event: InboundEvent, esp_name: str, **kwargs: object) -> None:
    """Replace with your own handling: open a ticket, store the attachments..."""
    logger.warning("%s: inbound mail from %s: %s", esp_name, event.envelope_sender, event.message.subject)
