"""v2 credentials, routing, 404/405 answers and keep-alive hygiene."""

from __future__ import annotations

import base64
from collections.abc import Callable
from http.client import HTTPConnection
from typing import Any

import httpx
import pytest
from socketlabs_sandbox import Sandbox
from socketlabs_sandbox._app import OPERATIONS

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _search(http: httpx.Client, sb: Sandbox, authorization: str | None) -> httpx.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return http.get(f"{sb.api_url}/servers/{sb.server_id}/suppressions/search", headers=headers)


def test_bearer_is_accepted(http: httpx.Client, sb: Sandbox) -> None:
    assert _search(http, sb, f"Bearer {sb.api_key}").status_code == 200
    assert _search(http, sb, f"bearer   {sb.api_key}").status_code == 200


@pytest.mark.parametrize("user", ["anyuser", "", "api"])
def test_basic_with_any_user_and_the_key_as_password_is_accepted(
    http: httpx.Client, sb: Sandbox, user: str
) -> None:
    assert _search(http, sb, _basic(user, sb.api_key)).status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer wrong-key",
        "Token something",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
    ],
)
def test_missing_or_wrong_credentials_are_401_with_the_envelope(
    http: httpx.Client, sb: Sandbox, authorization: str | None
) -> None:
    response = _search(http, sb, authorization)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    errors = response.json()["error"]
    assert errors and errors[0]["errorType"] == "Unauthorized" and errors[0]["message"]


def test_wrong_key_in_basic_or_bearer_is_refused(http: httpx.Client, sb: Sandbox) -> None:
    assert _search(http, sb, _basic("user", sb.api_key + "x")).status_code == 401
    assert _search(http, sb, f"Bearer {sb.api_key[:-1]}").status_code == 401


def test_the_key_is_account_level_and_state_is_per_server(http: httpx.Client, sb: Sandbox) -> None:
    headers = {"Authorization": f"Bearer {sb.api_key}"}
    added = http.post(
        f"{sb.api_url}/servers/777/suppressions", params={"emailAddress": "a@example.com"}, headers=headers
    )
    assert added.status_code == 200
    other = http.get(
        f"{sb.api_url}/servers/{sb.server_id}/suppressions",
        params={"emailAddress": "a@example.com"},
        headers=headers,
    )
    assert other.json()["data"]["isSuppressed"] is False
    same = http.get(
        f"{sb.api_url}/servers/777/suppressions", params={"emailAddress": "a@example.com"}, headers=headers
    )
    assert same.json()["data"]["isSuppressed"] is True
    assert set(sb.state.suppressions) >= {777, sb.server_id}


def test_auth_is_checked_before_parameters(http: httpx.Client, sb: Sandbox) -> None:
    response = http.get(f"{sb.api_url}/servers/0/suppressions/search", params={"pageSize": 0})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/v2",
        "/v2/servers/12345",
        "/v2/servers/12345/suppressions/unknown",
        "/v2/servers/12345/reports/recipient-search",  # the trailing slash is part of the path
        "/v2/servers/12345/suppressions/",
        "/api/v1/other",
        "/api/v2/email",
    ],
)
def test_unknown_paths_are_404_with_the_envelope(http: httpx.Client, sb: Sandbox, path: str) -> None:
    response = http.get(sb.url + path, headers={"Authorization": f"Bearer {sb.api_key}"})
    assert response.status_code == 404
    assert response.json()["error"][0]["errorType"] == "NotFound"


def test_the_route_table_is_the_spec(spec: dict[str, Any]) -> None:
    declared = {
        (operation["operationId"], method.upper(), path)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }
    served = {(op.operation_id, op.method, op.path) for op in OPERATIONS}
    assert served == declared


def test_the_query_parameters_are_the_spec(spec: dict[str, Any]) -> None:
    def resolve(parameter: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in parameter:
            resolved: dict[str, Any] = spec["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
            return resolved
        return parameter

    for op in OPERATIONS:
        item = spec["paths"][op.path]
        parameters = [
            resolve(p) for p in item.get("parameters", []) + item[op.method.lower()].get("parameters", [])
        ]
        assert sorted(op.query) == sorted(p["name"] for p in parameters if p["in"] == "query"), (
            op.operation_id
        )


def _declared_methods(spec: dict[str, Any], path: str) -> set[str]:
    return {method.upper() for method in spec["paths"][path] if method in HTTP_METHODS}


@pytest.mark.parametrize(
    "method", ["TRACE", "QUERY", "PUT", "PATCH", "OPTIONS", "HEAD", "DELETE", "POST", "GET"]
)
def test_undeclared_methods_are_405_with_allow(
    http: httpx.Client, sb: Sandbox, spec: dict[str, Any], method: str, url_of: Callable[[Sandbox, str], str]
) -> None:
    for path in spec["paths"]:
        declared = _declared_methods(spec, path)
        if method in declared:
            continue
        url = url_of(sb, path)
        response = http.request(method, url, content=b'{"x": 1}')
        assert response.status_code == 405, (method, path)
        assert {m.strip() for m in response.headers["allow"].split(",")} == declared
        if method != "HEAD":
            body = response.json()
            errors = body if isinstance(body, list) else body["error"]  # management v1: a bare list
            assert errors[0].get("errorType", errors[0].get("ErrorType")) == "MethodNotAllowed"


def test_request_bodies_are_always_consumed_on_keep_alive_connections(
    http: httpx.Client, sb: Sandbox
) -> None:
    connection = HTTPConnection("127.0.0.1", sb.port, timeout=5)
    try:
        body = b"x" * 70_000
        for method, path, expected in [
            ("POST", "/nowhere", 404),
            ("PUT", "/v2/servers/12345/suppressions", 405),
            ("GET", "/v2/servers/12345/suppressions/search", 401),
            ("POST", "/api/v1/email", 401),
        ]:
            connection.request(method, path, body=body)
            response = connection.getresponse()
            response.read()
            assert response.status == expected, (method, path)
        connection.request(
            "GET", "/v2/servers/12345/suppressions/search", headers={"Authorization": f"Bearer {sb.api_key}"}
        )
        final = connection.getresponse()
        assert final.status == 200
        assert final.read().startswith(b'{"data":')
    finally:
        connection.close()


def test_a_failing_handler_answers_500_with_the_envelope(
    sb: Sandbox, api: httpx.Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(sb.state, "find_suppression", broken)
    response = api.get("/suppressions", params={"emailAddress": "a@example.com"})
    assert response.status_code == 500
    assert response.json()["error"][0]["errorType"] == "InternalError"
    assert "sandbox handler failed" in caplog.text
