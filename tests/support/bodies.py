"""Request bodies Python's json module would accept badly, or not at all, each beside a valid one.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import json

from tests.support.api_fixtures import peskov_denial

VALID = json.dumps(peskov_denial(), ensure_ascii=False)
START = '"start": 2345'
if START not in VALID:
    raise AssertionError("the valid body no longer has the position these bodies change")


def nested(depth: int) -> str:
    return VALID.replace('"note": ', '"note": ' + "[" * depth + "]" * depth + ', "x": ', 1)


BAD_BODIES = {
    "nan": VALID.replace(START, '"start": NaN'),
    "infinity": VALID.replace(START, '"start": Infinity'),
    "minus-infinity": VALID.replace(START, '"start": -Infinity'),
    "float-overflow": VALID.replace(START, '"start": 1e999'),
    "huge-int": VALID.replace(START, '"start": ' + "9" * 5000),
    "long-int": VALID.replace(START, '"start": ' + "9" * 30),
    "lone-surrogate": VALID.replace('"note": "', '"note": "\\ud800', 1),
    "lone-surrogate-key": VALID.replace('"note": "', '"\\udfff": 1, "note": "', 1),
    "nul": VALID.replace('"note": "', '"note": "\\u0000', 1),
    "duplicate-keys": VALID.replace(
        '"stance": "denies"', '"stance": "denies", "stance": "asserts"'
    ),
    "deep-nesting": nested(5000),
    "moderate-nesting": nested(40),
    "not-json": "{claim: peskov}",
    "truncated": VALID[:-5],
}
