"""The pytest plugin as a user meets it: run in a fresh project, in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTING_GUIDE = ROOT / "docs" / "guides" / "testing.md"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCKETLABS_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "overrides"), str(ROOT / "generated")])
    return env


def _pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run pytest in ``project`` with the installed plugins (ours is loaded by its entry point)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=project,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _project(tmp_path: Path, ini: str, **files: str) -> Path:
    (tmp_path / "pytest.ini").write_text(textwrap.dedent(ini))
    for name, body in files.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(body))
    return tmp_path


def _guide_example() -> str:
    section = TESTING_GUIDE.read_text(encoding="utf-8").split("## Testing your code", 1)[1]
    match = re.search(r"```python\n# test_signup.py\n(.*?)```", section, re.DOTALL)
    assert match, "the testing guide's 'Testing your code' example is missing"
    return match[1]


def test_the_guide_example_passes_under_strict_mode_and_anyio(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        """
        [pytest]
        asyncio_mode = strict
        asyncio_default_fixture_loop_scope = function
        filterwarnings = error
        markers = anyio
        """,
        test_signup=_guide_example(),
        conftest="""
        import pytest

        @pytest.fixture
        def anyio_backend():
            return "asyncio"
        """,
    )
    done = _pytest(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 passed" in done.stdout


def test_loading_the_plugin_imports_neither_the_client_nor_the_sandbox() -> None:
    probe = (
        "import sys, json; import socketlabs_client.testing; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('httpx', 'attrs', 'socketlabs_api', 'socketlabs_sandbox', 'starlette', 'uvicorn') "
        "or m.startswith('socketlabs_client.'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=_env(), capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == ["socketlabs_client.testing"]


KIT_TESTS = """
import os

import pytest
from socketlabs_client import BulkMessage, BulkRecipient, attachment
from socketlabs_client._config import SERVER_SETTINGS
from socketlabs_sandbox import FIXED_ANCHOR, SandboxConfig


def test_env_covers_every_server(socketlabs_env, socketlabs_sandbox):
    for setting in SERVER_SETTINGS:
        assert os.environ[setting.env_var] == socketlabs_sandbox.urls[setting.name]
    assert os.environ["SOCKETLABS_SERVER_ID"] == str(socketlabs_sandbox.server_id)


def test_first_test_changes_state(socketlabs_client, socketlabs_sandbox):
    socketlabs_client.suppressions.add(email_address="left-over@example.com")
    socketlabs_sandbox.faults.clear()


def test_second_test_starts_from_the_seed(socketlabs_client, socketlabs_outbox):
    status = socketlabs_client.suppressions.check(email_address="left-over@example.com")
    assert status.is_suppressed is False
    assert len(socketlabs_outbox) == 0


@pytest.mark.socketlabs_sandbox(suppressions=4, anchor=FIXED_ANCHOR)
def test_marker(socketlabs_sandbox):
    assert socketlabs_sandbox.config.suppressions == 4
    assert socketlabs_sandbox.anchor == FIXED_ANCHOR


@pytest.mark.parametrize(
    "socketlabs_sandbox", [{"report_messages": 7}, SandboxConfig(report_messages=9)], indirect=True
)
def test_indirect(socketlabs_sandbox):
    assert socketlabs_sandbox.config.report_messages in (7, 9)


def test_outbox_records_whole_merges(socketlabs_client, socketlabs_outbox):
    merge = BulkMessage(
        subject="Hi %%Name%%", from_="noreply@example.com", html="<p>Hi %%Name%%</p>",
        attachments=[attachment(b"hello", name="a.txt", content_type="text/plain")],
        recipients=[
            BulkRecipient("a@example.com", merge={"Name": "A"}),
            BulkRecipient("b@example.com", merge={"Name": "B"}),
        ],
        merge={"Team": "us"}, headers={"X-Campaign": "spring"}, metadata={"k": "v"},
    )
    socketlabs_client.send(merge)
    mail = socketlabs_outbox.only(to="B@example.com")
    assert mail.subject == "Hi %%Name%%" and mail.html == "<p>Hi %%Name%%</p>"
    assert mail.recipients == ("a@example.com", "b@example.com")
    assert [row["Name"] for row in mail.merge_data] == ["A", "B"]
    assert mail.global_merge_data == {"Team": "us"}
    assert mail.headers == {"X-Campaign": "spring"} and mail.metadata == {"k": "v"}
    files = [(a.name, a.content_type, a.content) for a in mail.attachments]
    assert files == [("a.txt", "text/plain", b"hello")]
    with pytest.raises(AssertionError, match="found 0"):
        socketlabs_outbox.only(to="nobody@example.com")
"""


def test_the_fixtures_in_a_user_project(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
        "filterwarnings = error\n",
        test_kit=KIT_TESTS,
    )
    done = _pytest(project, "-p", "no:randomly")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "7 passed" in done.stdout


def test_a_project_without_the_fixtures_does_not_start_a_sandbox(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        "[pytest]\n",
        test_plain="""
        import sys

        def test_nothing_loaded():
            heavy = ("socketlabs_sandbox", "socketlabs_client._client")
            assert not any(m.startswith(heavy) for m in sys.modules)
        """,
    )
    done = _pytest(project)
    assert done.returncode == 0, done.stdout + done.stderr
