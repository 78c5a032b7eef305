"""Regenerating from the spec must give exactly what is committed in generated/."""

from __future__ import annotations

import difflib
import filecmp
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "generator"))

import regenerate  # noqa: E402

SPEC_SERVERS = yaml.safe_load(regenerate.SPEC.read_text(encoding="utf-8"))["x-servers"]

COMMITTED = ROOT / "generated" / "socketlabs_api"


def _tree(root: Path) -> set[str]:
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def test_regenerating_gives_zero_diff(tmp_path: Path) -> None:
    fresh = tmp_path / "socketlabs_api"
    regenerate.generate(fresh)
    committed, regenerated = _tree(COMMITTED), _tree(fresh)
    problems = [f"only in generated/: {name}" for name in sorted(committed - regenerated)]
    problems += [f"missing from generated/: {name}" for name in sorted(regenerated - committed)]
    _, mismatch, errors = filecmp.cmpfiles(COMMITTED, fresh, sorted(committed & regenerated), shallow=False)
    for name in (mismatch + errors)[:3]:
        old = (COMMITTED / name).read_text(encoding="utf-8").splitlines(keepends=True)
        new = (fresh / name).read_text(encoding="utf-8").splitlines(keepends=True)
        problems.append("".join(difflib.unified_diff(old, new, f"generated/{name}", f"regenerated/{name}")))
    problems += [f"differs: {name}" for name in (mismatch + errors)[3:]]
    if problems:
        pytest.fail(
            "generated/ is out of date with spec/ and generator/ (never edit it by hand).\n"
            f"Fix: {regenerate.COMMAND}\n\n" + "\n".join(problems),
            pytrace=False,
        )


def test_every_generated_file_says_do_not_edit() -> None:
    missing = [
        name
        for name in sorted(_tree(COMMITTED))
        if name.endswith(".py")
        and not (COMMITTED / name).read_text(encoding="utf-8").startswith(regenerate.HEADER)
    ]
    assert missing == []
    assert (COMMITTED / "py.typed").exists()


def test_spec_extension_problems_are_refused() -> None:
    spec = {
        "paths": {
            "/x": {"get": {"operationId": "getX", "x-confidence": "guessed", "x-method-name": "get"}},
            "/y": {"post": {}},
        }
    }
    with pytest.raises(regenerate.RegenerateError) as err:
        regenerate.operations_from_spec(spec)
    text = str(err.value)
    assert "x-confidence" in text
    assert "x-source" in text
    assert "x-retry" in text
    assert "POST /y: no operationId" in text
    assert "x-shape-confidence" in text, "every operation states its shape confidence explicitly"


def _operation(**extensions: str) -> dict[str, object]:
    return {
        "operationId": "createX",
        "x-source": "a test",
        "x-confidence": "modeled",
        "x-shape-confidence": "modeled",
        "x-method-name": "create",
        "x-retry": "once",
        "x-server": "management",
        "responses": {"200": {"content": {"application/json": {}}}},
        **extensions,
    }


def test_once_retry_and_management_server_are_accepted() -> None:
    spec = {
        "x-rate-limits": {"default": {"limit": 100, "period": 60}},
        "x-servers": SPEC_SERVERS,
        "paths": {"/x": {"post": _operation()}},
    }
    (info,) = regenerate.operations_from_spec(spec).values()
    assert (info["retry"], info["server"], info["shape_confidence"]) == ("once", "management", "modeled")


@pytest.mark.parametrize(("name", "value"), [("x-retry", "twice"), ("x-server", "legacy")])
def test_unknown_retry_or_server_values_are_refused(name: str, value: str) -> None:
    with pytest.raises(regenerate.RegenerateError, match=name):
        regenerate.operations_from_spec({"paths": {"/x": {"post": _operation(**{name: value})}}})
