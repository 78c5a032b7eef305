"""Running the sandbox: in a background thread for tests, or in the foreground.

`Sandbox` binds its socket in the caller's thread (so the port is known at
once and a bind error raises there), then runs uvicorn on that socket in a
daemon thread. Start-up waits for uvicorn to report it is serving, checking
that the thread is still alive and giving up after a timeout with a clear
error, so a failed start can never hang a test run.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from types import TracebackType

import uvicorn

from ._app import API_PREFIX, CONTROL_INBOX, INJECTION_PREFIX, MANAGEMENT_PREFIX, SandboxApp
from ._config import SandboxConfig
from ._events import EventOutbox
from ._faults import Faults, processed_per_recipient
from ._limits import SandboxRateLimits
from ._marketing_v1 import MARKETING_V1_PREFIX
from ._state import SandboxState

__all__ = ["Sandbox", "SandboxStartError", "serve"]

_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 5.0


class SandboxStartError(RuntimeError):
    """The sandbox's server did not come up (it died or timed out)."""


def _uvicorn_config(app: SandboxApp, host: str, port: int) -> uvicorn.Config:
    """Quiet, single-worker settings: no access log, no lifespan, fast stop."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
        timeout_keep_alive=5,
    )


class Sandbox:
    """A SocketLabs emulator served over HTTP on `host` (127.0.0.1 by default).

    ```python
    with Sandbox(SandboxConfig(report_messages=1000)) as sb:
        httpx.get(f"{sb.api_url}/servers/{sb.server_id}/suppressions/search",
                  headers={"Authorization": f"Bearer {sb.api_key}"})
    ```

    `port=0` picks a free port; `url`, `api_url` (v2), `inject_url`
    (injection) and `management_url` (v1) are set once started. `state` is live: tests may inspect it
    (`state.sent`, `state.suppressions`) and `reset()` it between tests.
    `events` posts the event webhooks the accepted mail owes (see `EventOutbox`).

    The seeded report history covers the 30 days before `anchor` (by default
    the moment the sandbox was made, so "the last 7 days" has rows; see
    `SandboxConfig.anchor`).
    """

    def __init__(
        self, config: SandboxConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self._config = config or SandboxConfig()
        self._host = host
        self._requested_port = port
        self._port = 0
        self._state = SandboxState(self._config)
        self._app = SandboxApp(self._state)
        self._events = self._app.events
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def config(self) -> SandboxConfig:
        """The settings it was made with (frozen)."""
        return self._config

    @property
    def host(self) -> str:
        """The interface it listens on (127.0.0.1 by default)."""
        return self._host

    @property
    def port(self) -> int:
        """The TCP port while running (a free one when made with ``port=0``); 0 when stopped."""
        return self._port

    @property
    def state(self) -> SandboxState:
        """Everything it remembers, live: ``state.sent``, ``state.suppressions``, ``state.anchor``."""
        return self._state

    @property
    def app(self) -> SandboxApp:
        """The ASGI application (mount it elsewhere, or drive it without a socket)."""
        return self._app

    @property
    def events(self) -> EventOutbox:
        """Event webhook and inbound posts: ``pending()``, ``deliver()``, ``send_inbound()``."""
        return self._events

    @property
    def anchor(self) -> datetime:
        """The end of the seeded history; it covers the 30 days before it."""
        return datetime.fromtimestamp(self._state.anchor, UTC)

    @property
    def api_key(self) -> str:
        """The key the sandbox accepts."""
        return self.config.api_key

    @property
    def server_id(self) -> int:
        """The server id with seeded data and accepted by injection."""
        return self.config.server_id

    @property
    def url(self) -> str:
        """`http://host:port` of the running sandbox."""
        if not self.port:
            raise RuntimeError("the sandbox is not running; call start() or use it as a context manager")
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """Base URL of the v2 API (the spec's paths are relative to it)."""
        return self.url + API_PREFIX

    @property
    def inject_url(self) -> str:
        """Base URL of the Injection API (`POST {inject_url}/email`)."""
        return self.url + INJECTION_PREFIX

    @property
    def management_url(self) -> str:
        """Base URL of the v1 API (custom bounce domains, DKIM, tracking domains of servers)."""
        return self.url + MANAGEMENT_PREFIX

    @property
    def marketing_url(self) -> str:
        """Base URL of the legacy marketing API v1 (lists, contacts, unsubscribes, content)."""
        return self.url + MARKETING_V1_PREFIX

    @property
    def inbox_url(self) -> str:
        """The sandbox's own webhook receiver: events go there when no ``webhook_url`` is set.

        ``GET`` it (with the key) for the events it took, newest last.
        """
        return self.url + CONTROL_INBOX

    @property
    def urls(self) -> dict[str, str]:
        """Base URL by the spec's ``x-servers`` name: what a client (or its settings table) points at.

        Clients read it with ``socketlabs_client.SERVER_SETTINGS``, e.g.
        ``{s.argument: sandbox.urls[s.name] for s in SERVER_SETTINGS}``; a test
        holds its names and paths to the spec's table.
        """
        return {
            "api": self.api_url,
            "injection": self.inject_url,
            "management": self.management_url,
            "marketing": self.marketing_url,
        }

    @property
    def faults(self) -> Faults:
        """The fault switches (see ``_faults``): ``sb.faults.add(FaultKind.RESET_AFTER, times=1)``."""
        return self.app.faults

    @property
    def limits(self) -> SandboxRateLimits:
        """The enforced rate limits and their counters (see ``_limits``)."""
        return self.app.limits

    def processed_per_recipient(self) -> Counter[str]:
        """How many times mail to each address was accepted (a duplicate shows as 2+)."""
        return processed_per_recipient(self.state)

    def reset(self) -> None:
        """Back to the seeded state: suppressions, mail, log, events, inbox; no faults, new windows."""
        self.state.reset()
        self.events.reset()
        self.app.inbox.clear()
        self.app.faults.clear()
        self.app.limits.reset()

    def start(self) -> Sandbox:
        """Bind, start serving in a daemon thread, and wait until it is up."""
        if self._thread is not None:
            raise RuntimeError("the sandbox is already running")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so,
        # and without it every keep-alive call waits ~40 ms for a delayed ACK.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self._requested_port))
        except BaseException:  # a bad host is a ValueError or UnicodeError too, not only OSError
            sock.close()
            raise
        sock.set_inheritable(True)
        server = uvicorn.Server(_uvicorn_config(self.app, self.host, sock.getsockname()[1]))
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="socketlabs-sandbox", daemon=True
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive():
                self._cleanup()
                raise SandboxStartError(
                    "the sandbox server thread exited during start-up (see the log above)"
                )
            if time.monotonic() > deadline:
                server.should_exit = True
                thread.join(_STOP_TIMEOUT)
                self._cleanup()
                raise SandboxStartError(f"the sandbox did not start within {_START_TIMEOUT:.0f} s")
            time.sleep(0.005)
        self._port = sock.getsockname()[1]
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread (idempotent)."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(_STOP_TIMEOUT)
        if thread.is_alive():
            server.force_exit = True
            thread.join(_STOP_TIMEOUT)
        self._cleanup()

    def _cleanup(self) -> None:
        """Forget the server and close the listening socket."""
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None
        self._port = 0

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = f"http://{self.host}:{self.port}" if self.port else "stopped"
        return f"<Sandbox {where} server_id={self.server_id}>"


def serve(host: str = "127.0.0.1", port: int = 8025, config: SandboxConfig | None = None) -> None:
    """Run a sandbox in the foreground until interrupted (for `socketlabs sandbox`).

    Prints where it listens and the key to use, then blocks; Ctrl-C stops it.
    """
    config = config or SandboxConfig()
    app = SandboxApp(SandboxState(config))
    base = f"http://{host}:{port}"
    print(
        f"SocketLabs sandbox on {base}\n"
        f"  v2 API:    {base}{API_PREFIX}\n"
        f"  injection: {base}{INJECTION_PREFIX}/email\n"
        f"  v1 mgmt:   {base}{MANAGEMENT_PREFIX}\n"
        f"  server id: {config.server_id}\n"
        f"  API key:   {config.api_key}",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.Server(_uvicorn_config(app, host, port)).run()
