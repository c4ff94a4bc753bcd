"""The ledger's canonical JSON is RFC 8785 byte for byte, whatever the value."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.store.records import (
    INSTANT_FORMAT,
    canonical_json,
    envelope_hash,
    event_hash,
    format_instant,
)

MAX_SAFE = 2**53 - 1
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE, MAX_SAFE)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(exclude_categories=["Cs"]))
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=1000)
@given(json_values)
def test_canonical_json_is_rfc_8785(value: object) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    "value",
    [1.5, -0.0, [1, 2e16], {"a": 1e-7}, {"\ue001": 1, "\U0001f600": 2}, {"a": "x:1.5"}],
)
def test_the_values_where_python_and_rfc_8785_differ_take_the_exact_path(value: object) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@settings(max_examples=200)
@given(
    data=st.dictionaries(st.text(max_size=8), json_values, max_size=6),
    stream=st.text(min_size=1, max_size=20),
)
def test_the_envelope_hash_is_the_hash_of_the_rfc_8785_envelope(data: dict, stream: str) -> None:  # type: ignore[type-arg]
    import hashlib

    fields = dict(
        position=7,
        event_id=uuid.uuid4(),
        stream=stream,
        version=3,
        type="StatementRecorded",
        data=data,
        metadata={"source": "test"},
        recorded_at=datetime(2024, 10, 25, 19, tzinfo=UTC),
        prev_hash="ab" * 32,
    )
    envelope = {
        **fields,
        "event_id": str(fields["event_id"]),
        "recorded_at": format_instant(fields["recorded_at"]),
    }  # type: ignore[arg-type]
    assert event_hash(**fields) == hashlib.sha256(rfc8785.dumps(envelope)).hexdigest()  # type: ignore[arg-type]
    assert callable(envelope_hash)


def test_an_integer_beyond_ieee_doubles_is_refused_like_rfc_8785_does() -> None:
    with pytest.raises(rfc8785.IntegerDomainError):
        canonical_json({"n": 2**53 + 1})


@pytest.mark.parametrize(
    "value",
    [float("nan"), {"a": [float("inf")]}, {"a": {"b": -float("inf")}}, "\ud800", [-(2**53)], 2**53],
)
def test_what_rfc_8785_refuses_is_refused_not_written_as_null(value: object) -> None:
    """A fast encoder writes NaN and the infinities as null; RFC 8785 has no spelling for them."""
    with pytest.raises(Exception) as expected:
        rfc8785.dumps(value)
    with pytest.raises(type(expected.value)):
        canonical_json(value)


@pytest.mark.parametrize(
    "value",
    [
        {"b": (1, "x"), "a": [True, None, {"\u007f\u2028": "\x00\x1f\"\\"}]},
        {"\uffff": 1, "\U00010000": 2, "\ue000": 3, "z": -(2**53) + 1},
        {"n": [2**53 - 1], "": ""},
    ],
)
def test_plain_values_written_by_the_fast_encoder_are_rfc_8785(value: object) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@settings(max_examples=500)
@given(st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-11, minutes=-30))])))
def test_an_instant_is_spelled_as_its_format_says_in_every_year(instant: datetime) -> None:
    try:
        utc = instant.astimezone(UTC)
    except OverflowError:
        return  # beyond datetime's range once moved to UTC
    assert format_instant(instant) == utc.strftime(INSTANT_FORMAT)
