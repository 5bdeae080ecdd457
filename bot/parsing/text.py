"""Turn a raw paste into clean lines the rest of the parser can reason about.

Pastes come from careers pages, job boards, PDFs and e-mails: NBSP padding, zero-width
characters, bullet glyphs of every kind, numbered lists, Markdown, and headings glued to
the text that follows them. Everything here is structural; nothing keys on wording of a
particular posting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Parsing stops looking after this many characters. A real posting is 2-15 KB; a 2 MB
#: paste is almost always a whole page dump, and its head holds the posting.
MAX_CHARS = 60_000
#: Lines longer than this are prose dumps (or binary junk), never items or headings.
MAX_LINE = 3_000

#: Characters that render as nothing: zero-width spaces and joiners, direction marks, the
#: Mongolian vowel separator (whitespace in old Unicode), word joiner, BOM, soft hyphen.
_INVISIBLE_CHARS = "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\u180e\u061c\ufeff\u00ad"
#: Every character ``re`` treats as ``\s`` becomes a plain space, or a newline when it breaks
#: lines. After this the only whitespace left is " " and "\n", so no pattern downstream can be
#: fed a run of exotic spaces (U+1680, U+2000-U+200A, U+3000...) that ``\s`` would match
#: but the collapsing below would not.
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_SPACE_MAP: dict[int, str | None] = {
    c: ("\n" if chr(c) in _LINE_BREAKS else " ") for c in range(0x3001) if chr(c).isspace()
}
_SPACE_MAP.update(dict.fromkeys(map(ord, _INVISIBLE_CHARS), None))
_SPACE_MAP[ord("\n")] = "\n"
_SPACES = re.compile(r" {2,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]+")

# A bullet: glyphs, dashes, asterisks, numbers "1." "1)" "(a)" "a." "i)".
_BULLET = re.compile(
    r"^(?:(?:[*+](?=\s)|-(?=\s|[A-Z])|[•·‣◦▪▫●○■□◆◇➢➤►▸▹✓✔✗☐☑→⁃∙–—])+\s*"
    r"|\(?\d{1,2}[.)]\s+|\(?[a-zA-Z][.)]\s+(?=[A-Z])|\((?:[ivx]{1,4})\)\s+)"
)
_MD_HEADING = re.compile(r"^#{1,6}\s*")
_EMPHASIS = re.compile(r"^(\*\*|__)(.+?)\1\s*:?\s*$|^(\*\*|__)(.+?)\3")


@dataclass(slots=True)
class Line:
    """One non-empty line of the posting after clean-up.

    ``text`` is verbatim except for removed bullet glyphs and normalised whitespace, so it can
    be returned to the user as written. ``bulleted`` remembers whether a list marker was there,
    which is the strongest signal that a line is an item and not a heading or prose.
    ``blank_before`` says a blank line separated it from the previous line.
    """

    text: str
    bulleted: bool = False
    markdown_heading: bool = False
    emphasised: bool = False
    blank_before: bool = False


def decode(data: bytes) -> str:
    """Decode bytes as UTF-8, replacing what is not, so a stray Latin-1 byte never crashes."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8", errors="replace")


def normalise(raw: str) -> str:
    """Cap the size, drop invisible and control characters, unify newlines and spaces."""
    text = raw[:MAX_CHARS].replace("\r\n", "\n")
    text = text.translate(_SPACE_MAP)
    text = _CONTROL.sub(" ", text)
    return text


def squash_spaces(text: str) -> str:
    """Every whitespace run (any Unicode space) becomes one plain space; for callers given raw text."""
    return " ".join(text.split())


#: A two-digit ordinal glued to its item: "01Own the roadmap", "015+ years" (item 01, "5+ years").
_GLUED_ORDINAL = re.compile(r"^0[1-9](?=[A-Z(\d])|^1[0-9](?=[A-Z][a-z])")


def strip_bullet(text: str) -> tuple[str, bool]:
    """Remove one leading list marker; return the rest and whether there was one."""
    m = _BULLET.match(text)
    if not m:
        g = _GLUED_ORDINAL.match(text)
        return (text[g.end():], True) if g and len(text) > 4 else (text, False)
    rest = text[m.end():].strip()
    g = _GLUED_ORDINAL.match(rest)
    if g and len(rest) > 4:
        rest = rest[g.end():]
    # "- " alone or "1." alone is not an item.
    return (rest, True) if rest else (text, False)


#: Where a flattened page runs sentences and headings together without a space:
#: "...per week.Summary: ...", "pages.Collaborate with...", "weekSummary:", "CasualTHE POSITION:".
_GLUED_BREAK = re.compile(r"(?<=[a-z0-9)][.!?;])(?=[A-Z][a-z])|(?<=[a-z)])(?=[A-Z][a-z]++(?: [A-Z]?[a-z]++){0,2}:)"
                          r"|(?<=[a-z)])(?=[A-Z]{3,}+(?: [A-Z]{2,}+)*+:)")
#: Lines longer than this are looked at for glued sentence boundaries.
GLUED_LINE = 250


def _unglue(piece: str) -> list[str]:
    if len(piece) < GLUED_LINE:
        return [piece]
    return _GLUED_BREAK.split(piece)


def split_lines(raw: str) -> list[Line]:
    """Split into cleaned :class:`Line` objects, dropping empties but remembering the gaps."""
    lines: list[Line] = []
    blank = False
    pieces = [p for piece in normalise(raw).split("\n") for p in _unglue(piece)]
    for piece in pieces:
        text = _SPACES.sub(" ", piece).strip()
        if not text:
            blank = True
            continue
        if len(text) > MAX_LINE:
            text = text[:MAX_LINE]
        md = bool(_MD_HEADING.match(text)) and not text.startswith("#!")
        if md:
            text = _MD_HEADING.sub("", text).strip()
            if not text:
                continue
        text, bulleted = strip_bullet(text)
        emph = False
        m = _EMPHASIS.match(text)
        if m and m.group(2):
            text, emph = m.group(2).strip(), True
        elif m and m.group(4):
            text = (m.group(4).strip() + " " + text[m.end():].strip()).strip()
            text = text.replace("**", "").replace("__", "")
            emph = True
        text = text.replace("**", "")
        if text.strip(" -*_=~|"):
            lines.append(Line(text=text.strip(), bulleted=bulleted, markdown_heading=md,
                              emphasised=emph, blank_before=blank))
        blank = False
    return lines


_INLINE_BULLETS = re.compile(r"(?<!\s)\s++[•●▪◦■➢►]\s++")


def explode_inline_bullets(lines: list[Line]) -> list[Line]:
    """A scraped page sometimes flattens a list into one line: "a • b • c". Split it back."""
    out: list[Line] = []
    for line in lines:
        parts = _INLINE_BULLETS.split(line.text)
        if len(parts) >= 3 and all(len(p) > 2 for p in parts):
            out.append(Line(parts[0], line.bulleted, line.markdown_heading, line.emphasised, line.blank_before))
            out.extend(Line(p.strip(), bulleted=True) for p in parts[1:] if p.strip())
        else:
            out.append(line)
    return out


def words(text: str) -> list[str]:
    """Word tokens, for length checks."""
    return re.findall(r"[\w'’+#.-]+", text)


def stem_spans(text: str, low: str, stems: tuple[str, ...]) -> list[tuple[int, int]]:
    """The lines of ``text`` that contain one of ``stems``, as ``(start, end)`` offsets in order.

    ``low`` is ``text.lower()``. Every match of a pattern holds one of its lower-case stems, so
    searching only these lines (``pattern.search(text, start, end)``, offsets stay the text's)
    finds what a search of the whole text finds on one line, at a fraction of the cost: a
    ``str.find`` for a stem runs at memory speed, a case-insensitive alternation does not.
    If lower-casing changed the length (a few rare letters do), the whole text is one span.
    """
    if len(low) != len(text):
        return [(0, len(text))]
    spans: list[tuple[int, int]] = []
    for stem in stems:
        i = low.find(stem)
        while i >= 0:
            start = low.rfind("\n", 0, i) + 1
            end = low.find("\n", i + len(stem))
            end = len(low) if end < 0 else end
            spans.append((start, end))
            i = low.find(stem, end)
    if len(spans) > 1:
        spans.sort()
        merged = [spans[0]]
        for start, end in spans[1:]:
            if start <= merged[-1][1]:
                if end > merged[-1][1]:
                    merged[-1] = (merged[-1][0], end)
            else:
                merged.append((start, end))
        return merged
    return spans


def search_spans(pattern: re.Pattern[str], text: str, spans: list[tuple[int, int]]) -> re.Match[str] | None:
    """The first match of ``pattern`` inside one of ``spans`` of ``text`` (see :func:`stem_spans`)."""
    for start, end in spans:
        m = pattern.search(text, start, end)
        if m:
            return m
    return None


def finditer_spans(pattern: re.Pattern[str], text: str, spans: list[tuple[int, int]]) -> list[re.Match[str]]:
    """Every match of ``pattern`` inside ``spans`` of ``text``, in text order."""
    return [m for start, end in spans for m in pattern.finditer(text, start, end)]
