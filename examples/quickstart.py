"""Quickstart: what a SocketLabs user does, against the local sandbox.

No account and no network: the sandbox is a local emulator of the API on
127.0.0.1. Against the real API, drop the Sandbox and construct
``SocketLabs()`` with SOCKETLABS_API_KEY and SOCKETLABS_SERVER_ID set.

Run: python examples/quickstart.py
"""

from __future__ import annotations

import sys
import tempfile
import threading
from collections import Counter
from datetime import date
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

from socketlabs_client import (
    BasicMessage,
    BulkMessage,
    F,
    NotFoundError,
    SocketLabs,
    WebhookEvent,
    WebhookReceiver,
)
from socketlabs_client.models import SortDirection
from socketlabs_sandbox import Sandbox, SandboxConfig


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
    delivered = client.reports.messages_detail(
        start_date=date(2025, 1, 1),
        filters=F.status == "Delivered",
        sort_field="queuedTime",
        sort_direction=SortDirection.DSC,
    )
    rows = sum(1 for _ in delivered)  # every page, fetched as the loop goes
    print(f"3. paged the delivered-messages report: {rows} rows")
    ours = client.reports.messages_detail(filters=F.mailing_id == "welcome")
    print(f"   our welcome mail in the report: {sorted(m.to for m in ours)}")


def download_suppressions(client: SocketLabs, folder: Path) -> None:
    path = folder / "suppressions.csv"
    rows = client.suppressions.download(sort_field="emailAddress").save(path)
    print(f"4. downloaded the suppression list: {rows} rows streamed to {path.name}")


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        """No access log in the quickstart's output."""


def receive_events(sandbox: Sandbox) -> None:
    received: list[WebhookEvent] = []
    receiver = WebhookReceiver(
        received.append, secrets=sandbox.config.webhook_secret, server_ids=sandbox.server_id
    )
    server = make_server("127.0.0.1", 0, receiver.wsgi, handler_class=_Quiet)  # your endpoint, locally
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sandbox.events.webhook_url = f"http://127.0.0.1:{server.server_port}/socketlabs/events"
    deliveries = sandbox.events.deliver()  # the sandbox posts the events of the mail sent above
    server.shutdown()
    counts = Counter(type(event).__name__ for event in received)
    print(f"5. received {len(received)} of {len(deliveries)} webhook events: {sorted(counts.items())}")


def main() -> int:
    with Sandbox(SandboxConfig(suppressions=25)) as sandbox, tempfile.TemporaryDirectory() as folder:
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
            download_suppressions(client, Path(folder))
        receive_events(sandbox)
    print("quickstart finished")
    return 0


if __name__ == "__main__":
    sys.exit(main())
