# ruff: noqa: S301 - the tests unpickle what they pickled themselves
"""The request lifecycle against a misbehaving server: time bounded, answers typed, nothing lost.

Every test talks HTTP to a raw server on 127.0.0.1 that sends exactly the bytes it
is scripted to send (drips, stalls, resets, absurd or hostile answers).
"""

from __future__ import annotations

import base64
import gzip
import json
import pickle
import time
import warnings
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from socketlabs_client import (
    APIError,
    APITimeoutError,
    AsyncSocketLabs,
    BasicMessage,
    ClientStateError,
    InvalidParameterError,
    MalformedResponseError,
    Outcome,
    OutcomeUnknownError,
    Processed,
    RateLimitError,
    ResponseTooLargeError,
    RetryPolicy,
    SocketLabs,
    SocketLabsError,
)

from .rawserver import RawServer, drip, elapsed, response

KEY = "k3yPart0123456789abc.s3cretPart01234567890123456789012345678x"
CHECK_OK = json.dumps({"data": {"emailAddress": "a@example.com", "isSuppressed": False}}).encode()
FAST = RetryPolicy(max_retries=2, initial_backoff=0.01, max_backoff=0.02, deadline=10.0)


def _client(raw: RawServer, **options: Any) -> SocketLabs:
    options.setdefault("retry", FAST)
    return SocketLabs(
        api_key=KEY,
        server_id=1,
        base_url=f"{raw.url}/v2",
        inject_url=f"{raw.url}/api/v1",
        management_url=f"{raw.url}/v1",
        rate_limiter=False,
        **options,
    )


def _aclient(raw: RawServer, **options: Any) -> AsyncSocketLabs:
    options.setdefault("retry", FAST)
    return AsyncSocketLabs(
        api_key=KEY,
        server_id=1,
        base_url=f"{raw.url}/v2",
        inject_url=f"{raw.url}/api/v1",
        management_url=f"{raw.url}/v1",
        rate_limiter=False,
        **options,
    )


def _message(recipients: int = 3) -> BasicMessage:
    return BasicMessage(
        subject="s", from_="from@example.com", text="t", to=[f"r{i}@example.com" for i in range(recipients)]
    )


# -- the deadline bounds wall time -------------------------------------------------------------

DRIP_BODY = response(200, CHECK_OK)
HEAD, _, BODY = DRIP_BODY.partition(b"\r\n\r\n")


@pytest.mark.parametrize(
    "script",
    [
        pytest.param([HEAD + b"\r\n\r\n", *drip(BODY, 0.2)], id="body-drip"),
        pytest.param(drip(DRIP_BODY, 0.2), id="header-drip"),
        pytest.param([30.0], id="stall"),
    ],
)
def test_a_drip_or_stall_cannot_outlive_the_deadline_sync(raw: RawServer, script: list[Any]) -> None:
    raw.answer(*script)
    policy = RetryPolicy(max_retries=3, initial_backoff=0.01, max_backoff=0.02, deadline=1.0)
    with _client(raw, timeout=5.0, retry=policy) as client:
        start = time.monotonic()
        with pytest.raises(APITimeoutError) as caught:
            client.suppressions.check(email_address="a@example.com")
        took = elapsed(start)
    assert took < 1.0 + 0.5, f"the call took {took:.2f} s past a 1 s deadline"
    assert caught.value.processed is Processed.UNKNOWN


@pytest.mark.parametrize(
    "script",
    [
        pytest.param([HEAD + b"\r\n\r\n", *drip(BODY, 0.2)], id="body-drip"),
        pytest.param(drip(DRIP_BODY, 0.2), id="header-drip"),
        pytest.param([30.0], id="stall"),
    ],
)
async def test_a_drip_or_stall_cannot_outlive_the_deadline_async(raw: RawServer, script: list[Any]) -> None:
    raw.answer(*script)
    policy = RetryPolicy(max_retries=3, initial_backoff=0.01, max_backoff=0.02, deadline=1.0)
    async with _aclient(raw, timeout=5.0, retry=policy) as client:
        start = time.monotonic()
        with pytest.raises(APITimeoutError):
            await client.suppressions.check(email_address="a@example.com")
        took = elapsed(start)
    assert took < 1.0 + 0.5, f"the call took {took:.2f} s past a 1 s deadline"


def test_a_dripping_send_is_in_doubt_within_the_deadline_and_never_repeated(raw: RawServer) -> None:
    raw.answer(*drip(response(200, b'{"ErrorCode":"Success","MessageResults":[]}'), 0.2))
    policy = RetryPolicy(max_retries=3, initial_backoff=0.01, max_backoff=0.02, deadline=1.0)
    with _client(raw, timeout=5.0, retry=policy) as client:
        start = time.monotonic()
        report = client.send(_message(3))
        took = elapsed(start)
    assert took < 1.5
    assert [r.outcome for r in report.recipients] == [Outcome.IN_DOUBT] * 3
    assert len(raw.requests) == 1, "a send that may have been processed is never repeated"


# -- Retry-After: garbage ignored, every wait and pause capped ----------------------------------


@pytest.mark.parametrize("value", ["inf", "1e400", "nan", "-5", "Fri, 31 Dec 99999 23:59:59 GMT", "x" * 5000])
def test_garbage_retry_after_is_ignored_and_the_backoff_used(raw: RawServer, value: str) -> None:
    answers = [response(429, b"{}", [("Retry-After", value)]), response(200, CHECK_OK)]
    raw.script = lambda _: [answers[min(len(raw.requests), 2) - 1]]
    with _client(raw) as client:
        assert client.suppressions.check(email_address="a@example.com").is_suppressed is False
    assert len(raw.requests) == 2


def test_a_hostile_retry_after_raises_at_once_and_pauses_the_key_at_most_the_cap(raw: RawServer) -> None:
    raw.answer(response(429, b"{}", [("Retry-After", "99999")]))
    policy = RetryPolicy(max_retries=2, initial_backoff=0.01, max_backoff=0.02, max_retry_after=0.5)
    with _client(raw, retry=policy) as plain:
        client = plain.with_options(rate_limiter=True)
        with pytest.raises(RateLimitError) as caught:
            client.suppressions.check(email_address="a@example.com")
        assert caught.value.retry_after == 99999
        assert caught.value.processed is Processed.NO
        raw.answer(response(200, CHECK_OK))
        start = time.monotonic()
        client.suppressions.check(email_address="a@example.com")
        assert elapsed(start) < 0.5 + 0.3, "the fleet-wide pause is capped by max_retry_after"


# -- every answer becomes a SocketLabsError -----------------------------------------------------


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


HOSTILE = [
    pytest.param(response(200, _nested(100_000)), id="deep-json"),
    pytest.param(
        response(200, b'{"data": {"emailAddress": "a", "isSuppressed": 1e999999}}'), id="huge-number"
    ),
    pytest.param(response(500, _nested(100_000)), id="deep-error-body"),
    pytest.param(response(200, b"\xff\xfe\x00garbage"), id="not-utf8"),
    pytest.param(response(200, b'{"data": null}'), id="null-data"),
    pytest.param(response(200, CHECK_OK[:20], length=len(CHECK_OK)), id="truncated"),
    pytest.param(b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", id="bad-header-line"),
    pytest.param(b"NOT HTTP AT ALL\r\n\r\n", id="not-http"),
    pytest.param(
        response(200, CHECK_OK, [("Content-Type", "application/json; charset=klingon")]), id="charset"
    ),
]


@pytest.mark.parametrize("answer", HOSTILE)
def test_a_hostile_answer_to_a_read_is_a_typed_error(raw: RawServer, answer: bytes) -> None:
    raw.answer(answer, None)
    with _client(raw) as client:
        try:
            client.suppressions.check(email_address="a@example.com")
        except SocketLabsError as error:
            assert isinstance(error, APIError)
            pickle.loads(pickle.dumps(error))


@pytest.mark.parametrize("answer", HOSTILE)
async def test_a_hostile_answer_to_a_send_lands_in_the_report(raw: RawServer, answer: bytes) -> None:
    raw.answer(answer, None)
    async with _aclient(raw) as client:
        report = await client.send(_message(2))
    assert len(report.recipients) == 2
    assert all(r.outcome in (Outcome.IN_DOUBT, Outcome.REJECTED, Outcome.ACCEPTED) for r in report.recipients)


def test_deeply_nested_send_answer_is_an_unknown_outcome_not_a_recursion_error(raw: RawServer) -> None:
    raw.answer(response(200, _nested(100_000)))
    with _client(raw) as client, pytest.raises(OutcomeUnknownError) as caught:
        client.injection.send(_body())  # the typed call: the same lifecycle as send()
    assert caught.value.processed is Processed.UNKNOWN
    assert len(raw.requests) == 1


def _body() -> Any:
    from socketlabs_api.models import InjectionRequest

    return InjectionRequest.from_dict(
        {
            "ServerId": 1,
            "Messages": [
                {
                    "To": [{"EmailAddress": "a@example.com"}],
                    "From": {"EmailAddress": "b@example.com"},
                    "Subject": "s",
                }
            ],
        }
    )


def test_a_decompression_bomb_is_refused_before_it_fills_memory(raw: RawServer) -> None:
    bomb = gzip.compress(b"[" + b" " * (64 * 1024 * 1024) + b"]", compresslevel=9)
    raw.answer(response(200, bomb, [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]))
    with _client(raw, max_response_size=8 * 1024 * 1024) as client, pytest.raises(ResponseTooLargeError):
        client.suppressions.check(email_address="a@example.com")


def test_an_answer_over_the_size_cap_is_refused(raw: RawServer) -> None:
    raw.answer(response(200, b'{"data": "' + b"x" * 200_000 + b'"}'))
    with _client(raw, max_response_size=100_000) as client, pytest.raises(ResponseTooLargeError) as caught:
        client.suppressions.check(email_address="a@example.com")
    assert caught.value.limit == 100_000
    assert isinstance(caught.value, MalformedResponseError)


# -- secrets never show, in any encoding --------------------------------------------------------

FORMS = {
    "raw": KEY,
    "url": quote(KEY, safe=""),
    "basic": base64.b64encode(f"socketlabs:{KEY}".encode()).decode(),
    "b64": base64.b64encode(KEY.encode()).decode(),
}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("offset", [0, 250, 280, 299])
def test_an_echoed_key_never_shows_in_an_error(raw: RawServer, form: str, offset: int) -> None:
    text = "e" * offset + FORMS[form] + " and more"
    body = json.dumps({"error": [{"errorType": "Bad", "message": text}]}).encode()
    for status in (400, 500):
        raw.answer(response(status, body, [("Content-Type", "application/json"), ("X-Echo", FORMS[form])]))
        with _client(raw, auth="basic", retry=RetryPolicy(max_retries=0)) as client:
            with pytest.raises(APIError) as caught:
                client.suppressions.check(email_address="a@example.com")
            shown = " ".join(
                [
                    str(caught.value),
                    repr(caught.value),
                    getattr(caught.value, "body", ""),
                    repr(getattr(caught.value, "errors", "")),
                ]
            )
            for secret in FORMS.values():
                assert secret not in shown
            assert KEY[10:40] not in shown


# -- lifecycle misuse and bad input: typed, before anything is sent ----------------------------


@pytest.mark.parametrize("domain", ["", ".", ".."])
def test_path_values_that_leave_the_endpoint_are_refused(raw: RawServer, domain: str) -> None:
    with _client(raw) as client, pytest.raises(InvalidParameterError):
        client.bounce_domains.delete(domain=domain)
    assert raw.requests == []


@pytest.mark.parametrize("server_id", [0, -1, True])
def test_a_per_call_server_id_must_be_a_positive_int(raw: RawServer, server_id: Any) -> None:
    with _client(raw) as client, pytest.raises(InvalidParameterError):
        client.suppressions.check(email_address="a@example.com", server_id=server_id)
    assert raw.requests == []


@pytest.mark.parametrize("headers", [{"X-A": "a\r\nInjected: 1"}, {"Bad Name": "v"}, {"X-A": "ünïcode€"}])
def test_headers_that_cannot_be_written_are_refused(raw: RawServer, headers: dict[str, str]) -> None:
    with _client(raw) as client, pytest.raises(InvalidParameterError):
        client.suppressions.check(email_address="a@example.com", extra_headers=headers)
    assert raw.requests == []


def test_a_closed_client_is_a_typed_error_and_send_still_accounts_for_everyone(raw: RawServer) -> None:
    client = _client(raw)
    client.close()
    with pytest.raises(ClientStateError, match="closed"):
        client.suppressions.check(email_address="a@example.com")
    report = client.send(_message(2))
    assert [r.outcome for r in report.recipients] == [Outcome.REJECTED, Outcome.REJECTED]
    assert all("ClientStateError" in r.detail for r in report.recipients)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_async_client_serves_a_second_event_loop_on_pools_of_its_own(raw: RawServer) -> None:
    import asyncio
    import gc

    raw.answer(response(200, CHECK_OK))
    client = _aclient(raw)
    asyncio.run(client.suppressions.check(email_address="a@example.com"))  # leaves a pooled connection
    asyncio.run(client.suppressions.check(email_address="a@example.com"))
    assert len(raw.requests) == 2
    given = _aclient(raw, transport=httpx.AsyncHTTPTransport())
    asyncio.run(given.suppressions.check(email_address="a@example.com"))
    with pytest.raises(ClientStateError, match="event loop"):  # a given transport cannot be copied
        asyncio.run(given.suppressions.check(email_address="a@example.com"))
    assert len(raw.requests) == 3, "refused before anything was sent"
    del client, given
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()  # the first loop's connection is finalised here, not in a later test


# -- per-request options, shared pools ----------------------------------------------------------


def test_per_request_options_reach_the_wire_and_with_options_shares_the_pools(raw: RawServer) -> None:
    raw.answer(response(503, b"{}"))
    with _client(raw) as client:
        with pytest.raises(APIError):
            client.suppressions.check(
                email_address="a@example.com",
                max_retries=0,
                extra_headers={"X-Trace": "t1"},
                extra_query={"debug": "1"},
            )
        assert len(raw.requests) == 1, "max_retries=0 for this call"
        assert raw.requests[0].headers["x-trace"] == "t1"
        assert "debug=1" in raw.requests[0].target
        copy = client.with_options(timeout=3)
        assert copy.http_client is client.http_client


def test_client_request_sends_filters_in_the_docs_wire_form(raw: RawServer) -> None:
    raw.answer(response(200, b"{}"))
    with _client(raw) as client:
        client.request("GET", "/servers/{serverId}/x", filters="name=start:jo&emailAddress=end:gmail.com")
    assert raw.requests[0].target.endswith("?filters=name=start:jo&emailAddress=end:gmail.com")


# -- errors pickle with their attributes --------------------------------------------------------


def test_every_error_pickles_with_its_attributes(raw: RawServer) -> None:
    raw.answer(response(404, json.dumps({"error": [{"errorType": "NotFound", "message": "m"}]}).encode()))
    with _client(raw) as client, pytest.raises(APIError) as caught:
        client.suppressions.check(email_address="a@example.com")
    again = pickle.loads(pickle.dumps(caught.value))
    assert type(again) is type(caught.value)
    assert (again.status_code, again.errors, again.url, again.processed, str(again)) == (  # type: ignore[attr-defined]
        404,
        caught.value.errors,
        caught.value.url,
        Processed.NO,
        str(caught.value),  # type: ignore[attr-defined]
    )
    unknown = OutcomeUnknownError("x", operation=None, method="POST", url="u", in_doubt=(), status_code=502)
    assert pickle.loads(pickle.dumps(unknown)).status_code == 502


def test_a_transport_that_raises_mid_read_is_retried_for_reads(raw: RawServer) -> None:
    answers = [response(200, CHECK_OK[:10], length=len(CHECK_OK)), response(200, CHECK_OK)]
    raw.script = lambda _: [answers[min(len(raw.requests), 2) - 1], None]
    with _client(raw) as client:
        assert client.suppressions.check(email_address="a@example.com").is_suppressed is False
    assert len(raw.requests) == 2
    assert isinstance(httpx.RemoteProtocolError("x"), httpx.TransportError)


def test_send_takes_the_per_request_options_too(raw: RawServer) -> None:
    raw.answer(response(503, b"{}"))
    with _client(raw) as client:
        report = client.send(_message(2), max_retries=0, extra_headers={"X-Trace": "send-1"})
    assert len(raw.requests) == 1, "max_retries=0 for this send"
    assert raw.requests[0].headers["x-trace"] == "send-1"
    assert [(r.outcome, r.retryable) for r in report.recipients] == [(Outcome.REJECTED, True)] * 2


def test_waiting_for_a_pooled_connection_is_bounded_by_the_deadline(raw: RawServer) -> None:
    """One connection, held by a stalled call: the next call's wait for it ends at its deadline."""
    import threading

    raw.answer(30.0)
    policy = RetryPolicy(max_retries=0, deadline=1.0)
    held = threading.Event()
    with _client(raw, max_connections=1, timeout=30.0, retry=policy) as client:

        def hold() -> None:  # a longer deadline: it keeps the one connection past the second call's
            with pytest.raises(APITimeoutError):
                client.with_options(deadline=2.5).suppressions.check(email_address="a@example.com")

        holder = threading.Thread(target=hold)
        holder.start()
        while not raw.requests and holder.is_alive():  # until the stalled request holds the connection
            held.wait(0.01)
        start = time.monotonic()
        with pytest.raises(APITimeoutError):
            client.suppressions.check(email_address="b@example.com")
        assert elapsed(start) < 1.5
        holder.join(5)
    assert len(raw.requests) == 1, "the second call never got the connection"


# -- the client's own transport: httpcore's public pool, env proxies -----------------------------


def test_the_environment_proxy_carries_the_clients_requests(
    raw: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw.answer(response(200, CHECK_OK))
    monkeypatch.setenv("HTTP_PROXY", raw.url)  # the raw server plays the proxy
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = SocketLabs(api_key=KEY, server_id=1, base_url="http://api.example.test/v2", rate_limiter=False)
    with client:
        client.suppressions.check(email_address="a@example.com")
    assert raw.requests[0].target.startswith("http://api.example.test/v2/servers/1/suppressions")


def test_no_proxy_sends_direct(raw: RawServer, monkeypatch: pytest.MonkeyPatch) -> None:
    raw.answer(response(200, CHECK_OK))
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with _client(raw) as client:
        client.suppressions.check(email_address="a@example.com")
    assert raw.requests[0].target.startswith("/v2/servers/1/suppressions")
