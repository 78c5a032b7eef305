"""Quickstart: what a SocketLabs user does, against the local sandbox.

No account and no network: the sandbox is a local emulator of the API on
127.0.0.1. Against the real API, drop the Sandbox and construct
``SocketLabs()`` with SOCKETLABS_API_KEY and SOCKETLABS_SERVER_ID set.

Run: python examples/quickstart.py
"""

from __future__ import annotations

import sys

from socketlabs_client import BasicMessage, BulkMessage, NotFoundError, SocketLabs
from socketlabs_client.models import SortDirection
from socketlabs_client.sandbox import Sandbox


def send_mail(client: SocketLabs) -> None:
    welcome = BasicMessage(
        subject="Welcome aboard",
        from_=("noreply@example.com", "Example"),
        text="Hello, and welcome.",
        html="<p>Hello, and welcome.</p>",
        mailing_id="welcome",
        to=[("ann@example.com", "Ann"), "bob@example.com"],
    )
    report = client.send(welcome)  # checked before sending: a bad message raises MessageValidationError
    print(f"1. sent a message to {len(report.recipients)} recipients: accepted={len(report.accepted)}")
    codes = BulkMessage(
        subject="Your code, %%RecipientName%%",
        from_="noreply@example.com",
        text="Your code is %%Code%%.",
        mailing_id="codes",
    )
    for code, (address, name) in enumerate([("cat@example.com", "Cat"), ("eve@unknown.invalid", "Eve")]):
        codes.add_recipient(address, name, {"Code": str(1000 + code)})
    report = client.send(codes)
    refused = [(r.address, str(r.code)) for r in report.rejected]
    print(f"   a merge to 2: accepted={len(report.accepted)}, rejected={refused}")


def manage_suppressions(client: SocketLabs) -> None:
    address = "bounced@example.com"
    client.suppressions.add(email_address=address)
    status = client.suppressions.check(email_address=address)
    print(f"2. suppressed {status.email_address}: is_suppressed={status.is_suppressed}")
    removed = client.suppressions.remove(email_address=address)
    now = client.suppressions.check(email_address=address).is_suppressed
    print(f"   removed {removed.email_address}; suppressed now: {now}")
    try:
        client.suppressions.remove(email_address=address)
    except NotFoundError as err:
        print(f"   removing it again is a typed error: {type(err).__name__} ({err.status_code})")


def page_a_report(client: SocketLabs) -> None:
    pages = rows = 0
    page_number, total = 0, None
    while total is None or page_number * 50 < total:
        page = client.reports.messages_detail(
            start_date="2025-01-01",
            filters="status=eq:Delivered",
            sort_field="queuedTime",
            sort_direction=SortDirection.DSC,
            page_size=50,
            page_number=page_number,
        )
        total = page.total
        pages, rows, page_number = pages + 1, rows + len(page.data), page_number + 1
        if not page.data:
            break
    print(f"3. paged the delivered-messages report: {rows} of {total} rows in {pages} pages")
    ours = client.reports.messages_detail(filters="mailingId=eq:welcome", page_size=10)
    print(f"   our welcome mail in the report: {sorted(m.to for m in ours.data)}")


def main() -> int:
    with Sandbox() as sandbox:
        print(f"sandbox running at {sandbox.url}")
        with SocketLabs(
            api_key=sandbox.api_key,
            server_id=sandbox.server_id,
            base_url=sandbox.api_url,
            inject_url=sandbox.inject_url,
        ) as client:
            send_mail(client)
            manage_suppressions(client)
            page_a_report(client)
    print("quickstart finished")
    return 0


if __name__ == "__main__":
    sys.exit(main())
