"""``x-pagination`` and ``x-filters``: checked by the generator and carried into ``Operation``."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from socketlabs_api.operations import OPERATIONS, FilterField

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "generator"))

import regenerate  # noqa: E402

SPEC: dict[str, Any] = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text(encoding="utf-8"))
SEARCH = "/servers/{serverId}/suppressions/search"
DETAIL = "/servers/{serverId}/reports/messages/detail"


def _problems(change: Any) -> str:
    spec = copy.deepcopy(SPEC)
    change(spec["paths"])
    with pytest.raises(regenerate.RegenerateError) as err:
        regenerate.operations_from_spec(spec)
    return str(err.value)


def test_every_list_operation_is_paginated_and_filterable_as_declared() -> None:
    paged = {op_id: op.pagination for op_id, op in OPERATIONS.items() if op.pagination}
    declared = {
        op["operationId"]: op["x-pagination"]
        for item in SPEC["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "x-pagination" in op
    }
    assert paged == declared
    assert {
        "searchSuppressions": "page",
        "downloadSuppressions": "csv",
        "getMessageDetailReport": "page",
        "searchRecipients": "page",
    }.items() <= paged.items()
    assert OPERATIONS["downloadSuppressions"].max_page_size == 500_000
    assert OPERATIONS["searchSuppressions"].max_page_size == 100
    status = {f.name: f for f in OPERATIONS["getMessageDetailReport"].filters}["status"]
    assert status == FilterField(
        "status", "enum", ("Queued", "Deferred", "Delivered", "Failed", "Suppressed", "Complaint")
    )
    assert OPERATIONS["searchRecipients"].filters == ()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda p: p[SEARCH]["get"].update({"x-pagination": "cursor"}), "x-pagination must be one of"),
        (lambda p: p[SEARCH]["get"].pop("x-pagination"), "needs x-pagination"),
        (lambda p: p[SEARCH]["get"].pop("x-filters"), "needs x-filters"),
        (lambda p: p[SEARCH]["get"].update({"x-filters": {"reason": "text"}}), "type 'text' is not one of"),
        (lambda p: p[SEARCH]["get"].update({"x-filters": {"reason": []}}), "an enum needs a non-empty list"),
        (
            lambda p: p[SEARCH]["get"].update({"x-filters": {"not a name": "string"}}),
            "not a valid field name",
        ),
        (lambda p: p[SEARCH]["get"].update({"x-filters": []}), "non-empty mapping"),
        (lambda p: p[DETAIL]["get"].update({"x-pagination": "csv"}), "needs a text/csv success answer"),
        (
            lambda p: p[SEARCH]["get"]["responses"]["200"]["content"]["application/json"].update(
                {"schema": {"$ref": "#/components/schemas/SuppressionEnvelope"}}
            ),
            "needs a 2xx JSON body {data: [...], total: N}",
        ),
        (
            lambda p: p["/servers/{serverId}/reports/recipient-search/"]["get"].update(
                {"x-filters": {"to": "string"}}
            ),
            "x-filters needs a `filters` query parameter",
        ),
        (
            lambda p: p["/servers/{serverId}/suppressions"]["get"].update({"x-pagination": "page"}),
            "x-pagination needs the query parameters pageSize, pageNumber",
        ),
    ],
)
def test_the_generator_refuses_a_wrong_declaration(change: Any, problem: str) -> None:
    assert problem in _problems(change)
