"""``path("anymail/socketlabs/", include("socketlabs_client.django.urls"))``: ``tracking/`` and ``inbound/``.

``events/`` is the earlier name of ``tracking/`` and still answers, so a
webhook already configured in SocketLabs keeps working after the upgrade.
"""

from __future__ import annotations

from django.urls import path

from .views import SocketLabsInboundWebhookView, SocketLabsTrackingWebhookView

app_name = "socketlabs"

urlpatterns = [
    path("tracking/", SocketLabsTrackingWebhookView.as_view(), name="socketlabs_tracking_webhook"),
    path("inbound/", SocketLabsInboundWebhookView.as_view(), name="socketlabs_inbound_webhook"),
    path("events/", SocketLabsTrackingWebhookView.as_view(), name="tracking_webhook"),
]
