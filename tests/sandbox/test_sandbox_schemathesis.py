"""
schemathesis against the running sandbox: every operation of the spec, every check, stateful links.

Nothing here lists operations: the schema under test is the spec shipped in
the package (`socketlabs_api/openapi.yaml`), which is `spec/openapi.yaml` with
its facts written out as strict parameter schemas by the generator
(`generator/strict.py`): `filters` narrowed to each operation's `x-filters`,
`sortField` the enum of its sortable fields, `ApiDate` real calendar dates.
Positive-data tests then send only what the sandbox (like the real API)
accepts, and negative-data tests check that it refuses everything else.
Anything added to the spec (operations, servers, links) is exercised as it
lands. `test_sandbox_schemathesis_cli.py` makes the same run as a user would,
with the schemathesis command line and the shipped configuration.

Each operation is sent to the sandbox's base URL for its `x-server`
(`api_url`, `inject_url`, else an attribute named `<server>_url`). The
stateful test runs the state machine schemathesis builds from the spec's
OpenAPI links, resets the sandbox before each scenario, and checks that every
link in the spec was followed with its values applied at least once.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any, ClassVar

import hypothesis
import pytest
import schemathesis
import yaml
from schemathesis import Case
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.specs.openapi.checks import negative_data_rejection
from socketlabs_sandbox import (
    DEFAULT_API_KEY,
    DEFAULT_SERVER_ID,
    DEFAULT_SUBACCOUNT_ID,
    FIXED_ANCHOR,
    Sandbox,
    SandboxConfig,
)

SPEC_PATH = Path(str(files("socketlabs_api"))) / "openapi.yaml"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Bounds that keep the run to a minute or two on 2 cores as the spec grows: the
# examples per operation shrink with the number of operations, within limits.
EXAMPLE_BUDGET = 240
MAX_EXAMPLES, MIN_EXAMPLES, BODY_EXAMPLES = 15, 4, 5
STATEFUL_SCENARIOS_PER_LINK, STATEFUL_MIN_SCENARIOS, STATEFUL_MAX_SCENARIOS = 8, 25, 150
STATEFUL_STEPS = 6
SEED = 20260101

# --- The spec and what it declares ------------------------------------------


def load_spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.safe_load(handle)
    return spec


def spec_operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, METHOD, operation) for every operation under `paths:`."""
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method.upper(), item[method]


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def spec_links(spec: dict[str, Any]) -> list[str]:
    """Every explicit link, named as schemathesis names a transition."""
    labels = {op["operationId"]: f"{method} {path}" for path, method, op in spec_operations(spec)}
    found = []
    for path, method, op in spec_operations(spec):
        for status, response in op.get("responses", {}).items():
            for name, link in _resolve(spec, response).get("links", {}).items():
                target = labels[_resolve(spec, link)["operationId"]]
                found.append(f"{method} {path} -> [{status}] {name} -> {target}")
    return sorted(found)


# --- Coverage representatives ----------------------------------------------


def _signature(spec: dict[str, Any], method: str, operation: dict[str, Any]) -> str:
    """What the coverage phase derives its cases from: the method, parameters and body."""
    parameters = sorted(
        (json.dumps(_resolve(spec, p), sort_keys=True) for p in operation.get("parameters", [])), key=str
    )
    body = _resolve(spec, operation.get("requestBody", {}))
    return json.dumps([method, parameters, body], sort_keys=True, default=str)


def coverage_representatives(spec: dict[str, Any]) -> set[str]:
    """One operationId per distinct signature, the first in spec order.

    The coverage phase walks every boundary and negative value of every
    parameter (hundreds of cases for a list operation) whatever `max-examples`
    says. Operations with the same parameters and body (the report families)
    would repeat identical cases on another path, so only the first of each
    runs it; every operation still gets the examples and fuzzing phases.
    """
    seen: dict[str, str] = {}
    for _path, method, operation in spec_operations(spec):
        seen.setdefault(_signature(spec, method, operation), operation["operationId"])
    return set(seen.values())


SPEC = load_spec()
NARROWED = SPEC
OPERATIONS = {(method, path): op for path, method, op in spec_operations(SPEC)}
LINKS = spec_links(SPEC)
_EXAMPLES = max(MIN_EXAMPLES, min(MAX_EXAMPLES, EXAMPLE_BUDGET // max(1, len(OPERATIONS))))
_WITH_BODY = {op["operationId"] for op in OPERATIONS.values() if "requestBody" in op}
_WITH_COVERAGE = coverage_representatives(NARROWED)


def _operation_config(operation_id: str) -> dict[str, Any]:
    config: dict[str, Any] = {"include-operation-id": operation_id}
    if operation_id in _WITH_BODY:
        # A request body makes every example slow to generate; the coverage
        # phase still walks every member's boundaries.
        config["generation"] = {"max-examples": min(BODY_EXAMPLES, _EXAMPLES)}
    if operation_id not in _WITH_COVERAGE:
        config["phases"] = {"coverage": {"enabled": False}}
    return config


CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "headers": {"Authorization": f"Bearer {DEFAULT_API_KEY}"},
        "checks": {"enabled": True},  # every check, as `--checks all`
        # The seeded server and subaccount: other ids are 404s that would test little.
        "parameters": {"path.serverId": DEFAULT_SERVER_ID, "path.subaccountId": DEFAULT_SUBACCOUNT_ID},
        # As the shipped configuration: whether the API refuses undeclared parameters is unpublished.
        "generation": {
            "max-examples": _EXAMPLES,
            "deterministic": True,
            "database": "none",
            "allow-extra-parameters": False,
        },
        "phases": {"stateful": {"max-steps": STATEFUL_STEPS}},
        "operations": [
            _operation_config(op["operationId"])
            for op in OPERATIONS.values()
            if op["operationId"] in _WITH_BODY or op["operationId"] not in _WITH_COVERAGE
        ],
    }
)
schema = schemathesis.openapi.from_dict(NARROWED, config=CONFIG)

# The Injection API answers a malformed body with HTTP 200 and
# `ErrorCode: InvalidData`, as the real one does (the status code is not how it
# reports bad input), so "schema-violating request rejected" cannot hold there.
# Every other check still runs on it.
INJECTION_EXCLUDED = [negative_data_rejection]
_SANDBOX_URLS = {"api": "api_url", "injection": "inject_url"}


def _server(case: Case[Any]) -> str:
    server: str = OPERATIONS[(case.operation.method.upper(), case.operation.path)].get("x-server", "api")
    return server


def _base_url(sandbox: Sandbox, case: Case[Any]) -> str:
    server = _server(case)
    attribute = _SANDBOX_URLS.get(server, f"{server}_url")
    url = getattr(sandbox, attribute, None)
    if not isinstance(url, str):
        pytest.fail(f"the sandbox has no base URL for x-server {server!r} (expected Sandbox.{attribute})")
    return url


def _excluded(case: Case[Any]) -> list[Any]:
    return INJECTION_EXCLUDED if _server(case) == "injection" else []


@pytest.fixture(scope="module")
def st_sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(anchor=FIXED_ANCHOR, suppressions=5, report_messages=300)) as sandbox:
        yield sandbox


# --- Tests ------------------------------------------------------------------


def test_the_schema_has_every_operation_of_the_spec() -> None:
    labels = sorted(result.ok().label for result in schema.get_all_operations())  # type: ignore[union-attr]
    assert labels == sorted(f"{method} {path}" for method, path in OPERATIONS)
    print(
        f"schemathesis: {len(labels)} operations, {_EXAMPLES} examples each"
        f" ({len(_WITH_BODY)} with a body: {min(BODY_EXAMPLES, _EXAMPLES)}),"
        f" coverage phase on {len(_WITH_COVERAGE)}"
    )


def test_coverage_runs_once_per_distinct_signature() -> None:
    spec = {
        "paths": {
            "/a": {"get": {"operationId": "a", "parameters": [{"name": "q", "in": "query"}]}},
            "/b": {"get": {"operationId": "b", "parameters": [{"name": "q", "in": "query"}]}},
            "/c": {"post": {"operationId": "c", "parameters": [{"name": "q", "in": "query"}]}},
        }
    }
    assert coverage_representatives(spec) == {"a", "c"}
    assert coverage_representatives(NARROWED) >= {op["operationId"] for op in OPERATIONS.values()} & {
        "sendEmail",
        "searchSuppressions",
    }


def test_every_filtered_operation_declares_its_fields() -> None:
    missing = []
    for (method, path), operation in OPERATIONS.items():
        parameters = {
            _resolve(SPEC, p).get("name"): _resolve(SPEC, p) for p in operation.get("parameters", [])
        }
        if "filters" in parameters and "x-filters" not in operation:
            missing.append(f"{method} {path}")
        if "sortField" in parameters and "enum" not in parameters["sortField"]["schema"]:
            missing.append(f"{method} {path} (sortField)")
    assert missing == [], "add x-filters to these operations"


@schema.parametrize()
def test_every_operation(case: Case[Any], st_sandbox: Sandbox) -> None:
    case.call_and_validate(base_url=_base_url(st_sandbox, case), excluded_checks=_excluded(case))


def linked_operation_ids(spec: dict[str, Any]) -> list[str]:
    """The operations a link starts from or leads to: the only ones the state machine needs."""
    ids: set[str] = set()
    for _path, _method, operation in spec_operations(spec):
        for response in operation.get("responses", {}).values():
            targets = [link["operationId"] for link in _resolve(spec, response).get("links", {}).values()]
            if targets:
                ids.update([operation["operationId"], *targets])
    return sorted(ids)


def link_operation_ids(spec: dict[str, Any]) -> dict[str, list[str]]:
    """Each link (named as in `spec_links`) -> its source and target operationIds."""
    labels = {op["operationId"]: f"{method} {path}" for path, method, op in spec_operations(spec)}
    found: dict[str, list[str]] = {}
    for path, method, op in spec_operations(spec):
        for status, response in op.get("responses", {}).items():
            for name, link in _resolve(spec, response).get("links", {}).items():
                target = _resolve(spec, link)["operationId"]
                found[f"{method} {path} -> [{status}] {name} -> {labels[target]}"] = [
                    op["operationId"],
                    target,
                ]
    return found


class _Hooks:
    """Our hooks on a schemathesis state machine: reset, count steps and followed links."""

    sandbox: ClassVar[Sandbox | None] = None
    steps: ClassVar[Counter[str]] = Counter()
    followed: ClassVar[Counter[str]] = Counter()

    def setup(self) -> None:
        assert self.sandbox is not None
        self.sandbox.reset()

    def step(self, input: StepInput) -> StepOutput:
        transition = input.transition
        # The state machine ignores the config's path parameters: a subaccount a link
        # did not name is the seeded one (any other is a 404 that would end the scenario).
        path = input.case.path_parameters
        linked = any(name == "subaccountId" for _, name in input.applied_parameters)
        if path is not None and "subaccountId" in path and not linked:
            path["subaccountId"] = DEFAULT_SUBACCOUNT_ID
        if transition is None:
            self.steps["initial"] += 1
        elif transition.is_inferred:
            self.steps["inferred link"] += 1
        else:
            self.steps["spec link"] += 1
            if input.is_applied:
                self.followed[transition.id] += 1
        output: StepOutput = super().step(input)
        return output

    def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
        assert self.sandbox is not None
        return {"base_url": _base_url(self.sandbox, case)}

    def validate_response(
        self, response: Any, case: Case[Any], additional_checks: Any = None, **kwargs: Any
    ) -> None:
        case.validate_response(
            response,
            additional_checks=additional_checks,
            excluded_checks=_excluded(case),
            transport_kwargs=kwargs or None,
            recorder=self.recorder,
        )


def _machine(operation_ids: list[str]) -> Any:
    """A state machine over these operations only, with our hooks.

    The spec is cut down rather than filtered: `schema.include()` does not
    narrow the transitions `as_state_machine()` builds.
    """
    spec = copy.deepcopy(NARROWED)
    for item in spec["paths"].values():
        for method in [m for m, op in item.items() if isinstance(op, dict) and "operationId" in op]:
            if item[method]["operationId"] not in operation_ids:
                del item[method]
                continue
            for response in item[method].get("responses", {}).values():
                links = response.get("links", {})
                for name in [n for n, link in links.items() if link.get("operationId") not in operation_ids]:
                    del links[name]
    spec["paths"] = {
        path: item for path, item in spec["paths"].items() if any(m in item for m in HTTP_METHODS)
    }
    base = schemathesis.openapi.from_dict(spec, config=CONFIG).as_state_machine()
    return type("_Machine", (_Hooks, base), {})


# Only the linked operations: with all of them, most scenarios would start
# (and end) on calls no link leaves from.
_Machine = _machine(linked_operation_ids(SPEC))


def _run(machine: Any, scenarios: int, steps: int) -> None:
    machine.run(
        settings=hypothesis.settings(
            max_examples=scenarios,
            stateful_step_count=steps,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )


def test_stateful_links(st_sandbox: Sandbox) -> None:
    scenarios = max(
        STATEFUL_MIN_SCENARIOS, min(STATEFUL_MAX_SCENARIOS, STATEFUL_SCENARIOS_PER_LINK * len(LINKS))
    )
    _Hooks.sandbox = st_sandbox
    _Hooks.steps.clear()
    _Hooks.followed.clear()
    _run(_Machine, scenarios, STATEFUL_STEPS)
    # Which links the mixed run happens to take depends on the whole spec; a
    # link it missed gets a run of its own over its two operations, so each is
    # followed however the spec grows.
    for link, operation_ids in link_operation_ids(SPEC).items():
        if not _Hooks.followed[link]:
            _run(_machine(operation_ids), STATEFUL_SCENARIOS_PER_LINK, STATEFUL_STEPS)
    print(f"stateful: {len(LINKS)} spec links, {scenarios} scenarios, steps {dict(_Hooks.steps)}")
    for link in LINKS:
        print(f"  {_Hooks.followed[link]:3d}x {link}")
    assert LINKS, "the spec has no links: the stateful test would test nothing"
    assert [link for link in LINKS if not _Hooks.followed[link]] == [], "links never followed"
