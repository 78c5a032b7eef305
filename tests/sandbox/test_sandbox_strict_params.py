"""The sandbox accepts every value the shipped spec's strict schemas allow, and refuses the rest with a 400.

Exhaustive where schemathesis samples: each `sortField` enum value of each
operation, each `x-filters` field with a predicate of its type, and fields
the spec does not list. Reads only, against one sandbox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from socketlabs_sandbox import DEFAULT_SUBACCOUNT_ID, Sandbox

SHIPPED_PATH = Path(str(files("socketlabs_api"))) / "openapi.yaml"
SHIPPED: dict[str, Any] = yaml.safe_load(SHIPPED_PATH.read_text("utf-8"))
OK = (200, 206)
"""A page, or the first part of a CSV download."""
SAMPLE = {"string": "eq:a", "number": "gte:1", "date": "gte:2025-01-01", "boolean": "eq:true"}


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = SHIPPED
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _reads() -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for path, item in SHIPPED["paths"].items():
        operation = item.get("get")
        if isinstance(operation, dict):
            parameters = map(_resolve, operation.get("parameters", []))
            query = {p["name"]: p for p in parameters if p["in"] == "query"}
            if "sortField" in query or "filters" in query:
                yield path, operation, query


READS = list(_reads())


def _item_members(operation: dict[str, Any]) -> list[str]:
    """The members of the items of the operation's JSON list answer (none for a CSV download)."""
    for status, response in operation.get("responses", {}).items():
        if str(status).startswith("2"):
            media = _resolve(response).get("content", {}).get("application/json", {})
            data = _resolve(_resolve(media.get("schema", {})).get("properties", {}).get("data", {}))
            return list(_resolve(data.get("items", {})).get("properties", {}))
    return []


def _get(sb: Sandbox, url: str, params: dict[str, str]) -> httpx.Response:
    return httpx.get(url, params=params, headers={"Authorization": f"Bearer {sb.api_key}"}, timeout=30)


def _error_type(answer: httpx.Response) -> str:
    """The first error's type: a v2 ``{"error": [...]}`` body or a management v1 bare list."""
    body = answer.json()
    return str(body[0]["ErrorType"] if isinstance(body, list) else body["error"][0]["errorType"])


@pytest.mark.parametrize(("path", "operation", "query"), READS, ids=[op["operationId"] for _, op, _ in READS])
def test_every_allowed_sort_field_and_filter_is_accepted_and_others_refused(
    sb: Sandbox, url_of: Callable[[Sandbox, str], str], path: str, operation: dict[str, Any], query: Any
) -> None:
    url = url_of(sb, path).replace("/subaccount/777/", f"/subaccount/{DEFAULT_SUBACCOUNT_ID}/")
    required = {n: "ann@example.com" for n, p in query.items() if p.get("required")}
    refused = []
    for field in query.get("sortField", {}).get("schema", {}).get("enum", []):
        answer = _get(sb, url, {**required, "sortField": field})
        if answer.status_code not in OK:
            refused.append(f"sortField={field}: {answer.status_code} {answer.text[:200]}")
    for field, kind in operation.get("x-filters", {}).items():
        value = f"eq:{kind[0]}" if isinstance(kind, list) else SAMPLE[kind]
        answer = _get(sb, url, {**required, "filters": f"{field}={value}"})
        if answer.status_code not in OK:
            refused.append(f"filters={field}={value}: {answer.status_code} {answer.text[:200]}")
    assert refused == [], "the spec allows these, the sandbox refuses them"
    if "sortField" in query:
        allowed = query["sortField"]["schema"]["enum"]
        accepted = []
        for field in ["notAField", *(m for m in _item_members(operation) if m not in allowed)]:
            answer = _get(sb, url, {**required, "sortField": field})
            if answer.status_code != 400 or _error_type(answer) != "InvalidParameter":
                accepted.append(f"sortField={field}: {answer.status_code}")
        assert accepted == [], "the spec refuses these, the sandbox accepts them"
    if "filters" in query:
        known = operation.get("x-filters", {})
        accepted = []
        for field in ["notAField", *(m for m in _item_members(operation) if m not in known)]:
            answer = _get(sb, url, {**required, "filters": f"{field}=eq:1"})
            if answer.status_code != 400:
                accepted.append(f"filters={field}=eq:1: {answer.status_code}")
        assert accepted == [], "the spec refuses these filter fields, the sandbox accepts them"


@pytest.mark.parametrize(
    ("server_id", "status"),
    [("{id}", 200), ("{id}.0", 200), ("{id}.00", 200), ("{id}.5", 400), ("{id}e0", 400)],
)
def test_an_integer_path_parameter_may_be_written_as_an_integral_decimal(
    sb: Sandbox, server_id: str, status: int
) -> None:
    # JSON Schema's integer includes 12345.0, and schemathesis writes it so in a path.
    segment = server_id.format(id=sb.server_id)
    for url in (
        f"{sb.api_url}/servers/{segment}/suppressions/search",
        f"{sb.management_url}/servers/{segment}/dkim",
    ):
        assert _get(sb, url, {}).status_code == status, url
