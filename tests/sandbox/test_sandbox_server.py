"""Starting and stopping the sandbox: ports, URLs, timeouts, the foreground `serve`."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from socketlabs_sandbox import (
    DEFAULT_API_KEY,
    DEFAULT_SERVER_ID,
    Sandbox,
    SandboxConfig,
    SandboxStartError,
    _server,
)


def test_default_key_has_the_new_format() -> None:
    assert re.fullmatch(r"[^.]{20}\.[^.]{40}", DEFAULT_API_KEY)
    assert SandboxConfig().api_key == DEFAULT_API_KEY
    assert SandboxConfig().server_id == DEFAULT_SERVER_ID == 12345


def test_urls_and_properties(sb: Sandbox) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sb.url)
    assert sb.port > 0
    assert sb.api_url == sb.url + "/v2"
    assert sb.inject_url == sb.url + "/api/v1"
    assert sb.api_key == sb.config.api_key
    assert sb.server_id == 12345


def test_repr_does_not_show_the_key(sb: Sandbox) -> None:
    assert sb.api_key not in repr(sb)
    assert str(sb.port) in repr(sb)


def test_start_serve_stop_is_quick_even_with_an_open_connection() -> None:
    started = time.perf_counter()
    sandbox = Sandbox(SandboxConfig(report_messages=10)).start()
    assert time.perf_counter() - started < 2
    url = sandbox.url
    with httpx.Client() as client:
        response = client.get(f"{sandbox.api_url}/servers/1/suppressions/search")
        assert response.status_code == 401
        stopping = time.perf_counter()
        sandbox.stop()
        assert time.perf_counter() - stopping < 1
    with pytest.raises(RuntimeError, match="not running"):
        _ = sandbox.url
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/v2")
    sandbox.stop()  # idempotent


def test_a_sandbox_can_be_restarted_on_a_new_port() -> None:
    sandbox = Sandbox()
    with sandbox:
        first = sandbox.url
    with sandbox:
        assert httpx.get(sandbox.url + "/nope").status_code == 404
    assert first.startswith("http://127.0.0.1:")


def test_starting_twice_is_an_error(sb: Sandbox) -> None:
    with pytest.raises(RuntimeError, match="already running"):
        sb.start()


def test_a_busy_port_raises_at_once() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(OSError):
            Sandbox(port=busy.getsockname()[1]).start()


def test_a_server_thread_that_dies_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: None)
    started = time.perf_counter()
    with pytest.raises(SandboxStartError, match="exited during start-up"):
        Sandbox().start()
    assert time.perf_counter() - started < 2


def test_a_server_that_never_starts_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    def never_ready(self: uvicorn.Server, sockets: object = None) -> None:
        while not self.should_exit:
            time.sleep(0.01)

    monkeypatch.setattr(uvicorn.Server, "run", never_ready)
    monkeypatch.setattr(_server, "_START_TIMEOUT", 0.3)
    started = time.perf_counter()
    with pytest.raises(SandboxStartError, match="did not start within"):
        Sandbox().start()
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"api_key": ""}, "api_key"),
        ({"server_id": 0}, "server_id"),
        ({"server_id": 2**31}, "server_id"),
        ({"report_messages": -1}, "report_messages"),
        ({"suppressions": -1}, "suppressions"),
    ],
)
def test_config_rejects_impossible_settings(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SandboxConfig(**kwargs)  # type: ignore[arg-type]


def test_serve_runs_in_the_foreground_until_interrupted() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    overrides = str(Path(__file__).resolve().parents[2] / "overrides")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [overrides, os.environ.get("PYTHONPATH")])),
    }
    code = f"from socketlabs_sandbox import serve; serve(port={port})"
    process = subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/v2/servers/12345/suppressions/search")
                break
            except httpx.ConnectError:
                assert process.poll() is None, "serve() exited"
                assert time.monotonic() < deadline, "serve() did not start"
                time.sleep(0.05)
        assert response.status_code == 401
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert f"http://127.0.0.1:{port}/v2" in stderr
    assert DEFAULT_API_KEY in stderr
