"""The generated parsers' fast paths read exactly what the general ones read.

``parse_datetime`` reads the API's own timestamp form with ``fromisoformat``
and everything else with dateutil; ``remap_keys`` skips its case-folding when
every member is spelled as the spec spells it. Each is checked against the
slow path on drawn input.
"""

from __future__ import annotations

import datetime

from dateutil.parser import isoparse
from hypothesis import given
from hypothesis import strategies as st
from socketlabs_api.types import parse_datetime, remap_keys

MOMENTS = st.datetimes(min_value=datetime.datetime(1900, 1, 1), max_value=datetime.datetime(2200, 1, 1))
ZONES = st.one_of(
    st.just(""),
    st.just("Z"),
    st.tuples(st.sampled_from("+-"), st.integers(0, 23), st.integers(0, 59)).map(
        lambda t: f"{t[0]}{t[1]:02d}:{t[2]:02d}"
    ),
)


@given(moment=MOMENTS, digits=st.integers(0, 9), zone=ZONES, lower=st.booleans())
def test_the_api_form_reads_as_dateutil_reads_it(
    moment: datetime.datetime, digits: int, zone: str, lower: bool
) -> None:
    fraction = f"{moment.microsecond:06d}{moment.microsecond % 1000:03d}"[:digits]
    text = moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if digits else "") + zone
    if lower:  # not the fast path's form: dateutil reads it
        text = text.lower()
    expected = isoparse(text.upper())
    if expected.tzinfo is None:
        expected = expected.replace(tzinfo=datetime.UTC)
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


def test_a_time_past_the_fast_path_still_parses() -> None:
    assert parse_datetime("2024-01-01T24:00:00Z") == datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC)


@given(
    keys=st.lists(st.sampled_from(["ServerId", "serverid", "SERVERID", "Type", "type", "Other"]), unique=True)
)
def test_member_names_map_alike_with_or_without_the_fast_path(keys: list[str]) -> None:
    data = {key: index for index, key in enumerate(keys)}
    remapped = remap_keys(data, ("ServerId", "Type"))
    for canonical in ("ServerId", "Type"):
        spellings = [key for key in keys if key.casefold() == canonical.casefold()]
        if canonical in keys:
            assert remapped[canonical] == data[canonical]
        elif spellings:
            assert remapped[canonical] == data[spellings[0]]
    assert len(remapped) == len(data)
