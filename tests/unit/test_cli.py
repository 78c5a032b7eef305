"""The ``socketlabs`` command without a server: entry points, exit codes, one-line errors, no key echoed."""

from __future__ import annotations

import builtins
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from socketlabs_client._config import SERVER_SETTINGS, __version__
from socketlabs_client.cli import EXIT_CONFIG, EXIT_CONNECTION, EXIT_USAGE, cli, export_lines, main

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "SecretPublicPart0001." + "s" * 40
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
    assert main(["sandbox"]) == EXIT_CONFIG
    assert "needs the 'sandbox' extra" in capsys.readouterr().err


def test_any_other_import_failure_is_not_disguised_as_a_missing_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(builtins, "__import__", _sandbox_import_fails_on("socketlabs_sandbox._typo"))
    with pytest.raises(ModuleNotFoundError, match="_typo"):
        main(["sandbox"])


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCKETLABS_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "overrides"), str(ROOT / "generated")])
    return env


def test_version_and_python_dash_m() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "socketlabs_client", "--version"],
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.strip() == f"socketlabs {__version__}"


def test_every_option_of_every_command_has_help() -> None:
    def walk(command: Any, path: str) -> list[str]:
        missing = [
            f"{path} {p.name}"
            for p in command.params
            if getattr(p, "help", "") == "" and p.param_type_name == "option" and p.name != "help"
        ]
        missing += [] if command.help else [path]
        for name, sub in getattr(command, "commands", {}).items():
            missing += walk(sub, f"{path} {name}")
        return missing

    assert walk(cli, "socketlabs") == []


def test_every_command_takes_json() -> None:
    def leaves(command: Any, path: str) -> list[tuple[str, Any]]:
        subs = getattr(command, "commands", None)
        if subs is None:
            return [(path, command)]
        runs = [(path, command)] if getattr(command, "invoke_without_command", False) else []
        return runs + [leaf for name, sub in subs.items() for leaf in leaves(sub, f"{path} {name}")]

    commands = leaves(cli, "socketlabs")
    assert len(commands) == 17
    assert {"socketlabs contract", "socketlabs contract promote"} <= {path for path, _ in commands}
    # `completion` prints a shell script.
    assert sorted(path for path, c in commands if "as_json" not in {p.name for p in c.params}) == [
        "socketlabs completion",
    ]


def test_one_flag_per_server_setting() -> None:
    flags = {opt for p in cli.params for opt in p.opts}
    assert {"--" + s.argument.replace("_", "-") for s in SERVER_SETTINGS} <= flags


def test_export_lines_cover_every_server_setting() -> None:
    urls = {s.name: f"http://127.0.0.1:1/{s.name}" for s in SERVER_SETTINGS}
    lines = export_lines(urls, "k", 7)
    for setting in SERVER_SETTINGS:
        assert f"export {setting.env_var}=http://127.0.0.1:1/{setting.name}" in lines
    assert "export SOCKETLABS_MANAGEMENT_URL=http://127.0.0.1:1/management" in lines


def test_no_key_is_a_configuration_error_in_one_line() -> None:
    result = CliRunner(env={"SOCKETLABS_API_KEY": ""}).invoke(cli, ["suppressions", "check", "a@example.com"])
    assert result.exit_code == EXIT_CONFIG
    assert result.output.count("\n") == 1 and result.output.startswith("socketlabs: error: no API key")


def test_an_unreachable_api_is_a_connection_error_without_the_key(unused_tcp_port: int) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "socketlabs_client", "suppressions", "check", "a@example.com"],
        env={
            **_env(),
            "SOCKETLABS_API_KEY": SECRET_KEY,
            "SOCKETLABS_SERVER_ID": "1",
            "SOCKETLABS_BASE_URL": f"http://127.0.0.1:{unused_tcp_port}/v2",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == EXIT_CONNECTION, done.stderr
    assert done.stdout == "" and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr and SECRET_KEY not in done.stderr and "s" * 40 not in done.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["reports", "messages", "--since", "seven days"],
        ["reports", "messages", "--since", "7d", "--start", "2026-01-01"],
        ["send", "--header", "no-equals-sign"],
        ["suppressions", "frobnicate"],
    ],
)
def test_usage_errors_are_one_line_with_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--api-key", SECRET_KEY, "--server-id", "1", *argv])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE, err
    assert err.count("\n") == 1 and err.startswith("socketlabs: error:") and SECRET_KEY not in err


@pytest.mark.parametrize("argv", [[], ["events"], ["suppressions"]])
def test_a_bare_group_prints_its_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: socketlabs") and "Commands:" in out


def test_the_progress_bar_shows_rows_rate_and_eta() -> None:
    import io

    from rich.console import Console
    from socketlabs_client.cli._app import State, _Progress

    progress = _Progress("failed rows", Console(file=io.StringIO(), force_terminal=True, width=120))
    with progress.listening(State(None, None, {}, None)):
        progress(500, 1000)
        assert progress.bar is not None
        screen = Console(file=io.StringIO(), width=120, record=True)
        screen.print(progress.bar.make_tasks_table(progress.bar.tasks))
    text = screen.export_text()
    assert "failed rows" in text and "50%" in text and "500 rows" in text and "/s" in text
