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

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._public import *  # noqa: F403 - the public surface, for type checkers
    from ._public import __all__ as __all__


def __getattr__(name: str) -> Any:
    """Load the public surface on first use (PEP 562), keeping ``import socketlabs_client`` cheap.

    The pytest plugin (``socketlabs_client.testing``) is imported by every
    pytest run in a project that installs this package; an eager package
    import would tax all of them.
    """
    if name.startswith("__") and name not in ("__all__", "__version__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    _public = importlib.import_module(f"{__name__}._public")
    if name != "__all__" and name not in _public.__all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_public, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    _public = importlib.import_module(f"{__name__}._public")
    return sorted({*globals(), *_public.__all__})
