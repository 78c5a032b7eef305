"""A local SocketLabs emulator: every operation of the spec, over real HTTP.

Suppressions, marketing lists, contacts, custom fields, API keys, sending
domains, tracking domains, bounce domains, DKIM keys and subaccounts persist
while it runs (per server or subaccount id), reports come from a seeded deterministic
event log (any size, computed on demand, covering the 30 days before
`SandboxConfig.anchor`: the sandbox's start by default, `FIXED_ANCHOR` for
rows that never change) plus what was injected, and filters,
sorting, paging and CSV ranges behave as the docs say. Use it in tests and
for offline development:

```python
from socketlabs_sandbox import Sandbox, SandboxConfig

with Sandbox(SandboxConfig(report_messages=1000)) as sb:
    ...  # point a client at sb.api_url / sb.inject_url with sb.api_key
```

After it accepts mail it can post the matching event webhooks (and inbound
messages) to a receiver: set `sb.events.webhook_url`, then `sb.events.deliver()`
(see `_events`). It depends only on the standard library, Starlette and uvicorn, and never
imports the client: it is an independent reading of the spec, a referee.
"""

from __future__ import annotations

from ._config import (
    DEFAULT_API_KEY,
    DEFAULT_SERVER_ID,
    DEFAULT_SUBACCOUNT_ID,
    DEFAULT_WEBHOOK_SECRET,
    SandboxConfig,
)
from ._dates import FIXED_ANCHOR
from ._events import Delivery, EventOutbox, InboundFile, events_for
from ._faults import Fault, FaultKind, Faults
from ._limits import RateLimitCounters, SandboxRateLimits
from ._server import Sandbox, SandboxStartError, serve
from ._state import InjectedMessage, SandboxState, SentMessage, Suppression

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_SERVER_ID",
    "DEFAULT_SUBACCOUNT_ID",
    "DEFAULT_WEBHOOK_SECRET",
    "FIXED_ANCHOR",
    "Delivery",
    "EventOutbox",
    "Fault",
    "FaultKind",
    "Faults",
    "InboundFile",
    "InjectedMessage",
    "RateLimitCounters",
    "Sandbox",
    "SandboxConfig",
    "SandboxRateLimits",
    "SandboxStartError",
    "SandboxState",
    "SentMessage",
    "Suppression",
    "events_for",
    "serve",
]
