"""A million seeded suppressions without a million objects: lazy list, lazy pages."""

from __future__ import annotations

import csv
import io
import tracemalloc

import httpx
from socketlabs_sandbox import FIXED_ANCHOR, Sandbox, SandboxConfig, SandboxState
from socketlabs_sandbox._suppressions import SeededSuppressions, SuppressionList

MILLION = 1_000_000
LIMIT_BYTES = 50 * 1024 * 1024


def test_the_lazy_list_behaves_like_a_dict() -> None:
    lazy = SuppressionList(SeededSuppressions(seed=9, count=40))
    model = {key: lazy[key] for key in lazy}
    assert len(model) == len(lazy) == 40
    keys = sorted(model)
    assert list(lazy) == [lazy.seeded.address(i).casefold() for i in range(40)]
    assert lazy.pristine
    # remove a seeded entry, add a new one, re-add a removed one
    removed = lazy.pop(keys[3])
    del model[keys[3]]
    assert lazy.get(keys[3]) is None
    lazy["new@example.com"] = model["new@example.com"] = removed
    lazy[keys[3]] = model[keys[3]] = removed
    assert not lazy.pristine
    assert dict(lazy) == model
    assert len(lazy) == len(model) == 41
    del lazy["new@example.com"]
    del model["new@example.com"]
    assert dict(lazy) == model
    assert lazy.get("blocked.99@example.com") is None
    assert lazy.get("someone@example.com") is None


def test_the_lazy_view_is_the_order_a_full_sort_gives() -> None:
    state = SandboxState(SandboxConfig(anchor=FIXED_ANCHOR, suppressions=3000, seed=5))
    server = state.config.server_id
    for descending in (False, True):
        lazy = state.search_suppressions(
            server, start=None, end=None, filters=[], sort_field="emailAddress", descending=descending
        )
        listing = state.suppressions[server]
        assert isinstance(listing, SuppressionList)
        full = sorted(listing.values(), key=lambda e: e.email_address.casefold(), reverse=descending)
        assert list(lazy) == full
        assert list(lazy[2990:3010]) == full[2990:]


def test_a_million_suppressions_page_and_download_in_little_memory() -> None:
    tracemalloc.start()
    try:
        with Sandbox(SandboxConfig(anchor=FIXED_ANCHOR, suppressions=MILLION, seed=3)) as sandbox:
            headers = {"Authorization": f"Bearer {sandbox.api_key}"}
            base = f"{sandbox.api_url}/servers/{sandbox.server_id}/suppressions"
            with httpx.Client(headers=headers, timeout=60) as http:
                page = http.get(f"{base}/search", params={"pageSize": 100, "pageNumber": 9_999}).json()
                assert page["total"] == MILLION
                assert page["data"][-1]["emailAddress"].startswith("blocked.999999@")
                csv_page = http.get(f"{base}/download", params={"pageSize": 20_000, "pageNumber": 49})
                assert csv_page.status_code == 200
                assert csv_page.headers["content-range"] == "rows 980000-999999/1000000"
                rows = list(csv.reader(io.StringIO(csv_page.text)))
                assert len(rows) == 20_001
                http.delete(f"{base}/remove", params={"emailAddress": rows[1][3]}).raise_for_status()
                check = http.get(base, params={"emailAddress": rows[1][3]}).json()
                assert check["data"]["isSuppressed"] is False
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < LIMIT_BYTES, f"peak {peak / 1e6:.1f} MB"
