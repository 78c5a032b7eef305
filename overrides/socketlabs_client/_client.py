"""``SocketLabs`` and ``AsyncSocketLabs``: the clients users construct.

Each builds one pooled httpx client per API host (v2, injection, management v1) with its
auth, timeouts and user agent, and hands them to the generated layer. The
resource attributes (``client.suppressions``, ``client.injection``, ...) are
generated from the spec; the executors here are the one place a request is
sent and its answer turned into a parsed model or a typed error.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from types import TracebackType
from typing import Any, Self, Unpack

import httpx
from attrs import evolve, fields
from socketlabs_api.client import AuthenticatedClient
from socketlabs_api.operations import Operation
from socketlabs_api.resources import AsyncResources, ListQuery, Progress, RequestOptions, Resources
from socketlabs_api.types import Response

from ._adhoc import AdHocRequests, AsyncAdHocRequests
from ._auth import AuthScheme, BearerAuth, InjectionAuth, v2_auth
from ._config import ClientConfig, ClientOptions, inject_base_url, resolve_config
from ._dates import DateInput, format_api_date
from ._errors import ConfigurationError, connection_error, parse_or_raise, status_error
from ._injection import Sendable, SendOptions, SendOptionsDict, SendReport, send_messages, send_messages_async
from ._logging import setup_logging
from ._pagination import AsyncCsvStream, AsyncPageIterator, CsvStream, PageIterator, plan
from ._ratelimit import RateLimiter
from ._retries import RetryPolicy
from ._transport import OPERATION_EXTENSION, RETRY_POLICY_EXTENSION, AsyncLimitedTransport, LimitedTransport

__all__ = ["OPERATION_EXTENSION", "AsyncSocketLabs", "SocketLabs"]

log = logging.getLogger("socketlabs_client")


def _headers(config: ClientConfig) -> dict[str, str]:
    return {"User-Agent": config.user_agent}


def _limits(config: ClientConfig) -> httpx.Limits:
    return httpx.Limits(
        max_connections=config.max_connections, max_keepalive_connections=config.max_connections
    )


def _generated_client(base_url: str) -> AuthenticatedClient:
    # The token stays empty: auth lives on the httpx client we set, never here.
    return AuthenticatedClient(base_url=base_url, token="")


_RETRY_FIELDS = frozenset(f.name for f in fields(RetryPolicy))


def _with_retries(
    config: ClientConfig,
    retry: RetryPolicy | None,
    max_retries: int | None,
    max_wait: float | None,
    rate_limiter: RateLimiter | bool,
) -> ClientConfig:
    """Apply the constructor's retry and rate-limit arguments (see ``_retries``, ``_ratelimit``)."""
    policy = retry or config.retry
    if max_retries is not None:
        policy = evolve(policy, max_retries=max_retries)
    if max_wait is not None:
        policy = evolve(policy, max_wait=max_wait)
    limiter = rate_limiter if isinstance(rate_limiter, RateLimiter) else None
    if rate_limiter is True:
        limiter = config.rate_limiter
    return evolve(config, retry=policy, rate_limiter=limiter)


def _server_id(config: ClientConfig, server_id: int | None) -> int:
    resolved = server_id if server_id is not None else config.server_id
    if resolved is None:
        raise ConfigurationError(
            "no server id: pass server_id= to the call or the client, or set SOCKETLABS_SERVER_ID"
        )
    return resolved


def _build(
    http: httpx.Client | httpx.AsyncClient,
    operation: Operation,
    request: dict[str, Any],
    options: RequestOptions | None = None,
    policy: RetryPolicy | None = None,
) -> httpx.Request:
    """The outgoing request: the operation rides along for the transport, and the success media types."""
    request["extensions"] = {**request.get("extensions", {}), OPERATION_EXTENSION: operation}
    request["headers"] = {**request.get("headers", {}), "Accept": operation.accept}
    if options is not None:
        if options.extra_headers:
            request["headers"].update(options.extra_headers)
        if options.extra_query:
            request["params"] = {**(request.get("params") or {}), **options.extra_query}
        if options.timeout is not None:
            timeout = options.timeout
            request["timeout"] = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        if options.max_retries is not None and policy is not None:
            request["extensions"][RETRY_POLICY_EXTENSION] = evolve(policy, max_retries=options.max_retries)
    log.debug("%s %s (%s)", operation.method, request["url"], operation.operation_id)
    url = request["url"]
    if isinstance(url, str) and url.startswith("/"):
        # Joined here, not by httpx: its join parses the URL a second time, a tenth of a call's overhead.
        request["url"] = str(http.base_url).rstrip("/") + url
    return http.build_request(**request)


class _Executor:
    """Sends generated requests on the right host and checks the answers."""

    def __init__(self, config: ClientConfig, clients: dict[str, AuthenticatedClient]) -> None:
        self._config = config
        self._clients = clients

    def resolve_server_id(self, server_id: int | None) -> int:
        return _server_id(self._config, server_id)

    def format_date(self, value: DateInput, parameter: str) -> str:
        return format_api_date(value, parameter)

    def execute(
        self,
        operation: Operation,
        request: dict[str, Any],
        build: Callable[..., Response[Any]],
        options: RequestOptions | None = None,
    ) -> Response[Any]:
        client = self._clients[operation.server]
        http = client.get_httpx_client()
        outgoing = _build(http, operation, request, options, self._config.retry)
        try:
            response = http.send(outgoing)
        except httpx.HTTPError as exc:
            raise connection_error(operation, outgoing, exc) from exc
        return parse_or_raise(
            operation, response, lambda: build(client=client, response=response), (self._config.api_key,)
        )

    @contextmanager
    def stream(self, operation: Operation, request: dict[str, Any]) -> Iterator[httpx.Response]:
        """Send ``request`` and hand over the response with its body unread (CSV pages)."""
        http = self._clients[operation.server].get_httpx_client()
        outgoing = _build(http, operation, request)
        try:
            response = http.send(outgoing, stream=True)
        except httpx.HTTPError as exc:
            raise connection_error(operation, outgoing, exc) from exc
        try:
            if not 200 <= response.status_code < 300:
                raise status_error(operation, response, (self._config.api_key,))
            yield response
        finally:
            response.close()

    def paginate(
        self,
        operation: Operation,
        request: dict[str, Any],
        build: Callable[..., Response[Any]],
        query: ListQuery,
        options: RequestOptions | None = None,
    ) -> PageIterator[Any, Any]:
        return PageIterator(self, operation, request, build, plan(operation, query))

    def download(
        self,
        operation: Operation,
        request: dict[str, Any],
        query: ListQuery,
        progress: Progress,
        options: RequestOptions | None = None,
    ) -> CsvStream:
        return CsvStream(self, operation, request, plan(operation, query), progress)


class _AsyncExecutor:
    """The async twin of ``_Executor``."""

    def __init__(self, config: ClientConfig, clients: dict[str, AuthenticatedClient]) -> None:
        self._config = config
        self._clients = clients

    def resolve_server_id(self, server_id: int | None) -> int:
        return _server_id(self._config, server_id)

    def format_date(self, value: DateInput, parameter: str) -> str:
        return format_api_date(value, parameter)

    async def execute(
        self,
        operation: Operation,
        request: dict[str, Any],
        build: Callable[..., Response[Any]],
        options: RequestOptions | None = None,
    ) -> Response[Any]:
        client = self._clients[operation.server]
        http = client.get_async_httpx_client()
        outgoing = _build(http, operation, request, options, self._config.retry)
        try:
            response = await http.send(outgoing)
            await response.aread()
        except httpx.HTTPError as exc:
            raise connection_error(operation, outgoing, exc) from exc
        return parse_or_raise(
            operation, response, lambda: build(client=client, response=response), (self._config.api_key,)
        )

    @asynccontextmanager
    async def stream(self, operation: Operation, request: dict[str, Any]) -> AsyncIterator[httpx.Response]:
        """Send ``request`` and hand over the response with its body unread (CSV pages)."""
        http = self._clients[operation.server].get_async_httpx_client()
        outgoing = _build(http, operation, request)
        try:
            response = await http.send(outgoing, stream=True)
        except httpx.HTTPError as exc:
            raise connection_error(operation, outgoing, exc) from exc
        try:
            if not 200 <= response.status_code < 300:
                await response.aread()
                raise status_error(operation, response, (self._config.api_key,))
            yield response
        finally:
            await response.aclose()

    def paginate(
        self,
        operation: Operation,
        request: dict[str, Any],
        build: Callable[..., Response[Any]],
        query: ListQuery,
        options: RequestOptions | None = None,
    ) -> AsyncPageIterator[Any, Any]:
        return AsyncPageIterator(self, operation, request, build, plan(operation, query))

    def download(
        self,
        operation: Operation,
        request: dict[str, Any],
        query: ListQuery,
        progress: Progress,
        options: RequestOptions | None = None,
    ) -> AsyncCsvStream:
        return AsyncCsvStream(self, operation, request, plan(operation, query), progress)


class _Settings:
    """What both clients share: their resolved settings and a secret-free repr."""

    _config: ClientConfig

    @property
    def config(self) -> ClientConfig:
        """The resolved settings."""
        return self._config

    @property
    def server_id(self) -> int | None:
        """The default server id."""
        return self._config.server_id

    def _changed(self, changes: dict[str, Any]) -> ClientConfig:
        if "timeout" in changes and not isinstance(changes["timeout"], httpx.Timeout):
            changes["timeout"] = httpx.Timeout(changes["timeout"])
        if "inject_url" in changes:
            changes["inject_url"] = inject_base_url(changes["inject_url"])
        retry = {name: changes.pop(name) for name in list(changes) if name in _RETRY_FIELDS}
        if retry:  # with_options(max_retries=0, deadline=5, on_retry=...)
            changes["retry"] = evolve(changes.get("retry", self._config.retry), **retry)
        if isinstance(changes.get("rate_limiter"), bool):  # True: keep the shared one; False: none
            changes["rate_limiter"] = self._config.rate_limiter if changes["rate_limiter"] else None
        return evolve(self._config, **changes)

    def __repr__(self) -> str:
        c = self._config
        name = type(self).__name__
        return (
            f"{name}(server_id={c.server_id}, base_url={c.base_url!r}, inject_url={c.inject_url!r},"
            f" management_url={c.management_url!r})"
        )


class SocketLabs(_Settings, Resources, AdHocRequests):
    """The SocketLabs client (sync).

    ```python
    from socketlabs_client import SocketLabs

    with SocketLabs(api_key="...", server_id=12345) as client:
        status = client.suppressions.check(email_address="someone@example.com")
    ```

    **Parameters:** (each falls back to its environment variable, then a default; see ``_config``)

    * `api_key` - the SocketLabs API key (``SOCKETLABS_API_KEY``).
    * `server_id` - the default server id for calls (``SOCKETLABS_SERVER_ID``).
    * `base_url`, `inject_url`, `management_url` - the v2, Injection API and management v1
      base URLs; `inject_url` may be a credentials' `gateway` (e.g. the CX gateway).
    * `auth` - ``"bearer"`` (default) or ``"basic"`` for the v2 API.
    * `timeout` - seconds or an ``httpx.Timeout`` (default 60 s, connect 10 s).
    * `transport` - an httpx transport to send through (tests, proxies).
    * `retry` - a ``RetryPolicy``; `max_retries`, `max_wait` - shortcuts for its fields.
    * `rate_limiter` - a ``RateLimiter`` to share (e.g. ``RateLimiter.redis(url)``),
      ``True`` (default) for one of its own, ``False`` for none.

    Every request waits for the rate limiter and is retried when that is safe
    (``_retries`` says exactly when); ``with_options(max_retries=0, ...)``
    changes that for the calls of the returned client.
    """

    def __init__(
        self,
        api_key: str | None = None,
        server_id: int | str | None = None,
        *,
        base_url: str | None = None,
        inject_url: str | None = None,
        management_url: str | None = None,
        auth: AuthScheme = "bearer",
        timeout: float | httpx.Timeout | None = None,
        max_connections: int = 20,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        max_wait: float | None = None,
        rate_limiter: RateLimiter | bool = True,
    ) -> None:
        config = resolve_config(
            api_key=api_key,
            server_id=server_id,
            base_url=base_url,
            inject_url=inject_url,
            management_url=management_url,
            auth=auth,
            timeout=timeout,
            max_connections=max_connections,
        )
        self._setup(_with_retries(config, retry, max_retries, max_wait, rate_limiter), transport)

    @classmethod
    def from_config(cls, config: ClientConfig, *, transport: httpx.BaseTransport | None = None) -> Self:
        """A client for settings already resolved (see ``with_options``)."""
        client = cls.__new__(cls)
        client._setup(config, transport)
        return client

    def _setup(self, config: ClientConfig, transport: httpx.BaseTransport | None) -> None:
        setup_logging()
        self._config = config
        self._transport = transport

        def http(base_url: str, auth: httpx.Auth) -> httpx.Client:
            inner = transport or httpx.HTTPTransport(limits=_limits(config))
            return httpx.Client(
                base_url=base_url,
                auth=auth,
                headers=_headers(config),
                timeout=config.timeout,
                transport=LimitedTransport(
                    inner, policy=config.retry, limiter=config.rate_limiter, api_key=config.api_key
                ),
            )

        self.api_client = _generated_client(config.base_url).set_httpx_client(
            http(config.base_url, v2_auth(config.api_key, config.auth))
        )
        self.injection_client = _generated_client(config.inject_url).set_httpx_client(
            http(config.inject_url, InjectionAuth(config.api_key))
        )
        self.management_client = _generated_client(config.management_url).set_httpx_client(
            http(config.management_url, BearerAuth(config.api_key))
        )
        clients = {
            "api": self.api_client,
            "injection": self.injection_client,
            "management": self.management_client,
        }
        self._executor = _Executor(config, clients)
        super().__init__(self._executor)

    def send(self, messages: Sendable | list[Sendable], **options: Unpack[SendOptionsDict]) -> SendReport:
        """Check, batch and send messages; one result per recipient (see ``_injection.SendOptions``).

        ``messages``: a ``BasicMessage``, ``BulkMessage`` or ``Message`` model, or a list of them.
        Options: ``server_id``, ``format`` (``"json"``/``"xml"``), ``dry_run``, ``concurrency``,
        ``messages_per_request`` (10), ``recipients_per_message`` (50).
        """
        return send_messages(self._executor, messages, SendOptions(**options))

    def with_options(self, **changes: Unpack[ClientOptions]) -> SocketLabs:
        """A new client with some settings changed (``timeout=5``, ``server_id=...``)."""
        return type(self).from_config(self._changed(dict(changes)), transport=self._transport)

    def close(self) -> None:
        """Close the connection pools."""
        self.api_client.get_httpx_client().close()
        self.injection_client.get_httpx_client().close()
        self.management_client.get_httpx_client().close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncSocketLabs(_Settings, AsyncResources, AsyncAdHocRequests):
    """The SocketLabs client (async); the same parameters as ``SocketLabs``.

    ```python
    async with AsyncSocketLabs() as client:
        page = await client.suppressions.search(page_size=50)
    ```
    """

    def __init__(
        self,
        api_key: str | None = None,
        server_id: int | str | None = None,
        *,
        base_url: str | None = None,
        inject_url: str | None = None,
        management_url: str | None = None,
        auth: AuthScheme = "bearer",
        timeout: float | httpx.Timeout | None = None,
        max_connections: int = 20,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        max_wait: float | None = None,
        rate_limiter: RateLimiter | bool = True,
    ) -> None:
        config = resolve_config(
            api_key=api_key,
            server_id=server_id,
            base_url=base_url,
            inject_url=inject_url,
            management_url=management_url,
            auth=auth,
            timeout=timeout,
            max_connections=max_connections,
        )
        self._setup(_with_retries(config, retry, max_retries, max_wait, rate_limiter), transport)

    @classmethod
    def from_config(cls, config: ClientConfig, *, transport: httpx.AsyncBaseTransport | None = None) -> Self:
        """A client for settings already resolved (see ``with_options``)."""
        client = cls.__new__(cls)
        client._setup(config, transport)
        return client

    def _setup(self, config: ClientConfig, transport: httpx.AsyncBaseTransport | None) -> None:
        setup_logging()
        self._config = config
        self._transport = transport

        def http(base_url: str, auth: httpx.Auth) -> httpx.AsyncClient:
            inner = transport or httpx.AsyncHTTPTransport(limits=_limits(config))
            return httpx.AsyncClient(
                base_url=base_url,
                auth=auth,
                headers=_headers(config),
                timeout=config.timeout,
                transport=AsyncLimitedTransport(
                    inner, policy=config.retry, limiter=config.rate_limiter, api_key=config.api_key
                ),
            )

        self.api_client = _generated_client(config.base_url).set_async_httpx_client(
            http(config.base_url, v2_auth(config.api_key, config.auth))
        )
        self.injection_client = _generated_client(config.inject_url).set_async_httpx_client(
            http(config.inject_url, InjectionAuth(config.api_key))
        )
        self.management_client = _generated_client(config.management_url).set_async_httpx_client(
            http(config.management_url, BearerAuth(config.api_key))
        )
        clients = {
            "api": self.api_client,
            "injection": self.injection_client,
            "management": self.management_client,
        }
        self._executor = _AsyncExecutor(config, clients)
        super().__init__(self._executor)

    async def send(
        self, messages: Sendable | list[Sendable], **options: Unpack[SendOptionsDict]
    ) -> SendReport:
        """The async ``SocketLabs.send``: requests go out concurrently (``concurrency``, default 8)."""
        return await send_messages_async(self._executor, messages, SendOptions(**options))

    def with_options(self, **changes: Unpack[ClientOptions]) -> AsyncSocketLabs:
        """A new client with some settings changed (``timeout=5``, ``server_id=...``)."""
        return type(self).from_config(self._changed(dict(changes)), transport=self._transport)

    async def aclose(self) -> None:
        """Close the connection pools."""
        await self.api_client.get_async_httpx_client().aclose()
        await self.injection_client.get_async_httpx_client().aclose()
        await self.management_client.get_async_httpx_client().aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
