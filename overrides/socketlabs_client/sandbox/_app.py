"""The sandbox's ASGI application: routing, auth, validation, handlers.

Routing is a small table rather than Starlette's router so that the answers
are exactly the API's: the trailing slash of `recipient-search/` is
significant (no redirects), a known path with an undeclared method (TRACE,
QUERY, OPTIONS, HEAD included) answers 405 with an `Allow` header listing the
spec's methods, and anything else answers the v2 404 envelope. The request
body is always read first, even for errors, so a keep-alive connection
never desynchronises. v2 requests are checked in this order: route, method,
credentials (401), parameters (400, every problem listed), then the handler.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ._csv import render_page
from ._filters import Filter
from ._injection import handle_injection
from ._log import MESSAGE_FIELDS
from ._params import QueryReader
from ._state import SUPPRESSION_FIELDS, SandboxState, Suppression
from ._xmlbody import is_xml, write_answer

__all__ = ["API_PREFIX", "INJECTION_PREFIX", "OPERATIONS", "Operation", "SandboxApp"]

API_PREFIX = "/v2"
"""Where the v2 paths of the spec are mounted."""

INJECTION_PREFIX = "/api/v1"
"""Where the injection path of the spec (`/email`) is mounted."""

_MAX_INT32 = 2_147_483_647
_SERVER_ID = re.compile(r"[0-9]{1,10}", re.ASCII)
_LIST_PARAMS = ("pageSize", "pageNumber", "sortField", "sortDirection", "startDate", "endDate", "filters")
_DIRECTIONS = ("asc", "dsc")

logger = logging.getLogger(__name__)

JsonBody = dict[str, object]


@dataclass(frozen=True, slots=True)
class Operation:
    """One spec operation: its id, method, base prefix, path and query names."""

    operation_id: str
    method: str
    prefix: str
    path: str
    query: tuple[str, ...]

    @property
    def pattern(self) -> re.Pattern[str]:
        """The path as a regex; `{serverId}` matches any one segment."""
        return re.compile(re.escape(self.prefix + self.path).replace(r"\{serverId\}", "([^/]*)"))


OPERATIONS = (
    Operation("sendEmail", "POST", INJECTION_PREFIX, "/email", ()),
    Operation("checkSuppression", "GET", API_PREFIX, "/servers/{serverId}/suppressions", ("emailAddress",)),
    Operation("addSuppression", "POST", API_PREFIX, "/servers/{serverId}/suppressions", ("emailAddress",)),
    Operation(
        "removeSuppression",
        "DELETE",
        API_PREFIX,
        "/servers/{serverId}/suppressions/remove",
        ("emailAddress",),
    ),
    Operation(
        "searchSuppressions", "GET", API_PREFIX, "/servers/{serverId}/suppressions/search", _LIST_PARAMS
    ),
    Operation(
        "downloadSuppressions", "GET", API_PREFIX, "/servers/{serverId}/suppressions/download", _LIST_PARAMS
    ),
    Operation(
        "getMessageDetailReport",
        "GET",
        API_PREFIX,
        "/servers/{serverId}/reports/messages/detail",
        _LIST_PARAMS,
    ),
    Operation(
        "searchRecipients",
        "GET",
        API_PREFIX,
        "/servers/{serverId}/reports/recipient-search/",
        ("toEmailAddress", *_LIST_PARAMS[:-1]),
    ),
)
"""Every operation of the spec the sandbox serves (a test checks it against the spec)."""


def _error(
    status: int, error_type: str, messages: list[str], headers: dict[str, str] | None = None
) -> Response:
    """The v2 error envelope, one entry per problem."""
    body = {"error": [{"errorType": error_type, "message": m} for m in messages]}
    return _json(status, body, headers)


def _json(status: int, body: Mapping[str, object], headers: dict[str, str] | None = None) -> Response:
    """A compact JSON response."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status_code=status, media_type="application/json", headers=headers)


@dataclass(frozen=True, slots=True)
class _Call:
    """What a v2 handler gets: the state, server id and validated query."""

    state: SandboxState
    server_id: int
    query: QueryReader


class SandboxApp:
    """The ASGI callable uvicorn serves; one per sandbox, bound to its state."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._routes: list[tuple[re.Pattern[str], dict[str, Operation]]] = []
        for operation in OPERATIONS:
            for pattern, methods in self._routes:
                if pattern.pattern == operation.pattern.pattern:
                    methods[operation.method] = operation
                    break
            else:
                self._routes.append((operation.pattern, {operation.method: operation}))
        self._handlers: dict[str, Callable[[_Call], Response | None]] = {
            "checkSuppression": _check_suppression,
            "addSuppression": _add_suppression,
            "removeSuppression": _remove_suppression,
            "searchSuppressions": _search_suppressions,
            "downloadSuppressions": _download_suppressions,
            "getMessageDetailReport": _message_detail,
            "searchRecipients": _search_recipients,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request (and answer lifespan events if enabled)."""
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        try:
            response = self.dispatch(request, body)
        except Exception:
            logger.exception("sandbox handler failed")
            response = _error(500, "InternalError", ["The sandbox failed to handle the request"])
        await response(scope, receive, send)

    def dispatch(self, request: Request, body: bytes) -> Response:
        """Route one request to its handler (sync: state access is quick and locked)."""
        path = request.url.path
        for pattern, methods in self._routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            operation = methods.get(request.method)
            if operation is None:
                allow = ", ".join(sorted(methods))
                return _error(
                    405,
                    "MethodNotAllowed",
                    [f"{request.method} is not allowed on {path}; allowed: {allow}"],
                    {"Allow": allow},
                )
            if operation.operation_id == "sendEmail":
                headers = request.headers
                status, payload = handle_injection(
                    self.state, headers.get("authorization"), body, headers.get("content-type")
                )
                if is_xml(headers.get("accept")):  # our assumption: Accept picks the answer's format
                    return Response(write_answer(payload), status, media_type="application/xml")
                return _json(status, payload)
            return self._v2(request, operation, match[1])
        return _error(404, "NotFound", [f"No such path: {path}"])

    def _v2(self, request: Request, operation: Operation, raw_server_id: str) -> Response:
        """Authenticate, validate and run one v2 operation."""
        auth_problem = self._auth_problem(request.headers.get("authorization"))
        if auth_problem is not None:
            return _error(
                401, "Unauthorized", [auth_problem], {"WWW-Authenticate": 'Bearer, Basic realm="SocketLabs"'}
            )
        query = QueryReader(request.scope.get("query_string", b"").decode("latin-1"), operation.query)
        server_id = 0
        if _SERVER_ID.fullmatch(raw_server_id) and 1 <= int(raw_server_id) <= _MAX_INT32:
            server_id = int(raw_server_id)
        else:
            query.problems.append(f"serverId must be an integer between 1 and {_MAX_INT32}")
        call = _Call(self.state, server_id, query)
        response = self._handlers[operation.operation_id](call)
        if response is None or query.problems:
            return _error(400, "InvalidParameter", query.problems)
        return response

    def _auth_problem(self, authorization: str | None) -> str | None:
        """Why the credentials are refused, or `None` when they are the key."""
        if authorization is None or not authorization.strip():
            return "Missing API key: send Authorization: Bearer KEY (or Basic with the key as password)"
        scheme, _, credentials = authorization.strip().partition(" ")
        credentials = credentials.strip()
        key = self.state.config.api_key.encode()
        if scheme.lower() == "bearer":
            given = credentials.encode()
        elif scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials, validate=True)
            except (binascii.Error, ValueError):
                return "Invalid API key"
            _, colon, password = decoded.partition(b":")
            if not colon:
                return "Invalid API key"
            given = password
        else:
            return f"Unsupported authorization scheme {scheme!r}; use Bearer or Basic"
        return None if hmac.compare_digest(given, key) else "Invalid API key"


# Handlers read all their parameters first and return `None` when any was
# invalid (`_v2` then answers 400 listing `call.query.problems`), so an action
# never runs on a bad request.


def _check_suppression(call: _Call) -> Response | None:
    address = call.query.email("emailAddress")
    if call.query.problems:
        return None
    entry = call.state.find_suppression(call.server_id, address)
    data: JsonBody = {
        "emailAddress": entry.email_address if entry else address,
        "isSuppressed": entry is not None,
        "suppressionLastUpdate": entry.to_json()["suppressionLastUpdate"] if entry else None,
        "reason": entry.reason if entry else None,
    }
    return _json(200, {"data": data})


def _add_suppression(call: _Call) -> Response | None:
    address = call.query.email("emailAddress")
    if call.query.problems:
        return None
    entry = call.state.add_suppression(call.server_id, address)
    return _json(200, {"data": entry.to_json()})


def _remove_suppression(call: _Call) -> Response | None:
    address = call.query.email("emailAddress")
    if call.query.problems:
        return None
    entry = call.state.remove_suppression(call.server_id, address)
    if entry is None:
        return _error(
            404, "NotFound", [f"{address} is not on the suppression list of server {call.server_id}"]
        )
    return _json(200, {"data": entry.to_json()})


@dataclass(frozen=True, slots=True)
class _ListArgs:
    """The validated list parameters of a search, download or report."""

    page_size: int
    page_number: int
    sort_field: str
    descending: bool
    start: int | None
    end: int | None


def _list_args(call: _Call, *, max_page_size: int, fields: Collection[str], default_sort: str) -> _ListArgs:
    """Read paging, sorting and the date range (filters are read separately)."""
    q = call.query
    page_size = q.integer("pageSize", minimum=1, maximum=max_page_size, default=100)
    page_number = q.integer("pageNumber", minimum=0, maximum=_MAX_INT32, default=0)
    sort_field = q.choice("sortField", tuple(fields), default_sort)
    direction = q.choice("sortDirection", _DIRECTIONS, "asc")
    start = q.date("startDate")
    end = q.date("endDate")
    return _ListArgs(
        page_size=page_size,
        page_number=page_number,
        sort_field=sort_field,
        descending=direction == "dsc",
        start=None if start is None else start.start,
        end=None if end is None else end.end,
    )


def _matching_suppressions(call: _Call, max_page_size: int) -> tuple[_ListArgs, list[Suppression]] | None:
    """The validated list arguments and the matching entries, or None after a parameter problem."""
    args = _list_args(
        call, max_page_size=max_page_size, fields=SUPPRESSION_FIELDS, default_sort="emailAddress"
    )
    filters = call.query.filters(SUPPRESSION_FIELDS)
    if call.query.problems:
        return None
    entries = call.state.search_suppressions(
        call.server_id,
        start=args.start,
        end=args.end,
        filters=filters,
        sort_field=args.sort_field,
        descending=args.descending,
    )
    return args, entries


def _search_suppressions(call: _Call) -> Response | None:
    found = _matching_suppressions(call, max_page_size=100)
    if found is None:
        return None
    args, entries = found
    first = args.page_number * args.page_size
    page = entries[first : first + args.page_size]
    return _json(200, {"data": [entry.to_json() for entry in page], "total": len(entries)})


def _download_suppressions(call: _Call) -> Response | None:
    found = _matching_suppressions(call, max_page_size=500_000)
    if found is None:
        return None
    args, entries = found
    page = render_page(call.server_id, entries, args.page_number, args.page_size)
    headers = {} if page.content_range is None else {"Content-Range": page.content_range}
    return Response(page.text, status_code=page.status, media_type="text/csv", headers=headers)


def _message_page(call: _Call, args: _ListArgs, *, filters: Sequence[Filter], to: str | None) -> Response:
    """One page of the report log as the v2 list envelope."""
    total, rows = call.state.query_messages(
        call.server_id,
        start=args.start,
        end=args.end,
        filters=filters,
        to=to,
        sort_field=args.sort_field,
        descending=args.descending,
        offset=args.page_number * args.page_size,
        limit=args.page_size,
    )
    return _json(200, {"data": [row.to_json() for row in rows], "total": total})


def _message_detail(call: _Call) -> Response | None:
    args = _list_args(call, max_page_size=100, fields=MESSAGE_FIELDS, default_sort="queuedTime")
    filters = call.query.filters(MESSAGE_FIELDS)
    if call.query.problems:
        return None
    return _message_page(call, args, filters=filters, to=None)


def _search_recipients(call: _Call) -> Response | None:
    address = call.query.email("toEmailAddress")
    args = _list_args(call, max_page_size=100, fields=MESSAGE_FIELDS, default_sort="queuedTime")
    if call.query.problems:
        return None
    return _message_page(call, args, filters=(), to=address)
