"""Every operation beyond suppressions and the message reports, through the client, against the sandbox.

Each test runs twice, with ``SocketLabs`` and with ``AsyncSocketLabs``: the
``client`` fixture gives either, and ``run()`` awaits what the async one
returns. State is checked through the API itself (create, then get/list) and,
where the API cannot show it, through the sandbox's state.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import AsyncIterator
from typing import Any, TypeVar

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
    ConflictError,
    InvalidFilterError,
    InvalidParameterError,
    NotFoundError,
    SocketLabs,
    is_new_format_key,
)
from socketlabs_client._pagination import AsyncCsvStream, PageIterator
from socketlabs_sandbox import DEFAULT_SUBACCOUNT_ID, Sandbox

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
        assert (await run(basic.api_keys.list())).total == 0, "v2 calls take Basic"
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
    reports = client.reports
    status = FAMILIES.get(family, "Delivered")
    detail = await run(reports.messages_detail(filters=f"status=eq:{status}", page_size=1))
    overview = await run(getattr(reports, f"{family}_overview")())
    everything = await run(reports.messages_detail(page_size=1))
    assert overview.count == detail.total > 0, "the family is the log's messages of its status"
    assert overview.processed == everything.total
    assert overview.rate == pytest.approx(overview.count / overview.processed, abs=1e-6)

    aggregate = await run(getattr(reports, f"{family}_aggregate")())
    assert sum(b.count for b in aggregate.buckets) == overview.count
    dates = [b.start for b in aggregate.buckets]
    assert dates == sorted(dates) and len(set(dates)) == len(dates)
    one_day = aggregate.buckets[3].start.date()
    day_overview = await run(
        getattr(reports, f"{family}_overview")(start_date=one_day.isoformat(), end_date=one_day.isoformat())
    )
    hourly = await run(getattr(reports, f"{family}_aggregate")(interval=ReportInterval.HOURLY))
    assert sum(b.count for b in hourly.buckets) == overview.count
    assert day_overview.count == aggregate.buckets[3].count

    page = await run(
        getattr(reports, f"{family}_detail")(page_size=2, page_number=1, sort_direction=SortDirection.DSC)
    )
    assert page.total == overview.count and len(page.data) == 2
    if family == "tracking":
        assert {e.event_type for e in page.data} <= {TrackingEventType.OPEN, TrackingEventType.CLICK}
        times = [e.event_time for e in page.data]
    else:
        assert {m.status.value for m in page.data} == {status}
        times = [m.queued_time for m in page.data]
    assert times == sorted(times, reverse=True)

    download = getattr(reports, f"{family}_download")
    rows = await rows_of(download(page_size=50))  # streamed across pages by Content-Range
    assert len(rows) == overview.count
    first = await run(getattr(reports, f"{family}_detail")(page_size=3))
    assert [r["messageId"] for r in rows[:3]] == [item.message_id for item in first.data]


async def test_date_parameters_take_dates_datetimes_and_strings(client: Client) -> None:
    reports = client.reports
    bucket = (await run(reports.delivered_aggregate())).buckets[3]
    day = bucket.start.date()
    by_string = await run(reports.delivered_overview(start_date=day.isoformat(), end_date=day.isoformat()))
    by_date = await run(reports.delivered_overview(start_date=day, end_date=day))
    start = dt.datetime.combine(day, dt.time())  # naive: UTC
    end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)
    by_datetime = await run(reports.delivered_overview(start_date=start, end_date=end))
    assert by_string.count == by_date.count == by_datetime.count == bucket.count
    with pytest.raises(InvalidParameterError):  # before anything is sent
        await run(reports.delivered_overview(start_date="yesterday"))


async def test_raw_responses_carry_status_headers_and_the_parsed_body(client: Client) -> None:
    raw = await run(client.with_raw_response.reports.delivered_overview())
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("application/json")
    assert raw.parsed is not None
    assert raw.parsed.data == await run(client.reports.delivered_overview())
    keys = await run(client.with_raw_response.dkim.list(domain=None, selector=None))
    assert keys.status_code == 200 and keys.parsed is not None


async def test_report_lists_filter_on_message_fields(client: Client) -> None:
    page = await run(client.reports.failed_detail(filters="mailingId=eq:mailing-00001"))
    assert page.total == len(page.data) > 0
    assert {m.mailing_id for m in page.data} == {"mailing-00001"}
    with pytest.raises(InvalidFilterError, match="unknown field 'status'"):  # before anything is sent
        await run(client.reports.tracking_detail(filters="status=eq:Delivered"))


async def test_subaccounts_create_and_own_their_resources(client: Client) -> None:
    seeded = await run(client.subaccounts.get(subaccount_id=DEFAULT_SUBACCOUNT_ID))
    delivered = await run(client.reports.delivered_overview())
    assert seeded.stream_score == round(100 * delivered.count / delivered.processed)
    created = await run(client.subaccounts.create(SubaccountCreateWithIpPool(name="Bulk", ip_pool_id=7)))
    assert (created.name, created.stream_score, created.use_rule_engine) == ("Bulk", 0, False)
    assert (await run(client.subaccounts.get(subaccount_id=created.subaccount_id))).name == "Bulk"
    with pytest.raises(ConflictError):
        await run(
            client.subaccounts.create(SubaccountCreateWithRuleEngine(name="Bulk", use_rule_engine=True))
        )
    with pytest.raises(NotFoundError):
        await run(client.subaccounts.get(subaccount_id=424242))

    sid = created.subaccount_id
    bounce = client.subaccount_bounce_domains
    first = await run(bounce.create(SubaccountBounceDomainInput(domain="B.example.com"), subaccount_id=sid))
    assert (first.domain, first.is_default) == ("b.example.com", True)
    assert [d.domain for d in await run(bounce.list(subaccount_id=sid))] == ["b.example.com"]
    await run(bounce.delete(subaccount_id=sid, domain="b.example.com"))
    assert await run(bounce.list(subaccount_id=sid)) == []

    dkim = client.subaccount_dkim
    generated = await run(dkim.generate(subaccount_id=sid, domain="example.com", selector="s1"))
    assert generated.dns_host_name == "s1._domainkey.example.com"
    key = SubaccountDkimKeyInput(domain="example.com", selector="s1", private_key=generated.private_key)
    stored = await run(dkim.create(key, subaccount_id=sid))
    assert stored.truncated_private_key == generated.private_key[:16]
    with pytest.raises(ConflictError):
        await run(dkim.create(key, subaccount_id=sid))
    await run(dkim.delete(subaccount_id=sid, domain="example.com", selector="s1"))
    assert await run(dkim.list(subaccount_id=sid)) == []

    reports = client.subaccount_reports
    assert (await run(reports.delivered_overview(subaccount_id=sid))).processed == 0, "a new one owns no mail"
    own = await run(reports.delivered_overview(subaccount_id=DEFAULT_SUBACCOUNT_ID))
    assert (own.count, own.processed) == (delivered.count, delivered.processed), (
        "the seeded one owns the server"
    )
    detail = await run(reports.failed_detail(subaccount_id=DEFAULT_SUBACCOUNT_ID, page_size=2))
    assert {m.status.value for m in detail.data} == {"Failed"}


async def test_subaccount_suppressions_bulk_remove(client: Client, socketlabs_sandbox: Sandbox) -> None:
    for address in ("a@example.com", "b@example.com"):
        await run(client.suppressions.add(email_address=address))
    suppressions = client.subaccount_suppressions
    page = await run(suppressions.search(subaccount_id=DEFAULT_SUBACCOUNT_ID))
    assert {s.email_address for s in page.data} >= {"a@example.com", "b@example.com"}
    body = SuppressionBulkRemove(email_addresses=["a@example.com", "b@example.com", "c@example.com"])
    result = await run(suppressions.bulk_remove(body, subaccount_id=DEFAULT_SUBACCOUNT_ID))
    assert (result.removed, result.not_found) == (2, ["c@example.com"])
    rows = await rows_of(suppressions.download(subaccount_id=DEFAULT_SUBACCOUNT_ID))
    assert "a@example.com" not in {row["emailAddress"] for row in rows}
    with pytest.raises(BadRequestError):  # more than 1,000 addresses
        too_many = SuppressionBulkRemove(email_addresses=[f"x{i}@example.com" for i in range(1001)])
        await run(suppressions.bulk_remove(too_many, subaccount_id=DEFAULT_SUBACCOUNT_ID))


# --- marketing: lists, contacts, custom fields ------------------------------------------------------------


async def test_lists_contacts_and_custom_fields(client: Client) -> None:
    news = await run(client.lists.create(MarketingListInput(name="News", description="Weekly")))
    vip = await run(client.lists.create(MarketingListInput(name="VIP")))
    assert (news.name, news.description, news.contact_count) == ("News", "Weekly", 0)
    with pytest.raises(ConflictError):
        await run(client.lists.create(MarketingListInput(name="news")))

    plan = await run(
        client.custom_fields.create(CustomFieldInput(name="plan", data_type=CustomFieldDataType.TEXT))
    )
    assert (await run(client.custom_fields.get(custom_field_id=plan.id))).name == "plan"

    fields = ContactInputCustomFields.from_dict({"plan": "gold"})
    ann = await run(
        client.contacts.create(
            ContactInput(
                email_address="ann@example.com",
                first_name="Ann",
                list_ids=[news.id, vip.id],
                custom_fields=fields,
            )
        )
    )
    await run(client.contacts.create(ContactInput(email_address="bob@example.org", list_ids=[news.id])))
    assert ann.list_ids == sorted([news.id, vip.id])
    assert ann.custom_fields.additional_properties == {"plan": "gold"}
    with pytest.raises(ConflictError):
        await run(client.contacts.create(ContactInput(email_address="ANN@example.com")))
    with pytest.raises(ConflictError, match="list 999999 does not exist"):
        await run(client.contacts.create(ContactInput(email_address="cy@example.com", list_ids=[999_999])))

    assert (await run(client.lists.get(list_id=news.id))).contact_count == 2
    in_vip = await run(client.contacts.list(filters=f"listId=eq:{vip.id}"))
    assert [c.email_address for c in in_vip.data] == ["ann@example.com"]
    by_domain = await run(client.contacts.list(filters="emailAddress=end:example.org"))
    assert [c.email_address for c in by_domain.data] == ["bob@example.org"]
    big = await run(client.lists.list(filters="contactCount=gte:2"))
    assert [lst.name for lst in big.data] == ["News"]

    renamed = await run(
        client.custom_fields.update(
            CustomFieldInput(name="tier", data_type=CustomFieldDataType.TEXT), custom_field_id=plan.id
        )
    )
    assert renamed.name == "tier"
    assert (await run(client.contacts.get(contact_id=ann.id))).custom_fields.additional_properties == {
        "tier": "gold"
    }

    moved = await run(
        client.contacts.update(
            ContactInput(email_address="ann@example.com", last_name="Lee", list_ids=[vip.id]),
            contact_id=ann.id,
        )
    )
    assert (moved.last_name, moved.list_ids) == ("Lee", [vip.id])
    await run(client.lists.update(MarketingListInput(name="Newsletter"), list_id=news.id))
    assert (await run(client.lists.get(list_id=news.id))).name == "Newsletter"

    await run(client.lists.delete(list_id=vip.id))
    assert (await run(client.contacts.get(contact_id=ann.id))).list_ids == [], "deleting a list empties it"
    await run(client.custom_fields.delete(custom_field_id=plan.id))
    assert (await run(client.contacts.get(contact_id=ann.id))).custom_fields.additional_properties == {}
    await run(client.contacts.delete(contact_id=ann.id))
    for call in (
        lambda: client.contacts.get(contact_id=ann.id),
        lambda: client.lists.get(list_id=vip.id),
        lambda: client.custom_fields.get(custom_field_id=plan.id),
    ):
        with pytest.raises(NotFoundError):
            await run(call())
    remaining = await run(client.contacts.list())
    assert (remaining.total, [c.email_address for c in remaining.data]) == (1, ["bob@example.org"])
    assert (await run(client.lists.list(page_size=1))).total == 1
    assert (await run(client.custom_fields.list())).total == 0


async def test_marketing_state_is_per_server(client: Client, socketlabs_sandbox: Sandbox) -> None:
    await run(client.lists.create(MarketingListInput(name="Mine")))
    other = await run(client.lists.list(server_id=socketlabs_sandbox.server_id + 1))
    assert other.total == 0
    await run(
        client.lists.create(MarketingListInput(name="Mine"), server_id=socketlabs_sandbox.server_id + 1)
    )


# --- API keys, sending domains, tracking domains --------------------------------------------------------


async def test_a_created_api_key_works_until_revoked(client: Client, socketlabs_sandbox: Sandbox) -> None:
    created = await run(client.api_keys.create(ApiKeyInput(name="ci", access=ApiKeyAccess.SOCKETLABSAPI)))
    assert is_new_format_key(created.api_key)
    assert created.key_prefix == created.api_key.split(".")[0]
    listed = await run(client.api_keys.list())
    assert [(k.id, k.name) for k in listed.data] == [(created.id, "ci")]
    assert "apiKey" not in listed.data[0].to_dict(), "the secret is shown once"

    with_new_key = client.with_options(api_key=created.api_key)
    try:
        assert (await run(with_new_key.api_keys.list())).total == 1
        revoked = await run(client.api_keys.revoke(api_key_id=created.id))
        assert revoked.id == created.id
        with pytest.raises(AuthenticationError):
            await run(with_new_key.api_keys.list())
    finally:
        await _close(with_new_key)
    with pytest.raises(NotFoundError):
        await run(client.api_keys.revoke(api_key_id=created.id))


async def test_sending_domains_are_verified(client: Client) -> None:
    domains = client.domains
    added = await run(domains.create(SendingDomainInput(domain="Mail.Example.com")))
    assert (added.domain, added.status, added.spf_valid) == (
        "mail.example.com",
        SendingDomainStatus.PENDING,
        False,
    )
    await run(domains.create(SendingDomainInput(domain="failing.example.com")))
    with pytest.raises(ConflictError):
        await run(domains.create(SendingDomainInput(domain="mail.example.com")))

    verified = await run(domains.verify(domain="mail.example.com"))
    assert (verified.status, verified.dkim_valid) == (SendingDomainStatus.VERIFIED, True)
    assert isinstance(verified.verified_date, dt.datetime)
    assert (await run(domains.verify(domain="failing.example.com"))).status == SendingDomainStatus.FAILED
    only_verified = await run(domains.list(filters="status=eq:Verified"))
    assert [d.domain for d in only_verified.data] == ["mail.example.com"]

    assert (await run(domains.get(domain="mail.example.com"))).status == SendingDomainStatus.VERIFIED
    await run(domains.delete(domain="mail.example.com"))
    with pytest.raises(NotFoundError):
        await run(domains.get(domain="mail.example.com"))
    assert (await run(domains.list())).total == 1


async def test_tracking_domains_of_servers_and_subaccounts(
    client: Client, socketlabs_sandbox: Sandbox
) -> None:
    servers = client.tracking_domains
    first = await run(servers.create(ManagementTrackingDomainInput(domain="Links.Example.com")))
    assert (first.domain, first.is_default, first.opens_enabled, first.https_enabled) == (
        "links.example.com",
        True,
        True,
        True,
    )
    second = await run(
        servers.create(ManagementTrackingDomainInput(domain="t2.example.com", is_default=True))
    )
    assert second.is_default
    changed = await run(
        servers.update(ManagementTrackingDomainUpdate(clicks_enabled=False), domain="t2.example.com")
    )
    assert (changed.clicks_enabled, changed.opens_enabled) == (False, True)
    listed = await run(servers.list())
    assert [(d.domain, d.is_default) for d in listed] == [
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
    updated = await run(
        subaccounts.update(
            TrackingDomainUpdate(google_analytics_enabled=True), subaccount_id=sub, domain="t.example.com"
        )
    )
    assert updated.google_analytics_enabled and not updated.https_enabled
    assert [d.domain for d in await run(subaccounts.list(subaccount_id=sub))] == ["t.example.com"]
    with pytest.raises(BadRequestError):
        await run(subaccounts.create(TrackingDomainInput(domain="bad domain"), subaccount_id=sub))


async def test_unknown_ids_and_bad_path_values_are_typed_errors(client: Client) -> None:
    with pytest.raises(NotFoundError):
        await run(client.lists.get(list_id=424242))
    with pytest.raises(BadRequestError):
        await run(client.domains.get(domain="not_a_domain"))
    with pytest.raises(NotFoundError):
        await run(client.api_keys.revoke(api_key_id=1))
