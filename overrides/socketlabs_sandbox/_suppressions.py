"""A suppression list that can hold a million seeded entries without a million Suppressions.

Seeded entry `j` is a pure function of `(seed, j)`, like the report log: its
address is `blocked.{j}@{domain}` with `j` zero-padded to one width, so the
index order is the email-address order. `SuppressionList` is a mutable
mapping (casefolded address -> entry) over the seeded entries plus what was
added since, minus what was removed; only the changes are stored.

While a list is unchanged, a search without filters or a date range, sorted
by `emailAddress`, is answered by `SeededView`, a sequence computed on
demand, so paging through a million entries (JSON or CSV) never builds them
all. Any other search materialises the matching entries, as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from typing import overload

from ._dates import ANCHOR, format_instant
from ._log import SPAN

__all__ = ["SeededSuppressions", "SeededView", "Suppression", "SuppressionList"]

_BLOCK = 1024
_DOMAINS = ("example.com", "example.org", "example.net")
_REASONS = ("Manual", "Bounce", "Complaint", "Unsubscribe")
_PREFIX = "blocked."


@dataclass(frozen=True, slots=True)
class Suppression:
    """One entry of a suppression list; the address is kept as first given."""

    email_address: str
    suppression_last_update: int
    reason: str | None

    def field(self, name: str) -> str | int | None:
        """The value of a field by its wire name."""
        if name == "emailAddress":
            return self.email_address
        if name == "suppressionLastUpdate":
            return self.suppression_last_update
        return self.reason

    def to_json(self) -> dict[str, object]:
        """The entry as the API answers it."""
        return {
            "emailAddress": self.email_address,
            "suppressionLastUpdate": format_instant(self.suppression_last_update),
            "reason": self.reason,
        }


class SeededSuppressions:
    """`count` deterministic entries from `seed`, computed on demand (one block cached)."""

    def __init__(self, seed: int, count: int, anchor: int = ANCHOR) -> None:
        self.seed = seed
        self.count = count
        self.anchor = anchor
        self.width = len(str(max(count - 1, 0)))
        self._cache: tuple[int, bytes] = (-1, b"")

    def _block(self, number: int) -> bytes:
        cached = self._cache
        if cached[0] != number:
            key = b"socketlabs-sandbox-suppressions:%d:%d" % (self.seed, number)
            cached = (number, hashlib.shake_128(key).digest(8 * _BLOCK))
            self._cache = cached
        return cached[1]

    def _hash(self, index: int) -> int:
        """The eight seeded bytes of entry `index`, as an integer."""
        off = (index % _BLOCK) * 8
        return int.from_bytes(self._block(index // _BLOCK)[off : off + 8], "little")

    def address(self, index: int) -> str:
        """The address of entry `index` (its domain comes from the seed)."""
        return f"{_PREFIX}{index:0{self.width}d}@{_DOMAINS[self._hash(index) % 3]}"

    def entry(self, index: int) -> Suppression:
        """Entry `index` as a `Suppression`."""
        h = self._hash(index)
        return Suppression(
            email_address=f"{_PREFIX}{index:0{self.width}d}@{_DOMAINS[h % 3]}",
            suppression_last_update=self.anchor - 1 - (h >> 8) % SPAN,
            reason=_REASONS[(h >> 40) % len(_REASONS)],
        )

    def index_of(self, key: str) -> int | None:
        """The index of the seeded entry whose casefolded address is `key`, if any."""
        local, at, _ = key.partition("@")
        digits = local[len(_PREFIX) :]
        if not at or not local.startswith(_PREFIX) or len(digits) != self.width or not digits.isdigit():
            return None
        index = int(digits)
        if index >= self.count or self.address(index).casefold() != key:
            return None
        return index


class SuppressionList(MutableMapping[str, Suppression]):
    """Casefolded address -> entry: the seeded entries, plus additions, minus removals."""

    def __init__(self, seeded: SeededSuppressions) -> None:
        self.seeded = seeded
        self.added: dict[str, Suppression] = {}
        self.removed: set[str] = set()

    @property
    def pristine(self) -> bool:
        """True while nothing was added or removed (searches may then stay lazy)."""
        return not self.added and not self.removed

    def __getitem__(self, key: str) -> Suppression:
        if key in self.added:
            return self.added[key]
        index = self.seeded.index_of(key)
        if index is None or key in self.removed:
            raise KeyError(key)
        return self.seeded.entry(index)

    def __contains__(self, key: object) -> bool:
        """Without the `KeyError` of the mixin's test (every injected recipient asks)."""
        if key in self.added:
            return True
        return isinstance(key, str) and key not in self.removed and self.seeded.index_of(key) is not None

    def __setitem__(self, key: str, value: Suppression) -> None:
        self.added[key] = value

    def __delitem__(self, key: str) -> None:
        if key in self.added:
            del self.added[key]
        elif self.seeded.index_of(key) is not None and key not in self.removed:
            self.removed.add(key)
        else:
            raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        for index in range(self.seeded.count):
            key = self.seeded.address(index).casefold()
            if key not in self.removed and key not in self.added:
                yield key
        yield from self.added

    def __len__(self) -> int:
        shadowed = sum(
            1 for key in self.added if self.seeded.index_of(key) is not None and key not in self.removed
        )
        return self.seeded.count - len(self.removed) + len(self.added) - shadowed


class SeededView(Sequence[Suppression]):
    """The seeded entries in email order (or its reverse), computed on demand."""

    def __init__(self, seeded: SeededSuppressions, *, descending: bool) -> None:
        self.seeded = seeded
        self.descending = descending

    def __len__(self) -> int:
        return self.seeded.count

    def _entry(self, position: int) -> Suppression:
        count = self.seeded.count
        return self.seeded.entry(count - 1 - position if self.descending else position)

    @overload
    def __getitem__(self, item: int) -> Suppression: ...

    @overload
    def __getitem__(self, item: slice) -> Sequence[Suppression]: ...

    def __getitem__(self, item: int | slice) -> Suppression | Sequence[Suppression]:
        if isinstance(item, slice):
            return [self._entry(p) for p in range(*item.indices(len(self)))]
        if item < 0:
            item += len(self)
        if not 0 <= item < len(self):
            raise IndexError(item)
        return self._entry(item)
