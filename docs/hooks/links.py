"""MkDocs hook: every external link of the built site must be well-formed.

MkDocs itself checks the internal links and anchors (``validation`` in
mkdocs.yml, warnings that ``--strict`` turns into failures). This hook adds
the external ones without touching the network: an absolute link needs a
known scheme, a host for http(s), and no spaces, quotes or angle brackets (a
sign of a link pasted with its surroundings). A bad link is logged as a
warning, so the strict build fails on it.
"""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("mkdocs.hooks.links")

SCHEMES = frozenset({"http", "https", "mailto"})
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_BAD_CHARACTERS = re.compile(r"[\s\"'<>`]")


class _Links(HTMLParser):
    """Collects the ``href`` of every ``<a>`` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [value for name, value in attrs if name == "href" and value]


def external_link_problem(href: str) -> str | None:
    """Why ``href`` is not a well-formed external link, or None (also for relative links)."""
    if not _ABSOLUTE.match(href):
        return None
    parts = urlsplit(href)
    if parts.scheme not in SCHEMES:
        return f"scheme {parts.scheme!r} is not one of {sorted(SCHEMES)}"
    if _BAD_CHARACTERS.search(href):
        return "it holds a space, quote or angle bracket"
    if parts.scheme in ("http", "https"):
        host = parts.hostname or ""
        if "." not in host or host.startswith(".") or host.endswith("."):
            return f"host {host!r} is not a domain name"
    elif not parts.path or "@" not in parts.path:
        return "a mailto link needs an address"
    return None


def on_page_content(html: str, page: Any, **_: Any) -> str:
    """Warn about each malformed external link of ``page`` (the strict build then fails)."""
    parser = _Links()
    parser.feed(html)
    for href in parser.hrefs:
        problem = external_link_problem(href)
        if problem:
            log.warning("%s: external link %r is malformed: %s", page.file.src_uri, href, problem)
    return html
