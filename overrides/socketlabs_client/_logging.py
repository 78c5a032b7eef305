"""``SOCKETLABS_LOG=debug|info``: turn the client's logging on without touching code.

Read when a client is constructed (so a program may set the variable before
making its first client); a handler is added once per process, to the
``socketlabs_client`` logger and to ``httpx``'s, whose INFO lines name each
request and its status (``httpcore``'s DEBUG lines name headers). Nothing is
configured when the variable is unset: a library leaves logging to the
application. What is logged never holds the API key: every client registers its
key with ``_redact.protect_logs``, whose filter sits on each logger the client
drives (httpx's and httpcore's included) and on this handler, whoever
configured logging.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from ._redact import log_filter

__all__ = ["ENV_LOG", "LOGGERS", "setup_logging"]

ENV_LOG = "SOCKETLABS_LOG"
LOGGERS = ("socketlabs_client", "httpx")
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_FORMAT = "[%(asctime)s - %(name)s:%(lineno)d - %(levelname)s] %(message)s"

_handler: logging.Handler | None = None


def setup_logging(env: Mapping[str, str] | None = None) -> int | None:
    """Apply ``SOCKETLABS_LOG``; the level set, or None when it is unset or unknown."""
    value = (os.environ if env is None else env).get(ENV_LOG, "").strip().lower()
    level = _LEVELS.get(value)
    if level is None:
        return None
    global _handler  # noqa: PLW0603 - one handler per process, however many clients
    if _handler is None:
        _handler = logging.StreamHandler()
        _handler.setFormatter(logging.Formatter(_FORMAT))
        _handler.addFilter(log_filter())
        for name in LOGGERS:
            logging.getLogger(name).addHandler(_handler)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(level)
    return level
