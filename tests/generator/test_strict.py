"""The shipped spec's strict parameter schemas and schemathesis configuration, from the spec's facts."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from socketlabs_sandbox._dates import parse_api_date

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "generator"))

import regenerate  # noqa: E402
import strict  # noqa: E402

SPEC: dict[str, Any] = yaml.safe_load(regenerate.SPEC.read_text(encoding="utf-8"))
STRICT = strict.strict_spec(SPEC)
SHIPPED = ROOT / "generated" / "socketlabs_api"


def _query(spec: dict[str, Any], operation: dict[str, Any], name: str) -> dict[str, Any] | None:
    for raw in operation.get("parameters", []):
        parameter = strict._resolve(spec, raw)
        if parameter.get("in") == "query" and parameter.get("name") == name:
            return dict(parameter)
    return None


def test_the_shipped_spec_is_the_strict_spec_of_the_source() -> None:
    shipped = yaml.safe_load((SHIPPED / "openapi.yaml").read_text(encoding="utf-8"))
    assert shipped == STRICT


def test_the_shipped_configuration_is_the_one_at_the_root_and_current() -> None:
    expected = strict.schemathesis_config(SPEC)
    assert (SHIPPED / strict.CONFIG_NAME).read_text(encoding="utf-8") == expected
    assert regenerate.ROOT_CONFIG.read_text(encoding="utf-8") == expected, f"run {regenerate.COMMAND}"
    assert (
        (SHIPPED / "schemathesis_hooks.py")
        .read_text(encoding="utf-8")
        .endswith(regenerate.HOOKS.read_text(encoding="utf-8"))
    )


def test_write_root_config_rewrites_a_stale_file(tmp_path: Path) -> None:
    target = tmp_path / strict.CONFIG_NAME
    assert regenerate.write_root_config(SPEC, target) is True
    assert regenerate.write_root_config(SPEC, target) is False
    target.write_text("stale", encoding="utf-8")
    assert regenerate.write_root_config(SPEC, target) is True


def test_every_filters_and_sort_field_parameter_is_narrowed() -> None:
    loose = []
    for path, method, _item, operation in strict.operations(STRICT):
        filters = _query(STRICT, operation, "filters")
        if filters is not None:
            assert filters["schema"]["pattern"] == strict.filter_pattern(operation["x-filters"])
        sort = _query(STRICT, operation, "sortField")
        if sort is not None and "enum" not in sort["schema"]:
            loose.append(f"{method.upper()} {path}")
    assert loose == [], "these sortField parameters have no fields to sort by"
    assert STRICT["components"]["schemas"]["ApiDate"]["pattern"] == f"^{strict.API_DATE}$"


def test_the_source_spec_is_left_as_it_is() -> None:
    loose, narrowed = (s["components"]["schemas"]["ApiDate"]["pattern"] for s in (SPEC, STRICT))
    assert loose != narrowed
    assert strict.strict_spec(SPEC) == STRICT  # deterministic, and SPEC untouched


def test_sort_fields_are_the_filter_fields_the_items_carry() -> None:
    spec = {
        "components": {"schemas": {"Item": {"properties": {"name": {}, "createdDate": {}}}}},
        "paths": {},
    }
    listing = {
        "x-filters": {"name": "string", "listId": "number"},
        "responses": {
            "200": {
                "content": {
                    "application/json": {
                        "schema": {
                            "properties": {
                                "data": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}
                            }
                        }
                    }
                }
            }
        },
    }
    assert strict.sort_fields(spec, listing) == ["name"]
    csv = {"x-filters": listing["x-filters"], "responses": {"200": {"content": {"text/csv": {}}}}}
    assert strict.sort_fields(spec, csv) == ["name", "listId"]
    del listing["x-filters"]
    assert strict.sort_fields(spec, listing) == ["name", "createdDate"]


def test_the_filter_pattern_follows_x_filters() -> None:
    pattern = re.compile(
        strict.filter_pattern(
            {"n": "number", "d": "date", "b": "boolean", "e": ["Open", "Shut"], "s": "string"}
        )
    )
    good_values = (
        "n=gte:-1.5",
        "d=lt:2024-02-29",
        "b=eq:TRUE",
        "e=neq:open",
        "s=like:x:y=z",
        "n=eq:1&s=end:a",
    )
    for good in good_values:
        assert pattern.fullmatch(good), good
    bad_values = ("n=like:1", "n=eq:1e3", "d=neq:2024-01-01", "d=eq:2023-02-29", "b=eq:yes", "e=eq:ajar")
    for bad in (*bad_values, "x=eq:1", "s=eq:a&"):
        assert not pattern.fullmatch(bad), bad


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2024-02-29", True),
        ("2023-02-29", False),
        ("2000-02-29", True),
        ("1900-02-29", False),
        ("2024-02-30", False),
        ("0000-00-00", False),
        ("0000-01-01", False),
        ("0001-01-01", True),
        ("2025-00-10", False),
        ("2025-13-10", False),
        ("2025-01-32", False),
        ("2025-04-31", False),
        ("2025-12-31+02:00", True),
        ("2025-12-31T23:59:59Z", True),
        ("2025-12-31T24:00:00Z", False),
        ("2025-12-31T23:59:59+14:00", True),
        ("2025-12-31T23:59:59+14:01", False),
        ("2025-12-31T23:59", False),
    ],
)
def test_the_date_pattern_is_the_sandboxs_rule(value: str, valid: bool) -> None:
    assert (re.fullmatch(strict.API_DATE, value) is not None) is valid
    assert (parse_api_date(value) is not None) is valid


def test_the_configuration_routes_every_x_servers_entry_and_declares_injection_refusals() -> None:
    spec = yaml.safe_load(yaml.safe_dump(SPEC))
    spec["x-servers"]["extra"] = {
        **spec["x-servers"]["management"],
        "env": "SOCKETLABS_EXTRA_URL",
        "url": "https://x.example/v9",
    }
    text = strict.schemathesis_config(spec)
    config = tomllib.loads(text)
    assert config["hooks"] == strict.HOOKS_MODULE
    assert config["auth"]["openapi"]["bearerAuth"]["bearer"] == "${SOCKETLABS_API_KEY}"
    for facts in spec["x-servers"].values():
        assert facts["env"] in text
    [entry] = config["operations"]
    assert entry["include-operation-id"] == ["sendEmail"]
    assert "200" in entry["checks"]["negative_data_rejection"]["expected-statuses"]


def test_declared_sort_fields_are_members_of_the_items_they_sort() -> None:
    stray = []
    for path, method, _item, operation in strict.operations(SPEC):
        for raw in operation.get("parameters", []):
            parameter = strict._resolve(SPEC, raw)
            declared = parameter.get("x-sort-fields")
            if declared is None:
                continue
            members = strict.item_members(SPEC, operation)
            assert declared and members, f"{method.upper()} {path}: x-sort-fields needs a JSON list answer"
            stray += [f"{method.upper()} {path}: {f}" for f in declared if f not in members]
            narrowed = _query(STRICT, STRICT["paths"][path][method], "sortField")
            assert narrowed is not None
            assert narrowed["schema"]["enum"] == declared
    assert stray == [], "x-sort-fields names fields the items do not carry"
