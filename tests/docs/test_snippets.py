"""Every ``python`` block of the documentation (docs/ and README.md) runs as written.

A block runs in a fresh interpreter, in an empty folder, with the
``SOCKETLABS_*`` variables pointing at a sandbox: the way a reader runs it with
their own account. A block that starts ``# test_<name>.py`` is a pytest file
and runs under pytest, with the package's pytest plugin. A block that cannot
run here says so on its first line, visibly to the reader:
``# Not run by the docs tests: <reason>.``; such a block is compiled (its
syntax and names hold), not run, and is no test case of its own, so the suite
reports no skips. A block that names ``redis://127.0.0.1:6379`` gets the port of the test
session's own redis-server instead. A block that fails fails here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from socketlabs_sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)
NOT_RUN = re.compile(r"^# Not run by the docs tests: (?P<reason>\S.*\S)\.$")
REDIS_URL = "redis://127.0.0.1:6379"
PYTEST_FILE = re.compile(r"^# (?P<name>test_\w+\.py)$")


def _pages() -> list[Path]:
    """The README and every page of the site (docs/incoming/ holds drafts, not pages)."""
    pages = sorted(p for p in DOCS.rglob("*.md") if "incoming" not in p.relative_to(DOCS).parts)
    return [ROOT / "README.md", *pages]


def _snippets() -> list[tuple[str, str]]:
    found = []
    for page in _pages():
        name = page.relative_to(ROOT).as_posix()
        for number, code in enumerate(_BLOCK.findall(page.read_text(encoding="utf-8")), start=1):
            found.append((f"{name}#{number}", code))
    return found


SNIPPETS = _snippets()
RUNNABLE = [(name, code) for name, code in SNIPPETS if not NOT_RUN.match(code.splitlines()[0])]
NOT_RUNNABLE = [(name, code) for name, code in SNIPPETS if NOT_RUN.match(code.splitlines()[0])]


def _env(sandbox: Sandbox, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCKETLABS_")}
    env.update(
        SOCKETLABS_API_KEY=sandbox.api_key,
        SOCKETLABS_SERVER_ID=str(sandbox.server_id),
        SOCKETLABS_BASE_URL=sandbox.api_url,
        SOCKETLABS_INJECT_URL=sandbox.inject_url,
        SOCKETLABS_MANAGEMENT_URL=sandbox.management_url,
        **extra,
    )
    return env


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def _run_pytest_file(
    name: str, code: str, env: dict[str, str], folder: Path
) -> subprocess.CompletedProcess[str]:
    (folder / "pytest.ini").write_text(
        textwrap.dedent(
            """\
            [pytest]
            asyncio_mode = strict
            asyncio_default_fixture_loop_scope = function
            filterwarnings = error
            """
        )
    )
    (folder / name).write_text(code)
    return _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name], env, folder)


@pytest.mark.parametrize(("name", "code"), RUNNABLE, ids=[name for name, _ in RUNNABLE])
def test_the_snippet_runs_against_the_sandbox(
    socketlabs_sandbox: Sandbox, tmp_path: Path, request: pytest.FixtureRequest, name: str, code: str
) -> None:
    first = code.splitlines()[0]
    env = _env(socketlabs_sandbox)
    pytest_file = PYTEST_FILE.match(first)
    if pytest_file:
        env.pop("SOCKETLABS_API_KEY")  # the fixtures, not the environment, must point it at a sandbox
        result = _run_pytest_file(pytest_file["name"], code, env, tmp_path)
        assert result.returncode == 0, f"{name} failed under pytest:\n{result.stdout}\n{result.stderr}"
        assert " passed" in result.stdout and "skipped" not in result.stdout, result.stdout
        return
    if REDIS_URL in code:
        code = code.replace(REDIS_URL, request.getfixturevalue("redis_url").rsplit("/", 1)[0])
    result = _run([sys.executable, "-c", code], env, tmp_path)
    assert result.returncode == 0, f"{name} failed:\n{code}\n--- stderr ---\n{result.stderr}"


def test_every_page_with_code_keeps_its_blocks() -> None:
    """A page's blocks cannot vanish unnoticed (an unclosed fence, a renamed language)."""
    for page in _pages():
        text = page.read_text(encoding="utf-8")
        fences = len(re.findall(r"^```python$", text, re.MULTILINE))
        assert fences == len(_BLOCK.findall(text)), f"{page}: a python fence is not closed"
    assert len(SNIPPETS) >= 20


def test_the_blocks_that_cannot_run_here_compile() -> None:
    """A block that needs what the tests lack (a live account, a broker) is at least valid Python."""
    assert len(NOT_RUNNABLE) <= 8, "most blocks must run: a new 'Not run' block needs a good reason"
    for name, code in NOT_RUNNABLE:
        compile(code, name, "exec")


def test_every_block_that_does_not_run_says_why() -> None:
    for name, code in SNIPPETS:
        first = code.splitlines()[0]
        if first.lower().startswith("# not run"):
            assert NOT_RUN.match(first), f"{name}: write '# Not run by the docs tests: <reason>.'"


def test_socketlabs_log_debug_logs_each_request_without_the_key(
    socketlabs_sandbox: Sandbox, tmp_path: Path
) -> None:
    [code] = [code for name, code in SNIPPETS if "with_options(timeout=5, max_retries=0)" in code]
    quiet = _run([sys.executable, "-c", code], _env(socketlabs_sandbox), tmp_path)
    loud = _run([sys.executable, "-c", code], _env(socketlabs_sandbox, SOCKETLABS_LOG="debug"), tmp_path)
    assert quiet.returncode == 0 and loud.returncode == 0, loud.stderr
    assert "checkSuppression" not in quiet.stderr
    assert "socketlabs_client" in loud.stderr and "checkSuppression" in loud.stderr
    assert "getMessageDetailReport" in loud.stderr
    assert socketlabs_sandbox.api_key not in loud.stderr
