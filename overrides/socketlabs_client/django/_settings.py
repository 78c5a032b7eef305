"""Where the Django integration reads its settings: ``SOCKETLABS = {...}``, then the environment.

Names follow the client's constructor, upper-cased as Django settings are
(``API_KEY``, ``SERVER_ID``, ``INJECT_URL``...); anything left out falls to
the client's own resolution (``SOCKETLABS_API_KEY``, ``SOCKETLABS_SERVER_ID``,
``SOCKETLABS_INJECT_URL``...). The webhook secrets fall back to
``SOCKETLABS_WEBHOOK_SECRETS`` (comma-separated, so an old and a new key can
both be active while you rotate), the same variable the receiver examples read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["CLIENT_OPTIONS", "client_options", "setting", "webhook_secrets", "webhook_server_ids"]

CLIENT_OPTIONS: Mapping[str, str] = {
    "API_KEY": "api_key",
    "SERVER_ID": "server_id",
    "BASE_URL": "base_url",
    "INJECT_URL": "inject_url",
    "MANAGEMENT_URL": "management_url",
    "AUTH": "auth",
    "TIMEOUT": "timeout",
    "MAX_CONNECTIONS": "max_connections",
    "MAX_RETRIES": "max_retries",
    "MAX_WAIT": "max_wait",
    "RATE_LIMITER": "rate_limiter",
}
"""``SOCKETLABS`` keys that configure the client, and the ``SocketLabs`` argument each becomes."""

_OTHER_KEYS = frozenset(
    {"WEBHOOK_SECRETS", "WEBHOOK_SERVER_IDS", "FORMAT", "MESSAGES_PER_REQUEST", "RECIPIENTS_PER_MESSAGE"}
)


def _all() -> Mapping[str, Any]:
    value = getattr(settings, "SOCKETLABS", {})
    if not isinstance(value, Mapping):
        raise ImproperlyConfigured("settings.SOCKETLABS must be a dict")
    unknown = sorted(set(value) - set(CLIENT_OPTIONS) - _OTHER_KEYS)
    if unknown:  # a typo would otherwise fall silently to the environment
        raise ImproperlyConfigured(f"settings.SOCKETLABS has unknown keys: {', '.join(unknown)}")
    return value


def setting(name: str, default: Any = None) -> Any:
    """One ``SOCKETLABS`` key (``default`` when absent)."""
    return _all().get(name, default)


def client_options(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``SocketLabs(...)`` arguments: backend keyword arguments over ``SOCKETLABS`` (None: the env)."""
    options = {
        argument: value for key, argument in CLIENT_OPTIONS.items() if (value := setting(key)) is not None
    }
    options.update({k: v for k, v in overrides.items() if v is not None})
    return options


def webhook_secrets() -> list[str]:
    """The accepted webhook secrets; a clear error when none are configured."""
    value = setting("WEBHOOK_SECRETS")
    if value is None:
        value = [s.strip() for s in os.environ.get("SOCKETLABS_WEBHOOK_SECRETS", "").split(",")]
    secrets = [value] if isinstance(value, str) else list(value)
    secrets = [s for s in secrets if isinstance(s, str) and s]
    if not secrets:
        raise ImproperlyConfigured(
            "no webhook secret: set SOCKETLABS['WEBHOOK_SECRETS'] or SOCKETLABS_WEBHOOK_SECRETS"
        )
    return secrets


def webhook_server_ids() -> list[int] | None:
    """The server ids a post may come from (``None``: any)."""
    value = setting("WEBHOOK_SERVER_IDS")
    if value is None:
        return None
    return [int(value)] if isinstance(value, int | str) else [int(v) for v in value]
