"""Django: a CSRF-exempt view hands the raw body to the framework-agnostic handler.

In a project, copy ``socketlabs_events`` into a views module and route it in
``urls.py``. This file is a whole one-file Django site, so it runs as is:

Run: SOCKETLABS_WEBHOOK_SECRETS=... python -m examples.receivers.django_app
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from socketlabs_client import WebhookEvent, WebhookReceiver, WebhookSecrets

from ._common import log_event, secrets_from_env


def make_view(receiver: WebhookReceiver) -> Callable[[HttpRequest], HttpResponse]:
    """The view for ``POST /socketlabs/events``."""

    @csrf_exempt
    @require_POST
    def socketlabs_events(request: HttpRequest) -> HttpResponse:
        declared = str(request.META.get("CONTENT_LENGTH") or "").strip()
        if declared and not (declared.isascii() and declared.isdigit()):
            # request.body would raise ValueError on int(), and Django would answer 500
            return HttpResponse(b"malformed Content-Length\n", status=400, content_type="text/plain")
        if declared and int(declared) > receiver.max_body_size:
            # answered here, not left to Django's RequestDataTooBig (a 500 where exceptions propagate)
            return HttpResponse(b"body over the limit\n", status=413, content_type="text/plain")
        answer = receiver.handle(request.body, request.META.get("CONTENT_TYPE"))
        return HttpResponse(answer.body, status=answer.status, headers=dict(answer.headers))

    return socketlabs_events


def create_wsgi_app(
    secrets: WebhookSecrets, on_event: Callable[[WebhookEvent], object] = log_event
) -> WSGIHandler:
    """Configure a minimal Django site whose only URL is the receiver; return its WSGI app."""
    receiver = WebhookReceiver(on_event, secrets=secrets)
    module = sys.modules[__name__]
    module.urlpatterns = [path("socketlabs/events", make_view(receiver))]  # type: ignore[attr-defined]
    if not settings.configured:
        settings.configure(
            ROOT_URLCONF=__name__,
            ALLOWED_HOSTS=["127.0.0.1", "localhost"],
            SECRET_KEY="example-only-not-secret",
            DATA_UPLOAD_MAX_MEMORY_SIZE=receiver.max_body_size,  # Django's own body cap
            MIDDLEWARE=[],
        )
    return get_wsgi_application()


if __name__ == "__main__":
    from wsgiref.simple_server import make_server

    make_server("127.0.0.1", 8000, create_wsgi_app(secrets_from_env())).serve_forever()
