from __future__ import annotations

import contextlib
import json
import logging
import warnings
from collections.abc import Callable

import httpx
import pytest
from socketlabs_api.models import InjectionErrorCode
from socketlabs_client import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ErrorDetail,
    InjectionAuthenticationError,
    InjectionOverQuotaError,
    InjectionRejectedError,
    InternalServerError,
    MalformedResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ShapeDriftWarning,
    SocketLabs,
    SocketLabsError,
)
from socketlabs_client._errors import error_details, parse_retry_after

SENTINEL = "SENTINEL-KEY-7f3a9c"
OK_INJECTION = {"ErrorCode": "Success", "TransactionReceipt": None, "MessageResults": []}
MESSAGE = {
    "ServerId": 1,
    "Messages": [
        {"To": [{"EmailAddress": "a@example.com"}], "From": {"EmailAddress": "b@example.com"}, "Subject": "s"}
    ],
}


def _client(handler: Callable[[httpx.Request], httpx.Response], key: str = SENTINEL) -> SocketLabs:
    # max_retries=0: these tests are about how one answer maps to an error, not about retries.
    return SocketLabs(api_key=key, server_id=1, transport=httpx.MockTransport(handler), max_retries=0)


def _answer(
    status: int, body: object, headers: dict[str, str] | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return lambda request: httpx.Response(
        status, content=content, headers=headers or {"Content-Type": "application/json"}
    )


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
        (418, APIStatusError),
    ],
)
def test_status_maps_to_its_class(status: int, cls: type[APIStatusError]) -> None:
    body = {"error": [{"errorType": "Kind", "message": "what happened"}]}
    with _client(_answer(status, body)) as client, pytest.raises(cls) as err:
        client.suppressions.check(email_address="a@example.com")
    assert type(err.value) is cls
    assert err.value.status_code == status
    assert err.value.errors == (ErrorDetail("Kind", "what happened"),)
    assert err.value.operation_id == "checkSuppression"
    assert "what happened" in str(err.value)
    assert "GET https://api.socketlabs.com/v2/servers/1/suppressions" in str(err.value)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"error": [{"errorType": "A", "message": "a"}, {"errorType": "B", "message": "b"}]},
            [("A", "a"), ("B", "b")],
        ),
        ({"ERROR": [{"ErrorType": "A", "Message": "a"}]}, [("A", "a")]),
        ({"error": {"errorType": "A", "message": "a"}}, [("A", "a")]),
        ({"error": "plain text"}, [("Unknown", "plain text")]),
        ([{"ErrorType": "V1", "Message": "v1 style"}], [("V1", "v1 style")]),
        (
            {"ErrorCode": "InvalidAuthentication", "MessageResults": None},
            [("InvalidAuthentication", "the server id and API key do not match")],
        ),
        ({"something": "else"}, []),
        (b"<html>Bad gateway</html>", []),
        (b"\xff\xfe", []),
    ],
)
def test_error_bodies_are_read_leniently(body: object, expected: list[tuple[str, str]]) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    assert [(d.error_type, d.message) for d in error_details(raw, ())] == expected


def test_an_unparseable_error_body_still_gives_a_typed_error_with_a_preview() -> None:
    handler = _answer(502, b"<html>Bad gateway</html>", {"Content-Type": "text/html"})
    with (
        _client(handler) as client,
        pytest.raises(InternalServerError, match=r"502 Bad Gateway .*Bad gateway"),
    ):
        client.suppressions.check(email_address="a@example.com")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"data": {"emailAddress": "a@example.com"}}',
        b'{"data": "x"}',
        b'{"unexpected": 1}',
    ],
)
def test_a_malformed_success_body_is_a_typed_error_never_a_keyerror(body: bytes) -> None:
    # An object with none of the modeled members but others is drift: it is named as well.
    drift = body == b'{"unexpected": 1}'
    named = (
        pytest.warns(ShapeDriftWarning, match="received unexpected") if drift else contextlib.nullcontext()
    )
    with _client(_answer(200, body)) as client, named, pytest.raises(MalformedResponseError) as err:
        client.suppressions.check(email_address="a@example.com")
    assert err.value.status_code == 200
    assert "does not match the spec" in str(err.value)
    assert ("received unexpected" in str(err.value)) == drift


def test_an_undocumented_success_status_is_a_typed_error() -> None:
    with _client(lambda r: httpx.Response(204)) as client, pytest.raises(MalformedResponseError, match="204"):
        client.suppressions.check(email_address="a@example.com")


def test_connection_failures_and_timeouts_are_typed() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with _client(refuse) as client, pytest.raises(APIConnectionError, match="ConnectError") as err:
        client.suppressions.check(email_address="a@example.com")
    assert not isinstance(err.value, APITimeoutError)
    with _client(slow) as client, pytest.raises(APITimeoutError, match="timed out"):
        client.suppressions.check(email_address="a@example.com")


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("InvalidAuthentication", InjectionAuthenticationError),
        ("AccountDisabled", InjectionAuthenticationError),
        ("TooManyErrors", InjectionAuthenticationError),
        ("OverQuota", InjectionOverQuotaError),
        ("InvalidData", InjectionRejectedError),
        ("TooManyMessages", InjectionRejectedError),
        ("SomethingNew", InjectionRejectedError),
    ],
)
def test_injection_failure_codes_raise_typed_errors(code: str, cls: type[Exception]) -> None:
    body = {"ErrorCode": code, "TransactionReceipt": "R-1", "MessageResults": None}
    from socketlabs_api.models import InjectionRequest

    with _client(_answer(200, body)) as client, pytest.raises(cls) as err:
        client.injection.send(InjectionRequest.from_dict(MESSAGE))
    assert str(err.value.error_code) == code  # type: ignore[attr-defined]
    assert err.value.transaction_receipt == "R-1"  # type: ignore[attr-defined]
    assert code in str(err.value)


def test_injection_warning_is_returned_with_its_per_address_results() -> None:
    body = {
        "ErrorCode": "Warning",
        "TransactionReceipt": None,
        "MessageResults": [
            {
                "Index": 0,
                "ErrorCode": "NoValidRecipients",
                "AddressResults": [
                    {"EmailAddress": "bad@", "Accepted": False, "ErrorCode": "InvalidAddress"}
                ],
            }
        ],
    }
    from socketlabs_api.models import InjectionRequest

    with _client(_answer(200, body)) as client:
        result = client.injection.send(InjectionRequest.from_dict(MESSAGE))
    assert result.error_code is InjectionErrorCode.WARNING
    address = result.message_results[0].address_results[0]  # type: ignore[index]
    assert (address.email_address, address.accepted, address.error_code) == ("bad@", False, "InvalidAddress")


def test_retry_after_in_seconds_and_as_a_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    with (
        _client(
            _answer(
                429, {"error": [{"errorType": "RateLimit", "message": "slow down"}]}, {"Retry-After": "12"}
            )
        ) as c,
        pytest.raises(RateLimitError) as err,
    ):
        c.suppressions.check(email_address="a@example.com")
    assert err.value.retry_after == 12.0


def test_the_key_never_reaches_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    """A hostile or buggy server echoes the key back; nothing we raise or log may show it."""
    echo = {"error": [{"errorType": f"Bad{SENTINEL}", "message": f"key {SENTINEL} is wrong"}]}
    from socketlabs_api.models import InjectionRequest

    scenarios: list[Callable[[httpx.Request], httpx.Response]] = [
        _answer(401, echo),
        _answer(500, f"<pre>{SENTINEL}</pre>".encode()),
        _answer(200, f'{{"data": "{SENTINEL}"}}'.encode()),
        _answer(
            200,
            {"ErrorCode": "InvalidAuthentication", "TransactionReceipt": SENTINEL, "MessageResults": None},
        ),
    ]
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    for handler in scenarios:
        # A drifted answer is also named in a ShapeDriftWarning: it must not show the key either.
        with _client(handler) as client, warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            for call in (
                lambda: client.suppressions.check(email_address="a@example.com"),
                lambda: client.injection.send(InjectionRequest.from_dict(MESSAGE)),
            ):
                try:
                    call()
                except SocketLabsError as exc:
                    texts += [str(exc), repr(exc), *(repr(d) for d in getattr(exc, "errors", ()))]
                    texts += [getattr(exc, "body", ""), getattr(exc, "full_body", "")]
        texts += [str(w.message) for w in warned]
    assert len(texts) >= 8
    texts += [record.getMessage() for record in caplog.records]
    assert [t for t in texts if SENTINEL in t] == []
