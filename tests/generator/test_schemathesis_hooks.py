"""The shipped schemathesis hooks: routing by x-servers, the writes gate, the Injection API's refusals.

The module is loaded with schemathesis's registering decorators replaced, so
its hooks do not join the global registry of this test process (where the
in-process schemathesis tests run); the CLI test runs them for real.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
import schemathesis
import yaml

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / "generator" / "schemathesis_hooks.py"
SHIPPED: dict[str, Any] = yaml.safe_load((ROOT / "generated" / "socketlabs_api" / "openapi.yaml").read_text())


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setattr(schemathesis, "hook", lambda f: f)
    monkeypatch.setattr(schemathesis, "check", lambda f: f)
    spec = importlib.util.spec_from_file_location("_socketlabs_hooks_under_test", HOOKS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules.pop("_socketlabs_hooks_under_test", None)
    return module


def test_every_x_servers_entry_is_routed_to_its_variable_or_its_default(hooks: ModuleType) -> None:
    raw = yaml.safe_load(yaml.safe_dump(SHIPPED))
    raw["x-servers"]["later"] = {
        **raw["x-servers"]["management"],
        "url": "https://x.example/v9",
        "env": "X_URL",
    }
    urls = hooks.routed_urls(
        raw, {"SOCKETLABS_INJECT_URL": "http://127.0.0.1:1/api/v1", "X_URL": "http://h/v9"}
    )
    unset = {facts["url"]: facts["url"] for facts in SHIPPED["x-servers"].values()}  # no variable: default
    assert urls == {
        **unset,
        "https://inject.socketlabs.com/api/v1": "http://127.0.0.1:1/api/v1",
        "https://x.example/v9": "http://h/v9",
    }
    assert set(unset) >= {"https://api.socketlabs.com/v2", "https://api.socketlabs.com/v1"}


def test_each_operation_is_served_from_its_own_server(hooks: ModuleType) -> None:
    servers = {facts["url"]: name for name, facts in SHIPPED["x-servers"].items()}
    wrong = []
    for path, item in SHIPPED["paths"].items():
        for method in hooks.HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                served = servers.get(hooks.declared_url(SHIPPED, path, operation))
                if served != operation.get("x-server", "api"):
                    wrong.append(f"{method.upper()} {path}: {served}")
    assert wrong == []


@pytest.mark.parametrize(
    ("named", "expected_on"),
    [("", set()), ("all", None), (" addSuppression , sendEmail", {"addSuppression", "sendEmail"})],
)
def test_writes_run_only_when_named(hooks: ModuleType, named: str, expected_on: set[str] | None) -> None:
    writes = {
        op["operationId"]
        for item in SHIPPED["paths"].values()
        for method, op in item.items()
        if method in hooks.WRITE_METHODS
    }
    off = set(hooks.unnamed_writes(SHIPPED, named))
    assert off == (set() if expected_on is None else writes - expected_on)
    assert "sendEmail" in writes and "getMessageDetailReport" not in off


def _case(mode: str, server: str) -> Any:
    generation = SimpleNamespace(mode=SimpleNamespace(is_negative=mode == "negative"))
    operation = SimpleNamespace(
        schema=SimpleNamespace(raw_schema=SHIPPED), definition=SimpleNamespace(raw={"x-server": server})
    )
    return SimpleNamespace(meta=SimpleNamespace(generation=generation), operation=operation)


def _response(status: int, body: object) -> Any:
    return SimpleNamespace(status_code=status, content=json.dumps(body).encode())


def test_an_injection_refusal_is_a_rejection_and_success_is_not(hooks: ModuleType) -> None:
    refused = _response(200, {"ErrorCode": "InvalidData", "MessageResults": None})
    assert hooks.injection_refusal(None, refused, _case("negative", "injection")) is True
    accepted = _response(200, {"ErrorCode": "Success"})
    with pytest.raises(AssertionError, match="Schema-violating request accepted"):
        hooks.injection_refusal(None, accepted, _case("negative", "injection"))
    with pytest.raises(AssertionError):
        hooks.injection_refusal(None, _response(200, ["not", "an", "object"]), _case("negative", "injection"))
    # Not its business: valid data, other servers, other statuses.
    assert hooks.injection_refusal(None, accepted, _case("positive", "injection")) is None
    assert hooks.injection_refusal(None, accepted, _case("negative", "api")) is None
    assert hooks.injection_refusal(None, _response(401, {}), _case("negative", "injection")) is None
