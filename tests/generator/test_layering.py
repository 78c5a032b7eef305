"""Dependencies point one way: socketlabs_client imports socketlabs_api, never the reverse."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_generated_never_imports_overrides() -> None:
    files = sorted((ROOT / "generated").rglob("*.py"))
    assert files, "no generated files found"
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in _imported_modules(path) if m.split(".")[0] == "socketlabs_client"
        )
        for path in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_checker_sees_such_an_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import socketlabs_client.x\nfrom socketlabs_client import SocketLabs\n")
    assert _imported_modules(bad) == {"socketlabs_client.x", "socketlabs_client"}
