"""The spec owns its tables: servers, webhook event types, numbered enums and code meanings."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from socketlabs_api import tables
from socketlabs_client import _config, _errors, _webhooks

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "generator"))

import regenerate  # noqa: E402


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(regenerate.SPEC.read_text(encoding="utf-8"))
    return loaded


def test_x_servers_agree_with_the_paths_servers(spec: dict[str, Any]) -> None:
    servers, problems = regenerate.servers_from_spec(spec)
    assert problems == []
    assert list(servers) == ["api", "injection", "management", "marketing"]


def test_a_url_that_disagrees_with_a_path_is_refused(spec: dict[str, Any]) -> None:
    changed = copy.deepcopy(spec)
    changed["x-servers"]["management"]["url"] = "https://api.socketlabs.com/v9"
    _, problems = regenerate.servers_from_spec(changed)
    assert any("/servers/{serverId}/bounce" in p and "x-servers.management" in p for p in problems)
    changed["x-servers"]["api"]["errors"] = "xml"
    assert any("x-servers.api: errors" in p for p in regenerate.servers_from_spec(changed)[1])


def test_the_client_settings_are_built_from_the_spec_table(spec: dict[str, Any]) -> None:
    table = spec["x-servers"]
    assert [(s.name, s.argument, s.env_var, s.default_url) for s in _config.SERVER_SETTINGS] == [
        (name, facts["argument"], facts["env"], facts["url"]) for name, facts in table.items()
    ]
    assert [s.error_shape for s in tables.SERVERS.values()] == [f["errors"] for f in table.values()]


def test_webhook_and_code_tables_come_from_the_spec(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    mapping = schemas["WebhookEvent"]["discriminator"]["mapping"]
    assert {kind: model.__name__ for kind, model in _webhooks.EVENT_MODELS.items()} == {
        kind: ref.rsplit("/", 1)[-1] for kind, ref in mapping.items()
    }
    assert _webhooks.EVENT_MODELS is tables.EVENT_MODELS
    assert {
        "failuretype": tuple(schemas["WebhookEventFailureType"]["enum"]),
        "trackingtype": tuple(schemas["WebhookEventTrackingType"]["enum"]),
    } == tables.NUMBERED_ENUMS
    meanings = schemas["InjectionErrorCode"]["x-enum-descriptions"]
    assert meanings == _errors.INJECTION_CODE_MEANINGS
    assert set(meanings) == set(schemas["InjectionErrorCode"]["enum"]), "every code has a meaning"
