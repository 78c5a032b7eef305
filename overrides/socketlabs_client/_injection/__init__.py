"""Sending mail: message builders, checks before sending, batching, and per-recipient reports.

```python
from socketlabs_client import BasicMessage, BulkMessage, SocketLabs

message = BasicMessage(subject="Hi", from_=("noreply@example.com", "Example"), text="Hello")
message.add_to("ann@example.com", "Ann")
with SocketLabs() as client:
    report = client.send(message)
```

The builders produce the generated models (``socketlabs_api.models.Message``
and friends); ``send`` also takes those models as they are. Before anything
is sent every message is checked in the official libraries' order (subject,
from, reply-to, body, custom headers, metadata, recipients) plus the limits
the server documents; the first broken rule raises ``MessageValidationError``
naming the field.

A bulk (merge) message with more recipients than a message may carry is split
into several messages, and messages are packed into requests of at most
``messages_per_request``; the requests go out concurrently (async) or through
a small thread pool (sync), and the answers are merged into one
``RecipientResult`` per recipient: accepted, rejected (with the code) or in
doubt. Nothing is retried here: that is the transport's job, and a request
that may have reached the server is never repeated (``failure_outcome``).
"""

from ._builders import (
    AddressLike,
    BasicMessage,
    BulkMessage,
    BulkRecipient,
    Source,
    attachment,
    inline_image,
    to_address,
)
from ._checks import MAX_RECIPIENTS_PER_MESSAGE, METADATA_AND_TAGS_LIMIT, is_valid_address, validate_message
from ._planning import (
    MAX_MESSAGES_PER_REQUEST,
    PlannedRequest,
    Sendable,
    _recipients_of,  # noqa: F401 - tests
    plan,
)
from ._report import (
    Outcome,
    RecipientResult,
    RequestResult,
    SendReport,
    _dry_report,  # noqa: F401 - tests
    _from_response,  # noqa: F401 - tests
    explain,
    failure_outcome,
)
from ._sending import SendOptions, SendOptionsDict, send_messages, send_messages_async
from ._wire import XML_ROOT, Format, Wire

__all__ = [
    "MAX_MESSAGES_PER_REQUEST",
    "MAX_RECIPIENTS_PER_MESSAGE",
    "METADATA_AND_TAGS_LIMIT",
    "XML_ROOT",
    "AddressLike",
    "BasicMessage",
    "BulkMessage",
    "BulkRecipient",
    "Format",
    "Outcome",
    "PlannedRequest",
    "RecipientResult",
    "RequestResult",
    "SendOptions",
    "SendOptionsDict",
    "SendReport",
    "Sendable",
    "Source",
    "Wire",
    "attachment",
    "explain",
    "failure_outcome",
    "inline_image",
    "is_valid_address",
    "plan",
    "send_messages",
    "send_messages_async",
    "to_address",
    "validate_message",
]
