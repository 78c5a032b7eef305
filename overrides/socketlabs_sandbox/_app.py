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
import logging
import re
from collections import deque
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from . import _account, _marketing, _marketing_v1, _reports_modeled, _subaccounts
from ._csv import render_page
from ._events import EventOutbox
from ._faults import Faults, apply_fault
from ._filters import Filter
from ._handler import Call as _Call
from ._handler import Handler, path_integer, read_json
from ._handler import ListArgs as _ListArgs
from ._handler import error_response as _error
from ._handler import json_response as _json
from ._handler import list_args as _handler_list_args
from ._history import REPORTING_HISTORY_ERROR, history_problem
from ._injection import handle_injection
from ._limits import SandboxRateLimits
from ._log import MESSAGE_FIELDS
from ._management import HANDLERS as MANAGEMENT_HANDLERS
from ._management import MANAGEMENT_PREFIX, management_error
from ._management import ROUTES as MANAGEMENT_ROUTES
from ._params import QueryReader
from ._state import SUPPRESSION_FIELDS, SandboxState, Suppression
from ._xmlbody import is_xml, write_answer

__all__ = [
    "API_PREFIX",
    "CONTROL_INBOX",
    "EVIDENCED",
    "INJECTION_PREFIX",
    "MANAGEMENT_PREFIX",
    "MODEL_HEADER",
    "OPERATIONS",
    "Operation",
    "SandboxApp",
]

API_PREFIX = "/v2"
"""Where the v2 paths of the spec are mounted."""

INJECTION_PREFIX = "/api/v1"
"""Where the injection path of the spec (`/email`) is mounted."""

CONTROL_DELIVER = API_PREFIX + "/_sandbox/events/deliver"
"""Sandbox-only: ``POST`` here (with the key) posts the owed event webhooks (see ``_control_deliver``)."""

CONTROL_INBOX = API_PREFIX + "/_sandbox/events/inbox"
"""Sandbox-only: the sandbox's own webhook receiver, where events go when no other URL is set."""

_INBOX_KEEP = 1000

_MAX_INT32 = 2_147_483_647
_LIST_PARAMS = ("pageSize", "pageNumber", "sortField", "sortDirection", "startDate", "endDate", "filters")
_PATH_PARAMETER = re.compile(r"\\\{([A-Za-z]+)\\\}")

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
        """The path as a regex; each `{name}` matches any one segment, as group `name`."""
        return re.compile(_PATH_PARAMETER.sub(r"(?P<\1>[^/]*)", re.escape(self.prefix + self.path)))


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
    *(
        Operation(operation_id, method, API_PREFIX, path, query)
        for operation_id, method, path, query in (
            *_account.ROUTES,
            *_reports_modeled.ROUTES,
            *_marketing.ROUTES,
            *_subaccounts.ROUTES,
        )
    ),
    *(Operation(*route[:2], MANAGEMENT_PREFIX, *route[2:]) for route in MANAGEMENT_ROUTES),
    *(Operation(*route[:2], MANAGEMENT_PREFIX, *route[2:]) for route in _account.V1_ROUTES),
    *(Operation(*route[:2], _marketing_v1.MARKETING_V1_PREFIX, *route[2:]) for route in _marketing_v1.ROUTES),
)
"""Every operation of the spec the sandbox serves (a test checks it against the spec)."""

EVIDENCED: frozenset[str] = frozenset(
    {
        "addSuppression", "checkSuppression", "createBounceDomain", "createDkimKey",
        "createInjectionCredentials", "createSubaccount", "createSubaccountBounceDomain",
        "createSubaccountDkimKey", "createSubaccountTrackingDomain", "deleteBounceDomain",
        "deleteDkimKey", "deleteMarketingV1Contact", "downloadSubaccountSuppressions",
        "downloadSuppressions", "generateDkimKey", "generateSubaccountDkimKey", "getBounceDomain",
        "getInjectionCredentials", "getMessageDetailReport", "listBounceDomains", "listDkimKeys",
        "listMarketingV1Content", "listMarketingV1Lists", "removeSuppression", "searchRecipients",
        "sendEmail", "unsubscribeMarketingV1Contact", "updateBounceDomain", "updateDkimKey",
        "upsertMarketingV1Contact",
    }
)  # fmt: skip
"""Operations whose path has a source (the spec's ``x-confidence`` confirmed or observed; a test holds
the two equal). Every other answer is the sandbox's own model of a guessed path and carries
``MODEL_HEADER``, so nothing downstream (the contract check above all) takes it for evidence."""

MODEL_HEADER = "X-Sandbox-Model"
"""The header on every answer to an operation outside ``EVIDENCED``; its value is ``unverified``."""


class SandboxApp:
    """The ASGI callable uvicorn serves; one per sandbox, bound to its state."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.events = EventOutbox.from_state(state)
        """The event webhooks accepted mail owes (``Sandbox.events`` is this one)."""
        self.faults = Faults()
        self.limits = SandboxRateLimits(state.config.rate_limit_window)
        self.inbox: deque[JsonBody] = deque(maxlen=_INBOX_KEEP)
        """The last events the sandbox's own receiver took (``GET {CONTROL_INBOX}`` lists them)."""
        self._routes: list[tuple[re.Pattern[str], dict[str, Operation]]] = []
        for operation in OPERATIONS:
            for pattern, methods in self._routes:
                if pattern.pattern == operation.pattern.pattern:
                    methods[operation.method] = operation
                    break
            else:
                self._routes.append((operation.pattern, {operation.method: operation}))
        self._handlers: dict[str, Handler] = {
            "checkSuppression": _check_suppression,
            "addSuppression": _add_suppression,
            "removeSuppression": _remove_suppression,
            "searchSuppressions": _search_suppressions,
            "downloadSuppressions": _download_suppressions,
            "getMessageDetailReport": _message_detail,
            "searchRecipients": _search_recipients,
            **_account.HANDLERS,
            **_reports_modeled.HANDLERS,
            **_marketing.HANDLERS,
            **_marketing_v1.HANDLERS,
            **MANAGEMENT_HANDLERS,
        }
        self._handlers.update(_subaccounts.handlers(self._handlers))

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
        if request.url.path == CONTROL_DELIVER:
            await (await self._control_deliver(request, body))(scope, receive, send)
            return
        if request.url.path == CONTROL_INBOX:
            await self._control_inbox(request, body)(scope, receive, send)
            return

        def run() -> Response:
            try:
                return self.dispatch(request, body)
            except Exception:
                logger.exception("sandbox handler failed")
                return _error(500, "InternalError", ["The sandbox failed to handle the request"])

        operation = self._operation(request)
        refused = self._over_limit(operation) if operation else None
        fault = self.faults.pick(operation.operation_id) if operation and refused is None else None
        if refused is not None:
            response: Response | None = refused
        elif fault is not None:
            response = await apply_fault(fault, run, send)
        else:
            response = run()
        if response is not None:
            await response(scope, receive, send)

    async def _control_deliver(self, request: Request, body: bytes) -> Response:
        """``POST {CONTROL_DELIVER}``: post the owed events now (a sandbox-only control path).

        Body: ``{"webhook_url": "...", "address": "..."}`` (both optional: the
        configured URL; every owed event, else only that recipient's). Lets a
        sandbox in another process be told to deliver, as ``socketlabs events
        trigger`` does; authenticated with the sandbox's key like every call.
        """
        if request.method != "POST":
            return _error(405, "MethodNotAllowed", ["POST only"], {"Allow": "POST"})
        if self._auth_problem(request.headers.get("authorization"), bearer_only=True) is not None:
            return _error(401, "Unauthorized", ["A valid API key is required"])
        data = read_json(body or b"{}")
        url = data.get("webhook_url") if isinstance(data, dict) else None
        address = data.get("address") if isinstance(data, dict) else None
        if (
            not isinstance(data, dict)
            or not isinstance(url, str | None)
            or not isinstance(address, str | None)
        ):
            return _error(
                400, "InvalidRequest", ['The body must be {"webhook_url": "http://...", "address": "..."}']
            )
        # The given URL is for this delivery only; without one, the sandbox's own (a fresh
        # sandbox has its own receiver). A trigger never changes where later ones go.
        target = url or self.events.webhook_url or str(request.base_url).rstrip("/") + CONTROL_INBOX
        try:
            done = await self.events.adeliver(address=address, url=target)
        except ValueError as exc:
            return _error(400, "InvalidRequest", [str(exc)])
        answer = [
            {
                "type": d.payload.get("Type"),
                "address": d.payload.get("Address"),
                "status": d.status,
                "error": d.error,
            }
            for d in done
        ]
        return _json(200, {"data": answer, "total": len(answer)})

    def _control_inbox(self, request: Request, body: bytes) -> Response:
        """``{CONTROL_INBOX}``: the sandbox's own webhook receiver (``POST``), and what it took (``GET``).

        It holds the sandbox's secret to the same rule a real receiver does (a
        post without it is refused with 401), logs each event, and keeps the
        last ones, so ``socketlabs events trigger`` works on a fresh sandbox.
        """
        if request.method == "GET":
            if self._auth_problem(request.headers.get("authorization"), bearer_only=True) is not None:
                return _error(401, "Unauthorized", ["A valid API key is required"])
            return _json(200, {"data": list(self.inbox), "total": len(self.inbox)})
        if request.method != "POST":
            return _error(405, "MethodNotAllowed", ["GET or POST only"], {"Allow": "GET, POST"})
        event = read_json(body)
        if not isinstance(event, dict):
            return _error(400, "InvalidRequest", ["The body must be one webhook event (a JSON object)"])
        given = event.get("SecretKey")
        # surrogatepass: a JSON "\ud800" decodes to a lone surrogate, which plain UTF-8 cannot encode
        given_bytes = given.encode("utf-8", "surrogatepass") if isinstance(given, str) else None
        if given_bytes is None or not hmac.compare_digest(given_bytes, self.events.secret.encode()):
            return _error(401, "Unauthorized", ["The event's SecretKey is not the sandbox's webhook secret"])
        kept = {k: v for k, v in event.items() if k != "SecretKey"}
        self.inbox.append(kept)
        logger.info("webhook inbox took %s for %s", kept.get("Type"), kept.get("Address"))
        # A real receiver proves it holds the secret only in the Validation handshake.
        return _json(200, {"SecretKey": self.events.secret} if kept.get("Type") == "Validation" else {})

    def _operation(self, request: Request) -> Operation | None:
        """The spec operation a request is for (route and method), if any."""
        for pattern, methods in self._routes:
            if pattern.fullmatch(request.url.path):
                return methods.get(request.method)
        return None

    def _over_limit(self, operation: Operation) -> Response | None:
        """The rate-limit answer (see ``_limits``), or None when the request may proceed."""
        refused = self.limits.admit(operation.operation_id)
        if refused is None:
            return None
        family, wait = refused
        if operation.operation_id == "sendEmail":
            return _json(200, {"ErrorCode": "OverQuota", "TransactionReceipt": None, "MessageResults": None})
        message = f"Rate limit exceeded ({family}); retry after {wait:.1f} s"
        headers = {"Retry-After": self.limits.retry_after_header(wait)}
        return _error(429, "RateLimitExceeded", [message], headers)

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
                error = management_error if path.startswith(MANAGEMENT_PREFIX + "/") else _error
                return error(
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
            return self._v2(request, operation, match.groupdict(), body)
        return _error(404, "NotFound", [f"No such path: {path}"])

    def _v2(self, request: Request, operation: Operation, path: dict[str, str], body: bytes) -> Response:
        """Authenticate, validate and run one v2 (or management v1) operation."""
        v1 = operation.prefix == MANAGEMENT_PREFIX
        error = management_error if v1 else _error
        auth_problem = self._auth_problem(request.headers.get("authorization"), bearer_only=v1)
        if auth_problem is not None:
            challenge = "Bearer" if v1 else 'Bearer, Basic realm="SocketLabs"'
            return error(401, "Unauthorized", [auth_problem], {"WWW-Authenticate": challenge})
        query = QueryReader(request.scope.get("query_string", b"").decode("latin-1"), operation.query)
        server_id = 0  # stays 0 on a path without one (the subaccount credentials)
        raw_server_id = path.get("serverId")
        if operation.prefix == _marketing_v1.MARKETING_V1_PREFIX:  # Basic serverId:key names the server
            raw_server_id = _basic_user(request.headers.get("authorization"))
        if raw_server_id is not None:
            parsed = path_integer(raw_server_id)
            if parsed is not None:
                server_id = parsed
            else:
                query.problems.append(f"serverId must be an integer between 1 and {_MAX_INT32}")
        origin = f"{request.url.scheme}://{request.url.netloc}"
        call = _Call(self.state, server_id, query, path=path, body=body, origin=origin)
        response = self._handlers[operation.operation_id](call)
        if response is None or query.problems:
            response = error(400, "InvalidParameter", query.problems)
        if operation.operation_id not in EVIDENCED:
            response.headers[MODEL_HEADER] = "unverified"
        return response

    def _auth_problem(self, authorization: str | None, *, bearer_only: bool = False) -> str | None:
        """Why the credentials are refused, or `None` when they are the key (or a created one)."""
        if authorization is None or not authorization.strip():
            return "Missing API key: send Authorization: Bearer KEY (or Basic with the key as password)"
        scheme, _, credentials = authorization.strip().partition(" ")
        credentials = credentials.strip()
        key = self.state.config.api_key.encode()
        if scheme.lower() == "bearer":
            given = credentials.encode()
        elif scheme.lower() == "basic" and not bearer_only:
            try:
                decoded = base64.b64decode(credentials, validate=True)
            except (binascii.Error, ValueError):
                return "Invalid API key"
            _, colon, password = decoded.partition(b":")
            if not colon:
                return "Invalid API key"
            given = password
        else:
            return f"Unsupported authorization scheme {scheme!r}; use Bearer" + (
                "" if bearer_only else " or Basic"
            )
        if hmac.compare_digest(given, key):
            return None
        with self.state.lock:
            return None if self.state.objects.api_key_is_active(given) else "Invalid API key"


def _basic_user(authorization: str | None) -> str | None:
    """The user name of a Basic ``Authorization`` header (the marketing v1 server id), else None."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, colon, _ = base64.b64decode(credentials.strip(), validate=True).partition(b":")
    except (binascii.Error, ValueError):
        return None
    return user.decode("latin-1") if colon else None


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


def _list_args(call: _Call, *, max_page_size: int, fields: Collection[str], default_sort: str) -> _ListArgs:
    """Read paging, sorting and the date range (filters are read separately)."""
    return _handler_list_args(call, max_page_size=max_page_size, fields=fields, default_sort=default_sort)


def _matching_suppressions(call: _Call, max_page_size: int) -> tuple[_ListArgs, Sequence[Suppression]] | None:
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
    truncate = call.state.csv_truncate_page == args.page_number
    page = render_page(call.server_id, entries, args.page_number, args.page_size, truncate=truncate)
    headers = {} if page.content_range is None else {"Content-Range": page.content_range}
    return StreamingResponse(page.chunks, status_code=page.status, media_type="text/csv", headers=headers)


def _message_page(call: _Call, args: _ListArgs, *, filters: Sequence[Filter], to: str | None) -> Response:
    """One page of the report log as the v2 list envelope (inside the plan's history)."""
    beyond = history_problem(call.state.config.reporting_history_days, call.state.now(), args.start, args.end)
    if beyond is not None:
        return _error(400, REPORTING_HISTORY_ERROR, [beyond])
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
