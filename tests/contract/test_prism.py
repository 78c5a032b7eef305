"""Every client operation, sync and async, sent to Prism, which checks each request against the spec.

Prism answers a request that does not match ``spec/openapi.yaml`` with 400, 401,
404, 406 or 422, which the client turns into a typed error; so a call that returns
its parsed model is a request Prism accepted. Prism also lists what it found in
an ``sl-violations`` header (warnings too); the transports below record every
answer so the tests can insist that no request violation was reported at all.

Prism serves every path at its root and ignores the servers' base paths
(``/v2``, ``/api/v1``), so both ``base_url`` and ``inject_url`` point at it;
``test_prism_ignores_server_base_paths`` checks that assumption.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, get_args, get_origin, get_type_hints

import httpx
import pytest
from socketlabs_api.models import (
    ApiKeyAccess,
    ApiKeyInput,
    BounceDomainCreate,
    BounceDomainUpdate,
    ContactInput,
    ContactInputCustomFields,
    CustomFieldDataType,
    CustomFieldInput,
    DkimKeyCreate,
    DkimKeyUpdate,
    InjectionRequest,
    ManagementTrackingDomainInput,
    ManagementTrackingDomainUpdate,
    MarketingListInput,
    MarketingV1Contact,
    MarketingV1Unsubscribe,
    ReportInterval,
    SendingDomainInput,
    SortDirection,
    SubaccountBounceDomainInput,
    SubaccountCreateWithRuleEngine,
    SubaccountDkimKeyInput,
    SuppressionBulkRemove,
    TrackingDomainInput,
    TrackingDomainUpdate,
)
from socketlabs_api.operations import OPERATIONS
from socketlabs_api.resources import Resources
from socketlabs_client import APIStatusError, AsyncSocketLabs, CsvRangeError, SocketLabs

from .conftest import resource_of

API_KEY = "test-key"
NEW_FORMAT_KEY = "A" * 20 + "." + "b" * 40
SERVER_ID = 12345

INJECTION_BODY: dict[str, Any] = {
    "ServerId": SERVER_ID,
    "Messages": [
        {
            "To": [{"EmailAddress": "ann@example.com", "FriendlyName": "Ann"}],
            "Cc": [{"EmailAddress": "bob@example.com"}],
            "Bcc": [{"EmailAddress": "audit@example.com"}],
            "From": {"EmailAddress": "noreply@example.com", "FriendlyName": "Example"},
            "ReplyTo": {"EmailAddress": "support@example.com"},
            "Subject": "Welcome",
            "TextBody": "Hello Ann",
            "HtmlBody": "<p>Hello Ann</p>",
            "MessageId": "welcome-ann-1",
            "MailingId": "welcome",
            "CharSet": "utf-8",
            "CustomHeaders": [{"Name": "X-Campaign", "Value": "welcome"}],
            "Attachments": [{"Name": "hello.txt", "Content": "aGVsbG8=", "ContentType": "text/plain"}],
            "Metadata": [{"Key": "customer", "Value": "42"}],
            "Tags": ["welcome", "2024"],
        }
    ],
}

# Every operation is called, the unverified ones included: their warning is expected here
# and tested in tests/integration/test_tiers_sandbox.py.
pytestmark = pytest.mark.filterwarnings("ignore::socketlabs_client.UnverifiedOperationWarning")

_DATES = {"start_date": "2024-01-01", "end_date": "2024-01-31T23:59:59Z"}
_PAGE = {"page_size": 50, "page_number": 0, "sort_direction": SortDirection.DSC}

# One realistic call per resource method, optional arguments included.
CALLS: dict[str, dict[str, Any]] = {
    "injection.send": {"body": InjectionRequest.from_dict(INJECTION_BODY)},
    "suppressions.check": {"email_address": "someone@example.com"},
    "suppressions.add": {"email_address": "someone@example.com"},
    "suppressions.remove": {"email_address": "someone@example.com"},
    "suppressions.search": {
        **_PAGE,
        **_DATES,
        "sort_field": "suppressionLastUpdate",
        "filters": "emailAddress=end:example.com&reason=eq:Manual",
    },
    "suppressions.download": {
        **_PAGE,
        **_DATES,
        "page_size": 5000,
        "sort_field": "emailAddress",
        "filters": "emailAddress=start:some",
    },
    "reports.messages_detail": {
        **_PAGE,
        **_DATES,
        "sort_field": "queuedTime",
        "filters": "mailingId=eq:welcome",
    },
    "reports.recipient_search": {
        **_PAGE,
        **_DATES,
        "to_email_address": "ann@example.com",
        "end_date": "2024-01-31T23:59:59+02:00",
        "sort_field": "queuedTime",
    },
    "credentials.create_injection_api": {"subaccount_id": 777},
    "credentials.get_injection_api": {},
    "bounce_domains.list": {},
    "bounce_domains.create": {
        "body": BounceDomainCreate(domain="bounce.example.com", server_id=0, is_default=True)
    },
    "bounce_domains.get": {"domain": "bounce.example.com"},
    "bounce_domains.update": {"body": BounceDomainUpdate(is_default=False), "domain": "bounce.example.com"},
    "bounce_domains.delete": {"domain": "bounce.example.com"},
    "dkim.list": {"domain": "example.com", "selector": "s1"},
    "dkim.create": {"body": DkimKeyCreate(domain="example.com", selector="s1", private_key="MIIEv")},
    "dkim.generate": {"domain": "example.com", "selector": "s1"},
    "dkim.update": {"body": DkimKeyUpdate(selector="s2", private_key="MIIEv"), "domain": "example.com"},
    "dkim.delete": {"domain": "example.com", "selector": "s2"},
    **{
        f"{tag}.{family}_overview": {**_DATES, "tag": "newsletter"}
        for tag in ("reports", "subaccount_reports")
        for family in ("messages", "delivered", "failed", "complaint", "tracking")
    },
    **{
        f"{tag}.{family}_aggregate": {
            **_DATES,
            # A subaccount has hourly aggregates only on its Sending Overview (changelog 1.0.14432).
            "interval": ReportInterval.HOURLY
            if tag == "reports" or family == "messages"
            else ReportInterval.DAILY,
            "aggregate_types": "mailingId,superTag",
            "tag": "newsletter",
        }
        for tag in ("reports", "subaccount_reports")
        for family in ("messages", "delivered", "failed", "complaint", "tracking")
    },
    **{
        f"{tag}.{family}_detail": {
            **_PAGE,
            **_DATES,
            "sort_field": "processedTime",
            "filters": "systemMessageId=eq:SL1&mailingId=eq:welcome",
        }
        for tag in ("reports", "subaccount_reports")
        for family in ("delivered", "failed", "complaint")
    },
    **{
        f"{tag}.tracking_detail": {
            **_PAGE,
            **_DATES,
            "sort_field": "queuedTime",
            "filters": "mailingId=eq:welcome",
        }
        for tag in ("reports", "subaccount_reports")
    },
    **{
        f"reports.{family}_download": {**_PAGE, **_DATES, "page_size": 5000, "filters": "to=end:example.com"}
        for family in ("delivered", "failed", "complaint", "tracking")
    },
    **{f"{tag}.inbound_overview": _DATES for tag in ("reports", "subaccount_reports")},
    **{
        f"{tag}.inbound_detail": {
            **_PAGE,
            **_DATES,
            "sort_field": "receivedTime",
            "filters": "status=eq:Posted",
        }
        for tag in ("reports", "subaccount_reports")
    },
    **{
        f"{tag}.marketing_mailings": {
            **_PAGE,
            **_DATES,
            "sort_field": "processed",
            "filters": "delivered=gt:0",
        }
        for tag in ("reports",)  # the changelog names Marketing Mailings for servers only
    },
    "subaccount_reports.messages_detail": {
        **_PAGE,
        **_DATES,
        "sort_field": "queuedTime",
        "filters": "systemMessageId=eq:SL1",
    },
    "subaccount_reports.recipient_search": {
        **_PAGE,
        **_DATES,
        "to_email_address": "ann@example.com",
        "sort_field": "queuedTime",
    },
    "subaccounts.create": {"body": SubaccountCreateWithRuleEngine(name="News", use_rule_engine=True)},
    "subaccounts.get": {},
    "subaccount_bounce_domains.list": {},
    "subaccount_bounce_domains.create": {
        "body": SubaccountBounceDomainInput(domain="bounce.example.com", is_default=True)
    },
    "subaccount_bounce_domains.delete": {"domain": "bounce.example.com"},
    "subaccount_dkim.list": {},
    "subaccount_dkim.create": {
        "body": SubaccountDkimKeyInput(domain="example.com", selector="s1", private_key="MIIEv")
    },
    "subaccount_dkim.generate": {"domain": "example.com", "selector": "s1"},
    "subaccount_dkim.delete": {"domain": "example.com", "selector": "s1"},
    "subaccount_tracking_domains.list": {},
    "subaccount_tracking_domains.create": {
        "body": TrackingDomainInput(
            domain="t.example.com", opens_enabled=True, https_enabled=True, is_default=True
        )
    },
    "subaccount_tracking_domains.update": {
        "body": TrackingDomainUpdate(clicks_enabled=False),
        "domain": "t.example.com",
    },
    "subaccount_tracking_domains.delete": {"domain": "t.example.com"},
    "subaccount_suppressions.search": {**_PAGE, **_DATES, "sort_field": "emailAddress"},
    "subaccount_suppressions.download": {**_PAGE, "page_size": 5000, "sort_field": "suppressionLastUpdate"},
    "subaccount_suppressions.bulk_remove": {
        "body": SuppressionBulkRemove(email_addresses=["a@example.com", "b@example.com"])
    },
    "tracking_domains.list": {},
    "tracking_domains.create": {
        "body": ManagementTrackingDomainInput(domain="t.example.com", opens_enabled=True, is_default=True)
    },
    "tracking_domains.update": {
        "body": ManagementTrackingDomainUpdate(https_enabled=False),
        "domain": "t.example.com",
    },
    "tracking_domains.delete": {"domain": "t.example.com"},
    "lists.list": {**_PAGE, "sort_field": "name", "filters": "name=start:news"},
    "lists.create": {"body": MarketingListInput(name="News", description="Weekly")},
    "lists.get": {"list_id": 1},
    "lists.update": {"body": MarketingListInput(name="News"), "list_id": 1},
    "lists.delete": {"list_id": 1},
    "contacts.list": {
        **_PAGE,
        "sort_field": "emailAddress",
        "filters": "listId=eq:1&emailAddress=end:example.com",
    },
    "contacts.create": {
        "body": ContactInput(
            email_address="ann@example.com",
            first_name="Ann",
            last_name=None,
            list_ids=[1, 2],
            custom_fields=ContactInputCustomFields.from_dict({"plan": "gold"}),
        )
    },
    "contacts.get": {"contact_id": 1},
    "contacts.update": {"body": ContactInput(email_address="ann@example.com"), "contact_id": 1},
    "contacts.delete": {"contact_id": 1},
    "custom_fields.list": {**_PAGE, "filters": "dataType=eq:Text"},
    "custom_fields.create": {"body": CustomFieldInput(name="plan", data_type=CustomFieldDataType.TEXT)},
    "custom_fields.get": {"custom_field_id": 1},
    "custom_fields.update": {
        "body": CustomFieldInput(name="tier", data_type=CustomFieldDataType.NUMBER),
        "custom_field_id": 1,
    },
    "custom_fields.delete": {"custom_field_id": 1},
    "api_keys.list": {**_PAGE, "filters": "access=eq:SocketLabsApi"},
    "api_keys.create": {"body": ApiKeyInput(name="ci", access=ApiKeyAccess.INJECTIONAPI)},
    "api_keys.revoke": {"api_key_id": 1},
    "domains.list": {**_PAGE, "sort_field": "domain", "filters": "status=eq:Verified"},
    "domains.create": {"body": SendingDomainInput(domain="mail.example.com")},
    "domains.get": {"domain": "mail.example.com"},
    "domains.delete": {"domain": "mail.example.com"},
    "domains.verify": {"domain": "mail.example.com"},
    "marketing_v1.lists": {},
    "marketing_v1.add_or_update_contact": {
        "body": MarketingV1Contact(email_address="ann@example.com", first_name="Ann"),
        "list_id": "1",
    },
    "marketing_v1.remove_contact": {"list_id": "1", "email_address": "ann@example.com"},
    "marketing_v1.unsubscribe": {"body": MarketingV1Unsubscribe(email_address="ann@example.com")},
    "marketing_v1.content": {},
}
# Every per-subaccount call names the subaccount (creating one does not).
CALLS = {
    name: {**kwargs, "subaccount_id": 777}
    if name.startswith("subaccount_") or name == "subaccounts.get"
    else kwargs
    for name, kwargs in CALLS.items()
}


def _request_violations(response: httpx.Response) -> list[dict[str, Any]]:
    """What Prism found wrong with the request: the ``sl-violations`` header, or a 422 problem body."""
    found: list[dict[str, Any]] = []
    raw = response.headers.get("sl-violations")
    if raw:
        found += [v for v in json.loads(raw) if v.get("location", [None])[0] == "request"]
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        found += json.loads(response.read()).get("validation", [])
    return found


class RecordingTransport(httpx.BaseTransport):
    """Sends through a real transport and keeps every answer."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.responses: list[httpx.Response] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        self.responses.append(response)
        return response

    def close(self) -> None:
        self._inner.close()


class AsyncRecordingTransport(httpx.AsyncBaseTransport):
    """The async twin of ``RecordingTransport``."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.responses: list[httpx.Response] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        self.responses.append(response)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


# Prism found that a fixed `Accept: application/json` made the CSV download answer 406;
# each operation now sends the media types of its own success answers.
CALL_PARAMS = sorted(CALLS)


def _first_page(result: Any) -> Any:
    """A pager or CSV stream sends nothing until used: fetch its first page (sync)."""
    if hasattr(result, "first_page"):
        return result.first_page()
    if hasattr(result, "rows"):
        # Prism makes up `Content-Range: string`; the client refuses it (as it must), and
        # only the request is judged here.
        with contextlib.suppress(CsvRangeError):
            next(result.rows(), None)
    return result


async def _first_page_async(result: Any) -> Any:
    """The async twin of ``_first_page``."""
    if hasattr(result, "first_page"):
        return await result
    if hasattr(result, "rows"):
        with contextlib.suppress(CsvRangeError):
            await anext(result.rows(), None)
        return result
    return await result


def _check_exchange(responses: list[httpx.Response], result: Any, attribute: str, method: str) -> None:
    assert len(responses) == 1, "one call, one request (no retries)"
    (response,) = responses
    assert 200 <= response.status_code < 300
    assert _request_violations(response) == []
    holder = resource_of(Resources, attribute, method)
    expected = get_type_hints(getattr(holder, method))["return"]
    if getattr(expected, "__name__", "").endswith("Pager"):
        expected = get_args(expected)[1]  # the first page was fetched: its page model
    if expected is Any:  # an unverified path, or an answer the spec leaves open: plain JSON
        assert result is None or isinstance(result, dict | list | str | int | float | bool), type(result)
        return
    if getattr(expected, "__name__", "").endswith("CsvDownload"):
        assert response.headers["content-type"].startswith("text/csv")
        return
    expected = get_origin(expected) or expected  # e.g. Response[str] -> Response
    assert isinstance(result, expected), f"{attribute}.{method} returned {type(result).__name__}"


def _sync_client(prism_url: str, transport: httpx.BaseTransport, **kwargs: Any) -> SocketLabs:
    return SocketLabs(
        kwargs.pop("api_key", API_KEY),
        SERVER_ID,
        base_url=prism_url,
        inject_url=prism_url,
        management_url=prism_url,
        marketing_url=prism_url,
        transport=transport,
        **kwargs,
    )


def _async_client(prism_url: str, transport: httpx.AsyncBaseTransport, **kwargs: Any) -> AsyncSocketLabs:
    return AsyncSocketLabs(
        kwargs.pop("api_key", API_KEY),
        SERVER_ID,
        base_url=prism_url,
        inject_url=prism_url,
        management_url=prism_url,
        marketing_url=prism_url,
        transport=transport,
        **kwargs,
    )


@pytest.mark.prism
@pytest.mark.parametrize("auth", ["bearer", "basic"])
@pytest.mark.parametrize("call", CALL_PARAMS)
def test_sync_call_is_accepted_by_prism(prism_url: str, call: str, auth: str) -> None:
    attribute, method = call.split(".")
    transport = RecordingTransport()
    with _sync_client(prism_url, transport, auth=auth) as client:
        result = _first_page(getattr(resource_of(client, attribute, method), method)(**CALLS[call]))
    _check_exchange(transport.responses, result, attribute, method)


@pytest.mark.prism
@pytest.mark.parametrize("auth", ["bearer", "basic"])
@pytest.mark.parametrize("call", CALL_PARAMS)
async def test_async_call_is_accepted_by_prism(prism_url: str, call: str, auth: str) -> None:
    attribute, method = call.split(".")
    transport = AsyncRecordingTransport()
    async with _async_client(prism_url, transport, auth=auth) as client:
        result = await _first_page_async(
            getattr(resource_of(client, attribute, method), method)(**CALLS[call])
        )
    _check_exchange(transport.responses, result, attribute, method)


@pytest.mark.prism
@pytest.mark.parametrize("call", CALL_PARAMS)
def test_minimal_call_is_accepted_by_prism(prism_url: str, call: str) -> None:
    """Only the required arguments: the client must not send empty or placeholder optional parameters."""
    attribute, method = call.split(".")
    required = {
        "body",
        "email_address",
        "to_email_address",
        "subaccount_id",
        "domain",
        "selector",
        "list_id",
        "contact_id",
        "custom_field_id",
        "api_key_id",
    }
    kwargs = {k: v for k, v in CALLS[call].items() if k in required}
    transport = RecordingTransport()
    with _sync_client(prism_url, transport) as client:
        result = _first_page(getattr(resource_of(client, attribute, method), method)(**kwargs))
    _check_exchange(transport.responses, result, attribute, method)


@pytest.mark.prism
def test_download_asks_for_csv_and_gets_it(prism_url: str) -> None:
    """The download answers only ``text/csv``; Prism answers 406 to any other ``Accept``."""
    transport = RecordingTransport()
    with _sync_client(prism_url, transport) as client:
        result = _first_page(client.suppressions.download(**CALLS["suppressions.download"]))
    _check_exchange(transport.responses, result, "suppressions", "download")
    assert transport.responses[0].request.headers["Accept"] == "text/csv"
    assert transport.responses[0].headers["content-type"].startswith("text/csv")


@pytest.mark.prism
def test_injection_with_new_format_key_is_accepted_by_prism(prism_url: str) -> None:
    """A new-format key goes in ``Authorization: Bearer`` and not in the body; both must pass."""
    transport = RecordingTransport()
    with _sync_client(prism_url, transport, api_key=NEW_FORMAT_KEY) as client:
        result = client.injection.send(body=InjectionRequest.from_dict(INJECTION_BODY))
    _check_exchange(transport.responses, result, "injection", "send")
    sent = transport.responses[0].request
    assert sent.headers["Authorization"] == f"Bearer {NEW_FORMAT_KEY}"
    assert "ApiKey" not in json.loads(sent.content)


@pytest.mark.prism
async def test_async_injection_with_new_format_key_is_accepted_by_prism(prism_url: str) -> None:
    transport = AsyncRecordingTransport()
    async with _async_client(prism_url, transport, api_key=NEW_FORMAT_KEY) as client:
        result = await client.injection.send(body=InjectionRequest.from_dict(INJECTION_BODY))
    _check_exchange(transport.responses, result, "injection", "send")


# --- Prism really validates: bad requests are refused ---------------------------------------------------


@pytest.mark.prism
@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        pytest.param(
            "GET",
            f"/servers/{SERVER_ID}/suppressions/search",
            {"params": {"pageSize": 1000}},
            400,
            id="pageSize-above-maximum",
        ),
        pytest.param("GET", f"/servers/{SERVER_ID}/suppressions", {}, 400, id="missing-emailAddress"),
        pytest.param(
            "GET",
            f"/servers/{SERVER_ID}/reports/messages/detail",
            {"params": {"startDate": "01/02/2024"}},
            400,
            id="startDate-wrong-format",
        ),
        pytest.param(
            "GET",
            f"/servers/{SERVER_ID}/suppressions/search",
            {"params": {"sortDirection": "descending"}},
            400,
            id="sortDirection-not-in-enum",
        ),
        pytest.param(
            "GET",
            "/servers/0/suppressions",
            {"params": {"emailAddress": "someone@example.com"}},
            400,
            id="serverId-below-minimum",
        ),
        pytest.param(
            "POST",
            "/email",
            {"json": {"ServerId": SERVER_ID, "ApiKey": API_KEY, "Messages": []}},
            422,
            id="injection-without-messages",
        ),
        pytest.param(
            "GET",
            f"/servers/{SERVER_ID}/suppressions",
            {"params": {"emailAddress": "someone@example.com"}, "headers": {"Authorization": None}},
            401,
            id="v2-without-credentials",
        ),
    ],
)
def test_prism_rejects_bad_requests(
    prism_url: str, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}", **kwargs.pop("headers", {})}
    headers = {k: v for k, v in headers.items() if v is not None}
    response = httpx.request(method, prism_url + path, headers=headers, timeout=10, **kwargs)
    assert response.status_code == status, response.text
    if status != 401:
        assert _request_violations(response), "Prism names what it rejected"


@pytest.mark.prism
def test_prism_ignores_server_base_paths(prism_url: str) -> None:
    """Prism serves ``/servers/...`` and ``/email`` at its root; the spec's base paths are 404s there."""
    auth = {"Authorization": f"Bearer {API_KEY}"}
    params = {"emailAddress": "someone@example.com"}
    root = httpx.get(f"{prism_url}/servers/{SERVER_ID}/suppressions", params=params, headers=auth, timeout=10)
    assert root.status_code == 200
    for base in ("/v2", "/api/v1"):
        prefixed = httpx.get(
            f"{prism_url}{base}/servers/{SERVER_ID}/suppressions", params=params, headers=auth, timeout=10
        )
        assert prefixed.status_code == 404
    injected = httpx.post(f"{prism_url}/api/v1/email", json=INJECTION_BODY | {"ApiKey": API_KEY}, timeout=10)
    assert injected.status_code == 404


@pytest.mark.prism
def test_client_turns_prism_rejection_into_typed_error(prism_url: str) -> None:
    """The chain the tests above rely on: a request Prism refuses surfaces as an error, never a model."""
    with _sync_client(prism_url, RecordingTransport()) as client, pytest.raises(APIStatusError) as info:
        client.suppressions.check(email_address="x")
    assert info.value.status_code == 400


# --- nothing slips through untested ----------------------------------------------------------------------


def test_every_operation_has_a_prism_test(operation_methods: dict[str, str]) -> None:
    """Every operation of the spec is sent by a client method, and every client method has a call above."""
    missing = sorted(set(OPERATIONS) - set(operation_methods))
    assert not missing, f"operations that no resource method sends: {missing}"
    untested = sorted(set(operation_methods.values()) - set(CALLS))
    assert not untested, f"resource methods without a Prism call in CALLS: {untested}"
    stale = sorted(set(CALLS) - set(operation_methods.values()))
    assert not stale, f"CALLS names methods that no longer exist: {stale}"
