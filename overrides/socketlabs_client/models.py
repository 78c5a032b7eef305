"""The request and response models, generated from the spec (``socketlabs_api.models``).

Re-exported lazily: each model's module loads when a program first uses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from socketlabs_api import models as _models

if TYPE_CHECKING:
    from socketlabs_api.models import *  # noqa: F403

__all__ = list(_models.__all__)  # pyright: ignore[reportUnsupportedDunderAll]


def __getattr__(name: str) -> Any:
    return getattr(_models, name)


def __dir__() -> list[str]:
    return sorted(__all__)
