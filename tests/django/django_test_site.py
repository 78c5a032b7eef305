"""What the Django tests share: the site's settings and the webhook secret (a uniquely named module)."""

from __future__ import annotations

from typing import Any

WEBHOOK_SECRET = "django-webhook-secret-5f2b"

DJANGO_SETTINGS: dict[str, Any] = {
    "ROOT_URLCONF": "django_test_urls",
    "ALLOWED_HOSTS": ["testserver", "127.0.0.1"],
    "SECRET_KEY": "tests-only-not-secret",
    "INSTALLED_APPS": [],
    "MIDDLEWARE": ["django.middleware.csrf.CsrfViewMiddleware"],  # the views must be CSRF-exempt
    "EMAIL_BACKEND": "socketlabs_client.django.EmailBackend",
    "DEFAULT_FROM_EMAIL": "Example App <app@example.com>",
    "SERVER_EMAIL": "errors@example.com",
    "ADMINS": [("Ops", "ops@example.com"), ("Dev", "dev@example.com")],
    "EMAIL_SUBJECT_PREFIX": "[Django] ",
    "USE_TZ": True,
}
