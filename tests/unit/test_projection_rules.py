"""A projection's rules on their own: a claim's state from its stances, versions as rows."""

from __future__ import annotations

from dataclasses import fields

import pytest

from ledger.projections.derive import StatementVersion, claim_state
from ledger.projections.schema import statement_versions


@pytest.mark.parametrize(
    ("stances", "state"),
    [
        ({}, "unstated"),
        ({"wsj": "asserts"}, "asserted"),
        ({"peskov": "denies"}, "denied"),
        ({"wsj": "asserts", "peskov": "denies", "musk": "declines_to_comment"}, "contested"),
        ({"musk": "declines_to_comment", "dan-tri": "reports"}, "unanswered"),
        ({"x": "questions", "dan-tri": "reports"}, "questioned"),
        ({"dan-tri": "reports"}, "reported"),
        ({"wsj": "asserts", "dan-tri": "reports"}, "asserted"),
    ],
)
def test_a_claims_state_follows_from_the_stances_that_stand(
    stances: dict[str, str], state: str
) -> None:
    assert claim_state(stances) == state


def test_statement_version_fields_are_the_table_columns() -> None:
    """Versions are mapped to and from rows by column name: every field is a column and back."""
    assert {f.name for f in fields(StatementVersion)} == {c.key for c in statement_versions.columns}
