"""The webhook and inbound examples in spec/examples/ are valid against the spec's schemas.

Each example is validated (JSON Schema 2020-12, formats checked) against the
request schema of its `webhooks:` entry, so the `oneOf` on `Type` must pick
exactly one branch; broken copies of the examples must fail, so the check can.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "spec" / "examples"
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text(encoding="utf-8"))
_RESOURCE = Resource.from_contents(SPEC, default_specification=DRAFT202012)
_REGISTRY = Registry().with_resource("urn:spec", _RESOURCE)

EVENT_TYPES = {"Queued", "Deferred", "Delivered", "Failed", "Complaint", "Tracking", "Validation"}


def _validator(webhook: str) -> Draft202012Validator:
    schema = SPEC["webhooks"][webhook]["post"]["requestBody"]["content"]["application/json"]["schema"]
    ref = {"$ref": "urn:spec" + schema["$ref"]}
    return Draft202012Validator(ref, registry=_REGISTRY, format_checker=FormatChecker())


def _examples(prefix: str) -> list[Path]:
    return sorted(EXAMPLES.glob(f"{prefix}-*.json"))


@pytest.mark.parametrize("path", _examples("webhook"), ids=lambda p: p.stem)
def test_event_example_is_valid(path: Path) -> None:
    errors = list(_validator("event").iter_errors(json.loads(path.read_text(encoding="utf-8"))))
    assert errors == []


def test_every_event_type_and_tracking_type_has_an_example() -> None:
    bodies = [json.loads(p.read_text(encoding="utf-8")) for p in _examples("webhook")]
    assert {b["Type"] for b in bodies} == EVENT_TYPES
    assert {b["TrackingType"] for b in bodies if b["Type"] == "Tracking"} == {"Click", "Open", "Unsubscribe"}
    assert set(SPEC["components"]["schemas"]["WebhookEventType"]["enum"]) == EVENT_TYPES


def test_inbound_example_is_valid() -> None:
    (path,) = _examples("inbound")
    assert list(_validator("inboundParse").iter_errors(json.loads(path.read_text(encoding="utf-8")))) == []


@pytest.mark.parametrize(
    ("example", "breakage"),
    [
        ("webhook-failed", lambda b: b.pop("FailureType")),
        ("webhook-tracking-click", lambda b: b.update(TrackingType="Hover")),
        ("webhook-queued", lambda b: b.update(Type="Unknown")),
        ("webhook-delivered", lambda b: b.update(DateTime="yesterday")),
        ("webhook-validation", lambda b: b.pop("SecretKey")),
        ("webhook-deferred", lambda b: b.update(ServerId="12345")),
    ],
)
def test_broken_event_examples_are_rejected(example: str, breakage: Any) -> None:
    body = copy.deepcopy(json.loads((EXAMPLES / f"{example}.json").read_text(encoding="utf-8")))
    breakage(body)
    assert list(_validator("event").iter_errors(body)) != []


def test_broken_inbound_example_is_rejected() -> None:
    body = json.loads((EXAMPLES / "inbound-parse.json").read_text(encoding="utf-8"))
    del body["Message"]["From"]
    assert list(_validator("inboundParse").iter_errors(body)) != []


def test_webhook_operations_carry_source_and_confidence() -> None:
    sys.path.insert(0, str(ROOT / "generator"))
    import regenerate

    assert regenerate.check_webhooks(SPEC) == []
    broken = copy.deepcopy(SPEC)
    del broken["webhooks"]["event"]["post"]["x-source"]
    broken["webhooks"]["inboundParse"]["post"]["x-confidence"] = "guessed"
    assert regenerate.check_webhooks(broken) == [
        "webhook event POST: missing or invalid x-source",
        "webhook inboundParse POST: missing or invalid x-confidence",
    ]
