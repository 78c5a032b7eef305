"""``EMAIL_BACKEND = "socketlabs_client.django.EmailBackend"`` with real Django, against the sandbox.

Every test reads back what the sandbox received (``sandbox.state.requests``:
the injection bodies as read, member names folded to lower case) and checks
it member by member.
"""

from __future__ import annotations

import base64
import logging
import subprocess
import sys
from email.mime.image import MIMEImage
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.mail import (
    EmailMessage,
    EmailMultiAlternatives,
    get_connection,
    mail_admins,
    send_mail,
    send_mass_mail,
)
from django.test.utils import override_settings
from django.utils.log import AdminEmailHandler
from socketlabs_client import MessageValidationError
from socketlabs_client.django import (
    EmailBackend,
    RecipientsRefusedError,
    SocketLabsStatus,
    UnsupportedFeatureError,
)
from socketlabs_sandbox import Sandbox

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def _messages(sandbox: Sandbox) -> list[dict[str, Any]]:
    """Every message of every injection request the sandbox took, in order."""
    return [m for request in sandbox.state.requests for m in request["messages"]]  # type: ignore[attr-defined]


def _address(email: str, name: str | None = None) -> dict[str, Any]:
    return {"emailaddress": email, "friendlyname": name} if name else {"emailaddress": email}


def test_send_mail(sandbox: Sandbox) -> None:
    assert send_mail("Welcome", "Hello Ann", None, ["Ann Example <ann@example.com>"]) == 1
    (message,) = _messages(sandbox)
    assert message == {
        "from": _address("app@example.com", "Example App"),  # DEFAULT_FROM_EMAIL, display name kept
        "to": [_address("ann@example.com", "Ann Example")],
        "subject": "Welcome",
        "textbody": "Hello Ann",
        "charset": "utf-8",
    }
    assert [(s.address, s.friendly_name, s.subject) for s in sandbox.state.sent] == [
        ("ann@example.com", "Ann Example", "Welcome")
    ]
    assert sandbox.state.requests[0]["serverid"] == sandbox.server_id
    assert "apikey" not in sandbox.state.requests[0]


def test_multi_alternatives_with_attachments_and_an_inline_image(sandbox: Sandbox, tmp_path: Path) -> None:
    report = tmp_path / "report.csv"
    report.write_bytes(b"id,total\n1,42\n")
    message = EmailMultiAlternatives(
        subject="Your order ✓",
        body="Plain text",
        from_email="Shop <shop@example.com>",
        to=["ann@example.com", "Bob <bob@example.com>"],
        cc=["cc@example.com"],
        bcc=["audit@example.com"],
        reply_to=["Help Desk <help@example.com>"],
        headers={"X-Order": "A-17", "List-Unsubscribe": "<mailto:unsub@example.com>"},
    )
    message.attach_alternative('<p>HTML <img src="cid:logo@shop"></p>', "text/html")
    message.attach_alternative("<!doctype html><html amp4email><body>AMP</body></html>", "text/x-amp-html")
    message.attach("notes.txt", "ünïcode notes", "text/plain")
    message.attach("blob.bin", b"\x00\x01\x02")
    message.attach_file(str(report))
    image = MIMEImage(PNG, "png")
    image.add_header("Content-ID", "<logo@shop>")
    image.add_header("Content-Disposition", "inline", filename="logo.png")
    message.attach(image)
    message.tags = ["orders", "receipts"]  # type: ignore[attr-defined]
    message.metadata = {"order": "A-17", "customer": 42}  # type: ignore[attr-defined]
    message.message_id = "order-A-17"  # type: ignore[attr-defined]
    message.mailing_id = "receipts-2026"  # type: ignore[attr-defined]

    assert message.send() == 1

    (sent,) = _messages(sandbox)
    assert sent["from"] == _address("shop@example.com", "Shop")
    assert sent["to"] == [_address("ann@example.com"), _address("bob@example.com", "Bob")]
    assert sent["cc"] == [_address("cc@example.com")]
    assert sent["bcc"] == [_address("audit@example.com")]
    assert sent["replyto"] == _address("help@example.com", "Help Desk")
    assert sent["subject"] == "Your order ✓"
    assert sent["textbody"] == "Plain text"
    assert sent["htmlbody"] == '<p>HTML <img src="cid:logo@shop"></p>'
    assert sent["ampbody"] == "<!doctype html><html amp4email><body>AMP</body></html>"
    assert sent["customheaders"] == [
        {"name": "X-Order", "value": "A-17"},
        {"name": "List-Unsubscribe", "value": "<mailto:unsub@example.com>"},
    ]
    assert sent["tags"] == ["orders", "receipts"]
    assert sent["metadata"] == [{"key": "order", "value": "A-17"}, {"key": "customer", "value": "42"}]
    assert (sent["messageid"], sent["mailingid"], sent["charset"]) == ("order-A-17", "receipts-2026", "utf-8")
    files = {a["name"]: a for a in sent["attachments"]}
    assert list(files) == ["notes.txt", "blob.bin", "report.csv", "logo.png"]
    assert base64.b64decode(files["notes.txt"]["content"]) == "ünïcode notes".encode()
    assert files["notes.txt"]["contenttype"] == "text/plain"
    assert base64.b64decode(files["blob.bin"]["content"]) == b"\x00\x01\x02"
    assert files["blob.bin"]["contenttype"] == "application/octet-stream"
    assert base64.b64decode(files["report.csv"]["content"]) == b"id,total\n1,42\n"
    assert files["report.csv"]["contenttype"] == "text/csv"
    assert base64.b64decode(files["logo.png"]["content"]) == PNG
    assert (files["logo.png"]["contenttype"], files["logo.png"]["contentid"]) == ("image/png", "logo@shop")
    assert all("contentid" not in files[n] for n in ("notes.txt", "blob.bin", "report.csv"))

    status = message.anymail_status  # type: ignore[attr-defined]
    assert status is message.socketlabs_status  # type: ignore[attr-defined]
    assert isinstance(status, SocketLabsStatus)
    assert status.status == {"queued"}
    assert status.message_id == "order-A-17"
    assert {a: r.status for a, r in status.recipients.items()} == {
        "ann@example.com": "queued",
        "bob@example.com": "queued",
        "cc@example.com": "queued",
        "audit@example.com": "queued",
    }
    assert len(status.esp_response) == 1
    assert status.esp_response[0].error_code == "Success"
    assert status.esp_response[0].wire["Messages"][0]["Subject"] == "Your order ✓"
    assert status.transaction_receipts == []  # the sandbox, like the API on success, sends a null receipt


def test_a_merge_with_merge_data(sandbox: Sandbox) -> None:
    message = EmailMessage(
        subject="Hi %%name%%, your code is %%code%%",
        body="%%greeting%% %%name%%: %%code%%",
        from_email="app@example.com",
        to=["Ann <ann@example.com>", "bob@example.com"],
    )
    message.merge_data = {  # type: ignore[attr-defined]
        "ann@example.com": {"name": "Ann", "code": "A1"},
        "bob@example.com": {"name": "Bob", "code": 2},
    }
    message.merge_global_data = {"greeting": "Hello"}  # type: ignore[attr-defined]

    assert message.send() == 1

    (sent,) = _messages(sandbox)
    assert sent["to"] == [_address("%%DeliveryAddress%%", "%%RecipientName%%")]
    assert sent["mergedata"] == {
        "permessage": [
            [
                {"Field": "DeliveryAddress", "Value": "ann@example.com"},
                {"Field": "RecipientName", "Value": "Ann"},
                {"Field": "name", "Value": "Ann"},
                {"Field": "code", "Value": "A1"},
            ],
            [
                {"Field": "DeliveryAddress", "Value": "bob@example.com"},
                {"Field": "RecipientName", "Value": ""},
                {"Field": "name", "Value": "Bob"},
                {"Field": "code", "Value": "2"},
            ],
        ],
        "global": [{"Field": "greeting", "Value": "Hello"}],
    }
    # the sandbox rendered one message per recipient
    assert [(s.address, s.subject) for s in sandbox.state.sent] == [
        ("ann@example.com", "Hi Ann, your code is A1"),
        ("bob@example.com", "Hi Bob, your code is 2"),
    ]
    status = message.anymail_status  # type: ignore[attr-defined]
    assert {a: r.status for a, r in status.recipients.items()} == {
        "ann@example.com": "queued",
        "bob@example.com": "queued",
    }


def test_a_template_send(sandbox: Sandbox) -> None:
    message = EmailMessage(from_email="app@example.com", to=["ann@example.com"], subject="From a template")
    message.template_id = 42  # type: ignore[attr-defined]
    assert message.send() == 1
    (sent,) = _messages(sandbox)
    assert sent["apitemplate"] == "42"
    assert "textbody" not in sent


def test_send_mass_mail_uses_one_connection_and_counts_accepted_messages(sandbox: Sandbox) -> None:
    datatuples = [
        (f"Subject {i}", f"Body {i}", "app@example.com", [f"user{i}@example.com"]) for i in range(12)
    ]
    assert send_mass_mail(datatuples) == 12
    messages = _messages(sandbox)
    assert [(m["subject"], m["textbody"], m["to"]) for m in messages] == [
        (f"Subject {i}", f"Body {i}", [_address(f"user{i}@example.com")]) for i in range(12)
    ]
    assert [len(r["messages"]) for r in sandbox.state.requests] == [10, 2]  # ten messages a request


def test_admin_error_mail(sandbox: Sandbox) -> None:
    mail_admins("Disk almost full", "95% used on /var")
    logger = logging.getLogger("tests.django.admin")
    handler = AdminEmailHandler()
    logger.addHandler(handler)
    try:
        try:
            raise ZeroDivisionError("division by zero in checkout")
        except ZeroDivisionError:
            logger.error("Internal Server Error: /checkout", exc_info=True)
    finally:
        logger.removeHandler(handler)
    direct, logged = _messages(sandbox)
    admins = [_address("ops@example.com"), _address("dev@example.com")]
    assert direct["from"] == logged["from"] == _address("errors@example.com")
    assert direct["to"] == logged["to"] == admins
    assert (direct["subject"], direct["textbody"]) == ("[Django] Disk almost full", "95% used on /var")
    assert logged["subject"] == "[Django] ERROR: Internal Server Error: /checkout"
    assert "ZeroDivisionError\ndivision by zero in checkout" in logged["textbody"]  # Django's report
    assert 'raise ZeroDivisionError("division by zero in checkout")' in logged["textbody"]  # the traceback


def test_a_connection_is_one_pooled_client_reused_for_every_message(sandbox: Sandbox) -> None:
    with get_connection() as connection:
        assert isinstance(connection, EmailBackend)
        client = connection.client
        assert client is not None
        EmailMessage("one", "1", "app@example.com", ["a@example.com"], connection=connection).send()
        EmailMessage("two", "2", "app@example.com", ["b@example.com"], connection=connection).send()
        assert connection.client is client
    assert connection.client is None
    assert [m["subject"] for m in _messages(sandbox)] == ["one", "two"]


def test_settings_fall_back_to_the_environment(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCKETLABS_API_KEY", sandbox.api_key)
    monkeypatch.setenv("SOCKETLABS_SERVER_ID", str(sandbox.server_id))
    monkeypatch.setenv("SOCKETLABS_INJECT_URL", sandbox.inject_url)
    with override_settings(SOCKETLABS={}):
        assert send_mail("From the env", "x", "app@example.com", ["env@example.com"]) == 1
    assert _messages(sandbox)[0]["subject"] == "From the env"


def test_unknown_settings_keys_are_an_error(sandbox: Sandbox) -> None:
    from django.core.exceptions import ImproperlyConfigured

    with (
        override_settings(SOCKETLABS={"APIKEY": "typo"}),
        pytest.raises(ImproperlyConfigured, match="APIKEY"),
    ):
        send_mail("x", "x", "app@example.com", ["a@example.com"])


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda m: m.attach_alternative("BEGIN:VCALENDAR", "text/calendar"), "text/calendar"),
        (lambda m: setattr(m, "reply_to", ["a@example.com", "b@example.com"]), "one Reply-To"),
        (lambda m: setattr(m, "send_at", 1_700_000_000), "send_at"),
        (lambda m: setattr(m, "track_clicks", True), "track_clicks"),
        (lambda m: m.extra_headers.update({"To": "x@example.com"}), "To header"),
        (lambda m: setattr(m, "merge_data", {}) or setattr(m, "cc", ["c@example.com"]), "cc/bcc"),
        (lambda m: setattr(m, "content_subtype", "calendar"), "text/calendar"),
    ],
)
def test_what_socketlabs_cannot_carry_raises_before_sending(sandbox: Sandbox, change: Any, says: str) -> None:
    message = EmailMultiAlternatives("Subject", "Body", "app@example.com", ["ann@example.com"])
    change(message)
    with pytest.raises(UnsupportedFeatureError, match=says):
        message.send()
    assert list(sandbox.state.requests) == []
    assert get_connection(fail_silently=True).send_messages([message]) == 0
    assert list(sandbox.state.requests) == []


def test_header_injection_is_refused_by_the_client_checks(sandbox: Sandbox) -> None:
    message = EmailMessage(
        "Hi", "Body", "app@example.com", ["ann@example.com"], headers={"X-A": "1\r\nBcc: x"}
    )
    with pytest.raises(MessageValidationError) as caught:
        message.send()
    assert caught.value.field == "CustomHeaders[0].Value"
    assert list(sandbox.state.requests) == []


def test_fail_silently_sends_the_rest_and_counts_what_was_accepted(sandbox: Sandbox) -> None:
    good = EmailMessage("good", "x", "app@example.com", ["ann@example.com"])
    bad = EmailMessage("bad", "x", "not-an-address", ["bob@example.com"])
    refused = EmailMessage("refused", "x", "app@example.com", ["nobody@example.invalid"])
    with get_connection(fail_silently=True) as connection:
        assert connection.send_messages([good, bad, refused]) == 1
    assert [m["subject"] for m in _messages(sandbox)] == ["good", "refused"]
    assert good.anymail_status.status == {"queued"}  # type: ignore[attr-defined]
    status = refused.anymail_status  # type: ignore[attr-defined]
    assert status.status == {"invalid"}
    assert status.recipients["nobody@example.invalid"].code == "InvalidAddress"
    assert not hasattr(bad, "anymail_status")
    with pytest.raises(RecipientsRefusedError) as caught:
        refused.send()
    assert caught.value.status.recipients["nobody@example.invalid"].status == "invalid"


def test_locmem_backend_still_fills_the_outbox() -> None:
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        send_mail("Test run", "no network", "app@example.com", ["ann@example.com"])
        assert [m.subject for m in mail.outbox] == ["Test run"]


def test_importing_the_client_does_not_import_django() -> None:
    code = "import socketlabs_client, sys; assert 'django' not in sys.modules, 'django imported'"
    subprocess.run([sys.executable, "-c", code], check=True, env=_child_env())


def _child_env() -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


async def test_an_async_view_sends_through_djangos_sync_to_async(sandbox: Sandbox) -> None:
    from asgiref.sync import sync_to_async

    assert await sync_to_async(send_mail)("From async", "x", "app@example.com", ["ann@example.com"]) == 1
    assert _messages(sandbox)[0]["subject"] == "From async"


def test_an_email_message_part_with_a_content_id_is_inline(sandbox: Sandbox) -> None:
    from email.message import MIMEPart

    part = MIMEPart()
    part.set_content(
        PNG, maintype="image", subtype="png", disposition="inline", filename="chart.png", cid="<chart>"
    )
    message = EmailMultiAlternatives("Chart", "See the chart", "app@example.com", ["ann@example.com"])
    message.attach_alternative('<img src="cid:chart">', "text/html")
    message.attachments.append(part)
    assert message.send() == 1
    (attached,) = _messages(sandbox)[0]["attachments"]
    assert (attached["name"], attached["contenttype"], attached["contentid"]) == (
        "chart.png",
        "image/png",
        "chart",
    )
    assert base64.b64decode(attached["content"]) == PNG
