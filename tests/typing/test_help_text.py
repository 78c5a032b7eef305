"""What ``help()`` shows a user: no ``Unset`` in any public class or function of either package.

The installed-wheel test checks what type checkers reveal; this one reads the
runtime side (signatures, attrs annotations, docstrings) as ``pydoc`` renders
it, for every public name of ``socketlabs_client`` (and its public submodules)
and every generated model.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import pydoc
from collections.abc import Iterator

import attrs
import pytest
import socketlabs_api.models
import socketlabs_client

OPTIONAL_EXTRAS = ("django", "celery", "cli", "__main__")
"""Submodules that need an extra installed or run a program when imported."""


def _public() -> Iterator[tuple[str, object]]:
    modules = [socketlabs_client]
    for info in pkgutil.iter_modules(socketlabs_client.__path__):
        if not info.name.startswith("_") and info.name not in OPTIONAL_EXTRAS:
            modules.append(importlib.import_module(f"socketlabs_client.{info.name}"))
    for module in modules:
        for name in getattr(module, "__all__", [n for n in dir(module) if not n.startswith("_")]):
            obj = getattr(module, name)
            ours = str(getattr(obj, "__module__", "")).startswith(("socketlabs_client", "socketlabs_api"))
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and ours:
                yield f"{module.__name__}.{name}", obj
    for name in socketlabs_api.models.__all__:
        yield f"socketlabs_api.models.{name}", getattr(socketlabs_api.models, name)


PUBLIC = dict(_public())


def test_the_scan_covers_the_public_surface() -> None:
    models = [obj for obj in PUBLIC.values() if inspect.isclass(obj) and attrs.has(obj)]
    assert len(models) > 80
    assert "socketlabs_client.SocketLabs" in PUBLIC
    assert "socketlabs_api.models.SuppressionStatus" in PUBLIC


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_help_shows_no_unset(name: str) -> None:
    text = pydoc.render_doc(PUBLIC[name], renderer=pydoc.plaintext)
    assert "Unset" not in text
    assert "UNSET" not in text


def test_optional_members_default_to_none_and_read_as_none_when_absent() -> None:
    from socketlabs_api.models import Contact, SuppressionStatus

    status = SuppressionStatus.from_dict({"emailAddress": "a@example.com", "isSuppressed": False})
    assert (status.suppression_last_update, status.reason) == (None, None)
    nulled = SuppressionStatus.from_dict(
        {"emailAddress": "a@example.com", "isSuppressed": False, "reason": None}
    )
    assert nulled.reason is None
    assert nulled == status, "absent and null read the same"
    default = inspect.signature(Contact).parameters["first_name"].default
    assert default is None
