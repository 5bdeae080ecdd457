"""Extract the scalar facts of an opening from cleaned lines and sections.

Each function answers one question and returns None when the posting does not say: a wrong
guess costs a hiring team more than a blank field they can fill in the preview.
Order of evidence is always the same: an explicit label ("Location: Berlin") beats a
job-board metadata line ("Acme · Berlin, Germany · Full-time"), which beats prose.
"""

from __future__ import annotations

import re
from collections import Counter

from . import places, vocab
from .noise import is_noise
from .sections import classify_heading
from .text import Line, finditer_spans, search_spans, squash_spaces, stem_spans, words

_APOS = re.compile(r"[’‘`]")

# ---------------------------------------------------------------- labelled fields
#: "Label: value" at the start of a line (the label is short and starts with a letter).
_FIELD_COLON = re.compile(r"^([A-Za-z][A-Za-z /&()'’-]{0,38}?) ?[:：] ?(.*)$")
#: ALL-CAPS labels inside a line, which run together when a page is flattened:
#: "DIRECTORATE: Business, Growth & CommunityCLASSIFICATION: Grade A".
_CAPS_LABEL = re.compile(r"(?<![A-Za-z])([A-Z]{3,}+(?: (?:[A-Z]{2,}+|&|/))*+) ?:")
#: Where a value ends because the next label starts: " Time: ..." or glued "weekSummary: ...".
_NEXT_LABEL = re.compile(r"(?: |(?<=[a-z.]))(?=[A-Z][a-z]++ ?:(?: |$))")
#: First words of two-word labels, so "… Job Type:" is cut before "Job", not before "Type".
_LABEL_FIRST = re.compile(r"(?: |^)(?:job|pay|start|closing|work|employment|contract|salary|hourly|working|"
                          r"reports|reporting|worker|base)$", re.I)
#: A line that is only a label, with its value on the next line ("Location" / "United States").
_BARE_LABELS = re.compile(r"(?:job |work |office )?locations?|salary|pay|compensation|employment type|job type|"
                          r"company|employer|department|team|job title|position|workplace(?: type)?|work model", re.I)


def _cut_value(value: str) -> str:
    value = value.strip(" |")
    m = _NEXT_LABEL.search(value, 1)
    if not m:
        return value
    cut = m.start()
    first = _LABEL_FIRST.search(value[:cut].rstrip())
    if first:
        cut = first.start()
    return value[:cut].strip(" |")


def labelled_fields(lines: list[Line]) -> list[tuple[str, str]]:
    """Every (label, value) pair the posting states: "Label: value", "| Label | value |",
    "Label: | value |", ALL-CAPS labels run together, and a bare label line over its value."""
    out: list[tuple[str, str]] = []
    for i, line in enumerate(lines[:120]):
        text = line.text
        if text.startswith("|") or (text.count("|") >= 2 and ":" not in text[:40]):
            cells = [c.strip() for c in text.strip("|").split("|")]
            cells = [c for c in cells if c]
            if len(cells) >= 2 and len(cells[0]) <= 40 and not cells[0].startswith("-"):
                out.append((cells[0].rstrip(":：").strip().lower(), cells[1]))
            continue
        m = _FIELD_COLON.match(text)
        if m:
            value = _cut_value(m.group(2))
            if value:
                out.append((m.group(1).strip().lower(), value))
        elif len(text) <= 40 and _BARE_LABELS.fullmatch(text) and i + 1 < len(lines) \
                and len(lines[i + 1].text) <= 80:
            out.append((text.lower(), lines[i + 1].text))
        if text.count(":") >= 2 or (not m and ":" in text):
            caps = list(_CAPS_LABEL.finditer(text))
            for j, c in enumerate(caps):
                end = caps[j + 1].start() if j + 1 < len(caps) else len(text)
                value = text[c.end():end].strip()
                if value and c.start() > 0:
                    out.append((c.group(1).lower(), value[:300]))
    return out


def _label_value(lines: list[Line], labels: str, fields: list[tuple[str, str]] | None = None) -> str | None:
    pattern = re.compile(r"(?:" + labels + r")", re.I)
    for label, value in fields if fields is not None else labelled_fields(lines):
        value = value.strip()
        if value.strip("-–— ") and (pattern.fullmatch(label) or (
                " " in label and len(label.split()) <= 4 and pattern.fullmatch(label.split()[-1]))):
            return value
    return None


# ---------------------------------------------------------------- header / metadata lines
_META_SEP = re.compile(r"\s+[·|•]\s+|\s+[-–—]\s+(?=[A-Z])")


def metadata_segments(lines: list[Line]) -> list[str]:
    """Segments of a job-board metadata line ("Acme · Big Tech · Berlin · Full-time") near the top.

    Chrome is dropped per segment ("Austin, TX · 87 applicants" keeps the place).
    """
    for line in lines[:12]:
        if line.bulleted or len(line.text) > 200:
            continue
        parts = [p.strip() for p in re.split(r" [·|•] ", line.text) if p.strip()]
        if len(parts) >= 3 or (len(parts) == 2 and any(_has_place(p) for p in parts)):
            return [p for p in parts if not is_noise(p)]
    return []


def header_lines(lines: list[Line], limit: int = 8) -> list[str]:
    """The short lines at the very top (title, employer, place), before any prose."""
    out: list[str] = []
    for line in lines[:limit + 6]:
        if is_noise(line.text):
            continue
        if line.bulleted:
            continue  # board bullets (breadcrumbs, "• Full-time", a promo blurb) sit between header lines
        if len(words(line.text)) > 15:
            break
        out.append(line.text)
        if len(out) >= limit:
            break
    return out


def _has_place(text: str) -> bool:
    """The text names a place: "Austin, TX" anywhere in it, or it is one bare place."""
    return bool(places.scan_places(text)) or places.is_bare_place(text)


def _is_place(text: str) -> bool:
    """The whole text is a place ("Austin, TX", "Berlin", "Remote - Canada" is not)."""
    t = text.strip(" ,.;")
    if places.is_bare_place(t):
        return True
    found = places.scan_places(t)
    return bool(found) and found[0][0] == 0 and len(found[0][1]) >= len(t) - 2


def _dedupe_words(text: str) -> str:
    """Board logos leave "Acme Acme"; keep one."""
    ws = text.split()
    half = len(ws) // 2
    if len(ws) % 2 == 0 and half and ws[:half] == ws[half:]:
        return " ".join(ws[:half])
    return text


# ---------------------------------------------------------------- title
_TITLE_LABEL = r"job title|position title|title|position|role|job|post|vacancy|job name|role title"
_TW = r"[A-Z][\w./&+’'-]*+"
#: A capitalised role phrase: up to seven words, small joining words allowed inside.
_TITLE_WORDS = (r"(?P<t>" + _TW + r"(?: (?:of |and |& |in |for |to |- )?(?:" + _TW +
                r"|\([A-Z][\w/&-]*+\)|\d{1,2}(?= [A-Z])|I{1,3}|IV)){0,7})")
_TITLE_PROSE = [
    re.compile(r"\b(?:is|are|'re|’re|am) (?:hiring|looking for|seeking|searching for|recruiting) "
               r"(?:an?|our next|a new|an experienced|a dedicated|a motivated|a talented) (?:[a-z]+, )*(?:[a-z]+ )?"
               + _TITLE_WORDS),
    re.compile(r"(?:^|[.!?] |\n)As (?:an?|the|our) " + _TITLE_WORDS + r"(?=,| you| in | at | with | on | for | is )"),
    re.compile(r"\b(?:applications|candidates|applicants) for the (?:post|position|role) of (?:an? )?" + _TITLE_WORDS),
    re.compile(r"\b(?:[Ww]e(?:'re|’re| are)? )?(?:[Hh]iring|[Ss]eeking|[Rr]ecruiting):? (?:an?|our) " + _TITLE_WORDS),
]
_SECTION_WORD = re.compile(r"^(responsibilities|requirements|qualifications|about|benefits|what\s+you|who\s+you|"
                           r"your\s+role|the\s+role|job\s+(summary|description|details|opportunities)|description|"
                           r"summary|overview|menu$|home$)\b", re.I)
#: Agent nouns a title ends in when the role word is not in the vocabulary ("Dishwasher",
#: "Labourer", "Lineperson", "Tax Senior").
_AGENT = re.compile(r"(?:[a-z]{3,}(?:er|or|ist|ian)|[a-z]+(?:person|man|woman|hand|smith|wright|keeper)|"
                    r"Senior|Junior|Associate)$")
_NOT_AGENT = {
    "center", "centre", "summer", "winter", "number", "paper", "water", "letter", "power", "computer", "customer",
    "order", "career", "cancer", "chapter", "register", "semester", "together", "other", "offer", "cover",
    "transfer", "matter", "banner", "newsletter", "header", "footer", "folder", "filter", "layer", "border",
    "master", "door", "floor", "color", "colour", "error", "factor", "sector", "vendor", "mirror", "major", "minor",
    "honor", "honour", "labor", "labour", "favor", "interior", "exterior", "motor", "behavior", "behaviour",
    "neighbor", "prior", "superior", "list", "wrist", "twist", "assist", "exist", "consist", "resist", "christian",
    "calendar", "whatever", "however", "corner", "dinner", "member", "remember", "november", "december", "october",
    "september", "poster", "roster", "cluster", "charter", "quarter", "shelter", "theater", "theatre", "monitor",
    "editor", "browser", "container", "trailer", "tractor", "elevator", "generator", "calculator", "indicator",
    "woman", "man", "german", "roman", "human", "hander", "platform", "further", "either", "never", "rather", "over",
    "under", "after", "enter", "better", "bigger", "faster", "pioneer",
}
_PAY_LEVEL = re.compile(r" (?:Level|Grade|Band|Step|Lvl\.?) (?:\d{1,2}|[A-Z]|one|two|three|four|five)$", re.I)
_TITLE_PREFIX = re.compile(r"^(?:(?:we(?:'re|’re| are) |now )?hiring:? (?:an? |our )?|job title:? |vacancy:? |"
                           r"open position:? |position:? |role:? )", re.I)
_DATE_GLUE = re.compile(r"(?<=[A-Za-z)])\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")
_ORG_TAIL = re.compile(r"\b(?:firm|company|agency|group|inc|ltd|llc|gmbh|plc|hospital|clinic|school|district|"
                       r"university|college|council|bank|practice|studio|partners|recruiting|recruitment|"
                       r"staffing|solutions|services|consultancy)\.?$", re.I)


def _is_role(text: str) -> bool:
    """The phrase names a role: a vocabulary role noun, or an agent noun as its last word."""
    if vocab.ROLE_NOUNS.search(text):
        return True
    last = re.sub(r"\s*\([^()]*\)$", "", text).strip().split(" ")[-1] if text.strip() else ""
    return bool(_AGENT.search(last)) and last.lower() not in _NOT_AGENT


def _title_case_share(text: str) -> float:
    ws = [w for w in re.findall(r"[A-Za-z][\w'’-]*", text) if len(w) > 3]
    return sum(1 for w in ws if w[0].isupper()) / len(ws) if ws else 1.0


def _clean_title(title: str, company: str | None = None) -> str:
    t = re.split(r" \| | · ", title.strip(" |"))[0].strip()
    if " › " in t or " > " in t:
        t = re.split(r" [›>] ", t)[-1]
    t = _TITLE_PREFIX.sub("", t).strip()
    t = _DATE_GLUE.sub("", t)
    t = re.sub(r" ?\((?:[^()]*\b(?:remote|hybrid|on-?site|experience|years?|months?|contract|temporary|"
               r"full[- ]time|part[- ]time|permanent)\b[^()]*)\)", " ", t, flags=re.I).strip()
    t = re.sub(r" ?\((?:m|f|w|d|x|h|all genders?|gn\*?)(?: ?/ ?(?:m|f|w|d|x|h|div))+\)", " ", t, flags=re.I)
    t = re.sub(r" ?[-–—(] ?(remote|hybrid|on-?site|full[- ]time|part[- ]time)\)?$", "", t, flags=re.I)
    if company:
        t = re.sub(r" (?:at|@|-|–|—) " + re.escape(company) + r"\b.*$", "", t)
    t = re.sub(r" (?:at|@) [A-Z][\w&.'-]*+(?: [A-Z][\w&.'-]*+)*$", "", t)
    for _ in range(2):
        m = re.search(r" ?(?: [-–—]|,) (.+)$", t)
        if not m:
            break
        tail = m.group(1).strip()
        if _is_place(tail) or places.city_info(tail) or _ORG_TAIL.search(tail) or \
                (company and tail.lower() == company.lower()):
            t = t[:m.start()]
        else:
            break
    t = _PAY_LEVEL.sub("", t.strip())
    return t.strip(" -–—,:;")


def looks_like_title(text: str) -> bool:
    """A short, unpunctuated line naming a role."""
    n = len(words(text))
    if n == 0 or n > 12 or len(text) > 110 or text.endswith((".", "!", "?", ":", ";", ",")):
        return False
    if is_noise(text) or _title_case_share(_clean_title(text)) < 0.7:
        return False
    return _is_role(_clean_title(text))


def find_title(lines: list[Line], head: list[str], prose: str,
               fields: list[tuple[str, str]] | None = None) -> str | None:
    labelled = _label_value(lines, _TITLE_LABEL, fields)
    if labelled and looks_like_title(labelled):
        return _clean_title(labelled)
    for text in head[:6]:
        if looks_like_title(text) and not _is_place(text) and not _SECTION_WORD.search(text):
            return _clean_title(text)
    # Breadcrumbs and board bullets at the very top: "- Search Jobs / - Police Officer Recruit".
    for line in lines[:6]:
        if line.bulleted and looks_like_title(line.text) and not _SECTION_WORD.search(line.text):
            return _clean_title(line.text)
    for pattern in _TITLE_PROSE:
        for m in pattern.finditer(prose):
            t = _trim_title(m.group("t"))
            if t and _is_role(t):
                return t
    return _repeated_role(prose)


def _trim_title(t: str) -> str:
    """A prose match runs on into the sentence: cut at the first word after the role noun."""
    ws = t.split(" ")
    for n in range(len(ws), 0, -1):
        cand = " ".join(ws[:n]).rstrip(".,;:")
        if _is_role(cand.split(" ")[-1]) or vocab.ROLE_NOUNS.fullmatch(cand.split(" ")[-1]):
            return cand
    return ""


_CAP_ROLE = re.compile(r"(?<=[a-z,] )((?:[A-Z][a-z]++ ){0,3}[A-Z][a-z]++)(?=[ ,.;:'’])")


def _repeated_role(prose: str) -> str | None:
    """The capitalised role a posting keeps naming mid-sentence ("...arrange for the Support Worker to...")."""
    counts: Counter[str] = Counter()
    for m in _CAP_ROLE.finditer(prose[:20_000]):
        phrase = m.group(1)
        ws = phrase.split(" ")
        for n in range(len(ws), 0, -1):
            cand = " ".join(ws[-n:])
            if 2 <= n <= 3 and _is_role(cand):
                counts[cand] += 1
                break
    if not counts:
        return None
    name, n = counts.most_common(1)[0]
    return name if n >= 3 else None


# ---------------------------------------------------------------- company
#: A capitalised name of up to five words. Words are possessive and a phrase may only start
#: where a word starts, so scanning text for it is linear (no re-splitting of "A.A.A.A...").
_CAP_WORD = r"[\w&.-]*+(?:'(?!s\b)[\w&.-]++)*+"
_CAP_PHRASE = (r"(?<![\w&'-])(?<![A-Z]\.)(?:(?:St|Mt|Ft|Dr)\. )?[A-Z]" + _CAP_WORD +
               r"(?: (?:& |of |and |the |for |de )?[A-Z0-9]" + _CAP_WORD + r"){0,4}")
_COMPANY_LABEL = (r"company|company\s+name|employer|organi[sz]ation|hiring\s+organi[sz]ation|agency|"
                  r"institution|hiring\s+company")
_NOT_COMPANY = re.compile(
    r"^(we|our|us|you|your|the|this|that|these|a|an|it|they|our\s+team|job|role|position|team|company|"
    r"equal|all|about|join|apply|employer|benefits|responsibilities|requirements|qualifications|location|"
    r"remote|hybrid|full|part|big\s+tech|bachelor|master|ability|experience|posted|salary|location|date|apply|"
    r"vacancy|vacancies|opening|job\s+opening|description|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|"
    r"august|september|october|november|december)\b",
    re.I,
)
_STRONG_COMPANY = [
    (re.compile(r"(?:^|[.!?]\s+|"
                r"\n)(" + _CAP_PHRASE + r")\s+is\s+(?:an?\s+|a\s+proud\s+)?(?:proud\s+)?(?:to\s+be\s+an?\s+)?"
                r"equal\s+(?:employment\s+)?opportunity", re.M), 8),
    (re.compile(r"(?:^|[.!?]\s+)At\s+(" + _CAP_PHRASE + r"),\s+(?:we|our|you)\b", re.M), 6),
    (re.compile(r"\bJoin\s+(" + _CAP_PHRASE + r")\s+(?:and|as|to|in|today|,)", re.M), 4),
    (re.compile(r"^About\s+(" + _CAP_PHRASE + r")\s*:?\s*$", re.M), 6),
    (re.compile(r"(?:^|[.!?]\s+)(" + _CAP_PHRASE + r")\s+is\s+(?:hiring|looking|seeking|recruiting)\b", re.M), 4),
    (re.compile(r"\b(?:work(?:ing)?|career|careers|employees?)\s+at\s+(" + _CAP_PHRASE + r")\b"), 3),
    (re.compile(r"(?:^|[.!?]\s+)(" + _CAP_PHRASE + r")(?:'s|’s)\s+(?:mission|vision|culture|values|purpose)\b",
                re.M), 4),
    (re.compile(r"(?:^|[.!?]\s+)(" + _CAP_PHRASE + r")(?:'s|’s)\s+[A-Z]", re.M), 2),
    (re.compile(r"(?:^|[.!?] ?)(" + _CAP_PHRASE + r") is (?:committed|dedicated|proud|on a mission)\b", re.M), 4),
    (re.compile(r"(?<![A-Za-z])((?:City|Town|County|Village|Borough|Township|Municipality|Shire|Region|"
                r"District|State|Province|Government|Department|University|College) of (?:the )?"
                r"[A-Z][\w&.'-]*+(?: (?!Department|Division|Office|Finance|Human|Public|Police|Fire)[A-Z][\w&.'-]*+)?)",
                re.M), 4),
    (re.compile(r"(?:^|[.!?]\s+)(" + _CAP_PHRASE + r")\s+is\s+(?:an?|the)\s+(?:leading|global|world|premier|"
                r"fast[-\s]growing|growing|national|international|non-?profit|public|private|top|award)", re.M), 4),
]


#: Stems (case as written) that every match of the _STRONG_COMPANY pattern at the same index
#: contains: only the lines holding one are searched (see stem_spans).
_STRONG_KEYS = [("equal",), ("At ",), ("Join ",), ("About ",),
                ("is hiring", "is looking", "is seeking", "is recruiting"),
                ("work at ", "working at ", "career at ", "careers at ", "employee at ", "employees at "),
                ("'s mission", "'s vision", "'s culture", "'s values", "'s purpose"), ("'s ",),
                ("is committed", "is dedicated", "is proud", "is on a mission"),
                tuple(f"{w} of " for w in ("City", "Town", "County", "Village", "Borough", "Township", "Municipality",
                                           "Shire", "Region", "District", "State", "Province", "Government",
                                           "Department", "University", "College")),
                ("is a", "is the")]
_SUFFIX_STEMS = (" Inc", " LLC", " L.L.C.", " Ltd", " Limited", " plc", " PLC", " GmbH", " AG", " SE", " S.A.", " SAS",
                 " B.V.", " N.V.", " Pty", " Corp", " Co.", " LLP", " AB", " ASA", " Oy", " S.p.A.", " S.r.l.", " K.K.")


def _company_ok(name: str) -> bool:
    if not name or len(name) > 60 or _NOT_COMPANY.match(name) or vocab.ROLE_NOUNS.fullmatch(name):
        return False
    if name.startswith("(") or _is_place(name) or any(places.is_bare_place(p) for p in name.split(", ")[1:]):
        return False
    return classify_heading(name) is None


_LEGAL_SUFFIX = re.compile(
    r"(" + _CAP_PHRASE + r" (?:Inc\.?|Incorporated|LLC|L\.L\.C\.|Ltd\.?|Limited|plc|PLC|GmbH|AG|SE|S\.A\.|SAS|"
    r"B\.V\.|N\.V\.|Pty\s+Ltd|Corp\.?|Corporation|Co\.|LLP|AB|ASA|Oy|S\.p\.A\.|S\.r\.l\.|K\.K\.))(?![\w])")
_ORG_WORDS = re.compile(
    r"\b(hospital|medical\s+center|health(?:care)?|clinic|university|college|school|district|academy|institute|"
    r"city\s+of|county\s+of|state\s+of|town\s+of|department\s+of|ministry|agency|authority|council|bank|"
    r"credit\s+union|insurance|group|holdings|partners|foundation|association|society|trust|labs?|"
    r"technologies|systems|solutions|software|outfitters|stores?|markets?|company|corporation)\b", re.I)


_PROPER = re.compile(r"(?:(?<![\w'’+#.-])[a-z][a-z-]*+[,;:]?+|[,;:(])[ \t]++([A-Z][a-zA-Z]{2,}+)"
                     r"(?=['’]s\b|[^\w'’+#.-]|$)")
_LOWER_WORD = re.compile(r"\b[a-z]{3,}+\b")


def _proper_tokens(text: str) -> list[str]:
    """Capitalised words that follow a lower-case word: mid-sentence proper nouns."""
    return _PROPER.findall(text)


def find_company(lines: list[Line], text: str, meta: list[str], head: list[str] | None = None,
                 title: str | None = None, fields: list[tuple[str, str]] | None = None) -> str | None:
    labelled = _label_value(lines, _COMPANY_LABEL, fields)
    if labelled and _company_ok(labelled.split(" · ")[0].strip()):
        return labelled.split(" · ")[0].strip()
    scores: Counter[str] = Counter()
    if meta:
        first = _clean_org(meta[0])
        if _company_ok(first) and not _has_place(first) and not looks_like_title(first):
            scores[first] += 8
    for line in (head or [])[:5]:
        if title and (line == title or line.startswith(title) or _clean_title(line) == title):
            continue
        for seg in re.split(r" [-–—|·] ", line):
            seg = _clean_org(seg.strip(" ,"))
            if (seg and _company_ok(seg) and len(words(seg)) <= 6 and not _has_place(seg)
                    and not looks_like_title(seg) and not FACT_LINE.match(seg) and _title_case_words(seg)
                    and not re.search(r"\d|[.!?:]$", seg)):
                scores[seg] += 5 if (_ORG_WORDS.search(seg) or _LEGAL_SUFFIX.fullmatch(seg)) else 3
            break
    for m in finditer_spans(_LEGAL_SUFFIX, text, stem_spans(text, text, _SUFFIX_STEMS)):
        if _company_ok(m.group(1)):
            scores[m.group(1)] += 4
    norm = _APOS.sub("'", text)
    for (pattern, weight), keys in zip(_STRONG_COMPANY, _STRONG_KEYS, strict=True):
        for m in finditer_spans(pattern, norm, stem_spans(norm, norm, keys)):
            name = m.group(1).strip(" .,")
            name = re.sub(r"'s$", "", name)
            if _company_ok(name):
                scores[name] += weight
    # Frequency: a proper noun that recurs mid-sentence and is never written in lower case.
    # This is how a reader knows "Acme" is the employer when no sentence says so outright.
    tokens = _proper_tokens(norm)
    lower = set(_LOWER_WORD.findall(norm))
    counts = Counter(t for t in tokens if t.lower() not in lower and t.lower() not in _COMMON_CAPS)
    for tok, n in counts.items():
        matched = [cand for cand in scores if tok in cand.split()]
        for cand in matched:
            if n >= 2:
                scores[cand] += n
        if not matched and n >= 3:
            scores[tok] += n
    # A name that is also the posting's web or e-mail domain ("NIMHANS" and nimhans.ac.in).
    for dom in set(_DOMAIN.findall(text.lower())):
        for m in re.finditer(r"(?<![\w.@/])([A-Z][\w&]*+(?: [A-Z][\w&]*+){0,3})", text[:20_000]):
            name = m.group(1)
            if len(name) >= 3 and name.replace(" ", "").lower() == dom and _company_ok(name):
                scores[name] += 5
                break
    if not scores:
        return None
    # "Harbor & Pine" (About heading) and "Harbor & Pine Outfitters" (header) are one employer:
    # the longer, as written at the top, collects the evidence of its shorter forms.
    for short in list(scores):
        for long in list(scores):
            if long != short and long.startswith(short + " ") and scores[long] >= 3:
                scores[long] += scores[short]
    name, score = scores.most_common(1)[0]
    return name if score >= 3 else None


_DOMAIN = re.compile(r"(?:https?://(?:www\.)?|www\.|@)([a-z0-9-]{3,40})\.[a-z]{2,}")
_LOGO = re.compile(r" (?:logo|icon|image)$", re.I)


def _clean_org(seg: str) -> str:
    """A header segment as an employer name: board residue ("Acme Logo", "Acme09.05.2026") removed."""
    seg = _dedupe_words(_DATE_GLUE.sub("", _LOGO.sub("", seg.strip())))
    return seg.strip(" ,")


FACT_LINE = re.compile(r"^[A-Z][\w ]{1,30}:\s")


def _title_case_words(text: str) -> bool:
    ws = [w for w in re.findall(r"[A-Za-z][\w'’.-]*", text) if w.lower() not in {"of", "and", "the", "for", "de", "&"}]
    return bool(ws) and all(w[0].isupper() for w in ws)


_COMMON_CAPS = {
    "bachelor", "master", "degree", "computer", "science", "engineering", "university", "college", "english",
    "python", "java", "javascript", "rust", "ruby", "go", "sql", "typescript", "kotlin", "swift", "scala",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "and", "the", "or",
    "phd", "ability", "experience", "strong", "excellent", "knowledge", "proven", "cloud", "data", "ai",
    "linux", "windows", "aws", "gcp", "azure", "excel", "office", "microsoft office", "jira", "git",
    "kubernetes", "docker", "terraform", "react", "angular", "node", "spark", "kafka", "postgresql", "mysql",
    "salesforce", "tableau", "epic", "cerner", "google", "certified", "certification", "license", "state",
    "county", "city", "department", "federal", "national", "american", "european", "united", "states",
}


# ---------------------------------------------------------------- team
_TEAM_LABEL = (r"team|department|division|business\s+unit|unit|group|org(?:ani[sz]ation)?\s+unit|service\s+line|"
               r"department\s*/\s*team|team\s*/\s*department|directorate|service\s+area|program(?:me)?\s+area")
_TEAM_WORD = r"[A-Z][\w&.+/-]*(?:'s)?"
_TEAM_PHRASE = re.compile(
    r"\b(?P<lead>(?i:join\s+(?:the|our)|on\s+the|in\s+the|with\s+the|the|our))\s+"
    r"(?P<name>(?:(?:" + _TEAM_WORD + r"|\([A-Z][^()]{0,60}\))[ \t]+(?:(?:and|of|&|for)[ \t]+)?){1,7}?)"
    r"(?:team|Team|group|Group|organi[sz]ation|Organi[sz]ation)\b(?P<after>\s+(?:is|are)\s+(?:hiring|looking|seeking))?"
)


def _title_team(title: str | None, company: str | None) -> str | None:
    """The unit a title names after its role: "Backend Engineer, Payments", "Engineer - Data Platform"."""
    if not title:
        return None
    m = re.search(r"(?:, | [-–—] )(.+)$", title)
    if not m:
        return None
    head, tail = title[:m.start()], m.group(1).strip()
    if (not tail[:1].isupper() or re.search(r"\d", tail) or _is_role(tail) or _is_place(tail)
            or (company and tail.lower() == company.lower()) or _ORG_TAIL.search(tail)
            or re.search(r"\b(?:manager|director|head|vp|vice president|chief|lead)\b", head, re.I)
            or re.fullmatch(r"(?:senior|junior|principal|staff|lead|remote|hybrid|contract|full[- ]time|part[- ]time|"
                            r"[IVX]+|MS|BS|PhD|\w+ \d{4})", tail, re.I)
            or len(words(tail)) > 8):
        return None
    return tail


def find_team(lines: list[Line], text: str, company: str | None, title: str | None = None,
              fields: list[tuple[str, str]] | None = None) -> str | None:
    labelled = _label_value(lines, _TEAM_LABEL, fields)
    if labelled and len(labelled) <= 80:
        return labelled.split(" / ")[0].strip()
    from_title = _title_team(title, company)
    norm = _APOS.sub("'", text)
    best: tuple[int, int, str] | None = None
    for m in _TEAM_PHRASE.finditer(norm):
        name = re.sub(r"'s\b", "", m.group("name")).strip()
        name = re.sub(r"\s+(?:and|of|&|for)$", "", name).strip()
        if company and name.startswith(company + " "):
            rest = name[len(company) + 1:].strip()
            name = rest or name
        if not name or (company and name == company) or _NOT_COMPANY.match(name):
            continue
        lead = m.group("lead").lower()
        score = 1
        if m.group("after") or lead.startswith("join") or lead == "on the":
            score = 3
        elif lead in ("our", "in the", "with the") or (
                lead in ("the", "our") and (m.start() == 0 or norm[max(0, m.start() - 2):m.start()] in (". ", "\n")
                                             or norm[m.start() - 1:m.start()] == "\n")):
            score = 2  # "The Payments team builds...": the team as the subject of the posting's sentence
        if best is None or score > best[0]:
            best = (score, -m.start(), name)
    # "the X team" alone is any team the posting mentions (one the role supports or leads).
    if best and best[0] >= 3:
        return best[2]
    if from_title:
        return from_title
    return best[2] if best and best[0] >= 2 else None


# ---------------------------------------------------------------- locations
_LOC_LABEL = r"(?:job |work |office )?locations?|office|city|based in|where|place of work|work site|duty station"
_WORKPLACE_WORDS = re.compile(r"^(remote|hybrid|on-?site|in[- ]office|anywhere|flexible|multiple locations?|"
                              r"various)$", re.I)
_ICON = re.compile(r"(?<![A-Za-z0-9])_[a-z]++(?:_[a-z]++)*+_(?![A-Za-z0-9])")
#: Words that introduce a place in prose: "based in", "an office in", "anywhere in", "remote within".
_PROSE_CUE = re.compile(
    r"\b(?:located|based|headquartered|office|offices|position is|role is|work|working|anywhere|remote|"
    r"relocate|live|living|reside|residing|hub|hubs|campus|site)(?: (?:is|are|will be))? (?:in|at|within|from|to)"
    r" (?:the )?(?:our )?(?:beautiful |vibrant |downtown |central )?(?:[a-z]+ office in )?(?=[A-Z])")
_SEGMENT_SEP = re.compile(r" [·|•–—-] |; | {2}|\t")


def _split_places(value: str) -> list[str]:
    value = _ICON.sub(" ; ", value)
    value = re.sub(r"\s*\+\s*\d+\s*(?:more)?\s*", " ; ", value)
    value = re.sub(r"\((?:[^()]*)\)", " ", value)
    parts = re.split(r" ?(?:;|\||·|•| / | or | and ) ?", value)
    out: list[str] = []
    for p in parts:
        p = p.strip(" ,.-–—")
        p = re.sub(r"^(?:remote|hybrid|on-?site|in-office)(?: ?[-–—:,] ?| in | within )", "", p, flags=re.I).strip()
        p = re.sub(r" ?[-–—,] ?(?:remote|hybrid|on-?site)$", "", p, flags=re.I)
        if not p or _WORKPLACE_WORDS.match(p) or len(p) > 80:
            continue
        place = places.clean_place(p)
        if place:
            out.append(place)
    return out


def _bare_segments(line: str) -> list[str]:
    """Short segments of a header line that are one place by themselves ("Dublin", "BENGALURU")."""
    out = []
    for seg in _SEGMENT_SEP.split(_ICON.sub(" · ", line)):
        for part in seg.split(", "):
            part = part.strip(" ,()")
            if part and len(part) <= 40 and places.is_bare_place(part):
                out.append(part)
    return out


def find_locations(lines: list[Line], head: list[str], meta: list[str], text: str,
                   fields: list[tuple[str, str]] | None = None) -> list[str]:
    """Places the job is in. Evidence order: a labelled field, the board's header lines, prose."""
    found: list[str] = []
    labelled = _label_value(lines, _LOC_LABEL, fields)
    if labelled:
        found.extend(_split_places(labelled))
    if not found:
        for seg in meta:
            found.extend(_split_places(seg) if _has_place(seg) else [])
    if not found:
        for line in lines[:12]:
            t = line.text
            if len(t) > 400 or is_noise(t):
                continue
            hits = places.scan_places(_ICON.sub(" ; ", t))
            found.extend(p for _, p in hits)
            if not hits and len(words(t)) <= 8:
                found.extend(_bare_segments(t))
    if not found:
        for m in _PROSE_CUE.finditer(text):
            window = text[m.end():m.end() + 60]
            hits = places.scan_places(window)
            if hits and hits[0][0] == 0:
                found.append(hits[0][1])
                continue
            ws = re.match(r"[A-Z][\w.'’-]*+(?: [A-Z][\w.'’-]*+){0,3}", window)
            if ws:
                cand = ws.group(0).split(" ")
                for n in range(len(cand), 0, -1):
                    name = " ".join(cand[:n]).rstrip("'’s").rstrip(".'’")
                    if places.is_bare_place(name):
                        found.append(name)
                        break
    if not found:
        found.extend(places.find_counties(text))
    seen: dict[str, None] = {}
    for p in found:
        if p.lower() not in {k.lower() for k in seen}:
            seen.setdefault(p, None)
    return list(seen)[:20]


# ---------------------------------------------------------------- workplace
_NEG = r"(?<!not\s)(?<!non-)(?<!non\s)(?<!no\s)"
_HYBRID = re.compile(r"\bhybrid\b(?!\s+(?:cloud|apps?|application|mobile|infrastructure|environments?|"
                     r"systems?|solutions?|architecture|vehicle|car|model(?:s)?\s+of\s+care|integration|"
                     r"networks?|approach|deployment|storage|data))", re.I)
_REMOTE = re.compile(
    _NEG + r"\b(fully\s+remote|100%\s+remote|remote[-\s]first|remote[-\s]friendly|work\s+remotely|work\s+from\s+home|"
    r"remote\s+(?:role|position|job|opportunity|work(?:ing)?|eligible|option|employee|team\s+member|-\s*[A-Z])|"
    r"this\s+is\s+a\s+remote|can\s+be\s+(?:done\s+)?remote(?:ly)?|wfh|"
    r"(?:job|role|position|work)\s+is\s+(?:fully\s+|100%\s+)?remote)\b", re.I)
_ONSITE = re.compile(
    r"\b((?:100%\s+|fully\s+)?on[-\s]?site\s+(?:role|position|job|work|working|presence|only|requirement|"
    r"5\s+days|five\s+days|daily|full[-\s]time)|(?:work|working|be|is|based|report|reporting)\s+"
    r"(?:on[-\s]?site|in[-\s]office|in[-\s]person)\b|in[-\s]office\s+(?:role|position|only|5\s+days)|"
    r"in[-\s]person\s+(?:role|position|only|work))", re.I)

#: Each prose pattern with the lower-case stems every match of it contains (see stem_spans).
_WORKPLACE_PROSE = [("hybrid", _HYBRID, ("hybrid",)), ("remote", _REMOTE, ("remote", "home", "wfh")),
                    ("onsite", _ONSITE, ("site", "office", "person"))]


def _workplace_word(value: str) -> str | None:
    v = value.lower()
    if re.search(r"\bhybrid\b", v):
        return "hybrid"
    if re.search(r"\bremote\b|work\s+from\s+home|telework", v) and not re.search(r"\bnot\s+remote|no\s+remote", v):
        return "remote"
    if re.search(r"\bon[-\s]?site\b|\bin[-\s]office\b|\bin[-\s]person\b", v):
        return "onsite"
    return None


_GLUED_WORKPLACE = re.compile(r"(?<=[a-z0-9])(Remote|Hybrid|On-?[Ss]ite|In-Office)(?=[A-Z])")
_OFFICE_PLACE = re.compile(r"\b(?:office|building|premises|campus|on[- ]site|in person|facility)\b", re.I)


def find_workplace(lines: list[Line], meta: list[str], title_line: str | None, text: str,
                   fields: list[tuple[str, str]] | None = None) -> str | None:
    labelled = _label_value(lines, r"workplace(?:\s+type)?|work\s+(?:model|arrangement|setting|type|style|location)|"
                                   r"remote(?:\s+work)?|location\s+type|locations?|job\s+type|work\s+mode|flexibility|"
                                   r"worker\s+type|workplace\s+model", fields)
    if labelled:
        w = _workplace_word(labelled)
        if w:
            return w
    for seg in meta + ([title_line] if title_line else []):
        if re.search(r"\((?:remote|hybrid|on-?site)\)|^(remote|hybrid|on-?site)\b|[-–]\s*(remote|hybrid|on-?site)\s*$",
                     seg.strip(), re.I):
            w = _workplace_word(seg)
            if w:
                return w
    for line in lines[:12]:
        if re.fullmatch(r"\(?(remote|hybrid|on-?site|in[- ]office)\)?", line.text.strip(), re.I):
            return _workplace_word(line.text)
        # Board chrome run together: "Full TimeRemoteTeam 78".
        m = _GLUED_WORKPLACE.search(line.text) if len(line.text) <= 300 else None
        if m:
            return _workplace_word(m.group(1))
    loc = _label_value(lines, _LOC_LABEL, fields)
    if loc and _OFFICE_PLACE.search(loc) and not places.scan_places(loc):
        return "onsite"  # "Location: Office space as assigned in the building"
    low = text.lower()
    for name, pattern, stems in _WORKPLACE_PROSE:
        for m in finditer_spans(pattern, text, stem_spans(text, low, stems)):
            if name != "hybrid" or _hybrid_is_workplace(text, m):
                return name
    return None


_SCHEDULE_AFTER = re.compile(r" (?:work )?(?:schedule|rota|roster|shift pattern)s?\b", re.I)
_AWAY_FROM_SITE = re.compile(r"\b(?:remote(?:ly)?|from home|at home|home[- ]based|telework|telecommut\w*|"
                             r"virtual(?:ly)?|wfh)\b", re.I)


def _hybrid_is_workplace(text: str, m: re.Match[str]) -> bool:
    """"A hybrid schedule" splits a week between two kinds of work (service and admin); it is
    hybrid *working* only when the same sentence puts part of the week away from the site."""
    if not _SCHEDULE_AFTER.match(text, m.end()):
        return True
    start = max(text.rfind("\n", 0, m.start()), text.rfind(". ", 0, m.start())) + 1
    end_nl, end_dot = text.find("\n", m.end()), text.find(". ", m.end())
    end = min(e for e in (end_nl, end_dot, len(text)) if e >= 0)
    return bool(_AWAY_FROM_SITE.search(text, start, end))


# ---------------------------------------------------------------- employment type
_ETYPES: list[tuple[str, re.Pattern[str]]] = [
    ("internship", re.compile(r"\b(internship|intern\b|co-?op\s+(?:position|role|program)|work\s+placement)", re.I)),
    ("part_time", re.compile(r"(?:\b|(?<=[a-z])(?=[A-Z]))(?:part[-\s]?time(?-i:(?![a-z]))(?!\s+(?:students?|"
                             r"studies|study|mba|degree))|"
                             r"teilzeit|частичная\s+занятость|temps\s+partiel)", re.I)),
    ("full_time", re.compile(r"(?:\b|(?<=[a-z])(?=[A-Z]))(?:full[-\s]?time(?-i:(?![a-z]))(?!\s+(?:equivalent|"
                             r"students?|studies|study|mba|degree))|"
                             r"vollzeit|полная\s+занятость|temps\s+plein)", re.I)),
    ("temporary", re.compile(r"\b(temporary|seasonal|temp\b|fixed[-\s]term|interim\s+(?:role|position)|"
                             r"(?:during|for|through(?:out)?) the (?:summer |winter |holiday |tourist |busy )?"
                             r"season\b)", re.I)),
    ("contract", re.compile(r"\b(contract(?:or)?\s*(?:role|position|basis|assignment|job|to\s+hire|-to-hire)|"
                            r"\d+[-\s](?:month|week|year)\s+contract|freelance|independent\s+contractor|\bC2C\b|"
                            r"^contract$)", re.I | re.M)),
]
#: Lower-case stems every match of an _ETYPES pattern contains (see stem_spans).
_ETYPE_STEMS = {
    "part_time": ("part-time", "part time", "parttime", "teilzeit", "частичная", "partiel"),
    "full_time": ("full-time", "full time", "fulltime", "vollzeit", "полная", "plein"),
    "temporary": ("temp", "season", "fixed", "interim"),
    "contract": ("contract", "freelance", "c2c"),
}

_HOURS = re.compile(r"(\d{1,2})(?: ?(?:-|–|to) ?(\d{1,2}))? (?:hours|hrs)(?: per| a| each|/) ?week", re.I)
_CONTRACT_EXPLICIT = re.compile(r"\b(?:contract (?:position|role|basis|assignment|job)|fixed[- ]term contract|"
                                r"(?:position|role) (?:is|will be) (?:on )?(?:a )?contract)", re.I)


def _hours_type(text: str) -> str | None:
    """"40 hours per week" is full-time, "5-10 hours per week" part-time; 30-34 says nothing."""
    m = _HOURS.search(text)
    if not m:
        return None
    n = int(m.group(2) or m.group(1))
    return "full_time" if n >= 35 else "part_time" if n < 30 else None


def find_employment_type(lines: list[Line], meta: list[str], title: str | None, text: str,
                         fields: list[tuple[str, str]] | None = None) -> str | None:
    labelled = _label_value(lines, r"employment(?:\s+type)?|job\s+type|type|contract(?:\s+type)?|schedule|"
                                   r"position\s+type|work\s+type|hours|employment\s+status|job\s+status|time|"
                                   r"working\s+hours", fields)
    if fields and any(label == "contract" for label, _ in fields):
        return "contract"  # "Contract: ASAP start until June": the field itself says so
    if labelled and re.fullmatch(r"casual|casual\s+.{0,30}", labelled.strip(), re.I):
        return "part_time"
    candidates = [labelled] if labelled else []
    candidates += meta
    if title:
        candidates.append(title)
    for value in candidates:
        for name, pattern in _ETYPES:
            if pattern.search(value):
                return name
        if re.fullmatch(r"\s*contract\s*", value, re.I):
            return "contract"
    if labelled and _hours_type(labelled):
        return _hours_type(labelled)
    low = text.lower()
    if search_spans(_CONTRACT_EXPLICIT, text, stem_spans(text, low, ("contract",))):
        return "contract"  # "a part-time (25 h) contract position": the engagement is the contract
    earliest: tuple[int, str] | None = None
    for name, pattern in _ETYPES:
        if name == "internship":
            continue
        m = search_spans(pattern, text, stem_spans(text, low, _ETYPE_STEMS[name]))
        if m and (earliest is None or m.start() < earliest[0]):
            earliest = (m.start(), name)
    if earliest:
        return earliest[1]
    m = search_spans(_HOURS, text, stem_spans(text, low, ("hours", "hrs")))
    return _hours_type(m.group(0)) if m else None


# ---------------------------------------------------------------- seniority
_IC_MANAGER = re.compile(r"\b(product|project|program|programme|account|case|community|content|brand|marketing|"
                         r"social\s+media|property|office|client|customer\s+success|relationship|territory|"
                         r"category|release|configuration|data|quality|risk|facilities|vendor)\s+manager\b", re.I)
_SENIORITY: list[tuple[str, re.Pattern[str]]] = [
    ("intern", re.compile(r"\b(intern|internship|co-?op)\b", re.I)),
    ("junior", re.compile(r"\b(apprentice|trainee|recruit)\b", re.I)),
    ("executive", re.compile(r"\b(chief|c[eotfi]o|vp|svp|evp|vice[\s-]president|president|managing\s+director|"
                             r"general\s+counsel|executive\s+director)\b", re.I)),
    ("director", re.compile(r"\b(director|head\s+of)\b", re.I)),
    ("manager", re.compile(r"\b(manager|supervisor|superintendent)\b", re.I)),
    ("principal", re.compile(r"\bprincipal\b(?!\s+(?:investigator|'s|of\s+school))", re.I)),
    ("staff", re.compile(r"\bstaff\b(?=\s+(?:software|engineer|data|machine|ml|product|security|site|research|"
                         r"scientist|architect|designer|developer|backend|frontend|full|platform|infrastructure|systems))",
                         re.I)),
    ("lead", re.compile(r"\b(lead|tech\s+lead|team\s+lead)\b", re.I)),
    ("senior", re.compile(r"\b(senior|sr\.?|snr)(?=\s|$|\b)", re.I)),
    ("junior", re.compile(r"\b(junior|jr\.?|entry[-\s]level|graduate|new\s+grad|associate\s+(?:software|engineer|"
                          r"developer|data|analyst))\b", re.I)),
    ("mid", re.compile(r"\b(mid[-\s]?level|intermediate|mid[-\s]senior)\b|\b(?:engineer|developer|"
                       r"analyst)\s+(?:II|2)\b", re.I)),
]
_LEVEL_WORDS = {
    "internship": "intern", "entry level": "junior", "entry-level": "junior", "associate": "junior",
    "mid-senior level": "senior", "mid level": "mid", "mid-level": "mid", "senior": "senior", "director": "director",
    "executive": "executive", "lead": "lead", "principal": "principal", "staff": "staff", "manager": "manager",
    "junior": "junior", "intern": "intern",
}


def find_seniority(lines: list[Line], title: str | None, text: str = "",
                   fields: list[tuple[str, str]] | None = None) -> str | None:
    labelled = _label_value(lines, r"seniority(?:\s+level)?|experience\s+level|level|career\s+level", fields)
    if labelled:
        v = labelled.strip().lower()
        if v in _LEVEL_WORDS:
            return _LEVEL_WORDS[v]
    if not title:
        return None
    if re.search(r"\bentry[- ]level (?:position|role|job|opportunity)\b", text, re.I) and \
            not re.search(r"\b(?:senior|lead|manager|director|principal|staff)\b", title, re.I):
        return "junior"
    for name, pattern in _SENIORITY:
        people_manager = re.search(r"\bmanager\s*,|\bmanager\s+of\b", title, re.I)
        if name == "manager" and _IC_MANAGER.search(title) and not people_manager:
            continue
        if pattern.search(title):
            return name
    return None


# ---------------------------------------------------------------- years of experience
_NUMWORD = "|".join(vocab.NUMBER_WORDS)
#: "5+ years", "two (2) years", "3-5 yrs", "five or more years". Text is space-normalised
#: first (see _years_in), so every gap is at most one space: no run of ``\s*`` can overlap.
_YEARS = re.compile(
    r"(?P<pre>\b(?:minimum (?:of )?|at least |min\.? |over |more than )?)"
    r"(?:(?P<w>\b(?:" + _NUMWORD + r")) ?(?:\( ?(?P<wn>\d{1,2}) ?\) ?)?|(?<![\d.,])(?P<n>\d{1,2})(?:\.\d)?)"
    r"(?: ?(?:-|–|to) ?(?:\d{1,2}|" + _NUMWORD + r"))?"
    r" ?(?P<plus>\+|or more|plus)? ?(?:\(\+\) ?|\+ ?)?"
    r"(?:years?|yrs?)(?: ?\(s\))?(?:'|’)?",
    re.I,
)
_YEARS_BAD_BEFORE = re.compile(r"(every|within|next|past|last|first|after|for\s+the|in\s+the|up\s+to|than|"
                               r"age\s+of|aged|under)\s*$", re.I)
_YEARS_BAD_AFTER = re.compile(r"^\s*(old|of\s+age|thereafter|ago|from|after|later|warranty|in\s+a\s+row|"
                              r"of\s+(?:continuous\s+)?(?:service|operation|history|tradition|growth)|running)", re.I)
_YEARS_GOOD_AFTER = re.compile(r"^\s*(?:of\s+|in\s+|with\s+|as\s+|working|\w+ing\b|\w*\s*experience|exp\b|"
                               r"(?:of\s+)?(?:professional|relevant|related|progressive|industry|hands|technical|"
                               r"post|full|paid|clinical|management|supervisory|leadership))", re.I)
_ALT_CUT = re.compile(r"(?-i:\bOR\b)|;\s*or\b|,\s*or\s+(?=(?:an?\s+)?(?:\w+'s|master|bachelor|ph\.?d|doctor|associate|"
                      r"high\s+school|equivalent|\d+\s*\+?\s*years?))|\bor\s+(?=\d+\s*\+?\s*years?\b)", re.I)


def _years_in(text: str) -> list[int]:
    text = squash_spaces(text)
    out: list[int] = []
    for m in _YEARS.finditer(text):
        n = int(m.group("n")) if m.group("n") else (int(m.group("wn")) if m.group("wn") else
                                                     vocab.NUMBER_WORDS[m.group("w").lower()])
        before = text[max(0, m.start() - 20):m.start()]
        after = text[m.end():m.end() + 80]
        if _YEARS_BAD_BEFORE.search(before) or _YEARS_BAD_AFTER.match(after):
            continue
        if not (m.group("plus") or m.group("pre").strip() or re.search(r"\+", m.group(0))
                or _YEARS_GOOD_AFTER.match(after) or re.search(r"experience", after[:60], re.I)):
            continue
        if 0 < n <= 40:
            out.append(n)
    return out


def base_path(item: str) -> str | None:
    """The part of a requirement on the base path: alternatives after an "OR" are dropped."""
    stripped = item.strip()
    if re.match(r"^(OR|or)\b", stripped):
        return None
    m = _ALT_CUT.search(stripped)
    return stripped[:m.start()] if m else stripped


def find_min_years(required: list[str]) -> int | None:
    best: int | None = None
    for item in required:
        head = base_path(item)
        if not head:
            continue
        ys = _years_in(head)
        if ys:
            best = max(best or 0, max(ys))
    if best is None:
        # "Minimum of 3 months experience": a requirement in months is that many whole years (0).
        for item in required:
            head = base_path(item)
            months = _months_in(head) if head and "month" in head.lower() else []
            if months:
                best = max(best or 0, max(months) // 12)
    return best


_MONTHS = re.compile(r"(?<![\d.,])(?P<n>\d{1,2}) ?\+? ?months?(?:'|’)?(?: of)?(?: [a-z-]+){0,2}? experience\b", re.I)


def _months_in(text: str) -> list[int]:
    text = squash_spaces(text)
    out: list[int] = []
    for m in _MONTHS.finditer(text):
        before = text[max(0, m.start() - 20):m.start()]
        if _YEARS_BAD_BEFORE.search(before) or re.search(r"\b(?:less|fewer)\s+than\s*$", before, re.I):
            continue
        n = int(m.group("n"))
        if 0 < n <= 120:
            out.append(n)
    return out


# ---------------------------------------------------------------- education
_NO_DEGREE = re.compile(r"\bno\s+(?:college\s+|university\s+)?degree\s+(?:is\s+)?required\b", re.I)
#: The degree patterns with ^ at every line start, so one search covers all items joined.
_DEGREES_MULTILINE = [(name, re.compile(p.pattern, p.flags | re.M)) for name, p in vocab.DEGREES]
#: Joins items for one search: no whitespace run (\s*) can carry a match into the next item.
_ITEM_JOIN = "\x00\n"


def find_education(items: list[str]) -> str | None:
    kept = [item for item in items if "degree" not in item.lower() or not _NO_DEGREE.search(item)]
    text = _ITEM_JOIN.join(item.replace("\x00", " ") for item in kept)
    found = {name for name, pattern in _DEGREES_MULTILINE if pattern.search(text)}
    for name in vocab.DEGREE_ORDER:
        if name in found:
            return name
    return None


# ---------------------------------------------------------------- languages
def find_languages(items: list[str]) -> list[str]:
    text = "\n".join(items)
    low = text.lower()
    found = []
    for name, pattern in vocab.LANGUAGE_PATTERNS:
        needles = vocab.LANGUAGE_NEEDLES.get(name, (name.lower(),))
        if any(n in low for n in needles):
            m = pattern.search(text)
            if m:
                found.append((m.start(), name))
    return [name for _, name in sorted(found)]


# ---------------------------------------------------------------- background check
_CHECK = re.compile(
    r"(background\s+(?:check|investigation|screening|verification)|security\s+(?:clearance|screening|vetting)|"
    r"\bclearance\s+(?:is\s+)?required|(?:secret|top\s+secret|ts/sci|public\s+trust)\s+clearance|"
    r"criminal\s+(?:record|background|history)\s+(?:check|screening)|\bdbs\s+check|disclosure\s+and\s+barring|"
    r"fingerprint(?:ing|s)?\b|\bvetting\b|\bcori\b|live\s*scan|police\s+(?:check|clearance))",
    re.I,
)
_NO_CHECK = re.compile(r"\bno\s+background\s+check|\bwithout\s+a\s+background", re.I)


_CHECK_STEMS = ("background", "security", "clearance", "criminal", "dbs", "disclosure", "fingerprint", "vetting",
                "cori", "scan", "police")


def find_background_check(lines: list[str]) -> bool:
    text = "\n".join(lines)
    for m in finditer_spans(_CHECK, text, stem_spans(text, text.lower(), _CHECK_STEMS)):
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        if not _NO_CHECK.search(text[start:end if end >= 0 else len(text)]):
            return True
    return False


# ---------------------------------------------------------------- country (for a bare "$")
_COUNTRY_WORD = re.compile(r"(?<![A-Za-z])[A-Z][a-z]++(?: [A-Z][a-z]++){0,2}|(?<![A-Za-z])[A-Z]{2,3}(?![A-Za-z])")


def posting_country(locations: list[str], text: str) -> str | None:
    """ISO country of the job: from its places, else the country or region the text names most."""
    for place in locations:
        cc = places.country_of_place(place)
        if cc:
            return cc
    counts: Counter[str] = Counter()
    for m in _COUNTRY_WORD.finditer(text[:20_000]):
        name = m.group(0)
        ws = name.split(" ")
        for n in range(len(ws), 0, -1):
            cand = " ".join(ws[:n])
            if len(cand) == 2 and cand not in vocab.REGIONS:
                break  # two-letter codes alone are too ambiguous in prose ("IT", "HR", "OR")
            cc = places.country_of_name(cand) if cand.lower() not in places.WEAK_NAMES else None
            if cc:
                counts[cc] += 1
                break
    return counts.most_common(1)[0][0] if counts else None
