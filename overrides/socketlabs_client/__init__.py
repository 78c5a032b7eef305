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
    DEFAULT_INJECT_URL,
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
    CsvRangeError,
    ErrorDetail,
    InjectionAuthenticationError,
    InjectionError,
    InjectionOverQuotaError,
    InjectionRejectedError,
    InternalServerError,
    InvalidFilterError,
    InvalidParameterError,
    MalformedResponseError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    RepeatedPageError,
    ReportingHistoryError,
    SocketLabsError,
)
from ._filters import Clause, F, Field, Filters, encode_filters

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_INJECT_URL",
    "DEFAULT_TIMEOUT",
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
    "CsvRangeError",
    "ErrorDetail",
    "F",
    "Field",
    "Filters",
    "InjectionAuth",
    "InjectionAuthenticationError",
    "InjectionError",
    "InjectionOverQuotaError",
    "InjectionRejectedError",
    "InternalServerError",
    "InvalidFilterError",
    "InvalidParameterError",
    "MalformedResponseError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "RepeatedPageError",
    "ReportingHistoryError",
    "SocketLabs",
    "SocketLabsError",
    "__version__",
    "encode_filters",
    "format_api_date",
    "is_new_format_key",
    "models",
    "resolve_config",
]
