"""Word lists the parser needs: programming languages, role nouns, places.

Kept apart from the rules so that extending coverage (a new language, a new country) is a
one-line change that cannot alter how the rules behave.
"""

from __future__ import annotations

import re

# canonical name -> pattern. Ambiguous short names (C, R, Go) are matched case-sensitively
# and only in list-like context, elsewhere by the caller.
LANGUAGES: dict[str, str] = {
    "Python": r"\bPython\b",
    "Java": r"\bJava\b(?!\s*Script)",
    "JavaScript": r"\bJava\s?Script\b|\bJS\b|\bNode\.?js\b|\bECMAScript\b",
    "TypeScript": r"\bType\s?Script\b",
    "C++": r"\bC\+\+|\bCPP\b",
    "C#": r"\bC#|\bC\s?Sharp\b",
    "Go": r"\bGolang\b|(?<![\w-])Go(?=\s*(?:,|\)|/|;|$|\.(?:\s|$)|\s+(?:or|and|lang|programming|"
          r"language)\b))(?<!\bto Go)",
    "Rust": r"\bRust\b",
    "Ruby": r"\bRuby\b",
    "PHP": r"\bPHP\b",
    "Swift": r"\bSwift\b(?!\s+(?:code|transfer|payment|network|message))",
    "Kotlin": r"\bKotlin\b",
    "Scala": r"\bScala\b",
    "R": r"(?<![\w&-])R(?=\s*(?:,|\)|/|;|\s+(?:or|and|programming|language|Studio)\b))",
    "SQL": r"\bSQL\b|\bT-SQL\b|\bPL/SQL\b",
    "Perl": r"\bPerl\b",
    "Haskell": r"\bHaskell\b",
    "Erlang": r"\bErlang\b",
    "Elixir": r"\bElixir\b",
    "Clojure": r"\bClojure\b",
    "F#": r"\bF#",
    "Objective-C": r"\bObjective[-\s]?C\b",
    "Dart": r"\bDart\b",
    "Lua": r"\bLua\b",
    "MATLAB": r"\bMATLAB\b|\bMatlab\b",
    "Julia": r"\bJulia\b(?=\s*(?:,|\)|/|\s+(?:or|and|programming|language)\b))",
    "Bash": r"\bBash\b",
    "PowerShell": r"\bPower[Ss]hell\b",
    "Groovy": r"\bGroovy\b",
    "VB.NET": r"\bVB\.NET\b",
    "Visual Basic": r"\bVisual Basic\b|\bVBA\b",
    "COBOL": r"\bCOBOL\b",
    "Fortran": r"\bFortran\b|\bFORTRAN\b",
    "Assembly": r"\bAssembly\s+language\b|\bx86\s+assembly\b|\bARM\s+assembly\b",
    "Solidity": r"\bSolidity\b",
    "Zig": r"\bZig\b",
    "OCaml": r"\bOCaml\b",
    "Verilog": r"\bVerilog\b|\bSystemVerilog\b",
    "VHDL": r"\bVHDL\b",
    "ABAP": r"\bABAP\b",
    "Apex": r"\bApex\b(?=\s*(?:,|\)|/|\s+(?:or|and|code|classes|triggers|programming)\b))",
    "SAS": r"\bSAS\b(?!\s+(?:token|URL))",
}
# "C" alone: followed by a list separator or "or/and", or ending a list; never "C-level", "C.".
_C = r"(?<![\w#+&./-])C(?=\s*(?:,|\)|/(?!C\+)|;|$|\s+(?:or|and|programming|language|code)\b))(?!\+|#)"
LANGUAGES["C"] = _C

LANGUAGE_PATTERNS = [(name, re.compile(p, re.M)) for name, p in LANGUAGES.items()]
# A lower-case substring every match of the pattern contains: lets the caller skip most regexes.
LANGUAGE_NEEDLES: dict[str, tuple[str, ...]] = {
    "JavaScript": ("javascript", "java script", "js", "node", "ecmascript"), "TypeScript": ("script",),
    "C++": ("c++", "cpp"), "C#": ("c#", "sharp"), "Go": ("go",), "SQL": ("sql",), "F#": ("f#",),
    "Objective-C": ("objective",), "MATLAB": ("matlab",), "PowerShell": ("powershell",), "VB.NET": ("vb.net",),
    "Visual Basic": ("visual basic", "vba"), "Assembly": ("assembly",), "Verilog": ("verilog",),
}

US_STATES = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
    "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH",
    "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR",
    # Canadian provinces
    "ON", "QC", "BC", "AB", "MB", "SK", "NS", "NB", "NL", "PE",
}
STATE_NAMES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho|"
    "Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|Mississippi|"
    "Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|North Carolina|North Dakota|"
    "Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|"
    "Virginia|Washington|West Virginia|Wisconsin|Wyoming|Ontario|Quebec|British Columbia|Alberta|"
    "New South Wales|Victoria|Queensland|Bavaria|Bayern|Scotland|Wales|England|Northern Ireland"
)
COUNTRIES = (
    "United States|USA|U\\.S\\.A\\.|US|United Kingdom|UK|U\\.K\\.|Canada|Germany|France|Spain|Italy|Portugal|"
    "Netherlands|Belgium|Switzerland|Austria|Ireland|Sweden|Norway|Denmark|Finland|Poland|Czech Republic|Czechia|"
    "Hungary|Romania|Bulgaria|Greece|Turkey|Israel|India|China|Japan|Singapore|Australia|New Zealand|Brazil|"
    "Mexico|Argentina|Chile|Colombia|Peru|South Africa|Nigeria|Kenya|Egypt|UAE|United Arab Emirates|"
    "Saudi Arabia|Qatar|Philippines|Vietnam|Thailand|Malaysia|Indonesia|South Korea|Korea|Taiwan|Hong Kong|"
    "Pakistan|Bangladesh|Ukraine|Estonia|Latvia|Lithuania|Luxembourg|Iceland|Croatia|Serbia|Slovakia|Slovenia"
)

# Nouns that make a short line a job title.
ROLE_NOUNS = re.compile(
    r"\b(engineer|developer|programmer|architect|scientist|analyst|manager|director|designer|administrator|"
    r"specialist|coordinator|consultant|technician|technologist|officer|assistant|associate|representative|"
    r"nurse|physician|doctor|therapist|pharmacist|teacher|instructor|professor|lecturer|tutor|counselor|"
    r"counsellor|accountant|auditor|clerk|cashier|receptionist|secretary|recruiter|advisor|adviser|"
    r"intern|internship|apprentice|trainee|lead|head|chief|president|vp|executive|supervisor|superintendent|"
    r"operator|driver|mechanic|electrician|plumber|carpenter|welder|machinist|chef|cook|server|barista|"
    r"attendant|aide|worker|inspector|investigator|librarian|paralegal|attorney|lawyer|solicitor|editor|"
    r"writer|producer|researcher|fellow|postdoc|postdoctoral|owner|partner|planner|buyer|estimator|"
    r"sre|devops|dba|strategist|marketer|salesperson|agent|broker|underwriter|teller|banker|controller|"
    r"bookkeeper|storekeeper|stocker|associate|merchandiser|custodian|janitor|housekeeper|caregiver|"
    r"medic|paramedic|emt|dentist|hygienist|radiographer|sonographer|phlebotomist|dietitian|psychologist|"
    r"social\s+worker|principal|coach|guard|firefighter|deputy|sergeant|lieutenant|captain|officer|"
    r"steward|facilitator|navigator|liaison|generalist|partner|ambassador|handler|picker|packer|loader|"
    r"fabricator|assembler|installer|surveyor|draftsman|drafter|registrar|dean|provost|chancellor|"
    r"curator|archivist|translator|interpreter|trader|actuary|economist|statistician|epidemiologist|"
    r"biologist|chemist|physicist|geologist|hydrologist|ecologist|veterinarian|vet\s+tech|midwife|"
    r"surgeon|anesthetist|anaesthetist|radiologist|optometrist|audiologist|"
    r"rn|lpn|cna|np|pa-c|crna|sales|support|tester|qa)\b",
    re.I,
)

DEGREES: list[tuple[str, re.Pattern[str]]] = [
    ("high_school", re.compile(r"\b(high[\s-]school|secondary\s+school|(?-i:GED)|diploma\s+or\s+equivalent|"
                               r"HS\s+diploma|(?-i:A[-\s]?[Ll]evels?)|(?-i:GCSEs?)|matric(ulation)?|"
                               # India's 12th-standard school leaving: PUC, pre-university, higher secondary, 10+2
                               r"(?-i:PUC)|pre[-\s]university|higher\s+secondary|(?-i:HSC)|10\s?\+\s?2)\b", re.I)),
    ("associate", re.compile(r"\b(associate'?s?\s+degree|associate\s+of\s+(arts|science|applied)|"
                             r"associate\s+degree|A\.?A\.?S\.?\b|ADN\b|two[-\s]year\s+degree|2[-\s]year\s+degree|"
                             r"HND|foundation\s+degree)", re.I)),
    ("bachelor", re.compile(r"(\bbachelor'?s?|\bbachelors|\bbaccalaureate|"
                            r"\bB\.?S\.?c?\b(?=\s*(?:/|,|in\b|or\b|degree|\())|"
                            r"\bB\.?A\.?\b(?=\s*(?:/|,|in\b|or\b|degree|\())|\bB\.S\.|\bB\.A\.|\bBSN\b|\bBEng\b|\bB\.?Tech\b|\bB\.?E\.\b|"
                            r"\bundergraduate\s+degree|\bfour[-\s]year\s+degree|\b4[-\s]year\s+degree|"
                            r"\b(university|college)\s+degree|\bdegree\s+from\s+an?\s+accredited\s+(college|university)|"
                            r"\bbachelor|\blicence\b(?=\s+degree)|(?:^|\b(?:a|relevant|related|university|college|undergraduate|"
                            r"technical|first|2:1|honours)\s+)degree\s+(?:in|or|level)\b|"
                            r"\bgraduate\s+degree\s+in\b(?!.*master))", re.I)),
    ("master", re.compile(r"(\bmaster'?s?\b|\bmasters\b|\bM\.?S\.?c?\b(?=\s*(?:/|,|in\b|or\b|degree|\())|\bM\.S\.|"
                          r"\bM\.A\.|\bMBA\b|\bM\.?Eng\b|\bMSN\b|\bMPH\b|\bMSW\b|\bMFA\b|\bM\.?Ed\b|"
                          r"\bpost[-\s]?graduate\s+degree|\bgraduate\s+degree)", re.I)),
    ("phd", re.compile(r"(\bPh\.?\s?D\b|\bdoctorate\b|\bdoctoral\s+degree|\bD\.?Phil\b|\bMD\b(?=\s*(?:/|,|"
                       r"or\b|degree))|"
                       r"\bPharm\.?D\b|\bJ\.?D\.?\b(?=\s*(?:/|,|or\b|degree|from)))", re.I)),
]
DEGREE_ORDER = ["high_school", "associate", "bachelor", "master", "phd"]

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
}

# First-level regions outside the US (US states come from the gazetteer): name -> ISO country.
REGIONS: dict[str, str] = {
    **dict.fromkeys(["Ontario", "Quebec", "British Columbia", "Alberta", "Manitoba", "Saskatchewan", "Nova Scotia",
                     "New Brunswick", "Newfoundland and Labrador", "Prince Edward Island", "Yukon",
                     "Northwest Territories", "Nunavut"], "CA"),
    **dict.fromkeys(["New South Wales", "Victoria", "Queensland", "South Australia", "Western Australia", "Tasmania",
                     "Northern Territory", "Australian Capital Territory", "NSW", "VIC", "QLD", "ACT"], "AU"),
    **dict.fromkeys(["England", "Scotland", "Wales", "Northern Ireland", "Greater London"], "GB"),
    **dict.fromkeys(["Bavaria", "Bayern", "Baden-Württemberg", "Hesse", "Hessen", "Saxony", "Sachsen",
                     "North Rhine-Westphalia", "Nordrhein-Westfalen", "Lower Saxony", "Niedersachsen"], "DE"),
    **dict.fromkeys(["Haryana", "Karnataka", "Maharashtra", "Tamil Nadu", "Telangana", "Uttar Pradesh", "Delhi",
                     "Gujarat", "Kerala", "West Bengal", "Rajasthan", "Punjab", "Andhra Pradesh", "NCR"], "IN"),
    **dict.fromkeys(["Auckland Region", "Wellington Region"], "NZ"),
    **dict.fromkeys(["Ontario Province"], "CA"),
}
CA_PROVINCE_CODES = ("ON", "QC", "BC", "AB", "MB", "SK", "NS", "NB", "NL", "PE", "YT", "NT", "NU")
# Words that make a capitalised phrase something other than a place ("Job Details, CA").
NOT_PLACE_WORDS = re.compile(
    r"\b(job|jobs|team|department|company|inc|llc|ltd|corp|group|salary|pay|benefits|experience|skills|"
    r"requirements|qualifications|responsibilities|summary|description|overview|remote|hybrid|office|space|"
    r"full|part|time|contract|permanent|posted|apply|home|search|career|careers|level|grade|degree|"
    r"university|college|school|hospital|bank|building|street|floor|suite|avenue|road|blvd)\b",
    re.I,
)
