"""A wall-clock deadline that reaches down to every socket read, write and connect.

httpx's timeouts bound each read, not a call: a server that sends one byte
every few tenths of a second never trips them, in the headers or the body.
So the client's own pools are built as httpx builds its ``HTTPTransport``:
httpcore's public ``ConnectionPool`` (``network_backend=``) over a backend
that gives every socket operation ``min(its timeout, time left)``; one that
starts with no time left fails at once as a timeout. The time left comes from
a context variable that the request lifecycle sets around each attempt (its
deadline on its clock), so a pooled connection made by an earlier call obeys
the current call's deadline, in threads and tasks alike. Proxies are read
from the environment (``HTTP(S)_PROXY``, ``ALL_PROXY``, ``NO_PROXY``) as
httpx reads them. Nothing of httpx or httpcore is patched.

A transport or ``http_client`` the caller brings is used as it is: there the
deadline is checked between attempts and between body chunks only.
"""

from __future__ import annotations

import ssl
import time
import urllib.request
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import Any

import httpcore
import httpx

__all__ = ["AsyncBoundedTransport", "BoundedTransport", "bounded", "remaining"]

_DEADLINE: ContextVar[tuple[float, Callable[[], float]] | None] = ContextVar(
    "socketlabs_deadline", default=None
)

SocketOption = Any


def remaining() -> float | None:
    """Seconds left before the current call's deadline (None: no deadline)."""
    bound = _DEADLINE.get()
    return None if bound is None else bound[0] - bound[1]()


@contextmanager
def bounded(deadline: float | None, clock: Callable[[], float] = time.monotonic) -> Iterator[None]:
    """Run the block with ``deadline`` (an instant on the call's ``clock``) as the sockets' bound."""
    token = _DEADLINE.set(None if deadline is None else (deadline, clock))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _clamp(timeout: float | None, error: type[Exception]) -> float | None:
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise error("the call's deadline has passed")
    return left if timeout is None or left < timeout else timeout


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout))
        return _Stream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _AsyncStream(httpcore.AsyncNetworkStream):
    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _AsyncStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[SocketOption] | None = None
    ) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _AsyncBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _AsyncStream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[SocketOption] | None = None
    ) -> httpcore.AsyncNetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _AsyncStream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


# -- the transports: httpcore's public pools over the bounded backends ------------------------

_EXCEPTIONS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)
"""httpcore's errors as httpx's (the subclasses first), as httpx's own transport maps them."""


@contextmanager
def _mapped(request: httpx.Request | None) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        ours = next((to for core, to in _EXCEPTIONS if isinstance(exc, core)), None)
        if ours is None:
            raise
        raise ours(str(exc), request=request) from exc


def _core_request(request: httpx.Request) -> httpcore.Request:
    url = request.url
    return httpcore.Request(
        method=request.method,
        url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
        headers=request.headers.raw,
        content=request.stream,
        extensions=request.extensions,
    )


class _Proxies:
    """Which proxy a URL goes through, read once from the environment as httpx reads it."""

    def __init__(self, trust_env: bool) -> None:
        self._proxies = urllib.request.getproxies() if trust_env else {}
        self._bypass: dict[str, bool] = {}

    def for_url(self, url: httpx.URL) -> str | None:
        proxy = self._proxies.get(url.scheme) or self._proxies.get("all")
        if not proxy:
            return None
        if url.host not in self._bypass:
            self._bypass[url.host] = bool(urllib.request.proxy_bypass(url.host))
        return None if self._bypass[url.host] else proxy if "://" in proxy else f"http://{proxy}"


def _proxy(url: str | None) -> httpcore.Proxy | None:
    if url is None:
        return None
    parsed = httpx.URL(url)
    auth = (parsed.username, parsed.password) if parsed.username else None
    return httpcore.Proxy(url=str(parsed.copy_with(username=None, password=None)), auth=auth)


class _Pools:
    """One pool per proxy (None: direct) and TLS or not, each over the bounded backend, made on first use."""

    def __init__(self, make: Any, limits: httpx.Limits, trust_env: bool) -> None:
        self._make = make
        self._limits = limits
        self._proxies = _Proxies(trust_env)
        self._trust_env = trust_env
        self.made: dict[tuple[str | None, bool], Any] = {}

    def of(self, request: httpx.Request) -> Any:
        proxy = self._proxies.for_url(request.url)
        tls = request.url.scheme == "https" or (proxy or "").startswith("https")
        pool = self.made.get((proxy, tls))
        if pool is None:  # an SSL context (tens of ms to load) only where TLS is spoken
            limits = self._limits
            pool = self.made[proxy, tls] = self._make(
                ssl_context=httpx.create_ssl_context(trust_env=self._trust_env) if tls else None,
                proxy=_proxy(proxy),
                max_connections=limits.max_connections,
                max_keepalive_connections=limits.max_keepalive_connections,
                keepalive_expiry=limits.keepalive_expiry,
            )
        return pool


class _Body(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes], request: httpx.Request) -> None:
        self._stream, self._request = stream, request

    def __iter__(self) -> Iterator[bytes]:
        with _mapped(self._request):
            yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(self, stream: AsyncIterable[bytes], request: httpx.Request) -> None:
        self._stream, self._request = stream, request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped(self._request):
            async for part in self._stream:
                yield part

    async def aclose(self) -> None:
        aclose = getattr(self._stream, "aclose", None)
        if aclose is not None:
            await aclose()


class BoundedTransport(httpx.BaseTransport):
    """httpx's ``HTTPTransport``, rebuilt on httpcore's public pools over the deadline's backend."""

    def __init__(self, limits: httpx.Limits, trust_env: bool = True) -> None:
        backend = _Backend(httpcore.SyncBackend())
        self._pools = _Pools(partial(httpcore.ConnectionPool, network_backend=backend), limits, trust_env)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with _mapped(request):
            answer = self._pools.of(request).handle_request(_core_request(request))
        stream = _Body(answer.stream, request)
        return httpx.Response(
            answer.status, headers=answer.headers, stream=stream, extensions=answer.extensions
        )

    def close(self) -> None:
        for pool in self._pools.made.values():
            pool.close()


class AsyncBoundedTransport(httpx.AsyncBaseTransport):
    """The async ``BoundedTransport``."""

    def __init__(self, limits: httpx.Limits, trust_env: bool = True) -> None:
        backend = _AsyncBackend(httpcore.AnyIOBackend())
        self._pools = _Pools(
            partial(httpcore.AsyncConnectionPool, network_backend=backend), limits, trust_env
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with _mapped(request):
            answer = await self._pools.of(request).handle_async_request(_core_request(request))
        stream = _AsyncBody(answer.stream, request)
        return httpx.Response(
            answer.status, headers=answer.headers, stream=stream, extensions=answer.extensions
        )

    async def aclose(self) -> None:
        for pool in self._pools.made.values():
            await pool.aclose()
