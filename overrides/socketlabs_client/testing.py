"""pytest fixtures, so your own tests run against the local sandbox.

Installed as a pytest plugin (entry point ``socketlabs``). Needs the
``sandbox`` extra: ``pip install 'socketlabs-client[sandbox]'``.

```python
def test_welcome_mail(socketlabs_client, socketlabs_sandbox):
    my_app.send_welcome(client=socketlabs_client, to="ann@example.com")
    assert [r.address for r in socketlabs_sandbox.state.sent] == ["ann@example.com"]
```
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest

from ._client import AsyncSocketLabs, SocketLabs
from ._config import SANDBOX_EXTRA, SERVER_SETTINGS, ClientConfig, resolve_config

if TYPE_CHECKING:
    from socketlabs_sandbox import Sandbox

__all__ = ["async_socketlabs_client", "socketlabs_client", "socketlabs_sandbox"]


@pytest.fixture(scope="session")
def socketlabs_sandbox() -> Iterator[Sandbox]:
    """One sandbox for the session, on a free port of 127.0.0.1."""
    try:
        from socketlabs_sandbox import Sandbox  # noqa: PLC0415 - optional extra
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the installed extras
        if exc.name not in SANDBOX_EXTRA:
            raise
        pytest.skip(f"the sandbox needs the 'sandbox' extra (starlette, uvicorn): {exc}")
    with Sandbox() as sandbox:
        yield sandbox


def _config(sandbox: Sandbox) -> ClientConfig:
    """The sandbox's key and server, and every host of the spec's table pointed at the sandbox."""
    urls = {setting.env_var: sandbox.urls[setting.name] for setting in SERVER_SETTINGS}
    return resolve_config(api_key=sandbox.api_key, server_id=sandbox.server_id, env=urls)


@pytest.fixture
def socketlabs_client(socketlabs_sandbox: Sandbox) -> Iterator[SocketLabs]:
    """A client bound to the sandbox, which is reset to its seeded state first."""
    socketlabs_sandbox.reset()
    with SocketLabs.from_config(_config(socketlabs_sandbox)) as client:
        yield client


@pytest.fixture
async def async_socketlabs_client(socketlabs_sandbox: Sandbox) -> AsyncIterator[AsyncSocketLabs]:
    """The async twin of ``socketlabs_client``."""
    socketlabs_sandbox.reset()
    async with AsyncSocketLabs.from_config(_config(socketlabs_sandbox)) as client:
        yield client
