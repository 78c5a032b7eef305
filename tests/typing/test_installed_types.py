"""What a user's type checkers see: the wheel, installed in a fresh virtual environment.

The project's own ``mypy`` run points ``mypy_path`` at the sources; a user has
only the installed wheel. So this builds the wheel, installs it with mypy and
pyright (from PyPI) into a new venv, and type-checks two user programs there,
with no source path anywhere: ``mypy --strict`` and pyright in strict mode
must reveal the documented types in ``user_program.py`` (and report nothing
else), must flag every line marked ``# error`` in ``user_mistakes.py``, and
must reveal every public attribute of every generated model as the spec has
it (required ``T``, optional ``T | None``), never with ``Unset``.

Downloads are kept in a wheelhouse (``SOCKETLABS_TYPING_CACHE``, default
``~/.cache/socketlabs-client-typing``), so later runs install offline; pyright
keeps its own node package in its cache. Nothing here is skipped: without
PyPI on the first run the test fails, as it should in CI.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
import socketlabs_api.models

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PROGRAM = HERE / "user_program.py"
MISTAKES = HERE / "user_mistakes.py"
ATTRIBUTES = "model_attributes.py"
"""Written by the fixture: one ``reveal_type`` per public attribute of every public model."""
TOOLS = ("mypy==2.4.1", "pyright==1.1.414")
PACKAGES = ("socketlabs_api", "socketlabs_client", "socketlabs_sandbox")
CACHE = Path(os.environ.get("SOCKETLABS_TYPING_CACHE", Path.home() / ".cache" / "socketlabs-client-typing"))

_MODULE_PATH = re.compile(r"\b(?:[A-Za-z_]\w*\.)+(?=[A-Za-z_])")
"""``socketlabs_client._client.SocketLabs`` -> ``SocketLabs``: mypy names types with their modules."""


def _run(args: list[str | Path], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def _model_attributes() -> tuple[str, dict[int, str]]:
    """The program revealing every public model attribute, and ``{line: annotation}`` it should reveal."""
    lines = ["from __future__ import annotations", "", "from typing import reveal_type", ""]
    expected: dict[int, str] = {}
    names = [n for n in sorted(socketlabs_api.models.__all__) if attrs.has(getattr(socketlabs_api.models, n))]
    for name in names:  # every model (the enums are not attrs classes)
        model = getattr(socketlabs_api.models, name)
        lines += ["", f"def reveal_{name}(value: {name}) -> None:"]
        for field in attrs.fields(model):
            if not field.name.startswith("_"):
                lines.append(f"    reveal_type(value.{field.name})")
                expected[len(lines)] = _short(str(field.type))
    lines.insert(3, f"from socketlabs_api.models import {', '.join(names)}")
    return "\n".join(lines) + "\n", {line + 1: kind for line, kind in expected.items()}


def _clean_env() -> dict[str, str]:
    """The environment without anything that could lead a checker to the sources."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _install(venv_python: Path, wheel: Path, cwd: Path, env: dict[str, str]) -> None:
    """Install the wheel and the checkers offline from the wheelhouse, filling it first when needed."""
    wheelhouse = CACHE / "wheelhouse"
    wheelhouse.mkdir(parents=True, exist_ok=True)
    pip: list[str | Path] = [sys.executable, "-m", "pip", "--python", venv_python]
    offline: list[str | Path] = [*pip, "install", "-q", "--no-index", "--find-links", wheelhouse]
    offline += [wheel, *TOOLS]
    if _run(offline, cwd, env).returncode == 0:
        return
    download = _run([*pip, "download", "-q", "-d", wheelhouse, wheel, *TOOLS], cwd, env)
    assert download.returncode == 0, download.stderr
    for stale in wheelhouse.glob("socketlabs_client-*.whl"):  # ours is always the fresh build
        stale.unlink()
    installed = _run(offline, cwd, env)
    assert installed.returncode == 0, installed.stderr


@pytest.fixture(scope="module")
def user_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A folder with the two programs and a venv holding the built wheel, mypy and pyright."""
    work = tmp_path_factory.mktemp("user")
    env = _clean_env()
    dist = work / "dist"
    built = _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, ROOT], work, env)
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("socketlabs_client-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for package in PACKAGES:
        assert f"{package}/py.typed" in names, f"the wheel lacks {package}/py.typed"
    venv = work / "venv"
    created = _run([sys.executable, "-m", "venv", "--without-pip", venv], work, env)
    assert created.returncode == 0, created.stderr
    _install(venv / "bin" / "python", wheel, work, env)
    project = work / "project"
    project.mkdir()
    for source in (PROGRAM, MISTAKES):
        (project / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (project / ATTRIBUTES).write_text(_model_attributes()[0], encoding="utf-8")
    # Strict everywhere, and nothing else: no mypy_path, no stub folders, no source paths.
    (project / "mypy.ini").write_text("[mypy]\nstrict = True\n", encoding="utf-8")
    (project / "pyrightconfig.json").write_text(
        json.dumps({"typeCheckingMode": "strict", "pythonVersion": "3.11"}), encoding="utf-8"
    )
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    yield project, env


def _expected(source: Path) -> dict[int, str]:
    """``{line: type}`` from the ``# expect:`` comments."""
    found = {}
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        if "# expect:" in line:
            found[number] = line.split("# expect:", 1)[1].strip()
    assert found, f"{source.name} has no expectations"
    return found


def _marked(source: Path) -> set[int]:
    lines = source.read_text(encoding="utf-8").splitlines()
    return {number for number, line in enumerate(lines, start=1) if line.rstrip().endswith("# error")}


def _short(type_text: str) -> str:
    return _MODULE_PATH.sub("", type_text).replace("*", "")


def _mypy(project: Path, env: dict[str, str], name: str) -> tuple[dict[int, str], dict[int, str], str]:
    """Revealed types and errors by line, and the whole output."""
    result = _run([project.parent / "venv" / "bin" / "python", "-m", "mypy", name], project, env)
    output = result.stdout + result.stderr
    revealed, errors = {}, {}
    for match in re.finditer(rf"^{re.escape(name)}:(\d+): (note|error): (.*)$", output, re.MULTILINE):
        line, kind, text = int(match[1]), match[2], match[3]
        if kind == "note" and text.startswith("Revealed type is "):
            revealed[line] = _short(text.removeprefix("Revealed type is ").strip('"'))
        elif kind == "error":
            errors[line] = text
    return revealed, errors, output


def _pyright(project: Path, env: dict[str, str], name: str) -> tuple[dict[int, str], dict[int, str], str]:
    """Revealed types and errors by line (pyright counts lines from 0), and the whole output."""
    result = _run([project.parent / "venv" / "bin" / "pyright", "--outputjson", name], project, env)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"pyright gave no report:\n{result.stdout}\n{result.stderr}")
    revealed, errors = {}, {}
    for diagnostic in report["generalDiagnostics"]:
        line = diagnostic["range"]["start"]["line"] + 1
        message = diagnostic["message"]
        if diagnostic["severity"] == "information" and message.startswith("Type of "):
            revealed[line] = _short(message.split('" is "', 1)[1].rstrip('"'))
        elif diagnostic["severity"] == "error":
            errors[line] = message
    return revealed, errors, result.stdout


@pytest.mark.parametrize("checker", [_mypy, _pyright], ids=["mypy-strict", "pyright-strict"])
def test_a_user_program_sees_the_documented_types(
    user_env: tuple[Path, dict[str, str]], checker: object
) -> None:
    project, env = user_env
    assert callable(checker)
    revealed, errors, output = checker(project, env, PROGRAM.name)
    assert errors == {}, output
    assert revealed == _expected(PROGRAM), output


@pytest.mark.parametrize("checker", [_mypy, _pyright], ids=["mypy-strict", "pyright-strict"])
def test_a_user_program_gets_its_mistakes_pointed_out(
    user_env: tuple[Path, dict[str, str]], checker: object
) -> None:
    project, env = user_env
    assert callable(checker)
    _, errors, output = checker(project, env, MISTAKES.name)
    assert set(errors) == _marked(MISTAKES), output


@pytest.mark.parametrize("checker", [_mypy, _pyright], ids=["mypy-strict", "pyright-strict"])
def test_every_model_attribute_reads_as_declared_without_unset(
    user_env: tuple[Path, dict[str, str]], checker: object
) -> None:
    project, env = user_env
    assert callable(checker)
    revealed, errors, output = checker(project, env, ATTRIBUTES)
    expected = _model_attributes()[1]
    assert errors == {}, output
    assert set(revealed) == set(expected), output
    assert [kind for kind in revealed.values() if "Unset" in kind] == []
    optional = [line for line, kind in expected.items() if kind.endswith("| None")]
    assert len(optional) > 100, "the spec's optional members read as `T | None`"
    wrong = {
        line: (revealed[line], kind)
        for line, kind in expected.items()
        if _same(revealed[line]) != _same(kind)
    }
    assert wrong == {}, output


def _same(type_text: str) -> frozenset[str]:
    """A union's members regardless of their order (checkers print unions in their own order)."""
    return frozenset(part.strip() for part in type_text.split("|"))
