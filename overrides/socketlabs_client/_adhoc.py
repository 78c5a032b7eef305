"""The escape hatch: ``client.request(method, path, ...)`` for a path the spec lacks.

An ad hoc call goes through the same executor as every generated method, so it
gets the same auth, transport stack (limits, retries) and typed errors. What a
spec operation declares in vendor extensions is derived here instead, in a
synthetic ``Operation`` that travels in ``request.extensions`` like any other:

* retry: ``idempotent`` for GET, HEAD, PUT and DELETE; ``once`` for POST and
  PATCH (a create must not run twice); ``send`` for anything on the injection
  server, which may deliver mail;
* rate-limit family ``reports-message`` when the path matches
  ``*/reports/message*``, as the API counts those calls separately.

The path is relative to the chosen server's base URL; an absolute URL is
refused, so the API key is never sent to another host. ``{serverId}`` (or
``{server_id}``) is filled from the call's or the client's server id, other
``{name}`` placeholders from ``path_params``.

Paging: the generic page and CSV iterators belong in ``_pagination.py``; until
they accept an ad hoc call, page by passing ``pageNumber``/``pageSize`` in
``params``.
"""

from __future__ import annotations

import json as jsonlib
import re
from collections.abc import Callable, Mapping
from fnmatch import fnmatchcase
from http import HTTPStatus
from typing import Any, Literal, cast, get_args, overload
from urllib.parse import quote

import httpx
from attrs import fields, frozen
from socketlabs_api.operations import Operation
from socketlabs_api.resources import AsyncExecutor, Executor
from socketlabs_api.types import Response

from ._errors import InvalidRequestError

__all__ = [
    "METHODS",
    "SERVERS",
    "AdHocCall",
    "AdHocRequests",
    "AsyncAdHocRequests",
    "adhoc_operation",
    "adhoc_result",
    "build_adhoc",
    "prepare_adhoc",
]

SERVERS: tuple[str, ...] = get_args(fields(Operation).server.type)
"""The servers the spec's operations live on (``x-server``), read from the generated ``Operation``."""
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE"})
_SERVER_ID_NAMES = frozenset({"serverId", "server_id"})
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_REPORTS_MESSAGE = "*/reports/message*"
_SCALARS = (str, int, float)

ParamValue = str | int | float | bool | list[str | int | float | bool] | tuple[str | int | float | bool, ...]
"""A query value: a scalar (booleans go as ``true``/``false``) or a list (the name repeats)."""


def adhoc_operation(method: str, path: str, server: str, accept: str = "application/json") -> Operation:
    """The ``Operation`` an ad hoc call carries, with its retry and limit facts derived."""
    retry: Literal["idempotent", "send", "once"] = "once"
    if server == "injection":
        retry = "send"  # may deliver mail
    elif method in _IDEMPOTENT:
        retry = "idempotent"
    return Operation(
        operation_id=f"request {method} {path}",
        method=method,
        path=path,
        tag="request",
        server=cast("Any", server),  # one of SERVERS, checked by the caller
        confidence="modeled",
        shape_confidence="modeled",
        source="client.request() (not in the spec)",
        retry=retry,
        accept=accept,
        rate_limit_family="reports-message" if fnmatchcase(path, _REPORTS_MESSAGE) else None,
    )


def _fill_path(path: str, server_id: Callable[[], int], path_params: Mapping[str, object]) -> str:
    if not path.startswith("/") or path.startswith("//") or "://" in path:
        raise InvalidRequestError(
            f"request path {path!r} must be relative to the server's base URL and start with '/'"
        )
    if "?" in path or "#" in path:
        raise InvalidRequestError(f"request path {path!r}: pass the query string as params=, not in the path")

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in path_params:
            return quote(str(path_params[name]), safe="")
        if name in _SERVER_ID_NAMES:
            return str(server_id())
        raise InvalidRequestError(f"request path {path!r}: no value for {{{name}}} in path_params")

    filled = _PLACEHOLDER.sub(value, path)
    if "{" in filled or "}" in filled:
        raise InvalidRequestError(f"request path {path!r} has a malformed placeholder")
    unused = set(path_params) - set(_PLACEHOLDER.findall(path))
    if unused:
        raise InvalidRequestError(f"request path {path!r} has no placeholder for {sorted(unused)}")
    return filled


def _check_param(name: str, value: object) -> None:
    items = value if isinstance(value, list | tuple) else [value]
    for item in items:
        if not isinstance(item, _SCALARS):  # bool is an int
            raise InvalidRequestError(
                f"query parameter {name!r}: {type(item).__name__} is not a str, int, float or bool"
                " (format dates as the API's yyyy-MM-ddTHH:mm:ssK strings)"
            )


def _params(params: Mapping[str, Any] | None, filters: object | None) -> dict[str, Any]:
    query = {name: value for name, value in (params or {}).items() if value is not None}
    for name, value in query.items():
        _check_param(name, value)
    if filters is not None:
        if "filters" in query:
            raise InvalidRequestError("filters given both as filters= and in params=")
        text = str(filters)
        if not text:
            raise InvalidRequestError("filters= is empty")
        query["filters"] = text
    return query


@frozen
class AdHocCall:
    """A checked ad hoc call: its ``Operation`` and the keyword arguments of ``build_request``."""

    operation: Operation
    request: dict[str, Any]


def prepare_adhoc(
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | None,
    json: Any,
    server: str,
    server_id: Callable[[], int],
    path_params: Mapping[str, object] | None,
    filters: object | None,
    headers: Mapping[str, str] | None,
    accept: str,
) -> AdHocCall:
    """Check every argument and build the request, raising ``InvalidRequestError`` before any I/O."""
    verb = method.upper() if isinstance(method, str) else ""
    if verb not in METHODS:
        raise InvalidRequestError(f"request method {method!r} is not one of {', '.join(METHODS)}")
    if server not in SERVERS:
        raise InvalidRequestError(f"request server {server!r} is not one of {', '.join(SERVERS)}")
    url = _fill_path(path, server_id, path_params or {})
    request: dict[str, Any] = {"method": verb, "url": url, "params": _params(params, filters)}
    if json is not None:
        try:
            request["content"] = jsonlib.dumps(json, separators=(",", ":")).encode()
        except (TypeError, ValueError) as exc:
            raise InvalidRequestError(f"json= is not JSON-serialisable: {exc}") from None
        request["headers"] = {"Content-Type": "application/json"}
    if headers:
        if any(name.casefold() == "authorization" for name in headers):
            raise InvalidRequestError("headers= may not set Authorization: the client's auth applies")
        request["headers"] = {**request.get("headers", {}), **headers}
    template = _PLACEHOLDER.sub(
        lambda m: "{serverId}" if m.group(1) in _SERVER_ID_NAMES else m.group(0), path
    )
    if not accept or "\n" in accept or "\r" in accept:
        raise InvalidRequestError(f"accept={accept!r} is not a media type list")
    return AdHocCall(adhoc_operation(verb, template, server, accept), request)


def _decode(response: httpx.Response) -> Any:
    """JSON for a JSON body, text for any other, ``None`` for none (204, HEAD)."""
    if not response.content:
        return None
    media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return response.json()  # a ValueError here becomes MalformedResponseError
    return response.text


@frozen
class _Body:
    """The decoded answer, wrapped so that an empty body (``None``) still counts as parsed."""

    value: Any


def build_adhoc(raw: bool) -> Callable[..., Response[Any]]:
    """The ``build`` callback for the executor: decode the body, or keep the whole response."""

    def build(*, client: object, response: httpx.Response) -> Response[Any]:
        try:
            status = HTTPStatus(response.status_code)
        except ValueError:
            status = cast("HTTPStatus", response.status_code)
        return Response(
            status_code=status,
            content=response.content,
            headers=response.headers,
            parsed=_Body(response if raw else _decode(response)),
        )

    return build


def adhoc_result(response: Response[Any]) -> Any:
    """What ``request`` returns: the decoded body (or the httpx response when ``raw``)."""
    return cast("_Body", response.parsed).value


_DOC = """Send ``method path`` with the client's auth, limits, retries and typed errors.

        For a path the spec (and so this client) lacks. ``path`` is relative to the
        server's base URL (``server="api"``: the v2 API; ``"injection"``: the
        Injection API; any other ``x-server`` of the spec); ``{serverId}`` is filled from ``server_id`` or the
        client's, other ``{name}`` placeholders from ``path_params``. ``params``
        is the query (``None`` values are left out), ``filters`` anything whose
        ``str()`` is a filter string, ``json`` the body. Returns the decoded body
        (JSON, text, or ``None`` when empty), or the ``httpx.Response`` with
        ``raw=True``. Bad arguments raise ``InvalidRequestError`` before
        anything is sent; an error status raises the usual ``APIStatusError``.
        """


class AdHocRequests:
    """Adds ``request()`` to the sync client."""

    _executor: Executor

    @overload
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, ParamValue | None] | None = None,
        json: Any = None,
        server: str = "api",
        server_id: int | None = None,
        path_params: Mapping[str, str | int] | None = None,
        filters: object | None = None,
        headers: Mapping[str, str] | None = None,
        accept: str = "application/json",
        raw: Literal[False] = False,
    ) -> Any: ...

    @overload
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, ParamValue | None] | None = None,
        json: Any = None,
        server: str = "api",
        server_id: int | None = None,
        path_params: Mapping[str, str | int] | None = None,
        filters: object | None = None,
        headers: Mapping[str, str] | None = None,
        accept: str = "application/json",
        raw: Literal[True],
    ) -> httpx.Response: ...

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, ParamValue | None] | None = None,
        json: Any = None,
        server: str = "api",
        server_id: int | None = None,
        path_params: Mapping[str, str | int] | None = None,
        filters: object | None = None,
        headers: Mapping[str, str] | None = None,
        accept: str = "application/json",
        raw: bool = False,
    ) -> Any:
        executor = self._executor
        call = prepare_adhoc(
            method,
            path,
            params=params,
            json=json,
            server=server,
            server_id=lambda: executor.resolve_server_id(server_id),
            path_params=path_params,
            filters=filters,
            headers=headers,
            accept=accept,
        )
        return adhoc_result(executor.execute(call.operation, call.request, build_adhoc(raw)))

    request.__doc__ = _DOC


class AsyncAdHocRequests:
    """Adds ``request()`` to the async client."""

    _executor: AsyncExecutor

    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, ParamValue | None] | None = None,
        json: Any = None,
        server: str = "api",
        server_id: int | None = None,
        path_params: Mapping[str, str | int] | None = None,
        filters: object | None = None,
        headers: Mapping[str, str] | None = None,
        accept: str = "application/json",
        raw: Literal[False] = False,
    ) -> Any: ...

    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, ParamValue | None] | None = None,
        json: Any = None,
        server: str = "api",
        server_id: int | None = None,
        path_params: Mapping[str, str | int] | None = None,
        filters: object | None = None,
        headers: Mapping[str, str] | None = None,
        accept: str = "application/json",
        raw: Literal[True],
    ) -> httpx.Response: ...

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, ParamValue | None] | None = None,
        json: Any = None,
        server: str = "api",
        server_id: int | None = None,
        path_params: Mapping[str, str | int] | None = None,
        filters: object | None = None,
        headers: Mapping[str, str] | None = None,
        accept: str = "application/json",
        raw: bool = False,
    ) -> Any:
        executor = self._executor
        call = prepare_adhoc(
            method,
            path,
            params=params,
            json=json,
            server=server,
            server_id=lambda: executor.resolve_server_id(server_id),
            path_params=path_params,
            filters=filters,
            headers=headers,
            accept=accept,
        )
        return adhoc_result(await executor.execute(call.operation, call.request, build_adhoc(raw)))

    request.__doc__ = _DOC
