"""Pagination: item and page iterators (sync and async) and CSV streaming.

Every operation the spec marks ``x-pagination`` gets this, with no per-operation
code: the generated method hands over its base request and the caller's
``ListQuery``; ``plan`` checks the query once (page size against the spec's
maximum, dates, sort direction, filters against ``x-filters``) so a bad call
fails before any request. An ad hoc call (``client.paginate``/``download``,
see ``_adhoc``) comes through the same way with a synthetic ``Operation``: its
page size is held to the API's usual maxima and its filters are checked for
form only (it has no ``x-filters``); its pages are plain dicts.

JSON lists (``page``): pages are fetched one at a time from the starting page.
Iteration stops when the pages so far reach ``total``, on an empty page, or
at ``max_items``. A page with the same items as the one before it raises
``RepeatedPageError`` (a server stuck on a page would otherwise loop forever
or duplicate rows).

CSV downloads (``csv``): each page's body is streamed and parsed chunk by
chunk, so memory stays constant however many rows. Each page must say
``Content-Range: rows a-b/total`` with ``a`` where the previous page ended,
answer 206 while rows remain and 200 on the last, keep the same ``total``
and header row, and hold exactly ``b - a + 1`` rows. Anything else raises
``CsvRangeError`` with ``next_row``, the first row not delivered: the rows
before it are complete, and ``start_row=next_row`` resumes. An empty result
is a 200 with the header row only and no ``Content-Range``.
"""

from __future__ import annotations

import codecs
import csv
import re
import sys
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from itertools import chain, count
from os import PathLike
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, cast

import httpx
from attrs import frozen
from socketlabs_api.operations import Operation
from socketlabs_api.resources import ListQuery, RequestOptions
from socketlabs_api.types import Response

from ._adhoc import is_adhoc
from ._body import BodyDecoder, BodyTooLarge, Unreadable, araw_chunks, content_encoding, raw_chunks
from ._dates import check_range, format_api_date
from ._errors import (
    ConfigurationError,
    CsvRangeError,
    InvalidParameterError,
    MalformedResponseError,
    RepeatedPageError,
    ResponseTooLargeError,
)
from ._filters import resolve_filters, resolve_untyped_filters, with_query

__all__ = [
    "AsyncCsvStream",
    "AsyncPageIterator",
    "CsvStream",
    "ListPlan",
    "PageIterator",
    "ProgressCallback",
    "list_request",
    "plan",
]

ItemT = TypeVar("ItemT")
PageT = TypeVar("PageT")
RowT = TypeVar("RowT")

ProgressCallback = Callable[[int, int | None], None]
"""``callback(rows_done, total)``; ``total`` is None until the first page said it."""

DEFAULT_PAGE_SIZE = {"page": 100, "csv": 10_000}
"""Used when the caller gives none (capped by the spec's maximum)."""

_MAX_PAGE_NUMBER = 2_147_483_647
_SORT_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]*", re.ASCII)
_CONTENT_RANGE = re.compile(r"rows (\d+)-(\d+)/(\d+)", re.ASCII)
_PROGRESS_EVERY = 8192
_RESUMES = 3
MAX_CSV_RECORD = 1024 * 1024
"""The longest CSV record (line, or quoted lines) held while it arrives."""


@frozen
class ListPlan:
    """A checked ``ListQuery``: wire values ready to send, and where to start and stop."""

    page_size: int
    first_page: int
    params: tuple[tuple[str, str], ...]
    filters: str | None
    max_items: int | None
    start_row: int


def _whole(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidParameterError(name, f"must be a whole number from {low} to {high}, not {value!r}")
    return value


def plan(operation: Operation, query: ListQuery) -> ListPlan:
    """Check the caller's list parameters for ``operation``; raise before anything is sent."""
    kind = operation.pagination or "page"
    maximum = operation.max_page_size or (500_000 if kind == "csv" else 100)
    size = query.page_size if query.page_size is not None else min(DEFAULT_PAGE_SIZE[kind], maximum)
    size = _whole("pageSize", size, 1, maximum)
    first = _whole("pageNumber", query.page_number, 0, _MAX_PAGE_NUMBER)
    params: list[tuple[str, str]] = []
    if query.sort_field is not None:
        if not isinstance(query.sort_field, str) or not _SORT_FIELD.fullmatch(query.sort_field):
            raise InvalidParameterError("sortField", f"{query.sort_field!r} is not a field name")
        params.append(("sortField", query.sort_field))
    if query.sort_direction is not None:
        direction = str(query.sort_direction)
        if direction not in ("asc", "dsc"):
            hint = " (the API spells descending 'dsc')" if direction.lower() == "desc" else ""
            raise InvalidParameterError("sortDirection", f"{direction!r} is not 'asc' or 'dsc'{hint}")
        params.append(("sortDirection", direction))
    start = None if query.start_date is None else format_api_date(query.start_date, "startDate")
    end = None if query.end_date is None else format_api_date(query.end_date, "endDate")
    check_range(start, end)
    params += [(name, value) for name, value in (("startDate", start), ("endDate", end)) if value is not None]
    filters = None
    if query.filters is not None and is_adhoc(operation) and not operation.filters:
        filters = resolve_untyped_filters(query.filters)  # no x-filters: the form is checked
    elif query.filters is not None:
        filters = resolve_filters(operation, query.filters)
    max_items = None if query.max_items is None else _whole("max_items", query.max_items, 0, sys.maxsize)
    start_row = _whole("start_row", query.start_row, 0, sys.maxsize)
    if max_items and max_items < size and first == 0 and start_row == 0:
        size = max_items  # ask only for what will be delivered
    if kind == "csv":  # a CSV download is placed by row; a start page is its first row
        first, start_row = (start_row // size, start_row) if start_row else (first, first * size)
    return ListPlan(size, first, tuple(params), filters, max_items, start_row)


def list_request(base: dict[str, Any], the_plan: ListPlan, page_number: int) -> dict[str, Any]:
    """The request for one page: the operation's own parameters, the list ones, ``filters`` last."""
    request = dict(base)
    extra = [("pageSize", str(the_plan.page_size)), ("pageNumber", str(page_number)), *the_plan.params]
    request["url"] = with_query(request["url"], request.pop("params", None), extra, the_plan.filters)
    return request


def _url(request: dict[str, Any]) -> str:
    return str(request.get("url", ""))


# JSON pages ------------------------------------------------------------------


def _member(page: Any, name: str) -> Any:
    """``data`` or ``total`` of a page: a generated model's attribute, or an ad hoc page's key."""
    if isinstance(page, Mapping):
        return page.get(name)
    return getattr(page, name, None)


class _SyncSender(Protocol):
    def execute(
        self,
        operation: Operation,
        request: dict[str, Any],
        build: Callable[..., Response[Any]],
        options: RequestOptions | None = None,
    ) -> Response[Any]: ...

    def stream(
        self, operation: Operation, request: dict[str, Any], options: RequestOptions | None = None
    ) -> AbstractContextManager[httpx.Response]: ...


class _AsyncSender(Protocol):
    async def execute(
        self,
        operation: Operation,
        request: dict[str, Any],
        build: Callable[..., Response[Any]],
        options: RequestOptions | None = None,
    ) -> Response[Any]: ...

    def stream(
        self, operation: Operation, request: dict[str, Any], options: RequestOptions | None = None
    ) -> AbstractAsyncContextManager[httpx.Response]: ...


class _PageWalk:
    """What both pagers decide after each page: stop, go on, or refuse a repeat."""

    def __init__(self, operation: Operation, the_plan: ListPlan) -> None:
        self.operation = operation
        self.plan = the_plan
        self.number = the_plan.first_page
        self.items = 0
        self._previous: list[Any] | None = None

    def check(self, page: Any, request: dict[str, Any]) -> bool:
        """Accept ``page`` (raise if it repeats the last one); True when it is the last to fetch."""
        data = list(_member(page, "data") or [])
        fingerprint = [item.to_dict() if hasattr(item, "to_dict") else item for item in data]
        if data and fingerprint == self._previous:
            raise RepeatedPageError(
                f"page {self.number} of {self.operation.operation_id} repeats page {self.number - 1}",
                operation=self.operation,
                method=str(request.get("method", "GET")).upper(),
                url=_url(request),
                next_page=self.number,
            )
        self._previous = fingerprint
        self.items += len(data)
        total = _member(page, "total")
        done_by_total = isinstance(total, int) and (self.number + 1) * self.plan.page_size >= total
        done_by_max = self.plan.max_items is not None and self.items >= self.plan.max_items
        self.number += 1
        return not data or done_by_total or done_by_max


SenderT = TypeVar("SenderT")


class _Pager(Generic[SenderT]):
    """What both pagers hold: the sender, the operation's base request and parser, the checked plan."""

    def __init__(
        self,
        sender: SenderT,
        operation: Operation,
        base: dict[str, Any],
        build: Callable[..., Response[Any]],
        the_plan: ListPlan,
        *,
        options: RequestOptions | None = None,
    ) -> None:
        self._sender = sender
        self._operation = operation
        self._base = base
        self._build = build
        self.plan = the_plan
        self._options = options


class PageIterator(_Pager[_SyncSender], Generic[ItemT, PageT]):
    """Items across pages (iterate it) or the pages (``.pages()``); fetches lazily."""

    def _fetch(self, number: int) -> tuple[PageT, dict[str, Any]]:
        request = list_request(self._base, self.plan, number)
        response = self._sender.execute(self._operation, dict(request), self._build, self._options)
        page = cast("PageT", response.parsed)
        return page, request

    def first_page(self) -> PageT:
        """The starting page only."""
        return self._fetch(self.plan.first_page)[0]

    def pages(self) -> Iterator[PageT]:
        """Every page from the starting page, until ``total``, an empty page or ``max_items``."""
        walk = _PageWalk(self._operation, self.plan)
        while self.plan.max_items != 0:
            page, request = self._fetch(walk.number)
            last = walk.check(page, request)
            yield page
            if last:
                return

    def __iter__(self) -> Iterator[ItemT]:
        remaining = self.plan.max_items
        for page in self.pages():
            for item in _member(page, "data") or []:
                if remaining is not None:
                    if remaining <= 0:
                        return
                    remaining -= 1
                yield item


class AsyncPageIterator(_Pager[_AsyncSender], Generic[ItemT, PageT]):
    """The async twin of ``PageIterator``; ``await`` it for the starting page."""

    async def _fetch(self, number: int) -> tuple[PageT, dict[str, Any]]:
        request = list_request(self._base, self.plan, number)
        response = await self._sender.execute(self._operation, dict(request), self._build, self._options)
        page = cast("PageT", response.parsed)
        return page, request

    async def first_page(self) -> PageT:
        """The starting page only."""
        return (await self._fetch(self.plan.first_page))[0]

    def __await__(self) -> Generator[Any, None, PageT]:
        return self.first_page().__await__()

    async def pages(self) -> AsyncIterator[PageT]:
        """Every page from the starting page, until ``total``, an empty page or ``max_items``."""
        walk = _PageWalk(self._operation, self.plan)
        while self.plan.max_items != 0:
            page, request = await self._fetch(walk.number)
            last = walk.check(page, request)
            yield page
            if last:
                return

    async def _items(self) -> AsyncIterator[ItemT]:
        remaining = self.plan.max_items
        async for page in self.pages():
            for item in _member(page, "data") or []:
                if remaining is not None:
                    if remaining <= 0:
                        return
                    remaining -= 1
                yield item

    def __aiter__(self) -> AsyncIterator[ItemT]:
        return self._items()


# CSV -------------------------------------------------------------------------


class _Records:
    """Splits streamed text into complete CSV records (a quoted field may hold newlines).

    A record longer than ``MAX_CSV_RECORD`` characters is refused: a line that
    never ends would otherwise be held whole.
    """

    def __init__(self) -> None:
        self._partial = ""
        self._record: list[str] = []
        self._held = 0
        self._quoted = False

    def push(self, chunk: str) -> list[str]:
        """The records completed by ``chunk`` (for ``csv.reader``).

        Text with no quote in it, outside a quoted field, is split at newlines and
        handed on as it is: every line is a record, with no per-line work.
        """
        text = self._partial + chunk
        lines = text.split("\n")
        self._partial = lines.pop()
        if len(self._partial) + self._held > MAX_CSV_RECORD:
            raise BodyTooLarge(MAX_CSV_RECORD, f"a CSV record is longer than {MAX_CSV_RECORD} characters")
        if not self._quoted and not self._record and '"' not in text:
            return lines
        done: list[str] = []
        for line in lines:
            if line.count('"') % 2:
                self._quoted = not self._quoted
            if self._quoted:
                self._record.append(line + "\n")
                self._held += len(line) + 1
            elif self._record:
                self._record.append(line + "\n")
                done.append("".join(self._record))
                self._record, self._held = [], 0
            else:
                done.append(line + "\n")
        if len(self._partial) + self._held > MAX_CSV_RECORD:
            raise BodyTooLarge(MAX_CSV_RECORD, f"a CSV record is longer than {MAX_CSV_RECORD} characters")
        return done

    def flush(self) -> list[str]:
        """What is left at the end of a body (a last record without a newline)."""
        rest = "".join(self._record) + self._partial
        self._record, self._partial, self._quoted, self._held = [], "", False, 0
        return [rest] if rest else []


class _PageBody:
    """One CSV page: raw bytes, decoded under the body guard, to text, to complete records."""

    def __init__(self, response: httpx.Response) -> None:
        self._decoder = BodyDecoder(content_encoding(response), None)
        self._text = codecs.getincrementaldecoder(response.encoding or "utf-8")(errors="replace")
        self._records = _Records()

    def push(self, raw: bytes) -> list[str]:
        """The records that ``raw`` completes."""
        done: list[str] = []
        for piece in self._decoder.feed(raw):
            done += self._records.push(self._text.decode(piece))
        return done

    def end(self) -> list[str]:
        """The records left when the body ends."""
        return self._records.push(self._text.decode(b"", final=True)) + self._records.flush()


def _unreadable_page(
    operation: Operation, response: httpx.Response, exc: Exception
) -> MalformedResponseError:
    """A page the client cannot read (too large a record, a bomb, bad CSV): a typed error."""
    request = response.request
    where = f"{operation.operation_id}: {response.status_code} from {request.method} {request.url}"
    if isinstance(exc, BodyTooLarge):
        return ResponseTooLargeError(
            f"{where}: {exc.what}", operation=operation, response=response, limit=exc.limit
        )
    what = exc.what if isinstance(exc, Unreadable) else f"the CSV cannot be read ({exc})"
    return MalformedResponseError(f"{where}: {what}", operation=operation, response=response)


def _snake(name: str) -> str:
    """``suppressionLastUpdate`` -> ``suppression_last_update`` (for ``records``)."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


class _CsvWalk:
    """Checks each CSV page against the ones before it and counts the rows delivered."""

    def __init__(self, operation: Operation, the_plan: ListPlan, progress: ProgressCallback | None) -> None:
        self.operation = operation
        self.plan = the_plan
        self.progress = progress
        self.header: list[str] | None = None
        self.total: int | None = None
        self.next_row = the_plan.start_row
        self.delivered = 0
        self.number = the_plan.first_page
        self._expected = 0
        self._seen = 0
        self._last = False
        self._header_pending = True
        self._overflow = False
        self._request: dict[str, Any] = {}
        self.skip_to = the_plan.start_row
        """Rows before this one are not delivered (``start_row``, then what a broken page delivered)."""

    @property
    def exhausted(self) -> bool:
        """True once ``max_rows`` rows were delivered."""
        return self.plan.max_items is not None and self.delivered >= self.plan.max_items

    def _error(self, message: str) -> CsvRangeError:
        return CsvRangeError(
            f"{self.operation.operation_id}, page {self.number}: {message}; rows before {self.next_row}"
            f" were delivered, resume with start_row={self.next_row}",
            operation=self.operation,
            method=str(self._request.get("method", "GET")).upper(),
            url=_url(self._request),
            next_page=self.number,
            next_row=self.next_row,
        )

    def open_page(self, request: dict[str, Any], response: httpx.Response) -> None:
        """Check a page's status and ``Content-Range`` before reading its rows."""
        self._request = request
        self._seen = 0
        self._overflow = False
        status = response.status_code
        first = self.number * self.plan.page_size
        raw = response.headers.get("content-range")
        if status not in (200, 206):
            raise self._error(f"status {status} is not 200 or 206")
        if raw is None:
            if status == 206:
                raise self._error("a 206 page has no Content-Range")
            if self.total is not None and self.total > first:
                raise self._error(f"the rows from {first} on are missing (a 200 with no Content-Range)")
            self.total = self.total or 0
            self._expected, self._last = 0, True
            return
        match = _CONTENT_RANGE.fullmatch(raw.strip())
        if match is None:
            raise self._error(f"Content-Range {raw!r} is not 'rows a-b/total'")
        a, b, total = (int(g) for g in match.groups())
        if self.total is not None and total != self.total:
            raise self._error(f"the total changed from {self.total} to {total} during the download")
        last = b >= total - 1
        if a != first or b < a or b >= total or b - a + 1 > self.plan.page_size:
            raise self._error(f"Content-Range {raw!r} does not fit page size {self.plan.page_size}")
        if not last and b - a + 1 != self.plan.page_size:
            raise self._error(f"Content-Range {raw!r} is short but not the last page: rows would be lost")
        if (status == 206) == last:
            raise self._error(
                f"status {status} with Content-Range {raw!r} ({'last' if last else 'not last'})"
            )
        self.total, self._expected, self._last = total, b - a + 1, last

    def take(self, rows: Iterable[list[str]]) -> list[list[str]]:
        """The data rows of one chunk to deliver, checked and trimmed.

        The header row is checked, rows before ``start_row`` skipped and ``max_rows``
        applied. Rows beyond what ``Content-Range`` promised are held back and reported
        by ``check_overflow`` once the rows before them are delivered.
        """
        batch = rows if isinstance(rows, list) else list(rows)
        if batch and self._header_pending:
            self._check_header(batch[0])
            batch = batch[1:]
        first = self.number * self.plan.page_size + self._seen
        room = self._expected - self._seen
        if len(batch) > room:
            self._overflow = True
            batch = batch[:room]
        self._seen += len(batch)
        skip = max(0, self.skip_to - first)
        if skip:
            batch = batch[skip:]
        if self.plan.max_items is not None:
            batch = batch[: max(0, self.plan.max_items - self.delivered)]
        if batch:
            before = self.delivered
            self.delivered += len(batch)
            self.next_row = first + skip + len(batch)
            if self.progress is not None and before // _PROGRESS_EVERY != self.delivered // _PROGRESS_EVERY:
                self.progress(self.delivered, self.total)
        return batch

    def resume_after(self, error: httpx.HTTPError, resumes: int) -> int:
        """A page broke mid-body: ask for it again from the first row not delivered, or raise."""
        if resumes <= 0:
            raise self._error(f"the connection failed mid-page ({type(error).__name__})") from error
        self.skip_to = self.next_row
        return resumes - 1

    def check_overflow(self) -> None:
        """Raise if the page held more rows than its ``Content-Range`` says."""
        if self._overflow:
            raise self._error(f"more rows than Content-Range says ({self._expected})")

    def _check_header(self, row: list[str]) -> None:
        if self.header is None:
            self.header = row
        elif row != self.header:
            raise self._error(f"the header row changed from {self.header} to {row}")
        self._header_pending = False

    def start_body(self) -> None:
        """A new page body begins: its first row is the header again."""
        self._header_pending = True

    def close_page(self) -> bool:
        """Check the page was complete; True when it was the last page to fetch."""
        if self._header_pending:
            raise self._error("the body is empty (no header row)")
        if self._seen < self._expected and not self.exhausted:
            raise self._error(f"truncated: {self._seen} of the {self._expected} rows Content-Range promised")
        if self.progress is not None:
            self.progress(self.delivered, self.total)
        self.number += 1
        return self._last or self.exhausted


def _tqdm_progress(enabled: Any) -> ProgressCallback | None:
    """``True`` means a progress bar on a terminal (tqdm, the ``progress`` extra)."""
    if enabled is None or enabled is False:
        return None
    if callable(enabled):
        callback: ProgressCallback = enabled
        return callback
    if enabled is not True:
        raise InvalidParameterError("progress", "must be a callable(rows_done, total), True or None")
    try:
        from tqdm import tqdm  # noqa: PLC0415  # optional extra, imported only when asked for
    except ImportError:
        raise ConfigurationError(
            "progress=True needs tqdm: pip install 'socketlabs-client[progress]'"
        ) from None
    bar = tqdm(unit="rows", disable=not sys.stderr.isatty())

    def update(done: int, total: int | None) -> None:
        if total is not None and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)
        if total is not None and done >= total:
            bar.close()

    return update


class _CsvBase:
    def __init__(
        self,
        operation: Operation,
        base: dict[str, Any],
        the_plan: ListPlan,
        progress: Any,
        options: RequestOptions | None,
    ) -> None:
        self._operation = operation
        self._base = base
        self.plan = the_plan
        self._progress = _tqdm_progress(progress)
        self._options = options
        self.header: list[str] | None = None
        self.rows_done = 0

    def _resumes(self) -> int:
        """How often a page that breaks mid-body is asked for again (the call's ``max_retries``)."""
        if self._options is not None and self._options.max_retries is not None:
            return self._options.max_retries
        return _RESUMES

    def _walk(self) -> _CsvWalk:
        return _CsvWalk(self._operation, self.plan, self._progress)

    def _keys(self) -> list[str]:
        return self.header or []

    def _deliver(self, walk: _CsvWalk, batch: list[list[str]]) -> Iterator[list[list[str]]]:
        """Hand over a non-empty batch, then report rows beyond the range (after the good ones)."""
        self.header = walk.header
        if batch:
            self.rows_done = walk.delivered
            yield batch
        walk.check_overflow()

    def _open(self, path: str | PathLike[str]) -> Any:
        """Append when resuming (``start_row`` > 0), so the file keeps its earlier rows."""
        return Path(path).open("a" if self.plan.start_row else "w", encoding="utf-8", newline="")


class CsvStream(_CsvBase):
    """The rows of a CSV download across pages, each page streamed (constant memory)."""

    def __init__(
        self,
        sender: _SyncSender,
        operation: Operation,
        base: dict[str, Any],
        the_plan: ListPlan,
        progress: Any,
        *,
        options: RequestOptions | None = None,
    ) -> None:
        super().__init__(operation, base, the_plan, progress, options)
        self._sender = sender

    def batches(self) -> Iterator[list[list[str]]]:
        """The data rows in the lists they arrive in (one per received chunk): the fast path."""
        walk = self._walk()
        if walk.exhausted:  # max_rows=0: nothing to fetch
            return
        resumes = self._resumes()
        for number in count(walk.number):
            request = list_request(self._base, self.plan, number)
            while True:
                with self._sender.stream(self._operation, dict(request), self._options) as response:
                    walk.open_page(request, response)
                    walk.start_body()
                    try:
                        body = _PageBody(response)
                        for raw in raw_chunks(response):
                            yield from self._deliver(walk, walk.take(csv.reader(body.push(raw))))
                            if walk.exhausted:
                                return
                        yield from self._deliver(walk, walk.take(csv.reader(body.end())))
                    except httpx.HTTPError as exc:
                        resumes = walk.resume_after(exc, resumes)  # reads are retry-safe: the page again
                        continue
                    except (Unreadable, csv.Error) as exc:
                        raise _unreadable_page(self._operation, response, exc) from None
                self.header = walk.header
                break
            if walk.close_page():
                return

    def rows(self) -> Iterator[list[str]]:
        """Every data row as a list of strings (``header`` is set once the first page arrives)."""
        return chain.from_iterable(self.batches())  # no Python frame per row

    def __iter__(self) -> Iterator[dict[str, str]]:
        for row in self.rows():
            yield dict(zip(self._keys(), row, strict=False))

    def records(self, factory: Callable[..., RowT]) -> Iterator[RowT]:
        """Every row as ``factory(**row)`` with snake_case keys (``email_address=...``)."""
        for row in self.rows():
            yield factory(**{_snake(k): v for k, v in zip(self._keys(), row, strict=False)})

    def save(self, path: str | PathLike[str]) -> int:
        """Stream the rows into a CSV file (one header row); returns the rows written.

        With ``start_row`` > 0 the rows are appended to ``path``, which holds the
        rows before them from an interrupted download.
        """
        written = 0
        with self._open(path) as file:
            writer = csv.writer(file, lineterminator="\n")
            for batch in self.batches():
                if written == 0 and not self.plan.start_row:
                    writer.writerow(self._keys())
                writer.writerows(batch)
                written += len(batch)
            if written == 0 and not self.plan.start_row and self.header:
                writer.writerow(self.header)
        return written


class AsyncCsvStream(_CsvBase):
    """The async twin of ``CsvStream``."""

    def __init__(
        self,
        sender: _AsyncSender,
        operation: Operation,
        base: dict[str, Any],
        the_plan: ListPlan,
        progress: Any,
        *,
        options: RequestOptions | None = None,
    ) -> None:
        super().__init__(operation, base, the_plan, progress, options)
        self._sender = sender

    async def batches(self) -> AsyncIterator[list[list[str]]]:
        """The data rows in the lists they arrive in (one per received chunk)."""
        walk = self._walk()
        if walk.exhausted:  # max_rows=0: nothing to fetch
            return
        resumes = self._resumes()
        for number in count(walk.number):
            request = list_request(self._base, self.plan, number)
            while True:
                async with self._sender.stream(self._operation, dict(request), self._options) as response:
                    walk.open_page(request, response)
                    walk.start_body()
                    try:
                        body = _PageBody(response)
                        async for raw in araw_chunks(response):
                            for batch in self._deliver(walk, walk.take(csv.reader(body.push(raw)))):
                                yield batch
                            if walk.exhausted:
                                return
                        for batch in self._deliver(walk, walk.take(csv.reader(body.end()))):
                            yield batch
                    except httpx.HTTPError as exc:
                        resumes = walk.resume_after(exc, resumes)
                        continue
                    except (Unreadable, csv.Error) as exc:
                        raise _unreadable_page(self._operation, response, exc) from None
                self.header = walk.header
                break
            if walk.close_page():
                return

    async def rows(self) -> AsyncIterator[list[str]]:
        """Every data row as a list of strings."""
        async for batch in self.batches():
            for row in batch:
                yield row

    async def _dicts(self) -> AsyncIterator[dict[str, str]]:
        async for row in self.rows():
            yield dict(zip(self._keys(), row, strict=False))

    def __aiter__(self) -> AsyncIterator[dict[str, str]]:
        return self._dicts()

    async def records(self, factory: Callable[..., RowT]) -> AsyncIterator[RowT]:
        """Every row as ``factory(**row)`` with snake_case keys."""
        async for row in self.rows():
            yield factory(**{_snake(k): v for k, v in zip(self._keys(), row, strict=False)})

    async def save(self, path: str | PathLike[str]) -> int:
        """Stream the rows into a CSV file (see ``CsvStream.save``); returns the rows written."""
        written = 0
        with self._open(path) as file:
            writer = csv.writer(file, lineterminator="\n")
            async for batch in self.batches():
                if written == 0 and not self.plan.start_row:
                    writer.writerow(self._keys())
                writer.writerows(batch)
                written += len(batch)
            if written == 0 and not self.plan.start_row and self.header:
                writer.writerow(self.header)
        return written
