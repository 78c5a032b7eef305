"""``SocketLabs`` and ``AsyncSocketLabs``: the clients users construct.

Each holds one pooled httpx client for every API host (v2, injection,
management v1); the auth, user agent, timeout and retry policy are applied
per request, so ``with_options`` copies share the pools. The resource
attributes (``client.suppressions``, ``client.injection``, ...) are generated
from the spec; the executors here check and build each request and hand it to
the request lifecycle (``_lifecycle``), the one place it is sent, read and
judged.
"""

from __future__ import annotations

import logging
import re
import threading
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import fields, replace
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, Unpack

import httpx
from socketlabs_api.operations import Operation
from socketlabs_api.resources import AsyncResources, ListQuery, Progress, RequestOptions, Resources
from socketlabs_api.types import Response

from ._adhoc import AdHocRequests, AsyncAdHocRequests
from ._auth import BasicAuth, BearerAuth, InjectionAuth, v2_auth
from ._body import ACCEPT_ENCODING
from ._config import (
    CLIENT_SETTINGS,
    ClientConfig,
    ClientOptions,
    ClientSettings,
    inject_base_url,
    resolve_config,
)
from ._dates import DateInput, format_api_date
from ._errors import ClientStateError, ConfigurationError, InvalidParameterError, InvalidRequestError
from ._lifecycle import OPERATION_EXTENSION, Call, Lifecycle, aopen_stream, asend, open_stream, send
from ._logging import setup_logging
from ._ratelimit import RateLimiter
from ._retries import RetryPolicy
from ._text import header_name_problem, header_value_problem
from ._tiers import check_shape, warn_unverified

if TYPE_CHECKING:
    import asyncio

    from ._injection import Sendable, SendOptionsDict, SendReport
    from ._pagination import AsyncCsvStream, AsyncPageIterator, CsvStream, PageIterator

__all__ = ["OPERATION_EXTENSION", "AsyncSocketLabs", "SocketLabs"]

log = logging.getLogger("socketlabs_client")

_RETRY_FIELDS = frozenset(f.name for f in fields(RetryPolicy))
_PLACEHOLDER = re.compile(r"\{[^{}/]+\}")


def _limits(config: ClientConfig) -> httpx.Limits:
    return httpx.Limits(
        max_connections=config.max_connections, max_keepalive_connections=config.max_connections
    )


RETIRED_POOLS = 8


class LoopPools:
    """The async client's pools: one ``httpx.AsyncClient`` per event loop, made on first use there.

    An httpx pool belongs to the loop that opened its connections: a request
    sent from another loop can leave on the first loop's socket and then fail
    as if it never left. So a client that made its own pools makes one set per
    running loop (``asyncio.run`` twice, a loop per thread) and forgets the
    sets of loops that have closed. An ``http_client`` or ``transport`` the
    caller gave cannot be copied: it serves the loop it first ran in, and a
    call from any other loop is refused before anything is sent.
    """

    def __init__(
        self, make: Callable[[], httpx.AsyncClient] | None, given: httpx.AsyncClient | None = None
    ) -> None:
        self._make = make
        first = given if given is not None else make() if make is not None else None
        if first is None:  # pragma: no cover - the constructors pass one or the other
            raise TypeError("LoopPools needs a factory or a client")
        self.first: httpx.AsyncClient = first
        self._home: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._others: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()
        # The pools of ended loops cannot be closed (their loop is gone): the last few are kept
        # until this client is collected, older ones left to the garbage collector.
        self._retired: deque[httpx.AsyncClient] = deque(maxlen=RETIRED_POOLS)

    def current(self) -> httpx.AsyncClient:
        """The pools of the running loop (refusing a given client on a loop it cannot serve)."""
        import asyncio  # noqa: PLC0415 - only async paths load asyncio

        loop = asyncio.get_running_loop()
        with self._lock:
            home = None if self._home is None else self._home()
            if home is not None and home is not loop and self._make is None:
                raise ClientStateError(
                    "not sent: the http_client or transport given to this client serves the event loop"
                    " it first ran in; make one client per event loop, or let the client make its own pools"
                )
            if home is not None and home.is_closed() and self._make is not None:
                self._retired.append(self.first)  # the first loop ended; its pools went with it
                self.first, home = self._make(), None
            if home is None:
                self._home = weakref.ref(loop)
                return self.first
            if home is loop:
                return self.first
            for ended in [other for other in self._others if other.is_closed()]:
                self._retired.append(self._others.pop(ended))
            pools = self._others.get(loop)
            if pools is None and self._make is not None:
                pools = self._others[loop] = self._make()
            return pools or self.first

    def of_this_loop(self) -> list[httpx.AsyncClient]:
        """The pools that can be closed from here: the running loop's, and any not yet used."""
        import asyncio  # noqa: PLC0415 - only async paths load asyncio

        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        with self._lock:
            home = None if self._home is None else self._home()
            found = [self.first] if home is None or home is loop else []
            if loop is not None and loop in self._others:
                found.append(self._others.pop(loop))
            return [pools for pools in found if pools is not None]


def _async_pools(config: ClientConfig, transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
    """Pools for one event loop: over the caller's transport, or our own (deadline and env proxies)."""
    from ._deadline import AsyncBoundedTransport  # noqa: PLC0415 - httpcore loads with the first pools

    return httpx.AsyncClient(transport=transport or AsyncBoundedTransport(_limits(config)))


def _pools(config: ClientConfig, transport: httpx.BaseTransport | None) -> httpx.Client:
    """The sync client's pools: over the caller's transport, or our own (deadline and env proxies)."""
    from ._deadline import BoundedTransport  # noqa: PLC0415 - httpcore loads with the first pools

    return httpx.Client(transport=transport or BoundedTransport(_limits(config)))


def _configured(
    api_key: str | None, server_id: int | str | None, both: bool, settings: ClientSettings
) -> ClientConfig:
    """A constructor's settings, resolved and checked before anything is sent (see ``_config``)."""
    unknown = set(settings) - CLIENT_SETTINGS
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    if both:
        raise ConfigurationError("pass transport= or http_client=, not both")
    given: dict[str, Any] = dict(settings)
    retry = {
        name: given.pop(name)
        for name in ("retry", "max_retries", "max_wait", "rate_limiter")
        if name in given
    }
    if given.get("default_headers"):
        check_headers(given["default_headers"], "default_headers")
    config = resolve_config(api_key=api_key, server_id=server_id, **given)
    return _with_retries(
        config,
        retry.get("retry"),
        retry.get("max_retries"),
        retry.get("max_wait"),
        retry.get("rate_limiter", True),
    )


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
        policy = replace(policy, max_retries=max_retries)
    if max_wait is not None:
        policy = replace(policy, max_wait=max_wait)
    limiter = rate_limiter if isinstance(rate_limiter, RateLimiter) else None
    if rate_limiter is True:
        limiter = config.rate_limiter
    return replace(config, retry=policy, rate_limiter=limiter)


def check_headers(headers: Mapping[str, str], parameter: str) -> None:
    """Refuse a header h11 could not write (or that would split the request), before anything is sent."""
    for name, value in headers.items():
        problem = header_name_problem(name)
        if problem is not None:
            raise InvalidParameterError(parameter, problem)
        problem = header_value_problem(value)
        if problem is not None:
            raise InvalidParameterError(parameter, f"the value of {name}: {problem}")
        if name.casefold() == "authorization":
            raise InvalidParameterError(parameter, "may not set Authorization: the client's auth applies")


def check_path(operation: Operation, path: str) -> None:
    """Refuse a path value that would leave its endpoint (empty, ``.`` or ``..``) before sending."""
    template = operation.path.split("/")
    filled = path.split("/")
    if len(template) != len(filled):
        raise InvalidParameterError(operation.operation_id, f"a path value holds '/' ({path!r})")
    for pattern, value in zip(template, filled, strict=True):
        if _PLACEHOLDER.fullmatch(pattern) and value in ("", ".", "..", "%2E", "%2e", "%2E%2E", "%2e%2e"):
            name = pattern[1:-1]
            raise InvalidParameterError(
                name, f"{value!r} is not a value for {{{name}}}: it would leave the endpoint"
            )


def resolve_server_id(config: ClientConfig, server_id: int | None) -> int:
    """The call's server id, or the client's; a positive int either way."""
    resolved = server_id if server_id is not None else config.server_id
    if resolved is None:
        raise ConfigurationError(
            "no server id: pass server_id= to the call or the client, or set SOCKETLABS_SERVER_ID"
        )
    if isinstance(resolved, bool) or not isinstance(resolved, int) or resolved < 1:
        raise InvalidParameterError("server_id", f"must be a positive integer, not {resolved!r}")
    return resolved


class _Core:
    """What the sync and async executors share: settings, auth per host, and building a request."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.life = Lifecycle.of(
            policy=config.retry,
            limiter=config.rate_limiter,
            api_key=config.api_key,
            max_response_size=config.max_response_size,
        )
        self.auth: dict[str, httpx.Auth] = {
            "api": v2_auth(config.api_key, config.auth),
            "injection": InjectionAuth(config.api_key),
            "management": BearerAuth(config.api_key),
            # Legacy marketing v1: Basic with the server id as user name (checked per call).
            "marketing": BasicAuth(config.api_key, str(config.server_id or "")),
        }
        self.base = {
            "api": config.base_url,
            "injection": config.inject_url,
            "management": config.management_url,
            "marketing": config.marketing_url,
        }
        self.headers = {
            "User-Agent": config.user_agent,
            "Accept-Encoding": ACCEPT_ENCODING,  # only what _body decodes under its guard
            **config.default_headers,
        }

    def resolve_server_id(self, server_id: int | None) -> int:
        return resolve_server_id(self.config, server_id)

    def call(
        self,
        http: httpx.Client | httpx.AsyncClient,
        operation: Operation,
        request: dict[str, Any],
        options: RequestOptions | None,
    ) -> Call:
        """The checked outgoing request for one call, and its lifecycle state."""
        url = request["url"]
        path = url.split("?", 1)[0]
        check_path(operation, path)
        warn_unverified(operation)
        if operation.server == "marketing":
            self.resolve_server_id(None)  # its Basic auth names the server: refuse before sending
        headers = {**self.headers, **request.get("headers", {}), "Accept": operation.accept}
        timeout = self.config.timeout
        policy = self.config.retry
        params: Mapping[str, Any] | None = request.get("params")
        if options is not None:
            if options.extra_headers:
                check_headers(options.extra_headers, "extra_headers")
                headers.update(options.extra_headers)
            if options.extra_query:
                params = {**(params or {}), **options.extra_query}
            if options.timeout is not None:
                timeout = (
                    options.timeout
                    if isinstance(options.timeout, httpx.Timeout)
                    else httpx.Timeout(options.timeout)
                )
            if options.max_retries is not None:
                if isinstance(options.max_retries, bool) or options.max_retries < 0:
                    raise InvalidParameterError(
                        "max_retries", f"must be a whole number >= 0, not {options.max_retries!r}"
                    )
                policy = replace(policy, max_retries=options.max_retries)
        if request.get("headers"):
            check_headers(
                {k: v for k, v in request["headers"].items() if k.casefold() != "content-type"}, "headers"
            )
        if params:  # written here, as the pagers write theirs: httpx would parse the URL again
            from ._filters import with_query  # noqa: PLC0415 - the filter grammar loads with the first query

            url = with_query(url, params)
        log.debug("%s %s (%s)", operation.method, url, operation.operation_id)
        try:
            outgoing = http.build_request(
                method=request["method"],
                # Joined here, not by httpx: its join parses the URL a second time.
                url=self.base[operation.server] + url if url.startswith("/") else url,
                content=request.get("content"),
                json=request.get("json"),
                data=request.get("data"),
                files=request.get("files"),
                headers=headers,
                timeout=timeout,
                extensions={**request.get("extensions", {}), OPERATION_EXTENSION: operation},
            )
        except (UnicodeEncodeError, TypeError, ValueError) as exc:
            raise InvalidRequestError(
                f"{operation.operation_id}: the request cannot be built: {exc}"
            ) from None
        return Call(self.life, operation, outgoing, policy)


class _Executor:
    """Sends generated requests through the lifecycle and hands back parsed answers or typed errors."""

    def __init__(self, core: _Core, http: httpx.Client) -> None:
        self._core = core
        self._http = http

    def resolve_server_id(self, server_id: int | None) -> int:
        return self._core.resolve_server_id(server_id)

    def format_date(self, value: DateInput, parameter: str) -> str:
        return format_api_date(value, parameter)

    def execute(
        self,
        operation: Operation,
        request: dict[str, Any],
        build: Callable[..., Response[Any]],
        options: RequestOptions | None = None,
    ) -> Response[Any]:
        core = self._core
        call = core.call(self._http, operation, request, options)
        response = send(self._http, call, core.auth[operation.server], build)
        return check_shape(operation, response)

    @contextmanager
    def stream(
        self, operation: Operation, request: dict[str, Any], options: RequestOptions | None = None
    ) -> Iterator[httpx.Response]:
        """Send ``request`` and hand over a success answer with its body unread (CSV pages)."""
        core = self._core
        call = core.call(self._http, operation, request, options)
        response = open_stream(self._http, call, core.auth[operation.server])
        try:
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
        from ._pagination import PageIterator, plan  # noqa: PLC0415 - csv and the pagers on first use

        return PageIterator(self, operation, request, build, plan(operation, query), options=options)

    def download(
        self,
        operation: Operation,
        request: dict[str, Any],
        query: ListQuery,
        progress: Progress,
        options: RequestOptions | None = None,
    ) -> CsvStream:
        from ._pagination import CsvStream, plan  # noqa: PLC0415 - csv and the pagers on first use

        return CsvStream(self, operation, request, plan(operation, query), progress, options=options)


class _AsyncExecutor:
    """The async twin of ``_Executor``; each call goes out on the running loop's pools."""

    def __init__(self, core: _Core, pools: LoopPools) -> None:
        self._core = core
        self._pools = pools

    def resolve_server_id(self, server_id: int | None) -> int:
        return self._core.resolve_server_id(server_id)

    def format_date(self, value: DateInput, parameter: str) -> str:
        return format_api_date(value, parameter)

    async def execute(
        self,
        operation: Operation,
        request: dict[str, Any],
        build: Callable[..., Response[Any]],
        options: RequestOptions | None = None,
    ) -> Response[Any]:
        core = self._core
        http = self._pools.current()
        call = core.call(http, operation, request, options)
        response = await asend(http, call, core.auth[operation.server], build)
        return check_shape(operation, response)

    @asynccontextmanager
    async def stream(
        self, operation: Operation, request: dict[str, Any], options: RequestOptions | None = None
    ) -> AsyncIterator[httpx.Response]:
        """Send ``request`` and hand over a success answer with its body unread (CSV pages)."""
        core = self._core
        http = self._pools.current()
        call = core.call(http, operation, request, options)
        response = await aopen_stream(http, call, core.auth[operation.server])
        try:
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
        from ._pagination import AsyncPageIterator, plan  # noqa: PLC0415 - csv and the pagers on first use

        return AsyncPageIterator(self, operation, request, build, plan(operation, query), options=options)

    def download(
        self,
        operation: Operation,
        request: dict[str, Any],
        query: ListQuery,
        progress: Progress,
        options: RequestOptions | None = None,
    ) -> AsyncCsvStream:
        from ._pagination import AsyncCsvStream, plan  # noqa: PLC0415 - csv and the pagers on first use

        return AsyncCsvStream(self, operation, request, plan(operation, query), progress, options=options)


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
            changes["retry"] = replace(changes.get("retry", self._config.retry), **retry)
        if isinstance(changes.get("rate_limiter"), bool):  # True: keep the shared one; False: none
            changes["rate_limiter"] = self._config.rate_limiter if changes["rate_limiter"] else None
        if "default_headers" in changes:
            check_headers(changes["default_headers"], "default_headers")
        if "server_id" in changes and changes["server_id"] is not None:
            resolve_server_id(self._config, changes["server_id"])
        try:
            return replace(self._config, **changes)
        except TypeError as exc:
            raise ConfigurationError(f"with_options: {exc}") from None

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
    * `base_url`, `inject_url`, `management_url`, `marketing_url` - the v2, Injection API,
      management v1 and legacy marketing v1
      base URLs; `inject_url` may be a credentials' `gateway` (e.g. the CX gateway).
    * `auth` - ``"bearer"`` (default) or ``"basic"`` for the v2 API.
    * `timeout` - seconds or an ``httpx.Timeout`` (default 60 s, connect 10 s).
    * `transport` - an httpx transport to send through (tests); without one (and without
      `http_client`) the ``HTTP(S)_PROXY`` / ``NO_PROXY`` environment variables apply.
    * `http_client` - your own ``httpx.Client`` to send through (proxies, certificates);
      the client never closes it. The deadline then holds between reads, not inside one.
    * `default_headers` - headers sent with every request.
    * `max_response_size` - the largest answer read into memory (default 32 MiB).
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
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
        **settings: Unpack[ClientSettings],
    ) -> None:
        config = _configured(api_key, server_id, transport is not None and http_client is not None, settings)
        self._setup(config, http_client or _pools(config, transport), owned=http_client is None)

    @classmethod
    def from_config(cls, config: ClientConfig, *, http_client: httpx.Client | None = None) -> Self:
        """A client for settings already resolved; with ``http_client``, sharing its pools."""
        client = cls.__new__(cls)
        owned = http_client is None
        if http_client is None:
            http_client = _pools(config, None)
        client._setup(config, http_client, owned)
        return client

    def _setup(self, config: ClientConfig, http: httpx.Client, owned: bool) -> None:
        setup_logging()
        self._config = config
        self._http = http
        self._owns_http = owned
        self._executor = _Executor(_Core(config), http)
        super().__init__(self._executor)

    @property
    def http_client(self) -> httpx.Client:
        """The pooled httpx client every request goes through (shared by ``with_options`` copies)."""
        return self._http

    def send(self, messages: Sendable | list[Sendable], **options: Unpack[SendOptionsDict]) -> SendReport:
        """Check, batch and send messages; one result per recipient (see ``_injection.SendOptions``).

        ``messages``: a ``BasicMessage``, ``BulkMessage`` or ``Message`` model, or a list of them.
        Options: ``server_id``, ``format`` (``"json"``/``"xml"``), ``dry_run``, ``concurrency``,
        ``messages_per_request`` (10), ``recipients_per_message`` (50), and per request of the
        send ``timeout``, ``max_retries``, ``extra_headers``, ``extra_query``.
        """
        from ._injection import SendOptions, send_messages  # noqa: PLC0415 - loaded on first send

        return send_messages(self._executor, messages, SendOptions(**options))

    def with_options(self, **changes: Unpack[ClientOptions]) -> SocketLabs:
        """A new client with some settings changed (``timeout=5``, ``server_id=...``), sharing the pools."""
        return type(self).from_config(self._changed(dict(changes)), http_client=self._http)

    def close(self) -> None:
        """Close the connection pools this client made (not a given ``http_client``, nor a copy's)."""
        if self._owns_http:
            self._http.close()

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
        page = await client.reports.messages_detail(page_size=50)
    ```
    """

    def __init__(
        self,
        api_key: str | None = None,
        server_id: int | str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        **settings: Unpack[ClientSettings],
    ) -> None:
        config = _configured(api_key, server_id, transport is not None and http_client is not None, settings)
        given = http_client or (None if transport is None else _async_pools(config, transport))
        pools = LoopPools(None, given) if given else LoopPools(partial(_async_pools, config, None))
        self._setup(config, pools, owned=http_client is None)

    @classmethod
    def from_config(cls, config: ClientConfig, *, http_client: httpx.AsyncClient | None = None) -> Self:
        """A client for settings already resolved; with ``http_client``, sharing its pools."""
        client = cls.__new__(cls)
        pools = (
            LoopPools(None, http_client) if http_client else LoopPools(partial(_async_pools, config, None))
        )
        client._setup(config, pools, http_client is None)
        return client

    def _setup(self, config: ClientConfig, pools: LoopPools, owned: bool) -> None:
        setup_logging()
        self._config = config
        self._pools = pools
        self._owns_http = owned
        self._executor = _AsyncExecutor(_Core(config), pools)
        super().__init__(self._executor)

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The pooled httpx client of the running event loop (shared by ``with_options`` copies)."""
        import asyncio  # noqa: PLC0415 - only async paths load asyncio

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return self._pools.first
        return self._pools.current()

    async def send(
        self, messages: Sendable | list[Sendable], **options: Unpack[SendOptionsDict]
    ) -> SendReport:
        """The async ``SocketLabs.send``: requests go out concurrently (``concurrency``, default 8)."""
        from ._injection import SendOptions, send_messages_async  # noqa: PLC0415 - loaded on first send

        return await send_messages_async(self._executor, messages, SendOptions(**options))

    def with_options(self, **changes: Unpack[ClientOptions]) -> AsyncSocketLabs:
        """A new client with some settings changed (``timeout=5``, ``server_id=...``), sharing the pools."""
        copy = type(self).__new__(type(self))
        copy._setup(self._changed(dict(changes)), self._pools, owned=False)
        return copy

    async def aclose(self) -> None:
        """Close the pools made for this event loop (not a given ``http_client``, nor a copy's)."""
        if self._owns_http:
            for pools in self._pools.of_this_loop():
                await pools.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
