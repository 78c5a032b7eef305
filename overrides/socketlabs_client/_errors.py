"""Every error this client raises, in one tree.

```
SocketLabsError
├── ConfigurationError                 bad or missing settings; nothing was sent
├── InvalidRequestError                bad arguments to a call (also a ValueError); nothing was sent
│   └── InvalidParameterError          a bad call argument (page size, date, ...)
│       └── InvalidFilterError         a filter that does not fit the operation's x-filters
├── MessageValidationError             a message breaks a rule (field, code); nothing was sent
├── ClientStateError                   a closed client, or an async client used from another event loop
├── NotListedError                     a streamed send's report counts accepted recipients, does not list them
├── LedgerError                        the send ledger's Redis cannot be trusted or reached
│   ├── LedgerNotDurableError          Redis would forget (no append-only file) or evict; a ConfigurationError
│   └── LedgerUnavailableError         a Redis command failed; ``report`` holds what was sent before
└── APIError                           a call went wrong (operation, method, url, processed)
    ├── APIConnectionError             no answer: refused, reset, protocol error
    │   ├── APITimeoutError            no answer in time
    │   └── OutcomeUnknownError        a send/create may have been processed; names what is in doubt
    ├── RateLimitWaitError             the client's limiter would wait longer than max_wait; nothing sent
    ├── APIStatusError                 an HTTP error status (status_code, errors, body)
    │   ├── BadRequestError            400
    │   │   └── ReportingHistoryError  400 ReportingHistoryExceeded: before the plan's history
    │   ├── AuthenticationError        401
    │   ├── PermissionDeniedError      403
    │   ├── NotFoundError              404
    │   ├── ConflictError              409 (the name, address or domain exists)
    │   ├── RateLimitError             429 (retry_after)
    │   └── InternalServerError        5xx
    ├── MalformedResponseError         a success status whose body does not parse
    │   └── ResponseTooLargeError      an answer over max_response_size, or decompressing past the ratio
    ├── PaginationError                the pages do not fit together (next_page / next_row to resume)
    │   ├── RepeatedPageError          the server sent the same page twice
    │   └── CsvRangeError              a CSV page is truncated or its Content-Range is inconsistent
    └── InjectionError                 the Injection API said 200 with a failure ErrorCode
        ├── InjectionAuthenticationError   InvalidAuthentication, AccountDisabled, TooManyErrors
        ├── InjectionOverQuotaError        OverQuota: the send was rate limited
        └── InjectionRejectedError         any other failure code, unknown codes included
└── WebhookError                       a post to your receiver was refused (status_code)
    ├── WebhookParseError              400: not a readable event or inbound message
    ├── WebhookAuthenticationError     401: SecretKey or ServerId does not match
    ├── WebhookPayloadTooLargeError    413: the body is over the receiver's limit
    └── WebhookContentTypeError        415: neither JSON nor form-encoded
```

Error bodies are read leniently: the v2 envelope ``{"error": [...]}`` (one or
many, any member case), the management v1 bare list, and the injection
``ErrorCode`` body all become ``ErrorDetail`` items; a body that is none of
these still gives a typed error with the status. The API key never appears in
an error in any of its spellings: every error the lifecycle raises goes through
``_redact.scrub_exception`` (message, reason phrase, headers, body, chained
causes), and text taken from a response is redacted before it is cut.

``APIError.processed`` carries the lifecycle's one verdict (``Processed``:
yes / no / unknown) on whether the server acted on the request. Every error
pickles with its attributes, so it can cross a process pool.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import httpx
from socketlabs_api.models import InjectionErrorCode
from socketlabs_api.operations import Operation
from socketlabs_api.tables import INJECTION_CODE_MEANINGS as INJECTION_CODE_MEANINGS  # noqa: PLC0414 - re-exported
from socketlabs_api.types import Record, Response

from ._redact import REDACTED as REDACTED  # noqa: PLC0414 - re-exported
from ._redact import redact as redact  # noqa: PLC0414 - re-exported
from ._redact import redactor, scrub_exception
from ._tiers import ShapeDriftWarning as ShapeDriftWarning  # noqa: PLC0414 - re-exported beside the errors
from ._tiers import UnverifiedOperationWarning as UnverifiedOperationWarning  # noqa: PLC0414
from ._tiers import drift_note, unverified_note

if TYPE_CHECKING:
    from socketlabs_api.models import InjectionResponse

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientStateError",
    "ConfigurationError",
    "CsvRangeError",
    "ErrorDetail",
    "InjectionAuthenticationError",
    "InjectionError",
    "InjectionOverQuotaError",
    "InjectionRejectedError",
    "InternalServerError",
    "InvalidFilterError",
    "InvalidParameterError",
    "InvalidRequestError",
    "LedgerError",
    "LedgerNotDurableError",
    "LedgerUnavailableError",
    "MalformedResponseError",
    "MessageInDoubt",
    "MessageValidationError",
    "NotFoundError",
    "OutcomeUnknownError",
    "PaginationError",
    "PermissionDeniedError",
    "Processed",
    "RateLimitError",
    "RateLimitWaitError",
    "RepeatedPageError",
    "ReportingHistoryError",
    "ResponseTooLargeError",
    "SocketLabsError",
    "WebhookAuthenticationError",
    "WebhookContentTypeError",
    "WebhookError",
    "WebhookParseError",
    "WebhookPayloadTooLargeError",
]

_BODY_PREVIEW = 300

_AUTH_CODES = frozenset({"InvalidAuthentication", "AccountDisabled", "TooManyErrors"})
_ACCEPTED_CODES = frozenset({InjectionErrorCode.SUCCESS, InjectionErrorCode.WARNING})


class ErrorDetail(Record):
    """One error the API reported: its type (or injection code) and message."""

    error_type: str
    message: str


class Processed(StrEnum):
    """The one verdict on whether the server acted on a request."""

    YES = "yes"
    """It answered with success: the request was processed."""
    NO = "no"
    """It certainly was not processed (never sent, refused, rate limited): sending again is safe."""
    UNKNOWN = "unknown"
    """It may have been processed: a resend could act twice (for mail: deliver it twice)."""


def _rebuilt(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    error = cls.__new__(cls)
    BaseException.__init__(error, *args)
    error.__dict__.update(state)
    return error


class SocketLabsError(Exception):
    """Base class of every error raised by socketlabs_client."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by state: the subclasses' keyword-only ``__init__`` cannot be called with ``args``."""
        return _rebuilt, (type(self), self.args, dict(self.__dict__))


class ClientStateError(SocketLabsError):
    """The client cannot send: it was closed, or (async) it is used from another event loop."""


class NotListedError(SocketLabsError, LookupError):
    """A streamed send's report was asked to list recipients it only counted (see ``SendReport.counts``)."""


class ConfigurationError(SocketLabsError):
    """A setting is missing or invalid; no request was sent."""


class LedgerError(SocketLabsError):
    """The send ledger cannot vouch for what was sent: its Redis is not durable or not reachable."""


class LedgerNotDurableError(LedgerError, ConfigurationError):
    """The ledger's Redis would forget what was sent (no append-only file) or evict it; nothing was sent."""


class LedgerUnavailableError(LedgerError):
    """A Redis command of the ledger failed.

    ``report`` is the ``LedgerReport`` of what this call did before (and despite)
    the failure, when any request reached the API: the mail that went is in it,
    even though the ledger may not have recorded it. Entries it could not record
    stay *sending* in Redis and are settled by ``resolve_in_doubt``.
    """

    def __init__(self, message: str, *, report: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.report = report


class InvalidRequestError(SocketLabsError, ValueError):
    """A call's arguments are invalid (e.g. an absolute URL for ``request``); nothing was sent."""


class InvalidParameterError(InvalidRequestError):
    """One named call argument is invalid (page size, date, sort direction, ...); nothing was sent."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


class InvalidFilterError(InvalidParameterError):
    """A filter names an unknown field, a predicate that does not fit its type, or a bad value."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("filters", "; ".join(self.problems))


class MessageValidationError(SocketLabsError):
    """A message breaks a rule the client checks before sending; nothing was sent.

    ``field`` names the member in the API's terms (``"From.EmailAddress"``,
    ``"To[3].EmailAddress"``, ``"MergeData.PerMessage[2]"``), ``code`` is the
    rule (the official libraries' ``SendResult`` name where they have one),
    and ``message_index`` the position of the message in what was passed to
    ``send`` (``None`` for a single message checked on its own).
    """

    def __init__(self, message: str, *, field: str, code: str, message_index: int | None = None) -> None:
        where = f"message {message_index}: " if message_index is not None else ""
        super().__init__(f"{where}{field}: {message}")
        self.field = field
        self.code = code
        self.message_index = message_index
        self.reason = message


class APIError(SocketLabsError):
    """A call to the API failed; says which operation and where, and whether it was processed."""

    processed: Processed = Processed.UNKNOWN
    """The lifecycle's verdict; set on every error it raises (see ``Processed``)."""
    retryable: bool = False
    """Part of the same verdict: refused for now, not for good (rate limited, 503, never sent)."""

    def __init__(self, message: str, *, operation: Operation | None, method: str, url: str) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.method = method
        self.url = url

    @property
    def operation_id(self) -> str | None:
        """The spec's operationId of the failed call, if known."""
        return self.operation.operation_id if self.operation else None


class APIConnectionError(APIError):
    """No answer came back: connection refused or reset, or a protocol error."""


class APITimeoutError(APIConnectionError):
    """No answer came back in time."""


class MessageInDoubt(Record):
    """One message of a request whose outcome is unknown: it may or may not have been sent.

    ``index`` is its position in the request's ``Messages``; ``recipients`` every address it
    was for (To, Cc, Bcc and merge-data delivery addresses); ``message_id`` its ``MessageId``
    if the caller set one, so the caller can look it up before deciding to send again.
    """

    index: int
    recipients: tuple[str, ...]
    message_id: str | None


class OutcomeUnknownError(APIConnectionError):
    """A request that may send mail (or create something) got no usable answer after it was sent.

    It was **not** retried, because a repeat could send the messages twice. ``in_doubt``
    names each message of the request; ``status_code`` is set when the server did answer
    (e.g. 500/502/504, or a 2xx whose body could not be read), else None.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: Operation | None,
        method: str,
        url: str,
        in_doubt: tuple[MessageInDoubt, ...],
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, operation=operation, method=method, url=url)
        self.in_doubt = in_doubt
        self.status_code = status_code


class RateLimitWaitError(APIError):
    """The client's rate limiter would hold the request longer than ``max_wait``; it was not sent.

    ``wait`` is the seconds the limiter would have needed, ``family`` the limit that was full.
    """

    def __init__(
        self, message: str, *, operation: Operation | None, method: str, url: str, wait: float, family: str
    ) -> None:
        super().__init__(message, operation=operation, method=method, url=url)
        self.wait = wait
        self.family = family


class MalformedResponseError(APIError):
    """The status said success, but the body is not what the spec describes."""

    def __init__(self, message: str, *, operation: Operation | None, response: httpx.Response) -> None:
        super().__init__(
            message, operation=operation, method=response.request.method, url=_url(response.request)
        )
        self.status_code = response.status_code


class ResponseTooLargeError(MalformedResponseError):
    """The answer was larger than ``max_response_size``, or expanded past the decompression ratio.

    Reading stopped there, so memory stays bounded; ``limit`` is the size that was exceeded.
    """

    def __init__(
        self, message: str, *, operation: Operation | None, response: httpx.Response, limit: int
    ) -> None:
        super().__init__(message, operation=operation, response=response)
        self.limit = limit


class PaginationError(APIError):
    """The server's pages do not fit together; what was delivered before is valid.

    ``next_page`` (JSON lists) or ``next_row`` (CSV) is where to resume.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: Operation | None,
        method: str,
        url: str,
        next_page: int | None = None,
        next_row: int | None = None,
    ) -> None:
        super().__init__(message, operation=operation, method=method, url=url)
        self.next_page = next_page
        self.next_row = next_row


class RepeatedPageError(PaginationError):
    """The server answered a page with the same items as the page before it."""


class CsvRangeError(PaginationError):
    """A CSV page has fewer rows than its ``Content-Range`` says, or a range that does not follow on."""


class APIStatusError(APIError):
    """The API answered with an HTTP error status."""

    def __init__(
        self,
        message: str,
        *,
        operation: Operation | None,
        response: httpx.Response,
        errors: tuple[ErrorDetail, ...],
        body: str,
        full_body: str | None = None,
    ) -> None:
        super().__init__(
            message, operation=operation, method=response.request.method, url=_url(response.request)
        )
        self.status_code = response.status_code
        self.errors = errors
        self.body = body
        """The start of the answer's body (redacted), as the message shows it."""
        self.full_body = body if full_body is None else full_body
        """The whole body of the answer (redacted), to judge or parse it: ``body`` is only its start."""
        self.headers = response.headers  # redacted with the rest by scrub_exception


class BadRequestError(APIStatusError):
    """400: the request is invalid."""


class ReportingHistoryError(BadRequestError):
    """400 ``ReportingHistoryExceeded``: the range reaches back before the plan's reporting history.

    The docs name the limit but not its answer: the 400 and the errorType are assumed.
    """


REPORTING_HISTORY_ERROR_TYPE = "ReportingHistoryExceeded"


class AuthenticationError(APIStatusError):
    """401: the API key is missing or invalid."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this, or the plan lacks the feature."""


class NotFoundError(APIStatusError):
    """404: no such resource (e.g. removing an address that is not suppressed)."""


class ConflictError(APIStatusError):
    """409: an item with the same unique value (name, address, domain) exists."""


class RateLimitError(APIStatusError):
    """429: rate limited; ``retry_after`` is the server's wait in seconds, if it gave one."""

    @property
    def retry_after(self) -> float | None:
        """Seconds to wait, from ``Retry-After`` (seconds or an HTTP date)."""
        return parse_retry_after(self.headers.get("retry-after"))


class InternalServerError(APIStatusError):
    """5xx: the API failed."""


class InjectionError(APIError):
    """The Injection API answered 200, but its ``ErrorCode`` is a failure."""

    def __init__(
        self,
        message: str,
        *,
        operation: Operation | None,
        response: httpx.Response,
        result: InjectionResponse,
        transaction_receipt: str | None,
    ) -> None:
        super().__init__(
            message, operation=operation, method=response.request.method, url=_url(response.request)
        )
        self.result = result
        self.error_code = result.error_code
        self.transaction_receipt = transaction_receipt


class InjectionAuthenticationError(InjectionError):
    """The server id and key were refused, the account is disabled, or too many failures."""


class InjectionOverQuotaError(InjectionError):
    """``OverQuota``: the send was rate limited and not processed."""


class InjectionRejectedError(InjectionError):
    """Any other failure code, including codes this client does not know."""


_STATUS_CLASSES: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


class WebhookError(SocketLabsError):
    """A webhook or inbound post was refused; ``status_code`` is what the receiver answers.

    Messages say why without quoting the body, so a forged secret never lands in a log.
    """

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WebhookParseError(WebhookError):
    """400: the body is not JSON/form data, not UTF-8, or lacks a member the type requires."""


class WebhookAuthenticationError(WebhookError):
    """401: the post's ``SecretKey`` or ``ServerId`` is missing or not one of ours."""

    status_code = 401


class WebhookPayloadTooLargeError(WebhookError):
    """413: the body is larger than the receiver accepts."""

    status_code = 413


class WebhookContentTypeError(WebhookError):
    """415: the content type is neither JSON nor ``application/x-www-form-urlencoded``."""

    status_code = 415


def preview(text: str, secrets: Iterable[str], limit: int = 300) -> str:
    """``text`` redacted, then cut to ``limit`` characters (never cut first: a cut key would show)."""
    return redactor(tuple(secrets)).preview(text, limit)


_MAX_RETRY_AFTER_TEXT = 64
_DELAY_SECONDS = re.compile(r"[0-9]+", re.ASCII)
_HTTP_DATE_TEXT = re.compile(r"[A-Za-z0-9 ,:\-]+", re.ASCII)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Read ``Retry-After`` as whole seconds or an HTTP date (relative to ``now``); None otherwise.

    Strict, as RFC 9110 writes it: ASCII digits only (no sign, fraction,
    ``1_0`` or other scripts' digits, all of which ``float()`` would take), or
    a date in ASCII letters, digits, spaces and ``,:-``. Anything else is
    ignored and the policy's own backoff applies.
    """
    if value is None or len(value) > _MAX_RETRY_AFTER_TEXT:
        return None
    value = value.strip(" \t")
    if _DELAY_SECONDS.fullmatch(value):
        return float(int(value))
    if not _HTTP_DATE_TEXT.fullmatch(value):
        return None
    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _url(request: httpx.Request) -> str:
    """The request's URL without its query, which may carry addresses."""
    return str(request.url.copy_with(query=None))


def _member(obj: Mapping[str, Any], name: str) -> Any:
    wanted = name.casefold()
    for key, value in obj.items():
        if isinstance(key, str) and key.casefold() == wanted:
            return value
    return None


def _details_from(items: Iterable[Any], secrets: Iterable[str]) -> tuple[ErrorDetail, ...]:
    secrets = tuple(secrets)
    details = []
    for item in items:
        if isinstance(item, Mapping):
            kind = _member(item, "errorType") or _member(item, "ErrorCode") or "Unknown"
            message = _member(item, "message") or INJECTION_CODE_MEANINGS.get(str(kind), "")
            details.append(ErrorDetail(redact(str(kind), secrets), redact(str(message), secrets)))
        elif isinstance(item, str):
            details.append(ErrorDetail("Unknown", redact(item, secrets)))
    return tuple(details)


def _error_items(data: Any) -> list[Any]:
    if isinstance(data, list):  # management v1: a bare list of {ErrorType, Message}
        return data
    if not isinstance(data, Mapping):
        return []
    envelope = _member(data, "error")
    if envelope is None:
        envelope = _member(data, "errors")
    if isinstance(envelope, list):
        return envelope
    if isinstance(envelope, Mapping | str):
        return [envelope]
    return [data] if _member(data, "ErrorCode") is not None else []  # injection body


def error_details(body: bytes, secrets: Iterable[str]) -> tuple[ErrorDetail, ...]:
    """Read the errors out of any error body the APIs are known to send."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return ()
    return _details_from(_error_items(data), secrets)


def status_error(
    operation: Operation | None, response: httpx.Response, secrets: Iterable[str]
) -> APIStatusError:
    """Build the typed error for an HTTP error status."""
    secrets = tuple(secrets)
    response.read()
    details = error_details(response.content, secrets)
    body = preview(response.content.decode("utf-8", "replace"), secrets, _BODY_PREVIEW)
    status = response.status_code
    cls = _STATUS_CLASSES.get(status, InternalServerError if status >= 500 else APIStatusError)
    if cls is BadRequestError and any(d.error_type == REPORTING_HISTORY_ERROR_TYPE for d in details):
        cls = ReportingHistoryError
    reason = redact(response.reason_phrase, secrets) or "error"
    where = f"{response.request.method} {_url(response.request)}"
    said = "; ".join(f"{d.error_type}: {d.message}" if d.message else d.error_type for d in details)
    message = f"{status} {reason} from {where}" + (f": {said}" if said else (f": {body!r}" if body else ""))
    message += unverified_note(operation)  # a guessed path says so where the error is read
    full_body = redact(response.content.decode("utf-8", "replace"), secrets)
    error = cls(
        message, operation=operation, response=response, errors=details, body=body, full_body=full_body
    )
    scrub_exception(error, secrets)
    return error


def connection_error(
    operation: Operation | None, request: httpx.Request, exc: httpx.HTTPError, secrets: Iterable[str] = ()
) -> APIError:
    """Turn an httpx transport failure into ours, saying whether it timed out (its text redacted)."""
    url = _url(request)
    cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
    what = "timed out" if cls is APITimeoutError else "failed"
    text = preview(f"{type(exc).__name__}: {exc}", secrets)
    return cls(f"{request.method} {url} {what}: {text}", operation=operation, method=request.method, url=url)


def injection_error(
    operation: Operation | None, response: httpx.Response, result: InjectionResponse, secrets: Iterable[str]
) -> InjectionError | None:
    """The error for a 200 injection answer whose ``ErrorCode`` is a failure, else None."""
    code = result.error_code
    if code in _ACCEPTED_CODES:
        return None
    name = redact(str(code), secrets)
    if name in _AUTH_CODES:
        cls: type[InjectionError] = InjectionAuthenticationError
    elif code is InjectionErrorCode.OVERQUOTA:
        cls = InjectionOverQuotaError
    else:
        cls = InjectionRejectedError
    meaning = INJECTION_CODE_MEANINGS.get(name, "a failure code this client does not know")
    message = f"injection failed with ErrorCode {name}: {meaning}"
    receipt = (
        redact(result.transaction_receipt, secrets) if isinstance(result.transaction_receipt, str) else None
    )
    if receipt:
        message += f" (transaction receipt {receipt})"
    return cls(message, operation=operation, response=response, result=result, transaction_receipt=receipt)


def parse_or_raise(
    operation: Operation,
    response: httpx.Response,
    build: Callable[[], Response[Any]],
    secrets: Iterable[str],
) -> Response[Any]:
    """Check an answer: raise the typed error, or return the parsed success."""
    secrets = tuple(secrets)
    if not 200 <= response.status_code < 300:
        raise status_error(operation, response, secrets)
    try:
        result = build()
    except Exception as exc:
        shown = preview(response.content.decode("utf-8", "replace"), secrets, _BODY_PREVIEW)
        reason = preview(str(exc), secrets, _BODY_PREVIEW)
        drift = drift_note(operation, response.content)  # none of the modeled members: say which came
        raise MalformedResponseError(
            f"{response.status_code} from {response.request.method} {_url(response.request)} has a body"
            f" that does not match the spec ({type(exc).__name__}: {reason}{drift}): {shown!r}",
            operation=operation,
            response=response,
        ) from None
    if result.parsed is None:
        raise MalformedResponseError(
            f"{response.status_code} from {response.request.method} {_url(response.request)} is not an answer"
            " the spec describes for this operation",
            operation=operation,
            response=response,
        )
    from socketlabs_api.models import InjectionResponse  # noqa: PLC0415 - its models load with the first answer

    if isinstance(result.parsed, InjectionResponse):
        failure = injection_error(operation, response, result.parsed, secrets)
        if failure is not None:
            raise failure
    return result


def _addresses(items: Any) -> list[str]:
    """The ``EmailAddress`` of each address object in a JSON list."""
    found: list[str] = []
    for item in items if isinstance(items, list) else []:
        address = _member(item, "EmailAddress") if isinstance(item, Mapping) else None
        if isinstance(address, str):
            found.append(address)
    return found


def _delivery_addresses(message: Mapping[str, Any]) -> list[str]:
    """The merge-data ``DeliveryAddress`` of each per-message row (bulk sends)."""
    merge = _member(message, "MergeData")
    rows = _member(merge, "PerMessage") if isinstance(merge, Mapping) else None
    found: list[str] = []
    for row in rows if isinstance(rows, list) else []:
        for field in row if isinstance(row, list) else []:
            if (
                isinstance(field, Mapping)
                and str(_member(field, "Field")).casefold() == "deliveryaddress"
                and isinstance(_member(field, "Value"), str)
            ):
                found.append(_member(field, "Value"))
    return found


def messages_in_doubt(body: bytes) -> tuple[MessageInDoubt, ...]:
    """Name every message of an injection request body (never its credentials)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return ()
    messages = _member(data, "Messages") if isinstance(data, Mapping) else None
    doubts = []
    for index, message in enumerate(messages if isinstance(messages, list) else []):
        if not isinstance(message, Mapping):
            continue
        recipients = _delivery_addresses(message) or _addresses(_member(message, "To"))
        recipients += _addresses(_member(message, "Cc")) + _addresses(_member(message, "Bcc"))
        message_id = _member(message, "MessageId")
        doubts.append(
            MessageInDoubt(index, tuple(recipients), message_id if isinstance(message_id, str) else None)
        )
    return tuple(doubts)


def outcome_unknown(
    operation: Operation | None, request: httpx.Request, cause: str, status_code: int | None = None
) -> OutcomeUnknownError:
    """The error for a send or create that may have been processed; lists what is in doubt."""
    in_doubt = messages_in_doubt(request.content) if operation and operation.server == "injection" else ()
    url = _url(request)
    what = f"{len(in_doubt)} message(s) may or may not have been sent"
    if not in_doubt:
        what = "it may have been processed"
    return OutcomeUnknownError(
        f"{request.method} {url}: outcome unknown ({cause}); not retried because {what}",
        operation=operation,
        method=request.method,
        url=url,
        in_doubt=in_doubt,
        status_code=status_code,
    )
