"""The v2 ``filters`` parameter: a typed builder, its checks, and the one encoder.

```python
from socketlabs_client import F

client.reports.messages_detail(filters=(F.mailing_id == "welcome") & F.status.neq("Failed"))
```

``F.<name>`` names a field (``mailing_id`` and ``mailingId`` both mean the
wire name ``mailingId``; ``F.from_`` or ``F["from"]`` for a Python keyword).
A predicate (``==``, ``!=``, ``<``, ``>``, ``<=``, ``>=``, or ``.eq``, ``.neq``,
``.like``, ``.nlike``, ``.start``, ``.end``, ``.gt``, ``.lt``, ``.gte``,
``.lte``) makes a ``Clause``; ``&`` combines clauses (AND, the only way the
API combines them). Nothing is checked until the filter meets an operation:
then every clause is checked against that operation's ``x-filters`` (known
field, predicate fits the field's type, value fits: number, date, boolean or
one of the enum's values), all problems reported in one
``InvalidFilterError``, before any request. A plain string in the wire form
is accepted too and gets the same checks.

An ad hoc call (``client.request``/``paginate``/``download``) has no
``x-filters`` table: ``resolve_untyped_filters`` checks only the form (field
name, a known predicate, a value that can be written: text, number, boolean,
date) and encodes with the same ``encode_filters``.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal
from urllib.parse import quote, unquote, urlencode

from attrs import frozen
from socketlabs_api.operations import FilterField, Operation

from ._dates import format_api_date
from ._errors import InvalidFilterError, InvalidParameterError
from ._text import query_problem

__all__ = [
    "PREDICATES",
    "Clause",
    "F",
    "Field",
    "FilterValue",
    "Filters",
    "encode_filters",
    "parse_filter_string",
    "resolve_filters",
    "resolve_untyped_filters",
]

FilterValue = str | int | float | bool | dt.date | enum.Enum
"""What a clause may compare with; it is checked against the field's type."""

PREDICATES: dict[str, tuple[str, ...]] = {
    "string": ("eq", "neq", "like", "nlike", "start", "end"),
    "number": ("eq", "neq", "gt", "lt", "gte", "lte"),
    "date": ("eq", "gt", "lt", "gte", "lte"),
    "boolean": ("eq", "neq"),
    "enum": ("eq", "neq"),
}
"""The predicates each field type allows (DESIGN.md section 4)."""

_ALL_PREDICATES = ("eq", "neq", "like", "nlike", "start", "end", "gt", "lt", "gte", "lte")
_TEXT_PREDICATES = frozenset(("like", "nlike", "start", "end"))
_UNTYPED_KINDS: tuple[tuple[type | tuple[type, ...], Literal["string", "boolean", "number", "date"]], ...] = (
    (str, "string"),
    (bool, "boolean"),  # before int: a bool is an int
    ((int, float), "number"),
    (dt.date, "date"),
)
"""With no ``x-filters``, a value is written as it would be for a field of its own Python type."""
_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*", re.ASCII)
_PIECE = re.compile(r"([A-Za-z][A-Za-z0-9_]*)=([A-Za-z]+):(.*)", re.ASCII | re.DOTALL)
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)
_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~@:")


def encode_filters(clauses: Iterable[tuple[str, str, str]]) -> str:
    """The wire form of ``(field, predicate, value)`` clauses: the one encoder.

    Assumptions, because the docs show only examples
    (``name=start:jo&emailAddress=end:gmail.com``,
    ``status=eq:active&isActive=eq:true``) and leave the rest open:

    1. Each clause is ``field=predicate:value``, clauses joined with ``&``, and
       the whole goes into the query raw after ``filters=`` (not encoded as one
       value), so the docs' examples come out byte for byte.
    2. Field names are identifiers and predicates lower-case words; they are
       written as they are (the caller has checked them).
    3. A value is UTF-8, and every byte outside ``A-Z a-z 0-9 - . _ ~ @ :`` is
       percent-encoded (``%XX``, upper case). So ``&`` (the next filter or
       parameter), ``=``, ``#`` (a fragment), ``+`` (a space in a query),
       ``%``, space, ``?``, ``/``, ``,`` and non-ASCII can never change the
       form: a server that splits on ``&`` and then percent-decodes each value
       once gets the value back exactly.
    4. ``:`` stays: the server splits at the first ``:`` after the predicate,
       so later ones belong to the value (``10:00:00`` in a time).
    5. The caller puts ``filters`` last in the query, so that every piece after
       it is a filter (a field must not share a name with a query parameter).
    """
    pieces = []
    for field, predicate, value in clauses:
        encoded = "".join(chr(b) if b in _SAFE else f"%{b:02X}" for b in value.encode("utf-8"))
        pieces.append(f"{field}={predicate}:{encoded}")
    return "&".join(pieces)


def parse_filter_string(text: str) -> list[Clause]:
    """Read a wire-form filter string into clauses (values percent-decoded once).

    The inverse of ``encode_filters``: a literal ``&`` inside a value must be
    written ``%26`` (or built with ``F``, which does it for you).
    """
    clauses: list[Clause] = []
    problems: list[str] = []
    for piece in text.split("&"):
        match = _PIECE.fullmatch(piece)
        if match is None:
            problems.append(f"{piece!r} is not of the form field=predicate:value")
            continue
        try:
            value = unquote(match[3], errors="strict")
        except UnicodeDecodeError:
            problems.append(f"{piece!r}: the percent-encoded value is not UTF-8")
            continue
        clauses.append(Clause(match[1], match[2], value))
    if problems:
        raise InvalidFilterError(problems)
    return clauses


def _wire_name(name: str) -> str:
    """``mailing_id`` -> ``mailingId``; ``from_`` -> ``from``; ``mailingId`` unchanged."""
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@frozen
class Clause:
    """One ``field predicate value`` test; combine with ``&``."""

    field: str
    predicate: str
    value: FilterValue

    @property
    def clauses(self) -> tuple[Clause, ...]:
        """A one-clause filter (what operations read)."""
        return (self,)

    def __and__(self, other: Clause | Filters) -> Filters:
        return Filters((self, *other.clauses))


@frozen
class Filters:
    """Clauses combined with AND."""

    clauses: tuple[Clause, ...]

    def __and__(self, other: Clause | Filters) -> Filters:
        return Filters((*self.clauses, *other.clauses))


class Field:
    """A filterable field by its wire name; its predicates build clauses."""

    __slots__ = ("name",)
    __hash__ = None  # type: ignore[assignment]  # == builds a clause, so a Field is not hashable

    def __init__(self, name: str) -> None:
        if _FIELD_NAME.fullmatch(name) is None:
            raise InvalidParameterError("filters", f"{name!r} is not a field name")
        self.name = name

    def __repr__(self) -> str:
        return f"F[{self.name!r}]"

    def _clause(self, predicate: str, value: FilterValue) -> Clause:
        return Clause(self.name, predicate, value)

    def eq(self, value: FilterValue) -> Clause:
        """Equal to ``value``."""
        return self._clause("eq", value)

    def neq(self, value: FilterValue) -> Clause:
        """Not equal to ``value``."""
        return self._clause("neq", value)

    def like(self, value: str) -> Clause:
        """Contains ``value`` (strings)."""
        return self._clause("like", value)

    def nlike(self, value: str) -> Clause:
        """Does not contain ``value`` (strings)."""
        return self._clause("nlike", value)

    def start(self, value: str) -> Clause:
        """Starts with ``value`` (strings)."""
        return self._clause("start", value)

    def end(self, value: str) -> Clause:
        """Ends with ``value`` (strings)."""
        return self._clause("end", value)

    def gt(self, value: FilterValue) -> Clause:
        """Greater than / after ``value`` (numbers, dates)."""
        return self._clause("gt", value)

    def lt(self, value: FilterValue) -> Clause:
        """Less than / before ``value`` (numbers, dates)."""
        return self._clause("lt", value)

    def gte(self, value: FilterValue) -> Clause:
        """Greater than or equal / from ``value`` (numbers, dates)."""
        return self._clause("gte", value)

    def lte(self, value: FilterValue) -> Clause:
        """Less than or equal / up to ``value`` (numbers, dates)."""
        return self._clause("lte", value)

    def __eq__(self, value: object) -> Clause:  # type: ignore[override]
        return self.eq(value)  # type: ignore[arg-type]  # checked against the field's type later

    def __ne__(self, value: object) -> Clause:  # type: ignore[override]
        return self.neq(value)  # type: ignore[arg-type]

    def __lt__(self, value: FilterValue) -> Clause:
        return self.lt(value)

    def __le__(self, value: FilterValue) -> Clause:
        return self.lte(value)

    def __gt__(self, value: FilterValue) -> Clause:
        return self.gt(value)

    def __ge__(self, value: FilterValue) -> Clause:
        return self.gte(value)


class _FieldNamespace:
    """``F``: ``F.mailing_id`` or ``F["mailingId"]`` is the field ``mailingId``."""

    def __getattr__(self, name: str) -> Field:
        if name.startswith("_"):  # not a field: keeps copy, pickle and friends working
            raise AttributeError(name)
        return Field(_wire_name(name))

    def __getitem__(self, name: str) -> Field:
        return Field(name)


F = _FieldNamespace()
"""The filter builder: ``F.status == "Delivered"``, ``F.subject.like("receipt")``."""


def _number_text(value: FilterValue) -> str | None:
    """A number as plain decimal text (no exponent), or None if it is not a finite number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        from decimal import Decimal  # noqa: PLC0415 - only float filter values need it

        return format(Decimal(repr(value)), "f") if math.isfinite(value) else None
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return value.strip()
    return None


class _Problem(str):
    """A reason a value does not fit its field (distinct from a value that is text)."""


def _value_text(spec: FilterField, value: FilterValue) -> str:  # noqa: PLR0911  # one branch per type
    """The value as wire text for a field of ``spec``'s type, or a ``_Problem``."""
    if isinstance(value, enum.Enum) and not isinstance(value, str):
        value = value.value
    if isinstance(value, str) and (problem := query_problem(value)) is not None:
        return _Problem(problem)
    kind = spec.type
    if kind == "string":
        return value if isinstance(value, str) else _Problem(f"a text value is needed, not {value!r}")
    if kind == "number":
        return _number_text(value) or _Problem(f"{value!r} is not a number")
    if kind == "boolean":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower()
        return _Problem(f"{value!r} is not true or false")
    if kind == "date":
        if not isinstance(value, dt.date | str):
            return _Problem(f"{value!r} is not a date")
        try:
            return format_api_date(value, spec.name)
        except InvalidParameterError as exc:
            return _Problem(str(exc))
    folded = {choice.casefold(): choice for choice in spec.choices}
    choice = folded.get(value.casefold()) if isinstance(value, str) else None
    return choice if choice is not None else _Problem(f"{value!r} is not one of {', '.join(spec.choices)}")


def resolve_filters(operation: Operation, given: Any) -> str:
    """Check ``given`` (``F`` clauses or a wire-form string) against ``operation``; encode it."""
    clauses = _clauses(given)
    fields = {f.name: f for f in operation.filters}
    if not fields:
        raise InvalidFilterError([f"{operation.operation_id} takes no filters"])
    problems: list[str] = []
    encoded: list[tuple[str, str, str]] = []
    for clause in clauses:
        spec = fields.get(clause.field)
        if spec is None:
            problems.append(f"unknown field {clause.field!r} (known: {', '.join(fields)})")
            continue
        allowed = PREDICATES[spec.type]
        if clause.predicate not in allowed:
            what = "unknown predicate" if clause.predicate not in _ALL_PREDICATES else "predicate"
            problems.append(
                f"{what} {clause.predicate!r} does not fit {spec.type} field {spec.name!r}"
                f" (use one of: {' '.join(allowed)})"
            )
            continue
        text = _value_text(spec, clause.value)
        if isinstance(text, _Problem):
            problems.append(f"field {spec.name!r}: {text}")
            continue
        encoded.append((spec.name, clause.predicate, text))
    if problems:
        raise InvalidFilterError(problems)
    return encode_filters(encoded)


def _clauses(given: Any) -> Sequence[Clause]:
    """``F`` clauses, or the clauses of a wire-form string (``InvalidFilterError`` if neither)."""
    if isinstance(given, str):
        return parse_filter_string(given)
    if isinstance(getattr(given, "clauses", None), tuple) and all(
        isinstance(c, Clause) for c in given.clauses
    ):
        clauses: tuple[Clause, ...] = given.clauses
        return clauses
    raise InvalidFilterError([f"expected F clauses or a filter string, got {type(given).__name__}"])


def _untyped_text(clause: Clause) -> str:
    """A clause's value as wire text when no field type is known, or a ``_Problem``."""
    value = clause.value
    if isinstance(value, enum.Enum) and not isinstance(value, str):
        value = value.value
    if clause.predicate in _TEXT_PREDICATES and not isinstance(value, str):
        return _Problem(f"{clause.predicate!r} compares text, not {value!r}")
    kind = next((kind for types, kind in _UNTYPED_KINDS if isinstance(value, types)), None)
    if kind is None:
        return _Problem(f"{value!r} is not text, a number, a boolean or a date")
    return _value_text(FilterField(clause.field, kind), value)


def resolve_untyped_filters(given: Any) -> str:
    """Check the form of ``given`` (``F`` clauses or a wire-form string) and encode it.

    For a call the spec lacks, so no field types: each clause needs a field
    name, one of the known predicates and a value that can be written (text;
    a number, boolean or date written as ``F`` does for a field of that type).
    Every problem is reported in one ``InvalidFilterError`` before any request.
    """
    if isinstance(given, str) and not given:
        raise InvalidFilterError(["the filter string is empty"])
    problems: list[str] = []
    encoded: list[tuple[str, str, str]] = []
    for clause in _clauses(given):
        if _FIELD_NAME.fullmatch(clause.field) is None:
            problems.append(f"{clause.field!r} is not a field name")
            continue
        if clause.predicate not in _ALL_PREDICATES:
            problems.append(
                f"unknown predicate {clause.predicate!r} for field {clause.field!r}"
                f" (use one of: {' '.join(_ALL_PREDICATES)})"
            )
            continue
        text = _untyped_text(clause)
        if isinstance(text, _Problem):
            problems.append(f"field {clause.field!r}: {text}")
            continue
        encoded.append((clause.field, clause.predicate, text))
    if problems:
        raise InvalidFilterError(problems)
    return encode_filters(encoded)


def _query_text(value: object) -> str:
    """A query value as httpx writes it: booleans in lower case, enums by value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(getattr(value, "value", value))


def with_query(
    url: str,
    params: Mapping[str, Any] | None,
    extra: Sequence[tuple[str, str]] = (),
    filters: str | None = None,
) -> str:
    """``url`` with its query written out: parameters encoded, then ``filters`` in the docs' raw form.

    The one writer of a query that carries a filter, for typed calls, pagers and
    ``client.request`` alike: httpx would percent-encode the whole filter string
    as one value, and the docs' wire form has it raw (see ``encode_filters``).
    """
    own = [
        (name, _query_text(item))
        for name, value in (params or {}).items()
        for item in (value if isinstance(value, list | tuple) else [value])
        if item is not None
    ]
    for name, text in [*own, *extra]:
        problem = query_problem(text)
        if problem is not None:
            raise InvalidParameterError(str(name), problem)
    query = urlencode([*own, *extra], quote_via=quote, safe="")
    if filters is not None:
        query += ("&" if query else "") + "filters=" + filters
    if not query:
        return url
    return f"{url}&{query}" if "?" in url else f"{url}?{query}"
