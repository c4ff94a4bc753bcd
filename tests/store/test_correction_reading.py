"""How corrections read on the said axis (issue 23), including those stored before
``corrected_at`` existed: stored events never change, nor does how they read."""

from __future__ import annotations

from datetime import UTC, datetime

from ledger.bootstrap import Wiring
from ledger.domain.model import RetractionBasis, Statement
from ledger.projections.queries import PointInTime
from ledger.projections.replay import Axis
from ledger.projections.snapshot import sql_snapshot
from ledger.store import NewEvent
from tests.support.api_fixtures import seed_statement_id

KEY = "001-wsj-direct-contact-for-years"
CLAIM = "musk-had-direct-contact-with-putin"
REPORT_DAY = datetime(2024, 10, 24, 23, 59, tzinfo=UTC)


def denial_of_the_report(app: Wiring) -> tuple[Statement, dict]:  # type: ignore[type-arg]
    version = app.queries.statement(seed_statement_id(KEY)).current
    body = version.model_dump(mode="json", include={"claim", "actor", "conduit", "said_at"})
    body["source"] = version.source.model_dump(mode="json")
    body["stance"] = "denies"
    return Statement.model_validate(body), body


def test_a_correction_stored_before_corrected_at_existed_still_replaces_from_the_start(
    seeded_app: Wiring,
) -> None:
    _, body = denial_of_the_report(seeded_app)
    stored = {  # the shape every correction had before issue 23, basis source_changed included
        "statement_id": str(seed_statement_id(KEY)),
        "reason": "An old correction.",
        "basis": "source_changed",
        "statement": {**body, "relays": None, "note": None},
    }
    seeded_app.store.append(f"claim:{CLAIM}", [NewEvent(type="StatementCorrected", data=stored)])

    view = seeded_app.queries.claim(CLAIM, PointInTime(as_of=REPORT_DAY))
    assert "wsj" in view.denied_by and "wsj" not in view.asserted_by
    said = seeded_app.queries.replay(
        start=None, end=None, axis=Axis.SAID, story="musk-putin-contacts"
    )
    ours = [s for s in said.steps if s.statement.statement_id == str(seed_statement_id(KEY))]
    assert [(s.type, s.changed_at) for s in ours] == [("StatementCorrected", None)]
    assert ours[0].at.startswith("2024-10-24")
    with seeded_app.store.read_connection() as connection:
        live = sql_snapshot(connection)
    seeded_app.queries.rebuild_projections()
    with seeded_app.store.read_connection() as connection:
        assert sql_snapshot(connection) == live


def test_a_source_changed_correction_keeps_the_old_reading_until_corrected_at(
    seeded_app: Wiring,
) -> None:
    statement, _ = denial_of_the_report(seeded_app)
    corrected_at = datetime(2024, 10, 25, 9, 30, tzinfo=UTC)
    event = seeded_app.ledger.correct_statement(
        seed_statement_id(KEY),
        statement,
        reason="The paper changed its text.",
        basis=RetractionBasis.SOURCE_CHANGED,
        corrected_at=corrected_at,
    )
    assert event.data["corrected_at"] == "2024-10-25T09:30:00Z"
    before = seeded_app.queries.claim(
        CLAIM, PointInTime(as_of=datetime(2024, 10, 25, 9, tzinfo=UTC))
    )
    after = seeded_app.queries.claim(CLAIM, PointInTime(as_of=corrected_at))
    assert "wsj" in before.asserted_by and "wsj" not in before.denied_by
    assert "wsj" in after.denied_by and "wsj" not in after.asserted_by
    with seeded_app.store.read_connection() as connection:
        live = sql_snapshot(connection)
    seeded_app.queries.rebuild_projections()
    with seeded_app.store.read_connection() as connection:
        assert sql_snapshot(connection) == live
