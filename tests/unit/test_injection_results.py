"""Packing into requests, dry runs, the failure decision and reading answers into per-recipient results."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from socketlabs_api.models import InjectionErrorCode, InjectionResponse
from socketlabs_api.operations import OPERATIONS
from socketlabs_client import (
    APIConnectionError,
    APITimeoutError,
    BasicMessage,
    BulkMessage,
    ConfigurationError,
    InjectionOverQuotaError,
    InjectionRejectedError,
    InternalServerError,
    MalformedResponseError,
    MessageValidationError,
    Outcome,
    RateLimitError,
    SocketLabs,
    explain,
    failure_outcome,
)
from socketlabs_client._errors import APIError, connection_error, injection_error, status_error
from socketlabs_client._injection import XML_ROOT, _from_response, plan
from socketlabs_client._retries import Observation, decide
from socketlabs_client._xml import XmlError, from_xml, to_xml, wants_xml, with_xml_member

SPEC = Path(__file__).resolve().parents[2] / "spec" / "openapi.yaml"
OP = OPERATIONS["sendEmail"]


def _basic(i: int = 0, recipients: int = 1) -> BasicMessage:
    to = [f"m{i}r{j}@example.com" for j in range(recipients)]
    return BasicMessage(subject=f"Hi {i}", from_="noreply@example.com", text="Hello", to=to)


def _bulk(count: int) -> BulkMessage:
    bulk = BulkMessage(subject="Hi", from_="noreply@example.com", text="Hello %%RecipientName%%")
    for i in range(count):
        bulk.add_recipient(f"r{i}@example.com", f"R{i}")
    return bulk


@pytest.mark.parametrize(("count", "per_request"), [(10, [10]), (11, [10, 1]), (1, [1]), (25, [10, 10, 5])])
def test_messages_are_packed_ten_to_a_request(count: int, per_request: list[int]) -> None:
    requests = plan([_basic(i) for i in range(count)], server_id=7)
    assert [len(r.body.messages) for r in requests] == per_request
    assert all(r.body.server_id == 7 for r in requests)


@pytest.mark.parametrize(
    ("recipients", "messages", "requests"),
    [(50, 1, 1), (51, 2, 1), (500, 10, 1), (501, 11, 2), (10_000, 200, 20)],
)
def test_a_merge_is_split_into_messages_and_requests(recipients: int, messages: int, requests: int) -> None:
    planned = plan(_bulk(recipients), server_id=7)
    assert sum(len(r.body.messages) for r in planned) == messages
    assert len(planned) == requests
    assert sum(r.recipient_count for r in planned) == recipients


def test_limits_are_configurable_and_checked() -> None:
    planned = plan(_bulk(30), server_id=7, recipients_per_message=10, messages_per_request=2)
    assert [len(r.body.messages) for r in planned] == [2, 1]
    for bad in ({"messages_per_request": 0}, {"recipients_per_message": 0}, {"fmt": "yaml"}):
        with pytest.raises(ConfigurationError):
            plan(_bulk(1), server_id=7, **bad)  # type: ignore[arg-type]


def test_an_invalid_message_names_its_position_and_nothing_is_planned() -> None:
    broken = BasicMessage(subject="", from_="noreply@example.com", text="x", to=["a@example.com"])
    with pytest.raises(MessageValidationError) as caught:
        plan([_basic(0), _basic(1), broken], server_id=7)
    assert (caught.value.message_index, caught.value.field) == (2, "Subject")
    assert str(caught.value).startswith("message 2: Subject")
    with pytest.raises(MessageValidationError):
        plan([], server_id=7)


def test_dry_run_builds_requests_without_sending() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError("a dry run must not send")

    with SocketLabs(api_key="k", server_id=7, transport=httpx.MockTransport(refuse)) as client:
        report = client.send([_bulk(120), _basic(9, recipients=3)], dry_run=True)
    assert report.dry_run and not report.ok
    assert [r.recipient_count for r in report.requests] == [123]
    assert {r.outcome for r in report.recipients} == {Outcome.NOT_SENT}
    assert [r.address for r in report.recipients][-3:] == [
        "m9r0@example.com",
        "m9r1@example.com",
        "m9r2@example.com",
    ]
    assert [r.message for r in report.recipients] == [0] * 120 + [1] * 3


def test_xml_round_trip_of_a_request_body() -> None:
    (planned,) = plan(_bulk(2), server_id=7, fmt="xml")
    assert planned.content_type.startswith("application/xml")
    root, data = from_xml(planned.content)
    assert root == XML_ROOT
    assert data == {**planned.body.to_dict(), "ServerId": "7"}  # XML carries no types: the number is text
    keyed = with_xml_member(planned.content, "ApiKey", "secret")
    assert keyed is not None and from_xml(keyed)[1]["ApiKey"] == "secret"
    assert with_xml_member(keyed, "apikey", "other") is None
    with pytest.raises(XmlError):
        with_xml_member(b"not xml", "ApiKey", "x")


def test_xml_answer_parses_into_the_generated_model() -> None:
    answer = {
        "ErrorCode": "Warning",
        "TransactionReceipt": None,
        "MessageResults": [
            {
                "Index": 0,
                "ErrorCode": "Warning",
                "AddressResults": [
                    {"EmailAddress": "b@x.invalid", "Accepted": False, "ErrorCode": "InvalidAddress"}
                ],
            }
        ],
    }
    parsed = InjectionResponse.from_dict(from_xml(to_xml("InjectionResponse", answer))[1])
    assert parsed.to_dict() == {k: v for k, v in answer.items() if v is not None}


def test_the_spec_declares_the_xml_form_the_client_writes() -> None:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    declared = spec["paths"]["/email"]["post"]["x-xml"]
    assert declared["root"] == XML_ROOT
    assert wants_xml(declared["mediaType"])
    assert not wants_xml("application/json") and wants_xml("application/problem+xml, text/plain")


def _response(status: int, body: bytes = b"{}") -> httpx.Response:
    return httpx.Response(
        status, content=body, request=httpx.Request("POST", "http://inject.test/api/v1/email")
    )


def _judged(error: APIError, seen: Observation) -> APIError:
    """The error as the lifecycle hands it over: carrying the one verdict on the answer."""
    decision = decide("send", seen, 60.0)
    error.processed, error.retryable = decision.processed, decision.retryable
    return error


def _injection_failure(code: str) -> APIError:
    result = InjectionResponse.from_dict({"ErrorCode": code})
    error = injection_error(OP, _response(200), result, ())
    assert isinstance(error, InjectionRejectedError | InjectionOverQuotaError)
    return _judged(error, Observation(status=200, injection_code=code))


def _status(status: int) -> APIError:
    return _judged(status_error(OP, _response(status), ()), Observation(status=status))


@pytest.mark.parametrize(
    ("make", "outcome", "retryable"),
    [
        (lambda: _injection_failure("OverQuota"), Outcome.REJECTED, True),
        (lambda: _injection_failure("TooManyMessages"), Outcome.REJECTED, False),
        (lambda: _injection_failure("SomethingNew"), Outcome.REJECTED, False),
        (lambda: _status(429), Outcome.REJECTED, True),
        (lambda: _status(401), Outcome.REJECTED, False),
        (lambda: _status(500), Outcome.IN_DOUBT, False),
        # 503 is retried as "not processed"; the report says the same (one verdict, not two).
        (lambda: _status(503), Outcome.REJECTED, True),
        (
            lambda: _judged(
                MalformedResponseError("bad", operation=OP, response=_response(200)),
                Observation(status=200, unreadable=True),
            ),
            Outcome.IN_DOUBT,
            False,
        ),
    ],
)
def test_failure_outcome_of_answers(make: object, outcome: Outcome, retryable: bool) -> None:
    assert failure_outcome(make()) == (outcome, retryable)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("exc", "cls", "outcome", "retryable"),
    [
        (httpx.ConnectError("refused"), APIConnectionError, Outcome.REJECTED, True),
        (httpx.ConnectTimeout("slow connect"), APITimeoutError, Outcome.REJECTED, True),
        (httpx.ReadTimeout("no answer"), APITimeoutError, Outcome.IN_DOUBT, False),
        (httpx.RemoteProtocolError("reset"), APIConnectionError, Outcome.IN_DOUBT, False),
        (httpx.WriteError("broken pipe"), APIConnectionError, Outcome.IN_DOUBT, False),
    ],
)
def test_failure_outcome_of_connection_errors(
    exc: httpx.HTTPError, cls: type[APIConnectionError], outcome: Outcome, retryable: bool
) -> None:
    request = httpx.Request("POST", "http://inject.test/api/v1/email")
    try:
        raise _judged(connection_error(OP, request, exc), Observation(error=exc)) from exc
    except APIConnectionError as error:
        assert type(error) is cls
        assert failure_outcome(error) == (outcome, retryable)


def test_types_of_the_failure_classes() -> None:
    assert isinstance(status_error(OP, _response(429), ()), RateLimitError)
    assert isinstance(status_error(OP, _response(502), ()), InternalServerError)


def test_results_per_message_and_address() -> None:
    planned = plan(
        [_basic(0, recipients=2), _basic(1, recipients=2), _basic(2, recipients=1), _basic(3, recipients=2)],
        server_id=7,
    )[0]
    answer = InjectionResponse.from_dict(
        {
            "ErrorCode": "Warning",
            "MessageResults": [
                {
                    "Index": 1,
                    "ErrorCode": "Warning",
                    "AddressResults": [
                        {"EmailAddress": "M1R1@example.com", "Accepted": False, "ErrorCode": "InvalidAddress"}
                    ],
                },
                {"Index": 2, "ErrorCode": "EmptySubject", "AddressResults": None},
                {"Index": 3, "ErrorCode": "BrandNewCode"},
            ],
        }
    )
    results = {r.address: r for r in _from_response(planned, answer)}
    assert {a for a, r in results.items() if r.outcome is Outcome.ACCEPTED} == {
        "m0r0@example.com",
        "m0r1@example.com",
        "m1r0@example.com",
    }
    assert results["m1r1@example.com"].code is InjectionErrorCode.INVALIDADDRESS
    assert "the address is not valid" in results["m1r1@example.com"].detail
    assert results["m2r0@example.com"].code is InjectionErrorCode.EMPTYSUBJECT
    unknown = results["m3r0@example.com"]
    assert unknown.outcome is Outcome.REJECTED and unknown.code is not None and not unknown.code.is_known
    assert str(unknown.code) == "BrandNewCode"
    assert "does not know" in explain(unknown.code)
    assert explain(InjectionErrorCode.WARNING).startswith("some messages")


def test_transaction_receipts_and_codes_are_kept() -> None:
    from socketlabs_client import RequestResult

    (planned,) = plan(_basic(0), server_id=7)
    failed = InjectionResponse.from_dict({"ErrorCode": "InternalError", "TransactionReceipt": "rcpt-123"})
    error = injection_error(OP, _response(200), failed, ())
    assert error is not None and error.transaction_receipt == "rcpt-123"
    from_error = RequestResult(0, planned.body, 1, error=error)
    assert (from_error.error_code, from_error.transaction_receipt) == (
        InjectionErrorCode.INTERNALERROR,
        "rcpt-123",
    )
    answered = InjectionResponse.from_dict(
        {"ErrorCode": "Warning", "TransactionReceipt": "rcpt-456", "MessageResults": []}
    )
    from_answer = RequestResult(0, planned.body, 1, response=answered)
    assert (from_answer.error_code, from_answer.transaction_receipt) == (
        InjectionErrorCode.WARNING,
        "rcpt-456",
    )
    quiet = RequestResult(0, planned.body, 1, response=InjectionResponse.from_dict({"ErrorCode": "Success"}))
    assert quiet.transaction_receipt is None


def test_xml_keeps_carriage_returns_through_the_key_being_added() -> None:
    """A raw CR would reach the server as LF (XML end-of-line handling): it is written as ``&#13;``."""
    body = to_xml("PostBody", {"Messages": [{"TextBody": "a\r\nb\rc"}]})
    assert b"\r" not in body
    keyed = with_xml_member(body, "ApiKey", "k")
    assert keyed is not None and b"\r" not in keyed
    assert from_xml(keyed)[1]["Messages"][0]["TextBody"] == "a\r\nb\rc"
