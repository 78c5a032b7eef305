from __future__ import annotations

from collections.abc import Iterator

import pytest

from .rawserver import RawServer, raw_server


@pytest.fixture
def raw() -> Iterator[RawServer]:
    with raw_server() as server:
        yield server
