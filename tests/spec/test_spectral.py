"""Spectral over the spec with the repository's ruleset (spec/.spectral.yaml): zero errors.

Spectral is an npm package pinned in tests/contract/package.json (installed with
Prism by `npm ci` there). Without it these tests skip on a developer's machine
and fail in CI (the `CI` environment variable set), where .ci/run installs it.
The second test proves the project's own rules fire, on a copy of the spec
with one violation per rule, so a rule that matches nothing cannot pass unseen.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "spec" / "openapi.yaml"
RULESET = REPO / "spec" / ".spectral.yaml"
SPECTRAL = REPO / "tests" / "contract" / "node_modules" / ".bin" / "spectral"
NOT_INSTALLED = "Spectral is not installed: run `npm ci` in tests/contract (or `tox -e spec`)"
SEVERITY = {0: "error", 1: "warning", 2: "info", 3: "hint"}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@pytest.fixture(scope="module")
def spectral() -> Path:
    if not SPECTRAL.exists():
        if os.environ.get("CI"):
            pytest.fail(NOT_INSTALLED)
        pytest.skip(NOT_INSTALLED)
    return SPECTRAL


def lint(spectral: Path, spec: Path) -> list[dict[str, Any]]:
    """Spectral's findings for ``spec`` with the repository's ruleset."""
    result = subprocess.run(
        [str(spectral), "lint", str(spec), "--ruleset", str(RULESET), "--format", "json", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if result.returncode not in (0, 1):  # 1 = findings at or above the fail severity
        pytest.fail(f"spectral failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    findings: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    return findings


def test_the_spec_has_no_spectral_errors(spectral: Path) -> None:
    findings = lint(spectral, SPEC)
    counts = {name: sum(1 for f in findings if f["severity"] == level) for level, name in SEVERITY.items()}
    print(f"spectral: {counts}")  # the counts of the closing note; warnings are allowed
    for finding in findings:
        line = finding["range"]["start"]["line"] + 1
        print(f"  {SEVERITY[finding['severity']]} {finding['code']} line {line}: {finding['message']}")
    errors = [f"{f['code']} at {'.'.join(map(str, f['path']))}" for f in findings if f["severity"] == 0]
    assert errors == []


def _operation(spec: dict[str, Any], operation_id: str) -> dict[str, Any]:
    for item in spec["paths"].values():
        for method in METHODS:
            if item.get(method, {}).get("operationId") == operation_id:
                operation: dict[str, Any] = item[method]
                return operation
    raise LookupError(operation_id)


def test_each_project_rule_fires_on_its_violation(spectral: Path, tmp_path: Path) -> None:
    spec = copy.deepcopy(yaml.safe_load(SPEC.read_text(encoding="utf-8")))
    send = _operation(spec, "sendEmail")
    del send["x-source"]
    send["x-confidence"] = "guessed"
    add = _operation(spec, "addSuppression")
    add["x-retry"] = "maybe"
    add["x-method-name"] = "Remove-It"
    check = _operation(spec, "checkSuppression")
    check["x-server"] = "elsewhere"
    del _operation(spec, "removeSuppression")["summary"]
    search = _operation(spec, "searchSuppressions")
    search["x-pagination"] = "pages"
    del search["x-filters"]
    _operation(spec, "downloadSuppressions")["x-pagination"] = "page"
    detail = _operation(spec, "getMessageDetailReport")
    detail["x-filters"] = {"to": "text", "status": []}
    del detail["x-rate-limit-family"]
    del _operation(spec, "searchRecipients")["x-pagination"]
    check["operationId"] = "not_camel_case"  # last: the lookups above go by operationId
    spec["webhooks"] = {
        "broken": {"post": {"operationId": "brokenEvent", "responses": {"200": {"description": "ok"}}}}
    }
    broken = tmp_path / "openapi.yaml"
    broken.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")

    fired = {f["code"] for f in lint(spectral, broken) if f["severity"] == 0}
    expected = {
        "x-source",
        "x-confidence",
        "x-retry",
        "x-method-name",
        "x-server",
        "x-operation-id-camel-case",
        "x-summary",
        "x-pagination",
        "x-pagination-declared",
        "x-pagination-csv",
        "x-filters",
        "x-filters-declared",
        "x-rate-limit-family-present",
        "x-webhook-request-body",
        "x-webhook-summary",
        "x-webhook-source",
    }
    assert expected - fired == set()
