"""The webhook views under ``socketlabs/``, and one page that sends a mail."""

from __future__ import annotations

from django.urls import include, path

from . import views

urlpatterns = [
    path("anymail/socketlabs/", include("socketlabs_client.django.urls")),  # tracking/ and inbound/
    path("welcome/<str:address>/", views.welcome),
]
