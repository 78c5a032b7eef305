"""The command line's habits (gh's): output by audience, flags anywhere, flag-language errors,
completion, profiles, the fewest requests for a pull, and one line for every missing extra."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import pytest
from click.testing import CliRunner, Result
from keyring.backend import KeyringBackend
from rich.console import Console
from socketlabs_client.cli import EXIT_CONFIG, cli
from socketlabs_client.cli._app import State, _Progress
from socketlabs_client.cli._output import RowWriter
from socketlabs_client.testing import sandbox_environment
from socketlabs_sandbox import Sandbox
from socketlabs_sandbox._faults import FaultKind

ROOT = Path(__file__).resolve().parents[2]
BOX = set("─│┃━┏┓┗┛╭╮╰╯┡┩┳┻╇")


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path / "config"


@pytest.fixture
def run(socketlabs_sandbox: Sandbox, config_dir: Path) -> Any:
    env = {**sandbox_environment(socketlabs_sandbox), "SOCKETLABS_CONFIG_DIR": str(config_dir)}

    def invoke(*argv: str, code: int = 0, env_changes: dict[str, str | None] | None = None) -> Result:
        runner = CliRunner(env={**env, **(env_changes or {})})
        result = runner.invoke(cli, list(argv), catch_exceptions=False)
        assert result.exit_code == code, result.output
        assert "Traceback" not in result.output
        return result

    return invoke


def _blocking(package: str) -> str:
    """Python that makes ``package`` look uninstalled (``ModuleNotFoundError`` naming it)."""
    return (
        "import sys\n"
        "class _Missing:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.partition('.')[0] == {package!r}:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, _Missing())\n"
    )


def _subprocess(
    argv: list[str], env: dict[str, str], *, prelude: str = ""
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SOCKETLABS_", "_SOCKETLABS"))}
    base["PYTHONPATH"] = os.pathsep.join([str(ROOT / "overrides"), str(ROOT / "generated")])
    code = f"{prelude}\nimport sys\nfrom socketlabs_client.cli import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# output by audience -------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_table_and_a_pipe_gets_tab_separated_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"address": "a@example.com", "note": "tab\there"}, {"address": "b@example.com", "note": None}]
    monkeypatch.setenv("NO_COLOR", "1")
    terminal = _Terminal()
    writer = RowWriter(terminal, "table", title="t")
    for row in rows:
        writer.write(row)
    assert terminal.getvalue() == ""  # a table waits for its rows, to size its columns
    writer.close()
    shown = terminal.getvalue()
    assert set(shown) & BOX and "a@example.com" in shown
    assert not re.search(r"\x1b\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])[;m]", shown)  # no colour
    piped = io.StringIO()
    writer = RowWriter(piped, "table")
    writer.write(rows[0])
    assert piped.getvalue() == "address\tnote\na@example.com\ttab\\there\n"  # written at once
    writer.write(rows[1])
    writer.close()
    assert piped.getvalue().splitlines()[-1] == "b@example.com\t"


def test_json_arrays_stream_too() -> None:
    out = io.StringIO()
    writer = RowWriter(out, "table", as_json=True)
    writer.write({"a": 1})
    assert out.getvalue().startswith("[")
    writer.write({"a": 2})
    writer.close()
    assert json.loads(out.getvalue()) == [{"a": 1}, {"a": 2}]
    empty = io.StringIO()
    RowWriter(empty, "csv", as_json=True).close()
    assert json.loads(empty.getvalue()) == []


def test_piped_commands_print_no_box_characters(run: Any) -> None:
    run("suppressions", "add", "a@example.com")
    for argv in (
        ("suppressions", "list"),
        ("send", "--from", "me@example.com", "--to", "b@example.com", "--subject", "S", "--text", "T"),
        ("reports", "messages", "--max", "3"),
        ("profiles",),
    ):
        assert not set(run(*argv).stdout) & BOX, argv


# flags anywhere, errors in flag language ---------------------------------------------------


def test_account_flags_work_after_the_subcommand(run: Any, socketlabs_sandbox: Sandbox) -> None:
    refused = run("suppressions", "check", "a@example.com", "--server-id", "99", "--api-key", "wrong", code=1)
    assert "/servers/99/" in refused.stderr and "401" in refused.stderr
    later = run(
        "--api-key",
        "wrong",
        "suppressions",
        "check",
        "a@example.com",
        "--api-key",
        socketlabs_sandbox.api_key,
    )
    assert later.stdout == "a@example.com: not suppressed\n"  # the flag after the subcommand wins


def test_no_key_says_which_flag_variable_or_command(run: Any) -> None:
    result = run("suppressions", "list", code=EXIT_CONFIG, env_changes={"SOCKETLABS_API_KEY": None})
    assert result.stderr == (
        "socketlabs: error: no API key: give --api-key, set SOCKETLABS_API_KEY, or run 'socketlabs login'\n"
    )
    nosid = run("suppressions", "list", code=EXIT_CONFIG, env_changes={"SOCKETLABS_SERVER_ID": None})
    assert "give --server-id" in nosid.stderr and "server_id=" not in nosid.stderr


def test_library_errors_name_flags_not_arguments(run: Any) -> None:
    both = run(
        "api", "GET", "/servers/{serverId}/suppressions/search", "-q", "filters=a", "--filter", "b", code=2
    )
    assert both.stderr == "socketlabs: error: filters given both as --filter and in -q/-f\n"
    bad = run("reports", "messages", "--filter", "status=gt:Failed", code=2)
    assert bad.stderr.startswith("socketlabs: error: --filter: ")
    paged = run(
        "api", "GET", "/servers/{serverId}/suppressions/search", "--paginate", "-f", "pageSize=1", "--json"
    )
    assert json.loads(paged.stdout) == []


# completion ---------------------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(run: Any, shell: str) -> None:
    assert "_SOCKETLABS_COMPLETE" in run("completion", shell).stdout


def test_completion_completes_commands_and_a_reports_filter_fields() -> None:
    words = _subprocess(
        [], {"_SOCKETLABS_COMPLETE": "bash_complete", "COMP_WORDS": "socketlabs rep", "COMP_CWORD": "1"}
    )
    assert "plain,reports" in words.stdout.splitlines()
    fields = _subprocess(
        [],
        {
            "_SOCKETLABS_COMPLETE": "bash_complete",
            "COMP_WORDS": "socketlabs reports failed --filter st",
            "COMP_CWORD": "4",
        },
    )
    assert "plain,status=" in fields.stdout.splitlines() and "plain,statusDate=" in fields.stdout.splitlines()


# profiles -----------------------------------------------------------------------------------


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """The fail backend keyring picks on machines with no keyring (set, since this module defines one)."""
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.mark.usefixtures("no_keyring")
def test_login_without_a_keyring_writes_a_0600_file_and_later_commands_use_it(
    run: Any, socketlabs_sandbox: Sandbox, config_dir: Path
) -> None:
    sid = str(socketlabs_sandbox.server_id)
    runner = CliRunner(
        env={
            "SOCKETLABS_CONFIG_DIR": str(config_dir),
            **{k: None for k in sandbox_environment(socketlabs_sandbox)},
        }
    )
    login = runner.invoke(
        cli,
        [
            "login",
            "--profile",
            "work",
            "--with-key",
            "--server-id",
            sid,
            "--base-url",
            socketlabs_sandbox.urls["api"],
        ],
        input=socketlabs_sandbox.api_key + "\n",
    )
    assert login.exit_code == 0, login.output
    config = config_dir / "config.ini"
    assert f"its key is in {config}" in login.stdout
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config_dir.stat().st_mode) == 0o700
    assert socketlabs_sandbox.api_key in config.read_text()
    listed = runner.invoke(cli, ["suppressions", "list", "--profile", "work", "--json"])
    assert listed.exit_code == 0, listed.output
    profiles = json.loads(runner.invoke(cli, ["profiles", "--json"]).stdout)
    assert profiles == [
        {
            "profile": "work",
            "server_id": int(sid),
            "key_in": "file",
            "api_url": socketlabs_sandbox.urls["api"],
        }
    ]
    missing = runner.invoke(cli, ["suppressions", "list", "--profile", "home"])
    assert missing.exit_code == 2  # a flag naming nothing: usage; the variable naming nothing: configuration
    by_variable = CliRunner(env={**runner.env, "SOCKETLABS_PROFILE": "home"}).invoke(
        cli, ["suppressions", "list"]
    )
    assert by_variable.exit_code == EXIT_CONFIG
    assert missing.stderr == "socketlabs: error: no profile 'home': run 'socketlabs login --profile home'\n"
    refused = runner.invoke(
        cli,
        [
            "login",
            "--profile",
            "bad",
            "--api-key",
            "wrong",
            "--server-id",
            sid,
            "--base-url",
            socketlabs_sandbox.urls["api"],
        ],
    )
    assert refused.exit_code == 1 and not (config_dir / "config.ini").read_text().count("[profile bad]")
    assert runner.invoke(cli, ["logout", "--profile", "work"]).exit_code == 0
    assert "work" not in config.read_text()


class _MemoryKeyring(KeyringBackend):
    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[_MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = _MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_login_keeps_the_key_in_the_keyring_when_there_is_one(
    socketlabs_sandbox: Sandbox, config_dir: Path, memory_keyring: _MemoryKeyring
) -> None:
    env = {k: None for k in sandbox_environment(socketlabs_sandbox)}
    runner = CliRunner(env={**env, "SOCKETLABS_CONFIG_DIR": str(config_dir)})
    login = runner.invoke(
        cli,
        ["login", "--api-key", socketlabs_sandbox.api_key, "--server-id", str(socketlabs_sandbox.server_id),
         "--base-url", socketlabs_sandbox.urls["api"]],
    )  # fmt: skip
    assert login.exit_code == 0, login.output
    assert "its key is in the OS keyring" in login.stdout
    assert memory_keyring.secrets == {("socketlabs-client", "default"): socketlabs_sandbox.api_key}
    assert socketlabs_sandbox.api_key not in (config_dir / "config.ini").read_text()
    assert runner.invoke(cli, ["suppressions", "list"]).exit_code == 0
    runner.invoke(cli, ["logout"])
    assert memory_keyring.secrets == {}


# pulls: the fewest requests, the limiter's waits shown ----------------------------------------


def _count(sandbox: Sandbox, operation: str) -> Any:
    return sandbox.faults.add(FaultKind.LATENCY, operation=operation, delay=0.0)


def test_a_report_with_a_csv_download_takes_one_request(run: Any, socketlabs_sandbox: Sandbox) -> None:
    _count(socketlabs_sandbox, "downloadFailed")
    _count(socketlabs_sandbox, "getFailedDetail")
    rows = run("reports", "failed", "--since", "30d", "--format", "csv").stdout.splitlines()
    assert len(rows) > 2
    assert socketlabs_sandbox.faults.injected[FaultKind.LATENCY] == 1


def test_a_report_without_one_takes_the_largest_pages(run: Any, socketlabs_sandbox: Sandbox) -> None:
    _count(socketlabs_sandbox, "getMessageDetailReport")
    rows = run("reports", "messages", "--format", "jsonl").stdout.splitlines()
    assert len(rows) == socketlabs_sandbox.config.report_messages == 250
    assert socketlabs_sandbox.faults.injected[FaultKind.LATENCY] == 3  # pages of 100


def test_the_progress_bar_shows_the_limiters_wait() -> None:
    screen = io.StringIO()
    progress = _Progress("messages detail", console=Console(file=screen, force_terminal=True, width=120))
    state = State(None, None, {}, None)
    slept: list[float] = []
    state.sleep = slept.append
    shown: list[str] = []

    def on_wait(seconds: float) -> None:
        progress.wait(seconds)
        assert progress.bar is not None
        shown.append(str(progress.bar.tasks[0].fields["wait_until"] is not None))
        column = progress.bar.columns[-1]
        shown.append(str(column(progress.bar.tasks[0])))  # type: ignore[operator]

    with progress.listening(state):
        state.on_wait = on_wait
        state._limiter_sleep(42.0)
    assert slept == [42.0]
    assert shown[:2] == ["True", "waiting for the rate limit, 42 s"]
    assert shown[2] == "False"


# missing extras: one line each ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("blocked", "argv", "line"),
    [
        ("click", ["--help"], "socketlabs: the command line needs the 'cli' extra: "
         "pip install 'socketlabs-client[cli]'"),
        ("starlette", ["sandbox"], "socketlabs: error: socketlabs sandbox needs the 'sandbox' extra: "
         "pip install 'socketlabs-client[sandbox]'"),
        ("schemathesis", ["contract"], "socketlabs: error: socketlabs contract needs the 'contract' extra: "
         "pip install 'socketlabs-client[contract]'"),
    ],
)  # fmt: skip
def test_a_missing_extra_is_one_line(blocked: str, argv: list[str], line: str) -> None:
    done = _subprocess(argv, {}, prelude=_blocking(blocked))
    assert done.stderr == line + "\n"
    assert done.returncode == EXIT_CONFIG


def test_without_the_cli_extra_nothing_of_click_is_imported() -> None:
    report = (
        "import atexit\n"
        "atexit.register(lambda: print('loaded:', *sorted(m for m, v in sys.modules.items()"
        " if v is not None and m.split('.')[0] in ('click', 'rich', 'keyring')), file=sys.stderr))"
    )
    done = _subprocess(["--help"], {}, prelude=_blocking("click") + report)
    assert done.returncode == EXIT_CONFIG
    assert done.stderr.splitlines()[1:] == ["loaded:"]


def test_a_reader_that_leaves_stops_the_command_quietly(socketlabs_sandbox: Sandbox) -> None:
    command = "import sys; from socketlabs_client.cli import main; sys.exit(main(sys.argv[1:]))"
    script = (
        f"{sys.executable} -c '{command}' reports messages --since 30d --format jsonl"
        " | head -1 >/dev/null; echo ${PIPESTATUS[0]}"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("SOCKETLABS_")}
    base["PYTHONPATH"] = os.pathsep.join([str(ROOT / "overrides"), str(ROOT / "generated")])
    done = subprocess.run(
        ["/bin/sh", "-c", f"exec bash -c {shlex.quote(script)}"],
        env={**base, **sandbox_environment(socketlabs_sandbox)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.strip() in ("0", "1")  # 0: every row fit in the pipe before head left
    assert done.stderr == ""


def test_rows_reach_the_pipe_while_later_pages_are_still_coming(socketlabs_sandbox: Sandbox) -> None:
    socketlabs_sandbox.faults.add(FaultKind.LATENCY, operation="getMessageDetailReport", delay=1.0)
    base = {k: v for k, v in os.environ.items() if not k.startswith("SOCKETLABS_")}
    base["PYTHONPATH"] = os.pathsep.join([str(ROOT / "overrides"), str(ROOT / "generated")])
    with subprocess.Popen(
        [sys.executable, "-m", "socketlabs_client", "reports", "messages", "--format", "jsonl"],
        env={**base, **sandbox_environment(socketlabs_sandbox)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as pulling:  # leaving it closes the pipes and waits (the pull ends by itself)
        assert pulling.stdout is not None and pulling.stderr is not None
        first = json.loads(pulling.stdout.readline())
        assert "messageId" in first
        assert pulling.poll() is None  # pages 2 and 3 (a second each) are still to come
        # Through the same text stream: rows readline() already buffered are read too
        # (communicate() reads the raw pipe and would miss them). stderr is a line at most.
        rest = pulling.stdout.read()
        errors = pulling.stderr.read()
    assert pulling.returncode == 0, errors
    assert len(rest.splitlines()) + 1 == 250
