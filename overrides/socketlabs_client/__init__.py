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
from ._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ErrorDetail,
    InjectionAuthenticationError,
    InjectionError,
    InjectionOverQuotaError,
    InjectionRejectedError,
    InternalServerError,
    MalformedResponseError,
    MessageValidationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    SocketLabsError,
)
from ._injection import (
    BasicMessage,
    BulkMessage,
    BulkRecipient,
    Outcome,
    RecipientResult,
    RequestResult,
    SendOptions,
    SendReport,
    attachment,
    explain,
    failure_outcome,
    inline_image,
    is_valid_address,
    validate_message,
)

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
    "BasicMessage",
    "BearerAuth",
    "BulkMessage",
    "BulkRecipient",
    "ClientConfig",
    "ConfigurationError",
    "ErrorDetail",
    "InjectionAuth",
    "InjectionAuthenticationError",
    "InjectionError",
    "InjectionOverQuotaError",
    "InjectionRejectedError",
    "InternalServerError",
    "MalformedResponseError",
    "MessageValidationError",
    "NotFoundError",
    "Outcome",
    "PermissionDeniedError",
    "RateLimitError",
    "RecipientResult",
    "RequestResult",
    "SendOptions",
    "SendReport",
    "SocketLabs",
    "SocketLabsError",
    "__version__",
    "attachment",
    "explain",
    "failure_outcome",
    "inline_image",
    "is_new_format_key",
    "is_valid_address",
    "models",
    "resolve_config",
    "validate_message",
]
