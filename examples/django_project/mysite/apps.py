"""Connect the signal receivers at start-up, before the first webhook post arrives."""

from __future__ import annotations

from django.apps import AppConfig


class MySiteConfig(AppConfig):
    """The example site's app."""

    name = "mysite"

    def ready(self) -> None:
        """Import the module whose ``@receiver`` functions connect to the signals."""
        from . import views  # noqa: F401, PLC0415 - imported for its receivers
