"""Fixtures for the sandbox's own tests: one sandbox per session, reset per test."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from socketlabs_sandbox import FIXED_ANCHOR, Sandbox, SandboxConfig

SPEC_PATH = Path(__file__).resolve().parents[2] / "spec" / "openapi.yaml"


EXAMPLE_PATH_VALUES = {
    "subaccountId": "777",
    "domain": "mail.example.com",
    "listId": "1",
    "contactId": "1",
    "customFieldId": "1",
    "apiKeyId": "1",
}
"""A value for each path parameter other than `serverId`."""


def sandbox_url(sb: Sandbox, spec: dict[str, Any], path: str) -> str:
    """The sandbox URL of a spec path: its server's base (v2, injection, v1, marketing), parameters filled."""
    servers = spec["paths"][path].get("servers", [])
    if path == "/email":
        base = sb.inject_url
    elif any(server["url"].endswith("/marketing/v1") for server in servers):
        base = sb.marketing_url
    elif any(server["url"].endswith("/v1") for server in servers):
        base = sb.management_url
    else:
        base = sb.api_url
    for name, value in {"serverId": str(sb.server_id), **EXAMPLE_PATH_VALUES}.items():
        path = path.replace("{" + name + "}", value)
    return base + path


@pytest.fixture(scope="session")
def url_of(spec: dict[str, Any]) -> Callable[[Sandbox, str], str]:
    """`url_of(sandbox, spec_path)`: see `sandbox_url`."""
    return lambda sb, path: sandbox_url(sb, spec, path)


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(anchor=FIXED_ANCHOR)) as sandbox:
        yield sandbox


@pytest.fixture
def sb(sandbox_server: Sandbox) -> Sandbox:
    """The session sandbox, back in its seeded state, on the wall clock."""
    sandbox_server.state.clock = time.time
    sandbox_server.reset()
    return sandbox_server


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    """A plain client (no base URL, no credentials), shared: creating one costs ~50 ms."""
    with httpx.Client(timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def _api_client(sandbox_server: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{sandbox_server.api_url}/servers/{sandbox_server.server_id}",
        headers={"Authorization": f"Bearer {sandbox_server.api_key}"},
        timeout=30,
    ) as client:
        yield client


@pytest.fixture(scope="session")
def _inject_client(sandbox_server: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox_server.inject_url, timeout=30) as client:
        yield client


@pytest.fixture
def api(sb: Sandbox, _api_client: httpx.Client) -> httpx.Client:
    """A client for the v2 API of the configured server, with Bearer auth (sandbox reset)."""
    return _api_client


@pytest.fixture
def inject(sb: Sandbox, _inject_client: httpx.Client) -> httpx.Client:
    """A client for the Injection API, no credentials: each test adds its own (sandbox reset)."""
    return _inject_client


@pytest.fixture
def conforms(spec: dict[str, Any]) -> Callable[[object, str], None]:
    """Assert that a JSON body is valid against one of the spec's component schemas."""

    def check(body: object, schema_name: str) -> None:
        root = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
        jsonschema.Draft202012Validator(root).validate(body)

    return check
