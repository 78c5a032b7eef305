"""The docs build's external-link check (docs/hooks/links.py): well-formed or a warning, never the network."""

from __future__ import annotations

import importlib.util
import logging
import re
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_links_hook", ROOT / "docs" / "hooks" / "links.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


links = _hook()


@pytest.mark.parametrize(
    "href",
    [
        "https://help.socketlabs.com/docs/api-migration",
        "http://www.socketlabs.com/api-reference/injection-api/",
        "mailto:support@example.com",
        "../guides/errors.md#handling-errors",
        "#anchor",
        "operations/",
    ],
)
def test_good_and_relative_links_pass(href: str) -> None:
    assert links.external_link_problem(href) is None


@pytest.mark.parametrize(
    ("href", "why"),
    [
        ("https://exa mple.com/", "space"),
        ("https://localhost/x", "not a domain name"),
        ("https:///path-only", "not a domain name"),
        ("ftp://example.com/file", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ('https://example.com/"quoted"', "quote"),
        ("mailto:", "needs an address"),
    ],
)
def test_malformed_links_are_named(href: str, why: str) -> None:
    problem = links.external_link_problem(href)
    assert problem is not None and why in problem


def test_a_malformed_link_in_a_page_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    page = SimpleNamespace(file=SimpleNamespace(src_uri="guides/x.md"))
    html = '<p><a href="https://ok.example.com/">ok</a> <a href="ftp://example.com/">bad</a></p>'
    with caplog.at_level(logging.WARNING, logger="mkdocs.hooks.links"):
        assert links.on_page_content(html, page=page) == html
    assert [r.getMessage() for r in caplog.records] == [
        "guides/x.md: external link 'ftp://example.com/' is malformed: "
        "scheme 'ftp' is not one of ['http', 'https', 'mailto']"
    ]


def test_the_readmes_external_links_are_well_formed() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    hrefs = re.findall(r"\]\((https?://[^)]*)\)", text)
    assert hrefs
    assert {href: links.external_link_problem(href) for href in hrefs} == dict.fromkeys(hrefs)
