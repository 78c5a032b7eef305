"""Settings: constructor arguments, then environment variables, then defaults.

| setting   | argument    | environment variable    | default                                |
|-----------|-------------|-------------------------|----------------------------------------|
| API key   | api_key     | SOCKETLABS_API_KEY      | none: required                         |
| server id | server_id   | SOCKETLABS_SERVER_ID    | none: then each call must pass one     |
| v2 URL    | base_url    | SOCKETLABS_BASE_URL     | https://api.socketlabs.com/v2          |
| injection | inject_url  | SOCKETLABS_INJECT_URL   | https://inject.socketlabs.com/api/v1   |
| v1 mgmt   | management_url | SOCKETLABS_MANAGEMENT_URL | https://api.socketlabs.com/v1     |
| marketing | marketing_url | SOCKETLABS_MARKETING_URL | https://api.socketlabs.com/marketing/v1 |

`inject_url` may also be a full injection URL ending in `/email`, such as the
`gateway` that `client.credentials.get_injection_api()` answers (e.g. the CX
gateway `https://inject-cx.socketlabs.com/api/v1/email`): the `/email` is
dropped, so `client.with_options(inject_url=credentials.gateway)` sends there.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TypedDict

import httpx
from socketlabs_api.tables import SERVERS
from socketlabs_api.types import Record

from ._auth import AuthScheme
from ._errors import ConfigurationError
from ._ratelimit import RateLimiter
from ._retries import DEFAULT_RETRY_POLICY, RetryEvent, RetryPolicy

__all__ = [
    "CLIENT_SETTINGS",
    "DEFAULT_BASE_URL",
    "DEFAULT_INJECT_CX_URL",
    "DEFAULT_INJECT_URL",
    "DEFAULT_MANAGEMENT_URL",
    "DEFAULT_MARKETING_URL",
    "DEFAULT_MAX_RESPONSE_SIZE",
    "DEFAULT_TIMEOUT",
    "SANDBOX_EXTRA",
    "SERVER_SETTINGS",
    "ClientConfig",
    "ClientOptions",
    "ClientSettings",
    "ServerSetting",
    "inject_base_url",
    "resolve_config",
]

DEFAULT_BASE_URL = SERVERS["api"].default_url
DEFAULT_INJECT_URL = SERVERS["injection"].default_url
DEFAULT_INJECT_CX_URL = SERVERS["injection"].gateways["cx"]
"""The Complex Sender (CX) injection gateway (the spec's ``x-servers``); pass it as ``inject_url``."""
DEFAULT_MANAGEMENT_URL = SERVERS["management"].default_url
"""The v1 base (custom bounce domains, DKIM keys and tracking domains of servers)."""
DEFAULT_MARKETING_URL = SERVERS["marketing"].default_url
"""The legacy marketing API v1 (Basic auth: the server id and the marketing API key)."""
# The vendor's libraries wait 100-120 s for an injection; a minute is plenty for
# one request, and connecting should never take more than ten seconds.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
DEFAULT_MAX_CONNECTIONS = 20
DEFAULT_MAX_RESPONSE_SIZE = 32 * 1024 * 1024
"""The largest answer read into memory (CSV pages are streamed and not held to it)."""

SANDBOX_EXTRA = frozenset({"starlette", "uvicorn"})
"""The modules the optional ``sandbox`` extra installs: only their absence means "install the extra"."""

ENV_API_KEY = "SOCKETLABS_API_KEY"
ENV_SERVER_ID = "SOCKETLABS_SERVER_ID"
ENV_BASE_URL = SERVERS["api"].env_var
ENV_INJECT_URL = SERVERS["injection"].env_var
ENV_MANAGEMENT_URL = SERVERS["management"].env_var
ENV_MARKETING_URL = SERVERS["marketing"].env_var
_INJECTION_PATH = "/email"


class ServerSetting(Record):
    """One API host: its ``x-server`` name, constructor argument, environment variable and default URL.

    The one table that every consumer (configuration, the CLI's ``export`` lines,
    the test kit) reads, so a new host cannot be forgotten by one of them.
    """

    name: str
    argument: str
    env_var: str
    default_url: str


SERVER_SETTINGS: tuple[ServerSetting, ...] = tuple(
    ServerSetting(server.name, server.argument, server.env_var, server.default_url)
    for server in SERVERS.values()
)
"""Built from the spec's ``x-servers`` table (``socketlabs_api.tables.SERVERS``)."""

__version__: str  # read from the installed metadata on first use (module __getattr__ below)
USER_AGENT: str  # the default ``User-Agent``, made on first use


@cache
def _version() -> str:
    """The installed version: importlib.metadata (and zipfile) load when it is first asked for."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("socketlabs-client")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


@cache
def _user_agent() -> str:
    import platform  # noqa: PLC0415 - loaded when the first client is configured

    return f"socketlabs-client/{_version()} (python {platform.python_version()}; httpx {httpx.__version__})"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _version()
    if name == "USER_AGENT":
        return _user_agent()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# A dataclass, not a Record: it needs default factories and a hidden field, and with_options uses
# dataclasses.replace on it.
@dataclass(frozen=True, slots=True, weakref_slot=True)
class ClientConfig:
    """The resolved settings of one client; ``repr`` never shows the key."""

    api_key: str = field(repr=False)
    server_id: int | None
    base_url: str
    inject_url: str
    management_url: str = DEFAULT_MANAGEMENT_URL
    marketing_url: str = DEFAULT_MARKETING_URL
    auth: AuthScheme = "bearer"
    timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)  # unhashable: no plain default
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    user_agent: str = field(default_factory=_user_agent)
    retry: RetryPolicy = DEFAULT_RETRY_POLICY
    rate_limiter: RateLimiter | None = field(default_factory=RateLimiter)
    """One budget per client by default; ``with_options`` copies share it (see ``_ratelimit``)."""
    default_headers: Mapping[str, str] = field(default_factory=dict)
    """Headers sent with every request (after the client's own; ``Authorization`` is refused)."""
    max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE
    """Answers larger than this are refused with ``ResponseTooLargeError`` instead of read."""


class ClientSettings(TypedDict, total=False):
    """The keyword settings both constructors take (``SocketLabs``, ``AsyncSocketLabs``), defined once.

    Each URL falls back to its environment variable, then the spec's default;
    ``retry``, ``max_retries`` and ``max_wait`` shape the ``RetryPolicy``;
    ``rate_limiter`` True (the default) makes one of the client's own.
    """

    base_url: str | None
    inject_url: str | None
    management_url: str | None
    marketing_url: str | None
    auth: AuthScheme
    timeout: float | httpx.Timeout | None
    max_connections: int
    default_headers: Mapping[str, str] | None
    max_response_size: int
    retry: RetryPolicy | None
    max_retries: int | None
    max_wait: float | None
    rate_limiter: RateLimiter | bool


CLIENT_SETTINGS = frozenset(ClientSettings.__annotations__)
"""The names ``ClientSettings`` allows (checked at run time: ``**settings`` would take any)."""


class ClientOptions(TypedDict, total=False):
    """What ``with_options(...)`` may change: ``ClientConfig``'s fields and ``RetryPolicy``'s.

    Keyword arguments typed one by one, so a type checker catches a misspelt
    setting before it runs. ``timeout`` may be seconds; ``rate_limiter`` True
    keeps the client's own, False means none.
    """

    api_key: str
    server_id: int | None
    base_url: str
    inject_url: str
    management_url: str
    marketing_url: str
    auth: AuthScheme
    timeout: float | httpx.Timeout
    max_connections: int
    user_agent: str
    retry: RetryPolicy
    rate_limiter: RateLimiter | bool | None
    max_retries: int
    initial_backoff: float
    max_backoff: float
    max_retry_after: float
    deadline: float | None
    max_wait: float | None
    on_retry: Callable[[RetryEvent], None] | None
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    async_sleep: Callable[[float], Awaitable[None]]
    default_headers: Mapping[str, str]
    max_response_size: int


def _server_id(value: int | str | None, source: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ConfigurationError(f"{source} must be a positive integer, not a bool")
    try:
        number = int(value)
    except ValueError:
        raise ConfigurationError(f"{source} must be a positive integer, got {value!r}") from None
    if number < 1:
        raise ConfigurationError(f"{source} must be a positive integer, got {number}")
    return number


def _url(value: str, source: str) -> str:
    url = httpx.URL(value)
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(f"{source} must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


def inject_base_url(value: str) -> str:
    """The injection base URL; a full gateway URL (``.../api/v1/email``) loses its ``/email``."""
    url = _url(value, "inject_url")
    return url.removesuffix(_INJECTION_PATH) if url.endswith(_INJECTION_PATH) else url


def resolve_config(
    *,
    api_key: str | None = None,
    server_id: int | str | None = None,
    base_url: str | None = None,
    inject_url: str | None = None,
    management_url: str | None = None,
    marketing_url: str | None = None,
    auth: AuthScheme = "bearer",
    timeout: float | httpx.Timeout | None = None,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    default_headers: Mapping[str, str] | None = None,
    max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
    env: Mapping[str, str] | None = None,
) -> ClientConfig:
    """Resolve settings in the documented order and check them before anything is sent."""
    env = os.environ if env is None else env
    key = api_key if api_key is not None else env.get(ENV_API_KEY)
    if not key or not key.strip():
        raise ConfigurationError(f"no API key: pass api_key= or set {ENV_API_KEY}")
    if auth not in ("bearer", "basic"):
        raise ConfigurationError(f"auth must be 'bearer' or 'basic', got {auth!r}")
    if max_connections < 1:
        raise ConfigurationError(f"max_connections must be at least 1, got {max_connections}")
    if isinstance(max_response_size, bool) or not isinstance(max_response_size, int) or max_response_size < 1:
        raise ConfigurationError(
            f"max_response_size must be a positive number of bytes, got {max_response_size!r}"
        )
    sid = (
        _server_id(server_id, "server_id")
        if server_id is not None
        else _server_id(env.get(ENV_SERVER_ID), ENV_SERVER_ID)
    )
    resolved_timeout = (
        DEFAULT_TIMEOUT
        if timeout is None
        else timeout
        if isinstance(timeout, httpx.Timeout)
        else httpx.Timeout(timeout)
    )
    return ClientConfig(
        api_key=key.strip(),
        server_id=sid,
        base_url=_url(base_url or env.get(ENV_BASE_URL) or DEFAULT_BASE_URL, "base_url"),
        inject_url=inject_base_url(inject_url or env.get(ENV_INJECT_URL) or DEFAULT_INJECT_URL),
        management_url=_url(
            management_url or env.get(ENV_MANAGEMENT_URL) or DEFAULT_MANAGEMENT_URL, "management_url"
        ),
        marketing_url=_url(
            marketing_url or env.get(ENV_MARKETING_URL) or DEFAULT_MARKETING_URL, "marketing_url"
        ),
        auth=auth,
        timeout=resolved_timeout,
        max_connections=max_connections,
        default_headers=dict(default_headers or {}),
        max_response_size=max_response_size,
    )
