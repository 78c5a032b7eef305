"""The operations reference (docs/reference/operations.md) is generated from the spec and must match it."""

from __future__ import annotations

import copy
import difflib
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "generator"))

import regenerate  # noqa: E402


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(regenerate.SPEC.read_text(encoding="utf-8"))
    return loaded


def test_the_reference_page_is_current(spec: dict[str, Any]) -> None:
    committed = regenerate.REFERENCE.read_text(encoding="utf-8")
    current = regenerate.reference_page(spec)
    if current != committed:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                current.splitlines(keepends=True),
                "docs/reference/operations.md",
                "from spec",
            )
        )
        pytest.fail(
            f"docs/reference/operations.md is stale.\nFix: {regenerate.COMMAND} --coverage\n\n{diff}",
            pytrace=False,
        )


def test_the_resources_page_is_current(spec: dict[str, Any]) -> None:
    committed = regenerate.RESOURCES_PAGE.read_text(encoding="utf-8")
    assert committed == regenerate.resources_page(spec), (
        f"docs/reference/resources.md is stale. Fix: {regenerate.COMMAND} --coverage"
    )


def test_the_models_page_names_every_generated_model() -> None:
    committed = regenerate.MODELS_PAGE.read_text(encoding="utf-8")
    assert committed == regenerate.models_page(regenerate.TARGET), (
        f"docs/reference/models.md is stale. Fix: {regenerate.COMMAND} --coverage"
    )
    exported = (regenerate.TARGET / "models" / "__init__.py").read_text(encoding="utf-8")
    for module, name in regenerate._MODEL_IMPORT.findall(exported):
        assert f"\n::: socketlabs_api.models.{module}.{name}\n" in committed


def test_the_table_has_one_row_per_operation_and_the_counts(spec: dict[str, Any]) -> None:
    table = regenerate.coverage_table(spec)
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    operations = regenerate.operations_from_spec(spec)
    assert len(rows) == len(operations)
    for op in operations.values():
        [row] = [r for r in rows if f"({op['operation_id']})" in r]
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        assert cells[1:4] == [op["method"], f"`{op['path']}`", op["server"]]
        assert cells[4].split()[0] == op["confidence"]
    by_level = {
        level: sum(o["confidence"] == level for o in operations.values()) for level in regenerate.CONFIDENCE
    }
    expected = ", ".join(f"{n} {level}" for level, n in by_level.items())
    assert table.splitlines()[0] == f"{len(operations)} operations: {expected}."
    evidenced = [o for o in operations.values() if o["confidence"] != "modeled"]
    shaped = sum(o["shape_confidence"] != "modeled" for o in evidenced)
    assert table.splitlines()[1].startswith(
        f"{len(evidenced)} have an evidenced path (`client.<resource>`), {shaped} of them"
    )
    assert f"{by_level['modeled']} are this client's model (`client.unverified.<resource>`)" in table
    for op in operations.values():  # the call site: a modeled operation is under client.unverified
        tier = "unverified." if op["confidence"] == "modeled" else ""
        assert f"| `{tier}{op['tag']}.{op['method_name']}` ({op['operation_id']})" in table


def test_the_page_has_one_section_per_operation_with_its_facts(spec: dict[str, Any]) -> None:
    page = regenerate.reference_page(spec)
    operations = regenerate.operations_from_spec(spec)
    sections = page.split("\n### ")[1:]
    assert len(sections) == len(operations)
    for op in operations.values():
        [section] = [s for s in sections if f"(operationId `{op['operation_id']}`)" in s]
        tier = "unverified." if op["confidence"] == "modeled" else ""
        assert section.startswith(f"`{tier}{op['tag']}.{op['method_name']}`\n")
        assert f"| HTTP | `{op['method']} {op['path']}` on `{op['server']}`" in section
        assert f"| confidence | {op['confidence']}" in section
        for row in ("parameters", "returns", "errors", "retries", "source"):
            assert f"\n| {row} | " in section, (op["operation_id"], row)


def test_a_spec_change_makes_the_page_stale(spec: dict[str, Any]) -> None:
    committed = regenerate.REFERENCE.read_text(encoding="utf-8")
    changed = copy.deepcopy(spec)
    changed["paths"]["/servers/{serverId}/suppressions"]["get"]["x-confidence"] = "modeled"
    assert regenerate.reference_page(changed) != committed
    renamed = copy.deepcopy(spec)
    renamed["components"]["parameters"]["EmailAddress"]["name"] = "address"
    assert "`address` (`address`)" in regenerate.reference_page(renamed)


def test_every_operation_links_its_method_models_and_errors(spec: dict[str, Any]) -> None:
    page = regenerate.reference_page(spec)
    assert "[`client.suppressions.check`][socketlabs_api.resources.suppressions.Suppressions.check]" in page
    assert "[`SuppressionStatus`][socketlabs_api.models.suppression_status.SuppressionStatus]" in page
    assert "[`NotFoundError`][socketlabs_client._errors.NotFoundError] (404)" in page


def test_sources_with_pipes_and_newlines_stay_one_cell(spec: dict[str, Any]) -> None:
    changed = copy.deepcopy(spec)
    changed["paths"]["/email"]["post"]["x-source"] = "docs | libraries\n(two lines)"
    [row] = [line for line in regenerate.coverage_table(changed).splitlines() if "(sendEmail)" in line]
    assert row.endswith("| docs \\| libraries (two lines) |")
    page = regenerate.reference_page(changed)
    assert "| source | docs \\| libraries (two lines) |" in page


def test_errors_follow_the_documented_statuses_and_the_operation_kind(spec: dict[str, Any]) -> None:
    records = {r["operation_id"]: r for r in regenerate.operations_reference(spec)}

    def names(operation_id: str) -> str:
        return " ".join(records[operation_id]["errors"])

    assert "[`NotFoundError`]" in names("removeSuppression")
    assert "[`InjectionOverQuotaError`]" in names("sendEmail")
    assert "[`OutcomeUnknownError`]" in names("sendEmail")
    assert "[`CsvRangeError`]" in names("downloadSuppressions")
    assert "OutcomeUnknownError" not in names("checkSuppression")
    assert "[`InvalidFilterError`]" in names("searchSuppressions")


def test_write_reference_rewrites_a_stale_file(tmp_path: Path) -> None:
    page = tmp_path / "reference" / "operations.md"
    assert regenerate.write_reference(page) is True
    assert "| `suppressions.add` (addSuppression) | POST |" in page.read_text(encoding="utf-8")
    assert regenerate.write_reference(page) is False
    page.write_text("stale\n", encoding="utf-8")
    assert regenerate.write_reference(page) is True


def test_the_readme_counts_are_the_specs(spec: dict[str, Any]) -> None:
    """The README's tier counts are written from the spec: a spec change without regenerating fails here."""
    committed = (regenerate.ROOT / "README.md").read_text(encoding="utf-8")
    assert regenerate.readme_with_counts(committed, spec) == committed, "run: python generator/regenerate.py"
    assert regenerate.confidence_counts(spec)[0] in committed


def test_the_readme_counts_need_their_markers(spec: dict[str, Any]) -> None:
    with pytest.raises(regenerate.RegenerateError, match="markers"):
        regenerate.readme_with_counts("# a README without them\n", spec)
