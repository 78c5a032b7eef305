"""``client.request(...)``, the escape hatch, against the sandbox over real HTTP, sync and async."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from socketlabs_api.operations import Operation
from socketlabs_client import (
    OPERATION_EXTENSION,
    AsyncSocketLabs,
    AuthenticationError,
    BadRequestError,
    InvalidRequestError,
    NotFoundError,
    SocketLabs,
)
from socketlabs_sandbox import Sandbox

SUPPRESSIONS = "/servers/{serverId}/suppressions"


class _Filter:
    """Stands in for the typed filter builder: anything whose str() is the filter string."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


class _Recording(httpx.HTTPTransport):
    """A real HTTP transport that remembers the Operation each request carried."""

    def __init__(self) -> None:
        super().__init__()
        self.operations: list[Operation] = []
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.operations.append(request.extensions[OPERATION_EXTENSION])
        self.requests.append(request)
        return super().handle_request(request)


@pytest.fixture
def recorded(socketlabs_sandbox: Sandbox) -> Iterator[tuple[SocketLabs, _Recording]]:
    socketlabs_sandbox.reset()
    transport = _Recording()
    with SocketLabs(
        api_key=socketlabs_sandbox.api_key,
        server_id=socketlabs_sandbox.server_id,
        base_url=socketlabs_sandbox.api_url,
        inject_url=socketlabs_sandbox.inject_url,
        transport=transport,
    ) as client:
        yield client, transport


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_add_then_check_then_remove_through_request(socketlabs_client: SocketLabs) -> None:
    added = socketlabs_client.request("POST", SUPPRESSIONS, params={"emailAddress": "ann@example.com"})
    assert added["data"]["emailAddress"] == "ann@example.com"
    checked = socketlabs_client.request("get", SUPPRESSIONS, params={"emailAddress": "ann@example.com"})
    assert checked["data"]["isSuppressed"] is True
    socketlabs_client.request(
        "DELETE", "/servers/{server_id}/suppressions/remove", params={"emailAddress": "ann@example.com"}
    )
    again = socketlabs_client.request("GET", SUPPRESSIONS, params={"emailAddress": "ann@example.com"})
    assert again["data"]["isSuppressed"] is False


def test_filters_object_is_sent_as_its_string(socketlabs_client: SocketLabs) -> None:
    for address in ("ann@gmail.com", "bob@example.com", "cy@gmail.com"):
        socketlabs_client.request("POST", SUPPRESSIONS, params={"emailAddress": address})
    page = socketlabs_client.request(
        "GET",
        "/servers/{serverId}/suppressions/search",
        params={"pageSize": 10, "sortField": "emailAddress", "startDate": None},
        filters=_Filter("emailAddress=end:gmail.com"),
    )
    assert page["total"] == 2
    assert [row["emailAddress"] for row in page["data"]] == ["ann@gmail.com", "cy@gmail.com"]


def test_error_status_is_the_typed_error(socketlabs_client: SocketLabs) -> None:
    with pytest.raises(NotFoundError) as caught:
        socketlabs_client.request(
            "DELETE", "/servers/{serverId}/suppressions/remove", params={"emailAddress": "nobody@example.com"}
        )
    assert caught.value.status_code == 404
    assert caught.value.operation_id == "request DELETE /servers/{serverId}/suppressions/remove"
    with pytest.raises(BadRequestError):
        socketlabs_client.request("GET", "/servers/{serverId}/suppressions/search", params={"pageSize": 0})
    with pytest.raises(NotFoundError):
        socketlabs_client.request("GET", "/servers/{serverId}/no-such-thing")


def test_wrong_key_is_an_authentication_error_without_the_key(socketlabs_sandbox: Sandbox) -> None:
    wrong = "wrong-key-0123456789-do-not-leak"
    with (
        SocketLabs(
            api_key=wrong, server_id=socketlabs_sandbox.server_id, base_url=socketlabs_sandbox.api_url
        ) as c,
        pytest.raises(AuthenticationError) as caught,
    ):
        c.request("GET", SUPPRESSIONS, params={"emailAddress": "ann@example.com"})
    assert wrong not in str(caught.value)
    assert wrong not in repr(caught.value)


def test_basic_auth_works_too(socketlabs_sandbox: Sandbox) -> None:
    with SocketLabs(
        api_key=socketlabs_sandbox.api_key,
        server_id=socketlabs_sandbox.server_id,
        base_url=socketlabs_sandbox.api_url,
        auth="basic",
    ) as client:
        body = client.request("GET", SUPPRESSIONS, params={"emailAddress": "ann@example.com"})
    assert body["data"]["isSuppressed"] is False


def test_synthetic_operation_carries_retry_and_rate_limit_facts(
    recorded: tuple[SocketLabs, _Recording], socketlabs_sandbox: Sandbox
) -> None:
    client, transport = recorded
    client.request("GET", SUPPRESSIONS, params={"emailAddress": "ann@example.com"})
    client.request("POST", SUPPRESSIONS, params={"emailAddress": "ann@example.com"})
    client.request("GET", "/servers/{serverId}/reports/messages/detail", params={"pageSize": 1})
    client.request(
        "GET", "/servers/{serverId}/reports/recipient-search/", params={"toEmailAddress": "ann@example.com"}
    )
    client.request(
        "POST",
        "/email",
        server="injection",
        json={"ServerId": socketlabs_sandbox.server_id, "Messages": [_message("dee@example.com")]},
    )
    facts = [(op.method, op.retry, op.rate_limit_family, op.server) for op in transport.operations]
    assert facts == [
        ("GET", "idempotent", None, "api"),
        ("POST", "once", None, "api"),
        ("GET", "idempotent", "reports-message", "api"),
        ("GET", "idempotent", None, "api"),
        ("POST", "send", None, "injection"),
    ]
    sent = transport.requests[0]
    assert sent.url.path == f"/v2/servers/{socketlabs_sandbox.server_id}/suppressions"
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["Authorization"] == f"Bearer {socketlabs_sandbox.api_key}"
    assert [r.address for r in socketlabs_sandbox.state.sent] == ["dee@example.com"]


def _message(to: str) -> dict[str, Any]:
    return {
        "To": [{"EmailAddress": to}],
        "From": {"EmailAddress": "noreply@example.com"},
        "Subject": "Hi",
        "TextBody": "Hi",
    }


def test_raw_response_and_csv_text(socketlabs_client: SocketLabs) -> None:
    socketlabs_client.request("POST", SUPPRESSIONS, params={"emailAddress": "ann@example.com"})
    response = socketlabs_client.request(
        "GET", "/servers/{serverId}/suppressions/download", accept="text/csv", raw=True
    )
    assert isinstance(response, httpx.Response)
    assert response.headers["Content-Range"] == "rows 0-0/1"
    text = socketlabs_client.request("GET", "/servers/{serverId}/suppressions/download", accept="text/csv")
    assert isinstance(text, str)
    assert text.splitlines()[1].endswith(",ann@example.com")


def test_explicit_server_id_and_path_params(
    socketlabs_client: SocketLabs, socketlabs_sandbox: Sandbox
) -> None:
    other = socketlabs_sandbox.server_id + 1
    socketlabs_client.request(
        "POST",
        "/servers/{serverId}/{what}",
        server_id=other,
        path_params={"what": "suppressions"},
        params={"emailAddress": "ann@example.com"},
    )
    own = socketlabs_client.request("GET", SUPPRESSIONS, params={"emailAddress": "ann@example.com"})
    theirs = socketlabs_client.request(
        "GET", SUPPRESSIONS, server_id=other, params={"emailAddress": "ann@example.com"}
    )
    assert (own["data"]["isSuppressed"], theirs["data"]["isSuppressed"]) == (False, True)


@pytest.mark.parametrize(
    ("args", "kwargs", "said"),
    [
        (("GET", "https://evil.example.com/v2/x"), {}, "relative"),
        (("GET", "//evil.example.com/x"), {}, "relative"),
        (("GET", "servers/1/suppressions"), {}, "relative"),
        (("TRACE", SUPPRESSIONS), {}, "method"),
        (("GET", SUPPRESSIONS + "?emailAddress=a@b.c"), {}, "params="),
        (("GET", "/lists/{listId}"), {}, "{listId}"),
        (("GET", "/lists/{listId"), {}, "malformed"),
        (("GET", SUPPRESSIONS), {"path_params": {"listId": 1}}, "no placeholder"),
        (("GET", SUPPRESSIONS), {"params": {"startDate": datetime(2024, 1, 1, tzinfo=UTC)}}, "datetime"),
        (("GET", SUPPRESSIONS), {"filters": ""}, "empty"),
        (("GET", SUPPRESSIONS), {"filters": "a=eq:b", "params": {"filters": "c=eq:d"}}, "both"),
        (("POST", SUPPRESSIONS), {"json": {"when": datetime(2024, 1, 1, tzinfo=UTC)}}, "JSON"),
        (("GET", SUPPRESSIONS), {"headers": {"authorization": "Bearer x"}}, "Authorization"),
        (("GET", SUPPRESSIONS), {"server": "elsewhere"}, "server"),
        (("GET", SUPPRESSIONS), {"accept": ""}, "accept"),
    ],
)
def test_bad_arguments_fail_before_any_request(
    args: tuple[str, str], kwargs: dict[str, Any], said: str
) -> None:
    # Nothing listens on this port: a request that went out would be an APIConnectionError.
    base_url = f"http://127.0.0.1:{_closed_port()}/v2"
    with (
        SocketLabs(api_key="k", server_id=1, base_url=base_url) as client,
        pytest.raises(InvalidRequestError, match=said) as caught,
    ):
        client.request(*args, **kwargs)
    assert isinstance(caught.value, ValueError)


async def test_async_request_round_trip(async_socketlabs_client: AsyncSocketLabs) -> None:
    await async_socketlabs_client.request("POST", SUPPRESSIONS, params={"emailAddress": "ann@example.com"})
    body = await async_socketlabs_client.request(
        "GET", SUPPRESSIONS, params={"emailAddress": "ann@example.com"}
    )
    assert body["data"]["isSuppressed"] is True
    raw = await async_socketlabs_client.request(
        "GET",
        "/servers/{serverId}/suppressions/search",
        filters=_Filter("emailAddress=eq:ann@example.com"),
        raw=True,
    )
    assert raw.status_code == 200
    assert raw.json()["total"] == 1


async def test_async_error_and_auth(
    socketlabs_sandbox: Sandbox, async_socketlabs_client: AsyncSocketLabs
) -> None:
    with pytest.raises(NotFoundError):
        await async_socketlabs_client.request(
            "DELETE", "/servers/{serverId}/suppressions/remove", params={"emailAddress": "nobody@example.com"}
        )
    async with AsyncSocketLabs(
        api_key="not-the-key", server_id=socketlabs_sandbox.server_id, base_url=socketlabs_sandbox.api_url
    ) as wrong:
        with pytest.raises(AuthenticationError):
            await wrong.request("GET", SUPPRESSIONS, params={"emailAddress": "ann@example.com"})
    with pytest.raises(InvalidRequestError):
        await async_socketlabs_client.request("GET", "http://127.0.0.1:1/x")
