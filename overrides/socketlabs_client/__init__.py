"""socketlabs_client: typed, sync and async access to the SocketLabs APIs.

```python
from socketlabs_client import SocketLabs

client = SocketLabs()  # SOCKETLABS_API_KEY, SOCKETLABS_SERVER_ID
client.suppressions.add(email_address="someone@example.com")
```

The request and response models live in ``socketlabs_api.models`` (generated
from the spec); ``socketlabs_client.models`` re-exports them.
"""

from __future__ import annotations

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
    MalformedResponseError,
    MessageInDoubt,
    NotFoundError,
    OutcomeUnknownError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    RateLimitWaitError,
    RepeatedPageError,
    ReportingHistoryError,
    SocketLabsError,
    WebhookAuthenticationError,
    WebhookContentTypeError,
    WebhookError,
    WebhookParseError,
    WebhookPayloadTooLargeError,
)
from ._filters import Clause, F, Field, Filters, encode_filters
from ._inbound import DEFAULT_MAX_INBOUND_SIZE, InboundReceiver, decode_content, header_values, parse_inbound
from ._ratelimit import RateLimiter
from ._retries import RetryEvent, RetryPolicy
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

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_INJECT_CX_URL",
    "DEFAULT_INJECT_URL",
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
    "BearerAuth",
    "Clause",
    "ClientConfig",
    "ConfigurationError",
    "ConflictError",
    "CsvRangeError",
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
    "MalformedResponseError",
    "MessageInDoubt",
    "NotFoundError",
    "OutcomeUnknownError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "RateLimitWaitError",
    "RateLimiter",
    "Receiver",
    "ReceiverResponse",
    "RepeatedPageError",
    "ReportingHistoryError",
    "RetryEvent",
    "RetryPolicy",
    "SocketLabs",
    "SocketLabsError",
    "WebhookAuthenticationError",
    "WebhookContentTypeError",
    "WebhookError",
    "WebhookEvent",
    "WebhookParseError",
    "WebhookPayloadTooLargeError",
    "WebhookReceiver",
    "WebhookSecrets",
    "__version__",
    "decode_content",
    "encode_filters",
    "format_api_date",
    "header_values",
    "is_new_format_key",
    "models",
    "parse_event",
    "parse_inbound",
    "resolve_config",
]
