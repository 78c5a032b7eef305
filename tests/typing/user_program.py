"""A user's program, type-checked against the installed wheel (see test_installed_types.py).

Every ``reveal_type`` line ends with an "expect" comment: the type both mypy and
pyright must reveal there, spelled without module paths. Not imported by the tests.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import reveal_type

from socketlabs_client import APIStatusError, AsyncSocketLabs, BasicMessage, SocketLabs, parse_event
from socketlabs_client.models import MessageDetail, WebhookEventTracking

client = SocketLabs(api_key="key", server_id=12345)
reveal_type(client)  # expect: SocketLabs
reveal_type(SocketLabs.reports)  # expect: type[Reports]

status = client.suppressions.check(email_address="someone@example.com")
reveal_type(status)  # expect: SuppressionStatus
reveal_type(status.is_suppressed)  # expect: bool

for message in client.reports.messages_detail(sort_direction="asc", page_size=50):
    reveal_type(message)  # expect: MessageDetail
    assert isinstance(message, MessageDetail)

# Optional members read as `T | None` (absent or null): one `is not None` check narrows them.
reveal_type(status.suppression_last_update)  # expect: datetime | None
if status.suppression_last_update is not None:
    reveal_type(status.suppression_last_update)  # expect: datetime
    print(status.suppression_last_update.isoformat())
detail = client.reports.messages_detail(page_size=1).first_page().data[0]
reveal_type(detail.mailing_id)  # expect: str | None
if detail.mailing_id is not None:
    reveal_type(detail.mailing_id.upper())  # expect: str
if detail.processed_time is not None:
    reveal_type(detail.processed_time)  # expect: datetime
tracked = parse_event(b"{}")
if isinstance(tracked, WebhookEventTracking) and tracked.url is not None and tracked.data is not None:
    reveal_type(tracked.url)  # expect: str
    reveal_type(tracked.data)  # expect: WebhookEventData
    reveal_type(tracked.data.meta)  # expect: list[WebhookEventMetaItem] | None

# An unverified operation (its path is this client's model) answers plain JSON.
overview = client.unverified.reports.delivered_overview(
    start_date=date(2025, 1, 1), end_date=datetime(2025, 1, 31)
)
reveal_type(overview)  # expect: Any

raw = client.with_raw_response.suppressions.check(email_address="someone@example.com")
reveal_type(raw.status_code)  # expect: HTTPStatus
reveal_type(raw.parsed)  # expect: SuppressionStatusEnvelope | None

welcome = BasicMessage(subject="Hi", from_="noreply@example.com", text="Hello", to=["ann@example.com"])
report = client.send(welcome, dry_run=True, concurrency=2)
reveal_type(report)  # expect: SendReport
reveal_type(report.recipients)  # expect: tuple[RecipientResult, ...]

try:
    client.suppressions.remove(email_address="someone@example.com")
except APIStatusError as error:
    reveal_type(error.status_code)  # expect: int
    reveal_type(error.errors)  # expect: tuple[ErrorDetail, ...]

quick = client.with_options(timeout=5, max_retries=0)
reveal_type(quick)  # expect: SocketLabs


async def main() -> None:
    async with AsyncSocketLabs(api_key="key", server_id=12345) as aclient:
        checked = await aclient.suppressions.check(email_address="someone@example.com")
        reveal_type(checked)  # expect: SuppressionStatus
        async for row in aclient.reports.messages_detail():
            reveal_type(row)  # expect: MessageDetail
        raw_async = await aclient.with_raw_response.suppressions.check(email_address="a@example.com")
        reveal_type(raw_async.parsed)  # expect: SuppressionStatusEnvelope | None


asyncio.run(main())
