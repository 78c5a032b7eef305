"""Reading and validating v2 query parameters, collecting every problem.

The query string is split by hand rather than with `parse_qsl` because the
docs' filter wire form, `filters=name=start:jo&emailAddress=end:gmail.com`,
spreads one parameter over several `&`-separated pieces. Two spellings are
accepted for `filters`:

* the docs' raw form: the value contains a literal `=`; it and every later
  piece that is not a parameter of the operation but looks like
  `field=predicate:...` are filters, each value percent-decoded once
  (`+` is a space, as everywhere in a query string);
* one fully encoded parameter (what generic HTTP clients send): the value is
  decoded once as a query value, split on `&`, and each filter value is
  percent-decoded again (`+` stays a plus).

Every other parameter is decoded as usual. Unknown parameters are ignored; a
known one given twice is an error, as is an empty value.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from urllib.parse import unquote_plus

from ._dates import ApiDate, parse_api_date
from ._filters import ALL_PREDICATES, FieldSpec, Filter, FilterError, parse_filters

__all__ = ["QueryReader", "is_valid_email"]

_INTEGER = re.compile(r"-?[0-9]{1,20}", re.ASCII)
_CONTINUATION = re.compile(r"[A-Za-z][A-Za-z0-9_]*=(?:" + "|".join(ALL_PREDICATES) + r"):", re.ASCII)
_MAX_EMAIL = 320
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+")
"""One `@` between non-empty parts free of whitespace (`\\s` is `str.isspace`) and control characters."""


def is_valid_email(address: str) -> bool:
    """The address check of the API and the official libraries.

    Exactly one `@`, non-empty local and domain parts, at most 320
    characters, and no whitespace or control characters.
    """
    return 3 <= len(address) <= _MAX_EMAIL and _EMAIL.fullmatch(address) is not None


class QueryReader:
    """Typed access to one request's query parameters.

    Each accessor validates one parameter against the spec's schema and
    records a message in `problems` instead of raising, so a request with
    three bad parameters gets one 400 naming all three.
    """

    def __init__(self, raw_query: str, known: Collection[str]) -> None:
        self.problems: list[str] = []
        self._values: dict[str, list[str]] = {}
        self._filter_pieces: list[str] = []
        self._filters_given = 0
        self._split(raw_query, known)

    def _split(self, raw_query: str, known: Collection[str]) -> None:
        """Sort the query's pieces into parameters and filter pieces."""
        in_filters = False
        for piece in raw_query.split("&"):
            if not piece:
                continue
            raw_name, _, raw_value = piece.partition("=")
            name = unquote_plus(raw_name)
            if in_filters and name not in known and _CONTINUATION.match(piece):
                self._filter_pieces.append(piece.replace("+", "%20"))
                continue
            if name != "filters":
                self._values.setdefault(name, []).append(unquote_plus(raw_value))
                continue
            self._filters_given += 1
            in_filters = True
            if "=" in raw_value:
                self._filter_pieces.append(raw_value.replace("+", "%20"))
            elif raw_value:
                self._filter_pieces.extend(unquote_plus(raw_value).split("&"))

    def _single(self, name: str) -> str | None:
        """The parameter's one value, or `None`; records repeats and empties."""
        values = self._values.get(name)
        if not values:
            return None
        if len(values) > 1:
            self.problems.append(f"{name} must be given at most once")
            return None
        if values[0] == "":
            self.problems.append(f"{name} must not be empty")
            return None
        return values[0]

    def integer(self, name: str, *, minimum: int, maximum: int, default: int) -> int:
        """An integer in `[minimum, maximum]`, or `default` when absent."""
        text = self._single(name)
        if text is None:
            return default
        if _INTEGER.fullmatch(text) is None or not minimum <= int(text) <= maximum:
            self.problems.append(f"{name} must be an integer between {minimum} and {maximum}")
            return default
        return int(text)

    def text(self, name: str, *, required: bool = False) -> str | None:
        """A plain string parameter, or `None` when absent (a problem when required)."""
        value = self._single(name)
        if value is None and required and name not in self._values:
            self.problems.append(f"{name} is required")
        return value

    def email(self, name: str) -> str:
        """A required email address (`''` when missing or invalid)."""
        text = self._single(name)
        if text is None:
            if name not in self._values:
                self.problems.append(f"{name} is required")
            return ""
        if not is_valid_email(text):
            self.problems.append(f"{name} '{text}' is not a valid email address")
            return ""
        return text

    def choice(self, name: str, choices: Collection[str], default: str) -> str:
        """One of `choices` (exact spelling), or `default` when absent."""
        text = self._single(name)
        if text is None:
            return default
        if text not in choices:
            self.problems.append(f"{name} '{text}' is not one of: {', '.join(choices)}")
            return default
        return text

    def date(self, name: str) -> ApiDate | None:
        """An API date (`yyyy-MM-ddTHH:mm:ssK`, `yyyy-MM-ddK`, `yyyy-MM-dd`)."""
        text = self._single(name)
        if text is None:
            return None
        date = parse_api_date(text)
        if date is None:
            self.problems.append(
                f"{name} '{text}' is not a valid date (yyyy-MM-ddTHH:mm:ssK, yyyy-MM-ddK or yyyy-MM-dd)"
            )
        return date

    def filters(self, fields: Mapping[str, FieldSpec]) -> list[Filter]:
        """The parsed `filters`, type-checked against the operation's fields."""
        if self._filters_given > 1:
            self.problems.append("filters must be given at most once")
            return []
        if self._filters_given and not self._filter_pieces:
            self.problems.append("filters must not be empty")
            return []
        try:
            return parse_filters(self._filter_pieces, fields)
        except FilterError as exc:
            self.problems.extend(exc.problems)
            return []
