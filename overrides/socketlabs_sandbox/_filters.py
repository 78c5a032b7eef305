"""The v2 `filters` parameter: parse it, type-check it, match rows with it.

Grammar accepted (one filter string; the docs' own wire form):

```
filters   = filter *( "&" filter )
filter    = field "=" predicate ":" value
field     = ALPHA *( ALPHA / DIGIT / "_" )      ; case-sensitive, must be known
predicate = "eq" / "neq" / "like" / "nlike" / "start" / "end"
          / "gt" / "lt" / "gte" / "lte"
value     = *( any character but "&" )         ; percent-encoded
```

The string is split on `&` first and each value is percent-decoded after
splitting, so `%26` inside a value is a literal `&` (and `%2B` a literal `+`).
A value may itself contain `=` and `:`; only the first `=` and the first `:`
after it delimit. Several filters are combined with AND.

Predicates allowed per field type (anything else is an error, as the docs
say a predicate that does not fit the field's type is):

| type    | predicates                 | value                                   |
|---------|----------------------------|-----------------------------------------|
| string  | eq neq like nlike start end| any text; matched case-insensitively, `like` = contains |
| number  | eq neq gt lt gte lte       | decimal number                          |
| date    | eq gt lt gte lte           | an API date; a date-only value is a whole day |
| boolean | eq neq                     | `true` or `false`                       |
| enum    | eq neq                     | one of the field's values (any case)    |

For a date-only value `D`: `eq` matches the day, `gt` is after the day,
`gte` from its start, `lt` before its start, `lte` up to its end.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from ._dates import parse_api_date

__all__ = [
    "ALL_PREDICATES",
    "FieldSpec",
    "FieldType",
    "Filter",
    "FilterError",
    "FilterValue",
    "parse_filters",
]

FilterValue = str | int | float | bool | None
"""What a row holds in a filterable field (dates are UTC seconds)."""

Test = Callable[[FilterValue], bool]
"""A compiled filter: does a row's field value pass?"""


class FieldType(enum.Enum):
    """The type of a filterable field; it decides which predicates fit."""

    STRING = "string"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"
    ENUM = "enum"


ALL_PREDICATES = ("eq", "neq", "like", "nlike", "start", "end", "gt", "lt", "gte", "lte")

_PREDICATES: dict[FieldType, tuple[str, ...]] = {
    FieldType.STRING: ("eq", "neq", "like", "nlike", "start", "end"),
    FieldType.NUMBER: ("eq", "neq", "gt", "lt", "gte", "lte"),
    FieldType.DATE: ("eq", "gt", "lt", "gte", "lte"),
    FieldType.BOOLEAN: ("eq", "neq"),
    FieldType.ENUM: ("eq", "neq"),
}

_FILTER = re.compile(r"([A-Za-z][A-Za-z0-9_]*)=([A-Za-z]+):(.*)", re.ASCII | re.DOTALL)
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A field that may be filtered on: its wire name, type and enum values."""

    name: str
    type: FieldType
    choices: tuple[str, ...] = ()


class FilterError(ValueError):
    """Raised with every problem found in a filter string, one message each."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class Filter:
    """One parsed filter with its value compiled into a row test."""

    field: str
    predicate: str
    value: str
    test: Test

    def matches(self, value: FilterValue) -> bool:
        """Whether a row whose field holds `value` passes this filter."""
        return self.test(value)


def parse_filters(pieces: Sequence[str], fields: Mapping[str, FieldSpec]) -> list[Filter]:
    """Parse filter pieces (`field=predicate:value`, value still percent-encoded).

    Raises `FilterError` listing every problem, so a caller gets all of them
    in one 400 rather than one per round trip.
    """
    problems: list[str] = []
    result: list[Filter] = []
    for piece in pieces:
        match = _FILTER.fullmatch(piece)
        if match is None:
            problems.append(f"filters: '{piece}' is not of the form field=predicate:value")
            continue
        name, predicate, raw_value = match[1], match[2], match[3]
        value = unquote(raw_value)
        spec = fields.get(name)
        if spec is None:
            known = ", ".join(sorted(fields))
            problems.append(f"filters: unknown field '{name}' (known fields: {known})")
            continue
        if predicate not in ALL_PREDICATES:
            problems.append(f"filters: unknown predicate '{predicate}' for field '{name}'")
            continue
        allowed = _PREDICATES[spec.type]
        if predicate not in allowed:
            problems.append(
                f"filters: predicate '{predicate}' does not fit {spec.type.value} field "
                f"'{name}' (use one of: {' '.join(allowed)})"
            )
            continue
        test = _compile(spec, predicate, value)
        if isinstance(test, str):
            problems.append(test)
            continue
        result.append(Filter(field=name, predicate=predicate, value=value, test=test))
    if problems:
        raise FilterError(problems)
    return result


def _compile(spec: FieldSpec, predicate: str, value: str) -> Test | str:
    """Build the row test for one filter, or return the problem as a message."""
    return _COMPILERS[spec.type](spec, predicate, value)


def _text(value: FilterValue) -> str:
    """A string field's value for matching: missing counts as empty."""
    return value.casefold() if isinstance(value, str) else ""


def _string(spec: FieldSpec, predicate: str, value: str) -> Test | str:
    """Case-insensitive string predicates (`like` means contains)."""
    operand = value.casefold()
    tests: dict[str, Test] = {
        "eq": lambda v: _text(v) == operand,
        "neq": lambda v: _text(v) != operand,
        "like": lambda v: operand in _text(v),
        "nlike": lambda v: operand not in _text(v),
        "start": lambda v: _text(v).startswith(operand),
        "end": lambda v: _text(v).endswith(operand),
    }
    return tests[predicate]


def _number(spec: FieldSpec, predicate: str, value: str) -> Test | str:
    """Numeric comparisons; a missing value matches only `neq`."""
    if _NUMBER.fullmatch(value) is None:
        return f"filters: '{value}' is not a number (field '{spec.name}')"
    operand = float(value)
    compares: dict[str, Callable[[float], bool]] = {
        "eq": lambda n: n == operand,
        "neq": lambda n: n != operand,
        "gt": lambda n: n > operand,
        "lt": lambda n: n < operand,
        "gte": lambda n: n >= operand,
        "lte": lambda n: n <= operand,
    }
    compare = compares[predicate]

    def test(v: FilterValue) -> bool:
        if isinstance(v, bool) or not isinstance(v, int | float):
            return predicate == "neq"
        return compare(float(v))

    return test


def _date(spec: FieldSpec, predicate: str, value: str) -> Test | str:
    """Date comparisons over `[start, end]` (one second, or a whole day)."""
    date = parse_api_date(value)
    if date is None:
        return f"filters: '{value}' is not a valid date (field '{spec.name}')"
    start, end = date.start, date.end
    compares: dict[str, Callable[[int], bool]] = {
        "eq": lambda t: start <= t <= end,
        "gt": lambda t: t > end,
        "gte": lambda t: t >= start,
        "lt": lambda t: t < start,
        "lte": lambda t: t <= end,
    }
    compare = compares[predicate]

    def test(v: FilterValue) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and compare(v)

    return test


def _boolean(spec: FieldSpec, predicate: str, value: str) -> Test | str:
    """`eq`/`neq` against `true` or `false` (any case)."""
    lowered = value.lower()
    if lowered not in ("true", "false"):
        return f"filters: '{value}' is not true or false (field '{spec.name}')"
    wanted = lowered == "true"
    if predicate == "eq":
        return lambda v: v is wanted
    return lambda v: v is not wanted


def _enum(spec: FieldSpec, predicate: str, value: str) -> Test | str:
    """`eq`/`neq` against one of the field's values (any case)."""
    operand = value.casefold()
    if operand not in {choice.casefold() for choice in spec.choices}:
        return f"filters: '{value}' is not one of {', '.join(spec.choices)} (field '{spec.name}')"
    if predicate == "eq":
        return lambda v: _text(v) == operand
    return lambda v: _text(v) != operand


_COMPILERS: dict[FieldType, Callable[[FieldSpec, str, str], Test | str]] = {
    FieldType.STRING: _string,
    FieldType.NUMBER: _number,
    FieldType.DATE: _date,
    FieldType.BOOLEAN: _boolean,
    FieldType.ENUM: _enum,
}
