"""The README's Async, Configuration, Advanced and generated-package snippets run as written.

Each ``python`` block of those sections runs in a fresh interpreter whose
``SOCKETLABS_*`` variables point at the sandbox, the way a reader would run it
with their own account. A block that fails, or a section that loses its
blocks, fails here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from socketlabs_sandbox import Sandbox

README = Path(__file__).resolve().parents[2] / "README.md"
SECTIONS = ("Async", "Configuration", "Advanced", "Using the generated package directly")
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def _snippets() -> list[tuple[str, str]]:
    found = []
    for title in SECTIONS:
        blocks = _BLOCK.findall(_section(title))
        assert blocks, f"README section {title!r} has no python snippet"
        found += [(f"{title} #{n}", code) for n, code in enumerate(blocks, start=1)]
    return found


SNIPPETS = _snippets()


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


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(("name", "code"), SNIPPETS, ids=[name for name, _ in SNIPPETS])
def test_readme_snippet_runs_against_the_sandbox(socketlabs_sandbox: Sandbox, name: str, code: str) -> None:
    socketlabs_sandbox.reset()
    result = _run(code, _env(socketlabs_sandbox))
    assert result.returncode == 0, f"{name} failed:\n{code}\n--- stderr ---\n{result.stderr}"
    assert result.stdout.strip(), f"{name} printed nothing"


def test_socketlabs_log_debug_logs_each_request_without_the_key(socketlabs_sandbox: Sandbox) -> None:
    socketlabs_sandbox.reset()
    (code,) = _BLOCK.findall(_section("Configuration"))
    quiet = _run(code, _env(socketlabs_sandbox))
    loud = _run(code, _env(socketlabs_sandbox, SOCKETLABS_LOG="debug"))
    assert quiet.returncode == 0 and loud.returncode == 0, loud.stderr
    assert "checkSuppression" not in quiet.stderr
    assert "socketlabs_client" in loud.stderr and "checkSuppression" in loud.stderr
    assert "getMessageDetailReport" in loud.stderr
    assert socketlabs_sandbox.api_key not in loud.stderr
