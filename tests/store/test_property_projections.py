"""Property: live projections = a full rebuild = the pure in-memory model, under random histories.

A Hypothesis state machine appends statements (some invalid, some with stale expected versions),
retries them, retracts and corrects them. After every step the projection tables must equal the
in-memory model, and each claim's state must match a deliberately naive oracle kept by the test
itself; at the end a rebuild from position 0 must reproduce the tables exactly.

Corrections come with either basis. A ``source_changed`` one (at a given ``corrected_at`` or,
by default, when recorded) leaves every said-axis as-of view before its time as it was without
it: the oracle keeps the old reading standing until then and the new one from then on. A
``ledger_error`` one is, to the oracle, the new reading recorded in the old one's place (from
its own said time; among one speaker's statements said at the same instant it counts as
recorded when the correction was).
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

import migrations
from ledger.bootstrap import Wiring, open_app
from ledger.domain.events import ActorRegistered, ClaimRegistered, DocumentRegistered
from ledger.domain.model import (
    RetractionBasis,
    SaidAt,
    SourceAnchor,
    Statement,
    TextPositionSelector,
    TextQuoteSelector,
)
from ledger.errors import ConcurrencyError, InvalidEvent, StateConflict
from ledger.projections.memory import InMemoryProjection
from ledger.projections.queries import PointInTime
from ledger.projections.snapshot import sql_snapshot
from ledger.settings import Settings
from ledger.service import WriteOptions
from ledger.store import ANY
from tests.support.databases import fresh_database_url

TEXT = (
    "Kreml-Sprecher Dmitri Peskow stellte klar, dass es nur eine Kommunikation gegeben habe. "
    "Das Wall Street Journal berichtet von regelmäßigem Austausch seit Ende 2022. "
    "Musk äußerte sich nach Veröffentlichung des Artikels zunächst nicht."
)
ACTORS = ["outlet", "wsj", "peskov", "musk"]
CLAIMS = ["regular-contact", "single-call"]
STANCES = ["asserts", "denies", "reports", "declines_to_comment", "questions"]
DAYS = [None, "2024-10-23", "2024-10-24", "2024-10-25", "2024-10-26"]
DOCUMENT_DATE = datetime(2024, 10, 25, tzinfo=UTC)
AS_OF_INSTANTS = [datetime.fromisoformat(f"{day}T23:59:59+00:00") for day in DAYS[1:]]


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Standing:
    """The test's own naive record of a statement that stands."""

    claim: str
    actor: str
    stance: str
    said: datetime
    position: int
    dated: bool = True  # its said time is its own, not its document's date


def source_changed_at(day: str | None, basis: RetractionBasis) -> datetime | None:
    """When the source changed: noon of ``day``; None when the ledger erred or no day is given."""
    if day is None or basis is RetractionBasis.LEDGER_ERROR:
        return None
    return datetime.fromisoformat(f"{day}T12:00:00+00:00")


def before_it_was_said(instant: datetime | None, standing: Standing) -> bool:
    """A retraction or correction dated before the statement it amends was said is refused."""
    return instant is not None and standing.dated and instant < standing.said


def naive_state(standing: list[Standing]) -> str:
    latest: dict[str, Standing] = {}
    for s in standing:
        if s.actor not in latest or (s.said, s.position) > (
            latest[s.actor].said,
            latest[s.actor].position,
        ):
            latest[s.actor] = s
    stances = {s.stance for s in latest.values()}
    if {"asserts", "denies"} <= stances:
        return "contested"
    for state, stance in [
        ("asserted", "asserts"),
        ("denied", "denies"),
        ("unanswered", "declines_to_comment"),
        ("questioned", "questions"),
        ("reported", "reports"),
    ]:
        if stance in stances:
            return state
    return "unstated"


def make_statement(
    claim: str, actor: str, stance: str, day: str | None, start: int, length: int, relays: str
) -> Statement:
    end = min(len(TEXT), start + length)
    said = SaidAt(precision="unknown") if day is None else SaidAt(precision="day", value=day)
    return Statement(
        claim=claim,
        actor=actor,
        stance=stance,
        conduit=["outlet"] if actor == "outlet" else ["outlet", actor],
        said_at=said,
        source=SourceAnchor(
            document="doc.txt",
            quote=TextQuoteSelector(
                exact=TEXT[start:end],
                prefix=TEXT[max(0, start - 8) : start],
                suffix=TEXT[end : end + 8],
            ),
            position=TextPositionSelector(start=start, end=end),
        ),
        relays=(relays if relays != actor else "wsj" if actor != "wsj" else "musk")
        if stance == "reports"
        else None,
    )


statement_args = st.tuples(
    st.sampled_from(CLAIMS),
    st.sampled_from(ACTORS),
    st.sampled_from(STANCES),
    st.sampled_from(DAYS),
    st.integers(0, len(TEXT) - 2),
    st.integers(1, 60),
    st.sampled_from(ACTORS),
)


def ledger_machine(new_database: Callable[[], str]) -> type[RuleBasedStateMachine]:
    class LedgerMachine(RuleBasedStateMachine):
        @initialize()
        def open_fresh_ledger(self) -> None:
            self.app: Wiring = open_app(Settings(database_url=new_database()))
            self.model = InMemoryProjection()
            self.standing: dict[uuid.UUID, Standing] = {}
            self.retracted: set[uuid.UUID] = set()
            self.withdrawn: list[tuple[Standing, datetime]] = []
            self.recorded: list[tuple[uuid.UUID, Statement]] = []
            for key in ACTORS:
                self._apply(
                    self.app.ledger.register_actor(
                        ActorRegistered(key=key, name=key.title(), kind="person")
                    )
                )
            for key in CLAIMS:
                claim = ClaimRegistered(key=key, proposition_en=key, proposition_de=key)
                self._apply(self.app.ledger.register_claim(claim))
            digest = hashlib.sha256(TEXT.encode()).hexdigest()
            document = DocumentRegistered(
                document_id="doc.txt",
                publisher="outlet",
                language="de",
                dated=DOCUMENT_DATE.date(),
                sha256=digest,
                text=TEXT,
            )
            self._apply(self.app.ledger.register_document(document))

        def _apply(self, event) -> None:  # type: ignore[no-untyped-def]
            self.model.apply(event)

        @rule(args=statement_args, expectation=st.sampled_from(["any", "exact", "stale"]))
        def record(self, args: tuple, expectation: str) -> None:  # type: ignore[type-arg]
            statement = make_statement(*args)
            current = self.app.store.stream_version(f"claim:{statement.claim}") or 0
            expected = {"any": ANY, "exact": current, "stale": current + 1}[expectation]
            if expectation == "stale":
                with pytest.raises(ConcurrencyError):
                    self.app.ledger.record_statement(
                        statement, options=WriteOptions(expected_version=expected)
                    )
                return
            event = self.app.ledger.record_statement(
                statement, options=WriteOptions(expected_version=expected)
            )
            self._apply(event)
            said = statement.said_at.start()
            self.standing[event.event_id] = Standing(
                statement.claim,
                statement.actor,
                statement.stance,
                said or DOCUMENT_DATE,
                event.position,
                said is not None,
            )
            self.recorded.append((event.event_id, statement))

        @rule(args=statement_args, offset=st.integers(1, 5))
        def record_a_misplaced_quote(self, args: tuple, offset: int) -> None:  # type: ignore[type-arg]
            statement = make_statement(*args)
            position = statement.source.position
            moved = TextPositionSelector(start=position.start + offset, end=position.end + offset)
            source = SourceAnchor(document="doc.txt", quote=statement.source.quote, position=moved)
            bad = Statement.model_validate(
                {**statement.model_dump(), "source": source.model_dump()}
            )
            if TEXT[moved.start : moved.end] == statement.source.quote.exact:
                return
            with pytest.raises(InvalidEvent):
                self.app.ledger.record_statement(bad)

        @rule(pick=st.integers(0, 10_000))
        def retry_a_recorded_statement(self, pick: int) -> None:
            if not self.recorded:
                return
            event_id, statement = self.recorded[pick % len(self.recorded)]
            head = self.app.store.head_position()
            again = self.app.ledger.record_statement(
                statement, options=WriteOptions(event_id=event_id)
            )
            assert again.event_id == event_id
            assert self.app.store.head_position() == head

        @rule(
            pick=st.integers(0, 10_000),
            basis=st.sampled_from(list(RetractionBasis)),
            withdrawn_day=st.sampled_from(DAYS),
        )
        def retract(self, pick: int, basis: RetractionBasis, withdrawn_day: str | None) -> None:
            if not self.recorded:
                return
            statement_id = self.recorded[pick % len(self.recorded)][0]
            if statement_id in self.retracted:
                with pytest.raises(StateConflict):
                    self.app.ledger.retract_statement(
                        statement_id, reason="r", basis=RetractionBasis.LEDGER_ERROR
                    )
                return
            withdrawn_at = source_changed_at(withdrawn_day, basis)
            standing = self.standing[statement_id]
            if before_it_was_said(withdrawn_at, standing):
                with pytest.raises(InvalidEvent):
                    self.app.ledger.retract_statement(
                        statement_id, reason="r", basis=basis, withdrawn_at=withdrawn_at
                    )
                return
            event = self.app.ledger.retract_statement(
                statement_id, reason="r", basis=basis, withdrawn_at=withdrawn_at
            )
            self._apply(event)
            self.retracted.add(statement_id)
            del self.standing[statement_id]
            if basis is RetractionBasis.SOURCE_CHANGED:
                self.withdrawn.append((standing, withdrawn_at or event.recorded_at))

        @rule(
            pick=st.integers(0, 10_000),
            stance=st.sampled_from(["asserts", "denies", "questions"]),
            day=st.sampled_from(DAYS),
            basis=st.sampled_from(list(RetractionBasis)),
            corrected_day=st.sampled_from(DAYS),
        )
        def correct(
            self,
            pick: int,
            stance: str,
            day: str | None,
            basis: RetractionBasis,
            corrected_day: str | None,
        ) -> None:
            if not self.recorded:
                return
            statement_id, original = self.recorded[pick % len(self.recorded)]
            said = (
                SaidAt(precision="unknown") if day is None else SaidAt(precision="day", value=day)
            )
            corrected = Statement.model_validate(
                {
                    **original.model_dump(),
                    "stance": stance,
                    "relays": None,
                    "said_at": said.model_dump(),
                }
            )
            if statement_id in self.retracted:
                with pytest.raises(StateConflict):
                    self.app.ledger.correct_statement(
                        statement_id, corrected, reason="r", basis=RetractionBasis.LEDGER_ERROR
                    )
                return
            corrected_at = source_changed_at(corrected_day, basis)
            old = self.standing[statement_id]
            reading_said = said.start() or DOCUMENT_DATE  # the new reading's, as the ledger reads it
            too_early = corrected_at is not None and corrected_at < reading_said
            if before_it_was_said(corrected_at, old) or too_early:
                with pytest.raises(InvalidEvent):
                    self.app.ledger.correct_statement(
                        statement_id, corrected, reason="r", basis=basis, corrected_at=corrected_at
                    )
                return
            earlier = {claim: self._said_views(claim) for claim in CLAIMS}
            event = self.app.ledger.correct_statement(
                statement_id, corrected, reason="r", basis=basis, corrected_at=corrected_at
            )
            self._apply(event)
            own = said.start()
            new = Standing(
                original.claim,
                original.actor,
                stance,
                own or DOCUMENT_DATE,
                event.position,
                own is not None,
            )
            if basis is RetractionBasis.SOURCE_CHANGED:
                # the old reading stood until the source changed it; the new one from then on
                changed = parse_instant(event.data["corrected_at"])
                self.withdrawn.append((old, changed))
                if changed > new.said:
                    new = replace(new, said=changed, dated=True)
                self._same_views_before(earlier, changed)
            self.standing[statement_id] = new

        def _said_views(self, claim: str) -> dict[datetime, str]:
            """The claim's state as of the end of each day, on the said axis."""
            return {
                instant: self.app.queries.claim(claim, PointInTime(as_of=instant)).state
                for instant in AS_OF_INSTANTS
            }

        def _same_views_before(
            self, earlier: dict[str, dict[datetime, str]], changed: datetime
        ) -> None:
            """Before a source_changed correction's time, the said axis is as without it."""
            for claim, views in earlier.items():
                now = self._said_views(claim)
                for instant, state in views.items():
                    if instant < changed:
                        assert now[instant] == state, (claim, instant)

        @invariant()
        def live_tables_equal_the_model_and_the_naive_oracle(self) -> None:
            if not hasattr(self, "app"):
                return
            with self.app.store.read_connection() as connection:
                assert sql_snapshot(connection) == self.model.snapshot()
            for claim in CLAIMS:
                expected = naive_state([s for s in self.standing.values() if s.claim == claim])
                assert self.app.queries.claim(claim).state == expected
                for instant in AS_OF_INSTANTS:
                    self._check_said_as_of(claim, instant)

        def _check_said_as_of(self, claim: str, instant: datetime) -> None:
            """As of a said time, a statement its source withdrew later still counts; one the
            ledger retracted for its own error never does."""
            counted = [s for s in self.standing.values() if s.claim == claim and s.said <= instant]
            counted += [
                s
                for s, withdrawn_at in self.withdrawn
                if s.claim == claim and s.said <= instant < withdrawn_at
            ]
            view = self.app.queries.claim(claim, PointInTime(as_of=instant))
            assert view.state == naive_state(counted)

        def teardown(self) -> None:
            if not hasattr(self, "app"):
                return
            try:
                with self.app.store.read_connection() as connection:
                    live = sql_snapshot(connection)
                size = self.app.store.head_position()
                live_root = self.app.log.root(size)
                self.app.queries.rebuild_projections()
                assert self.app.queries.rebuild_tree() == (size, live_root)
                with self.app.store.read_connection() as connection:
                    assert sql_snapshot(connection) == live
                verification = self.app.queries.verify()
                assert verification.ok
                assert (verification.tree_size, verification.root) == (size, live_root)
            finally:
                self.app.close()

    return LedgerMachine


def test_live_projections_equal_a_rebuild_and_the_model(backend: str, tmp_path: Path) -> None:
    counter = itertools.count()

    def new_database() -> str:
        folder = tmp_path / str(next(counter))
        folder.mkdir()
        url = fresh_database_url(backend, folder)
        migrations.upgrade(url)
        return url

    examples = 80 if backend == "sqlite" else 30
    run_state_machine_as_test(
        ledger_machine(new_database),
        settings=settings(
            max_examples=examples,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
