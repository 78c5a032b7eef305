"""The generated package holds no code that can never run.

The executor raises a typed error for every non-2xx answer before a parser
sees it, so each endpoint module's ``_parse_response`` branches only on the
operation's documented 2xx statuses; the generator's stock HTTP client
classes (once kept only to hand the parsers a dummy) and ``UnexpectedStatus``
are not generated at all.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest
import socketlabs_api
import yaml
from openapi_python_client.strings import snake_case

PACKAGE = Path(socketlabs_api.__file__).resolve().parent
SPEC = yaml.safe_load((PACKAGE / "openapi.yaml").read_text(encoding="utf-8"))


def _documented_successes() -> dict[str, set[int]]:
    """``{module name: 2xx statuses}`` for every operation of the spec."""
    found: dict[str, set[int]] = {}
    for item in SPEC["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and "operationId" in op:
                codes = {int(code) for code in op["responses"] if str(code).startswith("2")}
                found[snake_case(op["operationId"])] = codes
    return found


SUCCESSES = _documented_successes()
MODULES = sorted((PACKAGE / "api").rglob("*.py"))
ENDPOINTS = [path for path in MODULES if path.name != "__init__.py"]


def _status_branches(path: Path) -> list[tuple[int, int]]:
    """The status ranges ``_parse_response`` tests (``== N`` or ``lo <= status <= hi``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    (parser,) = [
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "_parse_response"
    ]
    ranges: list[tuple[int, int]] = []
    for node in ast.walk(parser):
        if not isinstance(node, ast.Compare) or "status_code" not in ast.unparse(node):
            continue
        numbers = [n.value for n in (node.left, *node.comparators) if isinstance(n, ast.Constant)]
        assert all(isinstance(n, int) for n in numbers), ast.unparse(node)
        ranges.append((min(numbers), max(numbers)))
    return ranges


def test_every_operation_has_its_module() -> None:
    assert {path.stem for path in ENDPOINTS} == set(SUCCESSES)


@pytest.mark.parametrize("path", ENDPOINTS, ids=lambda p: p.stem)
def test_the_parser_branches_only_on_documented_successes(path: Path) -> None:
    branches = _status_branches(path)
    assert branches, "a parser that tests no status"
    assert all(200 <= low <= high < 300 for low, high in branches), branches
    assert {low for low, high in branches if low == high} == SUCCESSES[path.stem]


def test_no_unused_client_or_error_classes_are_generated() -> None:
    for module in ("socketlabs_api.client", "socketlabs_api.errors"):
        assert importlib.util.find_spec(module) is None, module
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for dead in ("raise_on_unexpected_status", "UnexpectedStatus", "AuthenticatedClient"):
            assert dead not in text, f"{path.relative_to(PACKAGE)} mentions {dead}"
