"""Where the Django integration reads its settings: anymail's places first, then the environment.

Each option is looked up the way django-anymail looks up every ESP's options
(``get_anymail_setting``): a keyword argument to the backend, then
``ANYMAIL = {"SOCKETLABS_API_KEY": ...}``, then ``ANYMAIL_SOCKETLABS_API_KEY``,
then a bare ``SOCKETLABS_API_KEY`` Django setting. The earlier
``SOCKETLABS = {"API_KEY": ...}`` dict is still read after those, with a
``DeprecationWarning`` per key, so a project can switch without a flag day.
Anything left unset falls to the client's own resolution: the
``SOCKETLABS_API_KEY``, ``SOCKETLABS_SERVER_ID``, ``SOCKETLABS_INJECT_URL``...
environment variables. The webhook secret keys fall back to
``SOCKETLABS_WEBHOOK_SECRETS`` (comma-separated, so an old and a new key can
both be active while you rotate), the variable the receiver examples read.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from typing import Any

from anymail.exceptions import AnymailConfigurationError
from anymail.utils import get_anymail_setting
from django.conf import settings

__all__ = [
    "CLIENT_OPTIONS",
    "ESP_NAME",
    "client_options",
    "esp_setting",
    "webhook_secret_keys",
    "webhook_server_ids",
]

ESP_NAME = "SocketLabs"

CLIENT_OPTIONS = (
    "api_key",
    "server_id",
    "base_url",
    "inject_url",
    "management_url",
    "auth",
    "timeout",
    "max_connections",
    "max_retries",
    "max_wait",
    "rate_limiter",
)
"""Client options: ``ANYMAIL["SOCKETLABS_" + NAME]`` becomes ``SocketLabs(name=...)``."""

_LEGACY_KEYS = frozenset(
    {name.upper() for name in CLIENT_OPTIONS}
    | {"WEBHOOK_SECRETS", "WEBHOOK_SERVER_IDS", "FORMAT", "MESSAGES_PER_REQUEST", "RECIPIENTS_PER_MESSAGE"}
)
_LEGACY_NEW_NAMES = {
    "WEBHOOK_SECRETS": "SOCKETLABS_WEBHOOK_SECRET_KEY",
    "WEBHOOK_SERVER_IDS": "SOCKETLABS_WEBHOOK_SERVER_ID",
}


def _legacy(name: str) -> Any:
    """One key of the deprecated ``SOCKETLABS`` dict (``None`` when absent), with a warning when used."""
    value = getattr(settings, "SOCKETLABS", None)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise AnymailConfigurationError("settings.SOCKETLABS must be a dict")
    unknown = sorted(set(value) - _LEGACY_KEYS)
    if unknown:  # a typo would otherwise fall silently to the environment
        raise AnymailConfigurationError(f"settings.SOCKETLABS has unknown keys: {', '.join(unknown)}")
    found = value.get(name)
    if found is not None:
        new = _LEGACY_NEW_NAMES.get(name, f"SOCKETLABS_{name}")
        warnings.warn(
            f'settings.SOCKETLABS["{name}"] is deprecated: use ANYMAIL = {{"{new}": ...}}',
            DeprecationWarning,
            stacklevel=3,
        )
    return found


def esp_setting(name: str, kwargs: dict[str, Any] | None = None, *, legacy: str | None = None) -> Any:
    """One SocketLabs option by anymail's precedence, then the old ``SOCKETLABS`` dict; ``None`` if unset."""
    value = get_anymail_setting(name, esp_name=ESP_NAME, kwargs=kwargs, allow_bare=True, default=None)
    if value is None:
        value = _legacy(legacy or name.upper())
    return value


def client_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``SocketLabs(...)`` arguments from the backend's keyword arguments and the settings."""
    return {name: value for name in CLIENT_OPTIONS if (value := esp_setting(name, kwargs)) is not None}


def webhook_secret_keys() -> list[str]:
    """The ``SecretKey`` values a post may carry; a configuration error when there are none."""
    value = esp_setting("webhook_secret_key", legacy="WEBHOOK_SECRETS")
    if value is None:
        value = [s.strip() for s in os.environ.get("SOCKETLABS_WEBHOOK_SECRETS", "").split(",")]
    values = [value] if isinstance(value, str) else list(value)
    secrets = [s for s in values if isinstance(s, str) and s]
    if not secrets:
        raise AnymailConfigurationError(
            'no SocketLabs webhook secret key: set ANYMAIL = {"SOCKETLABS_WEBHOOK_SECRET_KEY": ...} '
            "or the SOCKETLABS_WEBHOOK_SECRETS environment variable"
        )
    return secrets


def webhook_server_ids() -> list[int] | None:
    """The server ids a post may come from (``None``: any)."""
    value = esp_setting("webhook_server_id", legacy="WEBHOOK_SERVER_IDS")
    if value is None:
        return None
    try:
        return [int(value)] if isinstance(value, int | str) else [int(v) for v in value]
    except (TypeError, ValueError):
        raise AnymailConfigurationError("SOCKETLABS_WEBHOOK_SERVER_ID must be server ids (numbers)") from None
