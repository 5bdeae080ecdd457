"""What users type after ``/hiring``, split into words."""

from __future__ import annotations

import random
import shlex

from handlers.listeners.commands import args


def test_plain_text_splits_exactly_as_shlex_would() -> None:
    """The fast path (no quote, no backslash) gives shlex's words for any such text, whatever
    its whitespace: shlex splits on space, tab, CR and LF only, so a no-break space stays inside
    a word."""
    alphabet = [*"abAPP-07 \t\r\n\u00a0\x0b\x0c#;|&<>()*?$~=,.:@_é<>", "<@U1|ann>"]
    rng = random.Random(15)
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        assert args.tokens(text) == shlex.split(text), repr(text)


def test_quotes_and_backslashes_still_go_through_shlex() -> None:
    assert args.tokens('note APP-7 "great call"') == ["note", "APP-7", "great call"]
    assert args.tokens("note APP-7 “smart quotes”") == ["note", "APP-7", "smart quotes"]
    assert args.tokens(r"a\ b c") == ["a b", "c"]
    assert args.tokens('note APP-7 "unbalanced') == ["note", "APP-7", "unbalanced"]
    assert args.tokens("") == [] and args.tokens(" \t ") == []
