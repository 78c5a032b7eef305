"""The Injection API: credentials, request and message errors, merge, what gets recorded."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from socketlabs_sandbox import Sandbox

Conforms = Callable[[object, str], None]

INVALID_AUTH: dict[str, Any] = {
    "ErrorCode": "InvalidAuthentication",
    "TransactionReceipt": None,
    "MessageResults": None,
}
SUCCESS: dict[str, Any] = {"ErrorCode": "Success", "TransactionReceipt": None, "MessageResults": []}


def _message(**overrides: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "To": [{"EmailAddress": "ann@example.com", "FriendlyName": "Ann"}],
        "From": {"EmailAddress": "noreply@example.com", "FriendlyName": "Example"},
        "Subject": "Hello",
        "TextBody": "Hello Ann",
    }
    message.update(overrides)
    return {k: v for k, v in message.items() if v is not None}


@pytest.fixture
def send(sb: Sandbox, inject: httpx.Client, conforms: Conforms) -> Callable[..., httpx.Response]:
    """POST a body (with Bearer auth unless told otherwise) and check the answer's shape."""

    def post(body: Any, *, bearer: str | None = sb.api_key, raw: bytes | None = None) -> httpx.Response:
        headers = {} if bearer is None else {"Authorization": f"Bearer {bearer}"}
        if raw is not None:
            response = inject.post("/email", content=raw, headers=headers)
        else:
            response = inject.post("/email", json=body, headers=headers)
        assert response.headers["content-type"].startswith("application/json")
        conforms(response.json(), "InjectionResponse")
        return response

    return post


def _body(sb: Sandbox, *messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"ServerId": sb.server_id, "Messages": list(messages), **extra}


def _message_results(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200
    body = response.json()
    assert body["ErrorCode"] == "Warning"
    results: list[dict[str, Any]] = body["MessageResults"]
    return results


def test_success_is_recorded(sb: Sandbox, send: Callable[..., httpx.Response]) -> None:
    sb.state.clock = lambda: 1_767_225_600
    message = _message(Cc=[{"EmailAddress": "cc@example.com"}], Bcc=[{"EmailAddress": "bcc@example.com"}])
    message.update(MessageId="my-id", MailingId="my-mailing")
    response = send(_body(sb, message))
    assert response.status_code == 200
    assert response.json() == SUCCESS
    sent = sb.state.sent
    assert [s.address for s in sent] == ["ann@example.com", "cc@example.com", "bcc@example.com"]
    first = sent[0]
    assert (first.server_id, first.message_index, first.friendly_name) == (sb.server_id, 0, "Ann")
    assert (first.message_id, first.mailing_id, first.subject) == ("my-id", "my-mailing", "Hello")
    assert (first.from_address, first.status, first.timestamp) == (
        "noreply@example.com",
        "Delivered",
        1_767_225_600,
    )


def test_generated_message_ids_are_unique(sb: Sandbox, send: Callable[..., httpx.Response]) -> None:
    send(_body(sb, _message(To=[{"EmailAddress": "a@example.com"}, {"EmailAddress": "b@example.com"}])))
    ids = [s.message_id for s in sb.state.sent]
    assert len(set(ids)) == 2 and all(ids)
    assert [s.mailing_id for s in sb.state.sent] == [None, None]


def test_the_body_api_key_works_without_a_header(sb: Sandbox, send: Callable[..., httpx.Response]) -> None:
    response = send(_body(sb, _message(), ApiKey=sb.api_key), bearer=None)
    assert response.json() == SUCCESS


def test_member_names_are_case_insensitive_and_server_id_may_be_a_string(
    sb: Sandbox, send: Callable[..., httpx.Response]
) -> None:
    # As the official Python library sends it: camelCase, serverId as a string.
    body = {
        "serverId": str(sb.server_id),
        "apiKey": sb.api_key,
        "messages": [
            {
                "to": [{"emailAddress": "ann@example.com", "friendlyName": "Ann"}],
                "from": {"emailAddress": "me@example.com"},
                "subject": "camel",
                "htmlBody": "<p>x</p>",
                "mergeData": {"global": [{"field": "X", "value": "1"}]},
            },
            {
                "TO": [{"EMAILADDRESS": "bob@example.com"}],
                "FROM": {"emailaddress": "me@example.com"},
                "SUBJECT": "shout",
                "TEXTBODY": "x",
            },
        ],
    }
    response = send(body, bearer=None)
    assert response.json() == SUCCESS
    assert [(s.address, s.subject) for s in sb.state.sent] == [
        ("ann@example.com", "camel"),
        ("bob@example.com", "shout"),
    ]


@pytest.mark.parametrize(
    ("case", "bearer", "body"),
    [
        ("wrong bearer", "wrong", {"ServerId": 12345, "Messages": []}),
        ("no credentials", None, {"ServerId": 12345, "Messages": [_message()]}),
        ("wrong body key", None, {"ServerId": 12345, "ApiKey": "nope", "Messages": [_message()]}),
        ("key not a string", None, {"ServerId": 12345, "ApiKey": 1, "Messages": [_message()]}),
        ("other server", "KEY", {"ServerId": 54321, "Messages": [_message()]}),
        ("no server id", "KEY", {"Messages": [_message()]}),
        ("null server id", "KEY", {"ServerId": None, "Messages": [_message()]}),
        ("not json, no bearer", None, None),
    ],
)
def test_bad_credentials_are_401(
    sb: Sandbox, send: Callable[..., httpx.Response], case: str, bearer: str | None, body: Any
) -> None:
    bearer = sb.api_key if bearer == "KEY" else bearer
    response = send(body, bearer=bearer, raw=b"not json" if body is None else None)
    assert response.status_code == 401, case
    assert response.json() == INVALID_AUTH
    assert sb.state.sent == []


def test_a_wrong_bearer_wins_over_a_right_body_key(sb: Sandbox, send: Callable[..., httpx.Response]) -> None:
    response = send(_body(sb, _message(), ApiKey=sb.api_key), bearer="wrong")
    assert response.status_code == 401


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[1, 2]",
        b'"text"',
        b"null",
        b'{"ServerId": 12345, "Messages": {"To": []}}',
        b'{"ServerId": 12345, "Messages": ["text"]}',
        b'{"ServerId": 12345, "Messages": [{"Subject": 5}]}',
        b'{"ServerId": 12345, "Messages": [{"To": {"EmailAddress": "a@b.c"}}]}',
        b'{"ServerId": 12345, "Messages": [{"To": ["a@b.c"]}]}',
        b'{"ServerId": 12345, "Messages": [{"From": "a@b.c"}]}',
        b'{"ServerId": 12345, "Messages": [{"Tags": [1]}]}',
        b'{"ServerId": 12345, "Messages": [{"MergeData": []}]}',
        b'{"ServerId": true, "Messages": []}',
        b'{"ServerId": 12345.0, "Messages": []}',
        b'{"ServerId": "12a", "Messages": []}',
        b"\xff\xfe",
        b"[" * 100_000,
    ],
)
def test_malformed_bodies_are_invalid_data(
    sb: Sandbox, send: Callable[..., httpx.Response], raw: bytes
) -> None:
    response = send(None, raw=raw)
    assert response.status_code == 200
    assert response.json() == {"ErrorCode": "InvalidData", "TransactionReceipt": None, "MessageResults": None}


@pytest.mark.parametrize("messages", [None, []])
def test_no_messages(sb: Sandbox, send: Callable[..., httpx.Response], messages: list[Any] | None) -> None:
    body: dict[str, Any] = {"ServerId": sb.server_id}
    if messages is not None:
        body["Messages"] = messages
    assert send(body).json() == {
        "ErrorCode": "NoMessages",
        "TransactionReceipt": None,
        "MessageResults": None,
    }


def test_ten_messages_are_fine_eleven_are_too_many(sb: Sandbox, send: Callable[..., httpx.Response]) -> None:
    assert send(_body(sb, *[_message()] * 10)).json() == SUCCESS
    assert len(sb.state.sent) == 10
    response = send(_body(sb, *[_message()] * 11))
    assert response.json() == {
        "ErrorCode": "TooManyMessages",
        "TransactionReceipt": None,
        "MessageResults": None,
    }
    assert len(sb.state.sent) == 10


ATTACHMENT = {"Name": "a.txt", "ContentType": "text/plain", "Content": "SGVsbG8="}


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"Subject": None}, "EmptySubject"),
        ({"Subject": ""}, "EmptySubject"),
        ({"From": None}, "InvalidFromAddress"),
        ({"From": {"EmailAddress": "not-an-address"}}, "InvalidFromAddress"),
        ({"From": {"FriendlyName": "No address"}}, "InvalidFromAddress"),
        ({"To": None}, "EmptyToAddress"),
        ({"To": []}, "EmptyToAddress"),
        ({"TextBody": None}, "NoValidBodyParts"),
        ({"TextBody": ""}, "NoValidBodyParts"),
        ({"TextBody": None, "AmpBody": "<amp/>"}, "NoValidBodyParts"),
        ({"ApiTemplate": "12"}, "MessageBodyConflict"),
        ({"TextBody": None, "HtmlBody": "<p/>", "ApiTemplate": "12"}, "MessageBodyConflict"),
        ({"TextBody": None, "ApiTemplate": "twelve"}, "InvalidTemplateId"),
        ({"Attachments": [{**ATTACHMENT, "Content": "not base64!"}]}, "InvalidAttachment"),
        ({"Attachments": [{"Name": "a.txt", "Content": "SGVsbG8="}]}, "InvalidAttachment"),
        ({"Metadata": [{"Key": "k", "Value": "v" * 13_000}]}, "MetadataOrTagsAreTooLarge"),
        ({"Tags": ["t" * 7_000, "u" * 7_000]}, "MetadataOrTagsAreTooLarge"),
        ({"MergeData": {"PerMessage": [[{"Field": "Name", "Value": "Ann"}]]}}, "InvalidMergeData"),
        ({"MergeData": {"PerMessage": [[{"Field": "DeliveryAddress", "Value": 5}]]}}, "InvalidMergeData"),
        ({"MergeData": {"Global": [{"Field": "Brand", "Value": None}]}}, "InvalidMergeData"),
        ({"MergeData": {"Global": [{"Value": "x"}]}}, "InvalidMergeData"),
        ({"MergeData": {"PerMessage": {"not": "a list"}}}, "InvalidMergeData"),
        ({"MergeData": {"PerMessage": [["not an object"]]}}, "InvalidMergeData"),
        ({"To": [{"EmailAddress": "bad"}, {"EmailAddress": "worse@"}]}, "NoValidRecipients"),
    ],
)
def test_message_errors(
    sb: Sandbox, send: Callable[..., httpx.Response], overrides: dict[str, Any], code: str
) -> None:
    response = send(_body(sb, _message(**overrides)))
    results = _message_results(response)
    assert [(r["Index"], r["ErrorCode"]) for r in results] == [(0, code)]
    assert sb.state.sent == []


def test_valid_variants_are_accepted(sb: Sandbox, send: Callable[..., httpx.Response]) -> None:
    variants = [
        _message(TextBody=None, ApiTemplate="12"),
        _message(TextBody=None, HtmlBody="<p>x</p>", AmpBody="<amp/>"),
        _message(Attachments=[ATTACHMENT], Metadata=[{"Key": "k", "Value": "v"}], Tags=["t"]),
        _message(CustomHeaders=[{"Name": "X-A", "Value": "1"}], ReplyTo={"EmailAddress": "r@example.com"}),
    ]
    assert send(_body(sb, *variants)).json() == SUCCESS
    assert len(sb.state.sent) == 4


def test_invalid_addresses_fail_alone(sb: Sandbox, send: Callable[..., httpx.Response]) -> None:
    recipients = [{"EmailAddress": "good@example.com"}, {"EmailAddress": "bad@"}, {"EmailAddress": "a b@c.d"}]
    response = send(_body(sb, _message(To=recipients)))
    assert _message_results(response) == [
        {
            "Index": 0,
            "ErrorCode": "Warning",
            "AddressResults": [
                {"EmailAddress": "bad@", "Accepted": False, "ErrorCode": "InvalidAddress"},
                {"EmailAddress": "a b@c.d", "Accepted": False, "ErrorCode": "InvalidAddress"},
            ],
        }
    ]
    assert [s.address for s in sb.state.sent] == ["good@example.com"]


def test_all_invalid_recipients(sb: Sandbox, send: Callable[..., httpx.Response]) -> None:
    response = send(_body(sb, _message(To=[{"EmailAddress": "bad@"}])))
    assert _message_results(response) == [
        {
            "Index": 0,
            "ErrorCode": "NoValidRecipients",
            "AddressResults": [{"EmailAddress": "bad@", "Accepted": False, "ErrorCode": "InvalidAddress"}],
        }
    ]


def test_only_failed_messages_are_listed_with_their_index(
    sb: Sandbox, send: Callable[..., httpx.Response]
) -> None:
    messages = [
        _message(),
        _message(Subject=""),
        _message(To=[{"EmailAddress": "b@example.com"}]),
        _message(From=None),
    ]
    response = send(_body(sb, *messages))
    results = _message_results(response)
    assert [(r["Index"], r["ErrorCode"], r["AddressResults"]) for r in results] == [
        (1, "EmptySubject", None),
        (3, "InvalidFromAddress", None),
    ]
    assert [(s.message_index, s.address) for s in sb.state.sent] == [
        (0, "ann@example.com"),
        (2, "b@example.com"),
    ]


def test_per_message_merge_sends_one_message_per_row(
    sb: Sandbox, send: Callable[..., httpx.Response]
) -> None:
    message = _message(
        To=[{"EmailAddress": "%%DeliveryAddress%%", "FriendlyName": "%%RecipientName%%"}],
        Subject="Hello %%RecipientName%% from %%Brand%%",
        MessageId="code-%%Code%%",
        MailingId="welcome",
        MergeData={
            "Global": [{"Field": "Brand", "Value": "Example"}],
            "PerMessage": [
                [
                    {"Field": "DeliveryAddress", "Value": "a@example.com"},
                    {"Field": "RecipientName", "Value": "Ann"},
                    {"Field": "Code", "Value": "123"},
                ],
                [{"field": "deliveryaddress", "value": "b@example.com"}, {"Field": "Code", "Value": "456"}],
                [{"Field": "DeliveryAddress", "Value": "not-valid"}],
            ],
        },
    )
    response = send(_body(sb, message))
    assert _message_results(response)[0]["ErrorCode"] == "Warning"
    assert [(s.address, s.friendly_name, s.subject, s.message_id, s.mailing_id) for s in sb.state.sent] == [
        ("a@example.com", "Ann", "Hello Ann from Example", "code-123", "welcome"),
        ("b@example.com", None, "Hello %%RecipientName%% from Example", "code-456", "welcome"),
    ]


def test_global_merge_fields_apply_to_plain_recipients(
    sb: Sandbox, send: Callable[..., httpx.Response]
) -> None:
    message = _message(
        To=[{"EmailAddress": "%%User%%@example.com"}],
        Subject="For %%User%%",
        MergeData={"Global": [{"Field": "User", "Value": "zed"}]},
    )
    assert send(_body(sb, message)).json() == SUCCESS
    assert [(s.address, s.subject) for s in sb.state.sent] == [("zed@example.com", "For zed")]


def test_a_suppressed_recipient_is_accepted_and_marked(
    sb: Sandbox, send: Callable[..., httpx.Response], api: httpx.Client
) -> None:
    api.post("/suppressions", params={"emailAddress": "Ann@Example.com"})
    assert send(_body(sb, _message())).json() == SUCCESS
    assert [s.status for s in sb.state.sent] == ["Suppressed"]


def test_a_utf8_bom_and_charset_are_fine(sb: Sandbox, send: Callable[..., httpx.Response]) -> None:
    raw = b"\xef\xbb\xbf" + json.dumps(_body(sb, _message(Subject="Grüße"))).encode()
    assert send(None, raw=raw).json() == SUCCESS
    assert sb.state.sent[0].subject == "Grüße"


def test_the_last_bodies_are_kept_without_the_key(sb: Sandbox, send: Callable[..., httpx.Response]) -> None:
    """``state.requests``: what tests read back, field by field; a bounded window, credentials dropped."""
    from socketlabs_sandbox._state import KEPT_REQUESTS

    send(_body(sb, _message(Subject="in the body"), ApiKey=sb.api_key), bearer=None)
    assert list(sb.state.requests) == [
        {
            "serverid": sb.server_id,
            "messages": [
                {
                    "to": [{"emailaddress": "ann@example.com", "friendlyname": "Ann"}],
                    "from": {"emailaddress": "noreply@example.com", "friendlyname": "Example"},
                    "subject": "in the body",
                    "textbody": "Hello Ann",
                }
            ],
        }
    ]
    send(_body(sb, _message()), bearer="wrong-key")  # refused: not kept
    for i in range(KEPT_REQUESTS + 5):
        send(_body(sb, _message(Subject=f"n{i}")))
    assert len(sb.state.requests) == KEPT_REQUESTS
    assert sb.state.requests[0]["messages"][0]["subject"] == "n5"  # type: ignore[index]
    sb.reset()
    assert list(sb.state.requests) == []
