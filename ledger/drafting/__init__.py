"""Statement drafts: what a text appears to say, proposed for a person to confirm (rules.py)."""

from ledger.drafting.rules import Draft, draft_statements
from ledger.drafting.speakers import ActorName

__all__ = ["ActorName", "Draft", "draft_statements"]
