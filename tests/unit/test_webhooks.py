"""Event webhook parsing and authentication, without a server (receivers over HTTP: tests/webhooks)."""

from __future__ import annotations

import asyncio
import datetime
import io
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from socketlabs_api.models import (
    WebhookEventComplaint,
    WebhookEventDeferred,
    WebhookEventDelivered,
    WebhookEventFailed,
    WebhookEventFailureType,
    WebhookEventGeneric,
    WebhookEventQueued,
    WebhookEventTracking,
    WebhookEventTrackingType,
    WebhookEventValidation,
)
from socketlabs_client import (
    WebhookAuthenticationError,
    WebhookContentTypeError,
    WebhookError,
    WebhookEvent,
    WebhookParseError,
    WebhookPayloadTooLargeError,
    WebhookReceiver,
    WebhookSecrets,
    parse_event,
)
from socketlabs_client._webhooks import INTEGER_MEMBERS, NUMBER_MEMBERS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "spec" / "examples"
SECRET = "ABC123"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def _example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / f"webhook-{name}.json").read_text(encoding="utf-8"))
    return loaded


def _body(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


# --- every documented event type, from the docs' examples ----------------------------------


def test_queued_example() -> None:
    event = parse_event(_body(_example("queued")), JSON)
    assert isinstance(event, WebhookEventQueued)
    assert (event.address, event.from_address, event.subject, event.message_size) == (
        "to@example.com",
        "from@example.com",
        "Welcome",
        22775,
    )
    assert event.date_time == datetime.datetime(2023, 6, 12, 10, 4, 56, 369468, tzinfo=datetime.UTC)
    assert (event.server_id, event.subaccount_id, event.mailing_id) == (12345, 12345, "SL5233439-5474023")
    assert event.data is not None
    meta = event.data.meta
    assert isinstance(meta, list)
    assert [(m.key, m.value) for m in meta] == [("UserRegion", "US-West")]
    assert event.data.tags == ["Transactional"]


def test_deferred_example() -> None:
    event = parse_event(_body(_example("deferred")), JSON)
    assert isinstance(event, WebhookEventDeferred)
    assert (event.deferral_code, event.reason, event.ip_pool_id) == (421, "421 4.7.0 Try again later", 7)


def test_delivered_example() -> None:
    event = parse_event(_body(_example("delivered")), JSON)
    assert isinstance(event, WebhookEventDelivered)
    assert (event.response, event.local_ip, event.remote_mta) == ("250 OK", "10.0.0.1", "mx.example.net")
    assert event.server_id == 123456


def test_delivered_sample_spelling_local_ip_in_capitals() -> None:
    """The WHX sample writes `LocalIP`; names match in any case."""
    data = _example("delivered")
    data["LocalIP"] = data.pop("LocalIp")
    event = parse_event(_body(data), JSON)
    assert isinstance(event, WebhookEventDelivered)
    assert event.local_ip == "10.0.0.1"


def test_failed_example() -> None:
    event = parse_event(_body(_example("failed")), JSON)
    assert isinstance(event, WebhookEventFailed)
    assert event.failure_type is WebhookEventFailureType.PERMANENT
    assert (event.failure_code, event.bounce_status, event.diagnostic_code) == (
        2001,
        "5.1.1",
        "smtp; 550 5.1.1 user unknown",
    )


def test_complaint_example() -> None:
    event = parse_event(_body(_example("complaint")), JSON)
    assert isinstance(event, WebhookEventComplaint)
    assert (event.fbl_type, event.from_, event.to, event.length) == (
        "abuse",
        "from@example.com",
        "to@example.com",
        2048,
    )


@pytest.mark.parametrize(
    ("name", "kind", "url"),
    [
        ("tracking-click", WebhookEventTrackingType.CLICK, "https://example.com/x"),
        ("tracking-open", WebhookEventTrackingType.OPEN, None),
        ("tracking-unsubscribe", WebhookEventTrackingType.UNSUBSCRIBE, None),
    ],
)
def test_tracking_examples(name: str, kind: WebhookEventTrackingType, url: str | None) -> None:
    event = parse_event(_body(_example(name)), JSON)
    assert isinstance(event, WebhookEventTracking)
    assert event.tracking_type is kind
    assert event.client_ip == "203.0.113.9"
    assert event.url == url


def test_validation_example() -> None:
    event = parse_event(_body(_example("validation")), JSON)
    assert isinstance(event, WebhookEventValidation)
    assert (event.server_id, event.secret_key) == (12345, SECRET)


# --- what real senders vary in ----------------------------------------------------------------


def test_member_names_in_any_case_and_unknown_members_kept() -> None:
    data = {k.upper() if i % 2 else k.lower(): v for i, (k, v) in enumerate(_example("failed").items())}
    data["BrandNewMember"] = {"nested": [1, 2]}
    event = parse_event(_body(data), JSON)
    assert isinstance(event, WebhookEventFailed)
    assert event.failure_code == 2001
    assert event.address == "x@example.com"
    assert event.additional_properties == {"BrandNewMember": {"nested": [1, 2]}}


def test_type_in_any_case() -> None:
    data = _example("queued")
    data["Type"] = "qUEUED"
    event = parse_event(_body(data), JSON)
    assert isinstance(event, WebhookEventQueued)
    assert event.type_ == "Queued"


def test_unknown_type_is_a_generic_event_with_everything_kept() -> None:
    data = {**_example("delivered"), "Type": "Opened2027", "Engagement": 3}
    event = parse_event(_body(data), JSON)
    assert isinstance(event, WebhookEventGeneric)
    assert (event.type_, event.address, event.message_id) == (
        "Opened2027",
        "to@example.com",
        "SampleMessageId",
    )
    assert event.additional_properties["Engagement"] == 3
    assert event.additional_properties["Response"] == "250 OK"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "Temporary"), (1, "Permanent"), (2, "Suppressed"), ("2", "Suppressed"), ("permanent", "Permanent")],
)
def test_failure_type_as_number_or_name(value: object, expected: str) -> None:
    event = parse_event(_body({**_example("failed"), "FailureType": value}), JSON)
    assert isinstance(event, WebhookEventFailed)
    assert event.failure_type == expected
    assert event.failure_type.is_known


@pytest.mark.parametrize(
    ("value", "expected"), [(0, "Click"), (1, "Open"), (2, "Unsubscribe"), ("1", "Open")]
)
def test_tracking_type_as_number(value: object, expected: str) -> None:
    event = parse_event(_body({**_example("tracking-click"), "TrackingType": value}), JSON)
    assert isinstance(event, WebhookEventTracking)
    assert event.tracking_type == expected


def test_unknown_enum_values_are_kept_not_fatal() -> None:
    event = parse_event(_body({**_example("failed"), "FailureType": 7}), JSON)
    assert isinstance(event, WebhookEventFailed)
    assert (event.failure_type, event.failure_type.is_known) == ("7", False)
    event = parse_event(_body({**_example("tracking-click"), "TrackingType": "Forward"}), JSON)
    assert isinstance(event, WebhookEventTracking)
    assert (event.tracking_type, event.tracking_type.is_known) == ("Forward", False)


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("2023-06-12T10:04:56.3694682Z", 369468),
        ("2023-06-12T10:04:56.1Z", 100000),
        ("2023-06-12t10:04:56.0000001z", 0),
        ("2023-06-12T10:04:56Z", 0),
    ],
)
def test_timestamps_with_up_to_seven_fractional_digits(text: str, micros: int) -> None:
    event = parse_event(_body({**_example("queued"), "DateTime": text}), JSON)
    assert isinstance(event, WebhookEventQueued)
    assert event.date_time == datetime.datetime(2023, 6, 12, 10, 4, 56, micros, tzinfo=datetime.UTC)


def test_legacy_form_encoded_body() -> None:
    form = {
        "Type": "Failed",
        "ServerId": "12345",
        "Address": "x@example.com",
        "DateTime": "2014-01-02T03:04:05.1234567Z",
        "MailingId": "m1",
        "MessageId": "42",
        "SecretKey": SECRET,
        "FailureType": "1",
        "FailureCode": "2001",
        "Reason": "550 user unknown & gone",
    }
    event = parse_event(urlencode(form).encode(), f"{FORM}; charset=utf-8")
    assert isinstance(event, WebhookEventFailed)
    assert (event.server_id, event.failure_code, event.failure_type) == (12345, 2001, "Permanent")
    assert event.reason == "550 user unknown & gone"


def test_missing_content_type_is_sniffed() -> None:
    assert isinstance(parse_event(_body(_example("delivered")), None), WebhookEventDelivered)
    assert isinstance(parse_event(_body(_example("delivered")), "text/plain"), WebhookEventDelivered)
    form = urlencode({"Type": "Validation", "ServerId": "1", "SecretKey": "s"}).encode()
    assert isinstance(parse_event(form, None), WebhookEventValidation)


def test_charset_from_the_content_type_is_used() -> None:
    body = json.dumps({**_example("queued"), "Subject": "Grüße"}, ensure_ascii=False).encode("latin-1")
    event = parse_event(body, "application/json; charset=ISO-8859-1")
    assert isinstance(event, WebhookEventQueued)
    assert event.subject == "Grüße"


def test_integer_member_table_matches_the_spec() -> None:
    spec = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {"integer": set(), "number": set()}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for name, prop in (node.get("properties") or {}).items():
                kinds = prop.get("type") if isinstance(prop, dict) else None
                kinds = kinds if isinstance(kinds, list) else [kinds]
                for kind in ("integer", "number"):
                    if kind in kinds:
                        found[kind].add(name.casefold())
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    schemas = spec["components"]["schemas"]
    walk([s for n, s in schemas.items() if n.startswith(("WebhookEvent", "Inbound"))])
    assert found["integer"] == INTEGER_MEMBERS
    assert found["number"] == NUMBER_MEMBERS


# --- hostile or broken input: a typed error that says why, with the status to answer ---------


@pytest.mark.parametrize(
    ("body", "content_type", "error", "says"),
    [
        (b"\xff\xfe{not utf-8", JSON, WebhookParseError, "not valid utf-8"),
        (b'{"Type": "Queued"', JSON, WebhookParseError, "not JSON"),
        (b"[1, 2]", JSON, WebhookParseError, "JSON object"),
        (b'{"Type":"Queued","type":"Failed"}', JSON, WebhookParseError, "more than once"),
        (b"Type=Queued&type=Failed", FORM, WebhookParseError, "more than once"),
        (b"<xml/>", "application/xml", WebhookContentTypeError, "neither JSON"),
        (b"Type=Queued", "multipart/form-data; boundary=x", WebhookContentTypeError, "neither JSON"),
        (b"{}", "application/json; charset=no-such-codec", WebhookContentTypeError, "unknown charset"),
        (b"{}", "application/json; charset=utf\x00", WebhookContentTypeError, "unknown charset"),
        (b"{}", "application/json; charset=rot13", WebhookContentTypeError, "not a text encoding"),
        (b"{}", "application/json; charset=zlib", WebhookContentTypeError, "not a text encoding"),
        (b"eA==", "application/json; charset=base64", WebhookContentTypeError, "not a text encoding"),
        (b"xn--abc-", "application/json; charset=idna", WebhookParseError, "not valid idna"),
        (b"{}", "application/json; charset=undefined", WebhookParseError, "not valid undefined"),
        (b"Type=Queued&SecretKey=%ff%fe", FORM, WebhookParseError, "percent-encoding"),
        (b"Type=Queued&SecretKey", FORM, WebhookParseError, "bad field"),
        (b"{" * 100_000, JSON, WebhookParseError, "not JSON"),
        (b"42", JSON, WebhookParseError, "JSON object"),
        (b"[" * 100_000, JSON, WebhookParseError, "not JSON"),
        (b'{"ServerId": 1, "SecretKey": "s"}', JSON, WebhookParseError, "no Type"),
    ],
)
def test_unreadable_bodies(body: bytes, content_type: str, error: type[WebhookError], says: str) -> None:
    with pytest.raises(error) as caught:
        parse_event(body, content_type)
    assert says.casefold() in str(caught.value).casefold()
    assert caught.value.status_code == {WebhookParseError: 400, WebhookContentTypeError: 415}[error]


@pytest.mark.parametrize(
    ("example", "member"),
    [
        ("failed", "FailureType"),
        ("tracking-open", "TrackingType"),
        ("delivered", "Address"),
        ("queued", "DateTime"),
    ],
)
def test_missing_required_member_is_named(example: str, member: str) -> None:
    data = _example(example)
    del data[member]
    with pytest.raises(WebhookParseError, match=member):
        parse_event(_body(data), JSON)


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("ServerId", "twelve"),
        ("ServerId", True),
        ("Address", 5),
        ("MessageSize", [1]),
        ("DateTime", "yesterday"),
    ],
)
def test_wrong_value_types_are_refused(member: str, value: object) -> None:
    with pytest.raises(WebhookParseError):
        parse_event(_body({**_example("queued"), member: value}), JSON)


@pytest.mark.parametrize(
    "data",
    [
        {"Data": "Transactional"},
        {"Data": {"Meta": "UserRegion=US-West"}},
        {"Data": {"Tags": "Transactional"}},
    ],
)
def test_wrong_nested_shapes_are_refused(data: dict[str, Any]) -> None:
    with pytest.raises(WebhookParseError):
        parse_event(_body({**_example("queued"), **data}), JSON)


def test_secret_given_twice_in_different_case_is_ambiguous() -> None:
    body = _body({**_example("queued"), "secretkey": "something-else"})
    with pytest.raises(WebhookParseError, match="more than once"):
        parse_event(body, JSON, secrets=WebhookSecrets(SECRET))


def test_body_size_limit() -> None:
    body = _body({**_example("queued"), "Subject": "x" * 5000})
    with pytest.raises(WebhookPayloadTooLargeError) as caught:
        parse_event(body, JSON, max_body_size=4096)
    assert caught.value.status_code == 413
    assert isinstance(parse_event(body, JSON, max_body_size=len(body)), WebhookEventQueued)


# --- authentication --------------------------------------------------------------------------


def test_secret_must_match() -> None:
    secrets = WebhookSecrets("the-right-one")
    with pytest.raises(WebhookAuthenticationError) as caught:
        parse_event(_body(_example("queued")), JSON, secrets=secrets)
    assert caught.value.status_code == 401
    assert SECRET not in str(caught.value)


def test_several_secrets_for_rotation() -> None:
    secrets = WebhookSecrets(["new-secret", SECRET])
    event = parse_event(_body(_example("queued")), JSON, secrets=secrets)
    assert isinstance(event, WebhookEventQueued)
    assert event.secret_key == "[redacted]"
    body = _body({**_example("queued"), "SecretKey": "new-secret"})
    assert isinstance(parse_event(body, JSON, secrets=secrets), WebhookEventQueued)
    with pytest.raises(WebhookAuthenticationError):
        parse_event(_body({**_example("queued"), "SecretKey": "old-secret"}), JSON, secrets=secrets)


@pytest.mark.parametrize("secret", [None, "", 123456, ["ABC123"], "ABC12", "ABC1234", "abc123"])
def test_missing_or_near_miss_secrets_are_refused(secret: object) -> None:
    data = _example("queued")
    if secret is None:
        del data["SecretKey"]
    else:
        data["SecretKey"] = secret
    with pytest.raises(WebhookAuthenticationError):
        parse_event(_body(data), JSON, secrets=WebhookSecrets(SECRET))


def test_server_id_is_checked_when_configured() -> None:
    ok = WebhookSecrets(SECRET, server_ids=[12345, 777])
    assert isinstance(parse_event(_body(_example("queued")), JSON, secrets=ok), WebhookEventQueued)
    form = urlencode({"Type": "Validation", "ServerId": "777", "SecretKey": SECRET}).encode()
    assert isinstance(parse_event(form, FORM, secrets=ok), WebhookEventValidation)
    with pytest.raises(WebhookAuthenticationError, match="ServerId"):
        parse_event(_body(_example("queued")), JSON, secrets=WebhookSecrets(SECRET, server_ids=1))
    with pytest.raises(WebhookAuthenticationError, match="ServerId"):
        parse_event(_body({**_example("queued"), "ServerId": None}), JSON, secrets=ok)


def test_authentication_comes_before_the_typed_parse() -> None:
    """A forged post learns nothing about what a valid one must contain."""
    with pytest.raises(WebhookAuthenticationError):
        parse_event(b'{"Type": "Failed", "SecretKey": "guess"}', JSON, secrets=WebhookSecrets(SECRET))


def test_secrets_never_in_repr() -> None:
    secrets = WebhookSecrets(["s3cr3t-one", "s3cr3t-two"], server_ids=5)
    receiver = WebhookReceiver(lambda event: None, secrets=secrets)
    for text in (repr(secrets), repr(receiver)):
        assert "s3cr3t" not in text
    assert "2 secret(s)" in repr(secrets)


def test_secrets_are_required() -> None:
    with pytest.raises(ValueError, match="secret"):
        WebhookSecrets([])
    with pytest.raises(ValueError, match="secret"):
        WebhookSecrets("")


# --- the framework-agnostic handler -----------------------------------------------------------


def _receiver(seen: list[WebhookEvent], **options: Any) -> WebhookReceiver:
    return WebhookReceiver(seen.append, secrets=WebhookSecrets(SECRET), **options)


def test_handler_passes_authenticated_events_with_the_secret_redacted() -> None:
    seen: list[WebhookEvent] = []
    answer = _receiver(seen).handle(_body(_example("failed")), JSON)
    assert (answer.status, answer.body) == (200, b"")
    assert len(seen) == 1
    assert isinstance(seen[0], WebhookEventFailed)
    assert seen[0].secret_key == "[redacted]"
    assert SECRET not in repr(seen[0])


def test_handler_refuses_wrong_secret_and_never_calls_back(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[WebhookEvent] = []
    caplog.set_level(logging.INFO, "socketlabs_client.webhooks")
    answer = _receiver(seen).handle(_body({**_example("failed"), "SecretKey": "forged-guess"}), JSON)
    assert answer.status == 401
    assert seen == []
    assert "forged-guess" not in caplog.text
    assert "401" in caplog.text


@pytest.mark.parametrize("variant", ["json", "form"])
def test_validation_is_answered_with_the_secret(variant: str) -> None:
    seen: list[WebhookEvent] = []
    data = {"Type": "Validation", "ServerId": "12345", "SecretKey": SECRET}
    body, kind = (_body(data), JSON) if variant == "json" else (urlencode(data).encode(), FORM)
    answer = _receiver(seen).handle(body, kind)
    assert (answer.status, answer.body) == (200, SECRET.encode())
    assert seen == []


def test_legacy_validation_key_is_in_every_ok_body() -> None:
    seen: list[WebhookEvent] = []
    receiver = _receiver(seen, validation_key="VKEY-42")
    assert receiver.handle(_body(_example("delivered")), JSON).body == b"VKEY-42"
    validation = receiver.handle(_body(_example("validation")), JSON).body.decode()
    assert SECRET in validation
    assert "VKEY-42" in validation
    assert receiver.handle(_body({**_example("delivered"), "SecretKey": "x"}), JSON).status == 401


def test_callback_failure_answers_500(caplog: pytest.LogCaptureFixture) -> None:
    def broken(event: WebhookEvent) -> None:
        raise RuntimeError("database down")

    receiver = WebhookReceiver(broken, secrets=SECRET)
    assert receiver.handle(_body(_example("queued")), JSON).status == 500
    assert "database down" in caplog.text


def test_sync_handler_runs_an_async_callback() -> None:
    seen: list[str] = []

    async def on_event(event: WebhookEvent) -> None:
        await asyncio.sleep(0)
        seen.append(event.type_)

    assert WebhookReceiver(on_event, secrets=SECRET).handle(_body(_example("queued")), JSON).status == 200
    assert seen == ["Queued"]


async def test_async_handler_with_sync_and_async_callbacks() -> None:
    seen: list[str] = []

    async def on_event(event: WebhookEvent) -> None:
        seen.append(f"async {event.type_}")

    answer = await WebhookReceiver(on_event, secrets=SECRET).handle_async(_body(_example("queued")), JSON)
    assert answer.status == 200
    answer = await WebhookReceiver(lambda e: seen.append(f"sync {e.type_}"), secrets=SECRET).handle_async(
        _body(_example("delivered")), JSON
    )
    assert answer.status == 200
    assert seen == ["async Queued", "sync Delivered"]
    refused = await WebhookReceiver(on_event, secrets="other").handle_async(_body(_example("queued")), JSON)
    assert refused.status == 401
    assert len(seen) == 2


def test_handler_maps_each_error_to_its_status() -> None:
    receiver = _receiver([], max_body_size=1000)
    assert receiver.handle(b"x" * 1001, JSON).status == 413
    assert receiver.handle(b"{}", "text/csv").status == 415
    assert receiver.handle(b"\xff\xff", JSON).status == 400
    missing = _example("failed")
    del missing["FailureType"]
    answer = receiver.handle(_body(missing), JSON)
    assert answer.status == 400
    assert b"FailureType" in answer.body


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"Type=Queued&" + SECRET.encode() + b"&ServerId=1", FORM),  # a malformed field: the bare secret
        (b"SecretKey=" + SECRET.encode() + b"&" + SECRET.encode(), FORM),
        (b"SecretKey=" + SECRET.encode() + b"%ff&Type=Queued", FORM),
        (("{" + f'"{SECRET}": 1, "{SECRET.lower()}": 2' + "}").encode(), JSON),  # a duplicate member name
        (
            b'{"SecretKey": "'
            + SECRET.encode()
            + b'", "Type": "Failed", "FailureType": "'
            + SECRET.encode()
            + b'"}',
            JSON,
        ),
        (b"{}", "application/" + SECRET + "; charset=utf-8"),
        (b"{}", "application/json; charset=" + SECRET),
    ],
)
def test_a_refusal_never_quotes_the_post(
    body: bytes, content_type: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[WebhookEvent] = []
    answer = _receiver(seen).handle(body, content_type)
    assert 400 <= answer.status < 500
    assert SECRET.encode() not in answer.body
    assert SECRET.lower().encode() not in answer.body
    assert SECRET not in caplog.text
    assert seen == []


@pytest.mark.parametrize(
    ("length", "status"),
    [("²", 400), ("-1", 400), ("1e3", 400), ("12, 12", 400), ("9" * 40, 400), ("9" * 30, 413), ("", 411)],
)
def test_wsgi_content_lengths(length: str, status: int) -> None:
    seen: list[str] = []
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": length,
        "wsgi.input": io.BytesIO(b"{}"),
    }
    _receiver([]).wsgi(environ, lambda s, h: seen.append(s))
    assert int(seen[0].split()[0]) == status


def test_wsgi_body_shorter_than_its_length_is_refused() -> None:
    seen: list[str] = []
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": "10",
        "wsgi.input": io.BytesIO(b"{}"),
    }
    assert _receiver([]).wsgi(environ, lambda s, h: seen.append(s)) == [
        b"body shorter than its Content-Length\n"
    ]
    assert seen == ["400 Bad Request"]
