"""Sending from Celery workers: one client per worker process, one Redis budget and ledger for all.

``pip install 'socketlabs-client[celery]'``

```python
from celery import Celery
from socketlabs_client import BulkMessage
from socketlabs_client.celery import Batch, SocketLabsCelery

app = Celery("mail", broker="redis://127.0.0.1:6379/0", backend="redis://127.0.0.1:6379/0")
mail = SocketLabsCelery(app, redis_url="redis://127.0.0.1:6379/1")

@mail.sending_task(name="mail.newsletter_slice")
def newsletter_slice(campaign: int, start: int, stop: int) -> Batch:
    bulk = BulkMessage(subject="News", from_="news@example.com", html="...")
    for row in load_subscribers(start, stop):
        bulk.add_recipient(row.email, row.name)
    return Batch(key=f"newsletter-{campaign}:{start}-{stop}", messages=[bulk])

newsletter_slice.delay(42, 0, 1000)
```

The decorated function builds the batch; the task sends it through the
``SendLedger`` under the batch's key and returns ``LedgerReport.to_json()``
(plain JSON). Tasks are ``acks_late`` and ``reject_on_worker_lost``: a worker
that dies mid-batch leaves the task to be redelivered, and the redelivered
task sends only what the ledger says never left. Every worker process builds
its client once (``worker_process_init``, or on first use in pools that do
not fork) with ``RateLimiter.redis(redis_url)``, so the whole fleet keeps one
rate budget per API key. ``mail.resolve_task`` (``socketlabs.resolve_in_doubt``)
settles the entries in doubt of some batch keys from the message detail report.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from attrs import field, frozen
from celery import Celery, signals

from ._client import SocketLabs
from ._errors import LedgerUnavailableError
from ._injection import BasicMessage, BulkMessage
from ._ledger import LedgerReport, SendLedger
from ._ratelimit import RateLimiter
from .models import Message

__all__ = ["Batch", "SocketLabsCelery"]


@frozen
class Batch:
    """What a sending task returns: the batch key and its messages (and ``send`` options).

    The key must always name the same messages: a redelivered task rebuilds
    the batch from its arguments, and the ledger recognises it by the key.
    """

    key: str
    messages: Sequence[BasicMessage | BulkMessage | Message]
    options: Mapping[str, Any] = field(factory=dict)


ClientFactory = Callable[[RateLimiter], SocketLabs]
"""Builds a worker process's client around the shared limiter (``lambda limiter: SocketLabs(...)``)."""


def _default_client(limiter: RateLimiter) -> SocketLabs:
    return SocketLabs(rate_limiter=limiter)  # SOCKETLABS_API_KEY, SOCKETLABS_SERVER_ID, ...


class SocketLabsCelery:
    """The Celery side: per-process client, limiter and ledger, and the task decorator.

    **Parameters:**

    * `app` - the Celery application.
    * `redis_url` - the Redis holding the shared rate budget and the ledger (may be the broker's).
    * `client` - builds each worker process's client around the shared limiter.
    * `limiter_options` - passed to ``RateLimiter.redis`` (``limits``, ``margin``, ``burst``).
    * `ledger_options` - passed to ``SendLedger`` (``ttl``, ``stale_after``, ``visibility_lag``).
    """

    def __init__(
        self,
        app: Celery,
        *,
        redis_url: str,
        client: ClientFactory = _default_client,
        limiter_options: Mapping[str, Any] | None = None,
        ledger_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.app = app
        self.redis_url = redis_url
        self._factory = client
        self._limiter_options = dict(limiter_options or {})
        self._ledger_options = dict(ledger_options or {})
        self._lock = threading.Lock()
        self._made: tuple[int, SocketLabs, RateLimiter, SendLedger] | None = None
        signals.worker_process_init.connect(self._on_process_init, weak=False)
        signals.worker_process_shutdown.connect(self._on_shutdown, weak=False)
        signals.worker_shutdown.connect(self._on_shutdown, weak=False)

        def resolve_in_doubt(keys: list[str]) -> dict[str, Any]:
            """Settle the entries in doubt of these batch keys from the message detail report."""
            client, ledger = self._parts()
            return ledger.resolve_in_doubt(client, keys).to_json()

        self.resolve_task = app.task(name="socketlabs.resolve_in_doubt", acks_late=True)(resolve_in_doubt)

    def __repr__(self) -> str:
        return f"SocketLabsCelery(app={self.app.main!r})"

    def _parts(self) -> tuple[SocketLabs, SendLedger]:
        """The client and ledger of the current process, made on first use after a fork."""
        with self._lock:
            made = self._made
            if made is None or made[0] != os.getpid():
                limiter = RateLimiter.redis(self.redis_url, **self._limiter_options)
                client = self._factory(limiter)
                ledger = SendLedger(self.redis_url, **self._ledger_options)
                made = self._made = (os.getpid(), client, limiter, ledger)
            return made[1], made[3]

    def client(self) -> SocketLabs:
        """The client of the current worker process (its limiter is the fleet's Redis budget)."""
        return self._parts()[0]

    def ledger(self) -> SendLedger:
        """The current worker process's handle on the shared ledger."""
        return self._parts()[1]

    def _on_process_init(self, **_: Any) -> None:
        self._parts()

    def _on_shutdown(self, **_: Any) -> None:
        with self._lock:
            made, self._made = self._made, None
        if made is not None and made[0] == os.getpid():
            made[1].close()
            made[2].close()
            made[3].close()

    def send(self, batch: Batch) -> dict[str, Any]:
        """Send a batch through this process's client and the ledger; the JSON summary.

        When Redis fails after the API took some of it, the summary of what was sent is
        still the task's result, with ``ledger_error`` saying why the ledger may not have
        recorded it (run the resolve task for the key). When nothing was sent, the error
        is raised, so the task fails and may be delivered again.
        """
        client, ledger = self._parts()
        try:
            report = ledger.send(client, batch.messages, key=batch.key, **dict(batch.options))
        except LedgerUnavailableError as error:
            if not isinstance(error.report, LedgerReport):
                raise
            return {**error.report.to_json(), "ledger_error": error.message}
        return report.to_json()

    def sending_task(self, **task_options: Any) -> Callable[[Callable[..., Batch]], Any]:
        """Decorate a function that builds a ``Batch`` into a Celery task that sends it.

        ``task_options`` go to ``app.task`` (``name``, ``queue``, ...); ``acks_late`` and
        ``reject_on_worker_lost`` default to True, which redelivery-safe sending needs.
        """
        options = {"acks_late": True, "reject_on_worker_lost": True, **task_options}

        def decorate(build: Callable[..., Batch]) -> Any:
            @functools.wraps(build)
            def run(*args: Any, **kwargs: Any) -> dict[str, Any]:
                return self.send(build(*args, **kwargs))

            return self.app.task(**options)(run)

        return decorate
