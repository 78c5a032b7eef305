"""Real Django against the sandbox: settings for this folder only, and a live server for the webhook views.

Django has one settings object per process, so this folder does not rely on
being first: ``settings.configure`` runs only if nothing configured Django
yet, and everything this folder needs is applied with ``override_settings``
for the session and undone at its end. Other folders see Django as they
would without these tests.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import django
import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.test.utils import override_settings
from django_test_site import DJANGO_SETTINGS, WEBHOOK_SECRET
from socketlabs_sandbox import Sandbox


@pytest.fixture(scope="session", autouse=True)
def django_settings() -> Iterator[None]:
    """This folder's settings for the session, whoever configured Django first."""
    if not settings.configured:
        settings.configure(**DJANGO_SETTINGS)
    django.setup()
    with override_settings(**DJANGO_SETTINGS):
        yield


@pytest.fixture
def sandbox(socketlabs_sandbox: Sandbox) -> Iterator[Sandbox]:
    """The session sandbox, reset, with ``ANYMAIL`` pointing at it."""
    socketlabs_sandbox.reset()
    options = {
        "SOCKETLABS_API_KEY": socketlabs_sandbox.api_key,
        "SOCKETLABS_SERVER_ID": socketlabs_sandbox.server_id,
        "SOCKETLABS_BASE_URL": socketlabs_sandbox.api_url,
        "SOCKETLABS_INJECT_URL": socketlabs_sandbox.inject_url,
        "SOCKETLABS_MANAGEMENT_URL": socketlabs_sandbox.management_url,
        "SOCKETLABS_WEBHOOK_SECRET_KEY": ["an-older-secret", WEBHOOK_SECRET],
    }
    socketlabs_sandbox.events.secret = WEBHOOK_SECRET
    try:
        with override_settings(ANYMAIL=options):
            yield socketlabs_sandbox
    finally:
        socketlabs_sandbox.events.secret = socketlabs_sandbox.config.webhook_secret
        socketlabs_sandbox.events.webhook_url = socketlabs_sandbox.config.webhook_url
        socketlabs_sandbox.events.inbound_url = socketlabs_sandbox.config.inbound_url


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output clean."""


@contextmanager
def _serve(app: WSGIHandler) -> Iterator[str]:
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@pytest.fixture
def live_server(django_settings: None) -> Iterator[str]:
    """The Django site over real HTTP on 127.0.0.1 (the sandbox posts its events there)."""
    with _serve(WSGIHandler()) as url:
        yield url
