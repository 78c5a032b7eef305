"""What a sandbox is started with.

One frozen value object, so a test can build it once, share it, and get the
same seeded data every time it (re)starts a sandbox.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_SERVER_ID",
    "DEFAULT_SUBACCOUNT_ID",
    "DEFAULT_WEBHOOK_SECRET",
    "SandboxConfig",
]

DEFAULT_API_KEY = "SandboxPublicKey0001." + "sandboxSecret" + "0" * 27
"""A key in the new format (20 chars, a dot, 40 chars), so clients send it as Bearer."""

DEFAULT_SERVER_ID = 12345
"""The server id the sandbox's seeded data belongs to."""

DEFAULT_SUBACCOUNT_ID = 54321
"""The subaccount that exists from the start; it owns the seeded server."""

DEFAULT_WEBHOOK_SECRET = "sandbox-webhook-secret"  # noqa: S105 - a public test value
"""The `SecretKey` the sandbox puts in the event and inbound posts it makes."""

_MAX_SERVER_ID = 2_147_483_647


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """Settings of one sandbox.

    **Parameters:**

    * `api_key` - the only key accepted (v2 Bearer/Basic, injection Bearer or
      body `ApiKey`). It is account-level: valid for every server id.
    * `server_id` - the server whose seeded data (report log, suppressions)
      exists and the only `ServerId` the injection endpoint accepts.
    * `subaccount_id` - the subaccount that exists from the start and owns
      `server_id` (its reports and suppressions are the server's).
    * `seed` - seeds the deterministic report event log and suppressions.
    * `report_messages` - size of the seeded message log; rows are computed
      from `seed` and their index on demand, so millions cost no memory.
    * `suppressions` - number of seeded suppression entries.
    * `webhook_url`, `inbound_url`, `webhook_secret` - where `Sandbox.events`
      posts event webhooks and inbound messages, and the `SecretKey` it sends.
    * `suppressions` - number of seeded suppression entries; computed on demand
      like the log, so a million cost no memory until changed.
    * `anchor` - the end of the seeded history, which covers the 30 days
      before it. ``None`` (default): the moment the sandbox is created, so
      "the last 7 days" always has rows; pass a timezone-aware datetime (such
      as ``FIXED_ANCHOR``) for rows that are the same on any day. A reset keeps
      the anchor.
    * `reporting_history_days` - how many days back the report operations may
      reach (the plan's history; `None`: no limit). Older ranges answer 400
      `ReportingHistoryExceeded`.
    * `csv_truncate_page` - fault: this CSV page number's body stops after half
      its rows while `Content-Range` names them all (`state.csv_truncate_page`
      switches it while running).
    * `rate_limit_window` - enforce the spec's rate limits with a ``default``
      window of this many seconds (60 is the real API; see ``_limits``);
      ``None`` (default) leaves them off.
    """

    api_key: str = DEFAULT_API_KEY
    server_id: int = DEFAULT_SERVER_ID
    subaccount_id: int = DEFAULT_SUBACCOUNT_ID
    seed: int = 1
    report_messages: int = 250
    suppressions: int = 0
    webhook_url: str | None = None
    inbound_url: str | None = None
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET
    reporting_history_days: int | None = None
    csv_truncate_page: int | None = None
    rate_limit_window: float | None = None
    anchor: _dt.datetime | None = None

    def __post_init__(self) -> None:
        """Reject settings the sandbox could not honour, before it starts."""
        if not self.api_key:
            raise ValueError("api_key must not be empty")
        if not 1 <= self.server_id <= _MAX_SERVER_ID:
            raise ValueError(f"server_id must be between 1 and {_MAX_SERVER_ID}")
        if not 1 <= self.subaccount_id <= _MAX_SERVER_ID:
            raise ValueError(f"subaccount_id must be between 1 and {_MAX_SERVER_ID}")
        if self.report_messages < 0:
            raise ValueError("report_messages must be >= 0")
        if self.suppressions < 0:
            raise ValueError("suppressions must be >= 0")
        if not self.webhook_secret:
            raise ValueError("webhook_secret must not be empty")
        if self.reporting_history_days is not None and self.reporting_history_days < 0:
            raise ValueError("reporting_history_days must be >= 0 or None")
        if self.anchor is not None and self.anchor.utcoffset() is None:
            raise ValueError("anchor must be timezone-aware (e.g. datetime(..., tzinfo=UTC))")
        if self.rate_limit_window is not None and self.rate_limit_window <= 0:
            raise ValueError("rate_limit_window must be positive or None")
