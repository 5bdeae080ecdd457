"""Extract the scalar facts of an opening from cleaned lines and sections.

Each function answers one question and returns None when the posting does not say: a wrong
guess costs a hiring team more than a blank field they can fill in the preview.
Order of evidence is always the same: an explicit label ("Location: Berlin") beats a
job-board metadata line ("Acme · Berlin, Germany · Full-time"), which beats prose.
"""

from __future__ import annotations

import re
from collections import Counter

from . import vocab
from .noise import is_noise
from .text import Line, words

_APOS = re.compile(r"[’‘`]")


def _label_value(lines: list[Line], labels: str) -> str | None:
    pattern = re.compile(r"^(?:" + labels + r")\s*[:：]\s*(.+)$", re.I)
    for line in lines:
        m = pattern.match(line.text)
        if m and m.group(1).strip():
            return m.group(1).strip()
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
        parts = [p.strip() for p in re.split(r"\s+[·|•]\s+", line.text) if p.strip()]
        if len(parts) >= 3 or (len(parts) == 2 and any(LOCATION_SEGMENT.search(p) for p in parts)):
            return [p for p in parts if not is_noise(p)]
    return []


def header_lines(lines: list[Line], limit: int = 8) -> list[str]:
    """The short lines at the very top (title, employer, place), before any prose."""
    out: list[str] = []
    for line in lines[:limit + 6]:
        if is_noise(line.text):
            continue
        if len(words(line.text)) > 15 or line.bulleted:
            break
        out.append(line.text)
        if len(out) >= limit:
            break
    return out


_STATE = "|".join(sorted(vocab.US_STATES))
LOCATION_SEGMENT = re.compile(
    r"(\b[A-Z][\w.'-]+(?:[\s-][A-Z][\w.'-]+){0,3},\s*(?:" + _STATE + r"|" + vocab.STATE_NAMES + r"|" + vocab.COUNTRIES +
    r")\b(?:,\s*(?:" + vocab.COUNTRIES + r"))?)"
)


def _dedupe_words(text: str) -> str:
    """Board logos leave "Acme Acme"; keep one."""
    ws = text.split()
    half = len(ws) // 2
    if len(ws) % 2 == 0 and half and ws[:half] == ws[half:]:
        return " ".join(ws[:half])
    return text


# ---------------------------------------------------------------- title
_TITLE_LABEL = r"job\s+title|position\s+title|title|position|role|job"
_TITLE_PROSE = re.compile(
    r"(?:is|are)\s+(?:hiring|looking\s+for|seeking|searching\s+for|recruiting)\s+(?:an?|our\s+next|a\s+new)\s+"
    r"(?P<t>(?:[A-Z][\w./&+-]*\.?\s+){0,6}?[A-Z][\w./&+-]*)"
    r"(?=\s+(?:to|who|with|for|in|on|at|that)\b|[,.;(])"
)


_SECTION_WORD = re.compile(r"^(responsibilities|requirements|qualifications|about|benefits|what\s+you|who\s+you|"
                           r"your\s+role|the\s+role|job\s+(summary|description))\b", re.I)


def _clean_title(title: str, company: str | None = None) -> str:
    t = re.split(r"\s+\|\s+|\s+·\s+", title)[0].strip()
    t = re.sub(r"\s*\((?:[^()]*\b(?:remote|hybrid|on-?site)\b[^()]*)\)\s*", " ", t, flags=re.I).strip()
    t = re.sub(r"\s*\((?:m|f|w|d|x|h|all genders?|gn\*?)(?:\s*/\s*(?:m|f|w|d|x|h|div))+\)\s*", " ", t, flags=re.I)
    t = re.sub(r"\s*[-–—(]\s*(remote|hybrid|on-?site|full[- ]time|part[- ]time)\)?\s*$", "", t, flags=re.I)
    if company:
        t = re.sub(r"\s+(?:at|@|-|–)\s+" + re.escape(company) + r"\b.*$", "", t)
    t = re.sub(r"\s+(?:at|@)\s+[A-Z][\w&.'-]*(?:\s+[A-Z][\w&.'-]*)*\s*$", "", t)
    m = re.search(r"\s*[-–—,]\s*(.+)$", t)
    if m and (LOCATION_SEGMENT.fullmatch(m.group(1).strip()) or re.fullmatch(vocab.COUNTRIES, m.group(1).strip())):
        t = t[:m.start()]
    return t.strip(" -–—,:")


def looks_like_title(text: str) -> bool:
    """A short, unpunctuated line naming a role."""
    n = len(words(text))
    if n == 0 or n > 12 or len(text) > 110 or text.endswith((".", "!", "?", ":")):
        return False
    if is_noise(text):
        return False
    return bool(vocab.ROLE_NOUNS.search(text))


def find_title(lines: list[Line], head: list[str], prose: str) -> str | None:
    labelled = _label_value(lines, _TITLE_LABEL)
    if labelled and looks_like_title(labelled):
        return _clean_title(labelled)
    for text in head[:6]:
        if looks_like_title(text) and not LOCATION_SEGMENT.fullmatch(text) and not _SECTION_WORD.search(text):
            return _clean_title(text)
    m = _TITLE_PROSE.search(prose)
    if m and vocab.ROLE_NOUNS.search(m.group("t")):
        return m.group("t").strip()
    return None


# ---------------------------------------------------------------- company
_CAP_PHRASE = r"(?:(?:St|Mt|Ft|Dr)\.[ \t]+)?[A-Z][\w&.'-]*(?:[ \t]+(?:&[ \t]+|of[ \t]+|and[ \t]+|the[ \t]+|for[ \t]+|de[ \t]+)?[A-Z0-9][\w&.'-]*){0,4}"
_COMPANY_LABEL = r"company|company\s+name|employer|organi[sz]ation|hiring\s+organi[sz]ation|agency|institution|hiring\s+company"
_NOT_COMPANY = re.compile(
    r"^(we|our|us|you|your|the|this|that|these|a|an|it|they|our\s+team|job|role|position|team|company|"
    r"equal|all|about|join|apply|employer|benefits|responsibilities|requirements|qualifications|location|"
    r"remote|hybrid|full|part|big\s+tech|bachelor|master|ability|experience|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|"
    r"august|september|october|november|december)\b",
    re.I,
)
_STRONG_COMPANY = [
    (re.compile(r"(?:^|[.!?]\s+|\n)(" + _CAP_PHRASE + r")\s+is\s+(?:an?\s+|a\s+proud\s+)?(?:proud\s+)?(?:to\s+be\s+an?\s+)?"
                r"equal\s+(?:employment\s+)?opportunity", re.M), 8),
    (re.compile(r"(?:^|[.!?]\s+)At\s+(" + _CAP_PHRASE + r"),\s+(?:we|our|you)\b", re.M), 6),
    (re.compile(r"\bJoin\s+(" + _CAP_PHRASE + r")\s+(?:and|as|to|in|today|,)", re.M), 4),
    (re.compile(r"^About\s+(" + _CAP_PHRASE + r")\s*:?\s*$", re.M), 6),
    (re.compile(r"(?:^|[.!?]\s+)(" + _CAP_PHRASE + r")\s+is\s+(?:hiring|looking|seeking|recruiting)\b", re.M), 4),
    (re.compile(r"\b(?:work(?:ing)?|career|careers|employees?)\s+at\s+(" + _CAP_PHRASE + r")\b"), 3),
    (re.compile(r"(?:^|[.!?]\s+)(" + _CAP_PHRASE + r")(?:'s|’s)\s+(?:mission|vision|culture|values|purpose)\b", re.M), 4),
    (re.compile(r"(?:^|[.!?]\s+)(" + _CAP_PHRASE + r")(?:'s|’s)\s+[A-Z]", re.M), 2),
    (re.compile(r"(?:^|[.!?]\s+)(" + _CAP_PHRASE + r")\s+is\s+(?:an?|the)\s+(?:leading|global|world|premier|"
                r"fast[-\s]growing|growing|national|international|non-?profit|public|private|top|award)", re.M), 4),
]


_STRONG_KEYS = [("equal",), ("at ",), ("join ",), ("about ",), ("hiring", "looking", "seeking", "recruiting"),
                (" at ",), ("'s ",), ("'s ",), (" is a", " is the")]
_SUFFIX_WORD = re.compile(r"\b(?:Inc|Incorporated|LLC|L\.L\.C|Ltd|Limited|plc|PLC|GmbH|AG|SE|S\.A|SAS|B\.V|N\.V|Pty|"
                          r"Corp|Corporation|Co|LLP|AB|ASA|Oy|S\.p\.A|S\.r\.l|K\.K)\b")


def _company_ok(name: str) -> bool:
    return bool(name) and not _NOT_COMPANY.match(name) and not vocab.ROLE_NOUNS.fullmatch(name) and len(name) <= 60


_LEGAL_SUFFIX = re.compile(
    r"\b(" + _CAP_PHRASE + r"\s+(?:Inc\.?|Incorporated|LLC|L\.L\.C\.|Ltd\.?|Limited|plc|PLC|GmbH|AG|SE|S\.A\.|SAS|"
    r"B\.V\.|N\.V\.|Pty\s+Ltd|Corp\.?|Corporation|Co\.|LLP|AB|ASA|Oy|S\.p\.A\.|S\.r\.l\.|K\.K\.))(?![\w])")
_ORG_WORDS = re.compile(
    r"\b(hospital|medical\s+center|health(?:care)?|clinic|university|college|school|district|academy|institute|"
    r"city\s+of|county\s+of|state\s+of|town\s+of|department\s+of|ministry|agency|authority|council|bank|"
    r"credit\s+union|insurance|group|holdings|partners|foundation|association|society|trust|labs?|"
    r"technologies|systems|solutions|software|outfitters|stores?|markets?|company|corporation)\b", re.I)


_PROPER = re.compile(r"(?:(?<![\w'’+#.-])[a-z][a-z-]*[,;:]?|[,;:(])[ \t]+([A-Z][a-zA-Z]{2,})(?=['’]s\b|[^\w'’+#.-]|$)")


def _proper_tokens(text: str) -> list[str]:
    """Capitalised words that follow a lower-case word: mid-sentence proper nouns."""
    return _PROPER.findall(text)


def find_company(lines: list[Line], text: str, meta: list[str], head: list[str] | None = None,
                 title: str | None = None) -> str | None:
    labelled = _label_value(lines, _COMPANY_LABEL)
    if labelled:
        return labelled.split(" · ")[0].strip()
    scores: Counter[str] = Counter()
    if meta:
        first = _dedupe_words(meta[0])
        if _company_ok(first) and not LOCATION_SEGMENT.search(first) and not looks_like_title(first):
            scores[first] += 8
    for line in (head or [])[:5]:
        if title and (line == title or line.startswith(title)):
            continue
        for seg in re.split(r"\s+[-–—|·]\s+", line):
            seg = _dedupe_words(seg.strip(" ,"))
            if (seg and _company_ok(seg) and len(words(seg)) <= 6 and not LOCATION_SEGMENT.search(seg)
                    and not looks_like_title(seg) and not FACT_LINE.match(seg) and _title_case_words(seg)
                    and not re.search(r"\d|[.!?:]$", seg)):
                scores[seg] += 5 if (_ORG_WORDS.search(seg) or _LEGAL_SUFFIX.fullmatch(seg)) else 3
            break
    for m in (_LEGAL_SUFFIX.finditer(text) if _SUFFIX_WORD.search(text) else ()):
        if _company_ok(m.group(1)):
            scores[m.group(1)] += 4
    norm = _APOS.sub("'", text)
    low = norm.lower()
    for (pattern, weight), keys in zip(_STRONG_COMPANY, _STRONG_KEYS):
        if not any(k in low for k in keys):
            continue  # cheap pre-check: each pattern needs one of these words
        for m in pattern.finditer(norm):
            name = m.group(1).strip(" .,")
            name = re.sub(r"'s$", "", name)
            if _company_ok(name):
                scores[name] += weight
    # Frequency: a proper noun that recurs mid-sentence and is never written in lower case.
    # This is how a reader knows "Acme" is the employer when no sentence says so outright.
    tokens = _proper_tokens(norm)
    lower = set(re.findall(r"\b[a-z][a-z]{2,}\b", norm))
    counts = Counter(t for t in tokens if t.lower() not in lower and t.lower() not in _COMMON_CAPS)
    for tok, n in counts.items():
        matched = [cand for cand in scores if cand.split()[0] == tok]
        for cand in matched:
            if n >= 2:
                scores[cand] += n
        if not matched and n >= 3:
            scores[tok] += n
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
_TEAM_LABEL = r"team|department|division|business\s+unit|unit|group|org(?:ani[sz]ation)?\s+unit|service\s+line"
_TEAM_WORD = r"[A-Z][\w&.+/-]*(?:'s)?"
_TEAM_PHRASE = re.compile(
    r"\b(?P<lead>(?i:join\s+(?:the|our)|on\s+the|in\s+the|with\s+the|the|our))\s+"
    r"(?P<name>(?:(?:" + _TEAM_WORD + r"|\([A-Z][A-Za-z&]{1,10}\))[ \t]+(?:(?:and|of|&|for)[ \t]+)?){1,7}?)"
    r"(?:team|Team|group|Group|organi[sz]ation|Organi[sz]ation)\b(?P<after>\s+(?:is|are)\s+(?:hiring|looking|seeking))?"
)


def find_team(lines: list[Line], text: str, company: str | None) -> str | None:
    labelled = _label_value(lines, _TEAM_LABEL)
    if labelled and len(labelled) <= 80:
        return labelled
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
        if best is None or score > best[0]:
            best = (score, -m.start(), name)
    return best[2] if best else None


# ---------------------------------------------------------------- locations
_LOC_LABEL = r"locations?|work\s+location|job\s+location|office(?:\s+location)?|city|based\s+in|where"
_WORKPLACE_WORDS = re.compile(r"^(remote|hybrid|on-?site|in[- ]office|anywhere|flexible|multiple\s+locations?)$", re.I)


def _split_places(value: str) -> list[str]:
    value = re.sub(r"\s*\+\s*\d+\s*(more)?\s*$", "", value)
    value = re.sub(r"\((?:remote|hybrid|on-?site)\)", "", value, flags=re.I)
    parts = re.split(r"\s*(?:;|\||·|•|/|\bor\b|\band\b)\s*", value)
    out: list[str] = []
    for p in parts:
        p = p.strip(" ,.-–—")
        p = re.sub(r"^(?:remote|hybrid|on-?site)\s*[-–—:,]\s*", "", p, flags=re.I)
        p = re.sub(r"\s*[-–—,]\s*(?:remote|hybrid|on-?site)$", "", p, flags=re.I)
        if p and not _WORKPLACE_WORDS.match(p) and len(p) <= 60:
            out.append(p)
    return out


_PROSE_PLACE = re.compile(
    r"\b(?:located|based|office|offices|headquartered|position)\s+(?:is\s+)?(?:in|at)\s+(?:our\s+)?(?:\w+\s+office\s+in\s+)?"
    r"(" + LOCATION_SEGMENT.pattern + r")"
)


def find_locations(lines: list[Line], head: list[str], meta: list[str], text: str) -> list[str]:
    found: list[str] = []
    labelled = _label_value(lines, _LOC_LABEL)
    if labelled:
        found.extend(_split_places(labelled))
    for seg in meta:
        m = LOCATION_SEGMENT.search(seg)
        if m:
            found.extend(_split_places(seg))
    if not found:
        for line in head:
            for seg in re.split(r"\s+[-–—|·•]\s+", line):
                seg = re.sub(r"\s*\+\s*\d+.*$", "", seg).strip(" ,")
                if len(seg) <= 80 and LOCATION_SEGMENT.fullmatch(seg):
                    found.extend(_split_places(seg))
    if not found:
        for m in _PROSE_PLACE.finditer(text):
            found.append(m.group(1))
    seen: dict[str, None] = {}
    for p in found:
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
    r"this\s+is\s+a\s+remote|can\s+be\s+(?:done\s+)?remote(?:ly)?|wfh)\b", re.I)
_ONSITE = re.compile(
    r"\b((?:100%\s+|fully\s+)?on[-\s]?site\s+(?:role|position|job|work|working|presence|only|requirement|"
    r"5\s+days|five\s+days|daily|full[-\s]time)|(?:work|working|be|is|based|report|reporting)\s+"
    r"(?:on[-\s]?site|in[-\s]office|in[-\s]person)\b|in[-\s]office\s+(?:role|position|only|5\s+days)|"
    r"in[-\s]person\s+(?:role|position|only|work))", re.I)


def _workplace_word(value: str) -> str | None:
    v = value.lower()
    if re.search(r"\bhybrid\b", v):
        return "hybrid"
    if re.search(r"\bremote\b|work\s+from\s+home|telework", v) and not re.search(r"\bnot\s+remote|no\s+remote", v):
        return "remote"
    if re.search(r"\bon[-\s]?site\b|\bin[-\s]office\b|\bin[-\s]person\b", v):
        return "onsite"
    return None


def find_workplace(lines: list[Line], meta: list[str], title_line: str | None, text: str) -> str | None:
    labelled = _label_value(lines, r"workplace(?:\s+type)?|work\s+(?:model|arrangement|setting|type|style|location)|"
                                   r"remote(?:\s+work)?|location\s+type|locations?|job\s+type|work\s+mode|flexibility")
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
    if _HYBRID.search(text):
        return "hybrid"
    if _REMOTE.search(text):
        return "remote"
    if _ONSITE.search(text):
        return "onsite"
    return None


# ---------------------------------------------------------------- employment type
_ETYPES: list[tuple[str, re.Pattern[str]]] = [
    ("internship", re.compile(r"\b(internship|intern\b|co-?op\s+(?:position|role|program)|work\s+placement)", re.I)),
    ("part_time", re.compile(r"\bpart[-\s]?time\b(?!\s+(?:students?|studies|study|mba|degree))", re.I)),
    ("full_time", re.compile(r"\bfull[-\s]?time\b(?!\s+(?:equivalent|students?|studies|study|mba|degree))", re.I)),
    ("temporary", re.compile(r"\b(temporary|seasonal|temp\b|fixed[-\s]term|interim\s+(?:role|position))", re.I)),
    ("contract", re.compile(r"\b(contract(?:or)?\s*(?:role|position|basis|assignment|job|to\s+hire|-to-hire)|"
                            r"\d+[-\s](?:month|week|year)\s+contract|freelance|independent\s+contractor|\bC2C\b|"
                            r"^contract$)", re.I | re.M)),
]


def find_employment_type(lines: list[Line], meta: list[str], title: str | None, text: str) -> str | None:
    labelled = _label_value(lines, r"employment(?:\s+type)?|job\s+type|type|contract(?:\s+type)?|schedule|"
                                   r"position\s+type|work\s+type|hours|employment\s+status|job\s+status")
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
    earliest: tuple[int, str] | None = None
    for name, pattern in _ETYPES:
        if name == "internship":
            continue
        m = pattern.search(text)
        if m and (earliest is None or m.start() < earliest[0]):
            earliest = (m.start(), name)
    return earliest[1] if earliest else None


# ---------------------------------------------------------------- seniority
_IC_MANAGER = re.compile(r"\b(product|project|program|programme|account|case|community|content|brand|marketing|"
                         r"social\s+media|property|office|client|customer\s+success|relationship|territory|"
                         r"category|release|configuration|data|quality|risk|facilities|vendor)\s+manager\b", re.I)
_SENIORITY: list[tuple[str, re.Pattern[str]]] = [
    ("intern", re.compile(r"\b(intern|internship|co-?op|trainee|apprentice)\b", re.I)),
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
    ("mid", re.compile(r"\b(mid[-\s]?level|intermediate|mid[-\s]senior)\b|\b(?:engineer|developer|analyst)\s+(?:II|2)\b", re.I)),
]
_LEVEL_WORDS = {
    "internship": "intern", "entry level": "junior", "entry-level": "junior", "associate": "junior",
    "mid-senior level": "senior", "mid level": "mid", "mid-level": "mid", "senior": "senior", "director": "director",
    "executive": "executive", "lead": "lead", "principal": "principal", "staff": "staff", "manager": "manager",
    "junior": "junior", "intern": "intern",
}


def find_seniority(lines: list[Line], title: str | None) -> str | None:
    labelled = _label_value(lines, r"seniority(?:\s+level)?|experience\s+level|level|career\s+level")
    if labelled:
        v = labelled.strip().lower()
        if v in _LEVEL_WORDS:
            return _LEVEL_WORDS[v]
    if not title:
        return None
    for name, pattern in _SENIORITY:
        if name == "manager" and _IC_MANAGER.search(title) and not re.search(r"\bmanager\s*,|\bmanager\s+of\b", title, re.I):
            continue
        if pattern.search(title):
            return name
    return None


# ---------------------------------------------------------------- years of experience
_NUMWORD = "|".join(vocab.NUMBER_WORDS)
_YEARS = re.compile(
    r"(?P<pre>\b(?:minimum\s+(?:of\s+)?|at\s+least\s+|min\.?\s+|over\s+|more\s+than\s+)?)"
    r"(?:(?P<w>" + _NUMWORD + r")\s*(?:\(\s*(?P<wn>\d{1,2})\s*\)\s*)?|(?P<n>\d{1,2})(?:\.\d)?)"
    r"(?:\s*(?:-|–|to)\s*(?:\d{1,2}|" + _NUMWORD + r"))?"
    r"\s*(?P<plus>\+|\s*or\s+more|\s*plus)?\s*(?:\(?\s*\+?\s*\)?\s*)?"
    r"(?:years?|yrs?)(?:\s*\(s\))?(?:'|’)?",
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
    return best


# ---------------------------------------------------------------- education
def find_education(items: list[str]) -> str | None:
    found: set[str] = set()
    for item in items:
        if re.search(r"\bno\s+(?:college\s+|university\s+)?degree\s+(?:is\s+)?required\b", item, re.I):
            continue
        for name, pattern in vocab.DEGREES:
            if pattern.search(item):
                found.add(name)
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


def find_background_check(lines: list[str]) -> bool:
    text = "\n".join(lines)
    for m in _CHECK.finditer(text):
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        if not _NO_CHECK.search(text[start:end if end >= 0 else len(text)]):
            return True
    return False
