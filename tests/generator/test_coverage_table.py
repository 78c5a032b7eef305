"""The README's coverage table is generated from the spec and must match it."""

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


def test_the_readme_table_is_current(spec: dict[str, Any]) -> None:
    committed = regenerate.README.read_text(encoding="utf-8")
    current = regenerate.with_coverage(committed, regenerate.coverage_table(spec))
    if current != committed:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                current.splitlines(keepends=True),
                "README.md",
                "from spec",
            )
        )
        pytest.fail(
            f"README.md's coverage table is stale.\nFix: {regenerate.COMMAND} --coverage\n\n{diff}",
            pytrace=False,
        )


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


def test_a_spec_change_makes_the_table_stale(spec: dict[str, Any]) -> None:
    changed = copy.deepcopy(spec)
    changed["paths"]["/servers/{serverId}/suppressions"]["get"]["x-confidence"] = "modeled"
    committed = regenerate.README.read_text(encoding="utf-8")
    assert regenerate.with_coverage(committed, regenerate.coverage_table(changed)) != committed


def test_sources_with_pipes_and_newlines_stay_one_cell(spec: dict[str, Any]) -> None:
    changed = copy.deepcopy(spec)
    changed["paths"]["/email"]["post"]["x-source"] = "docs | libraries\n(two lines)"
    [row] = [line for line in regenerate.coverage_table(changed).splitlines() if "(sendEmail)" in line]
    assert row.endswith("| docs \\| libraries (two lines) |")


def test_only_the_text_between_the_markers_is_replaced() -> None:
    readme = f"intro\n{regenerate.COVERAGE_START}\nold\n{regenerate.COVERAGE_END}\noutro\n"
    assert regenerate.with_coverage(readme, "new\n") == (
        f"intro\n{regenerate.COVERAGE_START}\nnew\n{regenerate.COVERAGE_END}\noutro\n"
    )
    with pytest.raises(regenerate.RegenerateError, match="markers"):
        regenerate.with_coverage("no markers here\n", "new\n")


def test_write_coverage_rewrites_a_stale_file(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        f"# x\n{regenerate.COVERAGE_START}\nstale\n{regenerate.COVERAGE_END}\n", encoding="utf-8"
    )
    assert regenerate.write_coverage(readme) is True
    assert "| `suppressions.add` (addSuppression) | POST |" in readme.read_text(encoding="utf-8")
    assert regenerate.write_coverage(readme) is False
