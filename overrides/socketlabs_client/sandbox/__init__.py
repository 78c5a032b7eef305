"""A local SocketLabs emulator: every operation of the spec, over real HTTP.

Suppressions persist while it runs, reports come from a seeded deterministic
event log (any size, computed on demand) plus what was injected, and filters,
sorting, paging and CSV ranges behave as the docs say. Use it in tests and
for offline development:

```python
from socketlabs_client.sandbox import Sandbox, SandboxConfig

with Sandbox(SandboxConfig(report_messages=1000)) as sb:
    ...  # point a client at sb.api_url / sb.inject_url with sb.api_key
```

It depends only on the standard library, Starlette and uvicorn, and never
imports the client: it is an independent reading of the spec, a referee.
"""

from __future__ import annotations

from ._config import DEFAULT_API_KEY, DEFAULT_SERVER_ID, SandboxConfig
from ._faults import Fault, FaultKind, Faults
from ._limits import RateLimitCounters, SandboxRateLimits
from ._server import Sandbox, SandboxStartError, serve
from ._state import SandboxState, SentMessage, Suppression

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_SERVER_ID",
    "Fault",
    "FaultKind",
    "Faults",
    "RateLimitCounters",
    "Sandbox",
    "SandboxConfig",
    "SandboxRateLimits",
    "SandboxStartError",
    "SandboxState",
    "SentMessage",
    "Suppression",
    "serve",
]
