"""Assemble a :class:`ParsedPosting` from sections and facts."""

from __future__ import annotations

import re

from . import facts
from .model import ParsedPosting
from .noise import is_noise
from .salary import find_salary
from .sections import FACT_LABEL, Kind, Section, cut_sections
from .text import explode_inline_bullets, split_lines, words

_LIST_KINDS = {
    Kind.DUTIES: "responsibilities",
    Kind.ROLE: "responsibilities",
    Kind.REQUIRED: "requirements",
    Kind.QUALIFICATIONS: "requirements",
    Kind.PREFERRED: "nice_to_have",
}
MAX_ITEMS = 60


def _title_words(text: str) -> bool:
    ws = [w for w in text.replace("&", " ").split() if len(w) > 3]
    return bool(ws) and all(w[:1].isupper() for w in ws)

MAX_ITEM_CHARS = 1_500

#: A pay or rota statement among list items ("Pay is $18-20/hr", "Day rate: up to $600",
#: "4 days on, 4 days off") is a term of the job, not a duty or a requirement.
_PAY_ITEM = re.compile(r"^(?:(?:base |day |hourly |starting )?(?:pay|salary|wages?|rate|compensation)|rate of pay)\b"
                       r"(?:[^.;]|\.(?=\d)){0,40}?(?:\d|[$£€₹])", re.I)
#: A list marker left on its own line ("+ 1." over the item): a number is not an item.
_BARE_NUMBER = re.compile(r"\(?\d{1,2}[.):]?")
_DAYS_OFF = re.compile(r"\b(?:\d{1,2}|one|two|three|four) days? off\b", re.I)
#: A requirement line that is itself only preferred ("... strongly preferred") is a nice-to-have.
_PREFERRED_ITEM = re.compile(r"\b(?:(?:strongly|highly) )?preferred\b|\bis an? (?:big |strong |definite )?plus\b|"
                             r"\bnice[- ]to[- ]have\b|\bdesirable\b|\bwould be an advantage\b|\badvantageous\b", re.I)
_REQUIRED_WORD = re.compile(r"\b(?:required|must|mandatory|essential)\b|\bnot preferred\b", re.I)


def _continues(previous: str, text: str) -> bool:
    """A bullet that carries on the one before it ("(cold/hot temperatures," / "and humidity.)")."""
    return text[:1].islower() and (previous.endswith(",") or previous.count("(") > previous.count(")"))


def _items(section: Section) -> list[str]:
    """The list items of one section: bulleted or one-per-line, chrome and labels dropped."""
    lines = section.lines
    bulleted = sum(1 for x in lines if x.bulleted)
    mostly_bulleted = bulleted >= 2 and bulleted >= len(lines) / 2
    out: list[str] = []
    for line in lines:
        text = line.text
        if is_noise(text) or FACT_LABEL.match(text) or _PAY_ITEM.match(text) or _BARE_NUMBER.fullmatch(text):
            continue
        if _DAYS_OFF.search(text) and len(words(text)) <= 12:
            continue
        if out and line.bulleted and _continues(out[-1], text):
            out[-1] = f"{out[-1]} {text}"
            continue
        if section.kind == Kind.ROLE and not line.bulleted:
            continue
        if bulleted >= 2 and not line.bulleted and (text.endswith(":") or len(words(text)) > 30):
            continue  # a lead-in ("...including:") or a paragraph between bullets, not an item
        if mostly_bulleted and not line.bulleted:
            # A wrapped continuation of the previous bullet, or prose between lists.
            if out and text[:1].islower() and not out[-1].endswith((".", "!", "?")):
                out[-1] = f"{out[-1]} {text}"
                continue
            if len(words(text)) > 40:
                continue
            if len(words(text)) <= 6 and not text.endswith((".", ";")) and _title_words(text):
                continue  # a sub-heading between bullet groups ("Events & Logistics")
        out.append(text[:MAX_ITEM_CHARS])
    return out


def parse_posting(raw: str) -> ParsedPosting:
    """Parse pasted posting text. Never raises on any string; unknown facts stay empty."""
    if not raw or not raw.strip():
        return ParsedPosting()
    lines = explode_inline_bullets(split_lines(raw))
    if not lines:
        return ParsedPosting()
    sections = cut_sections(lines)
    lists: dict[str, list[str]] = {"responsibilities": [], "requirements": [], "nice_to_have": []}
    for section in sections:
        key = _LIST_KINDS.get(section.kind)
        if key:
            lists[key].extend(_items(section))
    still_required = [x for x in lists["requirements"] if not _PREFERRED_ITEM.search(x) or _REQUIRED_WORD.search(x)]
    if len(still_required) < len(lists["requirements"]):
        lists["nice_to_have"] = [x for x in lists["requirements"] if x not in still_required] + lists["nice_to_have"]
        lists["requirements"] = still_required
    for key in lists:
        lists[key] = lists[key][:MAX_ITEMS]

    clean_lines = [ln for ln in lines if not is_noise(ln.text)]
    prose = "\n".join(ln.text for ln in clean_lines)
    text_all = "\n".join(ln.text for ln in lines)
    meta = facts.metadata_segments(lines)
    head = facts.header_lines(lines)
    fields = facts.labelled_fields(clean_lines)

    title = facts.find_title(clean_lines, head, prose, fields)
    company = facts.find_company(clean_lines, text_all, meta, head, title, fields)
    if title and company:
        title = facts._clean_title(title, company) or title
    team = facts.find_team(clean_lines, prose, company, title, fields)

    required = lists["requirements"]
    preferred_lines = {id(ln) for s in sections if s.kind == Kind.PREFERRED for ln in s.lines}
    not_preferred = [ln.text for ln in clean_lines if id(ln) not in preferred_lines]
    basis = required if required else not_preferred
    # Languages count where a candidate is asked for them; a stack named in prose or a board's
    # tag cloud is not a requirement.
    lang_basis = required + lists["nice_to_have"]
    locations = facts.find_locations(clean_lines, head, meta, prose, fields)
    salary = find_salary([ln.text for ln in clean_lines], facts.posting_country(locations, prose))

    return ParsedPosting(
        title=title,
        company=company,
        team=team,
        locations=locations,
        workplace=facts.find_workplace(clean_lines, meta, head[0] if head else title, prose, fields),
        employment_type=facts.find_employment_type(clean_lines, meta, title, prose, fields),
        seniority=facts.find_seniority(clean_lines, title, prose, fields),
        min_years_experience=facts.find_min_years(basis),
        education=facts.find_education(basis),
        languages=facts.find_languages(lang_basis),
        salary=salary.as_dict() if salary else None,
        background_check=facts.find_background_check([ln.text for ln in clean_lines]),
        responsibilities=lists["responsibilities"],
        requirements=lists["requirements"],
        nice_to_have=lists["nice_to_have"],
    )


