"""No input may make the parser slow: every pattern that sees user text must be linear.

Each recipe below once took seconds or never finished (nested or overlapping quantifiers fed
exotic spaces or long glued tokens). The property test mixes the same shapes at random; its
bound is generous, so only a real blow-up can break it.
"""

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.parsing import parse_posting
from bot.parsing.text import split_lines

RECIPES = {
    "years_with_ogham_spaces": ("5" + "\u1680" * 120 + "x\n") * 250,
    "prose_place_hyphen_run": "based in " + "Ab-" * 990 + "x",
    "metadata_place_hyphen_run": ("Acme · " + "Ab-" * 64 + "x\n") * 12,
    "legal_suffix_dots": "Acme Inc\n" + ("A." * 1499 + "\n") * 20,
    "inline_bullets_spaces": ("a" + "\u1680" * 2998 + "b\n") * 20,
    "applicant_counter_commas": ("1," * 1495 + " job\n") * 20,
}
BOUND = 1.0  # CPU seconds: a regex gone quadratic burns CPU, while a busy machine only stretches wall time


def _scaled(text: str, size: int = 60_000) -> str:
    return (text * (size // max(1, len(text)) + 1))[:size]


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_recipe_is_fast(name: str) -> None:
    for text in (RECIPES[name], _scaled(RECIPES[name])):
        start = time.process_time()
        parse_posting(text)
        assert time.process_time() - start < BOUND, name


def test_every_unicode_space_becomes_a_plain_space() -> None:
    spaces = "\u00a0\u1680\u2000\u2005\u200a\u202f\u205f\u3000\u180e\u200b\ufeff"
    lines = split_lines("Senior" + spaces + "Nurse")
    assert [ln.text for ln in lines] == ["Senior Nurse"]


_PIECES = st.sampled_from([
    "Ab-", "A.", "1,", "5", "Acme · ", "based in ", "Inc", " ", "\u1680", "\u3000", "\u2007", "\u200b", "\n",
    "•", " • ", "- ", "01", "US-CA-", "Austin, TX", ", ", "Location: ", "Salary: $", "years", "+", "(", ")",
    "Requirements:", "x", "Z", "é", "\t", "|", "·", "’s", "at ", "Join ", "the ", " team", "per hour", "₹",
])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(st.tuples(_PIECES, st.integers(min_value=1, max_value=400)), min_size=1, max_size=12))
def test_random_adversarial_text_never_hangs(parts: list[tuple[str, int]]) -> None:
    text = "".join(piece * n for piece, n in parts)
    start = time.process_time()
    parse_posting(text)
    assert time.process_time() - start < 2.0
