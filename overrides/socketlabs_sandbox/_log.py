"""The seeded report event log: any number of rows, computed on demand.

Reports must work over a million seeded messages without holding them, so a
seeded row is a pure function of `(seed, index)`. Rows come in blocks of
1024; a block's randomness is one SHAKE-128 digest of `(seed, block)`, eight
bytes per row, and each field is picked from a 256-entry table by one byte:

| byte | field     | values                                          |
|------|-----------|-------------------------------------------------|
| 0    | status    | Delivered ~70 %, Failed, Deferred, Suppressed, Queued, Complaint |
| 1    | to        | 256 recipient addresses                         |
| 2    | from      | 4 senders                                       |
| 3    | subject   | 8 subjects                                      |
| 4-5  | statusDate| queuedTime + 1..600 s (none while Queued)       |

`messageId` is `1000000000 + index`, `mailingId` is `mailing-NNNNN` for
each run of 100 rows, and `queuedTime` grows with the index, spread evenly
over the 30 days before the anchor (`SandboxConfig.anchor`: the sandbox's
start by default, or a fixed instant for reproducible rows). `systemMessageId` is
`SL` + the row's position; `processedTime` is the `statusDate` of a message
that was delivered or failed (not `Queued` or `Deferred`); the tag of a
seeded row is `transactional` in even mailing runs and `newsletter` in odd
ones (injected rows keep the `Tags` they were sent with).

That layout is what makes big logs cheap. A filter on a table field becomes
a 256-byte truth table applied to a whole block with `bytes.translate`; a
`queuedTime` bound becomes an index bound found by bisection; `mailingId`
is tested once per run. Counting and locating matches then happens per block
in C, so a filtered page over a million rows takes milliseconds and a few
kilobytes. Only `messageId` and `statusDate` filters test row by row.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from ._dates import ANCHOR, DAY, format_instant, parse_api_date
from ._filters import FieldSpec, FieldType, Filter

__all__ = [
    "BLOCK",
    "MESSAGE_FIELDS",
    "MESSAGE_STATUSES",
    "MessageRow",
    "SeededLog",
    "SeededMatches",
    "recipient_pool",
]

MESSAGE_STATUSES = ("Queued", "Deferred", "Delivered", "Failed", "Suppressed", "Complaint")
"""The statuses the spec's `MessageStatus` enum lists."""

MESSAGE_FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("messageId", FieldType.STRING),
        FieldSpec("mailingId", FieldType.STRING),
        FieldSpec("from", FieldType.STRING),
        FieldSpec("to", FieldType.STRING),
        FieldSpec("subject", FieldType.STRING),
        FieldSpec("status", FieldType.ENUM, MESSAGE_STATUSES),
        FieldSpec("queuedTime", FieldType.DATE),
        FieldSpec("statusDate", FieldType.DATE),
        FieldSpec("systemMessageId", FieldType.STRING),
        FieldSpec("processedTime", FieldType.DATE),
    )
}
"""Filterable and sortable fields of a message row, by wire name."""

SPAN = 30 * DAY
"""Seeded queued times cover the 30 days before the anchor."""

BLOCK = 1024
"""Rows per block of generated randomness."""

_STRIDE = 8
_MAILING_RUN = 100
_MESSAGE_ID_BASE = 1_000_000_000

_FIRST_NAMES = (
    "ann", "ben", "cara", "dan", "eve", "finn", "gia", "hugo", "ivy", "jon",
    "kim", "leo", "mia", "ned", "ola", "pia", "quinn", "rae", "sam", "tia",
)  # fmt: skip
_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com", "test.example")
_SENDERS = ("noreply@example.com", "news@example.com", "billing@example.org", "alerts@example.net")
_SUBJECTS = (
    "Welcome aboard",
    "Your receipt",
    "Password reset",
    "Weekly digest",
    "Your order has shipped",
    "Action required",
    "Invitation",
    "Monthly statement",
)
_STATUS_WEIGHTS = (
    ("Delivered", 179),
    ("Failed", 26),
    ("Deferred", 18),
    ("Suppressed", 13),
    ("Queued", 10),
    ("Complaint", 10),
)


def recipient_pool() -> tuple[str, ...]:
    """The 256 seeded recipient addresses, one per value of byte 1."""
    return tuple(
        f"{_FIRST_NAMES[k % len(_FIRST_NAMES)]}.{k}@{_DOMAINS[k % len(_DOMAINS)]}" for k in range(256)
    )


_TABLES: dict[str, tuple[int, tuple[str, ...]]] = {
    "status": (0, tuple(name for name, weight in _STATUS_WEIGHTS for _ in range(weight))),
    "to": (1, recipient_pool()),
    "from": (2, tuple(_SENDERS[b % len(_SENDERS)] for b in range(256))),
    "subject": (3, tuple(_SUBJECTS[b % len(_SUBJECTS)] for b in range(256))),
}
"""Table fields: the row byte that picks them and the value of each byte."""


class MessageRow(NamedTuple):
    """One message of the log; times are UTC seconds, `seq` its log position."""

    seq: int
    message_id: str
    mailing_id: str | None
    from_address: str | None
    to: str
    subject: str | None
    status: str
    queued_time: int
    status_date: int | None
    tags: tuple[str, ...] = ()

    @property
    def system_message_id(self) -> str:
        """SocketLabs' own id of the message (the sandbox's: its log position)."""
        return f"SL{self.seq}"

    @property
    def processed_time(self) -> int | None:
        """When it was delivered or failed; `None` while queued or deferred."""
        return None if self.status in _UNPROCESSED else self.status_date

    def field(self, name: str) -> str | int | None:
        """The value of a field by its wire name (`queuedTime`, `from`, ...)."""
        if name == "systemMessageId":
            return self.system_message_id
        if name == "processedTime":
            return self.processed_time
        value = self[_FIELD_INDEX[name]]
        return None if isinstance(value, tuple) else value  # tags are not a field

    def to_json(self) -> dict[str, object]:
        """The row as the report endpoints answer it (camelCase, ISO dates)."""
        return {
            "messageId": self.message_id,
            "mailingId": self.mailing_id,
            "from": self.from_address,
            "to": self.to,
            "subject": self.subject,
            "status": self.status,
            "queuedTime": format_instant(self.queued_time),
            "statusDate": None if self.status_date is None else format_instant(self.status_date),
            "systemMessageId": self.system_message_id,
            "processedTime": None if self.processed_time is None else format_instant(self.processed_time),
        }


_UNPROCESSED = frozenset({"Queued", "Deferred"})
_SEEDED_TAGS = (("transactional",), ("newsletter",))

_FIELD_INDEX = {
    "messageId": 1,
    "mailingId": 2,
    "from": 3,
    "to": 4,
    "subject": 5,
    "status": 6,
    "queuedTime": 7,
    "statusDate": 8,
}

MaskPart = Callable[[int, int, bytes], bytes]
"""Given a block's index span and randomness, one `0/1` byte per row in it."""


class SeededLog:
    """The deterministic part of a server's log: `count` rows from `seed`."""

    def __init__(self, seed: int, count: int, anchor: int = ANCHOR) -> None:
        self.seed = seed
        self.count = count
        self.anchor = anchor
        self.start = anchor - SPAN
        self._cache: tuple[int, bytes] = (-1, b"")

    def __len__(self) -> int:
        return self.count

    def block(self, number: int) -> bytes:
        """The randomness of block `number` (the last one is kept)."""
        cached = self._cache
        if cached[0] != number:
            key = b"socketlabs-sandbox:%d:%d" % (self.seed, number)
            cached = (number, hashlib.shake_128(key).digest(BLOCK * _STRIDE))
            self._cache = cached
        return cached[1]

    def time_of(self, index: int) -> int:
        """Queued time of row `index`; non-decreasing in the index."""
        return self.start + (index * SPAN) // self.count

    def row(self, index: int) -> MessageRow:
        """Compute row `index` (same seed and index, same row)."""
        data = self.block(index // BLOCK)
        off = (index % BLOCK) * _STRIDE
        status = _TABLES["status"][1][data[off]]
        queued = self.time_of(index)
        return MessageRow(
            seq=index,
            message_id=str(_MESSAGE_ID_BASE + index),
            mailing_id=f"mailing-{index // _MAILING_RUN:05d}",
            from_address=_TABLES["from"][1][data[off + 2]],
            to=_TABLES["to"][1][data[off + 1]],
            subject=_TABLES["subject"][1][data[off + 3]],
            status=status,
            queued_time=queued,
            status_date=None
            if status == "Queued"
            else queued + 1 + (data[off + 4] | data[off + 5] << 8) % 600,
            tags=_SEEDED_TAGS[(index // _MAILING_RUN) % 2],
        )

    def field_value(self, index: int, name: str) -> str | int | None:
        """One field of row `index`, without building the row when it is a table field."""
        table = _TABLES.get(name)
        if table is None:
            return self.row(index).field(name)
        column, values = table
        return values[self.block(index // BLOCK)[(index % BLOCK) * _STRIDE + column]]

    def time_bound(self, instant: int) -> int:
        """How many rows have a queued time at or before `instant`."""
        return bisect.bisect_right(range(self.count), instant, key=self.time_of)

    def index_range(self, start: int | None, end: int | None) -> range:
        """Indexes whose queued time lies in `[start, end]` (bounds inclusive, optional)."""
        lo = 0 if start is None else self.time_bound(start - 1)
        hi = self.count if end is None else self.time_bound(end)
        return range(lo, max(lo, hi))

    def matching(self, indexes: range, filters: Sequence[Filter], to: str | None = None) -> SeededMatches:
        """The rows in `indexes` that pass every filter (and go to `to`, if given)."""
        parts: list[MaskPart] = []
        for f in filters:
            if f.field == "queuedTime":
                indexes = self._narrow(indexes, f)
            else:
                parts.append(self._mask_part(f.field, f.matches))
        if to is not None:
            wanted = to.casefold()
            parts.append(self._mask_part("to", lambda v: isinstance(v, str) and v.casefold() == wanted))
        return SeededMatches(self, indexes, parts)

    def _narrow(self, indexes: range, f: Filter) -> range:
        """Turn a `queuedTime` filter into an index bound (times grow with the index)."""
        date = parse_api_date(f.value)
        if date is None:  # parse_filters accepted it, so this cannot happen
            return range(0)
        lo, hi = indexes.start, indexes.stop
        if f.predicate in ("gt", "gte", "eq"):
            lo = max(lo, self.time_bound(date.end if f.predicate == "gt" else date.start - 1))
        if f.predicate in ("lt", "lte", "eq"):
            hi = min(hi, self.time_bound(date.start - 1 if f.predicate == "lt" else date.end))
        return range(lo, max(lo, hi))

    def _mask_part(self, name: str, test: Callable[[str | int | None], bool]) -> MaskPart:
        """A block-wise row test for one field."""
        if name in _TABLES:
            column, values = _TABLES[name]
            table = bytes(1 if test(value) else 0 for value in values)

            def by_table(lo: int, hi: int, data: bytes) -> bytes:
                first = (lo % BLOCK) * _STRIDE + column
                return data[first : first + (hi - lo) * _STRIDE : _STRIDE].translate(table)

            return by_table
        if name == "mailingId":

            def by_run(lo: int, hi: int, data: bytes) -> bytes:
                pieces = []
                for run_start in range(lo - lo % _MAILING_RUN, hi, _MAILING_RUN):
                    passed = test(f"mailing-{run_start // _MAILING_RUN:05d}")
                    size = min(hi, run_start + _MAILING_RUN) - max(lo, run_start)
                    pieces.append((b"\x01" if passed else b"\x00") * size)
                return b"".join(pieces)

            return by_run

        def by_row(lo: int, hi: int, data: bytes) -> bytes:
            return bytes(1 if test(self.row(i).field(name)) else 0 for i in range(lo, hi))

        return by_row


class SeededMatches:
    """The seeded rows that pass a query, counted block by block.

    Construction walks every block once and keeps only a count per block
    (about 1000 integers for a million rows); `take` recomputes the masks of
    the few blocks a page needs.
    """

    def __init__(self, log: SeededLog, indexes: range, parts: Sequence[MaskPart]) -> None:
        self.log = log
        self.indexes = indexes
        self.parts = list(parts)
        self._spans: list[tuple[int, int]] = []
        self._cumulative: list[int] = []
        total = 0
        lo = indexes.start
        while lo < indexes.stop:
            hi = min(indexes.stop, (lo // BLOCK + 1) * BLOCK)
            total += self._mask(lo, hi).count(1) if self.parts else hi - lo
            self._spans.append((lo, hi))
            self._cumulative.append(total)
            lo = hi
        self.total = total

    def _mask(self, lo: int, hi: int) -> bytes:
        """`0/1` per row of `[lo, hi)` (one block at most): all parts ANDed."""
        if not self.parts:
            return b"\x01" * (hi - lo)
        data = self.log.block(lo // BLOCK)
        masks = [part(lo, hi, data) for part in self.parts]
        if len(masks) == 1:
            return masks[0]
        combined = int.from_bytes(masks[0], "little")
        for mask in masks[1:]:
            combined &= int.from_bytes(mask, "little")
        return combined.to_bytes(hi - lo, "little")

    def count_before(self, index: int) -> int:
        """Matches with an index below `index`."""
        if index <= self.indexes.start:
            return 0
        if index >= self.indexes.stop:
            return self.total
        span = bisect.bisect_right(self._spans, index, key=lambda s: s[0]) - 1
        lo, _ = self._spans[span]
        before = self._cumulative[span - 1] if span else 0
        return before + self._mask(lo, index).count(1)

    def take(self, first: int, count: int) -> list[int]:
        """Indexes of matches number `first` .. `first + count - 1` (zero-based)."""
        result: list[int] = []
        span = bisect.bisect_right(self._cumulative, first)
        skip = first - (self._cumulative[span - 1] if span else 0)
        while len(result) < count and span < len(self._spans):
            lo, hi = self._spans[span]
            mask = self._mask(lo, hi)
            position = -1
            while len(result) < count:
                position = mask.find(1, position + 1)
                if position < 0:
                    break
                if skip:
                    skip -= 1
                    continue
                result.append(lo + position)
            span += 1
        return result

    def __iter__(self) -> Iterator[int]:
        """Every matching index, ascending."""
        for lo, hi in self._spans:
            mask = self._mask(lo, hi)
            position = mask.find(1)
            while position >= 0:
                yield lo + position
                position = mask.find(1, position + 1)
