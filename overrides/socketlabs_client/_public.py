"""Every public name of ``socketlabs_client``, imported eagerly.

The package itself loads this module on the first attribute access (see
``__init__``), so ``import socketlabs_client`` and the pytest plugin cost
nothing until a name is used.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from . import models
from ._auth import BasicAuth, BearerAuth, InjectionAuth, is_new_format_key
from ._client import OPERATION_EXTENSION, AsyncSocketLabs, SocketLabs
from ._config import (
    DEFAULT_BASE_URL,
    DEFAULT_INJECT_CX_URL,
    DEFAULT_INJECT_URL,
    DEFAULT_MANAGEMENT_URL,
    DEFAULT_TIMEOUT,
    ClientConfig,
    ClientOptions,
    ClientSettings,
    __version__,
    resolve_config,
)
from ._dates import format_api_date
from ._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientStateError,
    ConfigurationError,
    ConflictError,
    CsvRangeError,
    ErrorDetail,
    InjectionAuthenticationError,
    InjectionError,
    InjectionOverQuotaError,
    InjectionRejectedError,
    InternalServerError,
    InvalidFilterError,
    InvalidParameterError,
    InvalidRequestError,
    LedgerError,
    LedgerNotDurableError,
    LedgerUnavailableError,
    MalformedResponseError,
    MessageInDoubt,
    MessageValidationError,
    NotFoundError,
    NotListedError,
    OutcomeUnknownError,
    PaginationError,
    PermissionDeniedError,
    Processed,
    RateLimitError,
    RateLimitWaitError,
    RepeatedPageError,
    ReportingHistoryError,
    ResponseTooLargeError,
    SocketLabsError,
    WebhookAuthenticationError,
    WebhookContentTypeError,
    WebhookError,
    WebhookParseError,
    WebhookPayloadTooLargeError,
)
from ._filters import Clause, F, Field, Filters, encode_filters
from ._ratelimit import RateLimiter
from ._retries import RetryEvent, RetryPolicy
from ._tiers import ShapeDriftWarning, UnverifiedOperationWarning

if TYPE_CHECKING:
    from ._inbound import (
        DEFAULT_MAX_INBOUND_SIZE,
        InboundReceiver,
        decode_content,
        header_values,
        parse_inbound,
    )
    from ._injection import (
        BasicMessage,
        BulkMessage,
        BulkRecipient,
        Outcome,
        RecipientResult,
        RequestResult,
        SendOptions,
        SendOptionsDict,
        SendReport,
        attachment,
        explain,
        failure_outcome,
        inline_image,
        is_valid_address,
        validate_message,
    )
    from ._ledger import (
        DEFAULT_LEDGER_TTL,
        EntryState,
        LedgerEntry,
        LedgerReport,
        Resolution,
        ResolutionReport,
        SendLedger,
        derive_message_id,
    )
    from ._webhooks import (
        DEFAULT_MAX_BODY_SIZE,
        EVENT_MODELS,
        Receiver,
        ReceiverResponse,
        WebhookEvent,
        WebhookReceiver,
        WebhookSecrets,
        parse_event,
    )

# The receivers (webhooks, inbound parse), the message builders and the ledger load
# when first used: a program that only reads reports imports none of them at start-up.
_LAZY: dict[str, str] = {
    **dict.fromkeys(
        (
            "BasicMessage",
            "BulkMessage",
            "BulkRecipient",
            "Outcome",
            "RecipientResult",
            "RequestResult",
            "SendOptions",
            "SendOptionsDict",
            "SendReport",
            "attachment",
            "explain",
            "failure_outcome",
            "inline_image",
            "is_valid_address",
            "validate_message",
        ),
        "._injection",
    ),
    **dict.fromkeys(
        (
            "DEFAULT_LEDGER_TTL",
            "EntryState",
            "LedgerEntry",
            "LedgerReport",
            "Resolution",
            "ResolutionReport",
            "SendLedger",
            "derive_message_id",
        ),
        "._ledger",
    ),
    **dict.fromkeys(
        ("DEFAULT_MAX_INBOUND_SIZE", "InboundReceiver", "decode_content", "header_values", "parse_inbound"),
        "._inbound",
    ),
    **dict.fromkeys(
        (
            "DEFAULT_MAX_BODY_SIZE",
            "EVENT_MODELS",
            "Receiver",
            "ReceiverResponse",
            "WebhookEvent",
            "WebhookReceiver",
            "WebhookSecrets",
            "parse_event",
        ),
        "._webhooks",
    ),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __package__), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_INJECT_CX_URL",
    "DEFAULT_INJECT_URL",
    "DEFAULT_LEDGER_TTL",
    "DEFAULT_MANAGEMENT_URL",
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_MAX_INBOUND_SIZE",
    "DEFAULT_TIMEOUT",
    "EVENT_MODELS",
    "OPERATION_EXTENSION",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncSocketLabs",
    "AuthenticationError",
    "BadRequestError",
    "BasicAuth",
    "BasicMessage",
    "BearerAuth",
    "BulkMessage",
    "BulkRecipient",
    "Clause",
    "ClientConfig",
    "ClientOptions",
    "ClientSettings",
    "ClientStateError",
    "ConfigurationError",
    "ConflictError",
    "CsvRangeError",
    "EntryState",
    "ErrorDetail",
    "F",
    "Field",
    "Filters",
    "InboundReceiver",
    "InjectionAuth",
    "InjectionAuthenticationError",
    "InjectionError",
    "InjectionOverQuotaError",
    "InjectionRejectedError",
    "InternalServerError",
    "InvalidFilterError",
    "InvalidParameterError",
    "InvalidRequestError",
    "LedgerEntry",
    "LedgerError",
    "LedgerNotDurableError",
    "LedgerReport",
    "LedgerUnavailableError",
    "MalformedResponseError",
    "MessageInDoubt",
    "MessageValidationError",
    "NotFoundError",
    "NotListedError",
    "Outcome",
    "OutcomeUnknownError",
    "PaginationError",
    "PermissionDeniedError",
    "Processed",
    "RateLimitError",
    "RateLimitWaitError",
    "RateLimiter",
    "Receiver",
    "ReceiverResponse",
    "RecipientResult",
    "RepeatedPageError",
    "ReportingHistoryError",
    "RequestResult",
    "Resolution",
    "ResolutionReport",
    "ResponseTooLargeError",
    "RetryEvent",
    "RetryPolicy",
    "SendLedger",
    "SendOptions",
    "SendOptionsDict",
    "SendReport",
    "ShapeDriftWarning",
    "SocketLabs",
    "SocketLabsError",
    "UnverifiedOperationWarning",
    "WebhookAuthenticationError",
    "WebhookContentTypeError",
    "WebhookError",
    "WebhookEvent",
    "WebhookParseError",
    "WebhookPayloadTooLargeError",
    "WebhookReceiver",
    "WebhookSecrets",
    "__version__",
    "attachment",
    "decode_content",
    "derive_message_id",
    "encode_filters",
    "explain",
    "failure_outcome",
    "format_api_date",
    "header_values",
    "inline_image",
    "is_new_format_key",
    "is_valid_address",
    "models",
    "parse_event",
    "parse_inbound",
    "resolve_config",
    "validate_message",
]
