"""Everything a running sandbox remembers, behind one lock.

The HTTP handlers run in uvicorn's thread while tests inspect and reset the
state from theirs, so every read and write goes through `SandboxState.lock`.
Suppressions are kept per server id (the API key is account-level); the
report log is the seeded log of the configured server followed by what the
injection endpoint accepted.
"""

from __future__ import annotations

import bisect
import heapq
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from typing import NamedTuple

from ._config import SandboxConfig
from ._dates import format_instant
from ._filters import FieldSpec, FieldType, Filter
from ._log import MessageRow, SeededLog, SeededMatches
from ._objects import ObjectStore
from ._suppressions import SeededSuppressions, SeededView, Suppression, SuppressionList

__all__ = [
    "SUPPRESSION_FIELDS",
    "InjectedMessage",
    "SandboxState",
    "SentMessage",
    "Suppression",
    "final_status",
]

SUPPRESSION_FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("emailAddress", FieldType.STRING),
        FieldSpec("suppressionLastUpdate", FieldType.DATE),
        FieldSpec("reason", FieldType.STRING),
    )
}
"""Filterable and sortable fields of a suppression entry, by wire name."""

_FIRST_INJECTED_ID = 5_000_000_000


KEPT_REQUESTS = 100
"""How many injection bodies ``SandboxState.requests`` keeps (a bounded window: bulk runs send many)."""


def record_request(state: SandboxState, data: dict[str, object]) -> None:
    """Keep one authenticated injection body (without its key) for tests to read back."""
    with state.lock:
        state.requests.append({k: v for k, v in data.items() if k != "apikey"})


class SentMessage(NamedTuple):
    """One recipient the injection endpoint accepted (what a test asserts on).

    A named tuple rather than a frozen dataclass: immutable all the same,
    and one is made per accepted recipient (a frozen dataclass takes 2 us).
    """

    server_id: int
    message_index: int
    address: str
    friendly_name: str | None
    from_address: str
    subject: str
    message_id: str
    mailing_id: str | None
    status: str
    timestamp: int
    """UTC seconds when it was accepted."""
    tags: tuple[str, ...] = ()
    """The message's ``Tags``, echoed in its events' ``Data``."""
    metadata: tuple[tuple[str, str], ...] = ()
    """The message's ``Metadata`` as ``(Key, Value)`` pairs, echoed in its events' ``Data.Meta``."""


class InjectedMessage(NamedTuple):
    """One message the injection endpoint accepted, whole, for tests to assert on.

    `message` is the message as posted with its member names lower-cased (the
    server matches them case-insensitively): `subject`, `textbody`,
    `htmlbody`, `customheaders`, `metadata`, `mergedata`, `attachments`...
    `accepted` lists the recipients it was accepted for.
    """

    server_id: int
    position: int
    """Its index in the request's `Messages`."""
    message: dict[str, object]
    accepted: tuple[str, ...]
    timestamp: int


def final_status(address: str, *, suppressed: bool) -> str:
    """The status an accepted recipient ends in, told by its local part.

    One rule for the report rows and the event webhooks (see `_events`), so a
    ``bounce@`` recipient is ``Failed`` in both: suppressed, then ``bounce`` or
    ``fail`` (Failed), then ``complain`` (Complaint), else Delivered.
    """
    if suppressed:
        return "Suppressed"
    local = address.partition("@")[0].casefold()
    if "bounce" in local or "fail" in local:
        return "Failed"
    if "complain" in local:
        return "Complaint"
    return "Delivered"


def _sort_key(value: str | int | None) -> tuple[int, str | int]:
    """Order values with missing first and strings case-insensitively."""
    if value is None:
        return (0, "")
    if isinstance(value, str):
        return (1, value.casefold())
    return (2, value)


class SandboxState:
    """The sandbox's mutable world: suppressions, sent mail, the report log.

    `clock` gives the time stamped on added suppressions and injected mail
    (wall clock by default); seeded data never reads it.
    """

    def __init__(self, config: SandboxConfig, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()
        self.anchor = int(clock()) if config.anchor is None else int(config.anchor.timestamp())
        """End of the seeded history (UTC seconds): `config.anchor`, or when this state was made."""
        self.log = SeededLog(config.seed, config.report_messages, self.anchor)
        self.suppressions: dict[int, MutableMapping[str, Suppression]] = {}
        self.sent: list[SentMessage] = []
        self.messages: list[InjectedMessage] = []
        """Every accepted message, whole (``sent`` has one entry per recipient)."""
        self.requests: deque[dict[str, object]] = deque(maxlen=KEPT_REQUESTS)
        """The last injection bodies accepted for processing, as read (names folded), ``apikey`` dropped."""
        self.injected: dict[int, list[MessageRow]] = {}
        self.inbound: dict[int, list[dict[str, object]]] = {}
        """The inbound posts made per server, as the Inbound Parse report rows (`_at`: UTC seconds)."""
        self._next_id = _FIRST_INJECTED_ID
        self.objects = ObjectStore()
        """Lists, contacts, custom fields, API keys, domains, tracking settings, bounce domains, DKIM keys."""
        self.csv_truncate_page: int | None = config.csv_truncate_page
        self._version = 0
        self._search_cache: tuple[tuple[object, ...], Sequence[Suppression]] | None = None
        self.reset()

    def reset(self) -> None:
        """Back to the seeded initial state."""
        with self.lock:
            seeded = SeededSuppressions(self.config.seed, self.config.suppressions, self.anchor)
            self.suppressions = {self.config.server_id: SuppressionList(seeded)}
            self.sent = []
            self.messages = []
            self.requests.clear()
            self.injected = {}
            self.inbound = {}
            self._next_id = _FIRST_INJECTED_ID
            self.objects.reset()
            self.csv_truncate_page = self.config.csv_truncate_page
            self._changed()

    def _changed(self) -> None:
        """Suppressions changed: forget the cached search."""
        with self.lock:
            self._version += 1
            self._search_cache = None

    def now(self) -> int:
        """Current time in whole UTC seconds, from `clock`."""
        return int(self.clock())

    # Suppressions -----------------------------------------------------------

    def suppression_list(self, server_id: int) -> MutableMapping[str, Suppression]:
        """The list of one server (created empty on first use)."""
        with self.lock:
            return self.suppressions.setdefault(server_id, {})

    def find_suppression(self, server_id: int, address: str) -> Suppression | None:
        """The entry for `address` (case-insensitive), if suppressed."""
        with self.lock:
            return self.suppression_list(server_id).get(address.casefold())

    def add_suppression(self, server_id: int, address: str, reason: str = "Manual") -> Suppression:
        """Add `address`; adding one already listed returns the existing entry."""
        with self.lock:
            entries = self.suppression_list(server_id)
            key = address.casefold()
            entry = entries.get(key)
            if entry is None:
                entry = Suppression(address, self.now(), reason)
                entries[key] = entry
                self._changed()
            return entry

    def remove_suppression(self, server_id: int, address: str) -> Suppression | None:
        """Remove `address`; `None` when it was not listed."""
        with self.lock:
            entry = self.suppression_list(server_id).pop(address.casefold(), None)
            if entry is not None:
                self._changed()
            return entry

    def search_suppressions(
        self,
        server_id: int,
        *,
        start: int | None,
        end: int | None,
        filters: Sequence[Filter],
        sort_field: str,
        descending: bool,
    ) -> Sequence[Suppression]:
        """Every matching entry, sorted.

        An unchanged seeded list searched by address only, with no filters or
        dates, is a lazy view (see `_suppressions`). Otherwise the last result
        is cached until the list changes, so paging through a large list sorts
        it once, not per page.
        """
        with self.lock:
            listing = self.suppression_list(server_id)
            if (
                isinstance(listing, SuppressionList)
                and listing.pristine
                and not filters
                and start is None
                and end is None
                and sort_field == "emailAddress"
            ):
                return SeededView(listing.seeded, descending=descending)
        key = (
            server_id,
            start,
            end,
            tuple((f.field, f.predicate, f.value) for f in filters),
            sort_field,
            descending,
        )
        with self.lock:
            cached = self._search_cache
            if cached is not None and cached[0] == (self._version, *key):
                return cached[1]
            version = self._version
            entries = list(self.suppression_list(server_id).values())

        def keep(entry: Suppression) -> bool:
            t = entry.suppression_last_update
            if start is not None and t < start:
                return False
            if end is not None and t > end:
                return False
            return all(f.matches(entry.field(f.field)) for f in filters)

        matched = [entry for entry in entries if keep(entry)]
        matched.sort(
            key=lambda e: (_sort_key(e.field(sort_field)), e.email_address.casefold()),
            reverse=descending,
        )
        with self.lock:
            if self._version == version:
                self._search_cache = ((version, *key), matched)
        return matched

    # Report log -------------------------------------------------------------

    def record_inbound(self, server_id: int, payload: Mapping[str, object], accepted: bool) -> None:
        """Remember an inbound post for the Inbound Parse report."""
        message = payload.get("Message")
        subject = message.get("Subject") if isinstance(message, dict) else None
        score = payload.get("SpamScore")
        now = self.now()
        row: dict[str, object] = {
            "from": str(payload.get("InboundMailFrom") or ""),
            "to": str(payload.get("InboundRcptTo") or ""),
            "subject": subject if isinstance(subject, str) else None,
            "receivedTime": format_instant(now),
            "status": "Posted" if accepted else "Failed",
            "spamScore": score if isinstance(score, int | float) else None,
            "_at": now,
        }
        with self.lock:
            self.inbound.setdefault(server_id, []).append(row)

    def next_message_id(self) -> str:
        """A fresh id for an injected message that brought none."""
        with self.lock:
            self._next_id += 1
            return str(self._next_id)

    def record_sent(self, message: SentMessage) -> None:
        """Remember an accepted recipient and append it to the report log."""
        self.record_sent_many((message,))

    def record_sent_many(self, messages: Iterable[SentMessage]) -> None:
        """`record_sent` for each, under one lock (an injection request records hundreds)."""
        with self.lock:
            for message in messages:
                self.sent.append(message)
                rows = self.injected.setdefault(message.server_id, [])
                stamp = message.timestamp
                rows.append(
                    MessageRow(
                        seq=self.log.count + len(rows),
                        message_id=message.message_id,
                        mailing_id=message.mailing_id,
                        from_address=message.from_address,
                        to=message.address,
                        subject=message.subject,
                        status=message.status,
                        queued_time=stamp,
                        status_date=stamp,
                        tags=message.tags,
                    )
                )

    def query_messages(
        self,
        server_id: int,
        *,
        start: int | None,
        end: int | None,
        filters: Sequence[Filter],
        to: str | None,
        sort_field: str,
        descending: bool,
        offset: int,
        limit: int,
    ) -> tuple[int, list[MessageRow]]:
        """One page of the log and the number of matching rows.

        Sorting by `queuedTime` (the log's own order) locates the page by
        counting: O(blocks) time for the count and O(page) memory, however
        large the log. Any other sort field counts the matches first and then
        keeps the `(sort key, position)` pairs of the nearer end of the
        ordering up to the page, so memory grows with how deep the page is
        (never beyond half the matches plus a page); rows are built for the
        page only.
        """
        with self.lock:
            own = server_id == self.config.server_id
            seeded = self.log.index_range(start, end) if own else range(0)
            injected = [
                row
                for row in self.injected.get(server_id, [])
                if (start is None or row.queued_time >= start) and (end is None or row.queued_time <= end)
            ]
        wanted = to.casefold() if to is not None else None
        injected = [
            row
            for row in injected
            if (wanted is None or row.to.casefold() == wanted)
            and all(f.matches(row.field(f.field)) for f in filters)
        ]
        matches = self.log.matching(seeded, filters, to)
        total = matches.total + len(injected)
        if sort_field == "queuedTime":
            rows = self._page_in_time_order(matches, injected, descending, offset, limit)
            return total, rows
        if offset >= total:
            return total, []

        by_seq = {row.seq: row for row in injected}
        value = self.log.field_value

        def keys() -> Iterator[tuple[tuple[int, str | int], int]]:
            yield from ((_sort_key(value(i, sort_field)), i) for i in matches)
            yield from ((_sort_key(row.field(sort_field)), row.seq) for row in injected)

        count = min(limit, total - offset)
        if offset <= total // 2:
            pick = heapq.nlargest if descending else heapq.nsmallest
            chosen = pick(offset + count, keys())[offset:]
        else:  # a deep page: select from the other end, which is the shorter way
            pick = heapq.nsmallest if descending else heapq.nlargest
            chosen = pick(total - offset, keys())[::-1][:count]
        return total, [by_seq[seq] if seq in by_seq else self.log.row(seq) for _, seq in chosen]

    def _page_in_time_order(
        self,
        matches: SeededMatches,
        injected: list[MessageRow],
        descending: bool,
        offset: int,
        limit: int,
    ) -> list[MessageRow]:
        """One page in `(queuedTime, seq)` order, seeded and injected rows merged.

        Every seeded key is below an injected key with the same time (seeded
        rows come first in the log), so an injected row's place in the merged
        order is the number of seeded matches up to its time plus its rank
        among the injected ones. A descending page is the mirrored ascending
        range, reversed.
        """
        injected.sort(key=lambda r: (r.queued_time, r.seq))
        places = [
            matches.count_before(self.log.time_bound(row.queued_time)) + rank
            for rank, row in enumerate(injected)
        ]
        total = matches.total + len(injected)
        lo, hi = (total - offset - limit, total - offset) if descending else (offset, offset + limit)
        lo, hi = max(lo, 0), min(hi, total)
        if lo >= hi:
            return []
        # Per position: the injected row there, or the number of the seeded match.
        slots: list[tuple[int, int]] = []
        for q in range(lo, hi):
            j = bisect.bisect_left(places, q)
            slots.append((j, -1) if j < len(places) and places[j] == q else (-1, q - j))
        numbers = [number for _, number in slots if number >= 0]
        indexes = matches.take(numbers[0], numbers[-1] - numbers[0] + 1) if numbers else []
        rows = [injected[j] if j >= 0 else self.log.row(indexes[number - numbers[0]]) for j, number in slots]
        return rows[::-1] if descending else rows
