"""``path("socketlabs/", include("socketlabs_client.django.urls"))``: ``events/`` and ``inbound/``."""

from __future__ import annotations

from django.urls import path

from .views import inbound_view, tracking_view

app_name = "socketlabs"

urlpatterns = [
    path("events/", tracking_view, name="tracking_webhook"),
    path("inbound/", inbound_view, name="inbound_webhook"),
]
