"""The client's outgoing requests, for cases schemathesis generates from the spec, validated by openapi-core.

For every operation, schemathesis generates valid parameters (and injection
bodies) from ``spec/openapi.yaml``; each case is passed to the matching client
method, the request the client builds is captured by an ``httpx.MockTransport``
(which answers a valid canned response), and openapi-core validates it against
the same spec: server and path, parameters, body and security. The same
arguments also go through the async client, which must send the same request.
"""

from __future__ import annotations

import asyncio
import base64
import enum
import functools
import inspect
import json
import re
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, assume, given, reject, settings
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import ServerNotFound
from openapi_core.validation.request.exceptions import (
    InvalidParameter,
    InvalidRequestBody,
    MissingRequiredParameter,
    ParameterValidationError,
    SecurityValidationError,
)
from schemathesis.core import NotSet
from socketlabs_api.models import InjectionRequest
from socketlabs_api.operations import OPERATIONS
from socketlabs_api.resources import Resources
from socketlabs_client import (
    DEFAULT_BASE_URL,
    DEFAULT_INJECT_URL,
    OPERATION_EXTENSION,
    AsyncSocketLabs,
    InvalidParameterError,
    SocketLabs,
)
from socketlabs_client._config import SERVER_SETTINGS
from socketlabs_client._filters import resolve_filters
from socketlabs_client._pagination import DEFAULT_PAGE_SIZE
from werkzeug.datastructures import Headers, ImmutableMultiDict

from .conftest import resource_of

# Every operation's request is judged here, the unverified ones included: their warning is
# expected and tested in tests/integration/test_tiers_sandbox.py.
pytestmark = pytest.mark.filterwarnings("ignore::socketlabs_client.UnverifiedOperationWarning")

SPEC = Path(__file__).resolve().parents[2] / "spec" / "openapi.yaml"
API_KEY = "test-key"
NEW_FORMAT_KEY = "A" * 20 + "." + "b" * 40
SERVER_ID = 12345
MAX_EXAMPLES = 25

_SUPPRESSION = {
    "emailAddress": "someone@example.com",
    "suppressionLastUpdate": "2024-03-01T10:00:00Z",
    "reason": "Manual",
}

# A valid answer per operation, so the client returns a model instead of raising.
CANNED: dict[str, tuple[int, dict[str, str], bytes]] = {
    "sendEmail": (
        200,
        {},
        json.dumps({"ErrorCode": "Success", "TransactionReceipt": None, "MessageResults": None}).encode(),
    ),
    "checkSuppression": (
        200,
        {},
        json.dumps({"data": {"emailAddress": "someone@example.com", "isSuppressed": False}}).encode(),
    ),
    "addSuppression": (200, {}, json.dumps({"data": _SUPPRESSION}).encode()),
    "removeSuppression": (200, {}, json.dumps({"data": _SUPPRESSION}).encode()),
    "searchSuppressions": (200, {}, json.dumps({"data": [_SUPPRESSION], "total": 1}).encode()),
    "downloadSuppressions": (
        200,
        {"Content-Type": "text/csv", "Content-Range": "rows 0-0/1"},
        b"serverId,suppressionLastUpdate,reason,emailAddress\n12345,2024-03-01T10:00:00Z,Manual,someone@example.com\n",
    ),
    "getMessageDetailReport": (200, {}, json.dumps({"data": [], "total": 0}).encode()),
    "searchRecipients": (200, {}, json.dumps({"data": [], "total": 0}).encode()),
}

_DATE = "2024-03-01T10:00:00Z"
_CREDENTIALS = {
    "serverId": SERVER_ID,
    "apiKey": "k",
    "gateway": "https://inject-cx.socketlabs.com/api/v1/email",
}
_BOUNCE = {
    "ServerId": SERVER_ID,
    "Domain": "bounce.example.com",
    "IsDefault": True,
    "ValidationResult": "Valid",
}
_DKIM = {"ServerId": SERVER_ID, "Domain": "example.com", "Selector": "s1", "TruncatedPrivateKey": "MII"}
_GENERATED = {
    **{k: v for k, v in _DKIM.items() if k != "TruncatedPrivateKey"},
    "DnsHostName": "s1._domainkey.example.com",
    "DnsRecord": "v=DKIM1; k=rsa; p=AAA",
    "PublicKey": "AAA",
    "PrivateKey": "BBB",
}
_LIST = {"id": 1, "name": "News", "description": None, "contactCount": 0, "createdDate": _DATE}
_CONTACT = {
    "id": 2,
    "emailAddress": "ann@example.com",
    "listIds": [1],
    "customFields": {},
    "createdDate": _DATE,
}
_FIELD = {"id": 3, "name": "plan", "dataType": "Text"}
_KEY = {"id": 4, "name": "ci", "access": "SocketLabsApi", "keyPrefix": "A" * 20, "createdDate": _DATE}
_DOMAIN = {
    "domain": "mail.example.com",
    "status": "Pending",
    "spfValid": False,
    "dkimValid": False,
    "createdDate": _DATE,
}
_TRACKING = {
    "domain": "t.example.com",
    "opensEnabled": True,
    "clicksEnabled": True,
    "unsubscribesEnabled": False,
    "automaticTrackingEnabled": False,
    "googleAnalyticsEnabled": False,
    "httpsEnabled": True,
    "isDefault": True,
}
_V1_TRACKING = {"ServerId": SERVER_ID, **{k[0].upper() + k[1:]: v for k, v in _TRACKING.items()}}
_SUBACCOUNT = {
    "subaccountId": 7,
    "accountId": 1,
    "name": "News",
    "status": "Active",
    "createdOn": _DATE,
    "streamScore": 0,
    "avgDailyVolume": 0,
    "useRuleEngine": True,
}
_SUB_BOUNCE = {"domain": "bounce.example.com", "isDefault": True, "createdOn": _DATE, "updatedOn": _DATE}
_SUB_DKIM = {
    "domain": "example.com",
    "selector": "s1",
    "truncatedPrivateKey": "MII",
    "validationStatus": "Valid",
}
_CSV = (200, {"Content-Type": "text/csv", "Content-Range": "rows 0-0/1"}, b"messageId\n1\n")


def _ok(body: object) -> tuple[int, dict[str, str], bytes]:
    return 200, {}, json.dumps(body).encode()


CANNED.update(
    {
        "createInjectionCredentials": _ok({"data": _CREDENTIALS}),
        "getInjectionCredentials": _ok({"data": _CREDENTIALS}),
        "listBounceDomains": _ok([_BOUNCE]),
        "createBounceDomain": _ok(_BOUNCE),
        "getBounceDomain": _ok(_BOUNCE),
        "updateBounceDomain": _ok(_BOUNCE),
        "deleteBounceDomain": _ok("deleted"),
        "listDkimKeys": _ok([_DKIM]),
        "createDkimKey": _ok(_DKIM),
        "generateDkimKey": _ok(_GENERATED),
        "updateDkimKey": _ok(_DKIM),
        "deleteDkimKey": _ok("deleted"),
        "listApiKeys": _ok({"data": [_KEY], "total": 1}),
        "createApiKey": _ok({"data": {**_KEY, "apiKey": "A" * 20 + "." + "b" * 40}}),
        "revokeApiKey": _ok({"data": _KEY}),
        "listSendingDomains": _ok({"data": [_DOMAIN], "total": 1}),
        **{
            op: _ok({"data": _DOMAIN})
            for op in ("createSendingDomain", "getSendingDomain", "deleteSendingDomain")
        },
        "verifySendingDomain": _ok({"data": _DOMAIN}),
        # Legacy marketing v1: its answers are not published; any JSON is read as plain data.
        "listMarketingV1Lists": _ok([{"listId": 1, "name": "News"}]),
        "upsertMarketingV1Contact": _ok({"emailAddress": "ann@example.com"}),
        "deleteMarketingV1Contact": _ok({"emailAddress": "ann@example.com"}),
        "unsubscribeMarketingV1Contact": _ok({"emailAddress": "ann@example.com"}),
        "listMarketingV1Content": _ok([]),
        **{
            f"{verb}{name}": _ok({"data": item})
            for name, item in (("List", _LIST), ("Contact", _CONTACT), ("CustomField", _FIELD))
            for verb in ("create", "get", "update", "delete")
        },
        **{
            f"list{name}s": _ok({"data": [item], "total": 1})
            for name, item in (("List", _LIST), ("Contact", _CONTACT), ("CustomField", _FIELD))
        },
        **{
            operation: response
            for infix in ("", "Subaccount")
            for family in ("Messages", "Delivered", "Failed", "Complaint", "Tracking")
            for operation, response in (
                (f"get{infix}{family}Overview", _ok({"data": {"count": 1, "processed": 2, "rate": 0.5}})),
                (
                    f"get{infix}{family}Aggregate",
                    _ok(
                        {
                            "data": {
                                "interval": "hourly",
                                "aggregateTypes": ["mailingId"],
                                "buckets": [{"start": _DATE, "groups": {"mailingId": "m"}, "count": 1}],
                            }
                        }
                    ),
                ),
                (f"get{infix}{family}Detail", _ok({"data": [], "total": 0})),
                (f"download{family}", _CSV),
                (f"get{infix}InboundOverview", _ok({"data": {"count": 1, "posted": 1, "failed": 0}})),
                (f"get{infix}InboundDetail", _ok({"data": [], "total": 0})),
                (f"get{infix}MarketingMailings", _ok({"data": [], "total": 0})),
            )
        },
        "getSubaccountMessageDetailReport": _ok({"data": [], "total": 0}),
        "searchSubaccountRecipients": _ok({"data": [], "total": 0}),
        "createSubaccount": _ok({"data": _SUBACCOUNT}),
        "getSubaccount": _ok({"data": _SUBACCOUNT}),
        "listSubaccountBounceDomains": _ok({"data": [_SUB_BOUNCE]}),
        "createSubaccountBounceDomain": _ok({"data": _SUB_BOUNCE}),
        "deleteSubaccountBounceDomain": _ok({"data": _SUB_BOUNCE}),
        "listSubaccountDkimKeys": _ok({"data": [_SUB_DKIM]}),
        "createSubaccountDkimKey": _ok({"data": _SUB_DKIM}),
        "deleteSubaccountDkimKey": _ok({"data": _SUB_DKIM}),
        "generateSubaccountDkimKey": _ok(
            {"data": {k[0].lower() + k[1:]: v for k, v in _GENERATED.items() if k != "ServerId"}}
        ),
        "listSubaccountTrackingDomains": _ok({"data": [_TRACKING]}),
        **{
            f"{verb}SubaccountTrackingDomain": _ok({"data": _TRACKING})
            for verb in ("create", "update", "delete")
        },
        "listTrackingDomains": _ok([_V1_TRACKING]),
        **{f"{verb}TrackingDomain": _ok(_V1_TRACKING) for verb in ("create", "update", "delete")},
        "searchSubaccountSuppressions": _ok({"data": [_SUPPRESSION], "total": 1}),
        "downloadSubaccountSuppressions": CANNED["downloadSuppressions"],
        "bulkRemoveSubaccountSuppressions": _ok({"data": {"removed": 1, "notFound": []}}),
    }
)


# --- openapi-core adapter ----------------------------------------------------------------------------


class HttpxOpenAPIRequest:
    """An ``httpx.Request`` seen through openapi-core's ``Request`` protocol.

    Modelled on ``openapi_core.contrib.requests.RequestsOpenAPIRequest``: the path
    is the URL's path as sent (percent-encoded), the query is parsed from the
    query string as sent, blank values kept so that empty parameters are caught.
    """

    def __init__(self, request: httpx.Request) -> None:
        self.request = request
        self._url = urlsplit(str(request.url))
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(self._url.query, keep_blank_values=True)),
            header=Headers(list(request.headers.multi_items())),
            cookie=ImmutableMultiDict(),
        )

    @property
    def host_url(self) -> str:
        return f"{self._url.scheme}://{self._url.netloc}"

    @property
    def path(self) -> str:
        return self._url.path

    @property
    def method(self) -> str:
        return self.request.method.lower()

    @property
    def body(self) -> bytes | None:
        return self.request.content or None

    @property
    def content_type(self) -> str:
        return self.request.headers.get("Content-Type", "").lower()


# --- capturing the client's requests -----------------------------------------------------------------


class Capture:
    """A mock transport's handler: keeps each request and answers the canned response for its operation."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        operation = request.extensions[OPERATION_EXTENSION]
        status, headers, content = CANNED[operation.operation_id]
        if operation.pagination == "csv":  # one row, on whichever page was asked for
            query = dict(parse_qsl(request.url.query.decode().partition("&filters=")[0]))
            first = int(query["pageSize"]) * int(query["pageNumber"])
            headers = {**headers, "Content-Range": f"rows {first}-{first}/{first + 1}"}
        headers = {"Content-Type": "application/json", **headers}
        return httpx.Response(status, headers=headers, content=content)

    def only(self) -> httpx.Request:
        assert len(self.requests) == 1, f"expected one request, got {len(self.requests)}"
        return self.requests[0]


@pytest.fixture(scope="module")
def openapi() -> OpenAPI:
    return OpenAPI.from_file_path(str(SPEC))


@pytest.fixture(scope="module")
def schema() -> Any:
    return schemathesis.openapi.from_path(str(SPEC))


def _validate(openapi: OpenAPI, request: httpx.Request) -> None:
    """Raise openapi-core's error if ``request`` does not match the spec."""
    openapi.validate_request(HttpxOpenAPIRequest(request))


# --- from a schemathesis case to a client call -------------------------------------------------------


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _convert(value: Any, hint: Any) -> Any:
    """Turn a wire value into what the method's parameter is annotated to take (enum, int)."""
    options = (
        typing.get_args(hint) if isinstance(hint, types.UnionType) or typing.get_origin(hint) else (hint,)
    )
    for option in options:
        if isinstance(option, type) and issubclass(option, enum.Enum):
            return option(value)
    if int in options and isinstance(value, str):
        return int(value)
    return value


def _kwargs_for(case: Any, method: Callable[..., Any]) -> dict[str, Any]:
    """The case's path and query parameters (and body) as the method's keyword arguments."""
    signature = inspect.signature(method)
    hints = typing.get_type_hints(method)
    kwargs: dict[str, Any] = {}
    wire: dict[str, Any] = {
        **{k: unquote(str(v)) for k, v in case.path_parameters.items()},
        **(case.query or {}),
    }
    for name, value in wire.items():
        python_name = _snake(name)
        assert python_name in signature.parameters, f"{method.__qualname__} has no argument for {name!r}"
        kwargs[python_name] = _convert(value, hints[python_name])
    if not isinstance(case.body, NotSet):
        assert "body" in signature.parameters
        # A oneOf body is a union of models: the first that reads the case is the branch.
        options = typing.get_args(hints["body"]) or (hints["body"],)
        for option in options:
            try:
                kwargs["body"] = option.from_dict(case.body)
                break
            except (KeyError, TypeError, ValueError):
                continue
        assert "body" in kwargs, f"no model of {hints['body']} reads {case.body!r}"
    return kwargs


def _call_sync(
    operation_methods: dict[str, str], operation_id: str, kwargs: dict[str, Any], **options: Any
) -> httpx.Request:
    attribute, name = operation_methods[operation_id].split(".")
    capture = Capture()
    with SocketLabs(
        options.pop("api_key", API_KEY), SERVER_ID, transport=httpx.MockTransport(capture), **options
    ) as client:
        try:
            result = getattr(resource_of(client, attribute, name), name)(**kwargs)
            if hasattr(result, "first_page"):  # a pager sends when used
                result.first_page()
            elif hasattr(result, "rows"):  # a CSV stream too
                list(result.rows())
        except InvalidParameterError:
            assert capture.requests == [], "refused input must not be sent"
            raise
    return capture.only()


def _call_async(
    operation_methods: dict[str, str], operation_id: str, kwargs: dict[str, Any], **options: Any
) -> httpx.Request:
    attribute, name = operation_methods[operation_id].split(".")
    capture = Capture()

    async def run() -> None:
        async with AsyncSocketLabs(
            options.pop("api_key", API_KEY), SERVER_ID, transport=httpx.MockTransport(capture), **options
        ) as client:
            result = getattr(resource_of(client, attribute, name), name)(**kwargs)
            if hasattr(result, "rows"):
                [row async for row in result.rows()]
            else:
                await result

    asyncio.run(run())
    return capture.only()


def _check_matches_case(sent: httpx.Request, case: Any, operation_id: str) -> None:
    """The request carries exactly what the case asked for: nothing lost, nothing added."""
    operation = OPERATIONS[operation_id]
    base = {setting.name: setting.default_url for setting in SERVER_SETTINGS}[operation.server]
    assert sent.method == case.method.upper()
    expected_path = urlsplit(base).path + case.formatted_path
    assert urlsplit(str(sent.url)).path == expected_path
    expected = {k: str(v) for k, v in (case.query or {}).items()}
    raw_query = urlsplit(str(sent.url)).query
    if operation.pagination is not None:
        # The pager always names its page; filters go last, in the docs' raw form.
        raw_query, has_filters, sent_filters = raw_query.partition("&filters=")
        expected.setdefault(
            "pageSize", str(min(DEFAULT_PAGE_SIZE[operation.pagination], operation.max_page_size or 0))
        )
        expected.setdefault("pageNumber", "0")
        case_filters = expected.pop("filters", None)
        wanted = None if case_filters is None else resolve_filters(operation, case_filters)
        assert (sent_filters if has_filters else None) == wanted
    sent_query = dict(parse_qsl(raw_query, keep_blank_values=True))
    assert sent_query == expected
    if not isinstance(case.body, NotSet):
        sent_body = json.loads(sent.content)
        credentials = {"ApiKey": API_KEY} if operation.server == "injection" else {}
        assert sent_body == {**credentials, **case.body}


@functools.cache
def _member_names() -> tuple[frozenset[str], frozenset[str]]:
    """Every member name of the spec's component schemas, as written and case-folded."""
    schemas = yaml.safe_load(SPEC.read_text())["components"]["schemas"]
    names = frozenset(name for schema in schemas.values() for name in schema.get("properties", {}))
    return names, frozenset(name.casefold() for name in names)


def _renamed_by_the_models(value: Any) -> bool:
    """Whether a body has an extra member that names a known one in another case (``METADATA``).

    The models read member names case-insensitively, as the vendor says they
    are, so such a member is sent under its spec name: the request is right,
    but it cannot equal the case byte for byte.
    """
    if isinstance(value, dict):
        exact, folded = _member_names()
        return any(
            (k not in exact and k.casefold() in folded) or _renamed_by_the_models(v) for k, v in value.items()
        )
    if isinstance(value, list):
        return any(_renamed_by_the_models(item) for item in value)
    return False


@functools.cache
def _success_media_types(operation_id: str) -> frozenset[str]:
    """The media types the spec's 2xx answers of ``operation_id`` come in."""
    spec = yaml.safe_load(SPEC.read_text())
    for path_item in spec["paths"].values():
        for operation in path_item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return frozenset(
                    media_type
                    for status, response in operation["responses"].items()
                    if status.startswith("2")
                    for media_type in response.get("content", {})
                )
    raise AssertionError(f"{operation_id} is not in the spec")


def _check_accept(sent: httpx.Request, operation_id: str) -> None:
    """``Accept`` asks only for what the operation can answer (openapi-core does not check this)."""
    asked = {part.split(";")[0].strip() for part in sent.headers.get("Accept", "").split(",") if part.strip()}
    assert asked, "the request says what it accepts"
    assert asked <= _success_media_types(operation_id), f"Accept {sent.headers['Accept']!r}"


def _check_security(sent: httpx.Request, case: Any, operation_id: str) -> None:
    if OPERATIONS[operation_id].server == "marketing":  # legacy marketing v1: Basic serverId:key
        token = base64.b64encode(f"{SERVER_ID}:{API_KEY}".encode()).decode()
        assert sent.headers["Authorization"] == f"Basic {token}"
    elif OPERATIONS[operation_id].server in ("api", "management"):
        assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    else:
        assert "Authorization" not in sent.headers, "a legacy key goes in the body, not a header"
        assert json.loads(sent.content)["ApiKey"] == case.body.get("ApiKey", API_KEY)


_SAME_ON_BOTH = ("method", "url", "content")


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_generated_requests_match_the_spec(
    operation_id: str, schema: Any, openapi: OpenAPI, operation_methods: dict[str, str]
) -> None:
    strategy = schema.find_operation_by_id(operation_id).as_strategy()

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        assume(isinstance(case.body, NotSet) or not _renamed_by_the_models(case.body))
        kwargs = _kwargs_for(case, _method(operation_methods, operation_id))
        try:
            sent = _call_sync(operation_methods, operation_id, kwargs)
        except InvalidParameterError:
            # The schema allows it, but x-filters or the calendar do not: refused before sending.
            reject()
        _validate(openapi, sent)
        _check_matches_case(sent, case, operation_id)
        _check_security(sent, case, operation_id)
        _check_accept(sent, operation_id)
        sent_async = _call_async(operation_methods, operation_id, kwargs)
        _validate(openapi, sent_async)
        for attribute in _SAME_ON_BOTH:
            assert getattr(sent_async, attribute) == getattr(sent, attribute), attribute
        assert dict(sent_async.headers) == dict(sent.headers)

    check()


def _method(operation_methods: dict[str, str], operation_id: str) -> Callable[..., Any]:
    """The unbound generated method (its signature and type hints), e.g. ``Suppressions.search``."""
    attribute, name = operation_methods[operation_id].split(".")
    return getattr(resource_of(Resources, attribute, name), name)


# --- security -----------------------------------------------------------------------------------------

_MINIMAL_INJECTION = {
    "ServerId": SERVER_ID,
    "Messages": [
        {
            "To": [{"EmailAddress": "ann@example.com"}],
            "From": {"EmailAddress": "noreply@example.com"},
            "Subject": "Hi",
        }
    ],
}


@pytest.mark.parametrize("call", [_call_sync, _call_async], ids=["sync", "async"])
def test_v2_basic_auth_matches_the_spec(
    call: Any, openapi: OpenAPI, operation_methods: dict[str, str]
) -> None:
    sent = call(operation_methods, "checkSuppression", {"email_address": "someone@example.com"}, auth="basic")
    _validate(openapi, sent)
    scheme, _, token = sent.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(token).decode().split(":", 1)[1] == API_KEY


@pytest.mark.parametrize("call", [_call_sync, _call_async], ids=["sync", "async"])
def test_injection_legacy_key_goes_in_the_body(
    call: Any, openapi: OpenAPI, operation_methods: dict[str, str]
) -> None:
    sent = call(operation_methods, "sendEmail", {"body": InjectionRequest.from_dict(_MINIMAL_INJECTION)})
    _validate(openapi, sent)
    assert json.loads(sent.content) == {**_MINIMAL_INJECTION, "ApiKey": API_KEY}
    assert "Authorization" not in sent.headers


@pytest.mark.parametrize("call", [_call_sync, _call_async], ids=["sync", "async"])
def test_injection_new_format_key_goes_in_a_bearer_header(
    call: Any, openapi: OpenAPI, operation_methods: dict[str, str]
) -> None:
    body = InjectionRequest.from_dict(_MINIMAL_INJECTION)
    sent = call(operation_methods, "sendEmail", {"body": body}, api_key=NEW_FORMAT_KEY)
    _validate(openapi, sent)
    assert sent.headers["Authorization"] == f"Bearer {NEW_FORMAT_KEY}"
    assert json.loads(sent.content) == _MINIMAL_INJECTION, "no ApiKey in the body"


_SEARCH_URL = f"{DEFAULT_BASE_URL}/servers/{SERVER_ID}/suppressions/search"
_BEARER = {"Authorization": f"Bearer {API_KEY}"}


def test_openapi_core_accepts_a_good_request(openapi: OpenAPI) -> None:
    _validate(openapi, httpx.Request("GET", _SEARCH_URL, params={"pageSize": 100}, headers=_BEARER))


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        pytest.param(
            httpx.Request("GET", _SEARCH_URL, params={"pageSize": 1000}, headers=_BEARER),
            InvalidParameter,
            id="pageSize-above-maximum",
        ),
        pytest.param(
            httpx.Request("GET", _SEARCH_URL, params={"filters": ""}, headers=_BEARER),
            ParameterValidationError,
            id="empty-filters",
        ),
        pytest.param(
            httpx.Request("GET", f"{DEFAULT_BASE_URL}/servers/{SERVER_ID}/suppressions", headers=_BEARER),
            MissingRequiredParameter,
            id="missing-emailAddress",
        ),
        pytest.param(httpx.Request("GET", _SEARCH_URL), SecurityValidationError, id="no-credentials"),
        pytest.param(
            httpx.Request(
                "GET", f"https://example.com/v2/servers/{SERVER_ID}/suppressions/search", headers=_BEARER
            ),
            ServerNotFound,
            id="unknown-server",
        ),
        pytest.param(
            httpx.Request(
                "POST", f"{DEFAULT_INJECT_URL}/email", json={"ServerId": SERVER_ID, "Messages": []}
            ),
            InvalidRequestBody,
            id="injection-without-messages",
        ),
    ],
)
def test_openapi_core_rejects_a_bad_request(
    openapi: OpenAPI, request_: httpx.Request, error: type[Exception]
) -> None:
    """The validator is really on: a request breaking the spec is refused, for the right reason."""
    with pytest.raises(error):
        _validate(openapi, request_)
