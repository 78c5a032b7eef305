"""The escape hatch: ``client.request(method, path, ...)`` for a path the spec lacks.

An ad hoc call goes through the same executor as every generated method, so it
gets the same auth, transport stack (limits, retries) and typed errors. What a
spec operation declares in vendor extensions is derived here instead, in a
synthetic ``Operation`` that travels in ``request.extensions`` like any other:

* retry: by the one method table (``_retries.method_retry``, RFC 9110's
  idempotent methods), so ``once`` for POST and PATCH (a create must not run
  twice); ``send`` for anything on the injection server, which may deliver mail;
* rate-limit family: the one whose path glob in the spec's ``x-rate-limits``
  (``match``) covers the path, such as ``reports-message`` for
  ``*/reports/message*``, as the API counts those calls separately.

The path is relative to the chosen server's base URL; an absolute URL is
refused, so the API key is never sent to another host. ``{serverId}`` (or
``{server_id}``) is filled from the call's or the client's server id, other
``{name}`` placeholders from ``path_params``.

Paging: ``client.paginate(method, path, ...)`` (JSON lists, ``{data, total}``)
and ``client.download(method, path, ...)`` (CSV with ``Content-Range``) hand the
same synthetic ``Operation``, marked ``x-pagination`` ``page`` or ``csv``, to the
executor's ``paginate``/``download``, so the pagers of ``_pagination`` drive
them exactly as they drive a generated list: page size bounds, dates, sort
direction, ``max_items``, the repeated-page guard, CSV ``Content-Range``
checks, ``start_row`` and progress. There is no ``x-filters`` table, so
filters (``F`` clauses or a wire-form string) are checked for form only
(``resolve_untyped_filters``), before anything is sent. Items are plain dicts.
"""

from __future__ import annotations

import json as jsonlib
import re
from collections.abc import Callable, Mapping
from fnmatch import fnmatchcase
from http import HTTPStatus
from typing import Any, Generic, Literal, TypeVar, cast, get_args, overload
from urllib.parse import quote

import httpx
from socketlabs_api.operations import RATE_LIMITS, Operation, ServerName
from socketlabs_api.resources import (
    AsyncCsvDownload,
    AsyncExecutor,
    AsyncPager,
    CsvDownload,
    DateInput,
    Executor,
    ListQuery,
    Pager,
    Progress,
)
from socketlabs_api.types import Record, Response

from ._errors import InvalidRequestError
from ._retries import method_retry

__all__ = [
    "ADHOC_TAG",
    "LIST_PARAMETERS",
    "METHODS",
    "SERVERS",
    "AdHocCall",
    "AdHocRequests",
    "AsyncAdHocRequests",
    "adhoc_operation",
    "adhoc_result",
    "build_adhoc",
    "build_adhoc_page",
    "is_adhoc",
    "prepare_adhoc",
]

SERVERS: tuple[str, ...] = get_args(ServerName)
"""The servers the spec's operations live on (``x-server``), read from the generated ``ServerName``."""
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
ADHOC_TAG = "request"
"""The ``tag`` of every ad hoc ``Operation`` (``is_adhoc``)."""
LIST_PARAMETERS = ("pageSize", "pageNumber", "sortField", "sortDirection", "startDate", "endDate", "filters")
"""Query names the pagers own: ``paginate``/``download`` take them as keywords, never in ``params``."""
_SERVER_ID_NAMES = frozenset({"serverId", "server_id"})
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SCALARS = (str, int, float)

ParamValue = str | int | float | bool | list[str | int | float | bool] | tuple[str | int | float | bool, ...]
"""A query value: a scalar (booleans go as ``true``/``false``) or a list (the name repeats)."""


def _matched_family(path: str) -> str | None:
    """The spec's extra rate-limit family whose path glob (``x-rate-limits`` ``match``) covers ``path``."""
    return next(
        (name for name, rate in RATE_LIMITS.items() if rate.match and fnmatchcase(path, rate.match)), None
    )


def adhoc_operation(
    method: str,
    path: str,
    server: str,
    accept: str = "application/json",
    pagination: Literal["page", "csv"] | None = None,
) -> Operation:
    """The ``Operation`` an ad hoc call carries, with its retry, limit and paging facts derived."""
    retry = "send" if server == "injection" else method_retry(method)  # the injection server may deliver mail
    return Operation(
        operation_id=f"request {method} {path}",
        method=method,
        path=path,
        tag=ADHOC_TAG,
        server=cast("Any", server),  # one of SERVERS, checked by the caller
        confidence="modeled",
        shape_confidence="modeled",
        source="client.request() (not in the spec)",
        retry=retry,
        accept=accept,
        rate_limit_family=_matched_family(path),
        pagination=pagination,
    )


def is_adhoc(operation: Operation) -> bool:
    """True for the synthetic ``Operation`` of ``client.request``/``paginate``/``download``."""
    return operation.tag == ADHOC_TAG


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


def _filter_input(filters: object) -> Any:
    """``F`` clauses and strings as they are; any other object by its ``str()``."""
    return filters if isinstance(filters, str) or hasattr(filters, "clauses") else str(filters)


def _params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    query = {name: value for name, value in (params or {}).items() if value is not None}
    for name, value in query.items():
        _check_param(name, value)
    return query


class AdHocCall(Record):
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
    pagination: Literal["page", "csv"] | None = None,
) -> AdHocCall:
    """Check every argument and build the request, raising ``InvalidRequestError`` before any I/O.

    With ``pagination`` the call is a list for the pagers: ``params`` may not
    hold the names they own (``LIST_PARAMETERS``), and ``filters`` is left to
    the ``ListQuery`` (pass None here).
    """
    verb = method.upper() if isinstance(method, str) else ""
    if verb not in METHODS:
        raise InvalidRequestError(f"request method {method!r} is not one of {', '.join(METHODS)}")
    if server not in SERVERS:
        raise InvalidRequestError(f"request server {server!r} is not one of {', '.join(SERVERS)}")
    if pagination is not None:
        owned = sorted(set(params or {}) & set(LIST_PARAMETERS))
        if owned:
            raise InvalidRequestError(
                f"params= may not hold {owned}: pass page_size=, page_number=, sort_field=,"
                " sort_direction=, start_date=, end_date= or filters= (the pager sets them)"
            )
    url = _fill_path(path, server_id, path_params or {})
    query = _params(params)
    request: dict[str, Any] = {"method": verb, "url": url, "params": query}
    if filters is not None:
        if "filters" in query:
            raise InvalidRequestError("filters given both as filters= and in params=")
        from ._filters import resolve_untyped_filters, with_query  # noqa: PLC0415 - with the first filter

        # form checked, values encoded; written raw as the pagers write it (the docs' wire form)
        written = resolve_untyped_filters(_filter_input(filters))
        request = {"method": verb, "url": with_query(url, query, (), written)}
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
    return AdHocCall(adhoc_operation(verb, template, server, accept, pagination), request)


def _decode(response: httpx.Response) -> Any:
    """JSON for a JSON body, text for any other, ``None`` for none (204, HEAD)."""
    if not response.content:
        return None
    media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return response.json()  # a ValueError here becomes MalformedResponseError
    return response.text


class _Body(Record):
    """The decoded answer, wrapped so that an empty body (``None``) still counts as parsed."""

    value: Any


def build_adhoc(raw: bool) -> Callable[..., Response[Any]]:
    """The ``build`` callback for the executor: decode the body, or keep the whole response."""

    def build(*, response: httpx.Response) -> Response[Any]:
        return Response(
            status_code=_status(response),
            content=response.content,
            headers=response.headers,
            parsed=_Body(response if raw else _decode(response)),
        )

    return build


def _status(response: httpx.Response) -> HTTPStatus:
    try:
        return HTTPStatus(response.status_code)
    except ValueError:
        return cast("HTTPStatus", response.status_code)


def build_adhoc_page(*, response: httpx.Response) -> Response[Any]:
    """The ``build`` callback for an ad hoc JSON page: the body as a dict, shape checked.

    A page is a JSON object with a ``data`` list and, if present, a whole
    ``total``; anything else becomes ``MalformedResponseError`` (the executor
    turns the ``ValueError`` into it).
    """
    body = response.json()
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise ValueError("a page is a JSON object with a 'data' list")
    total = body.get("total")
    if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total < 0):
        raise ValueError(f"a page's 'total' must be a whole number, not {total!r}")
    return Response(
        status_code=_status(response),
        content=response.content,
        headers=response.headers,
        parsed=body,
    )


def adhoc_result(response: Response[Any]) -> Any:
    """What ``request`` returns: the decoded body (or the httpx response when ``raw``)."""
    return cast("_Body", response.parsed).value


_DOC = """Send ``method path`` with the client's auth, limits, retries and typed errors.

        For a path the spec (and so this client) lacks. ``path`` is relative to the
        server's base URL (``server="api"``: the v2 API; ``"injection"``: the
        Injection API; any other ``x-server`` of the spec); ``{serverId}`` is filled from ``server_id`` or
        the client's, other ``{name}`` placeholders from ``path_params``. ``params``
        is the query (``None`` values are left out), ``filters`` a filter string
        (or anything whose ``str()`` is one) or ``F`` clauses, checked for form
        and encoded before sending, ``json`` the body. Returns the decoded body
        (JSON, text, or ``None`` when empty), or the ``httpx.Response`` with
        ``raw=True``. Bad arguments raise ``InvalidRequestError`` before
        anything is sent; an error status raises the usual ``APIStatusError``.
        """


_PAGINATE_DOC = """Page through ``method path``, a JSON list the spec lacks, like a generated list.

        Returns a pager: iterate it for every item across pages, ``.pages()``
        for the pages, ``.first_page()`` for one; nothing is sent until then.
        Items and pages are plain dicts (no model): a page is the body,
        ``{"data": [...], "total": N}``. ``path``, ``params``, ``json``,
        ``server``, ``server_id``, ``path_params`` and ``headers`` are as for
        ``request``; the list parameters are keywords, as on a generated list
        (``params`` may not hold them): ``page_size`` (1 to 100, default 100),
        ``page_number`` (the page to start from), ``sort_field``,
        ``sort_direction`` (``asc``/``dsc``), ``start_date``/``end_date``
        (dates as for generated calls), ``filters`` (``F`` clauses or a wire-form
        string; with no ``x-filters`` for the path only their form is checked),
        ``max_items``. Iteration stops at ``total``, on an empty page or at
        ``max_items``; a page repeating the one before raises
        ``RepeatedPageError``. Bad arguments raise ``InvalidRequestError`` (or
        its ``InvalidParameterError``/``InvalidFilterError``) before anything
        is sent.
        """

_DOWNLOAD_DOC = """Stream ``method path``, a paged CSV download the spec lacks, like a generated one.

        Returns a row stream: iterate it for dicts keyed by the header row,
        ``.records(factory)`` for typed rows or ``.save(path)`` for a file; each
        page (``Content-Range: rows a-b/total``, 206 until the last) is checked
        and streamed. Arguments as for ``paginate``, with ``start_row`` (resume
        at this row), ``max_rows`` and ``progress`` (``callback(rows_done,
        total)`` or True for a bar) in place of ``page_number``/``max_items``;
        ``page_size`` is 1 to 500000 (default 10000) and ``accept`` defaults to
        ``text/csv``. A broken page raises ``CsvRangeError`` with ``next_row``.
        """


def _list_query(
    *,
    page_size: int | None,
    page_number: int,
    sort_field: str | None,
    sort_direction: str | None,
    start_date: DateInput | None,
    end_date: DateInput | None,
    filters: object | None,
    max_items: int | None,
    start_row: int = 0,
) -> ListQuery:
    """The pagers' ``ListQuery``; a filter object that is neither ``F`` nor a string goes as its ``str()``."""
    return ListQuery(
        page_size=page_size,
        page_number=page_number,
        sort_field=sort_field,
        sort_direction=sort_direction,
        start_date=start_date,
        end_date=end_date,
        filters=None if filters is None else _filter_input(filters),
        max_items=max_items,
        start_row=start_row,
    )


PagerT = TypeVar("PagerT")
DownloadT = TypeVar("DownloadT")


class _AdHocLists(Generic[PagerT, DownloadT]):
    """What both clients' escape hatches share: ``paginate()``, ``download()`` and checking ``request()``."""

    def _prepared(  # noqa: PLR0917 - the arguments of request(), in order
        self,
        method: str,
        path: str,
        params: Mapping[str, ParamValue | None] | None,
        json: Any,
        server: str,
        server_id: int | None,
        path_params: Mapping[str, str | int] | None,
        filters: object | None,
        headers: Mapping[str, str] | None,
        accept: str,
    ) -> AdHocCall:
        """``request()``'s checked call, before anything is sent (the same for both clients)."""
        executor = self._lists
        return prepare_adhoc(
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

    @property
    def _lists(self) -> Any:
        """The executor, whose ``paginate``/``download`` answer ``PagerT``/``DownloadT`` for this client."""
        return self._executor  # type: ignore[attr-defined]

    def paginate(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, ParamValue | None] | None = None,
        json: Any = None,
        server: str = "api",
        server_id: int | None = None,
        path_params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        page_size: int | None = None,
        page_number: int = 0,
        sort_field: str | None = None,
        sort_direction: str | None = None,
        start_date: DateInput | None = None,
        end_date: DateInput | None = None,
        filters: object | None = None,
        max_items: int | None = None,
    ) -> PagerT:
        executor = self._lists
        call = prepare_adhoc(
            method,
            path,
            params=params,
            json=json,
            server=server,
            server_id=lambda: executor.resolve_server_id(server_id),
            path_params=path_params,
            filters=None,
            headers=headers,
            accept="application/json",
            pagination="page",
        )
        query = _list_query(
            page_size=page_size,
            page_number=page_number,
            sort_field=sort_field,
            sort_direction=sort_direction,
            start_date=start_date,
            end_date=end_date,
            filters=filters,
            max_items=max_items,
        )
        pager: PagerT = self._lists.paginate(call.operation, call.request, build_adhoc_page, query)
        return pager

    paginate.__doc__ = _PAGINATE_DOC

    def download(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, ParamValue | None] | None = None,
        json: Any = None,
        server: str = "api",
        server_id: int | None = None,
        path_params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        accept: str = "text/csv",
        page_size: int | None = None,
        sort_field: str | None = None,
        sort_direction: str | None = None,
        start_date: DateInput | None = None,
        end_date: DateInput | None = None,
        filters: object | None = None,
        start_row: int = 0,
        max_rows: int | None = None,
        progress: Progress = None,
    ) -> DownloadT:
        executor = self._lists
        call = prepare_adhoc(
            method,
            path,
            params=params,
            json=json,
            server=server,
            server_id=lambda: executor.resolve_server_id(server_id),
            path_params=path_params,
            filters=None,
            headers=headers,
            accept=accept,
            pagination="csv",
        )
        query = _list_query(
            page_size=page_size,
            page_number=0,
            sort_field=sort_field,
            sort_direction=sort_direction,
            start_date=start_date,
            end_date=end_date,
            filters=filters,
            max_items=max_rows,
            start_row=start_row,
        )
        download: DownloadT = self._lists.download(call.operation, call.request, query, progress)
        return download

    download.__doc__ = _DOWNLOAD_DOC


class AdHocRequests(_AdHocLists[Pager[dict[str, Any], dict[str, Any]], CsvDownload]):
    """Adds ``request()``, ``paginate()`` and ``download()`` to the sync client."""

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
        call = self._prepared(
            method, path, params, json, server, server_id, path_params, filters, headers, accept
        )
        return adhoc_result(self._executor.execute(call.operation, call.request, build_adhoc(raw)))

    request.__doc__ = _DOC


class AsyncAdHocRequests(_AdHocLists[AsyncPager[dict[str, Any], dict[str, Any]], AsyncCsvDownload]):
    """Adds ``request()``, ``paginate()`` and ``download()`` to the async client."""

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
        call = self._prepared(
            method, path, params, json, server, server_id, path_params, filters, headers, accept
        )
        return adhoc_result(await self._executor.execute(call.operation, call.request, build_adhoc(raw)))

    request.__doc__ = _DOC
