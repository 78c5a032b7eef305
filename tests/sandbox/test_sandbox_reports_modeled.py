"""Modeled report families, Inbound Parse and Marketing Mailings over the seeded + injected log, via HTTP."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from socketlabs_sandbox import Sandbox
from socketlabs_sandbox._dates import ANCHOR, DAY, format_instant

Conforms = Callable[[object, str], None]


def _send_delivered(
    sb: Sandbox, inject: httpx.Client, *recipients: str, tags: list[str] | None = None
) -> None:
    message: dict[str, object] = {
        "To": [{"EmailAddress": r} for r in recipients],
        "From": {"EmailAddress": "me@example.com"},
        "Subject": "Hi",
        "TextBody": "x",
        "MailingId": "spring",
    }
    if tags is not None:
        message["Tags"] = tags
    body = {"ServerId": sb.server_id, "Messages": [message]}
    response = inject.post("/email", json=body, headers={"Authorization": f"Bearer {sb.api_key}"})
    assert response.json()["ErrorCode"] == "Success", response.text


def test_injected_mail_counts_in_its_bucket_overview_and_tag(
    sb: Sandbox, api: httpx.Client, inject: httpx.Client, conforms: Conforms
) -> None:
    now = ANCHOR + 40 * DAY + 3600 + 120  # a day after the seeded log, on a fake clock
    sb.state.clock = lambda: float(now)
    before = api.get("/reports/delivered/overview").json()["data"]
    _send_delivered(sb, inject, "a@example.com", "b@example.com", tags=["spring-sale"])
    after = api.get("/reports/delivered/overview").json()["data"]
    assert (after["count"] - before["count"], after["processed"] - before["processed"]) == (2, 2)
    tagged = api.get("/reports/delivered/overview", params={"tag": "spring-sale"}).json()["data"]
    assert tagged == {"count": 2, "processed": 2, "rate": 1.0}

    day = format_instant(now)[:10]
    daily = api.get("/reports/delivered/aggregate", params={"startDate": day, "endDate": day}).json()
    conforms(daily, "ReportAggregateEnvelope")
    assert daily["data"] == {
        "interval": "daily",
        "aggregateTypes": [],
        "buckets": [{"start": format_instant(now - now % DAY), "count": 2}],
    }
    hourly = api.get(
        "/reports/messages/aggregate",
        params={"startDate": day, "interval": "hourly", "aggregateTypes": "domain,tag"},
    ).json()["data"]
    assert hourly["buckets"] == [
        {
            "start": format_instant(now - now % 3600),
            "count": 2,
            "groups": {"domain": "example.com", "tag": "spring-sale"},
        }
    ]

    tracked = api.get("/reports/tracking/detail", params={"startDate": day, "sortField": "to"}).json()
    conforms(tracked, "TrackingEventPage")
    assert [e["to"] for e in tracked["data"]] == ["a@example.com", "b@example.com"]
    assert {e["eventType"] for e in tracked["data"]} <= {"Open", "Click"}
    assert all(e["eventTime"] == format_instant(now + 3600) for e in tracked["data"])

    mailings = api.get("/reports/marketing/mailings", params={"filters": "mailingId=eq:spring"}).json()
    conforms(mailings, "MailingReportPage")
    assert [(m["mailingId"], m["processed"], m["delivered"]) for m in mailings["data"]] == [("spring", 2, 2)]


def test_a_range_without_mail_has_no_buckets_and_zero_counts(api: httpx.Client) -> None:
    params = {"startDate": "2001-01-01", "endDate": "2001-12-31"}
    assert api.get("/reports/failed/aggregate", params=params).json()["data"] == {
        "interval": "daily",
        "aggregateTypes": [],
        "buckets": [],
    }
    assert api.get("/reports/failed/overview", params=params).json()["data"] == {
        "count": 0,
        "processed": 0,
        "rate": 0.0,
    }


def test_aggregate_refuses_more_than_two_types(api: httpx.Client) -> None:
    bad = api.get("/reports/delivered/aggregate", params={"aggregateTypes": "tag,domain,mailingId"})
    assert bad.status_code == 400
    assert api.get("/reports/delivered/aggregate", params={"interval": "weekly"}).status_code == 400


def test_family_details_conform_and_reject_misfit_filters(api: httpx.Client, conforms: Conforms) -> None:
    for family in ("delivered", "failed", "complaint"):
        page = api.get(f"/reports/{family}/detail", params={"pageSize": 5}).json()
        conforms(page, "MessageDetailPage")
        assert {row["status"] for row in page["data"]} == {family.capitalize()}
        assert all(row["processedTime"] == row["statusDate"] for row in page["data"])
    assert api.get("/reports/delivered/detail", params={"filters": "queuedTime=like:2025"}).status_code == 400
    assert api.get("/reports/tracking/detail", params={"filters": "eventType=eq:Open"}).status_code == 400
    assert api.get("/reports/delivered/download", params={"pageSize": 500_001}).status_code == 400


def test_message_detail_filters_by_system_message_id(api: httpx.Client, conforms: Conforms) -> None:
    page = api.get("/reports/messages/detail", params={"filters": "systemMessageId=eq:SL7"}).json()
    conforms(page, "MessageDetailPage")
    assert [(row["messageId"], row["systemMessageId"]) for row in page["data"]] == [("1000000007", "SL7")]
    queued = api.get("/reports/messages/detail", params={"filters": "status=eq:Queued", "pageSize": 3}).json()
    assert queued["data"] and all(row["processedTime"] is None for row in queued["data"])


def test_inbound_reports_follow_the_posts_made(sb: Sandbox, api: httpx.Client, conforms: Conforms) -> None:
    assert api.get("/reports/inbound/overview").json()["data"] == {"count": 0, "posted": 0, "failed": 0}
    before = sb.events.inbound_url
    sb.events.inbound_url = "http://127.0.0.1:9/nowhere"  # nothing listens: the post fails
    try:
        sb.events.send_inbound(
            sb.events.inbound_payload(mail_from="x@example.net", rcpt_to="in@example.com", subject="Hello"),
            timeout=2.0,
        )
    finally:
        sb.events.inbound_url = before
    overview = api.get("/reports/inbound/overview").json()
    conforms(overview, "ReportInboundOverviewEnvelope")
    assert overview["data"] == {"count": 1, "posted": 0, "failed": 1}
    detail = api.get("/reports/inbound/detail", params={"filters": "status=eq:Failed"}).json()
    conforms(detail, "ReportInboundPage")
    assert [(row["from"], row["to"], row["subject"]) for row in detail["data"]] == [
        ("x@example.net", "in@example.com", "Hello")
    ]
