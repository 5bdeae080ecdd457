"""Recognise lines that are not part of the opening: job-board chrome and legal boilerplate.

Two families, both phrased generically so they hold on boards and employers we have never
seen: *chrome* (buttons, trackers, "apply now", share widgets, counters) and *legal*
(equal-opportunity, accommodation, E-Verify, pay-transparency and privacy notices). A legal
line also ends whatever list it interrupts: nothing after an EEO paragraph is a requirement
until a new heading starts a section.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Whole-line chrome: buttons, menus, counters. Only short lines can be one of these.
_CHROME_LINE = re.compile(
    r"""^(apply|apply\s+now|easy\s+apply|apply\s+for\s+this\s+job|apply\s+on\s+company\s+site|save|saved|share|
        save\s+this\s+job|track\s+this\s+job|report\s+(this\s+)?job|show\s+(more|less)|see\s+(more|less)|
        read\s+more|back\s+to\s+(search|jobs|results).*|sign\s+in.*|log\s+in.*|join\s+now|
        similar\s+jobs|jobs\s+you\s+may\s+like|people\s+also\s+viewed|job\s+alert.*|create\s+(a\s+)?job\s+alert.*|
        copy\s+link|print|email\s+(this\s+)?job|view\s+all\s+jobs|ranked\s+by\s+relevance.*|
        skip\s+to\s+(main\s+)?content|menu|home|careers?|jobs|people|learning|messaging|notifications|my\s+network|
        for\s+business|post\s+a\s+job|find\s+jobs|company\s+reviews|find\s+salaries|get\s+directions|
        cookies?\s+settings|be\s+an\s+early\s+applicant|actively\s+(hiring|recruiting)|promoted(\s+by\s+hirer)?|
        how\s+you\s+match|see\s+how\s+you\s+compare.*|get\s+ai[-\s]powered.*|am\s+i\s+a\s+good\s+fit.*)[.!:]?$
      | ^(posted|reposted|updated)\s+(\d+|an?|one)\s+\w+\s+ago
      | ^job\s+(id|req(uisition)?(\s+id)?|number|code|ref(erence)?)\s*[:#]
      | ^(req(uisition)?|ref)\s*(id|\#|no\.?|number)\s*[:#]?\s*[\w-]+$
      | ^(share|follow)\s+(on|us\s+on)\s+
      | ^(linkedin|facebook|twitter|x|whatsapp|email)(\s*[|·,]\s*(linkedin|facebook|twitter|x|whatsapp|email))+$
    """,
    re.I | re.X,
)
# Chrome phrases that can sit inside longer lines.
_CHROME_PHRASE = re.compile(
    r"""(add\s+this\s+job\s+to\s+your
      | ready\s+to\s+apply
      | application\s+takes\s+(less\s+than\s+)?\d+\s+minutes?
      | take\s+your\s+career\s+to\s+the\s+next\s+level
      | \b(ai|a\.i\.)[-\s]powered
      | pro\s+tip:
      | ^get\s+a\s+concise\s+overview
      | job\s+offers\s+have\s+been\s+published\s+in\s+the\s+selected\s+language
      | this\s+list\s+contains\s+only\s+the\s+countries
      | (?<![\d,])\d[\d,]*+\+?\s(applicants|applications|clicks)\b
      | monitor\s+application\s+status
      | change\s+status\s*\(applied
      | add\s+personal\s+notes\s+and\s+comments
      | set\s+reminders\s+for\s+follow
      | track\s+your\s+entire\s+application
      | access\s+easily\s+from\s+your\s+saved
      | review\s+job\s+details\s+later
      | compare\s+with\s+other\s+saved
      | keep\s+a\s+collection\s+of\s+interesting
      | receive\s+notifications\s+about\s+saved
      | quickly\s+decide\s+if\s+a\s+job\s+matches
      | we\s+use\s+cookies | accept\s+(all\s+)?cookies
    )""",
    re.I | re.X,
)

_LEGAL = re.compile(
    r"""(
        equal\s+(employment\s+)?opportunit(y|ies)\s+(and\s+affirmative\s+action\s+)?employer
      | is\s+an?\s+(proud\s+)?equal\s+opportunity
      | \beeo\b.*\b(employer|statement|policy)
      | affirmative\s+action
      | without\s+regard\s+to\s+(race|age|ancestry|color|religion|sex|gender|national)
      | regardless\s+of\s+(race|age|ancestry|color|religion|sex|gender|national)
      | (race|color),\s+(color|religion|creed|race),
      | protected\s+veteran
      | sexual\s+orientation,\s+gender\s+identity
      | reasonable\s+accommodation
      | request(ing)?\s+(an?\s+)?accommodations?
      | e-?verify
      | pay\s+transparency\s+(nondiscrimination|policy)
      | know\s+your\s+rights
      | fair\s+chance\s+(ordinance|initiative|act)
      | consider\s+(for\s+employment\s+)?qualified\s+applicants\s+with\s+(criminal|arrest)
      | applicants\s+with\s+arrest\s+(and|or)\s+conviction
      | privacy\s+(notice|policy|statement)\s+(for|to)\s+(applicants|candidates|job)
      | candidate\s+privacy
      | recruitment\s+(agencies|agency)\b.*\b(unsolicited|not\s+accept)
      | do\s+not\s+accept\s+unsolicited
      | we\s+(will\s+)?never\s+ask\s+(you\s+)?for\s+(money|payment|bank)
      | recruitment\s+(fraud|scam)
      | (drug|smoke|tobacco)[-\s]free\s+(workplace|environment|campus)
      | celebrate(s)?\s+diversity\s+and\s+(are|is)\s+committed
      | committed\s+to\s+(creating|building|fostering)\s+(a\s+)?(diverse|inclusive)
      | all\s+qualified\s+applicants\s+will\s+receive\s+consideration
      | discriminat(e|ion)\s+(against|on\s+the\s+basis)
      | disability\s+(and|or)\s+veteran\s+status
      | (uk|u\.k\.)\s+right\s+to\s+work\s+checks?\s+are\s+completed
    )""",
    re.I | re.X,
)


# Every legal pattern contains one of these lower-case stems; lines without any skip the big regex.
_LEGAL_STEMS = ("opportunit", "eeo", "affirmative", "regard", "veteran", "orientation", "accommodat", "verify",
                "transparen", "rights", "fair chance", "criminal", "arrest", "privacy", "agenc", "unsolicited",
                "never ask", "fraud", "scam", "-free", " free ", "diversity", "inclusive", "diverse", "consideration",
                "discriminat", "disabilit", "right to work", "race", "color", "colour")
_CHROME_STEMS = ("apply", "job", "career", "powered", "tip", "overview", "countries", "language", "applica",
                 "status", "notes", "remind", "saved", "collection", "notification", "decide", "cookie")


#: The same patterns for lower-cased text without re.IGNORECASE (their letters are all lower
#: case), which sre matches several times faster.
_CHROME_LINE_LOWER = re.compile(_CHROME_LINE.pattern, re.X)
_CHROME_PHRASE_LOWER = re.compile(_CHROME_PHRASE.pattern, re.X)
_LEGAL_LOWER = re.compile(_LEGAL.pattern, re.X)


@lru_cache(maxsize=16384)
def is_chrome(text: str) -> bool:
    """True for job-board user-interface text that a paste drags along."""
    low = text.lower()
    same = len(low) == len(text)
    if len(text) <= 80 and (_CHROME_LINE_LOWER.search(low) if same else _CHROME_LINE.search(text)):
        return True
    return any(s in low for s in _CHROME_STEMS) and bool(
        _CHROME_PHRASE_LOWER.search(low) if same else _CHROME_PHRASE.search(text))


@lru_cache(maxsize=16384)
def is_legal(text: str) -> bool:
    """True for equal-opportunity, accommodation and similar legal boilerplate."""
    low = text.lower()
    return any(s in low for s in _LEGAL_STEMS) and bool(
        _LEGAL_LOWER.search(low) if len(low) == len(text) else _LEGAL.search(text))


def is_noise(text: str) -> bool:
    """Either kind of boilerplate: never returned in any field."""
    return is_chrome(text) or is_legal(text)
