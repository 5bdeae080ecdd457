"""Whole postings in layouts the dev set does not have: each must parse to what a recruiter reads.

The fixtures are written for hirebot (not copied from the dev set); each ``.expected.json``
lists only the facts a careful reader is sure of, plus item counts for the three lists.
"""

import json
from pathlib import Path

import pytest

from bot.parsing import parse_posting

FIXTURES = Path(__file__).parents[2] / "fixtures" / "postings"
CASES = sorted(p for p in FIXTURES.iterdir() if p.suffix in {".txt", ".md"})


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fixture_parses_as_a_recruiter_would(path: Path) -> None:
    expected = json.loads(path.with_name(path.stem + ".expected.json").read_text())
    got = parse_posting(path.read_text()).to_dict()
    for key, want in expected.items():
        if key.startswith("n_"):
            assert len(got[key[2:]]) == want, (key, got[key[2:]])
        else:
            assert got[key] == want, key


def test_no_fixture_leaks_boilerplate_into_lists() -> None:
    for path in CASES:
        got = parse_posting(path.read_text())
        for item in got.responsibilities + got.requirements + got.nice_to_have:
            low = item.lower()
            assert "equal opportunity" not in low and "apply now" not in low and "show more" not in low, item
