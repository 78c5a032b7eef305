"""The Celery application of the fleet test: workers import it with ``celery -A fleet_app worker``.

Configured from the environment the test sets (the sandbox's URLs, the Redis
URL, the shortened rate-limit window). One task, ``fleet.send_slice``, sends
recipients ``start..stop`` of one 20,000-recipient merge; the batch key names
the slice, so a redelivered task rebuilds the same batch. Two signal handlers
tell the test which process runs which slice (so it can kill one mid-batch)
and how many times each slice was run.
"""

from __future__ import annotations

import os
from typing import Any

import redis
from celery import Celery
from celery.signals import task_postrun, task_prerun
from socketlabs_client import BulkMessage, RateLimiter, SocketLabs
from socketlabs_client.celery import Batch, SocketLabsCelery

REDIS = os.environ["FLEET_REDIS"]
WINDOW = float(os.environ.get("FLEET_WINDOW", "3"))
INVALID_EVERY = 1000
"""Every 1000th recipient is in the reserved ``.invalid`` domain: the sandbox refuses it for good."""

app = Celery("fleet", broker=f"{REDIS}1", backend=f"{REDIS}2")
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_default_queue="fleet",
    broker_connection_retry_on_startup=True,
    broker_transport_options={
        "visibility_timeout": float(os.environ.get("FLEET_VISIBILITY", "4")),
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    },
    result_expires=600,
)


def _client(limiter: RateLimiter) -> SocketLabs:
    return SocketLabs(
        api_key=os.environ["FLEET_API_KEY"],
        server_id=os.environ["FLEET_SERVER_ID"],
        base_url=os.environ["FLEET_API_URL"],
        inject_url=os.environ["FLEET_INJECT_URL"],
        rate_limiter=limiter,
        timeout=2.0,
    )


mail = SocketLabsCelery(
    app,
    redis_url=f"{REDIS}0",
    client=_client,
    limiter_options={
        "limits": RateLimiter.scaled(WINDOW / 60),
        "margin": 0.25 * WINDOW / 60,
        "prefix": "fleet",
    },
    ledger_options={"stale_after": 3.0, "visibility_lag": 0.0, "prefix": "fleet:ledger"},
)


def address(index: int) -> str:
    """Recipient ``index`` of the merge."""
    domain = "example.invalid" if index % INVALID_EVERY == INVALID_EVERY - 1 else "example.com"
    return f"u{index}@{domain}"


def slice_key(start: int, stop: int) -> str:
    """The batch key of one slice: the same slice, the same key, on every delivery."""
    return f"fleet-merge:{start}-{stop}"


@mail.sending_task(name="fleet.send_slice")
def send_slice(start: int, stop: int) -> Batch:
    """Recipients ``start..stop`` of the merge, as one batch."""
    bulk = BulkMessage(subject="Hello %%Name%%", from_="news@example.com", text="Hi %%Name%%, code %%Code%%")
    for i in range(start, stop):
        bulk.add_recipient(address(i), merge={"Name": f"user {i}", "Code": str(i)})
    # one request at a time per task: a kill lands between requests of the same slice
    return Batch(key=slice_key(start, stop), messages=[bulk], options={"concurrency": 1})


_marks = redis.Redis.from_url(f"{REDIS}0")


@task_prerun.connect
def _started(task: Any = None, args: Any = None, **_: Any) -> None:
    if task is not None and task.name == "fleet.send_slice":
        _marks.hset("fleet:running", str(os.getpid()), f"{args[0]}-{args[1]}")
        _marks.hincrby("fleet:runs", f"{args[0]}-{args[1]}", 1)


@task_postrun.connect
def _finished(task: Any = None, **_: Any) -> None:
    if task is not None and task.name == "fleet.send_slice":
        _marks.hdel("fleet:running", str(os.getpid()))
