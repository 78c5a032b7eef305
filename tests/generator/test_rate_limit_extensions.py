"""The generator's checks on ``x-rate-limits``, ``x-rate-limit-family`` and ``x-retry: once``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "generator"))

import regenerate

SPEC_SERVERS = yaml.safe_load(regenerate.SPEC.read_text(encoding="utf-8"))["x-servers"]


def _op(**extra: Any) -> dict[str, Any]:
    op = {
        "operationId": "createThing",
        "x-method-name": "create",
        "x-confidence": "modeled",
        "x-shape-confidence": "modeled",
        "x-source": "test",
        "x-retry": "once",
        "responses": {"200": {"content": {"application/json": {}}}},
    }
    op.update(extra)
    return op


def _spec(limits: Any, **extra: Any) -> dict[str, Any]:
    return {"x-rate-limits": limits, "x-servers": SPEC_SERVERS, "paths": {"/things": {"post": _op(**extra)}}}


def test_a_create_may_declare_once_and_a_known_family() -> None:
    limits = {"default": {"limit": 100, "period": 60}, "things": {"limit": 5, "period": 1.5}}
    operations = regenerate.operations_from_spec(_spec(limits, **{"x-rate-limit-family": "things"}))
    assert operations["createThing"]["retry"] == "once"
    assert operations["createThing"]["rate_limit_family"] == "things"


@pytest.mark.parametrize(
    ("limits", "extra", "problem"),
    [
        ({"things": {"limit": 5, "period": 1}}, {}, "no `default` entry"),
        ({"default": {"limit": 0, "period": 60}}, {}, "x-rate-limits.default"),
        ({"default": {"limit": 10, "period": "soon"}}, {}, "x-rate-limits.default"),
        ({"default": {"limit": True, "period": 60}}, {}, "x-rate-limits.default"),
        ({"default": {"limit": 10, "period": 60}}, {"x-rate-limit-family": "nope"}, "'nope' is not a family"),
        ({"default": {"limit": 10, "period": 60}}, {"x-retry": "maybe"}, "x-retry"),
    ],
)
def test_bad_rate_limit_declarations_are_refused(limits: Any, extra: dict[str, Any], problem: str) -> None:
    with pytest.raises(regenerate.RegenerateError, match=problem):
        regenerate.operations_from_spec(_spec(limits, **extra))
