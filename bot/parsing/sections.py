"""Find a posting's headings and cut it into sections.

A heading is recognised by *shape* (short, unbulleted, no sentence ending, often a trailing
colon, Markdown ``#`` or ``**bold**``) and classified by *vocabulary* that recruiters use
everywhere ("Responsibilities", "What you'll do", "Minimum qualifications", "Nice to have",
"Benefits", "About us"...). Headings glued to their first item ("Requirements: 5 years of...",
"ResponsibilitiesDesign...") are split apart. Lines under an unrecognised heading are kept
out of every list: a list is only filled when we know what it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from .noise import is_legal
from .text import Line, words


class Kind(StrEnum):
    """What a section holds."""

    INTRO = "intro"            # before the first heading
    DUTIES = "responsibilities"
    REQUIRED = "requirements"
    PREFERRED = "nice_to_have"
    QUALIFICATIONS = "qualifications"   # required unless a sub-heading says preferred
    ROLE = "role"              # "About the role", "Job description": prose, bulleted lines are duties
    BENEFITS = "benefits"
    ABOUT = "about"
    PAY = "pay"
    LEGAL = "legal"
    OTHER = "other"


_VOCAB: list[tuple[Kind, re.Pattern[str]]] = [
    (Kind.OTHER, re.compile(r"(does\s+not\s+(involve|include)|is\s+not\s+for\s+you|not\s+the\s+right\s+fit)", re.I)),
    (Kind.ROLE, re.compile(
        r"(about\s+(the|this)\s+(role|job|position|opportunity)|the\s+role|the\s+opportunity|job\s+description|"
        r"position\s+(summary|overview|description)|job\s+(summary|overview)|role\s+(overview|description|summary)|"
        r"description)$", re.I)),
    (Kind.PREFERRED, re.compile(
        r"(preferred|desired|desirable|nice[\s-]to[\s-]haves?|good[\s-]to[\s-]haves?|bonus(\s+points)?|"
        r"plus(es)?|extra\s+credit|additional\s+(qualifications|skills)|it\s+would\s+be\s+(great|nice)|"
        r"would\s+be\s+a\s+plus|ideally\s+you|an?\s+advantage|advantageous|optional|not\s+required\s+but|"
        r"even\s+better|stand\s+out|set\s+you\s+apart|assets?)\b", re.I)),
    (Kind.REQUIRED, re.compile(
        r"(required|requirements?|must[\s-]haves?|minimum|basic\s+qualifications|essential\s+(criteria|skills|"
        r"qualifications|requirements)|what\s+you('ll|\s+will)?\s+(need|bring)|what\s+we('re|\s+are)\s+looking\s+for|"
        r"who\s+you\s+are|about\s+you|your\s+profile|the\s+ideal\s+candidate|ideal\s+candidate|you\s+(have|bring|are|should\s+have)|"
        r"we\s+(expect|need)|knowledge,?\s+skills|skills(\s+and|\s*&)\s+(experience|abilities|qualifications)|"
        r"education(\s+and|\s*&)\s+experience|experience(\s+and|\s*&)\s+(education|skills|qualifications)|"
        r"qualifications\s+and\s+(skills|experience)|eligibility|person\s+specification|selection\s+criteria|"
        r"competenc(ies|y)|(your|core|technical|required)\s+skills|^skills(\s+required)?$|^experience$|^education$|"
        r"what\s+it\s+takes|what\s+makes\s+you|who\s+we('re|\s+are)\s+looking\s+for|must\s+have|prerequisites|"
        r"licen[cs](es?|ing|ure)(\s+and|\s*&|,)\s+certifications?|certifications?(\s+and|\s*&|,)\s+licen[cs](es?|ing|ure)|job\s+specification|"
        r"требования|anforderungen|ihr\s+profil|profil\s+recherch[ée]|exigences)\b", re.I)),
    (Kind.QUALIFICATIONS, re.compile(r"\bqualifications?\b|\bprofile\b|\bcriteria\b", re.I)),
    (Kind.DUTIES, re.compile(
        r"(responsibilit(y|ies)|duties|what\s+you('ll|'d|\s+will|\s+would)?\s+(actually\s+)?(do|be\s+doing|work\s+on|own)|"
        r"what\s+you\s+do|in\s+this\s+role|your\s+role|"
        r"your\s+(impact|mission|day|tasks|responsibilities)|day[\s-]to[\s-]day|essential\s+functions|key\s+(tasks|accountabilities)|"
        r"accountabilities|main\s+tasks|tasks|job\s+functions|what\s+the\s+job\s+involves|"
        r"how\s+you('ll|\s+will)\s+(contribute|make\s+an\s+impact)|you\s+will|you('ll|\s+will)\s+be|"
        r"what\s+you('ll|\s+will)\s+achieve|scope\s+of\s+(work|role)|"
        r"examples?\s+of\s+(duties|work)|primary\s+functions|major\s+duties|work\s+performed|"
        r"обязанности|ihre\s+aufgaben|aufgaben|vos\s+missions|missions)\b", re.I)),
    (Kind.BENEFITS, re.compile(
        r"(benefits?|perks|what\s+we\s+offer|we\s+offer|why\s+(join|work)|compensation\s+and\s+benefits|"
        r"total\s+rewards|what('s|\s+is)\s+in\s+it\s+for\s+you|our\s+offer|rewards|wellbeing|why\s+you('ll)?\s+love|"
        r"условия|wir\s+bieten)\b", re.I)),
    (Kind.PAY, re.compile(r"^(salary|pay|compensation|pay\s+range|salary\s+range|wage|hourly\s+rate|base\s+pay|"
                          r"salary\s+information|pay\s+rate|remuneration)(\s+range)?\b", re.I)),
    (Kind.ABOUT, re.compile(
        r"(about\s+(us|the\s+(company|team|organi[sz]ation|employer|department|agency|hospital|school|university|group|"
        r"business|opportunity)|[A-Z]\w+)|who\s+we\s+are|our\s+(company|story|mission|values|culture|team)|"
        r"company\s+(overview|description)|overview|the\s+team|meet\s+the\s+team|team\s+overview|"
        r"department\s+overview|organi[sz]ation(al)?\s+overview)\b", re.I)),
    (Kind.LEGAL, re.compile(r"(equal\s+opportunity|\beeo\b|diversity|inclusion|accommodations?|legal|disclaimer|"
                            r"privacy|notice|statement)\b", re.I)),
    (Kind.OTHER, re.compile(
        r"(how\s+to\s+apply|application\s+process|next\s+steps|interview\s+process|hiring\s+process|"
        r"(additional|other|supplemental|supplementary|further|general|important)\s+information|job\s+details|details|location|schedule|hours|shift|"
        r"working\s+conditions|work\s+environment|physical\s+(demands|requirements)|travel|"
        r"emphasi[sz]ed|highlights|key\s+skills|keywords|tags|summary|similar\s+jobs|contact|closing\s+date|"
        r"timeline|disclosure|note|important|who\s+to\s+contact|supervision|reports\s+to)\b", re.I)),
]

#: The same patterns for lower-cased text without re.IGNORECASE: sre matches case-folded
#: alternations several times slower than plain ones, and headings are checked on every line.
_VOCAB_LOWER = [(kind, re.compile(p.pattern.replace("[A-Z]", "[a-z]"))) for kind, p in _VOCAB]

# Labels that head a one-line fact ("Location: Berlin"), not a section.
FACT_LABEL = re.compile(
    r"^(job\s+title|title|position(\s+title)?|role|company|employer|organi[sz]ation|hiring\s+organi[sz]ation|"
    r"agency|department|team|division|unit|business\s+unit|group|locations?|work\s+location|city|office|"
    r"workplace(\s+type)?|work\s+(model|arrangement|setting|type)|remote|employment(\s+type)?|job\s+type|"
    r"contract(\s+type)?|schedule|hours|salary|pay|compensation|pay\s+range|salary\s+range|wage|rate|"
    r"base\s+pay|level|seniority|experience\s+level|closing\s+date|posted|start\s+date|category|industry|"
    r"function|reports\s+to|grade|clearance|duration)\s*:\s*\S",
    re.I,
)

_HEADING_COLON = re.compile(r"^(.{2,70}?)\s*[:：]\s*(.*)$")
_SENTENCE_END = re.compile(r"[.!?;]$")


def _vocab_match(text: str) -> tuple[Kind | None, float]:
    """Kind by vocabulary, and how much of the text the matched phrase covers (0..1)."""
    t = text.strip().strip(":：-–— ").strip()
    if "’" in t or "‘" in t or "`" in t:
        t = re.sub(r"[’‘`]", "'", t)
    if not t:
        return None, 0.0
    low = t.lower()
    vocab = _VOCAB_LOWER
    if len(low) == len(t):
        t = low
    else:
        vocab = _VOCAB  # lower-casing changed the length: keep offsets honest
    # Sub-heading pairs like "Required Qualifications" / "Preferred Qualifications":
    # first matching kind in _VOCAB order wins (PREFERRED before REQUIRED before generic).
    for kind, pattern in vocab:
        m = pattern.search(t)
        if m:
            return kind, (m.end() - m.start()) / len(t)
    return None, 0.0


def classify_heading(text: str) -> Kind | None:
    """Classify heading text by vocabulary; None when nothing matches."""
    return _vocab_match(text)[0]


def _looks_like_heading_shape(line: Line) -> bool:
    text = line.text
    if len(text) > 80:
        return False
    n = len(words(text))
    if n == 0 or n > 9:
        return False
    if line.markdown_heading or line.emphasised:
        return True
    if line.bulleted:
        return False
    if text.endswith((":", "：")):
        return True
    if _SENTENCE_END.search(text):
        return False
    return True


def _title_case(text: str) -> bool:
    ws = [w for w in re.findall(r"[A-Za-z][\w'’-]*", text) if len(w) > 3]
    return bool(ws) and all(w[0].isupper() for w in ws)


@dataclass(slots=True)
class Section:
    """A run of lines under one heading."""

    kind: Kind
    heading: str | None
    lines: list[Line] = field(default_factory=list)


_GLUED = re.compile(r"^((?:[A-Z][a-z]+\s){0,3}(?:Responsibilities|Requirements|Qualifications|Duties|Benefits|"
                    r"Skills|Overview|Description))([A-Z][a-z].*)$")


def _split_glued(line: Line) -> list[Line]:
    """Split "Requirements: 5+ years..." or "ResponsibilitiesDesign..." into heading + item."""
    text = line.text
    m = _HEADING_COLON.match(text) if ":" in text[:75] or "：" in text[:75] else None
    if m and m.group(2) and len(words(m.group(1))) <= 5 and not FACT_LABEL.match(text):
        head = m.group(1)
        rest = m.group(2).strip()
        kind = classify_heading(head)
        if kind == Kind.PREFERRED and _MONEY.search(rest):
            return [line]  # "Bonus: eligible for up to $500 a quarter" is pay, not a wish list
        if kind in (Kind.DUTIES, Kind.REQUIRED, Kind.PREFERRED, Kind.QUALIFICATIONS, Kind.BENEFITS) and \
                (_title_case(head) or len(words(head)) <= 3):
            heading = Line(head + ":", markdown_heading=True, blank_before=line.blank_before)
            if rest.isalpha() and rest.islower():
                return [heading]  # "Key Responsibilities: clinical": a qualifier of the heading
            return [heading, Line(rest, bulleted=True)]
    m = _GLUED.match(text) if len(text) > 8 and text[0].isupper() else None
    if m:
        return [Line(m.group(1), markdown_heading=True, blank_before=line.blank_before),
                Line(m.group(2), bulleted=line.bulleted)]
    return [line]


_MONEY = re.compile(r"[$£€₹¥]\s?\d|\d\s?(?:USD|EUR|GBP|CAD|AUD|INR)\b")
_LEAD_IN = re.compile(r"(?:\binclude|\bincludes|\bincluding|not\s+limited\s+to|following|\bby|\bwill)\s*:?$", re.I)
#: A heading made only of a section word run into an ALL-CAPS one: "ResponsibilitiesKEY RESPONSIBILITIES".
_SUBHEAD_KINDS = (Kind.DUTIES, Kind.REQUIRED, Kind.PREFERRED, Kind.QUALIFICATIONS)


def heading_kind(line: Line, next_line: Line | None, in_bulleted_section: bool,
                 prev_line: Line | None = None) -> Kind | None:
    """Kind of heading ``line`` is, or None if it is content.

    Known vocabulary makes a heading when the line has a heading's shape. An unknown short
    line is a heading only when the shape is unmistakable (Markdown/bold, trailing colon with
    few words, or Title Case sitting between bulleted lists) so plain one-line items such as
    "Embody our culture and values" stay items.
    """
    if not _looks_like_heading_shape(line):
        return None
    text = line.text
    if FACT_LABEL.match(text):
        return None
    kind, coverage = _vocab_match(text)
    n = len(words(text))
    strong_shape = text.endswith((":", "：")) or line.markdown_heading or line.emphasised
    # In a bulleted list an unbulleted short line right before more bullets is structure.
    between_lists = in_bulleted_section and next_line is not None and next_line.bulleted and n <= 8
    if kind is not None and _LEAD_IN.search(text) and not line.bulleted:
        # "Duties include but are not limited to", "In this role, you will add to the mission by".
        return kind
    if kind is not None:
        # A vocabulary word inside an ordinary item ("attention to details") is not a heading:
        # the phrase must be most of the line, or the line must be shaped like a heading.
        if strong_shape or between_lists or coverage >= 0.5 or (_title_case(text) and n <= 5):
            return kind
        return None
    if line.markdown_heading or line.emphasised:
        return Kind.OTHER
    if text.endswith((":", "：")) and n <= 4 and _title_case(text):
        return Kind.OTHER
    if between_lists:
        return Kind.OTHER
    if n <= 4 and _title_case(text) and prev_line is not None and prev_line.text.endswith((".", "!", "?")):
        return Kind.OTHER
    return None


def cut_sections(lines: list[Line]) -> list[Section]:
    """Cut the cleaned lines into sections by heading."""
    expanded: list[Line] = []
    for line in lines:
        expanded.extend(_split_glued(line))
    sections = [Section(Kind.INTRO, None)]
    bullets = 0  # bulleted lines in the current section, kept incrementally (sections can be long)
    resume_after_legal: Kind | None = None

    def start(section: Section) -> None:
        nonlocal bullets
        sections.append(section)
        bullets = sum(1 for x in section.lines if x.bulleted)

    for i, line in enumerate(expanded):
        nxt = expanded[i + 1] if i + 1 < len(expanded) else None
        current = sections[-1]
        bulleted_section = bool(current.lines) and bullets >= max(1, len(current.lines) // 2)
        prev = expanded[i - 1] if i else None
        kind = heading_kind(line, nxt, bulleted_section, prev)
        if kind is not None and current.kind in _SUBHEAD_KINDS and kind not in (Kind.LEGAL, Kind.BENEFITS, Kind.ABOUT):
            vocab_kind, coverage = _vocab_match(line.text)
            if vocab_kind is None or (coverage < 0.5 and vocab_kind != Kind.OTHER and not line.text.endswith(":")
                                      and vocab_kind != Kind.PREFERRED and not current.lines):
                # "Payment Integration & Delivery" between duty bullets, "Requirements & Analysis
                # (Core)" under "Duties": a sub-heading inside the list, which goes on.
                continue
        if kind is not None:
            if kind in (Kind.REQUIRED, Kind.PREFERRED) and current.kind == Kind.QUALIFICATIONS and not current.lines:
                current.kind = kind
                current.heading = line.text
                continue
            start(Section(kind, line.text))
            continue
        list_kind = current.kind in (Kind.DUTIES, Kind.REQUIRED, Kind.PREFERRED, Kind.QUALIFICATIONS, Kind.ROLE)
        if (list_kind and bulleted_section and bullets >= 2
                and not line.bulleted and line.blank_before and len(words(line.text)) > 8):
            # A paragraph after a bulleted list, set off by a blank line, is not one more item.
            start(Section(Kind.OTHER, None, [line]))
            continue
        if is_legal(line.text):
            if current.kind != Kind.LEGAL:
                # Right under a list heading ("Essential duties" / "Reasonable accommodations may
                # be made...") the notice is set aside and the list resumes after it.
                resume = current.kind if current.kind in _SUBHEAD_KINDS and not current.lines else None
                start(Section(Kind.LEGAL, None))
                resume_after_legal = resume
            sections[-1].lines.append(line)
            continue
        if current.kind == Kind.LEGAL and resume_after_legal is not None:
            start(Section(resume_after_legal, None))
            resume_after_legal = None
            current = sections[-1]
        current.lines.append(line)
        bullets += line.bulleted
    return sections
