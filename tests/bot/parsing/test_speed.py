"""The fast paths must find exactly what the plain patterns find.

Speed-ups search only the lines that hold a pattern's stem, or match lower-cased text without
re.IGNORECASE; these tests pin both to the straightforward search on made-up text.
"""

import re
from pathlib import Path

import pytest

from bot.parsing import facts, sections
from bot.parsing.text import finditer_spans, search_spans, split_lines, stem_spans

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "postings"


def _fixture_lines() -> list[str]:
    out: list[str] = []
    for path in sorted(FIXTURES.glob("*.*")):
        if path.suffix != ".json":
            out.extend(ln.text for ln in split_lines(path.read_text()))
    return out


def test_stem_spans_are_the_lines_holding_a_stem() -> None:
    text = "Intro line\nWe work on-site daily\nnothing\nSITE visits and more site work"
    spans = stem_spans(text, text.lower(), ("site",))
    assert [text[a:b] for a, b in spans] == ["We work on-site daily", "SITE visits and more site work"]
    assert stem_spans(text, text.lower(), ("zzz",)) == []


def test_a_length_changing_lower_case_searches_everything() -> None:
    text = "İstanbul office\nremote"
    assert stem_spans(text, text.lower(), ("remote",)) == [(0, len(text))]


def test_span_search_keeps_the_text_offsets_and_lookbehinds() -> None:
    text = "ab\nxx contract role\nab contract job"
    pattern = re.compile(r"(?<=ab )contract \w+")
    spans = stem_spans(text, text.lower(), ("contract",))
    m = search_spans(pattern, text, spans)
    assert m is not None and m.start() == text.rindex("contract") and m.group(0) == "contract job"
    assert [m.group(0) for m in finditer_spans(re.compile(r"contract \w+"), text, spans)] == \
        ["contract role", "contract job"]


@pytest.mark.parametrize("text", ["Minimum Qualifications", "WHAT YOU’LL DO", "About Northwind", "Nice to have:",
                                  "Требования", "Benefits & Perks", "How to apply"])
def test_lower_case_vocabulary_agrees_with_the_case_folding_one(text: str) -> None:
    t = text.strip(":").replace("’", "'")
    expected = next(((k, (m.end() - m.start()) / len(t)) for k, p in sections._VOCAB if (m := p.search(t))),
                    (None, 0.0))
    assert sections._vocab_match(text) == expected


def test_lower_case_vocabulary_agrees_on_every_fixture_line() -> None:
    for line in _fixture_lines():
        t = line.strip().strip(":：-–— ").strip().replace("’", "'").replace("‘", "'").replace("`", "'")
        if not t:
            continue
        expected = next((k for k, p in sections._VOCAB if p.search(t)), None)
        assert sections._vocab_match(line)[0] == expected, line


def test_company_stems_cover_their_patterns() -> None:
    """Every strong-company match on the fixture text holds one of its pattern's stems."""
    for path in sorted(FIXTURES.glob("*.*")):
        if path.suffix == ".json":
            continue
        norm = "\n".join(ln.text for ln in split_lines(path.read_text())).replace("’", "'")
        for (pattern, _), keys in zip(facts._STRONG_COMPANY, facts._STRONG_KEYS, strict=True):
            for m in pattern.finditer(norm):
                assert any(k in norm[m.start():m.end() + 20] for k in keys), (path.name, m.group(0))
