"""Absurd values for every option of every command: a usage error (exit 2, one line) or success.

The options are read from click's command tree, so a new option is drawn
here without a test edit. Each run goes through ``main`` (the console
script's path, which prints usage errors as one line) against the sandbox.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from socketlabs_client.cli import _app, cli, main
from socketlabs_client.testing import sandbox_environment
from socketlabs_sandbox import Sandbox
from test_cli_tree import LONG_RUNNING, SAMPLES, promote_files

ABSURD = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "-1",
            "0",
            "99999999999d",
            "99999999999999999999999999",
            "1e309",
            "nan",
            "-inf",
            "\x00",
            "a\nb",
            "\ud800",
            "%",
            "=",
            "a=b=c",
            "::",
            "no/such/dir/out.csv",
            "/proc/no/such/dir/out.csv",
            "/",
            "9999-99-99",
            "0000-01-01",
            "2026-02-30",
            "status=eq:",
            "nope=eq:1",
            "status=gt:Failed",
            "x" * 5000,
            "http://",
            "ftp://example.com",
        ]
    ),
    st.text(max_size=30),
    st.integers().map(str),
    st.from_regex(r"[0-9]{1,30}[mhdw]", fullmatch=True),
).filter(lambda v: v in ("/", "/proc/no/such/dir/out.csv") or not (v.startswith(("/", "~")) or ".." in v))
"""Values for any option. Each run writes in its own temporary folder (``-o`` takes them as file
names): no value may name a path outside it, except the two that cannot be written."""

SKIPPED: dict[tuple[str, ...], str] = {
    ("contract",): "each run is a whole contract check (seconds); click's types check its options",
    ("completion",): "no options",
}


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


CASES = [
    (path, option.opts[-1])
    for path in sorted(set(SAMPLES) | set(LONG_RUNNING))
    if path not in SKIPPED
    for option in _command(path).params
    if isinstance(option, click.Option) and not option.is_flag and option.opts[-1] not in ("--help",)
]
"""Every (command, option) pair that takes a value."""

SERVER_JUDGED: set[Any] = {"--api-key", "--server-id", "--from", "--to", "--cc", "--bcc", ("api",)}
"""What only the API can judge: a well-formed key, server id or address that this account refuses,
and the escape hatch's free-form paths and fields."""

PYTHON_WORDS = re.compile(r"\b[a-z]+_[a-z_]+=|Traceback|Error\(|\bkwargs\b")


def _base(path: tuple[str, ...], sandbox: Sandbox, folder: Path) -> list[str]:
    if path in LONG_RUNNING:
        return list(LONG_RUNNING[path][0])
    fill = {"{receiver}": "http://127.0.0.1:9/", "{server_id}": str(sandbox.server_id)}
    fill |= {"{key}": sandbox.api_key, "{api}": sandbox.urls["api"], **promote_files(folder)}
    return [fill.get(a, a) for a in SAMPLES[path]]


def test_every_command_with_options_is_drawn() -> None:
    assert {path for path, _ in CASES} | set(SKIPPED) >= (set(SAMPLES) | set(LONG_RUNNING)) - {("profiles",)}


@pytest.mark.parametrize(("path", "option"), CASES, ids=[f"{' '.join(p)} {o}" for p, o in CASES])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=ABSURD)
def test_an_absurd_value_is_a_usage_error_or_works(
    path: tuple[str, ...],
    option: str,
    value: str,
    socketlabs_sandbox_session: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sandbox = socketlabs_sandbox_session
    monkeypatch.chdir(tmp_path)  # `-o VALUE` writes here, never in the checkout
    argv = [*_base(path, sandbox, tmp_path), option, value]
    if path in LONG_RUNNING:
        # A served command stops as soon as it would wait for Ctrl-C.
        monkeypatch.setattr(
            _app,
            "threading",
            SimpleNamespace(Event=_Interrupted, Thread=threading.Thread, Lock=threading.Lock),
        )
    runner = CliRunner(env={**sandbox_environment(sandbox), "SOCKETLABS_CONFIG_DIR": str(tmp_path / "c")})
    with runner.isolation() as (out, err, _):
        code: Any = main(argv)
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode() if err else ""
    assert "Traceback" not in stdout + stderr
    if code != 0:
        assert stderr.count("\n") == 1 and stderr.startswith("socketlabs: error: "), (argv, stderr)
        assert not PYTHON_WORDS.search(stderr), stderr
    if option in SERVER_JUDGED or path in SERVER_JUDGED:
        # Well-formed but wrong for this account (a key, a server id, an address): the API says so.
        assert code in (0, 1, 2, 5), (argv, code, stderr)
        assert code != 1 or " from " in stderr or "not accepted" in stderr or "failed" in stderr, stderr
    else:
        assert code in (0, 2), (argv, code, stderr)
    if path != ("sandbox",):  # the sandbox prints its own (public) key in its export lines
        assert sandbox.api_key not in stdout + stderr or option == "--api-key"


class _Interrupted:
    """``threading.Event`` whose wait is a Ctrl-C."""

    def wait(self, timeout: float | None = None) -> bool:
        raise KeyboardInterrupt

    def set(self) -> None:
        return
