"""Settings: everything SocketLabs needs is ``EMAIL_BACKEND`` and ``ANYMAIL`` (django-anymail's settings).

The key, server id and URLs may stay out of settings: the client reads
``SOCKETLABS_API_KEY``, ``SOCKETLABS_SERVER_ID`` and ``SOCKETLABS_INJECT_URL``
from the environment, and the views read ``SOCKETLABS_WEBHOOK_SECRETS``.
"""

from __future__ import annotations

import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "mysite.urls"
INSTALLED_APPS = ["mysite"]
MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware"]
USE_TZ = True

EMAIL_BACKEND = "socketlabs_client.django.EmailBackend"
DEFAULT_FROM_EMAIL = "Example <noreply@example.com>"
SERVER_EMAIL = "errors@example.com"
ADMINS = [("Ops", "ops@example.com")]

ANYMAIL = {
    # "SOCKETLABS_API_KEY": ..., "SOCKETLABS_SERVER_ID": ...: or the same names in the environment
    # "SOCKETLABS_WEBHOOK_SECRET_KEY": [...]: or SOCKETLABS_WEBHOOK_SECRETS (comma-separated) in the env
    # "WEBHOOK_SECRET": "user:password": anymail's basic auth on the webhook URLs too, if you like
    "SOCKETLABS_WEBHOOK_SERVER_ID": int(os.environ["SOCKETLABS_SERVER_ID"])
    if "SOCKETLABS_SERVER_ID" in os.environ
    else None,
}
