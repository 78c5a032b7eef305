"""The operations reference, written from the spec, says what the generated methods take and return.

generator/regenerate.py derives each method's keywords and return type from
the spec; the templates derive the code from it too. Comparing the page with
the generated classes (by inspection) catches the two readings drifting
apart, and the mkdocstrings pages must name every method the page lists.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "generator"))

import regenerate  # noqa: E402

PER_CALL = {"self", *regenerate.PER_CALL_OPTIONS}


def _records() -> list[dict[str, Any]]:
    spec = yaml.safe_load(regenerate.SPEC.read_text(encoding="utf-8"))
    return regenerate.operations_reference(spec)


RECORDS = _records()


def _method(record: dict[str, Any]) -> Any:
    module = importlib.import_module(f"socketlabs_api.resources.{record['tag']}")
    _, cls_name = regenerate.call_site(record)
    return getattr(getattr(module, cls_name), record["method_name"])


@pytest.mark.parametrize("record", RECORDS, ids=[r["operation_id"] for r in RECORDS])
def test_the_page_lists_the_methods_keywords(record: dict[str, Any]) -> None:
    listed = {re.match(r"`(\w+)`", line)[1] for line in record["parameters"]}  # type: ignore[index]
    actual = set(inspect.signature(_method(record)).parameters) - PER_CALL
    assert listed == actual


@pytest.mark.parametrize("record", RECORDS, ids=[r["operation_id"] for r in RECORDS])
def test_the_page_names_the_methods_return_type(record: dict[str, Any]) -> None:
    annotation = inspect.signature(_method(record)).return_annotation
    text = annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)
    named = re.sub(r"\]\[[\w.]+\]", "", record["return"]).split(" (")[0]
    assert named.strip(), record["return"]
    for name in re.findall(r"[A-Za-z_]\w*", named):
        assert re.search(rf"\b{name}\b", text), f"{record['operation_id']}: {named!r} vs {text!r}"


def test_the_resources_page_renders_every_resource_of_the_spec() -> None:
    page = (ROOT / "docs" / "reference" / "resources.md").read_text(encoding="utf-8")
    rendered = set(re.findall(r"^::: socketlabs_api\.resources\.(\w+)\.(\w+)$", page, re.MULTILINE))
    assert rendered == {(r["tag"], regenerate.call_site(r)[1]) for r in RECORDS}
