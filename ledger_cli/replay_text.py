"""The replay as a person reads it on a terminal."""

from __future__ import annotations

from ledger.projections.views import Replay, ReplayStep, StatementEntry


def render_replay(replay: Replay) -> str:
    axis = "said-time" if replay.axis == "said" else "recorded-time"
    scope = f", claim {replay.claim}" if replay.claim else ""
    steps = replay.steps
    lines = [
        f"Replay on the {axis} axis, {replay.from_} to {replay.to}{scope}: {len(steps)} steps"
    ]
    day = None
    for step in steps:
        if step.at[:10] != day:
            day = step.at[:10]
            lines += ["", day]
        lines += _step_lines(step)
    return "\n".join(lines)


def _step_lines(step: ReplayStep) -> list[str]:
    statement, state = step.statement, step.claim_state
    verb = _verb(step.type, statement)
    change = f"{state.before} -> {state.after}" if state.changed else f"stays {state.after}"
    relay = f" (relaying {statement.relays})" if statement.relays else ""
    source = statement.source
    lines = [
        f"  #{step.step:<3} {statement.actor} {verb}{relay} {statement.claim}   [{change}]",
        f"       \u201c{_shorten(source.quote.exact)}\u201d",
        f"       read in {source.document} via {' -> '.join(statement.conduit)}"
        f"; said {_said(statement)}",
    ]
    if step.replaces is not None:
        old = step.replaces
        lines.append(
            f"       was: {old.stance} \u201c{_shorten(old.source.quote.exact, 80)}\u201d"
            f" ({old.source.document}; said {_said(old)})"
        )
    if step.recorded_at is not None:
        lines.append(f"       {_dates(step)}")
    if step.reason:
        lines.append(f"       reason: {step.reason} ({step.basis})")
    return lines


def _dates(step: ReplayStep) -> str:
    """A change's dates as the source gave them first, then when the ledger recorded it."""
    corrected = step.type == "StatementCorrected"
    recorded = f"recorded by the ledger {step.recorded_at}"
    if step.changed_at is None:
        return f"{'corrected' if corrected else 'retracted'} for the ledger's own error; {recorded}"
    return f"{'corrected' if corrected else 'withdrawn'} by the source {step.changed_at}; {recorded}"


def _verb(event_type: str, statement: StatementEntry) -> str:
    if event_type == "StatementRetracted":
        return f"RETRACTED ({statement.stance})"
    if event_type == "StatementCorrected":
        return f"CORRECTED to {statement.stance}"
    return str(statement.stance)


def _said(statement: StatementEntry) -> str:
    said = statement.said_at
    if said.precision == "unknown":
        return "on an unknown date"
    return f"{said.value} ({said.precision.value})"


def _shorten(text: str, limit: int = 110) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"
