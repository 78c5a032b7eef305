from __future__ import annotations

import builtins
from typing import Any

import pytest
from socketlabs_client._cli import main

_real_import = builtins.__import__


def _sandbox_import_fails_on(missing: str) -> Any:
    def fake_import(
        name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0
    ) -> Any:
        if level == 0 and name == "socketlabs_sandbox":
            raise ModuleNotFoundError(f"No module named {missing!r}", name=missing)
        return _real_import(name, globals, locals, fromlist, level)

    return fake_import


def test_a_missing_extra_is_reported_as_such(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(builtins, "__import__", _sandbox_import_fails_on("uvicorn"))
    assert main(["sandbox"]) == 2
    assert "needs the 'sandbox' extra" in capsys.readouterr().out


def test_any_other_import_failure_is_not_disguised_as_a_missing_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(builtins, "__import__", _sandbox_import_fails_on("socketlabs_sandbox._typo"))
    with pytest.raises(ModuleNotFoundError, match="_typo"):
        main(["sandbox"])
