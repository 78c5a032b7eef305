"""The facts ``client.request`` derives for an ad hoc call (its synthetic ``Operation``)."""

from __future__ import annotations

import pytest
from socketlabs_api.operations import OPERATIONS
from socketlabs_client import InvalidRequestError
from socketlabs_client._adhoc import SERVERS, AdHocCall, adhoc_operation, is_adhoc, prepare_adhoc


@pytest.mark.parametrize(
    ("method", "server", "retry"),
    [
        ("GET", "api", "idempotent"),
        ("HEAD", "api", "idempotent"),
        ("PUT", "api", "idempotent"),
        ("DELETE", "api", "idempotent"),
        ("POST", "api", "once"),
        ("PATCH", "api", "once"),
        ("POST", "injection", "send"),
        ("GET", "injection", "send"),
    ],
)
def test_retry_follows_the_method_and_the_server(method: str, server: str, retry: str) -> None:
    assert adhoc_operation(method, "/x", server).retry == retry


@pytest.mark.parametrize(
    ("path", "family"),
    [
        ("/servers/{serverId}/reports/messages/detail", "reports-message"),
        ("/servers/{serverId}/reports/message", "reports-message"),
        ("/servers/{serverId}/reports/recipient-search/", None),
        ("/servers/{serverId}/suppressions", None),
    ],
)
def test_reports_message_paths_get_their_rate_limit_family(path: str, family: str | None) -> None:
    assert adhoc_operation("GET", path, "api").rate_limit_family == family


def test_servers_come_from_the_generated_operation() -> None:
    assert {"api", "injection"} <= set(SERVERS)


def test_the_request_is_built_with_placeholders_filled_and_encoded() -> None:
    call = prepare_adhoc(
        "get",
        "/servers/{server_id}/lists/{listId}",
        params={"pageSize": 5, "skip": None, "flag": True},
        json=None,
        server="api",
        server_id=lambda: 42,
        path_params={"listId": "a/b c"},
        filters="name=start:jo",
        headers=None,
        accept="application/json",
    )
    # The filter goes raw, in the docs' wire form, as the pagers write it; the rest is encoded.
    assert call.request == {
        "method": "GET",
        "url": "/servers/42/lists/a%2Fb%20c?pageSize=5&flag=true&filters=name=start:jo",
    }
    assert call.operation.path == "/servers/{serverId}/lists/{listId}"
    assert call.operation.operation_id == "request GET /servers/{serverId}/lists/{listId}"


def test_the_server_id_is_only_resolved_when_the_path_needs_it() -> None:
    def no_server_id() -> int:
        raise AssertionError("resolved without a placeholder")

    call = prepare_adhoc(
        "POST",
        "/email",
        params=None,
        json={"a": 1},
        server="injection",
        server_id=no_server_id,
        path_params=None,
        filters=None,
        headers={"X-Trace": "1"},
        accept="application/json",
    )
    assert call.request["content"] == b'{"a":1}'
    assert call.request["headers"] == {"Content-Type": "application/json", "X-Trace": "1"}


def test_a_bool_method_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="method"):
        adhoc_method: object = True
        prepare_adhoc(
            adhoc_method,  # type: ignore[arg-type]
            "/x",
            params=None,
            json=None,
            server="api",
            server_id=lambda: 1,
            path_params=None,
            filters=None,
            headers=None,
            accept="application/json",
        )


def test_a_list_call_is_marked_for_the_pagers_and_leaves_their_parameters_to_them() -> None:
    def list_call(params: dict[str, object]) -> object:
        return prepare_adhoc(
            "GET",
            "/servers/{serverId}/things",
            params=params,  # type: ignore[arg-type]
            json=None,
            server="api",
            server_id=lambda: 3,
            path_params=None,
            filters=None,
            headers=None,
            accept="text/csv",
            pagination="csv",
        )

    call = list_call({"kind": "a"})
    assert isinstance(call, AdHocCall)
    assert (call.operation.pagination, call.operation.accept) == ("csv", "text/csv")
    assert is_adhoc(call.operation)
    assert not is_adhoc(OPERATIONS["searchSuppressions"])
    assert adhoc_operation("GET", "/x", "api").pagination is None
    for name in ("pageSize", "pageNumber", "sortField", "sortDirection", "startDate", "endDate", "filters"):
        with pytest.raises(InvalidRequestError, match=name):
            list_call({name: "1"})


def test_the_message_report_glob_is_the_specs_and_agrees_with_its_operations() -> None:
    from fnmatch import fnmatchcase

    from socketlabs_api.operations import OPERATIONS, RATE_LIMITS
    from socketlabs_client._adhoc import adhoc_operation

    globs = {name: rate.match for name, rate in RATE_LIMITS.items() if rate.match}
    assert globs, "x-rate-limits names the paths of at least one extra family"
    for operation in OPERATIONS.values():
        for family, glob in globs.items():
            if fnmatchcase(operation.path, glob):
                assert operation.rate_limit_family == family, operation.operation_id
    assert (
        adhoc_operation("GET", "/servers/1/reports/message-detail", "api").rate_limit_family
        == "reports-message"
    )
    assert adhoc_operation("GET", "/servers/1/reports/recipient", "api").rate_limit_family is None


def test_the_cx_gateway_is_the_specs() -> None:
    from pathlib import Path

    import yaml
    from socketlabs_api.tables import SERVERS
    from socketlabs_client import DEFAULT_INJECT_CX_URL

    spec = yaml.safe_load((Path(__file__).parents[2] / "spec" / "openapi.yaml").read_text(encoding="utf-8"))
    listed = [server["url"] for server in spec["paths"]["/email"]["servers"]]
    assert SERVERS["injection"].gateways["cx"] == DEFAULT_INJECT_CX_URL
    assert DEFAULT_INJECT_CX_URL in listed and SERVERS["injection"].default_url != DEFAULT_INJECT_CX_URL
