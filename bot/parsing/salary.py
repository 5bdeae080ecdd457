"""Find the pay range of a posting: amounts, currency and period.

Handles "$139,900 - $274,800 per year", "USD 120k–150k", "£30,000 to £35,000 per annum",
"€45.000 - €55.000 brutto", "$19.75/hr", "from $22 an hour", "up to 50K". Money that is not pay
(bonuses, funding rounds, revenue, relocation) is ignored by looking at the words around it.
When several ranges are stated (US-wide vs. a metro area) the first one is the opening's pay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SYMBOLS = {
    "$": "USD", "us$": "USD", "usd$": "USD", "ca$": "CAD", "c$": "CAD", "cad$": "CAD", "a$": "AUD", "au$": "AUD",
    "nz$": "NZD", "s$": "SGD", "hk$": "HKD", "mx$": "MXN", "r$": "BRL", "£": "GBP", "€": "EUR", "¥": "JPY",
    "₹": "INR", "₩": "KRW", "₪": "ILS", "₱": "PHP", "zł": "PLN", "kr": "SEK", "chf": "CHF", "fr.": "CHF",
    "rs": "INR", "rs.": "INR", "r": "ZAR",
}
_CODES = ("USD EUR GBP CAD AUD NZD INR JPY CHF SEK NOK DKK PLN SGD HKD ZAR BRL MXN CNY RMB KRW ILS AED "
          "SAR CZK HUF RON TRY PHP MYR IDR THB VND NGN KES EGP ARS CLP COP PEN TWD").split()

_CUR = (r"(?P<cur>(?:US|CA|C|CAD|A|AU|NZ|S|HK|MX|R)\$|\$|£|€|¥|₹|₩|₪|₱|\b(?:" + "|".join(_CODES) +
        r")\b\s*\$?|\bRs\.?)")
# Indian lakh grouping ("20,00,000", "1,42,400") first, then Western thousands, then plain.
_NUM = (r"(?<![\d,.])(?:\d{1,2}(?:,\d\d(?=,))++,\d{3}(?![\d,])|\d{1,3}(?:[,.\u202f' ]\d{3})++(?:[.,]\d{1,2})?"
        r"|\d++(?:[.,]\d{1,2})?)")
_AMOUNT = (r"(?:" + _CUR + r"\s?)?(?P<num>" + _NUM + r")\s?(?P<k>[kK]|[mM](?![a-z])|\s?(?:thousand))?"
           r"(?:\s?(?P<cur2>(?:" + "|".join(_CODES) + r"|zł|kr|CHF)\b|€|£))?")
_RANGE_SEP = (r"(?:\s*/\s*(?:hr|hour|h|yr|year|annum|month|mo|week|wk|day)|\s+(?:per|an?)\s+(?:hour|year|annum))?"
              r"(?:\s*\([^()]{0,30}\))?"
              r"\s*(?:-|–|—|to|and|until|bis|à|a|rising\s+to|increasing\s+to|up\s+to)\s*")
_AMT_RE = re.compile(_AMOUNT)
_ASIDE = re.compile(r"\((?:level|grade|band|step|scale|point|spine|pay)[^()$£€₹]{0,25}\)", re.I)

_PERIODS: list[tuple[str, re.Pattern[str]]] = [
    ("day", re.compile(r"(per\s+24\s*(?:hours|hrs|h)\b|per\s+shift|a\s+shift|/\s?shift|per\s+day|day\s+rate|"
                       r"daily\s+rate|/\s?day\b)", re.I)),
    ("hour", re.compile(r"(/\s?h(ou)?r\b|per\s+hour|an\s+hour|hourly|/\s?hour|p/h\b|ph\b|per\s+hr|\bhr\b|"
                        r"pro\s+stunde|/\s?std|de\s+l'heure|par\s+heure)", re.I)),
    ("year", re.compile(r"(/\s?y(ea)?r\b|per\s+(year|annum)|a\s+year|annual(ly)?|yearly|p\.?a\.?\b|/\s?annum|"
                        r"per\s+yr|/year)", re.I)),
    ("month", re.compile(r"(/\s?mo(nth)?\b|per\s+month|a\s+month|monthly|pro\s+monat|monatlich|par\s+mois|"
                         r"p\.?m\.?\b(?!\s*(?:est|pst|cst|to)))", re.I)),
    ("week", re.compile(r"(/\s?w(ee)?k\b|per\s+week|a\s+week|weekly)", re.I)),
    ("day", re.compile(r"(a\s+day\b|per\s+diem\s+rate)", re.I)),
]
_SALARY_WORD = re.compile(r"\bsalary\b|\bbase\s+pay\b", re.I)
_PAY_WORDS = re.compile(
    r"(salary|pay\b|pay\s+range|compensation|wage|rate|earn|base|per\s+(hour|year|annum)|hourly|annual|"
    r"remuneration|stipend|ote\b|range|starting|/\s?h(ou)?r|/\s?y(ea)?r|p\.?a\.?\b|brutto|gross)",
    re.I,
)
_NOT_PAY = re.compile(
    r"(bonus|billion|million|funding|raised|revenue|series\s+[a-e]\b|valuation|relocation|reimburse|tuition|"
    r"allowance|401\s?\(?k|match|sign[-\s]?on|signing|referral|budget|assets\s+under|investment|customers|"
    r"users|donat|grant|loan|fee|deposit|spend|award)",
    re.I,
)


@dataclass(slots=True)
class Pay:
    """A pay range. ``min``/``max`` are equal for a single stated figure."""

    min: float | None
    max: float | None
    currency: str | None
    period: str | None
    #: The currency was only a bare "$": the posting's country may say which dollar it is.
    bare_dollar: bool = False
    #: The period was guessed from the size of the figure, not stated.
    period_guessed: bool = False

    def as_dict(self) -> dict[str, object]:
        def num(v: float | None) -> float | int | None:
            if v is None:
                return None
            return int(v) if float(v).is_integer() else round(v, 2)
        return {"min": num(self.min), "max": num(self.max), "currency": self.currency, "period": self.period}


def _to_number(raw: str, k: str | None) -> float | None:
    s = raw.replace("\u202f", "").replace("'", "").replace(" ", "")
    # Decide which of , and . is the thousands separator.
    if "," in s and "." in s:
        if s.rfind(",") > s.rfind("."):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", "")
    elif "," in s:
        tail = s.rsplit(",", 1)[1]
        s = s.replace(",", "") if len(tail) == 3 else s.replace(",", ".")
    elif "." in s:
        parts = s.split(".")
        if len(parts) > 2 or (len(parts[-1]) == 3 and len(parts[0]) <= 3 and not k):
            s = s.replace(".", "")
    try:
        value = float(s)
    except ValueError:
        return None
    if k:
        kk = k.strip().lower()
        value *= 1_000_000 if kk == "m" else 1_000
    return value


def _currency(match: re.Match[str]) -> str | None:
    cur = (match.group("cur") or match.group("cur2") or "").strip().rstrip("$").strip()
    sym = (match.group("cur") or match.group("cur2") or "").strip()
    if not sym:
        return None
    key = sym.lower().replace(" ", "")
    if key in _SYMBOLS:
        return _SYMBOLS[key]
    up = cur.upper()
    if up == "RMB":
        return "CNY"
    return up if up in _CODES else _SYMBOLS.get(up.lower())


def _period(context: str, amount: float | None) -> str | None:
    for name, pattern in _PERIODS:
        if pattern.search(context):
            return name
    if amount is None:
        return None
    # No words: judge by size, as a reader would ("$120,000 - $150,000" is yearly).
    if amount >= 10_000:
        return "year"
    if amount < 300:
        return "hour"
    return None


def _candidates(line: str) -> list[tuple[int, Pay]]:
    found: list[tuple[int, Pay]] = []
    # "(Band 4)" between two figures is not a figure: blank it out, keeping offsets.
    line = _ASIDE.sub(lambda a: " " * len(a.group(0)), line)
    matches = [m for m in _AMT_RE.finditer(line)]
    i = 0
    while i < len(matches):
        m = matches[i]
        cur = _currency(m)
        low = _to_number(m.group("num"), m.group("k"))
        nxt = matches[i + 1] if i + 1 < len(matches) else None
        high = None
        used = 1
        if nxt is not None and re.fullmatch(_RANGE_SEP, line[m.end():nxt.start()], re.I):
            high = _to_number(nxt.group("num"), nxt.group("k"))
            cur = cur or _currency(nxt)
            # "50-70K": the suffix on the second figure applies to the first.
            if nxt.group("k") and not m.group("k") and low is not None and high is not None and low < 1000 <= high:
                low = _to_number(m.group("num"), nxt.group("k"))
            used = 2
        i += used
        if low is None or (cur is None and not m.group("k")):
            # A bare number ("5 years") is not money; currency or a k-suffix is required.
            if cur is None:
                continue
        if low is None or low <= 0:
            continue
        if high is not None and high < low:
            high = None
        before = line[max(0, m.start() - 60):m.start()]
        after_end = (nxt.end() if used == 2 and nxt is not None else m.end())
        after = line[after_end:after_end + 40]
        stated_period = any(p.match(after.lstrip()) or p.search(after[:18]) for _, p in _PERIODS)
        if (_NOT_PAY.search(before[-40:] + " " + after[:25]) and not _PAY_WORDS.search(before[-25:])
                and not stated_period):
            continue
        if re.match(r"\s*(years?|yrs?|months?|%|percent|employees|people|hours?\s+per|cpm|cents|miles)", after, re.I):
            continue
        lo_word = re.search(r"(up\s+to|maximum\s+of|max\.?|no\s+more\s+than)\s*$", before, re.I)
        from_word = re.search(r"(from|starting\s+(at|from)?|minimum\s+of|at\s+least|min\.?)\s*$", before, re.I)
        mn: float | None = low
        mx: float | None = high if high is not None else low
        if high is None and lo_word:
            mn, mx = None, low
        elif high is None and from_word:
            mx = None
        score = 0
        score += 3 if _PAY_WORDS.search(before + " " + after) else 0
        score += 2 if high is not None else 0
        score += 1 if cur else 0
        stated = _period(after + " " + before[-30:], None)
        # "Salary: ..." hints at a year, but a line below may state the period ("... P.M.").
        period = stated or ("year" if _SALARY_WORD.search(before[-30:] + " " + after) else None) \
            or _period("", mx if mx is not None else mn)
        score += 1 if period else 0
        if score < 3:
            continue
        bare = (m.group("cur") or (nxt.group("cur") if used == 2 and nxt is not None else "") or "").strip() == "$"
        found.append((score, Pay(mn, mx, cur or "USD", period, bare_dollar=bare, period_guessed=not stated)))
    return found


#: Countries whose currency is also written "$".
_DOLLARS = {"AU": "AUD", "CA": "CAD", "NZ": "NZD", "SG": "SGD", "HK": "HKD", "MX": "MXN", "US": "USD",
            "JM": "JMD", "TT": "TTD", "BS": "BSD", "BB": "BBD", "FJ": "FJD", "LR": "LRD", "TW": "TWD"}


def find_salary(lines: list[str], country: str | None = None) -> Pay | None:
    """The best pay statement among ``lines``; None when the posting states none.

    ``country`` (ISO code of where the job is) decides which dollar a bare "$" is.
    """
    best: tuple[int, int, Pay] | None = None
    for idx, line in enumerate(lines):
        if not re.search(r"\d", line):
            continue
        line = line[:2_000]
        for score, pay in _candidates(line):
            if best is None or score > best[0]:
                best = (score, -idx, pay)
    if best is None:
        return None
    pay = best[2]
    if pay.bare_dollar and country in _DOLLARS:
        pay.currency = _DOLLARS[country]
    if pay.period_guessed:
        # "Rs. 44,900-1,42,400" with "Initial pay Rs. 44,900 P.M." on the next line.
        idx = -best[1]
        for nxt in lines[idx + 1:idx + 3]:
            stated = _period(nxt, None)
            if stated and re.search(r"\d", nxt) and re.search(r"[$£€¥₹₩₪₱]|\b(?:Rs|INR|USD|EUR|GBP)\b", nxt):
                pay.period = stated
                break
    return pay
