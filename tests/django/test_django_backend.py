"""``socketlabs_client.django.EmailBackend``, an anymail ESP, with real Django against the sandbox.

Every test reads back what the sandbox received (``sandbox.state.requests``:
the injection bodies as read, member names folded to lower case) and checks
it member by member, then the ``anymail_status`` the message was given.
"""

from __future__ import annotations

import base64
import logging
import re
import subprocess
import sys
import warnings
from email.mime.image import MIMEImage
from pathlib import Path
from typing import Any

import pytest
from anymail.exceptions import (
    AnymailAPIError,
    AnymailConfigurationError,
    AnymailInvalidAddress,
    AnymailRecipientsRefused,
    AnymailSerializationError,
    AnymailUnsupportedFeature,
)
from anymail.message import AnymailMessage, AnymailStatus
from anymail.signals import post_send, pre_send
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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from socketlabs_client import F, MessageValidationError, SendReport, SocketLabs
from socketlabs_client._errors import SocketLabsError
from socketlabs_client.django import EmailBackend, RecipientsRefusedError, UnsupportedFeatureError
from socketlabs_sandbox import FaultKind, Sandbox

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
HEX_ID = re.compile(r"[0-9a-f]{32}")


def _messages(sandbox: Sandbox) -> list[dict[str, Any]]:
    """Every message of every injection request the sandbox took, in order."""
    return [m for request in sandbox.state.requests for m in request["messages"]]  # type: ignore[attr-defined]


def _address(email: str, name: str | None = None) -> dict[str, Any]:
    return {"emailaddress": email, "friendlyname": name} if name else {"emailaddress": email}


def _anymail(sandbox: Sandbox, **changes: Any) -> dict[str, Any]:
    """The fixture's ``ANYMAIL`` settings with some changed."""
    from django.conf import settings

    return {**settings.ANYMAIL, **changes}


def test_send_mail(sandbox: Sandbox) -> None:
    assert send_mail("Welcome", "Hello Ann", None, ["Ann Example <ann@example.com>"]) == 1
    (message,) = _messages(sandbox)
    message_id = message.pop("messageid")
    assert HEX_ID.fullmatch(message_id)  # the backend's own MessageId: SocketLabs returns none
    assert message == {
        "from": _address("app@example.com", "Example App"),  # DEFAULT_FROM_EMAIL, display name kept
        "to": [_address("ann@example.com", "Ann Example")],
        "subject": "Welcome",
        "textbody": "Hello Ann",
        "charset": "utf-8",
    }
    assert [(s.address, s.friendly_name, s.subject, s.message_id) for s in sandbox.state.sent] == [
        ("ann@example.com", "Ann Example", "Welcome", message_id)
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
    assert sent["charset"] == "utf-8"
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
    assert isinstance(status, AnymailStatus)
    assert status.status == {"queued"}
    assert status.message_id == sent["messageid"]
    assert {a: (r.status, r.message_id) for a, r in status.recipients.items()} == {
        a: ("queued", sent["messageid"])
        for a in ("ann@example.com", "bob@example.com", "cc@example.com", "audit@example.com")
    }
    assert isinstance(status.esp_response, SendReport)
    assert status.esp_response.requests[0].error_code == "Success"
    assert status.esp_response.requests[0].wire["Messages"][0]["Subject"] == "Your order ✓"


def test_a_merge_with_merge_data_gives_each_recipient_its_own_message_id(sandbox: Sandbox) -> None:
    message = AnymailMessage(
        subject="Hi %%name%%, your code is %%code%%",
        body="%%greeting%% %%name%%: %%code%%",
        from_email="app@example.com",
        to=["Ann <ann@example.com>", "bob@example.com"],
        merge_data={
            "ann@example.com": {"name": "Ann", "code": "A1"},
            "bob@example.com": {"name": "Bob", "code": 2},
        },
        merge_global_data={"greeting": "Hello"},
    )

    assert message.send() == 1

    (sent,) = _messages(sandbox)
    status = message.anymail_status
    ann_id = status.recipients["ann@example.com"].message_id
    bob_id = status.recipients["bob@example.com"].message_id
    assert HEX_ID.fullmatch(ann_id) and HEX_ID.fullmatch(bob_id) and ann_id != bob_id
    assert status.message_id == {ann_id, bob_id}
    assert sent["to"] == [_address("%%DeliveryAddress%%", "%%RecipientName%%")]
    assert sent["messageid"] == "%%AnymailMessageId%%"
    assert sent["mergedata"] == {
        "permessage": [
            [
                {"Field": "DeliveryAddress", "Value": "ann@example.com"},
                {"Field": "RecipientName", "Value": "Ann"},
                {"Field": "name", "Value": "Ann"},
                {"Field": "code", "Value": "A1"},
                {"Field": "AnymailMessageId", "Value": ann_id},
            ],
            [
                {"Field": "DeliveryAddress", "Value": "bob@example.com"},
                {"Field": "RecipientName", "Value": ""},
                {"Field": "name", "Value": "Bob"},
                {"Field": "code", "Value": "2"},
                {"Field": "AnymailMessageId", "Value": bob_id},
            ],
        ],
        "global": [{"Field": "greeting", "Value": "Hello"}],
    }
    # the sandbox merged one message per recipient, each with its own MessageId
    assert [(s.address, s.subject, s.message_id) for s in sandbox.state.sent] == [
        ("ann@example.com", "Hi Ann, your code is A1", ann_id),
        ("bob@example.com", "Hi Bob, your code is 2", bob_id),
    ]
    assert {a: r.status for a, r in status.recipients.items()} == {
        "ann@example.com": "queued",
        "bob@example.com": "queued",
    }


def test_merge_metadata_and_merge_headers_give_each_recipient_a_message(sandbox: Sandbox) -> None:
    message = AnymailMessage(
        subject="Hi %%name%%",
        body="Hello %%name%%",
        from_email="app@example.com",
        to=["ann@example.com", "bob@example.com"],
        metadata={"campaign": "spring"},
        merge_data={"ann@example.com": {"name": "Ann"}, "bob@example.com": {"name": "Bob"}},
        merge_metadata={"ann@example.com": {"user": 1}, "bob@example.com": {"user": 2}},
        merge_headers={"ann@example.com": {"List-Unsubscribe": "<https://example.com/u/1>"}},
    )
    assert message.send() == 1
    ann, bob = _messages(sandbox)
    assert len(sandbox.state.requests) == 1  # two messages, one request
    status = message.anymail_status
    for sent, address, name, user in (
        (ann, "ann@example.com", "Ann", "1"),
        (bob, "bob@example.com", "Bob", "2"),
    ):
        assert sent["to"] == [_address("%%DeliveryAddress%%")]
        assert sent["mergedata"] == {
            "permessage": [[{"Field": "DeliveryAddress", "Value": address}, {"Field": "name", "Value": name}]]
        }
        assert sent["metadata"] == [{"key": "campaign", "value": "spring"}, {"key": "user", "value": user}]
        assert sent["messageid"] == status.recipients[address].message_id
    assert ann["customheaders"] == [{"name": "List-Unsubscribe", "value": "<https://example.com/u/1>"}]
    assert "customheaders" not in bob
    assert [(s.address, s.subject) for s in sandbox.state.sent] == [
        ("ann@example.com", "Hi Ann"),
        ("bob@example.com", "Hi Bob"),
    ]


def test_a_template_send(sandbox: Sandbox) -> None:
    message = AnymailMessage(
        subject="From a template",
        from_email="app@example.com",
        to=["ann@example.com"],
        template_id=42,
        merge_global_data={"plan": "Pro"},
    )
    assert message.send() == 1
    (sent,) = _messages(sandbox)
    assert (sent["apitemplate"], sent["subject"]) == ("42", "From a template")
    assert sent["mergedata"] == {"global": [{"Field": "plan", "Value": "Pro"}]}
    assert "textbody" not in sent and "htmlbody" not in sent
    assert message.anymail_status.status == {"queued"}


def test_a_template_without_a_subject_is_refused_before_sending(sandbox: Sandbox) -> None:
    message = AnymailMessage(from_email="app@example.com", to=["ann@example.com"], template_id=42)
    with pytest.raises(AnymailUnsupportedFeature, match="template_id without a subject"):
        message.send()
    message.connection = None  # EmailMessage.send() keeps the connection it made; take a new one
    with (
        override_settings(ANYMAIL=_anymail(sandbox, IGNORE_UNSUPPORTED_FEATURES=True)),
        pytest.raises(AnymailAPIError, match="needs a subject") as caught,
    ):
        message.send()
    assert isinstance(caught.value.__cause__, MessageValidationError)
    assert list(sandbox.state.requests) == []


def test_esp_extra_is_merged_into_the_injection_message(sandbox: Sandbox) -> None:
    message = AnymailMessage(
        subject="Hi %%name%%",
        body="%%brand%% for %%name%%",
        from_email="app@example.com",
        to=["ann@example.com"],
        merge_global_data={"name": "Ann"},
        esp_extra={
            "mailingId": "spring-2026",  # any case, as the API reads it
            "MessageId": "order-A-17",
            "MergeData": {"Global": [{"Field": "name", "Value": "Ann"}, {"Field": "brand", "Value": "Acme"}]},
            "CustomHeaders": [{"Name": "X-Extra", "Value": "1"}],
        },
    )
    assert message.send() == 1
    (sent,) = _messages(sandbox)
    assert sent["mailingid"] == "spring-2026"
    assert sent["messageid"] == "order-A-17"
    assert sent["mergedata"] == {
        "global": [{"Field": "name", "Value": "Ann"}, {"Field": "brand", "Value": "Acme"}]
    }
    assert sent["customheaders"] == [{"name": "X-Extra", "value": "1"}]
    assert sent["subject"] == "Hi %%name%%"
    assert [(s.subject, s.message_id, s.mailing_id) for s in sandbox.state.sent] == [
        ("Hi Ann", "order-A-17", "spring-2026")
    ]
    assert message.anymail_status.message_id == "order-A-17"


@pytest.mark.parametrize("extra", [{"To": "nobody"}, {"From": ["x"]}, {"Attachments": [{"Name": 1}]}])
def test_esp_extra_of_the_wrong_shape_is_refused_before_sending(
    sandbox: Sandbox, extra: dict[str, Any]
) -> None:
    message = AnymailMessage("Hi", "x", "app@example.com", ["ann@example.com"], esp_extra=extra)
    with pytest.raises(AnymailSerializationError, match="esp_extra does not fit"):
        message.send()
    assert list(sandbox.state.requests) == []


def test_send_defaults_apply_from_settings(sandbox: Sandbox) -> None:
    defaults = {"tags": ["app"], "esp_extra": {"MailingId": "defaults"}}
    with override_settings(ANYMAIL=_anymail(sandbox, SOCKETLABS_SEND_DEFAULTS=defaults)):
        message = AnymailMessage("Hi", "x", "app@example.com", ["ann@example.com"], tags=["welcome"])
        assert message.send() == 1
    (sent,) = _messages(sandbox)
    assert (sent["tags"], sent["mailingid"]) == (["app", "welcome"], "defaults")


def test_send_mass_mail_uses_one_connection(sandbox: Sandbox) -> None:
    datatuples = [
        (f"Subject {i}", f"Body {i}", "app@example.com", [f"user{i}@example.com"]) for i in range(12)
    ]
    seen: list[str] = []

    def on_post_send(sender: object, message: EmailMessage, status: AnymailStatus, **kwargs: object) -> None:
        seen.append(status.recipients[message.to[0]].status)

    post_send.connect(on_post_send)
    try:
        assert send_mass_mail(datatuples) == 12
    finally:
        post_send.disconnect(on_post_send)
    messages = _messages(sandbox)
    assert [(m["subject"], m["textbody"], m["to"]) for m in messages] == [
        (f"Subject {i}", f"Body {i}", [_address(f"user{i}@example.com")]) for i in range(12)
    ]
    assert [len(r["messages"]) for r in sandbox.state.requests] == [
        1
    ] * 12  # one request a message, as anymail
    assert seen == ["queued"] * 12


def test_pre_send_can_change_the_message(sandbox: Sandbox) -> None:
    def add_tag(sender: object, message: Any, **kwargs: object) -> None:
        message.tags = ["from-pre-send"]

    pre_send.connect(add_tag)
    try:
        send_mail("Hi", "x", "app@example.com", ["ann@example.com"])
    finally:
        pre_send.disconnect(add_tag)
    assert _messages(sandbox)[0]["tags"] == ["from-pre-send"]


def test_all_refused_raises_anymail_recipients_refused(sandbox: Sandbox) -> None:
    message = EmailMessage("refused", "x", "app@example.com", ["nobody@example.invalid"])
    with pytest.raises(AnymailRecipientsRefused, match=r"nobody@example\.invalid: InvalidAddress") as caught:
        message.send()
    assert caught.value is not None and isinstance(caught.value, RecipientsRefusedError)  # the old name
    status = message.anymail_status  # type: ignore[attr-defined]
    assert status.status == {"invalid"}
    assert status.recipients["nobody@example.invalid"].status == "invalid"
    assert [m["subject"] for m in _messages(sandbox)] == ["refused"]
    message.connection = None
    with override_settings(ANYMAIL=_anymail(sandbox, IGNORE_RECIPIENT_STATUS=True)):
        assert message.send() == 1  # sent, every recipient refused, and no error as asked


def test_a_partly_refused_message_does_not_raise(sandbox: Sandbox) -> None:
    message = EmailMessage("some", "x", "app@example.com", ["ann@example.com", "nobody@example.invalid"])
    assert message.send() == 1
    status = message.anymail_status  # type: ignore[attr-defined]
    assert {a: r.status for a, r in status.recipients.items()} == {
        "ann@example.com": "queued",
        "nobody@example.invalid": "invalid",
    }


def test_an_api_refusal_is_anymail_api_error_with_the_typed_cause(sandbox: Sandbox) -> None:
    with (
        override_settings(ANYMAIL=_anymail(sandbox, SOCKETLABS_API_KEY="wrong-key")),
        pytest.raises(AnymailAPIError, match="SocketLabs refused the request") as caught,
    ):
        send_mail("Hi", "x", "app@example.com", ["ann@example.com"])
    assert isinstance(caught.value.__cause__, SocketLabsError)
    assert "wrong-key" not in str(caught.value)
    assert sandbox.state.sent == []


def test_an_answer_that_never_came_is_unknown_and_not_resent(sandbox: Sandbox) -> None:
    sandbox.faults.add(FaultKind.MALFORMED_JSON, operation="sendEmail", times=1)
    message = EmailMessage("Maybe", "x", "app@example.com", ["ann@example.com"])
    assert message.send() == 1  # not refused: anymail counts it, the status says unknown
    status = message.anymail_status  # type: ignore[attr-defined]
    assert status.status == {"unknown"}
    assert status.recipients["ann@example.com"].message_id == _messages(sandbox)[0]["messageid"]
    assert len(sandbox.state.requests) == 1  # sent once, never again
    assert [s.message_id for s in sandbox.state.sent] == [status.message_id]  # the id to look for
    # what the guide says to do: look the message id up in the message detail report
    with SocketLabs(api_key=sandbox.api_key, server_id=sandbox.server_id, base_url=sandbox.api_url) as client:
        found = list(client.reports.messages_detail(filters=F.messageId == status.message_id))
        other = list(client.reports.messages_detail(filters=F.messageId == "not-" + status.message_id))
    assert (len(found), len(other)) == (1, 0)


def test_a_request_refused_before_processing_raises(sandbox: Sandbox) -> None:
    sandbox.faults.add(FaultKind.SERVER_ERROR, operation="sendEmail", status=503)
    with (
        override_settings(ANYMAIL=_anymail(sandbox, SOCKETLABS_MAX_RETRIES=0)),
        pytest.raises(AnymailAPIError, match="SocketLabs refused the request") as caught,
    ):
        send_mail("Hi", "x", "app@example.com", ["ann@example.com"])
    assert isinstance(caught.value.__cause__, SocketLabsError)
    assert sandbox.state.sent == []


def test_a_big_merge_with_one_request_refused_reports_each_recipient(sandbox: Sandbox) -> None:
    sandbox.faults.add(FaultKind.SERVER_ERROR, operation="sendEmail", status=503, times=1)
    to = [f"user{i}@example.com" for i in range(11)]
    message = AnymailMessage("Hi %%n%%", "x", "app@example.com", to, merge_data={a: {"n": a} for a in to})
    anymail = _anymail(sandbox, SOCKETLABS_MAX_RETRIES=0, SOCKETLABS_RECIPIENTS_PER_MESSAGE=1)
    with override_settings(ANYMAIL=anymail):
        assert message.send() == 1  # some went: no error, the statuses say who
    statuses = {a: r.status for a, r in message.anymail_status.recipients.items()}
    queued = {a for a, word in statuses.items() if word == "queued"}
    failed = {a for a, word in statuses.items() if word == "failed"}
    assert queued | failed == set(to)
    assert queued == {s.address for s in sandbox.state.sent}
    assert sorted([len(queued), len(failed)]) == [1, 10]  # ten messages a request: one request of two refused
    assert len(sandbox.state.requests) == 1


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda m: m.attach_alternative("BEGIN:VCALENDAR", "text/calendar"), "text/calendar"),
        (lambda m: setattr(m, "reply_to", ["a@example.com", "b@example.com"]), "multiple reply_to"),
        (lambda m: setattr(m, "send_at", 1_700_000_000), "send_at"),
        (lambda m: setattr(m, "track_clicks", True), "track_clicks"),
        (lambda m: setattr(m, "track_opens", False), "track_opens"),
        (lambda m: setattr(m, "envelope_sender", "bounces@example.com"), "envelope_sender"),
        (lambda m: m.extra_headers.update({"To": "x@example.com"}), "spoofing `To` header"),
        (lambda m: m.extra_headers.update({"Cc": "x@example.com"}), "Cc header"),
        (lambda m: setattr(m, "merge_data", {}) or setattr(m, "cc", ["c@example.com"]), "cc or bcc"),
    ],
)
def test_what_socketlabs_cannot_carry_raises_before_sending(sandbox: Sandbox, change: Any, says: str) -> None:
    message = EmailMultiAlternatives("Subject", "Body", "app@example.com", ["ann@example.com"])
    change(message)
    with pytest.raises(AnymailUnsupportedFeature, match=says) as caught:
        message.send()
    assert isinstance(caught.value, UnsupportedFeatureError)  # the old name
    assert list(sandbox.state.requests) == []
    message.connection = None
    with override_settings(ANYMAIL=_anymail(sandbox, IGNORE_UNSUPPORTED_FEATURES=True)):
        assert message.send() == 1  # left out, the rest sent
    (sent,) = _messages(sandbox)
    assert (sent["subject"], sent["textbody"]) == ("Subject", "Body")
    assert not {"sendat", "trackclicks", "trackopens", "envelopesender"} & set(sent)


def test_a_bad_address_is_anymail_invalid_address(sandbox: Sandbox) -> None:
    with pytest.raises(AnymailInvalidAddress):
        send_mail("Hi", "x", "app@example.com", ["not an address"])
    too_long = "x" * 64 + "@" + ("d" * 60 + ".") * 5 + "com"  # anymail parses it; SocketLabs' limit is 320
    with pytest.raises(AnymailInvalidAddress, match="To") as caught:
        send_mail("Hi", "x", "app@example.com", [too_long])
    assert isinstance(caught.value.__cause__, MessageValidationError)
    assert caught.value.__cause__.field.startswith("To")
    assert list(sandbox.state.requests) == []


def test_header_injection_is_refused_by_the_client_checks(sandbox: Sandbox) -> None:
    message = EmailMessage(
        "Hi", "Body", "app@example.com", ["ann@example.com"], headers={"X-A": "1\r\nBcc: x"}
    )
    with pytest.raises(AnymailAPIError) as caught:
        message.send()
    assert isinstance(caught.value.__cause__, MessageValidationError)
    assert caught.value.__cause__.field == "CustomHeaders[0].Value"
    assert list(sandbox.state.requests) == []


def test_fail_silently_counts_what_was_sent(sandbox: Sandbox) -> None:
    good = EmailMessage("good", "x", "app@example.com", ["ann@example.com"])
    bad = EmailMessage("bad", "x", "app@example.com", ["bob@example.com"], headers={"X-A": "1\r\nBcc: x"})
    refused = EmailMessage("refused", "x", "app@example.com", ["nobody@example.invalid"])
    with pytest.warns(DeprecationWarning, match="fail_silently"):  # anymail's own notice
        connection = get_connection(fail_silently=True)
    with connection:
        assert connection.send_messages([good, bad, refused]) == 1
    assert [m["subject"] for m in _messages(sandbox)] == ["good", "refused"]
    assert good.anymail_status.status == {"queued"}  # type: ignore[attr-defined]
    assert refused.anymail_status.status == {"invalid"}  # type: ignore[attr-defined]


def test_settings_precedence_kwargs_then_anymail_then_the_environment(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCKETLABS_API_KEY", sandbox.api_key)
    monkeypatch.setenv("SOCKETLABS_SERVER_ID", str(sandbox.server_id))
    monkeypatch.setenv("SOCKETLABS_INJECT_URL", sandbox.inject_url)
    with override_settings(ANYMAIL={}):
        assert send_mail("From the env", "x", "app@example.com", ["env@example.com"]) == 1
        backend = EmailBackend(server_id=999_999)  # a keyword argument wins over the environment
        assert backend.client_options == {"server_id": 999_999}
    with override_settings(ANYMAIL={"SOCKETLABS_SERVER_ID": 424_242}, ANYMAIL_SOCKETLABS_SERVER_ID=1):
        assert EmailBackend().client_options == {"server_id": 424_242}  # ANYMAIL first, as anymail reads it
    with override_settings(ANYMAIL={}, ANYMAIL_SOCKETLABS_SERVER_ID=7, SOCKETLABS_SERVER_ID=8):
        assert EmailBackend().client_options == {"server_id": 7}
    with override_settings(ANYMAIL={}, SOCKETLABS_SERVER_ID=8):
        assert EmailBackend().client_options == {"server_id": 8}
    assert _messages(sandbox)[0]["subject"] == "From the env"
    assert sandbox.state.requests[0]["serverid"] == sandbox.server_id


def test_auth_password_is_the_api_key(sandbox: Sandbox) -> None:
    with override_settings(ANYMAIL=_anymail(sandbox, SOCKETLABS_API_KEY="wrong-key")):
        sent = send_mail("Hi", "x", "app@example.com", ["ann@example.com"], auth_password=sandbox.api_key)
    assert sent == 1


def test_the_earlier_socketlabs_settings_still_work_with_a_deprecation_warning(sandbox: Sandbox) -> None:
    legacy = {
        "API_KEY": sandbox.api_key,
        "SERVER_ID": sandbox.server_id,
        "INJECT_URL": sandbox.inject_url,
    }
    with (
        override_settings(ANYMAIL={}, SOCKETLABS=legacy),
        pytest.warns(DeprecationWarning, match=r'SOCKETLABS\["\w+"\] is deprecated') as caught,
    ):
        assert send_mail("Legacy", "x", "app@example.com", ["ann@example.com"]) == 1
    assert {str(w.message).split('"')[1] for w in caught} == {"API_KEY", "SERVER_ID", "INJECT_URL"}
    assert 'use ANYMAIL = {"SOCKETLABS_API_KEY": ...}' in str(caught[0].message)
    assert _messages(sandbox)[0]["subject"] == "Legacy"
    with (
        override_settings(ANYMAIL={}, SOCKETLABS={"APIKEY": "typo"}),
        pytest.raises(AnymailConfigurationError, match="APIKEY"),
    ):
        send_mail("x", "x", "app@example.com", ["a@example.com"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new settings alone: no warning
        assert send_mail("New", "x", "app@example.com", ["ann@example.com"]) == 1


def test_a_missing_api_key_is_a_configuration_error(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOCKETLABS_API_KEY", raising=False)
    with override_settings(ANYMAIL={}), pytest.raises(AnymailConfigurationError):
        send_mail("x", "x", "app@example.com", ["a@example.com"])


@pytest.mark.filterwarnings("ignore:Anymail will drop support for fail_silently:DeprecationWarning")
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


def test_an_international_domain_goes_out_idna_encoded(sandbox: Sandbox) -> None:
    assert send_mail("Hi", "x", "app@example.com", ["Jürgen <jurgen@bücher.example>"]) == 1
    (sent,) = _messages(sandbox)
    assert sent["to"] == [_address("jurgen@xn--bcher-kva.example", "Jürgen")]
    assert [s.address for s in sandbox.state.sent] == ["jurgen@xn--bcher-kva.example"]


_TEXT = st.text(
    st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"], exclude_characters="%"),
    min_size=1,
    max_size=20,
).filter(str.strip)  # the API refuses a blank key, value or field name (so do the client's checks)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tags=st.lists(_TEXT, max_size=3),
    metadata=st.dictionaries(_TEXT, st.one_of(_TEXT, st.integers()), max_size=3),
    merge=st.lists(st.dictionaries(_TEXT, _TEXT, max_size=3), min_size=1, max_size=3),
)
def test_any_tags_metadata_and_merge_data_arrive_as_given(
    sandbox: Sandbox, tags: list[str], metadata: dict[str, Any], merge: list[dict[str, str]]
) -> None:
    sandbox.reset()
    to = [f"user{i}@example.com" for i in range(len(merge))]
    message = AnymailMessage(
        "Hi",
        "Body",
        "app@example.com",
        to,
        tags=tags,
        metadata=metadata,
        merge_data=dict(zip(to, merge, strict=True)),
    )
    assert message.send() == 1
    (sent,) = _messages(sandbox)
    assert sent.get("tags", []) == tags
    assert sent.get("metadata", []) == [{"key": k, "value": str(v)} for k, v in metadata.items()]
    rows = sent["mergedata"]["permessage"]
    for address, fields, row in zip(to, merge, rows, strict=True):
        status = message.anymail_status.recipients[address]
        assert row == [
            {"Field": "DeliveryAddress", "Value": address},
            *(
                {"Field": k, "Value": v}
                for k, v in fields.items()
                if k.casefold() not in ("deliveryaddress", "recipientname")
            ),
            {"Field": "AnymailMessageId", "Value": status.message_id},
        ]
        assert status.status == "queued"
