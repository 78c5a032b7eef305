"""The modeled report families and StreamScore over the seeded + injected log, over raw HTTP."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from socketlabs_sandbox import Sandbox
from socketlabs_sandbox._dates import ANCHOR, DAY, format_instant
from socketlabs_sandbox._reports_modeled import stream_score

Conforms = Callable[[object, str], None]


def _send_delivered(sb: Sandbox, inject: httpx.Client, *recipients: str) -> None:
    body = {
        "ServerId": sb.server_id,
        "Messages": [
            {
                "To": [{"EmailAddress": r} for r in recipients],
                "From": {"EmailAddress": "me@example.com"},
                "Subject": "Hi",
                "TextBody": "x",
            }
        ],
    }
    response = inject.post("/email", json=body, headers={"Authorization": f"Bearer {sb.api_key}"})
    assert response.json()["ErrorCode"] == "Success", response.text


@pytest.mark.parametrize(
    ("processed", "delivered", "complaints", "expected"),
    [
        (0, 0, 0, (100, "Excellent")),
        (100, 95, 0, (95, "Excellent")),
        (100, 90, 1, (85, "Good")),
        (100, 70, 2, (60, "Fair")),
        (100, 50, 10, (0, "Poor")),
    ],
)
def test_stream_score_formula(
    processed: int, delivered: int, complaints: int, expected: tuple[int, str]
) -> None:
    assert stream_score(processed, delivered, complaints) == expected


def test_injected_mail_counts_in_todays_bucket_and_overview(
    sb: Sandbox, api: httpx.Client, inject: httpx.Client, conforms: Conforms
) -> None:
    now = ANCHOR + 40 * DAY + 3600  # a day after the seeded log, on a fake clock
    sb.state.clock = lambda: float(now)
    before = api.get("/reports/delivered/overview").json()["data"]
    _send_delivered(sb, inject, "a@example.com", "b@example.com")
    after = api.get("/reports/delivered/overview").json()["data"]
    assert (after["count"] - before["count"], after["processed"] - before["processed"]) == (2, 2)

    day = format_instant(now)[:10]
    aggregate = api.get("/reports/delivered/aggregate", params={"startDate": day, "endDate": day}).json()
    conforms(aggregate, "ReportAggregateEnvelope")
    assert aggregate["data"]["buckets"] == [{"date": day, "count": 2}]

    tracked = api.get("/reports/tracking", params={"startDate": day, "sortField": "to"}).json()
    conforms(tracked, "TrackingEventPage")
    assert [e["to"] for e in tracked["data"]] == ["a@example.com", "b@example.com"]
    assert {e["eventType"] for e in tracked["data"]} <= {"Open", "Click"}
    assert all(e["eventTime"] == format_instant(now + 3600) for e in tracked["data"])


def test_a_range_without_mail_has_no_buckets_and_zero_counts(api: httpx.Client) -> None:
    params = {"startDate": "2001-01-01", "endDate": "2001-12-31"}
    assert api.get("/reports/failed/aggregate", params=params).json()["data"] == {
        "interval": "day",
        "buckets": [],
    }
    assert api.get("/reports/failed/overview", params=params).json()["data"] == {
        "count": 0,
        "processed": 0,
        "rate": 0.0,
    }


def test_family_lists_conform_and_reject_misfit_filters(api: httpx.Client, conforms: Conforms) -> None:
    for family in ("delivered", "failed", "complaint"):
        page = api.get(f"/reports/{family}", params={"pageSize": 5}).json()
        conforms(page, "MessageDetailPage")
        assert {row["status"] for row in page["data"]} == {family.capitalize()}
    assert api.get("/reports/delivered", params={"filters": "queuedTime=like:2025"}).status_code == 400
    assert api.get("/reports/tracking", params={"filters": "eventType=eq:Open"}).status_code == 400
    assert api.get("/reports/delivered/download", params={"pageSize": 500_001}).status_code == 400


def test_overview_and_stream_score_conform(api: httpx.Client, conforms: Conforms) -> None:
    conforms(api.get("/reports/complaint/overview").json(), "ReportOverviewEnvelope")
    score = api.get("/stream-score").json()
    conforms(score, "StreamScoreEnvelope")
    data = score["data"]
    assert (data["score"], data["rating"]) == stream_score(
        data["processed"], data["delivered"], data["complaints"]
    )
