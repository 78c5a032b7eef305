"""A send ledger in Redis: each recipient of a batch is sent at most once, across retries and workers.

```python
from socketlabs_client import SendLedger, SocketLabs

ledger = SendLedger.redis("redis://127.0.0.1:6379/0")
with SocketLabs() as client:
    result = ledger.send(client, [newsletter], key="newsletter-2026-11:slice-7")
    if result.in_doubt:
        ledger.resolve_in_doubt(client, result)  # asks the message detail report
```

A task queue redelivers work (a worker killed mid-batch, ``acks_late``, a
visibility timeout); a plain ``send`` would then mail everyone again. The
ledger remembers, per **entry** (a message and one of its recipients), what
happened, and sends only what certainly never left:

* **Message ids.** The batch is cut into units of at most
  ``recipients_per_message`` recipients (a merge's rows, or one basic
  message). A unit without a ``MessageId`` gets one derived from the batch
  key and its place: ``"sl-" + sha256(key, message position, unit number)``
  (32 hex digits). The same key and the same messages give the same ids, on
  any host: that is what lets a redelivered task find its entries, and the
  message detail report find the mail. A key must therefore always name the
  same messages (``"campaign-42:rows-0-999"``), and a new send a new key.
* **Before** a request leaves, its entries are claimed *sending* in one Lua
  script: an entry that is missing or *free* is claimed; one *accepted* or
  *rejected* is skipped (done); one *sending* or *in doubt* is skipped and
  never resent (another attempt may have delivered it).
* **After** the answer each claimed entry becomes *accepted*, *rejected*,
  *in doubt*, or *free* (a rejection marked retryable: the request certainly
  never reached the API, e.g. a rate limit or a refused connection).
* Entries expire ``ttl`` seconds after their last change (7 days by default):
  a key reused after that is a new send.

What the ledger cannot know is what happened to a request that left but got
no answer (*in doubt*), or to the entries of a worker that died while they
were *sending*. ``resolve_in_doubt`` asks the message detail report (by
message id, within the report family's rate limit) and turns each into
accepted (found), free again (``NOT_FOUND``: never arrived, safe to send) or
leaves it in doubt (``NOT_YET_VISIBLE``: reports lag, ask later). A *sending*
entry counts as abandoned only ``stale_after`` seconds after it was claimed,
which must exceed the longest a send can take (the client's deadline).

Every time stamp comes from the Redis server's clock (``TIME``), so the hosts
of a fleet agree on ages.

**It fails closed.** A ledger that forgot would send everything again, so:

* Before its first send it checks that Redis keeps what it is told: the
  append-only file on (``appendonly yes``) and, with ``maxmemory`` set,
  ``maxmemory-policy noeviction``; otherwise ``LedgerNotDurableError`` and
  nothing is sent (``require_persistence=False`` for tests and development).
* An epoch marker (``<prefix>:epoch``, no expiry) is written at first use. A
  ledger that saw it and finds it gone knows Redis lost its data; it then writes
  the time of the loss into a new marker, and every unit Redis does not hold,
  for ``ttl`` after that, becomes *in doubt* instead of being sent:
  ``resolve_in_doubt`` asks the report by its message id, as for any doubt.
* A Redis failure is a ``LedgerUnavailableError``; no claim is made after one.
  When a request had already reached the API, the error's ``report`` holds the
  results, so the caller learns what went even though the ledger may not have
  recorded it (those entries stay *sending* and resolve like a dead worker's).
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import hashlib
import os
import secrets
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, Unpack
from urllib.parse import urlsplit

from attrs import frozen
from socketlabs_api.models import MergeData, Message

from ._errors import (
    ConfigurationError,
    LedgerNotDurableError,
    LedgerUnavailableError,
    MessageValidationError,
    OutcomeUnknownError,
)
from ._filters import F
from ._injection import (
    MAX_MESSAGES_PER_REQUEST,
    MAX_RECIPIENTS_PER_MESSAGE,
    BasicMessage,
    BulkMessage,
    Outcome,
    SendOptionsDict,
    SendReport,
)

if TYPE_CHECKING:
    from redis import Redis
    from redis.asyncio import Redis as AsyncRedis

__all__ = [
    "DEFAULT_LEDGER_TTL",
    "EntryState",
    "LedgerEntry",
    "LedgerReport",
    "Resolution",
    "ResolutionReport",
    "SendLedger",
    "derive_message_id",
    "durability_problems",
]

DEFAULT_LEDGER_TTL = 7 * 24 * 3600
"""Seconds an entry is kept after its last change: longer than any queue keeps redelivering a task."""

_STALE_AFTER = 600.0
_VISIBILITY_LAG = 900.0
_ID_FIELD = "@id"


class EntryState(StrEnum):
    """Where one recipient of one message stands in the ledger."""

    SENDING = "sending"
    """Claimed by an attempt whose answer is not in yet (or whose worker died)."""
    ACCEPTED = "accepted"
    """The API accepted it (or the report showed it): never sent again."""
    REJECTED = "rejected"
    """The API refused it for good (an invalid address, ...): never sent again."""
    IN_DOUBT = "in_doubt"
    """The request may have reached the API: not resent until resolved."""
    FREE = "free"
    """Certainly never left (a retryable rejection, or resolved as not found): the next send sends it."""


_CODES = {
    "S": EntryState.SENDING,
    "A": EntryState.ACCEPTED,
    "R": EntryState.REJECTED,
    "D": EntryState.IN_DOUBT,
    "F": EntryState.FREE,
}
_LETTERS = {state: letter for letter, state in _CODES.items()}

_CLAIM = """
-- KEYS[1]: the batch's index set; KEYS[2..]: one hash per unit.
-- ARGV: ttl, token, lost (ms when Redis was found to have lost the ledger, 0: never),
-- then per unit: its message id, n, n fields.
-- Returns, per field, '+' when claimed now, else the letter of its state.
-- A unit Redis does not hold, within ttl of a loss, may have been sent before the loss:
-- its entries become in doubt (stamped with the loss) instead of being claimed.
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local ttl, token, lost = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local out, a = {}, 4
for k = 2, #KEYS do
  local key = KEYS[k]
  local unknown = lost > 0 and now - lost < ttl * 1000 and redis.call('EXISTS', key) == 0
  redis.call('HSETNX', key, '@id', ARGV[a])
  local n = tonumber(ARGV[a + 1])
  a = a + 2
  for _ = 1, n do
    local field = ARGV[a]
    a = a + 1
    local v = redis.call('HGET', key, field)
    local state = v and string.sub(v, 1, 1) or ''
    if unknown then
      redis.call('HSET', key, field, 'D ' .. lost .. ' lost')
      out[#out + 1] = 'D'
    elseif state == '' or state == 'F' then
      redis.call('HSET', key, field, 'S ' .. now .. ' ' .. token)
      out[#out + 1] = '+'
    else
      out[#out + 1] = state
    end
  end
  redis.call('EXPIRE', key, ttl)
  redis.call('SADD', KEYS[1], key)
end
redis.call('EXPIRE', KEYS[1], ttl)
return out
"""

_FINISH = """
-- KEYS: one hash per unit. ARGV: ttl, token, then per unit: n, then n pairs (field, letter).
-- Only an entry this attempt still holds (sending, its token) changes.
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local ttl, token = tonumber(ARGV[1]), ARGV[2]
local held = '^S (%d+) ' .. token:gsub('%p', '%%%0') .. '$'
local changed, a = 0, 3
for k = 1, #KEYS do
  local key = KEYS[k]
  local n = tonumber(ARGV[a])
  a = a + 1
  for _ = 1, n do
    local field, letter = ARGV[a], ARGV[a + 1]
    a = a + 2
    local v = redis.call('HGET', key, field)
    if v and string.match(v, held) then
      redis.call('HSET', key, field, letter .. ' ' .. now .. ' ' .. token)
      changed = changed + 1
    end
  end
  redis.call('EXPIRE', key, ttl)
end
return changed
"""

_SETTLE = """
-- KEYS: hashes. ARGV: ttl, token, then triples (key index, field, expected value, letter) as quads.
-- Compare and set: an entry changed since it was read is left alone.
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local ttl, token = tonumber(ARGV[1]), ARGV[2]
local changed = 0
for a = 3, #ARGV, 4 do
  local key = KEYS[tonumber(ARGV[a])]
  local field, expected, letter = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  if redis.call('HGET', key, field) == expected then
    redis.call('HSET', key, field, letter .. ' ' .. now .. ' ' .. token)
    redis.call('EXPIRE', key, ttl)
    changed = changed + 1
  end
end
return changed
"""


_EPOCH = """
-- KEYS[1]: the ledger's epoch marker, "<id> <lost ms>" (0: never lost); it has no expiry.
-- ARGV[1]: the id this ledger saw before ('' if none), ARGV[2]: a fresh id.
-- Absent although this ledger saw it, or re-created by a process that did not know: lost.
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local v = redis.call('GET', KEYS[1])
if not v then
  v = ARGV[2] .. ' ' .. (ARGV[1] == '' and '0' or tostring(now))
  redis.call('SET', KEYS[1], v)
elseif ARGV[1] ~= '' and string.match(v, '^%S+') ~= ARGV[1] and string.match(v, ' 0$') then
  v = string.match(v, '^%S+') .. ' ' .. now
  redis.call('SET', KEYS[1], v)
end
return v
"""


def durability_problems(persistence: Mapping[str, Any], memory: Mapping[str, Any]) -> list[str]:
    """Why a Redis (its ``INFO persistence`` and ``INFO memory``) could forget what the ledger wrote."""
    problems = []
    if str(persistence.get("aof_enabled", "0")) != "1":
        problems.append("the append-only file is off (set appendonly yes; appendfsync everysec or always)")
    policy = str(memory.get("maxmemory_policy", "noeviction"))
    if str(memory.get("maxmemory", "0")) != "0" and policy != "noeviction":
        problems.append(f"maxmemory-policy is {policy}: entries could be evicted (set noeviction)")
    return problems


def derive_message_id(key: str, message: int, unit: int) -> str:
    """The ``MessageId`` of unit ``unit`` of message ``message`` of batch ``key`` (stable everywhere)."""
    digest = hashlib.sha256(f"{key}\x00{message}\x00{unit}".encode()).hexdigest()
    return f"sl-{digest[:32]}"


@frozen
class LedgerEntry:
    """One recipient of one message: its ids, address and state (``at``: ms on the Redis clock)."""

    batch: str
    message_id: str
    address: str
    state: EntryState
    message: int = 0
    """The position of its message in what was passed to ``send``."""
    at: int = 0
    detail: str = ""


@frozen
class LedgerReport:
    """What one ``SendLedger.send`` call found and did, one entry per recipient of the batch.

    ``sent`` is the recipients this call sent; ``skipped`` those it found
    done or held by another attempt; ``reports`` the ``SendReport`` of each
    request it made.
    """

    batch: str
    entries: tuple[LedgerEntry, ...]
    sent: int
    skipped: int
    reports: tuple[SendReport, ...] = ()

    def _with(self, state: EntryState) -> tuple[LedgerEntry, ...]:
        return tuple(e for e in self.entries if e.state is state)

    @property
    def accepted(self) -> tuple[LedgerEntry, ...]:
        """Entries accepted, now or by an earlier attempt."""
        return self._with(EntryState.ACCEPTED)

    @property
    def rejected(self) -> tuple[LedgerEntry, ...]:
        """Entries refused for good."""
        return self._with(EntryState.REJECTED)

    @property
    def in_doubt(self) -> tuple[LedgerEntry, ...]:
        """Entries that may or may not have been delivered (in doubt, or still held *sending*)."""
        return tuple(e for e in self.entries if e.state in (EntryState.IN_DOUBT, EntryState.SENDING))

    @property
    def free(self) -> tuple[LedgerEntry, ...]:
        """Entries that certainly never left: the next send with this key sends them."""
        return self._with(EntryState.FREE)

    @property
    def done(self) -> bool:
        """Every entry accepted or rejected: nothing left to send or resolve."""
        return all(e.state in (EntryState.ACCEPTED, EntryState.REJECTED) for e in self.entries)

    def counts(self) -> dict[str, int]:
        """Entries per state (every state, zeros included)."""
        found = Counter(e.state.value for e in self.entries)
        return {state.value: found.get(state.value, 0) for state in EntryState}

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable summary (a task's result): counts, and the entries still in doubt."""
        return {
            "batch": self.batch,
            "recipients": len(self.entries),
            "sent": self.sent,
            "skipped": self.skipped,
            "counts": self.counts(),
            "in_doubt": [[e.message_id, e.address] for e in self.in_doubt],
        }

    def __repr__(self) -> str:
        counts = {k: v for k, v in self.counts().items() if v}
        return f"LedgerReport(batch={self.batch!r}, sent={self.sent}, skipped={self.skipped}, {counts})"


class Resolution(StrEnum):
    """What the message detail report said about one entry in doubt."""

    ACCEPTED = "accepted"
    """Found in the report: it was delivered to the API (now *accepted* in the ledger)."""
    NOT_FOUND = "not_found"
    """Absent after the report's lag: it never arrived (now *free*: the next send sends it)."""
    NOT_YET_VISIBLE = "not_yet_visible"
    """Absent, but too recent to conclude (reports lag): still in doubt, ask again later."""


@frozen
class ResolutionReport:
    """One verdict per entry that was in doubt (or held *sending* past ``stale_after``)."""

    verdicts: tuple[tuple[LedgerEntry, Resolution], ...]
    queries: int
    """Report requests made (one or more pages per message id)."""

    def count(self, resolution: Resolution) -> int:
        """How many entries got ``resolution``."""
        return sum(1 for _, r in self.verdicts if r is resolution)

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable summary."""
        return {"queries": self.queries, **{r.value: self.count(r) for r in Resolution}}


# ------------------------------------------------------------------ units


class _Unit:
    """One message as the ledger tracks it: a Redis hash, a wire id, fields in recipient order."""

    __slots__ = ("fields", "key", "message", "message_id", "recipients", "source")

    def __init__(
        self,
        key: str,
        message: int,
        *,
        message_id: str,
        source: Any,
        recipients: Sequence[Any],
        addresses: list[str],
    ) -> None:
        self.key = key
        self.message = message
        self.message_id = message_id
        self.source = source
        self.recipients = recipients
        seen: Counter[str] = Counter()
        fields = []
        for address in addresses:
            folded = address.casefold()
            seen[folded] += 1
            fields.append(folded if seen[folded] == 1 else f"{folded}#{seen[folded]}")
        self.fields: list[str] = fields

    def sendable(self, positions: Sequence[int]) -> BasicMessage | BulkMessage | Message:
        """The unit restricted to the recipients at ``positions``, with its message id set."""
        chosen = [self.recipients[p] for p in positions]
        source = self.source
        if isinstance(source, BulkMessage):
            bulk = copy.copy(source)
            bulk.recipients = chosen
            bulk.message_id = self.message_id
            return bulk
        if isinstance(source, BasicMessage):
            basic = copy.copy(source)
            basic.to = [a for kind, a in chosen if kind == "to"]
            basic.cc = [a for kind, a in chosen if kind == "cc"]
            basic.bcc = [a for kind, a in chosen if kind == "bcc"]
            basic.message_id = self.message_id
            return basic
        model: Message = copy.copy(source)
        model.message_id = self.message_id
        merge = model.merge_data
        if isinstance(merge, MergeData) and isinstance(merge.per_message, list) and merge.per_message:
            merge = copy.copy(merge)
            merge.per_message = [row for _, row in chosen]
            model.merge_data = merge
            return model
        model.to = [a for kind, a in chosen if kind == "to"]
        model.cc = [a for kind, a in chosen if kind == "cc"] or None
        model.bcc = [a for kind, a in chosen if kind == "bcc"] or None
        return model


def _addressed(model: Message | BasicMessage) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for kind in ("to", "cc", "bcc"):
        member = getattr(model, kind)
        if isinstance(member, list):
            found.extend((kind, a) for a in member)
    return found


def _units(
    prefix: str, batch: str, messages: Sequence[BasicMessage | BulkMessage | Message], size: int
) -> list[_Unit]:
    """Cut the batch into units of at most ``size`` recipients (deterministic: same input, same units)."""
    base = f"{prefix}:{{{hashlib.sha256(batch.encode()).hexdigest()[:24]}}}"
    units: list[_Unit] = []
    for index, item in enumerate(messages):
        own_id = item.message_id if isinstance(item.message_id, str) and item.message_id else None
        if isinstance(item, BulkMessage):
            rows: list[Any] = list(item.recipients)
            addresses = [r.address for r in rows]
        elif isinstance(item, BasicMessage):
            rows = _addressed(item)
            addresses = [a.email_address for _, a in rows]
        elif isinstance(item, Message):
            merge = item.merge_data
            per = merge.per_message if isinstance(merge, MergeData) else None
            if isinstance(per, list) and per:
                rows = [("row", row) for row in per]
                addresses = [
                    next((f.value for f in row if f.field.casefold() == "deliveryaddress"), "") for row in per
                ]
            else:
                rows = _addressed(item)
                addresses = [a.email_address for _, a in rows]
        else:
            raise MessageValidationError(
                f"expected BasicMessage, BulkMessage or Message, got {type(item).__name__}",
                field="Messages",
                code="MessageValidationInvalidMessageType",
                message_index=index,
            )
        if not rows:
            raise MessageValidationError(
                "a message needs at least one recipient",
                field="To",
                code="EmptyToAddress",
                message_index=index,
            )
        step = size if isinstance(item, BulkMessage) or (rows and rows[0][0] == "row") else len(rows)
        for number, start in enumerate(range(0, len(rows), step)):
            message_id = own_id or derive_message_id(batch, index, number)
            name = f"{own_id}/{number}" if own_id else message_id
            units.append(
                _Unit(
                    f"{base}:{name}",
                    index,
                    message_id=message_id,
                    source=item,
                    recipients=rows[start : start + step],
                    addresses=addresses[start : start + step],
                )
            )
    return units


def _index_key(prefix: str, batch: str) -> str:
    return f"{prefix}:{{{hashlib.sha256(batch.encode()).hexdigest()[:24]}}}:index"


def _claim_args(units: Sequence[_Unit], ttl: int, token: str, lost: int) -> tuple[list[str], list[str | int]]:
    keys = [unit.key for unit in units]
    args: list[str | int] = [ttl, token, lost]
    for unit in units:
        args.extend((unit.message_id, len(unit.fields), *unit.fields))
    return keys, args


def _letter(outcome: Outcome, retryable: bool) -> str:
    if outcome is Outcome.ACCEPTED:
        return "A"
    if outcome is Outcome.REJECTED:
        return "F" if retryable else "R"
    return "D"


class _Chunk:
    """Units sent in one request; ``claimed[i]`` the positions of unit i this attempt holds."""

    def __init__(self, units: Sequence[_Unit]) -> None:
        self.units = list(units)
        self.claimed: list[list[int]] = [[] for _ in units]
        self.found: list[list[str]] = [["+"] * len(u.fields) for u in units]
        self.results: list[list[str]] = [[] for _ in units]
        self.report: SendReport | None = None
        self.error: str = ""
        self.ledger_error: Exception | None = None
        """A Redis failure of this chunk (claim or finish); the report says what was sent anyway."""

    def unclaimed(self, error: Exception) -> None:
        """The claim failed: nothing of this chunk was sent by this call."""
        self.ledger_error = error
        self.error = "not sent: the ledger's Redis failed before the claim"
        self.found = [["F"] * len(u.fields) for u in self.units]

    def take_claims(self, answer: Sequence[bytes | str]) -> None:
        flat = iter(answer)
        for i, unit in enumerate(self.units):
            letters = [_text(next(flat)) for _ in unit.fields]
            self.found[i] = letters
            self.claimed[i] = [p for p, letter in enumerate(letters) if letter == "+"]

    @property
    def sending(self) -> list[tuple[int, _Unit]]:
        return [(i, u) for i, u in enumerate(self.units) if self.claimed[i]]

    def sendables(self) -> list[BasicMessage | BulkMessage | Message]:
        return [u.sendable(self.claimed[i]) for i, u in self.sending]

    def take_report(self, report: SendReport) -> None:
        """Each claimed entry's letter, from the report (its ``message`` is the position in sendables)."""
        self.report = report
        sending = self.sending
        by_message: dict[int, list[tuple[Outcome, bool]]] = {}
        for r in report.recipients:
            by_message.setdefault(r.message, []).append((r.outcome, r.retryable))
        for position, (i, _) in enumerate(sending):
            results = by_message.get(position, [])
            letters = [_letter(o, retry) for o, retry in results]
            # a recipient the report does not list cannot be known: in doubt
            letters += ["D"] * (len(self.claimed[i]) - len(letters))
            self.results[i] = letters[: len(self.claimed[i])]

    def all_in_doubt(self, reason: str) -> None:
        self.error = reason
        for i, _ in self.sending:
            self.results[i] = ["D"] * len(self.claimed[i])

    def release(self) -> None:
        for i, _ in self.sending:
            self.results[i] = ["F"] * len(self.claimed[i])

    def finish_args(self, ttl: int, token: str) -> tuple[list[str], list[str | int]]:
        keys: list[str] = []
        args: list[str | int] = [ttl, token]
        for i, unit in self.sending:
            keys.append(unit.key)
            args.append(len(self.claimed[i]))
            for position, letter in zip(self.claimed[i], self.results[i], strict=True):
                args.extend((unit.fields[position], letter))
        return keys, args

    def entries(self, batch: str) -> Iterator[LedgerEntry]:
        for i, unit in enumerate(self.units):
            mine = dict(zip(self.claimed[i], self.results[i], strict=False))
            for position, field in enumerate(unit.fields):
                letter = mine.get(position) or self.found[i][position]
                yield LedgerEntry(
                    batch,
                    unit.message_id,
                    field.partition("#")[0],
                    _CODES[letter],
                    unit.message,
                    0,
                    self.error,
                )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _parse_entry(value: bytes | str) -> tuple[str, int]:
    letter, _, rest = _text(value).partition(" ")
    stamp = rest.partition(" ")[0]
    return letter, int(stamp) if stamp.isdigit() else 0


_Sendable = BasicMessage | BulkMessage | Message
_Raw = tuple[str, str, str, str, bytes]
"""An entry as read: (batch, hash name, message id, field, value)."""


class _SyncSender(Protocol):
    def send(self, messages: Any, **options: Unpack[SendOptionsDict]) -> SendReport: ...


class _AsyncSender(Protocol):
    async def send(self, messages: Any, **options: Unpack[SendOptionsDict]) -> SendReport: ...


_RELEASE = (MessageValidationError, ConfigurationError)
"""Raised by ``send`` before anything leaves: the claims are given back."""


@contextmanager
def _redis_errors(doing: str) -> Iterator[None]:
    """Redis failures as ``LedgerUnavailableError`` (a ``SocketLabsError``), never a bare redis error."""
    from redis.exceptions import RedisError  # noqa: PLC0415 - the optional `redis` extra

    try:
        yield
    except RedisError as exc:
        raise LedgerUnavailableError(
            f"the ledger's Redis failed while {doing}: {type(exc).__name__}: {exc}"
        ) from exc


def _where(url: str) -> str:
    """The Redis URL without credentials, for messages."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"


def _unavailable(chunks: Sequence[_Chunk], report: LedgerReport) -> LedgerUnavailableError | None:
    """The error for a send during which Redis failed, carrying what reached the API anyway."""
    failed = [c.ledger_error for c in chunks if c.ledger_error is not None]
    if not failed:
        return None
    reached = sum(1 for c in chunks if c.report is not None)
    error = LedgerUnavailableError(
        f"the ledger's Redis failed during the send ({type(failed[0]).__name__}: {failed[0]});"
        f" {reached} request(s) reached the API (their results are in .report); entries it could"
        " not record stay held and are settled by resolve_in_doubt",
        report=report if reached else None,
    )
    error.__cause__ = failed[0]
    return error


class SendLedger:
    """The ledger: ``send`` (sync or async client) and ``resolve_in_doubt``; see the module docstring.

    **Parameters:**

    * `url` - the Redis server (``redis://host:port/db``); entries live under ``prefix``.
    * `ttl` - seconds an entry is kept after its last change.
    * `stale_after` - seconds after which a *sending* entry counts as abandoned (its worker died);
      longer than the client's whole deadline for one request.
    * `visibility_lag` - seconds the message detail report may lag behind an accepted request.
    * `require_persistence` - refuse (``LedgerNotDurableError``) a Redis that would forget on a
      restart (no append-only file) or evict entries. ``False`` is for tests and development
      only: a restart then loses what was sent, and only a ledger object that lived across the
      restart notices (a new process takes the empty Redis for a new one).
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        ttl: int = DEFAULT_LEDGER_TTL,
        stale_after: float = _STALE_AFTER,
        visibility_lag: float = _VISIBILITY_LAG,
        prefix: str = "socketlabs:ledger",
        require_persistence: bool = True,
    ) -> None:
        import redis  # noqa: PLC0415 - the optional `redis` extra, needed only here

        if ttl < 1:
            raise ConfigurationError(f"ttl must be at least 1 second, got {ttl}")
        if stale_after < 0 or visibility_lag < 0:
            raise ConfigurationError("stale_after and visibility_lag must be >= 0")
        self.url = url
        self.ttl = ttl
        self.stale_after = stale_after
        self.visibility_lag = visibility_lag
        self.prefix = prefix
        self.require_persistence = require_persistence
        self._sync: Redis = redis.Redis.from_url(url)
        self._async: tuple[asyncio.AbstractEventLoop, AsyncRedis] | None = None
        self._pid = os.getpid()
        self._durable = not require_persistence
        self._epoch = ""
        """The epoch marker's id as this ledger last saw it ('' before its first send)."""

    @classmethod
    def redis(cls, url: str = "redis://127.0.0.1:6379/0", **options: Any) -> SendLedger:
        """The ledger in the Redis at ``url`` (the same spelling as ``RateLimiter.redis``)."""
        return cls(url, **options)

    def __repr__(self) -> str:
        return f"SendLedger(prefix={self.prefix!r}, ttl={self.ttl})"

    def _client(self) -> Redis:
        if os.getpid() != self._pid:  # forked: the parent's connections are not ours to use
            import redis  # noqa: PLC0415

            self._sync = redis.Redis.from_url(self.url)
            self._async = None
            self._pid = os.getpid()
        return self._sync

    def _epoch_key(self) -> str:
        return f"{self.prefix}:epoch"

    def _not_durable(self, persistence: Mapping[str, Any], memory: Mapping[str, Any]) -> None:
        problems = durability_problems(persistence, memory)
        if problems:
            raise LedgerNotDurableError(
                f"the ledger's Redis at {_where(self.url)} could forget what was sent: {'; '.join(problems)}."
                " Nothing was sent. For tests and development only, pass require_persistence=False."
            )
        self._durable = True

    def _lost_at(self, value: bytes | str) -> int:
        """Read the epoch marker: remember its id, return when the loss was noticed (0: never)."""
        ident, _, lost = _text(value).partition(" ")
        self._epoch = ident
        return int(lost) if lost.isdigit() else 0

    def _prepare(self, client: Redis) -> int:
        """Check durability (once) and the epoch marker; the loss time the claims must honour."""
        if not self._durable:
            self._not_durable(client.info("persistence"), client.info("memory"))
        epoch = client.register_script(_EPOCH)
        return self._lost_at(epoch(keys=[self._epoch_key()], args=[self._epoch, secrets.token_hex(8)]))

    async def _prepare_async(self, client: AsyncRedis) -> int:
        if not self._durable:
            self._not_durable(await client.info("persistence"), await client.info("memory"))
        epoch = client.register_script(_EPOCH)
        return self._lost_at(await epoch(keys=[self._epoch_key()], args=[self._epoch, secrets.token_hex(8)]))

    def _async_client(self) -> AsyncRedis:
        import redis.asyncio  # noqa: PLC0415 - the optional `redis` extra

        loop = asyncio.get_running_loop()
        if self._async is None or self._async[0] is not loop or os.getpid() != self._pid:
            self._async = (loop, redis.asyncio.Redis.from_url(self.url))
        return self._async[1]

    def close(self) -> None:
        """Close the Redis connections."""
        self._sync.close()

    async def aclose(self) -> None:
        """Close the Redis connections (async ones too)."""
        if self._async is not None:
            await self._async[1].aclose()
            self._async = None
        self._sync.close()

    # ------------------------------------------------------------ sending

    def _plan(
        self,
        messages: _Sendable | Sequence[_Sendable],
        key: str,
        recipients_per_message: int,
        per_request: int,
    ) -> list[_Chunk]:
        if not key:
            raise ConfigurationError(
                "the ledger needs a batch key (the same key always names the same messages)"
            )
        if not 1 <= per_request <= MAX_MESSAGES_PER_REQUEST:
            raise ConfigurationError(f"messages_per_request must be 1..{MAX_MESSAGES_PER_REQUEST}")
        if not 1 <= recipients_per_message <= MAX_RECIPIENTS_PER_MESSAGE:
            raise ConfigurationError(f"recipients_per_message must be 1..{MAX_RECIPIENTS_PER_MESSAGE}")
        items = [messages] if isinstance(messages, BasicMessage | BulkMessage | Message) else list(messages)
        if not items:
            raise MessageValidationError("nothing to send", field="Messages", code="NoMessages")
        units = _units(self.prefix, key, items, recipients_per_message)
        return [_Chunk(units[i : i + per_request]) for i in range(0, len(units), per_request)]

    def _report(self, key: str, chunks: Sequence[_Chunk]) -> LedgerReport:
        entries = tuple(e for chunk in chunks for e in chunk.entries(key))
        sent = sum(len(c) for chunk in chunks for c in chunk.claimed)
        reports = tuple(chunk.report for chunk in chunks if chunk.report is not None)
        return LedgerReport(key, entries, sent, len(entries) - sent, reports)

    def send(
        self,
        client: _SyncSender,
        messages: _Sendable | Sequence[_Sendable],
        *,
        key: str,
        concurrency: int = 4,
        recipients_per_message: int = MAX_RECIPIENTS_PER_MESSAGE,
        messages_per_request: int = MAX_MESSAGES_PER_REQUEST,
        **options: Any,
    ) -> LedgerReport:
        """Send what the ledger says was not sent yet (sync); ``concurrency`` requests in flight.

        ``options`` go to ``client.send`` (``server_id``, ``format``).
        """
        chunks = self._plan(messages, key, recipients_per_message, messages_per_request)
        # every message checked before anything is claimed or sent (MessageValidationError)
        client.send(messages, dry_run=True, recipients_per_message=recipients_per_message, **options)
        token = secrets.token_hex(8)
        with _redis_errors("checking it before the send (nothing was sent)"):
            redis_client = self._client()
            lost = self._prepare(redis_client)
        claim = redis_client.register_script(_CLAIM)
        finish = redis_client.register_script(_FINISH)
        index = _index_key(self.prefix, key)
        from redis.exceptions import RedisError  # noqa: PLC0415 - the optional `redis` extra

        def one(chunk: _Chunk) -> None:
            if any(c.ledger_error is not None for c in chunks):  # fail closed: no claim after a failure
                chunk.unclaimed(RuntimeError("an earlier claim failed"))
                chunk.ledger_error = None
                return
            keys, args = _claim_args(chunk.units, self.ttl, token, lost)
            try:
                answer = claim(keys=[index, *keys], args=args)
            except RedisError as exc:
                chunk.unclaimed(exc)
                return
            chunk.take_claims(answer)
            if not chunk.sending:
                return
            try:
                chunk.take_report(
                    client.send(
                        chunk.sendables(),
                        recipients_per_message=recipients_per_message,
                        messages_per_request=messages_per_request,
                        concurrency=1,
                        **options,
                    )
                )
            except _RELEASE:
                chunk.release()
                raise
            except OutcomeUnknownError as exc:
                chunk.all_in_doubt(f"{type(exc).__name__}: {exc.message}")
            except BaseException as exc:
                chunk.all_in_doubt(f"{type(exc).__name__}")
                raise
            finally:
                if chunk.sending and any(chunk.results):
                    keys, args = chunk.finish_args(self.ttl, token)
                    try:
                        finish(keys=keys, args=args)
                    except RedisError as exc:  # the mail went: the report still reaches the caller
                        chunk.ledger_error = exc

        if concurrency <= 1 or len(chunks) == 1:
            for chunk in chunks:
                one(chunk)
        else:
            with ThreadPoolExecutor(max_workers=min(concurrency, len(chunks))) as pool:
                for future in [pool.submit(one, chunk) for chunk in chunks]:
                    future.result()
        report = self._report(key, chunks)
        failure = _unavailable(chunks, report)
        if failure is not None:
            raise failure
        return report

    async def send_async(
        self,
        client: _AsyncSender,
        messages: _Sendable | Sequence[_Sendable],
        *,
        key: str,
        concurrency: int = 4,
        recipients_per_message: int = MAX_RECIPIENTS_PER_MESSAGE,
        messages_per_request: int = MAX_MESSAGES_PER_REQUEST,
        **options: Any,
    ) -> LedgerReport:
        """The async ``send``: at most ``concurrency`` requests in flight."""
        chunks = self._plan(messages, key, recipients_per_message, messages_per_request)
        await client.send(messages, dry_run=True, recipients_per_message=recipients_per_message, **options)
        token = secrets.token_hex(8)
        with _redis_errors("checking it before the send (nothing was sent)"):
            redis_client = self._async_client()
            lost = await self._prepare_async(redis_client)
        claim = redis_client.register_script(_CLAIM)
        finish = redis_client.register_script(_FINISH)
        index = _index_key(self.prefix, key)
        gate = asyncio.Semaphore(max(1, concurrency))
        from redis.exceptions import RedisError  # noqa: PLC0415 - the optional `redis` extra

        async def one(chunk: _Chunk) -> None:
            async with gate:
                if any(c.ledger_error is not None for c in chunks):  # fail closed after a failure
                    chunk.unclaimed(RuntimeError("an earlier claim failed"))
                    chunk.ledger_error = None
                    return
                keys, args = _claim_args(chunk.units, self.ttl, token, lost)
                try:
                    answer = await claim(keys=[index, *keys], args=args)
                except RedisError as exc:
                    chunk.unclaimed(exc)
                    return
                chunk.take_claims(answer)
                if not chunk.sending:
                    return
                try:
                    chunk.take_report(
                        await client.send(
                            chunk.sendables(),
                            recipients_per_message=recipients_per_message,
                            messages_per_request=messages_per_request,
                            concurrency=1,
                            **options,
                        )
                    )
                except _RELEASE:
                    chunk.release()
                    raise
                except OutcomeUnknownError as exc:
                    chunk.all_in_doubt(f"{type(exc).__name__}: {exc.message}")
                except BaseException as exc:
                    chunk.all_in_doubt(f"{type(exc).__name__}")
                    raise
                finally:
                    if chunk.sending and any(chunk.results):
                        keys, args = chunk.finish_args(self.ttl, token)
                        try:
                            await finish(keys=keys, args=args)
                        except RedisError as exc:  # the mail went: the report still reaches the caller
                            chunk.ledger_error = exc

        await asyncio.gather(*(one(chunk) for chunk in chunks))
        report = self._report(key, chunks)
        failure = _unavailable(chunks, report)
        if failure is not None:
            raise failure
        return report

    # ------------------------------------------------------------ reading

    def entries(self, keys: str | Iterable[str]) -> list[LedgerEntry]:
        """Every entry of the given batch keys as Redis holds it now."""
        client = self._client()
        found: list[LedgerEntry] = []
        with _redis_errors("reading entries"):
            for batch in [keys] if isinstance(keys, str) else list(keys):
                for name in sorted(_text(n) for n in client.smembers(_index_key(self.prefix, batch))):
                    found.extend(_decode_hash(batch, name, client.hgetall(name)))
        return found

    async def entries_async(self, keys: str | Iterable[str]) -> list[LedgerEntry]:
        """The async ``entries``."""
        client = self._async_client()
        found: list[LedgerEntry] = []
        with _redis_errors("reading entries"):
            for batch in [keys] if isinstance(keys, str) else list(keys):
                names = await client.smembers(_index_key(self.prefix, batch))
                for name in sorted(_text(n) for n in names):
                    found.extend(_decode_hash(batch, name, await client.hgetall(name)))
        return found

    # ------------------------------------------------------------ resolving

    def _candidates(self, raw: list[_Raw], now_ms: int) -> list[_Raw]:
        """Entries in doubt, or held *sending* for longer than ``stale_after``."""
        chosen = []
        for item in raw:
            letter, at = _parse_entry(item[4])
            if letter == "D" or (letter == "S" and now_ms - at >= self.stale_after * 1000):
                chosen.append(item)
        return chosen

    def _verdicts(
        self,
        candidates: list[_Raw],
        seen: dict[str, Counter[str]],
        now_ms: int,
    ) -> tuple[list[tuple[LedgerEntry, Resolution]], list[str], list[str | int | bytes]]:
        keys: list[str] = []
        args: list[str | int | bytes] = [self.ttl, "resolver"]
        verdicts: list[tuple[LedgerEntry, Resolution]] = []
        for batch, name, message_id, field, value in candidates:
            letter, at = _parse_entry(value)
            address = field.partition("#")[0]
            counter = seen.get(message_id, Counter())
            lag = self.visibility_lag + (self.stale_after if letter == "S" else 0.0)
            if counter[address] > 0:
                counter[address] -= 1
                verdict, new = Resolution.ACCEPTED, "A"
            elif now_ms - at >= lag * 1000:
                verdict, new = Resolution.NOT_FOUND, "F"
            else:
                verdict, new = Resolution.NOT_YET_VISIBLE, ""
            entry = LedgerEntry(batch, message_id, address, _CODES[letter], 0, at)
            verdicts.append((entry, verdict))
            if new:
                if name not in keys:
                    keys.append(name)
                args.extend((keys.index(name) + 1, field, value, new))
        return verdicts, keys, args

    @staticmethod
    def _batches(what: LedgerReport | str | Iterable[str]) -> list[str]:
        """The batch keys to resolve: a report's own, or the keys given."""
        if isinstance(what, LedgerReport):
            return [what.batch]
        return [what] if isinstance(what, str) else list(what)

    def _raw(self, what: LedgerReport | str | Iterable[str]) -> list[_Raw]:
        client = self._client()
        raw: list[_Raw] = []
        for batch in self._batches(what):
            for name in sorted(_text(n) for n in client.smembers(_index_key(self.prefix, batch))):
                raw.extend(_raw_hash(batch, name, client.hgetall(name)))
        return raw

    def resolve_in_doubt(
        self, client: Any, what: LedgerReport | str | Iterable[str], *, page_size: int = 100
    ) -> ResolutionReport:
        """Look up every entry in doubt in the message detail report and settle it (sync client).

        ``what`` is a ``LedgerReport`` (its batch) or batch keys. Found: *accepted*;
        absent for longer than ``visibility_lag``: *free* (the next send sends it);
        absent but recent: left in doubt (``NOT_YET_VISIBLE``).
        """
        redis_client = self._client()
        with _redis_errors("reading the entries in doubt"):
            now_ms = _redis_ms(redis_client.time())
            candidates = self._candidates(self._raw(what), now_ms)
        seen: dict[str, Counter[str]] = {}
        queries = 0
        for message_id, since in _message_ids(candidates).items():
            counter: Counter[str] = Counter()
            pager = client.reports.messages_detail(
                filters=F.messageId == message_id, page_size=page_size, **_range(since, now_ms)
            )
            for page in pager.pages():
                queries += 1
                counter.update(item.to.casefold() for item in page.data)
            seen[message_id] = counter
        verdicts, keys, args = self._verdicts(candidates, seen, now_ms)
        if keys:
            with _redis_errors("settling the entries (nothing was sent)"):
                redis_client.register_script(_SETTLE)(keys=keys, args=args)
        return ResolutionReport(tuple(verdicts), queries)

    async def resolve_in_doubt_async(
        self, client: Any, what: LedgerReport | str | Iterable[str], *, page_size: int = 100
    ) -> ResolutionReport:
        """The async ``resolve_in_doubt`` (an ``AsyncSocketLabs`` client)."""
        redis_client = self._async_client()
        raw: list[_Raw] = []
        with _redis_errors("reading the entries in doubt"):
            now_ms = _redis_ms(await redis_client.time())
            for batch in self._batches(what):
                names = await redis_client.smembers(_index_key(self.prefix, batch))
                for name in sorted(_text(n) for n in names):
                    raw.extend(_raw_hash(batch, name, await redis_client.hgetall(name)))
        candidates = self._candidates(raw, now_ms)
        seen: dict[str, Counter[str]] = {}
        queries = 0
        for message_id, since in _message_ids(candidates).items():
            counter: Counter[str] = Counter()
            pager = client.reports.messages_detail(
                filters=F.messageId == message_id, page_size=page_size, **_range(since, now_ms)
            )
            async for page in pager.pages():
                queries += 1
                counter.update(item.to.casefold() for item in page.data)
            seen[message_id] = counter
        verdicts, keys, args = self._verdicts(candidates, seen, now_ms)
        if keys:
            with _redis_errors("settling the entries (nothing was sent)"):
                await redis_client.register_script(_SETTLE)(keys=keys, args=args)
        return ResolutionReport(tuple(verdicts), queries)


def _redis_ms(value: Any) -> int:
    seconds, micros = value
    return int(seconds) * 1000 + int(micros) // 1000


def _range(since_ms: int, now_ms: int) -> dict[str, dt.datetime]:
    """The report's date range: an hour either side of the entries (clocks and queues drift)."""
    start = dt.datetime.fromtimestamp(since_ms / 1000, dt.UTC) - dt.timedelta(hours=1)
    end = dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC) + dt.timedelta(hours=1)
    return {"start_date": start.replace(microsecond=0), "end_date": end.replace(microsecond=0)}


def _message_ids(candidates: list[_Raw]) -> dict[str, int]:
    """Message id -> the earliest stamp among its candidates."""
    ids: dict[str, int] = {}
    for _, _, message_id, _, value in candidates:
        at = _parse_entry(value)[1]
        ids[message_id] = min(ids.get(message_id, at), at)
    return ids


def _raw_hash(batch: str, name: str, mapping: dict[Any, Any]) -> list[_Raw]:
    decoded = {_text(k): v for k, v in mapping.items()}
    message_id = _text(decoded.pop(_ID_FIELD, b""))
    return [(batch, name, message_id, field, value) for field, value in decoded.items()]


def _decode_hash(batch: str, name: str, mapping: dict[Any, Any]) -> list[LedgerEntry]:
    entries = []
    for _, _, message_id, field, value in _raw_hash(batch, name, mapping):
        letter, at = _parse_entry(value)
        entries.append(LedgerEntry(batch, message_id, field.partition("#")[0], _CODES[letter], 0, at))
    return entries
