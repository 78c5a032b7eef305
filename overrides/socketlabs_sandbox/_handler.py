"""What every sandbox handler shares: the call, responses, list and body checks.

A handler gets a `Call` and returns a `Response`, or `None` after recording
at least one problem in `call.query.problems` (the app then answers 400
listing them all, so an action never runs on a bad request). Path
parameters and JSON bodies are checked here the way the spec declares them,
because the sandbox does not import the client or a JSON-schema library: it
is an independent reading of the spec.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from ._objects import JsonObject
from ._params import QueryReader, is_valid_email

if TYPE_CHECKING:
    from ._state import SandboxState

__all__ = [
    "MAX_INT32",
    "BodyField",
    "Call",
    "Handler",
    "ListArgs",
    "error_response",
    "json_response",
    "list_args",
    "page_of",
    "path_integer",
    "read_json",
]

MAX_INT32 = 2_147_483_647
_DIRECTIONS = ("asc", "dsc")
_DOMAIN = re.compile(
    r"(?=.{3,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+",
    re.ASCII,
)
_SELECTOR = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", re.ASCII)
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*", re.ASCII)
_PATH_INT = re.compile(r"([0-9]{1,10})(?:\.0+)?", re.ASCII)
"""An integer path segment; an integral decimal (``12.0``) is the same integer, as in JSON Schema."""


def path_integer(text: str) -> int | None:
    """The positive 32-bit integer a path segment names, or ``None``."""
    match = _PATH_INT.fullmatch(text)
    return int(match[1]) if match and 1 <= int(match[1]) <= MAX_INT32 else None


def json_response(status: int, body: object, headers: dict[str, str] | None = None) -> Response:
    """A compact JSON response."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status_code=status, media_type="application/json", headers=headers)


def error_response(
    status: int, error_type: str, messages: list[str], headers: dict[str, str] | None = None
) -> Response:
    """The v2 error envelope, one entry per problem."""
    body = {"error": [{"errorType": error_type, "message": m} for m in messages]}
    return json_response(status, body, headers)


@dataclass(frozen=True, slots=True)
class Call:
    """What a handler gets: the state, server id, validated query, path parameters and body."""

    state: SandboxState
    server_id: int
    query: QueryReader
    path: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    origin: str = ""
    """`scheme://host:port` the request came to (the sandbox's own URL)."""

    def path_id(self, name: str) -> int:
        """A positive integer path parameter (`0` after recording a problem)."""
        value = path_integer(self.path.get(name, ""))
        if value is not None:
            return value
        self.query.problems.append(f"{name} must be an integer between 1 and {MAX_INT32}")
        return 0

    def path_domain(self, name: str = "domain") -> str:
        """A domain-name path parameter, lower-cased (`''` after recording a problem)."""
        text = self.path.get(name, "")
        if _DOMAIN.fullmatch(text):
            return text.lower()
        self.query.problems.append(f"{name} '{text}' is not a valid domain name")
        return ""

    def json_object(self) -> JsonObject | None:
        """The body as a JSON object, or None when it is not one (`json_body` reports that)."""
        data = read_json(self.body) if self.body else None
        return data if isinstance(data, dict) else None

    def json_body(self, fields: Collection[BodyField]) -> JsonObject:
        """The JSON object body, each declared member checked; unknown members are ignored."""
        data = read_json(self.body) if self.body else None
        if data is NOT_JSON:
            self.query.problems.append("the body is not valid JSON")
            return {}
        if not isinstance(data, dict):
            self.query.problems.append("the body must be a JSON object")
            return {}
        result: JsonObject = {}
        for spec in fields:
            if spec.name not in data:
                if spec.required:
                    self.query.problems.append(f"{spec.name} is required")
                continue
            problem = spec.check(data[spec.name])
            if problem is not None:
                self.query.problems.append(f"{spec.name} {problem}")
            else:
                result[spec.name] = data[spec.name]
        return result


NOT_JSON: Any = object()
"""What ``read_json`` gives for a body that is not JSON."""


def read_json(body: bytes) -> Any:
    """``body`` parsed as JSON, or ``NOT_JSON``: not UTF-8, not JSON, or nested past the parser's depth.

    The one reading of a JSON body in the sandbox, so a hostile body is a 400
    wherever it arrives, never a ``RecursionError`` turned 500.
    """
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return NOT_JSON


Handler = Callable[[Call], Response | None]
"""A handler of one operation."""


def _string_problem(value: object, spec: BodyField) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    if not spec.min_length <= len(value) <= spec.max_length:
        return f"must be {spec.min_length} to {spec.max_length} characters"
    return None


def _pattern_problem(pattern: re.Pattern[str], what: str) -> Callable[[object, BodyField], str | None]:
    def check(value: object, spec: BodyField) -> str | None:
        problem = _string_problem(value, spec)
        if problem is None and not pattern.fullmatch(str(value)):
            return f"'{value}' is not a valid {what}"
        return problem

    return check


def _email_problem(value: object, spec: BodyField) -> str | None:
    if not isinstance(value, str) or not is_valid_email(value):
        return "must be a valid email address"
    return None


def _integer_problem(value: object, spec: BodyField) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be an integer"
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        return "must be an integer"
    if not spec.minimum <= value <= MAX_INT32:
        return f"must be between {spec.minimum} and {MAX_INT32}"
    return None


def _boolean_problem(value: object, spec: BodyField) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _enum_problem(value: object, spec: BodyField) -> str | None:
    return None if value in spec.choices else f"must be one of: {', '.join(spec.choices)}"


def _id_list_problem(value: object, spec: BodyField) -> str | None:
    if not isinstance(value, list) or len(value) > spec.max_length:
        return f"must be a list of at most {spec.max_length} ids"
    inner = BodyField("id", "integer", minimum=1)
    return next((f"item: {p}" for p in map(lambda v: _integer_problem(v, inner), value) if p), None)


def _email_list_problem(value: object, spec: BodyField) -> str | None:
    if not isinstance(value, list) or not spec.min_length <= len(value) <= spec.max_length:
        return f"must be a list of {spec.min_length} to {spec.max_length} email addresses"
    for item in value:
        if not isinstance(item, str) or not is_valid_email(item):
            return f"item {item!r} is not a valid email address"
    return None


def _string_map_problem(value: object, spec: BodyField) -> str | None:
    if not isinstance(value, dict) or len(value) > 100:
        return "must be an object of at most 100 members"
    if not all(isinstance(v, str) and len(v) <= spec.max_length for v in value.values()):
        return f"values must be strings of at most {spec.max_length} characters"
    return None


_CHECKS: dict[str, Callable[[object, BodyField], str | None]] = {
    "string": _string_problem,
    "email": _email_problem,
    "domain": _pattern_problem(_DOMAIN, "domain name"),
    "selector": _pattern_problem(_SELECTOR, "DKIM selector"),
    "identifier": _pattern_problem(_IDENTIFIER, "name (a letter, then letters, digits or _)"),
    "integer": _integer_problem,
    "boolean": _boolean_problem,
    "enum": _enum_problem,
    "id_list": _id_list_problem,
    "string_map": _string_map_problem,
    "email_list": _email_list_problem,
}


@dataclass(frozen=True, slots=True)
class BodyField:
    """One declared member of a JSON body, as the spec's schema states it."""

    name: str
    kind: str
    required: bool = False
    nullable: bool = False
    min_length: int = 0
    max_length: int = 1_000_000
    minimum: int = 0
    choices: tuple[str, ...] = ()

    def check(self, value: object) -> str | None:
        """Why `value` does not fit, or `None`."""
        if value is None:
            return None if self.nullable else "must not be null"
        return _CHECKS[self.kind](value, self)


@dataclass(frozen=True, slots=True)
class ListArgs:
    """The validated list parameters of a search, download or report."""

    page_size: int
    page_number: int
    sort_field: str
    descending: bool
    start: int | None
    end: int | None

    @property
    def offset(self) -> int:
        """Index of the page's first item."""
        return self.page_number * self.page_size


def list_args(
    call: Call, *, max_page_size: int, fields: Collection[str], default_sort: str, dates: bool = True
) -> ListArgs:
    """Read paging, sorting and (when the operation has them) the date range."""
    q = call.query
    page_size = q.integer("pageSize", minimum=1, maximum=max_page_size, default=100)
    page_number = q.integer("pageNumber", minimum=0, maximum=MAX_INT32, default=0)
    sort_field = q.choice("sortField", tuple(fields), default_sort)
    direction = q.choice("sortDirection", _DIRECTIONS, "asc")
    start = q.date("startDate") if dates else None
    end = q.date("endDate") if dates else None
    return ListArgs(
        page_size=page_size,
        page_number=page_number,
        sort_field=sort_field,
        descending=direction == "dsc",
        start=None if start is None else start.start,
        end=None if end is None else end.end,
    )


def page_of(items: list[JsonObject], args: ListArgs) -> Response:
    """One page of already filtered and sorted items as the `{data, total}` envelope."""
    page = items[args.offset : args.offset + args.page_size]
    return json_response(200, {"data": page, "total": len(items)})
