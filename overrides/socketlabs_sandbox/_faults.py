"""Fault switches: make the sandbox misbehave the ways a real network and server do.

Switched per test from Python, on the running sandbox (nothing in the spec's
HTTP surface changes):

```python
sb.faults.add(FaultKind.RESET_AFTER, operation="sendEmail", times=1)
sb.faults.add(FaultKind.SERVER_ERROR, status=503, rate=0.2, seed=7)
sb.faults.clear()
```

| kind                 | what the client sees                          | processed? |
|----------------------|-----------------------------------------------|------------|
| `LATENCY`            | the normal answer, `delay` seconds late       | yes        |
| `RESET_BEFORE`       | the connection reset after the request was read | no       |
| `RESET_AFTER`        | the connection reset instead of the answer    | yes        |
| `SERVER_ERROR`       | `status` (500 by default) with the error envelope | no     |
| `MALFORMED_JSON`     | 200, `application/json`, a cut-off JSON body  | yes        |
| `WRONG_CONTENT_TYPE` | 200, `text/html`, a proxy's error page        | yes        |

"Processed" is what the sandbox did with the request: the tests compare it
with what the client reported (see ``processed_per_recipient``). A reset is
a TCP RST (``SO_LINGER`` 0), so the client cannot tell "before" from "after":
exactly the ambiguity the client's retry policy must handle.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from starlette.responses import Response
from starlette.types import Send

from ._state import SandboxState

__all__ = ["Fault", "FaultKind", "Faults", "abort_connection", "apply_fault", "processed_per_recipient"]


class FaultKind(StrEnum):
    """The faults the sandbox can inject."""

    LATENCY = "latency"
    RESET_BEFORE = "reset-before"
    RESET_AFTER = "reset-after"
    SERVER_ERROR = "server-error"
    MALFORMED_JSON = "malformed-json"
    WRONG_CONTENT_TYPE = "wrong-content-type"


@dataclass(slots=True)
class Fault:
    """One switched-on fault; ``times`` None means until cleared."""

    kind: FaultKind
    operation: str | None = None
    times: int | None = None
    rate: float = 1.0
    delay: float = 0.0
    status: int = 500
    rng: random.Random = field(default_factory=random.Random)


class Faults:
    """The sandbox's fault switches and what they did (``injected`` counts per kind)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.injected: Counter[FaultKind] = Counter()

    def add(
        self,
        kind: FaultKind,
        *,
        operation: str | None = None,
        times: int | None = None,
        rate: float = 1.0,
        delay: float = 0.0,
        status: int = 500,
        seed: int = 0,
    ) -> Fault:
        """Switch a fault on for ``operation`` (an operationId; None: every operation).

        ``times`` limits how often it fires; ``rate`` is the chance per request
        (drawn from a generator seeded with ``seed``, so runs repeat).
        """
        if not 0.0 < rate <= 1.0:
            raise ValueError("rate must be in (0, 1]")
        if kind is FaultKind.SERVER_ERROR and not 500 <= status <= 599:
            raise ValueError("a server error status is 5xx")
        fault = Fault(kind, operation, times, rate, delay, status, random.Random(seed))  # noqa: S311 - reproducible fault draws, not security
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Switch every fault off and zero the counts."""
        with self._lock:
            self._faults = []
            self.injected = Counter()

    def pick(self, operation_id: str | None) -> Fault | None:
        """The fault to apply to this request, if any (first match wins)."""
        with self._lock:
            for fault in self._faults:
                if fault.operation not in (None, operation_id) or fault.times == 0:
                    continue
                if fault.rate < 1.0 and fault.rng.random() >= fault.rate:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                self.injected[fault.kind] += 1
                return fault
        return None


async def abort_connection(send: Send) -> bool:
    """Reset the client's TCP connection (RST) without an answer; False if the server can't.

    uvicorn hands the app its protocol cycle's bound ``send``; its transport is
    the connection. Yielding once lets uvicorn see the disconnect, so it does
    not try to answer on a closed socket.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        return False
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    await asyncio.sleep(0)
    return True


def processed_per_recipient(state: SandboxState) -> Counter[str]:
    """How many times the sandbox accepted mail for each address (2+ means a duplicate)."""
    with state.lock:
        return Counter(sent.address for sent in state.sent)


_CUT_JSON = '{"ErrorCode": "Success", "data": [{"emailAddress": "'
_PROXY_PAGE = "<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>"


async def apply_fault(fault: Fault, run: Callable[[], Response], send: Send) -> Response | None:
    """Serve one request under ``fault``: the response to send, or None after a reset.

    ``run`` processes the request (the normal handler); each kind calls it or not
    as the module table says.
    """
    kind = fault.kind
    if kind is FaultKind.LATENCY:
        await asyncio.sleep(fault.delay)
        return run()
    if kind is FaultKind.SERVER_ERROR:
        body = f'{{"error":[{{"errorType":"ServerError","message":"injected {fault.status}"}}]}}'
        return Response(body, status_code=fault.status, media_type="application/json")
    if kind in (FaultKind.RESET_BEFORE, FaultKind.RESET_AFTER):
        if kind is FaultKind.RESET_AFTER:
            run()
        if await abort_connection(send):
            return None
        return Response("reset not supported by this server", status_code=500)  # pragma: no cover
    run()
    if kind is FaultKind.MALFORMED_JSON:
        return Response(_CUT_JSON, status_code=200, media_type="application/json")
    return Response(_PROXY_PAGE, status_code=200, media_type="text/html")
