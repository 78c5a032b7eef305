"""Inbound parse posts: typed messages, attachments decoded on request, the same secret handling."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from socketlabs_api.models import InboundMessage, WebhookEventValidation
from socketlabs_client import (
    InboundReceiver,
    WebhookAuthenticationError,
    WebhookParseError,
    WebhookSecrets,
    decode_content,
    header_values,
    parse_inbound,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "spec" / "examples" / "inbound-parse.json"
SECRET = "ABC123"


def _example() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return loaded


def _body(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


def test_the_documented_payload_is_typed() -> None:
    parsed = parse_inbound(_body(_example()), "application/json", secrets=WebhookSecrets(SECRET))
    assert isinstance(parsed, InboundMessage)
    assert (parsed.inbound_mail_from, parsed.inbound_rcpt_to, parsed.spam_score) == (
        "sender@example.org",
        "support@inbound.example.com",
        1.5,
    )
    message = parsed.message
    assert (message.from_.email_address, message.from_.friendly_name) == ("sender@example.org", "Sam Sender")
    assert isinstance(message.to, list)
    assert [a.email_address for a in message.to] == ["support@inbound.example.com"]
    assert (message.cc, message.reply_to) == (None, None)
    assert (message.subject, message.text_body) == ("Order 42", "Where is my order?")
    assert message.html_body == "<p>Where is my order?</p>"


def test_attachments_and_embedded_media_decode_on_request() -> None:
    parsed = parse_inbound(_body(_example()))
    assert isinstance(parsed, InboundMessage)
    attachments, media = parsed.message.attachments, parsed.message.embedded_media
    assert isinstance(attachments, list)
    assert isinstance(media, list)
    assert attachments[0].content == base64.b64encode(b"Invoice 42\n").decode()  # still base64
    assert decode_content(attachments[0]) == b"Invoice 42\n"
    assert (media[0].content_id, decode_content(media[0])) == ("logo@example.org", b"\x89PNG\r\n\x1a\n")


def test_bad_base64_is_a_parse_error_naming_the_file() -> None:
    data = _example()
    data["Message"]["Attachments"][0]["Content"] = "not base64!!"
    parsed = parse_inbound(_body(data))
    assert isinstance(parsed, InboundMessage)
    assert isinstance(parsed.message.attachments, list)
    with pytest.raises(WebhookParseError, match=r"invoice\.txt"):
        decode_content(parsed.message.attachments[0])


def test_headers_by_name_in_any_case_null_values_kept() -> None:
    parsed = parse_inbound(_body(_example()))
    assert isinstance(parsed, InboundMessage)
    assert header_values(parsed.message, "MESSAGE-ID") == ["<abc@example.org>"]
    assert header_values(parsed.message, "x-empty") == [None]
    assert header_values(parsed.message, "Received") == []


def test_ewx_spellings_and_unknown_members() -> None:
    data = _example()
    data["Message"]["CC"] = [{"EmailAddress": "cc@example.org", "FriendlyName": None}]
    del data["Message"]["Cc"]
    data["Message"]["Priority"] = "high"
    data["secretkey"] = data.pop("SecretKey")
    parsed = parse_inbound(_body(data), secrets=WebhookSecrets(SECRET))
    assert isinstance(parsed, InboundMessage)
    assert isinstance(parsed.message.cc, list)
    assert [a.email_address for a in parsed.message.cc] == ["cc@example.org"]
    assert parsed.message.additional_properties == {"Priority": "high"}


def test_validation_on_the_inbound_route() -> None:
    body = b"Type=Validation&ServerId=12345&SecretKey=ABC123"
    parsed = parse_inbound(body, "application/x-www-form-urlencoded", secrets=WebhookSecrets(SECRET))
    assert isinstance(parsed, WebhookEventValidation)
    answer = InboundReceiver(lambda m: None, secrets=SECRET).handle(body, "application/x-www-form-urlencoded")
    assert (answer.status, answer.body) == (200, SECRET.encode())


@pytest.mark.parametrize(
    ("mutate", "says"),
    [
        (lambda d: d.pop("Message"), "Message"),
        (lambda d: d["Message"].pop("From"), "From"),
        (lambda d: d["Message"].update(To="someone@example.org"), "member to "),
        (lambda d: d["Message"]["From"].update(EmailAddress=42), "email_address"),
        (lambda d: d.update(SpamScore="high"), "spam_score"),
    ],
)
def test_broken_payloads_say_why(mutate: Any, says: str) -> None:
    data = _example()
    mutate(data)
    with pytest.raises(WebhookParseError, match=says):
        parse_inbound(_body(data))


def test_wrong_secret_is_refused_before_parsing() -> None:
    with pytest.raises(WebhookAuthenticationError):
        parse_inbound(_body({**_example(), "SecretKey": "nope"}), secrets=WebhookSecrets(SECRET))


def test_receiver_hands_over_redacted_messages_and_has_a_large_default_limit() -> None:
    seen: list[InboundMessage] = []
    receiver = InboundReceiver(seen.append, secrets=[SECRET])
    assert receiver.max_body_size >= 50 * 1024 * 1024
    assert receiver.handle(_body(_example()), "application/json").status == 200
    assert [m.message.subject for m in seen] == ["Order 42"]
    assert seen[0].secret_key == "[redacted]"
    assert receiver.handle(_body({**_example(), "SecretKey": "x"}), "application/json").status == 401
    assert len(seen) == 1
