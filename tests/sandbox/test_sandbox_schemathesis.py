"""
schemathesis against the running sandbox: every operation, every check, stateful links.

The spec leaves three things open that the sandbox (like the real API) checks
more strictly, so the schema under test is the spec narrowed in memory, here,
to exactly what the sandbox accepts (`spec/openapi.yaml` is not changed):

* `sortField` is a free string in the spec; here it is the enum of the
  operation's sortable fields (unknown fields are a 400);
* `filters` only has a generic grammar in the spec; here each operation gets
  a pattern listing its fields, each with the predicates of its type and
  values of that type (unknown fields, ill-fitting predicates and bad values
  are a 400);
* `ApiDate` allows `0000-99-99`; here it allows real calendar dates only.

Without the narrowing, positive-data tests send schema-valid requests the
sandbox rightly refuses; with it, negative-data tests also check that the
sandbox refuses everything outside those sets.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
import yaml
from schemathesis import Case
from schemathesis.specs.openapi.checks import negative_data_rejection
from socketlabs_client.sandbox import DEFAULT_API_KEY, DEFAULT_SERVER_ID, Sandbox, SandboxConfig
from socketlabs_client.sandbox._dates import parse_api_date

SPEC_PATH = Path(__file__).resolve().parents[2] / "spec" / "openapi.yaml"

# --- The narrowed schema ----------------------------------------------------

_YEAR = "(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_MONTH_DAY = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_TIME = "T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
_ZONE = "(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
API_DATE = f"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)(?:{_TIME})?{_ZONE}?"

SUPPRESSION_FIELDS = {"emailAddress": "string", "suppressionLastUpdate": "date", "reason": "string"}
STATUSES = ("Queued", "Deferred", "Delivered", "Failed", "Suppressed", "Complaint")
MESSAGE_FIELDS = {
    "messageId": "string",
    "mailingId": "string",
    "from": "string",
    "to": "string",
    "subject": "string",
    "status": "enum",
    "queuedTime": "date",
    "statusDate": "date",
}


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)


def _filter_pattern(fields: dict[str, Any]) -> str:
    """Each field (`string`, `number`, `date`, `enum` of the statuses, or a list of enum values) with the
    predicates and values of its type."""
    forms = {
        "string": "(?:eq|neq|like|nlike|start|end):[^&]*",
        "number": "(?:eq|neq|gt|lt|gte|lte):-?[0-9]{1,9}(?:\\.[0-9]{1,6})?",
        "date": f"(?:eq|gt|lt|gte|lte):{API_DATE}",
        "enum": f"(?:eq|neq):(?:{'|'.join(_any_case(s) for s in STATUSES)})",
    }

    def form(kind: Any) -> str:
        if isinstance(kind, list):
            return f"(?:eq|neq):(?:{'|'.join(_any_case(value) for value in kind)})"
        return forms[kind]

    one = "(?:" + "|".join(f"{name}={form(kind)}" for name, kind in fields.items()) + ")"
    return f"^{one}(?:&{one})*$"


# The sandbox's sortable fields of the newer list operations, by sortField parameter.
SORT_FIELDS = {
    "ListSortField": ["id", "name", "contactCount", "createdDate"],
    "ContactSortField": ["id", "emailAddress", "firstName", "lastName", "createdDate"],
    "CustomFieldSortField": ["id", "name", "dataType"],
    "ApiKeySortField": ["id", "name", "access", "createdDate"],
    "SendingDomainSortField": ["domain", "status", "createdDate"],
}


def narrowed_spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = copy.deepcopy(yaml.safe_load(handle))
    components = spec["components"]
    parameters = components["parameters"]
    parameters["SuppressionSortField"]["schema"] = {"type": "string", "enum": list(SUPPRESSION_FIELDS)}
    for name in ("MessageSortField", "RecipientSortField"):
        parameters[name]["schema"] = {"type": "string", "enum": list(MESSAGE_FIELDS)}
    for name, fields in SORT_FIELDS.items():
        parameters[name]["schema"] = {"type": "string", "enum": fields}
    for name, fields in (("SuppressionFilters", SUPPRESSION_FIELDS), ("MessageFilters", MESSAGE_FIELDS)):
        parameters[name] = copy.deepcopy(parameters["Filters"])
        parameters[name]["schema"]["pattern"] = _filter_pattern(fields)
    components["schemas"]["ApiDate"]["pattern"] = f"^{API_DATE}$"
    for path, item in spec["paths"].items():
        fields_ref = "MessageFilters" if "/reports/" in path else "SuppressionFilters"
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            declared = operation.get("x-filters")
            if declared is not None:  # the operation's own filter fields, as the spec declares them
                own = f"{operation['operationId']}Filters"
                parameters[own] = copy.deepcopy(parameters["Filters"])
                parameters[own]["schema"]["pattern"] = _filter_pattern(declared)
            for parameter in operation.get("parameters", []):
                if parameter.get("$ref") == "#/components/parameters/Filters":
                    parameter["$ref"] = (
                        f"#/components/parameters/{own if declared is not None else fields_ref}"
                    )
    return spec


CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20260101,
        "headers": {"Authorization": f"Bearer {DEFAULT_API_KEY}"},
        "checks": {"enabled": True},  # every check, as `--checks all`
        "parameters": {"path.serverId": DEFAULT_SERVER_ID},
        "generation": {"max-examples": 15, "deterministic": True, "database": "none"},
        "phases": {"stateful": {"max-steps": 6}},
        # Its request body makes every example slow to generate; the coverage phase still
        # walks every member's boundaries.
        "operations": [{"include-operation-id": "sendEmail", "generation": {"max-examples": 5}}],
    }
)
schema = schemathesis.openapi.from_dict(narrowed_spec(), config=CONFIG)
MANAGEMENT_PATHS = frozenset(
    path
    for path, item in narrowed_spec()["paths"].items()
    if any(server["url"].endswith("/v1") for server in item.get("servers", []))
)
"""Paths served by the management API v1 (their own path-level server)."""

# The injection endpoint answers a malformed body with HTTP 200 and
# `ErrorCode: InvalidData`, as the real Injection API does (the status code is
# not how it reports bad input), so "schema-violating request rejected" cannot
# hold there. Every other check still runs on it.
INJECTION_EXCLUDED = [negative_data_rejection]


def _base_url(sandbox: Sandbox, path: str) -> str:
    if path == "/email":
        return sandbox.inject_url
    return sandbox.management_url if path in MANAGEMENT_PATHS else sandbox.api_url


def _excluded(path: str) -> list[Any]:
    return INJECTION_EXCLUDED if path == "/email" else []


@pytest.fixture(scope="module")
def st_sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(suppressions=5, report_messages=300)) as sandbox:
        yield sandbox


# --- Tests ------------------------------------------------------------------


def test_the_narrowed_schema_covers_every_operation() -> None:
    labels = sorted(result.ok().label for result in schema.get_all_operations())  # type: ignore[union-attr]
    with SPEC_PATH.open(encoding="utf-8") as handle:
        paths = yaml.safe_load(handle)["paths"]
    declared = sorted(
        f"{method.upper()} {path}"
        for path, item in paths.items()
        for method in item
        if method in ("get", "put", "post", "delete", "patch")
    )
    assert len(declared) >= 62
    assert labels == declared


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2024-02-29", True),
        ("2023-02-29", False),
        ("2000-02-29", True),
        ("1900-02-29", False),
        ("0000-01-01", False),
        ("2025-04-31", False),
        ("2025-12-31T23:59:59+14:00", True),
        ("2025-12-31T23:59:59+14:01", False),
    ],
)
def test_the_narrowed_date_pattern_is_the_sandboxs_rule(value: str, valid: bool) -> None:
    assert (re.fullmatch(API_DATE, value) is not None) is valid
    assert (parse_api_date(value) is not None) is valid


@schema.parametrize()
def test_every_operation(case: Case[Any], st_sandbox: Sandbox) -> None:
    path = case.operation.path
    case.call_and_validate(base_url=_base_url(st_sandbox, path), excluded_checks=_excluded(path))


class _Machine(schema.as_state_machine()):  # type: ignore[misc]
    sandbox: Sandbox | None = None

    def setup(self) -> None:
        assert self.sandbox is not None
        self.sandbox.reset()

    def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
        assert self.sandbox is not None
        return {"base_url": _base_url(self.sandbox, case.operation.path)}

    def validate_response(
        self, response: Any, case: Case[Any], additional_checks: Any = None, **kwargs: Any
    ) -> None:
        case.validate_response(
            response,
            additional_checks=additional_checks,
            excluded_checks=_excluded(case.operation.path),
            transport_kwargs=kwargs or None,
            recorder=self.recorder,
        )


def test_stateful_links(st_sandbox: Sandbox) -> None:
    _Machine.sandbox = st_sandbox
    _Machine.run(
        settings=hypothesis.settings(
            max_examples=25,
            stateful_step_count=6,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )
