"""The test site's URLs: the integration's views where a project would put them."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [path("anymail/socketlabs/", include("socketlabs_client.django.urls"))]
