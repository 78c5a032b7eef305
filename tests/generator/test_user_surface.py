"""What the generated surface shows a user: signatures, raw twins, lazy loading, no bypass.

Checked on the committed package, every resource method of every tag: the
promises of ``resources_tag.py.jinja`` and ``endpoint_module.py.jinja``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
import typing

import pytest
from socketlabs_api import api, resources
from socketlabs_api.types import UNSET

VARIANTS = ("{}", "Async{}", "{}WithRawResponse", "Async{}WithRawResponse")
DATE_PARAMETERS = ("start_date", "end_date")


def _classes() -> list[type]:
    found = []
    for name in resources.RESOURCE_NAMES:
        base = getattr(resources.Resources, name)
        found += [getattr(resources, variant.format(base.__name__)) for variant in VARIANTS]
    return found


def _methods(cls: type) -> dict[str, typing.Any]:
    members = vars(cls).items()
    return {name: member for name, member in members if inspect.isfunction(member) and name[0] != "_"}


@pytest.mark.parametrize("cls", _classes(), ids=lambda c: c.__name__)
def test_signatures_read_cleanly(cls: type) -> None:
    for name, method in _methods(cls).items():
        hints = typing.get_type_hints(method)
        for parameter in inspect.signature(method).parameters.values():
            where = f"{cls.__name__}.{name}({parameter.name})"
            assert parameter.default is not UNSET, f"{where} defaults to UNSET"
            hint = str(hints.get(parameter.name, ""))
            assert "Unset" not in hint, f"{where} is typed {hint}"
            if parameter.name in DATE_PARAMETERS:
                assert "datetime.date" in hint, f"{where} does not take a date: {hint}"
            if parameter.name == "sort_direction":
                assert "Literal['asc', 'dsc']" in hint, f"{where} is not a Literal: {hint}"


def test_every_resource_has_a_raw_twin_with_its_single_calls() -> None:
    for name in resources.RESOURCE_NAMES:
        for prefix in ("", "Async"):
            base = getattr(resources, f"{prefix}{getattr(resources.Resources, name).__name__}")
            raw = getattr(getattr(resources, f"{prefix}ResourcesWithRawResponse"), name)
            single = {
                method
                for method, function in _methods(base).items()
                if typing.get_type_hints(function)["return"].__name__ not in ("Pager", "AsyncPager")
                and "CsvDownload" not in str(typing.get_type_hints(function)["return"])
            }
            assert set(_methods(raw)) == single, f"{raw.__name__} differs from {base.__name__}"
            for method in single:
                assert typing.get_origin(typing.get_type_hints(getattr(raw, method))["return"]) is not None


def test_resources_are_on_the_class_and_built_once_per_client() -> None:
    for name in resources.RESOURCE_NAMES:
        cls = getattr(resources.Resources, name)
        assert inspect.isclass(cls) and cls.__module__ == f"socketlabs_api.resources.{name}"
    recorded = resources.Resources(executor=object())  # type: ignore[arg-type]
    assert recorded.reports is recorded.reports
    assert recorded.with_raw_response is recorded.with_raw_response


def test_endpoint_modules_only_build_requests_and_parse_answers() -> None:
    modules = [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(api.__path__, f"{api.__name__}.")
        if not info.ispkg
    ]
    assert len(modules) > 50
    for module in modules:
        functions = {
            name
            for name, member in vars(module).items()
            if inspect.isfunction(member) and member.__module__ == module.__name__
        }
        assert functions == {"_get_kwargs", "_parse_response", "_build_response"}, module.__name__


def test_importing_the_client_loads_no_resource_endpoint_or_heavy_module() -> None:
    code = "import sys, socketlabs_client; print('\\n'.join(sorted(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert [m for m in loaded if m.startswith(("socketlabs_api.api.", "socketlabs_api.resources."))] == []
    heavy = ("pyrate_limiter", "multiprocessing", "sqlite3", "dateutil")
    assert [m for m in loaded if m.split(".")[0] in heavy] == []
    # The models of the resources wait for their first use too.
    for model in ("suppression", "message_detail", "report_overview", "contact", "dkim_key"):
        assert f"socketlabs_api.models.{model}" not in loaded
