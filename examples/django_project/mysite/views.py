"""A view that sends mail the Django way, and the signal receivers for what comes back."""

from __future__ import annotations

import logging

from anymail.signals import AnymailInboundEvent, AnymailTrackingEvent, inbound, tracking
from django.core.mail import EmailMultiAlternatives
from django.dispatch import receiver
from django.http import HttpRequest, JsonResponse

logger = logging.getLogger(__name__)


def welcome(request: HttpRequest, address: str) -> JsonResponse:
    """Send a welcome mail; answer with each recipient's anymail status (``unknown``: see the guide)."""
    message = EmailMultiAlternatives("Welcome", "Hello!", to=[address])
    message.attach_alternative("<p>Hello!</p>", "text/html")
    message.tags = ["welcome"]  # type: ignore[attr-defined]
    message.send()
    status = message.anymail_status  # type: ignore[attr-defined]
    return JsonResponse({a: r.status for a, r in status.recipients.items()})


@receiver(tracking)
def on_tracking(sender: object, event: AnymailTrackingEvent, esp_name: str, **kwargs: object) -> None:
    """Replace with your own handling: mark bounced addresses, count opens..."""
    logger.warning("%s: %s for %s", esp_name, event.event_type, event.recipient)


@receiver(inbound)
def on_inbound(sender: object, event: AnymailInboundEvent, esp_name: str, **kwargs: object) -> None:
    """Replace with your own handling: open a ticket, store the attachments..."""
    message = event.message
    logger.warning("%s: inbound mail from %s: %s", esp_name, message.envelope_sender, message.subject)
