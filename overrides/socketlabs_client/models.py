"""The request and response models, generated from the spec (``socketlabs_api.models``)."""

from __future__ import annotations

from socketlabs_api.models import *  # noqa: F403
