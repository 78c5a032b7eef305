"""Every command of the ``socketlabs`` tree, and every report view, runs against the sandbox.

The commands are enumerated from click itself, so a new command fails
``test_every_command_has_a_sample`` until it is given one, and then runs here
in-process (CliRunner) and as a subprocess (the console script's path). The
report views are enumerated from the operation table the CLI reads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from socketlabs_client.cli import cli
from socketlabs_client.cli._ops import REPORTS
from socketlabs_client.testing import sandbox_environment
from socketlabs_sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]


def _leaves(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            if command.invoke_without_command:  # runs by itself too (`socketlabs contract`)
                yield (*prefix, name)
            yield from _leaves(command, (*prefix, name))
        else:
            yield (*prefix, name)


LEAVES = sorted(_leaves(cli))

SAMPLES: dict[tuple[str, ...], list[str]] = {
    ("send",): [
        "send",
        "--from",
        "me@example.com",
        "--to",
        "tree@example.com",
        "--subject",
        "S",
        "--text",
        "T",
    ],
    ("suppressions", "add"): ["suppressions", "add", "tree@example.com"],
    ("suppressions", "check"): ["suppressions", "check", "tree@example.com"],
    ("suppressions", "list"): ["suppressions", "list"],
    ("suppressions", "export"): ["suppressions", "export"],
    ("suppressions", "remove"): ["suppressions", "remove", "tree@example.com"],
    ("reports",): ["reports", "messages", "--max", "3"],
    ("api",): ["api", "GET", "/servers/{serverId}/suppressions/search"],
    ("events", "trigger"): ["events", "trigger", "delivered", "--webhook-url", "{receiver}"],
    ("login",): ["login", "--server-id", "{server_id}", "--api-key", "{key}", "--base-url", "{api}"],
    ("profiles",): ["profiles"],
    ("logout",): ["logout"],
    ("completion",): ["completion", "bash"],
    ("contract",): ["contract", "--operation", "checkSuppression"],
    ("contract", "promote"): ["contract", "promote", "{shapes}", "--spec", "{spec}"],
}
"""One run of each command that ends by itself; ``--json`` is added where the command has it."""

SETUP: dict[tuple[str, ...], tuple[str, ...]] = {
    ("suppressions", "remove"): ("suppressions", "add"),
    ("logout",): ("login",),
}
"""A command whose sample needs another's first (its sample runs before)."""

LONG_RUNNING: dict[tuple[str, ...], tuple[list[str], str]] = {
    ("sandbox",): (["sandbox", "--port", "0"], "SocketLabs sandbox on http://127.0.0.1:"),
    ("events", "listen"): (["events", "listen", "--port", "0", "--secret", "s"], "Ready: receiving"),
}
"""Commands that serve until stopped: started, read until they say they are ready, stopped."""


def _has_json(path: tuple[str, ...]) -> bool:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return any("--json" in getattr(p, "opts", ()) for p in command.params)


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def _env(sandbox: Sandbox, tmp_path: Path) -> dict[str, str]:
    return {**sandbox_environment(sandbox), "SOCKETLABS_CONFIG_DIR": str(tmp_path / "config")}


def promote_files(folder: Path) -> dict[str, str]:
    """A copy of the spec and a live shape report that promotes one of its operations."""
    spec = folder / "openapi.yaml"
    spec.write_text((ROOT / "spec" / "openapi.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    entry = {
        "operation_id": "getFailedOverview",
        "method": "GET",
        "path": "/servers/{serverId}/reports/failed/overview",
    }
    entry |= {"verdict": "conforms", "statuses": [200], "shape": {"data": {"count": "integer"}}}
    shapes = folder / "shapes.json"
    shapes.write_text(
        json.dumps({"version": 1, "live": True, "checked": "2027-01-01", "operations": [entry]})
    )
    return {"{shapes}": str(shapes), "{spec}": str(spec)}


def _argv(path: tuple[str, ...], sandbox: Sandbox, receiver: str, folder: Path) -> list[str]:
    fill = {
        "{receiver}": receiver,
        "{server_id}": str(sandbox.server_id),
        "{key}": sandbox.api_key,
        "{api}": sandbox.urls["api"],
        **promote_files(folder),
    }
    argv = [fill.get(a, a) for a in SAMPLES[path]]
    return [*argv, "--json"] if _has_json(path) else argv


def _subprocess_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCKETLABS_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "overrides"), str(ROOT / "generated")])
    return {**env, **extra}


def test_every_command_has_a_sample() -> None:
    assert set(LEAVES) == set(SAMPLES) | set(LONG_RUNNING)


@pytest.mark.parametrize("path", sorted(SAMPLES), ids=" ".join)
def test_each_command_in_process(
    path: tuple[str, ...], socketlabs_sandbox: Sandbox, receiver: str, tmp_path: Path
) -> None:
    argv = _argv(path, socketlabs_sandbox, receiver, tmp_path)
    runner = CliRunner(env=_env(socketlabs_sandbox, tmp_path))
    if path in SETUP:
        first = runner.invoke(cli, _argv(SETUP[path], socketlabs_sandbox, receiver, tmp_path))
        assert first.exit_code == 0, first.output
    result = runner.invoke(cli, argv, catch_exceptions=False)
    assert result.exit_code == 0, (argv, result.output)
    assert "Traceback" not in result.output
    assert socketlabs_sandbox.api_key not in result.output
    if "--json" in argv:
        json.loads(result.stdout)
    else:
        assert result.stdout.strip()


@pytest.mark.parametrize("path", sorted(SAMPLES), ids=" ".join)
def test_each_command_as_a_subprocess(
    path: tuple[str, ...], socketlabs_sandbox: Sandbox, receiver: str, tmp_path: Path
) -> None:
    argv = _argv(path, socketlabs_sandbox, receiver, tmp_path)
    env = _subprocess_env(_env(socketlabs_sandbox, tmp_path))
    if path in SETUP:
        first = _argv(SETUP[path], socketlabs_sandbox, receiver, tmp_path)
        subprocess.run(
            [sys.executable, "-m", "socketlabs_client", *first],
            env=env,
            capture_output=True,
            timeout=120,
            check=True,
        )
    done = subprocess.run(
        [sys.executable, "-m", "socketlabs_client", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, (argv, done.stderr)
    assert "Traceback" not in done.stderr
    assert socketlabs_sandbox.api_key not in done.stdout + done.stderr
    if "--json" in argv:
        json.loads(done.stdout)


@pytest.mark.parametrize("path", sorted(LONG_RUNNING), ids=" ".join)
def test_each_serving_command_as_a_subprocess(path: tuple[str, ...], tmp_path: Path) -> None:
    argv, ready = LONG_RUNNING[path]
    running = subprocess.Popen(
        [sys.executable, "-m", "socketlabs_client", *argv],
        env=_subprocess_env({"SOCKETLABS_CONFIG_DIR": str(tmp_path)}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert running.stdout is not None
        first = running.stdout.readline()
        assert first.startswith(ready), first
    finally:
        running.terminate()
        running.communicate(timeout=30)


VIEWS = [(family, view) for family, f in sorted(REPORTS.items()) for view in sorted(f.views)]


def test_the_views_are_the_specs_report_operations() -> None:
    from socketlabs_api.operations import OPERATIONS

    paths = {op.path for family in REPORTS.values() for op in family.views.values()}
    report_gets = {
        op.path
        for op in OPERATIONS.values()
        if op.tag == "reports" and op.method == "GET" and not op.path.endswith(("/download", "/"))
    }
    assert paths == report_gets
    assert {"messages", "delivered", "failed", "complaint", "tracking"} <= set(REPORTS)


@pytest.mark.parametrize(("family", "view"), VIEWS, ids=[f"{f}-{v}" for f, v in VIEWS])
def test_each_report_view(family: str, view: str, socketlabs_sandbox: Sandbox, tmp_path: Path) -> None:
    runner = CliRunner(env=_env(socketlabs_sandbox, tmp_path))
    result = runner.invoke(cli, ["reports", family, "--view", view, "--since", "30d", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    op = REPORTS[family].views[view]
    if op.pagination:
        assert isinstance(data, list)
    note = [line for line in result.stderr.splitlines() if line.startswith("note: unverified")]
    assert len(note) == (1 if op.confidence == "modeled" else 0), result.stderr
    piped = runner.invoke(cli, ["reports", family, "--view", view, "--since", "30d"])
    assert piped.exit_code == 0, piped.output
    assert not set(piped.stdout) & set("─│┃━┏┓┗┛╭╮╰╯┡┩"), piped.stdout


@pytest.mark.parametrize("family", sorted(REPORTS))
def test_each_family_default_view_as_a_subprocess(
    family: str, socketlabs_sandbox: Sandbox, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "socketlabs_client", "reports", family, "--since", "30d", "--max", "5"],
        env=_subprocess_env(_env(socketlabs_sandbox, tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) <= 6 and all("\t" in line for line in lines if lines[0].count("\t"))
