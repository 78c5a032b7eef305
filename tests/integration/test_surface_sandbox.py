"""Every operation beyond suppressions and the message reports, through the client, against the sandbox.

Each test runs twice, with ``SocketLabs`` and with ``AsyncSocketLabs``: the
``client`` fixture gives either, and ``run()`` awaits what the async one
returns. State is checked through the API itself (create, then get/list) and,
where the API cannot show it, through the sandbox's state.

Most of these operations have modeled paths: they are called through
``client.unverified`` and answer plain JSON (the whole body, envelope
included). This module exercises the sandbox's model of them, so their
``UnverifiedOperationWarning`` is filtered here; the warning itself is tested
in ``test_tiers_sandbox.py``.
"""

from __future__ import annotations

import base64
import datetime as dt
import inspect
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import httpx
import pytest
from socketlabs_api.models import (
    Address,
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
    Message,
    ReportInterval,
    SendingDomainInput,
    SendingDomainStatus,
    SortDirection,
    SubaccountBounceDomainInput,
    SubaccountCreateWithIpPool,
    SubaccountCreateWithRuleEngine,
    SubaccountDkimKeyInput,
    SuppressionBulkRemove,
    TrackingDomainInput,
    TrackingDomainUpdate,
    TrackingEventType,
)
from socketlabs_api.operations import OPERATIONS
from socketlabs_client import (
    DEFAULT_INJECT_CX_URL,
    AsyncSocketLabs,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    InvalidFilterError,
    InvalidParameterError,
    NotFoundError,
    SocketLabs,
    is_new_format_key,
)
from socketlabs_client._pagination import AsyncCsvStream, PageIterator
from socketlabs_sandbox import DEFAULT_SUBACCOUNT_ID, Sandbox

pytestmark = pytest.mark.filterwarnings("ignore::socketlabs_client.UnverifiedOperationWarning")

T = TypeVar("T")
Client = SocketLabs | AsyncSocketLabs


async def run(result: T) -> Any:
    """The value of a sync call, or the awaited value of an async one (a pager: its first page)."""
    if isinstance(result, PageIterator):
        return result.first_page()
    return await result if inspect.isawaitable(result) else result


async def rows_of(stream: Any) -> list[dict[str, str]]:
    """Every row of a CSV download, sync or async."""
    if isinstance(stream, AsyncCsvStream):
        return [row async for row in stream]
    return list(stream)


def _settings(sandbox: Sandbox, **overrides: Any) -> dict[str, Any]:
    return {
        "api_key": sandbox.api_key,
        "server_id": sandbox.server_id,
        "base_url": sandbox.api_url,
        "inject_url": sandbox.inject_url,
        "management_url": sandbox.management_url,
        "marketing_url": sandbox.marketing_url,
        **overrides,
    }


async def _close(client: Client) -> None:
    if isinstance(client, AsyncSocketLabs):
        await client.aclose()
    else:
        client.close()


@pytest.fixture(params=["sync", "async"])
async def client(request: pytest.FixtureRequest, socketlabs_sandbox: Sandbox) -> AsyncIterator[Client]:
    socketlabs_sandbox.reset()
    kind = SocketLabs if request.param == "sync" else AsyncSocketLabs
    made = kind(**_settings(socketlabs_sandbox))
    yield made
    await _close(made)


# --- injection credentials and the CX gateway ---------------------------------------------------------


async def test_credentials_name_a_gateway_the_client_can_send_through(
    client: Client, socketlabs_sandbox: Sandbox
) -> None:
    creds = await run(client.credentials.get_injection_api())
    assert creds.server_id == socketlabs_sandbox.server_id
    assert creds.api_key == socketlabs_sandbox.api_key
    assert creds.gateway == socketlabs_sandbox.inject_url + "/email"

    gateway_client = client.with_options(inject_url=creds.gateway)
    assert gateway_client.config.inject_url == socketlabs_sandbox.inject_url
    message = Message(
        to=[Address("gateway@example.com")],
        from_=Address("noreply@example.com"),
        subject="Via gateway",
        text_body="Hi",
    )
    await run(gateway_client.injection.send(InjectionRequest(server_id=creds.server_id, messages=[message])))
    await _close(gateway_client)
    assert [m.address for m in socketlabs_sandbox.state.sent] == ["gateway@example.com"]


async def test_a_subaccount_gets_a_new_format_key(client: Client) -> None:
    first = await run(client.credentials.create_injection_api(subaccount_id=777))
    second = await run(client.credentials.create_injection_api(subaccount_id=777))
    assert first.server_id == 777
    assert is_new_format_key(first.api_key) and is_new_format_key(second.api_key)
    assert first.api_key != second.api_key, "each call creates a key"
    assert first.gateway.endswith("/api/v1/email")


def test_the_cx_gateway_is_a_choice_of_inject_url() -> None:
    for given in (DEFAULT_INJECT_CX_URL, DEFAULT_INJECT_CX_URL + "/email", DEFAULT_INJECT_CX_URL + "/email/"):
        with SocketLabs(api_key="k", server_id=1, inject_url=given) as cx:
            assert cx.config.inject_url == DEFAULT_INJECT_CX_URL
            call = cx._executor._core.call(
                cx.http_client, OPERATIONS["sendEmail"], {"method": "post", "url": "/email"}, None
            )
            assert str(call.request.url) == "https://inject-cx.socketlabs.com/api/v1/email"


# --- management v1: custom bounce domains and DKIM ------------------------------------------------------


async def test_bounce_domains_lifecycle(client: Client, socketlabs_sandbox: Sandbox) -> None:
    bounce = client.bounce_domains
    assert await run(bounce.list()) == []
    first = await run(bounce.create(BounceDomainCreate(domain="Bounce.Example.com")))
    assert (first.domain, first.is_default, first.validation_result) == ("bounce.example.com", True, "Valid")
    second = await run(bounce.create(BounceDomainCreate(domain="b2.example.com", is_default=True)))
    assert second.is_default
    assert not (await run(bounce.get(domain="bounce.example.com"))).is_default, "one default only"

    updated = await run(bounce.update(BounceDomainUpdate(is_default=True), domain="bounce.example.com"))
    assert updated.is_default
    listed = await run(bounce.list())
    assert [(d.domain, d.is_default) for d in listed] == [
        ("b2.example.com", False),
        ("bounce.example.com", True),
    ]

    with pytest.raises(ConflictError) as conflict:
        await run(bounce.create(BounceDomainCreate(domain="b2.example.com")))
    assert conflict.value.errors[0].error_type == "Conflict", "the v1 bare error list is read"

    said = await run(bounce.delete(domain="b2.example.com"))
    assert "b2.example.com" in said
    with pytest.raises(NotFoundError) as missing:
        await run(bounce.get(domain="b2.example.com"))
    assert missing.value.errors[0].error_type == "NotFound"
    assert (
        missing.value.url
        == f"{socketlabs_sandbox.management_url}/servers/{socketlabs_sandbox.server_id}/bounce/b2.example.com"
    )


async def test_management_calls_use_bearer_on_v1_and_read_v1_errors(
    client: Client, socketlabs_sandbox: Sandbox
) -> None:
    with pytest.raises(BadRequestError) as bad:
        await run(client.bounce_domains.create(BounceDomainCreate(domain="not a domain")))
    assert bad.value.errors[0].error_type == "InvalidParameter"
    assert "Domain" in bad.value.errors[0].message
    assert socketlabs_sandbox.api_key not in str(bad.value)

    # The sandbox's v1 refuses Basic, as the spec declares Bearer only for it.
    basic = client.with_options(auth="basic")
    try:
        assert await run(basic.bounce_domains.list()) == [], "management calls stay Bearer whatever v2 uses"
        assert (await run(basic.unverified.api_keys.list()))["total"] == 0, "v2 calls take Basic"
    finally:
        await _close(basic)


async def test_dkim_lifecycle(client: Client) -> None:
    dkim = client.dkim
    generated = await run(dkim.generate(domain="example.com", selector="s1"))
    assert generated.dns_host_name == "s1._domainkey.example.com"
    assert generated.dns_record == f"v=DKIM1; k=rsa; p={generated.public_key}"
    assert len(generated.dns_record) > 255, "long enough that DNS needs it split"
    again = await run(dkim.generate(domain="example.com", selector="s1"))
    assert again.private_key == generated.private_key, "deterministic"
    assert await run(dkim.list()) == [], "generating stores nothing"

    stored = await run(
        dkim.create(DkimKeyCreate(domain="example.com", selector="s1", private_key=generated.private_key))
    )
    assert stored.truncated_private_key == generated.private_key[:16]
    await run(dkim.create(DkimKeyCreate(domain="example.org", selector="s1", private_key="abc")))
    assert [k.domain for k in await run(dkim.list(domain="example.org"))] == ["example.org"]
    assert len(await run(dkim.list(selector="s1"))) == 2

    replaced = await run(dkim.update(DkimKeyUpdate(selector="s2", private_key="xyz"), domain="example.com"))
    assert replaced.selector == "s2"
    assert [(k.domain, k.selector) for k in await run(dkim.list(domain="example.com"))] == [
        ("example.com", "s2")
    ]

    with pytest.raises(NotFoundError):
        await run(dkim.delete(domain="example.com", selector="s1"))
    assert "s2._domainkey.example.com" in await run(dkim.delete(domain="example.com", selector="s2"))
    with pytest.raises(NotFoundError):
        await run(dkim.update(DkimKeyUpdate(selector="s3", private_key="k"), domain="example.com"))


# --- modeled reports ---------------------------------------------------------------------

FAMILIES = {"delivered": "Delivered", "failed": "Failed", "complaint": "Complaint"}


@pytest.mark.parametrize("family", [*FAMILIES, "tracking"])
async def test_report_family_overview_aggregate_list_and_download_agree(client: Client, family: str) -> None:
    reports = client.unverified.reports
    status = FAMILIES.get(family, "Delivered")
    detail = await run(client.reports.messages_detail(filters=f"status=eq:{status}", page_size=1))
    overview = (await run(getattr(reports, f"{family}_overview")()))["data"]
    everything = await run(client.reports.messages_detail(page_size=1))
    assert overview["count"] == detail.total > 0, "the family is the log's messages of its status"
    assert overview["processed"] == everything.total
    assert overview["rate"] == pytest.approx(overview["count"] / overview["processed"], abs=1e-6)

    aggregate = (await run(getattr(reports, f"{family}_aggregate")()))["data"]
    assert sum(b["count"] for b in aggregate["buckets"]) == overview["count"]
    dates = [dt.datetime.fromisoformat(b["start"]) for b in aggregate["buckets"]]
    assert dates == sorted(dates) and len(set(dates)) == len(dates)
    one_day = dates[3].date()
    day_overview = await run(
        getattr(reports, f"{family}_overview")(start_date=one_day.isoformat(), end_date=one_day.isoformat())
    )
    hourly = (await run(getattr(reports, f"{family}_aggregate")(interval=ReportInterval.HOURLY)))["data"]
    assert sum(b["count"] for b in hourly["buckets"]) == overview["count"]
    assert day_overview["data"]["count"] == aggregate["buckets"][3]["count"]

    page = await run(
        getattr(reports, f"{family}_detail")(page_size=2, page_number=1, sort_direction=SortDirection.DSC)
    )
    assert page["total"] == overview["count"] and len(page["data"]) == 2
    if family == "tracking":
        assert {e["eventType"] for e in page["data"]} <= {TrackingEventType.OPEN, TrackingEventType.CLICK}
        times = [e["eventTime"] for e in page["data"]]
    else:
        assert {m["status"] for m in page["data"]} == {status}
        times = [m["queuedTime"] for m in page["data"]]
    assert times == sorted(times, reverse=True)

    download = getattr(reports, f"{family}_download")
    rows = await rows_of(download(page_size=50))  # streamed across pages by Content-Range
    assert len(rows) == overview["count"]
    first = await run(getattr(reports, f"{family}_detail")(page_size=3))
    assert [r["messageId"] for r in rows[:3]] == [item["messageId"] for item in first["data"]]


async def test_date_parameters_take_dates_datetimes_and_strings(client: Client) -> None:
    reports = client.unverified.reports
    bucket = (await run(reports.delivered_aggregate()))["data"]["buckets"][3]
    day = dt.datetime.fromisoformat(bucket["start"]).date()
    by_string = await run(reports.delivered_overview(start_date=day.isoformat(), end_date=day.isoformat()))
    by_date = await run(reports.delivered_overview(start_date=day, end_date=day))
    start = dt.datetime.combine(day, dt.time())  # naive: UTC
    end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)
    by_datetime = await run(reports.delivered_overview(start_date=start, end_date=end))
    counts = {answer["data"]["count"] for answer in (by_string, by_date, by_datetime)}
    assert counts == {bucket["count"]}
    with pytest.raises(InvalidParameterError):  # before anything is sent
        await run(reports.delivered_overview(start_date="yesterday"))


async def test_raw_responses_carry_status_headers_and_the_parsed_body(client: Client) -> None:
    raw = await run(client.unverified.with_raw_response.reports.delivered_overview())
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("application/json")
    assert raw.headers["x-sandbox-model"] == "unverified", "the sandbox marks its model's answers"
    assert raw.parsed == await run(client.unverified.reports.delivered_overview()), "plain JSON"
    same = await run(client.with_raw_response.unverified.reports.delivered_overview())
    assert same.parsed == raw.parsed
    keys = await run(client.with_raw_response.dkim.list(domain=None, selector=None))
    assert keys.status_code == 200 and keys.parsed is not None
    assert "x-sandbox-model" not in keys.headers, "an evidenced path is not marked"


async def test_report_lists_filter_on_message_fields(client: Client) -> None:
    page = await run(client.unverified.reports.failed_detail(filters="mailingId=eq:mailing-00001"))
    assert page["total"] == len(page["data"]) > 0
    assert {m["mailingId"] for m in page["data"]} == {"mailing-00001"}
    with pytest.raises(InvalidFilterError, match="unknown field 'status'"):  # before anything is sent
        await run(client.unverified.reports.tracking_detail(filters="status=eq:Delivered"))


async def test_subaccounts_create_and_own_their_resources(client: Client) -> None:
    seeded = (await run(client.unverified.subaccounts.get(subaccount_id=DEFAULT_SUBACCOUNT_ID)))["data"]
    delivered = (await run(client.unverified.reports.delivered_overview()))["data"]
    assert seeded["streamScore"] == round(100 * delivered["count"] / delivered["processed"])
    created = await run(client.subaccounts.create(SubaccountCreateWithIpPool(name="Bulk", ip_pool_id=7)))
    assert (created.name, created.stream_score, created.use_rule_engine) == ("Bulk", 0, False)
    got = await run(client.unverified.subaccounts.get(subaccount_id=created.subaccount_id))
    assert got["data"]["name"] == "Bulk"
    with pytest.raises(ConflictError):
        await run(
            client.subaccounts.create(SubaccountCreateWithRuleEngine(name="Bulk", use_rule_engine=True))
        )
    with pytest.raises(NotFoundError, match="unverified path"):
        await run(client.unverified.subaccounts.get(subaccount_id=424242))

    sid = created.subaccount_id
    bounce = client.subaccount_bounce_domains
    listed = client.unverified.subaccount_bounce_domains
    first = await run(bounce.create(SubaccountBounceDomainInput(domain="B.example.com"), subaccount_id=sid))
    assert (first.domain, first.is_default) == ("b.example.com", True)
    assert [d["domain"] for d in (await run(listed.list(subaccount_id=sid)))["data"]] == ["b.example.com"]
    await run(listed.delete(subaccount_id=sid, domain="b.example.com"))
    assert (await run(listed.list(subaccount_id=sid)))["data"] == []

    dkim = client.subaccount_dkim
    generated = await run(dkim.generate(subaccount_id=sid, domain="example.com", selector="s1"))
    assert generated.dns_host_name == "s1._domainkey.example.com"
    key = SubaccountDkimKeyInput(domain="example.com", selector="s1", private_key=generated.private_key)
    stored = await run(dkim.create(key, subaccount_id=sid))
    assert stored.truncated_private_key == generated.private_key[:16]
    with pytest.raises(ConflictError):
        await run(dkim.create(key, subaccount_id=sid))
    unverified_dkim = client.unverified.subaccount_dkim
    await run(unverified_dkim.delete(subaccount_id=sid, domain="example.com", selector="s1"))
    assert (await run(unverified_dkim.list(subaccount_id=sid)))["data"] == []

    reports = client.unverified.subaccount_reports
    fresh = await run(reports.delivered_overview(subaccount_id=sid))
    assert fresh["data"]["processed"] == 0, "a new one owns no mail"
    own = (await run(reports.delivered_overview(subaccount_id=DEFAULT_SUBACCOUNT_ID)))["data"]
    assert (own["count"], own["processed"]) == (delivered["count"], delivered["processed"]), (
        "the seeded one owns the server"
    )
    detail = await run(reports.failed_detail(subaccount_id=DEFAULT_SUBACCOUNT_ID, page_size=2))
    assert {m["status"] for m in detail["data"]} == {"Failed"}


async def test_subaccount_suppressions_bulk_remove(client: Client, socketlabs_sandbox: Sandbox) -> None:
    for address in ("a@example.com", "b@example.com"):
        await run(client.suppressions.add(email_address=address))
    suppressions = client.unverified.subaccount_suppressions
    page = await run(suppressions.search(subaccount_id=DEFAULT_SUBACCOUNT_ID))
    assert {s["emailAddress"] for s in page["data"]} >= {"a@example.com", "b@example.com"}
    body = SuppressionBulkRemove(email_addresses=["a@example.com", "b@example.com", "c@example.com"])
    result = (await run(suppressions.bulk_remove(body, subaccount_id=DEFAULT_SUBACCOUNT_ID)))["data"]
    assert (result["removed"], result["notFound"]) == (2, ["c@example.com"])
    rows = await rows_of(client.subaccount_suppressions.download(subaccount_id=DEFAULT_SUBACCOUNT_ID))
    assert "a@example.com" not in {row["emailAddress"] for row in rows}
    with pytest.raises(BadRequestError):  # more than 1,000 addresses
        too_many = SuppressionBulkRemove(email_addresses=[f"x{i}@example.com" for i in range(1001)])
        await run(suppressions.bulk_remove(too_many, subaccount_id=DEFAULT_SUBACCOUNT_ID))


# --- marketing: lists, contacts, custom fields ------------------------------------------------------------


async def test_lists_contacts_and_custom_fields(client: Client) -> None:
    lists, contacts, custom_fields = (
        client.unverified.lists,
        client.unverified.contacts,
        client.unverified.custom_fields,
    )

    async def data(call: Any) -> Any:
        return (await run(call))["data"]

    news = await data(lists.create(MarketingListInput(name="News", description="Weekly")))
    vip = await data(lists.create(MarketingListInput(name="VIP")))
    assert (news["name"], news["description"], news["contactCount"]) == ("News", "Weekly", 0)
    with pytest.raises(ConflictError):
        await run(lists.create(MarketingListInput(name="news")))

    plan = await data(custom_fields.create(CustomFieldInput(name="plan", data_type=CustomFieldDataType.TEXT)))
    assert (await data(custom_fields.get(custom_field_id=plan["id"])))["name"] == "plan"

    fields = ContactInputCustomFields.from_dict({"plan": "gold"})
    ann = await data(
        contacts.create(
            ContactInput(
                email_address="ann@example.com",
                first_name="Ann",
                list_ids=[news["id"], vip["id"]],
                custom_fields=fields,
            )
        )
    )
    await run(contacts.create(ContactInput(email_address="bob@example.org", list_ids=[news["id"]])))
    assert ann["listIds"] == sorted([news["id"], vip["id"]])
    assert ann["customFields"] == {"plan": "gold"}
    with pytest.raises(ConflictError):
        await run(contacts.create(ContactInput(email_address="ANN@example.com")))
    with pytest.raises(ConflictError, match="list 999999 does not exist"):
        await run(contacts.create(ContactInput(email_address="cy@example.com", list_ids=[999_999])))

    assert (await data(lists.get(list_id=news["id"])))["contactCount"] == 2
    in_vip = await data(contacts.list(filters=f"listId=eq:{vip['id']}"))
    assert [c["emailAddress"] for c in in_vip] == ["ann@example.com"]
    by_domain = await data(contacts.list(filters="emailAddress=end:example.org"))
    assert [c["emailAddress"] for c in by_domain] == ["bob@example.org"]
    big = await data(lists.list(filters="contactCount=gte:2"))
    assert [lst["name"] for lst in big] == ["News"]

    renamed = await data(
        custom_fields.update(
            CustomFieldInput(name="tier", data_type=CustomFieldDataType.TEXT), custom_field_id=plan["id"]
        )
    )
    assert renamed["name"] == "tier"
    assert (await data(contacts.get(contact_id=ann["id"])))["customFields"] == {"tier": "gold"}

    moved = await data(
        contacts.update(
            ContactInput(email_address="ann@example.com", last_name="Lee", list_ids=[vip["id"]]),
            contact_id=ann["id"],
        )
    )
    assert (moved["lastName"], moved["listIds"]) == ("Lee", [vip["id"]])
    await run(lists.update(MarketingListInput(name="Newsletter"), list_id=news["id"]))
    assert (await data(lists.get(list_id=news["id"])))["name"] == "Newsletter"

    await run(lists.delete(list_id=vip["id"]))
    assert (await data(contacts.get(contact_id=ann["id"])))["listIds"] == [], "deleting a list empties it"
    await run(custom_fields.delete(custom_field_id=plan["id"]))
    assert (await data(contacts.get(contact_id=ann["id"])))["customFields"] == {}
    await run(contacts.delete(contact_id=ann["id"]))
    for call in (
        lambda: contacts.get(contact_id=ann["id"]),
        lambda: lists.get(list_id=vip["id"]),
        lambda: custom_fields.get(custom_field_id=plan["id"]),
    ):
        with pytest.raises(NotFoundError, match="unverified path"):
            await run(call())
    remaining = await run(contacts.list())
    assert (remaining["total"], [c["emailAddress"] for c in remaining["data"]]) == (1, ["bob@example.org"])
    assert (await run(lists.list(page_size=1)))["total"] == 1
    assert (await run(custom_fields.list()))["total"] == 0


async def test_marketing_state_is_per_server(client: Client, socketlabs_sandbox: Sandbox) -> None:
    lists = client.unverified.lists
    await run(lists.create(MarketingListInput(name="Mine")))
    other = await run(lists.list(server_id=socketlabs_sandbox.server_id + 1))
    assert other["total"] == 0
    await run(lists.create(MarketingListInput(name="Mine"), server_id=socketlabs_sandbox.server_id + 1))


async def test_legacy_marketing_v1_lists_contacts_and_unsubscribes(
    client: Client, socketlabs_sandbox: Sandbox
) -> None:
    """The marketing v1 paths public callers use: Basic serverId:key on their own server entry."""
    news = (await run(client.unverified.lists.create(MarketingListInput(name="News"))))["data"]
    v1 = client.marketing_v1
    assert await run(v1.lists()) == [{"listId": news["id"], "name": "News"}]
    contact = MarketingV1Contact(email_address="ann@example.com", first_name="Ann")
    added = await run(v1.add_or_update_contact(contact, list_id=str(news["id"])))
    assert added == {"emailAddress": "ann@example.com", "listId": news["id"]}
    stored = socketlabs_sandbox.state.objects.v1_contacts[(socketlabs_sandbox.server_id, news["id"])]
    assert stored["ann@example.com"]["firstName"] == "Ann"
    await run(v1.remove_contact(list_id=str(news["id"]), email_address="ann@example.com"))
    with pytest.raises(NotFoundError) as missing:
        await run(v1.remove_contact(list_id=str(news["id"]), email_address="ann@example.com"))
    assert "unverified" not in str(missing.value), "an evidenced path is not labelled a guess"
    assert missing.value.url.startswith(socketlabs_sandbox.marketing_url + "/lists/")
    said = await run(v1.unsubscribe(MarketingV1Unsubscribe(email_address="bob@example.com")))
    assert said["unsubscribed"] is True
    assert await run(v1.content()) == []


def test_marketing_v1_needs_a_server_id_before_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its Basic auth names the server: without one the call is refused before anything is sent."""
    monkeypatch.delenv("SOCKETLABS_SERVER_ID", raising=False)
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200, json=[]))
    with SocketLabs(api_key="k", transport=transport) as no_server:
        with pytest.raises(ConfigurationError, match="no server id"):
            no_server.marketing_v1.lists()
        assert sent == []
    with SocketLabs(api_key="k", server_id=42, transport=transport) as named:
        assert named.marketing_v1.lists() == []
    (request,) = sent
    assert str(request.url) == "https://api.socketlabs.com/marketing/v1/lists"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"42:k").decode()


# --- API keys, sending domains, tracking domains --------------------------------------------------------


async def test_a_created_api_key_works_until_revoked(client: Client, socketlabs_sandbox: Sandbox) -> None:
    keys = client.unverified.api_keys
    created = (await run(keys.create(ApiKeyInput(name="ci", access=ApiKeyAccess.SOCKETLABSAPI))))["data"]
    assert is_new_format_key(created["apiKey"])
    assert created["keyPrefix"] == created["apiKey"].split(".")[0]
    listed = await run(keys.list())
    assert [(k["id"], k["name"]) for k in listed["data"]] == [(created["id"], "ci")]
    assert "apiKey" not in listed["data"][0], "the secret is shown once"

    with_new_key = client.with_options(api_key=created["apiKey"])
    try:
        assert (await run(with_new_key.unverified.api_keys.list()))["total"] == 1
        revoked = (await run(keys.revoke(api_key_id=created["id"])))["data"]
        assert revoked["id"] == created["id"]
        with pytest.raises(AuthenticationError):
            await run(with_new_key.unverified.api_keys.list())
    finally:
        await _close(with_new_key)
    with pytest.raises(NotFoundError):
        await run(keys.revoke(api_key_id=created["id"]))


async def test_sending_domains_are_verified(client: Client, socketlabs_sandbox: Sandbox) -> None:
    domains = client.unverified.domains

    async def data(call: Any) -> Any:
        return (await run(call))["data"]

    added = await data(domains.create(SendingDomainInput(domain="Mail.Example.com")))
    assert (added["domain"], added["status"], added["spfValid"]) == (
        "mail.example.com",
        SendingDomainStatus.PENDING,
        False,
    )
    await run(domains.create(SendingDomainInput(domain="failing.example.com")))
    with pytest.raises(ConflictError) as conflict:
        await run(domains.create(SendingDomainInput(domain="mail.example.com")))
    assert conflict.value.url.startswith(socketlabs_sandbox.management_url), "on the v1 base"
    assert conflict.value.errors[0].error_type == "Conflict", "the v1 bare error list is read"

    verified = await data(domains.verify(domain="mail.example.com"))
    assert (verified["status"], verified["dkimValid"]) == (SendingDomainStatus.VERIFIED, True)
    assert dt.datetime.fromisoformat(verified["verifiedDate"])
    assert (await data(domains.verify(domain="failing.example.com")))["status"] == SendingDomainStatus.FAILED
    only_verified = await data(domains.list(filters="status=eq:Verified"))
    assert [d["domain"] for d in only_verified] == ["mail.example.com"]

    assert (await data(domains.get(domain="mail.example.com")))["status"] == SendingDomainStatus.VERIFIED
    await run(domains.delete(domain="mail.example.com"))
    with pytest.raises(NotFoundError):
        await run(domains.get(domain="mail.example.com"))
    assert (await run(domains.list()))["total"] == 1


async def test_tracking_domains_of_servers_and_subaccounts(
    client: Client, socketlabs_sandbox: Sandbox
) -> None:
    servers = client.unverified.tracking_domains  # v1: PascalCase members, no envelope
    first = await run(servers.create(ManagementTrackingDomainInput(domain="Links.Example.com")))
    assert (first["Domain"], first["IsDefault"], first["OpensEnabled"], first["HttpsEnabled"]) == (
        "links.example.com",
        True,
        True,
        True,
    )
    second = await run(
        servers.create(ManagementTrackingDomainInput(domain="t2.example.com", is_default=True))
    )
    assert second["IsDefault"]
    changed = await run(
        servers.update(ManagementTrackingDomainUpdate(clicks_enabled=False), domain="t2.example.com")
    )
    assert (changed["ClicksEnabled"], changed["OpensEnabled"]) == (False, True)
    listed = await run(servers.list())
    assert [(d["Domain"], d["IsDefault"]) for d in listed] == [
        ("links.example.com", False),
        ("t2.example.com", True),
    ]
    assert await run(servers.list(server_id=socketlabs_sandbox.server_id + 1)) == [], "per server"
    with pytest.raises(ConflictError):
        await run(servers.create(ManagementTrackingDomainInput(domain="t2.example.com")))
    await run(servers.delete(domain="t2.example.com"))
    with pytest.raises(NotFoundError):
        await run(servers.delete(domain="t2.example.com"))

    subaccounts = client.subaccount_tracking_domains
    sub = DEFAULT_SUBACCOUNT_ID
    made = await run(
        subaccounts.create(
            TrackingDomainInput(domain="t.example.com", https_enabled=False), subaccount_id=sub
        )
    )
    assert (made.domain, made.https_enabled, made.is_default) == ("t.example.com", False, True)
    unverified = client.unverified.subaccount_tracking_domains
    updated = (
        await run(
            unverified.update(
                TrackingDomainUpdate(google_analytics_enabled=True), subaccount_id=sub, domain="t.example.com"
            )
        )
    )["data"]
    assert updated["googleAnalyticsEnabled"] and not updated["httpsEnabled"]
    listed_sub = (await run(unverified.list(subaccount_id=sub)))["data"]
    assert [d["domain"] for d in listed_sub] == ["t.example.com"]
    with pytest.raises(BadRequestError):
        await run(subaccounts.create(TrackingDomainInput(domain="bad domain"), subaccount_id=sub))


async def test_unknown_ids_and_bad_path_values_are_typed_errors(client: Client) -> None:
    with pytest.raises(NotFoundError, match="unverified path"):
        await run(client.unverified.lists.get(list_id=424242))
    with pytest.raises(BadRequestError, match="unverified path"):
        await run(client.unverified.domains.get(domain="not_a_domain"))
    with pytest.raises(NotFoundError, match="unverified path"):
        await run(client.unverified.api_keys.revoke(api_key_id=1))
