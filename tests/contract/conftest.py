"""Fixtures for the contract tests: a Prism mock server and the operation map.

Prism (``@stoplight/prism-cli``, pinned in ``package.json``) validates every
request it receives against ``spec/openapi.yaml``; install it with ``npm ci``
in this folder. It is started directly from ``node_modules/.bin`` (not through
``npx``, whose death would leave Prism holding the port) in its own process
group, so the whole group can be ended when the session finishes; on Linux the
kernel also ends it if pytest itself is killed before its teardown runs.
"""

from __future__ import annotations

import ctypes
import inspect
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from socketlabs_api.models import InjectionRequest
from socketlabs_api.operations import Operation
from socketlabs_api.resources import (
    RESOURCE_NAMES,
    UNVERIFIED_RESOURCE_NAMES,
    AsyncResources,
    AsyncUnverifiedResources,
    Resources,
    UnverifiedResources,
)

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "spec" / "openapi.yaml"
CONTRACT_DIR = Path(__file__).resolve().parent
PRISM = CONTRACT_DIR / "node_modules" / ".bin" / "prism"
PRISM_START_TIMEOUT = 30.0
NOT_INSTALLED = "Prism is not installed: run `npm ci` in tests/contract"
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    """Linux: have the kernel send Prism SIGTERM if pytest dies without tearing down (SIGKILL, timeout)."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End Prism and anything it started (its own process group), then reap it."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def _wait_until_up(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + PRISM_START_TIMEOUT
    while True:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            pytest.fail(f"Prism exited with status {process.returncode} before answering:\n{output}")
        try:
            # Any HTTP answer (Prism gives 404 for `/`) means it is listening.
            httpx.get(url, timeout=1.0)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                _stop(process)
                output = log.read_text(errors="replace")
                pytest.fail(f"Prism did not answer on {url} within {PRISM_START_TIMEOUT:.0f} s:\n{output}")
            time.sleep(0.1)
        else:
            return


@pytest.fixture(scope="session")
def prism_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a Prism mock of ``spec/openapi.yaml``; Prism serves every path at its root."""
    if not PRISM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(NOT_INSTALLED)
        pytest.skip(NOT_INSTALLED)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("prism") / "prism.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(PRISM), "mock", str(SPEC), "-h", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: ended as a whole in _stop
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
        )
    try:
        _wait_until_up(process, url, log)
        yield url
    finally:
        _stop(process)


# --- which resource method sends which operation ------------------------------------------------------

_DUMMY_ARGUMENTS: dict[str, Any] = {
    "email_address": "someone@example.com",
    "to_email_address": "someone@example.com",
    "subaccount_id": 777,
    "domain": "example.com",
    "selector": "s1",
    "list_id": 1,
    "contact_id": 1,
    "custom_field_id": 1,
    "api_key_id": 1,
    "body": InjectionRequest.from_dict(
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
    ),
}


class _Found(Exception):
    def __init__(self, operation: Operation) -> None:
        super().__init__(operation.operation_id)
        self.operation = operation


class _RecordingExecutor:
    """An executor that sends nothing: it reports which operation a method asked for."""

    def resolve_server_id(self, server_id: int | None) -> int:
        return server_id or 1

    def format_date(self, value: Any, parameter: str) -> str:
        return str(value)

    def execute(self, operation: Operation, request: dict[str, Any], build: Any, options: Any = None) -> Any:
        raise _Found(operation)

    def paginate(
        self, operation: Operation, request: dict[str, Any], build: Any, query: Any, options: Any = None
    ) -> Any:
        raise _Found(operation)

    def download(
        self, operation: Operation, request: dict[str, Any], query: Any, progress: Any, options: Any = None
    ) -> Any:
        raise _Found(operation)


def resource_of(holder: Any, attribute: str, method: str) -> Any:
    """The resource (class or instance) of ``attribute`` holding ``method``: evidenced, else unverified.

    Calls are named ``"attribute.method"`` whichever tier they are on; a tag may have both.
    """
    if attribute in RESOURCE_NAMES and hasattr(getattr(holder, attribute), method):
        return getattr(holder, attribute)
    unverified = (
        holder.unverified
        if not isinstance(holder, type)
        else (AsyncUnverifiedResources if holder is AsyncResources else UnverifiedResources)
    )
    return getattr(unverified, attribute)


def _resource_methods(resources: type[Resources] | type[AsyncResources]) -> set[str]:
    """``"attribute.method"`` for every public method of every resource class, both tiers."""
    unverified = AsyncUnverifiedResources if resources is AsyncResources else UnverifiedResources
    return {
        f"{attribute}.{name}"
        for holder, names in ((resources, RESOURCE_NAMES), (unverified, UNVERIFIED_RESOURCE_NAMES))
        for attribute in names
        for resource_cls in (getattr(holder, attribute),)
        for name in dir(resource_cls)
        if not name.startswith("_") and callable(getattr(resource_cls, name))
    }


def _operation_of(call: str) -> str:
    """The operationId that ``Resources().<attribute>.<method>(...)`` sends, found by calling it."""
    attribute, method = call.split(".")
    bound = getattr(resource_of(Resources(_RecordingExecutor()), attribute, method), method)
    kwargs: dict[str, Any] = {}
    for param in inspect.signature(bound).parameters.values():
        if param.default is inspect.Parameter.empty:
            if param.name not in _DUMMY_ARGUMENTS:
                pytest.fail(f"{call} has a required parameter {param.name!r} the contract tests do not know")
            kwargs[param.name] = _DUMMY_ARGUMENTS[param.name]
    try:
        bound(**kwargs)
    except _Found as found:
        return found.operation.operation_id
    pytest.fail(f"{call} did not execute any operation")


@pytest.fixture(scope="session")
def operation_methods() -> dict[str, str]:
    """``{operationId: "attribute.method"}``: which client method sends each operation of the spec.

    Found by calling every public method of every generated resource class with an
    executor that sends nothing; fails if sync and async differ, if a method sends no
    operation, or if two methods send the same one.
    """
    sync_methods = _resource_methods(Resources)
    async_methods = _resource_methods(AsyncResources)
    assert async_methods == sync_methods, f"sync and async methods differ: {sync_methods ^ async_methods}"
    mapping: dict[str, str] = {}
    for call in sorted(sync_methods):
        operation_id = _operation_of(call)
        assert operation_id not in mapping, f"{call} and {mapping.get(operation_id)} both send {operation_id}"
        mapping[operation_id] = call
    return mapping
