"""Known and guessed, where the call is written: the unverified tier, its warning, errors and drift.

With warnings as errors (the suite's setting), every unverified operation raises
``UnverifiedOperationWarning`` on its first call and answers plain JSON; no
evidenced operation warns; a 404 from an unverified path says so; an evidenced
answer whose members are none of the modeled ones is named. Sync and async.
"""

from __future__ import annotations

import asyncio
import inspect
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from socketlabs_api.models import InjectionRequest
from socketlabs_api.operations import OPERATIONS, Operation
from socketlabs_api.resources import UNVERIFIED_RESOURCE_NAMES
from socketlabs_api.types import Response
from socketlabs_client import (
    AsyncSocketLabs,
    MalformedResponseError,
    NotFoundError,
    ShapeDriftWarning,
    SocketLabs,
    UnverifiedOperationWarning,
)
from socketlabs_client._tiers import check_shape, warn_unverified
from socketlabs_sandbox import Sandbox
from socketlabs_sandbox._app import EVIDENCED, MODEL_HEADER

SPEC = Path(__file__).resolve().parents[2] / "spec" / "openapi.yaml"

UNVERIFIED = sorted(op.operation_id for op in OPERATIONS.values() if op.unverified)
EVIDENCED_IDS = sorted(op.operation_id for op in OPERATIONS.values() if not op.unverified)

_DUMMIES: dict[str, Any] = {
    "subaccount_id": 777,
    "domain": "example.com",
    "selector": "s1",
    "list_id": 1,
    "contact_id": 1,
    "custom_field_id": 1,
    "api_key_id": 1,
    "email_address": "someone@example.com",
    "to_email_address": "someone@example.com",
    # Any model serialises; the mock server reads nothing.
    "body": InjectionRequest.from_dict({"ServerId": 1, "Messages": []}),
}


def _unverified_methods(client: Any) -> dict[str, Callable[..., Any]]:
    """``{operationId: bound method}`` of every ``client.unverified`` method, found from its source."""
    found: dict[str, Callable[..., Any]] = {}
    for attribute in UNVERIFIED_RESOURCE_NAMES:
        resource = getattr(client.unverified, attribute)
        for name, fn in inspect.getmembers(type(resource), inspect.isfunction):
            if name.startswith("_"):
                continue
            source = inspect.getsource(fn)
            (operation_id,) = [oid for oid in OPERATIONS if f'OPERATIONS["{oid}"]' in source]
            found[operation_id] = getattr(resource, name)
    return found


def _answer(request: httpx.Request) -> httpx.Response:
    """A plausible answer to anything: a page (with one item) for list queries, an object otherwise."""
    if "pageNumber" in request.url.params:
        if "download" in request.url.path:
            return httpx.Response(200, text="a,b\n", headers={"Content-Type": "text/csv"})
        return httpx.Response(200, json={"data": [{"seen": 1}], "total": 1})
    return httpx.Response(200, json={"data": {"seen": 1}})


def _arguments(method: Callable[..., Any]) -> dict[str, Any]:
    required = [
        p.name for p in inspect.signature(method).parameters.values() if p.default is inspect.Parameter.empty
    ]
    return {name: _DUMMIES[name] for name in required}


def test_the_tiers_split_the_spec_and_the_sandbox_knows_which_is_which() -> None:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    modeled = {
        op["operationId"]
        for item in spec["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and op.get("x-confidence") == "modeled"
    }
    assert set(UNVERIFIED) == modeled
    assert set(EVIDENCED) == set(EVIDENCED_IDS), "the sandbox marks exactly the spec's modeled operations"
    with SocketLabs(api_key="k", server_id=1) as client:
        assert set(_unverified_methods(client)) == modeled, "every modeled operation is under unverified"
        for attribute in UNVERIFIED_RESOURCE_NAMES:  # and none of them is on the evidenced tier
            evidenced = getattr(client, attribute, None)
            for operation_id in modeled:
                assert evidenced is None or not any(
                    f'OPERATIONS["{operation_id}"]' in inspect.getsource(fn)
                    for _, fn in inspect.getmembers(type(evidenced), inspect.isfunction)
                )


@pytest.mark.parametrize("operation_id", UNVERIFIED)
def test_every_unverified_operation_warns_once_and_answers_plain_data(operation_id: str) -> None:
    with SocketLabs(api_key="k", server_id=1, transport=httpx.MockTransport(_answer)) as client:
        method = _unverified_methods(client)[operation_id]
        arguments = _arguments(method)
        with pytest.raises(UnverifiedOperationWarning, match=operation_id):  # warnings are errors here
            result = method(**arguments)
            result = list(result) if hasattr(result, "pages") or hasattr(result, "records") else result
        result = method(**arguments)  # once per process: the second call is silent
        if hasattr(result, "pages"):
            assert all(type(item) is dict for item in result), "a pager yields plain dicts"
        elif hasattr(result, "records"):
            assert list(result) == [], "a CSV download is unaffected"
        else:
            assert result == {"data": {"seen": 1}}, "the answer's JSON, as it came"


@pytest.mark.parametrize("operation_id", UNVERIFIED)
def test_every_unverified_operation_warns_once_and_answers_plain_data_async(operation_id: str) -> None:
    async def run() -> None:
        async with AsyncSocketLabs(
            api_key="k", server_id=1, transport=httpx.MockTransport(_answer)
        ) as client:
            method = _unverified_methods(client)[operation_id]
            arguments = _arguments(method)

            async def call() -> Any:
                result = method(**arguments)
                if hasattr(result, "pages") or hasattr(result, "records"):
                    return [item async for item in result]
                return await result

            with pytest.raises(UnverifiedOperationWarning, match=operation_id):
                await call()
            result = await call()
            if isinstance(result, list):
                assert all(type(item) is dict for item in result)
            else:
                assert result == {"data": {"seen": 1}}

    asyncio.run(run())


def test_no_evidenced_operation_warns() -> None:
    for operation in OPERATIONS.values():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warn_unverified(operation)
            warn_unverified(operation)
        assert len(caught) == (1 if operation.unverified else 0), operation.operation_id


def _sandbox_client(kind: type[Any], sandbox: Sandbox) -> Any:
    return kind(
        api_key=sandbox.api_key,
        server_id=sandbox.server_id,
        base_url=sandbox.api_url,
        inject_url=sandbox.inject_url,
        management_url=sandbox.management_url,
        marketing_url=sandbox.marketing_url,
    )


def test_evidenced_calls_do_not_warn_against_the_sandbox(socketlabs_sandbox: Sandbox) -> None:
    """Warnings are errors in this suite: any warning here fails the test."""
    socketlabs_sandbox.reset()
    with _sandbox_client(SocketLabs, socketlabs_sandbox) as client:
        client.suppressions.add(email_address="a@example.com")
        assert client.suppressions.check(email_address="a@example.com").is_suppressed
        assert len(list(client.suppressions.download())) >= 1
        assert client.reports.messages_detail(page_size=5).first_page().total > 0
        assert client.bounce_domains.list() == []
        assert client.credentials.get_injection_api().server_id == socketlabs_sandbox.server_id
        assert client.marketing_v1.content() == []
        raw = client.with_raw_response.suppressions.check(email_address="a@example.com")
        assert MODEL_HEADER.lower() not in {name.lower() for name in raw.headers}


def _assert_unverified_404(error: NotFoundError) -> None:
    text = str(error)
    assert text.startswith("404 Not Found from GET ")
    assert "unverified path" in text
    assert OPERATIONS["getList"].source in text, "it cites where the model comes from"
    assert "socketlabs contract --live" in text and "client.request(" in text, "and the ways forward"


def test_a_404_from_an_unverified_path_says_so(socketlabs_sandbox: Sandbox) -> None:
    socketlabs_sandbox.reset()
    with _sandbox_client(SocketLabs, socketlabs_sandbox) as client:
        with pytest.warns(UnverifiedOperationWarning), pytest.raises(NotFoundError) as error:
            client.unverified.lists.get(list_id=424242)
        _assert_unverified_404(error.value)
        with pytest.raises(NotFoundError) as evidenced:
            client.bounce_domains.get(domain="nowhere.example.com")
        assert "unverified" not in str(evidenced.value)


def test_a_404_from_an_unverified_path_says_so_async(socketlabs_sandbox: Sandbox) -> None:
    socketlabs_sandbox.reset()

    async def run() -> None:
        async with _sandbox_client(AsyncSocketLabs, socketlabs_sandbox) as client:
            with pytest.warns(UnverifiedOperationWarning), pytest.raises(NotFoundError) as error:
                await client.unverified.lists.get(list_id=424242)
            _assert_unverified_404(error.value)

    asyncio.run(run())


def test_the_sandbox_marks_its_answers_to_unverified_operations(socketlabs_sandbox: Sandbox) -> None:
    socketlabs_sandbox.reset()
    with _sandbox_client(SocketLabs, socketlabs_sandbox) as client:
        with pytest.warns(UnverifiedOperationWarning):
            raw = client.unverified.with_raw_response.reports.delivered_overview()
        assert raw.headers[MODEL_HEADER] == "unverified"
        assert isinstance(raw.parsed, dict) and "data" in raw.parsed
        error_answer = httpx.get(
            f"{socketlabs_sandbox.api_url}/servers/{socketlabs_sandbox.server_id}/lists/424242",
            headers={"Authorization": f"Bearer {socketlabs_sandbox.api_key}"},
        )
        assert (error_answer.status_code, error_answer.headers[MODEL_HEADER]) == (404, "unverified")


# --- shape drift on an evidenced path --------------------------------------------------------------------


def _drifted(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"data": {"address": "a@example.com", "suppressed": True}})


def test_an_answer_with_none_of_the_modeled_members_is_named() -> None:
    with SocketLabs(api_key="k", server_id=1, transport=httpx.MockTransport(_drifted)) as client:
        with pytest.raises(ShapeDriftWarning, match=r"expected emailAddress, .*received address, suppressed"):
            client.suppressions.check(email_address="a@example.com")
        with pytest.raises(MalformedResponseError, match="received address, suppressed") as error:
            client.suppressions.check(email_address="a@example.com")  # warned once; the error stays
        assert '"suppressed": True' in str(error.value) or "suppressed" in str(error.value)


def test_an_answer_with_none_of_the_modeled_members_is_named_async() -> None:
    async def run() -> None:
        async with AsyncSocketLabs(
            api_key="k", server_id=1, transport=httpx.MockTransport(_drifted)
        ) as client:
            with pytest.raises(ShapeDriftWarning, match="received address, suppressed"):
                await client.suppressions.check(email_address="a@example.com")
            with pytest.raises(MalformedResponseError):
                await client.suppressions.check(email_address="a@example.com")

    asyncio.run(run())


def _parsed(body: bytes) -> Response[Any]:
    return Response(status_code=200, content=body, headers=httpx.Headers(), parsed=object())  # type: ignore[arg-type]


def test_a_parsed_answer_that_drifted_warns_once_and_a_matching_one_never() -> None:
    """A model with optional modeled members parses a drifted answer: the warning is then all there is."""
    operation: Operation = OPERATIONS["checkSuppression"]
    matching = _parsed(b'{"data": {"emailAddress": "a@example.com", "somethingNew": 1}}')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert check_shape(operation, matching) is matching
        check_shape(operation, _parsed(b"[]"))
        check_shape(operation, _parsed(b"not json"))
        drifted = _parsed(b'{"data": {"address": "a@example.com"}}')
        assert check_shape(operation, drifted) is drifted
        check_shape(operation, drifted)
    assert [type(w.message) for w in caught] == [ShapeDriftWarning]
    assert "expected emailAddress, isSuppressed, suppressionLastUpdate, reason; received address" in str(
        caught[0].message
    )
    assert issubclass(ShapeDriftWarning, UnverifiedOperationWarning)
    assert issubclass(UnverifiedOperationWarning, UserWarning)
