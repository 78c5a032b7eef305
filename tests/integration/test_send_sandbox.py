"""``client.send`` against the sandbox over real HTTP: batching, partial failure, doubt, XML, credentials."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest
from socketlabs_api.models import InjectionErrorCode
from socketlabs_client import (
    AsyncSocketLabs,
    BasicMessage,
    BulkMessage,
    MessageValidationError,
    Outcome,
    SocketLabs,
)
from socketlabs_client._xml import from_xml
from socketlabs_sandbox import Sandbox, SandboxConfig

LEGACY_KEY = "legacyKey0123456789"  # not the 20.40 format: the client puts it in the body


def _settings(sandbox: Sandbox) -> dict[str, object]:
    return {
        "api_key": sandbox.api_key,
        "server_id": sandbox.server_id,
        "base_url": sandbox.api_url,
        "inject_url": sandbox.inject_url,
    }


class Recorder(httpx.BaseTransport):
    """Forwards to the real transport and keeps every request and response it saw."""

    def __init__(self, fail_after_sending: set[int] | None = None) -> None:
        self._inner = httpx.HTTPTransport()
        self.requests: list[httpx.Request] = []
        self.responses: list[httpx.Response] = []
        self._fail = fail_after_sending or set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        number = len(self.requests)
        self.requests.append(request)
        response = self._inner.handle_request(request)
        response.read()
        self.responses.append(response)
        if number in self._fail:  # the server processed it, but the answer is lost on the way back
            raise httpx.ReadTimeout("answer lost", request=request)
        return response

    def close(self) -> None:
        self._inner.close()


def _bulk(count: int, *, bad: set[int] = frozenset()) -> BulkMessage:  # type: ignore[assignment]
    bulk = BulkMessage(
        subject="Hello %%RecipientName%%",
        from_=("noreply@example.com", "Example"),
        html="<p>Your code is %%Code%%</p>",
        mailing_id="it-bulk",
    )
    for i in range(count):
        domain = "x.invalid" if i in bad else "example.com"
        bulk.add_recipient(f"r{i}@{domain}", f"R{i}", {"Code": str(i)})
    return bulk


@pytest.fixture
def sandbox(socketlabs_sandbox: Sandbox) -> Sandbox:
    socketlabs_sandbox.reset()
    return socketlabs_sandbox


def test_one_basic_message_with_every_recipient_kind(sandbox: Sandbox) -> None:
    message = BasicMessage(
        subject="Hi",
        from_="noreply@example.com",
        text="Hello",
        to=["ann@example.com"],
        cc=["cc@example.com"],
        bcc=["bcc@example.com"],
    )
    with SocketLabs(**_settings(sandbox)) as client:  # type: ignore[arg-type]
        report = client.send(message)
    assert report.ok
    assert [r.address for r in report.accepted] == ["ann@example.com", "cc@example.com", "bcc@example.com"]
    assert sorted(s.address for s in sandbox.state.sent) == [
        "ann@example.com",
        "bcc@example.com",
        "cc@example.com",
    ]


@pytest.mark.parametrize(("recipients", "requests"), [(50, 1), (51, 1), (500, 1), (501, 2)])
def test_chunking_edges_reach_the_sandbox_as_planned(
    sandbox: Sandbox, recipients: int, requests: int
) -> None:
    recorder = Recorder()
    with SocketLabs(**_settings(sandbox), transport=recorder) as client:  # type: ignore[arg-type]
        report = client.send(_bulk(recipients))
    assert report.ok and len(report.accepted) == recipients
    assert len(recorder.requests) == requests == len(report.requests)
    # Requests go out concurrently, so the wire order may differ from the plan's.
    sizes = sorted(len(json.loads(r.content)["Messages"]) for r in recorder.requests)
    assert sizes == sorted(len(r.body.messages) for r in report.requests)
    assert all(
        len(m["MergeData"]["PerMessage"]) <= 50
        for r in recorder.requests
        for m in json.loads(r.content)["Messages"]
    )
    assert len(sandbox.state.sent) == recipients
    assert {s.subject for s in sandbox.state.sent} >= {"Hello R0", f"Hello R{recipients - 1}"}


@pytest.mark.parametrize(("messages", "requests"), [(10, 1), (11, 2)])
def test_ten_messages_per_request(sandbox: Sandbox, messages: int, requests: int) -> None:
    batch = [
        BasicMessage(subject=f"S{i}", from_="noreply@example.com", text="x", to=[f"m{i}@example.com"])
        for i in range(messages)
    ]
    recorder = Recorder()
    with SocketLabs(**_settings(sandbox), transport=recorder) as client:  # type: ignore[arg-type]
        report = client.send(batch, concurrency=1)
    assert report.ok and len(recorder.requests) == requests
    assert [r.message for r in report.recipients] == list(range(messages))


def test_partial_failure_is_reported_per_recipient(sandbox: Sandbox) -> None:
    all_bad = BasicMessage(
        subject="x", from_="noreply@example.com", text="x", to=["a@one.invalid", "b@two.invalid"]
    )
    with SocketLabs(**_settings(sandbox)) as client:  # type: ignore[arg-type]
        report = client.send([_bulk(120, bad={3, 60, 119}), all_bad])
    assert len(report.recipients) == 122
    rejected = {r.address: r for r in report.rejected}
    assert set(rejected) == {
        "r3@x.invalid",
        "r60@x.invalid",
        "r119@x.invalid",
        "a@one.invalid",
        "b@two.invalid",
    }
    assert {r.code for r in rejected.values()} == {InjectionErrorCode.INVALIDADDRESS}
    assert len(report.accepted) == 117 and not report.in_doubt and not report.ok
    assert report.requests[0].error_code is InjectionErrorCode.WARNING
    assert len(sandbox.state.sent) == 117


def test_a_lost_answer_leaves_only_that_requests_recipients_in_doubt(sandbox: Sandbox) -> None:
    recorder = Recorder(fail_after_sending={1})
    with SocketLabs(**_settings(sandbox), transport=recorder) as client:  # type: ignore[arg-type]
        report = client.send(_bulk(1500), concurrency=1)
    assert len(recorder.requests) == 3  # nothing was retried
    doubtful = report.in_doubt
    assert len(doubtful) == 500 and {r.request for r in doubtful} == {1}
    assert "ReadTimeout" in doubtful[0].detail or "timed out" in doubtful[0].detail
    assert len(report.accepted) == 1000
    assert len(sandbox.state.sent) == 1500  # the doubtful ones were in fact delivered: hence "in doubt"


def test_a_refused_connection_rejects_as_retryable(sandbox: Sandbox) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        port = closed.getsockname()[1]
        settings = {**_settings(sandbox), "inject_url": f"http://127.0.0.1:{port}/api/v1"}
        with SocketLabs(**settings) as client:  # type: ignore[arg-type]
            report = client.send(_bulk(3))
    assert {(r.outcome, r.retryable) for r in report.recipients} == {(Outcome.REJECTED, True)}


def test_xml_round_trip_through_the_sandbox(sandbox: Sandbox) -> None:
    recorder = Recorder()
    with SocketLabs(**_settings(sandbox), transport=recorder) as client:  # type: ignore[arg-type]
        report = client.send(_bulk(5, bad={2}), format="xml")
    (request,) = recorder.requests
    (response,) = recorder.responses
    assert request.headers["content-type"].startswith("application/xml")
    assert request.headers["accept"] == "application/xml"
    assert response.headers["content-type"].startswith("application/xml")
    root, body = from_xml(request.content)
    assert root == "PostBody" and body["ServerId"] == str(sandbox.server_id)
    answer_root, answer = from_xml(response.content)
    assert answer_root == "InjectionResponse" and answer["ErrorCode"] == "Warning"
    assert [r.address for r in report.rejected] == ["r2@x.invalid"]
    assert len(report.accepted) == 4
    assert {s.subject for s in sandbox.state.sent} == {"Hello R0", "Hello R1", "Hello R3", "Hello R4"}


@pytest.fixture(scope="module")
def legacy_sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(api_key=LEGACY_KEY)) as sandbox:
        yield sandbox


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_credentials_are_chosen_by_the_key_format(
    sandbox: Sandbox, legacy_sandbox: Sandbox, fmt: str
) -> None:
    """New-format key: Bearer header, no body key. Legacy key: body ApiKey, no header."""
    message = BasicMessage(subject="Hi", from_="noreply@example.com", text="x", to=["a@example.com"])
    for target, bearer in ((sandbox, True), (legacy_sandbox, False)):
        target.reset()
        recorder = Recorder()
        with SocketLabs(**_settings(target), transport=recorder) as client:  # type: ignore[arg-type]
            report = client.send(message, format=fmt)
        assert report.ok, report
        (request,) = recorder.requests
        body = from_xml(request.content)[1] if fmt == "xml" else json.loads(request.content)
        assert ("authorization" in request.headers) is bearer
        assert body.get("ApiKey") == (None if bearer else LEGACY_KEY)
        assert target.api_key not in repr(report)


def test_a_wrong_key_rejects_everyone_with_the_code(legacy_sandbox: Sandbox) -> None:
    settings = {**_settings(legacy_sandbox), "api_key": "wrongKey"}
    with SocketLabs(**settings) as client:  # type: ignore[arg-type]
        report = client.send(_bulk(2))
    assert {(r.outcome, r.code) for r in report.recipients} == {
        (Outcome.REJECTED, InjectionErrorCode.INVALIDAUTHENTICATION)
    }
    assert "wrongKey" not in "".join(r.detail for r in report.recipients)


def test_validation_happens_before_any_request(sandbox: Sandbox) -> None:
    recorder = Recorder()
    good = _bulk(10)
    bad = BasicMessage(subject="x", from_="noreply@example.com", text="x", to=["not-an-address"])
    client = SocketLabs(**_settings(sandbox), transport=recorder)  # type: ignore[arg-type]
    with client, pytest.raises(MessageValidationError) as caught:
        client.send([good, bad])
    assert (caught.value.message_index, caught.value.field) == (1, "To[0].EmailAddress")
    assert recorder.requests == []


async def test_async_send_concurrently(sandbox: Sandbox) -> None:
    async with AsyncSocketLabs(**_settings(sandbox)) as client:  # type: ignore[arg-type]
        report = await client.send([_bulk(2000, bad={5}), _bulk(3)], concurrency=4)
        xml_report = await client.send(_bulk(2), format="xml")
    assert len(report.requests) == 5  # 41 messages -> 10 + 10 + 10 + 10 + 1
    assert len(report.accepted) == 2002 and [r.address for r in report.rejected] == ["r5@x.invalid"]
    assert [r.message for r in report.recipients] == [0] * 2000 + [1] * 3
    assert xml_report.ok
    assert len(sandbox.state.sent) == 2004
