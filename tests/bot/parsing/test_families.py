"""One made-up snippet per pattern family the parser learned from real pastes.

Companies, places and wording are invented for these tests; none is copied from the dev set.
"""

import pytest

from bot.parsing import parse_posting
from bot.parsing.places import clean_place, country_of_place, gazetteer, scan_places
from bot.parsing.salary import find_salary


# ---------------------------------------------------------------- places (gazetteer)
@pytest.mark.parametrize("text, expected", [
    ("Perth, Western Australia, Australia Bluegum Care Casual", ["Perth, Western Australia, Australia"]),
    ("OrchardlyPortland, ORSalaryFull-time", ["Portland, OR"]),
    ("Columbus, OHDenver, COBoise, ID", ["Columbus, OH", "Denver, CO", "Boise, ID"]),
    ("Requisition 442US-TX-San Antonio", ["San Antonio, TX"]),
    ("Skills: Python, Java, OR SQL", []),
    ("Clinical Nurse Educator, RN, Nights", []),
])
def test_places_in_run_together_text(text: str, expected: list[str]) -> None:
    assert [p for _, p in scan_places(text)] == expected


@pytest.mark.parametrize("value, expected", [
    ("leeds, LS1 4AP", "leeds"), ("Fairview Depot, (Hybrid working available)", "Fairview Depot"),
    ("US-WA-Spokane", "Spokane, WA"), ("Desk space as assigned in the main building", None),
])
def test_labelled_place_values(value: str, expected: str | None) -> None:
    assert clean_place(value) == expected


def test_country_of_a_place_uses_region_then_city() -> None:
    assert country_of_place("Calgary, Alberta") == "CA"
    assert country_of_place("Brisbane") == "AU"
    assert gazetteer() is gazetteer()  # loaded once


@pytest.mark.parametrize("text, places", [
    ("Night Porter\nLocation: Remote, Vermont\n", ["Vermont"]),
    ("Line Cook\nLocation\nUnited Kingdom\n\nWe cook.\n", ["United Kingdom"]),
    ("Cashier\nOur store is based in Toronto and opens early.\n", ["Toronto"]),
    ("Staff Accountant\nWe are a busy Passaic County accounting practice.\n", ["Passaic County"]),
    ("Welder\nWe build boats for customers in Hull.\n", []),
])
def test_locations_by_evidence(text: str, places: list[str]) -> None:
    assert parse_posting(text).locations == places


# ---------------------------------------------------------------- salary
@pytest.mark.parametrize("lines, country, expected", [
    (["Pay: $31.20 per hour"], "AU", (31.2, 31.2, "AUD", "hour")),
    (["Wage: $28 - $30 an hour"], "CA", (28, 30, "CAD", "hour")),
    (["Pay: £140.00 per 24 hours"], None, (140, 140, "GBP", "day")),
    (["Rate: $450 per shift"], None, (450, 450, "USD", "day")),
    (["Salary: £30,100 (Band 4) rising to £32,000 per annum"], None, (30100, 32000, "GBP", "year")),
    (["CTC: ₹ 12,50,000 - ₹ 15,00,000 per year"], None, (1250000, 1500000, "INR", "year")),
    (["Pay scale: Rs. 35,400-1,12,400/-", "Starting pay Rs. 35,400 P.M."], None, (35400, 112400, "INR", "month")),
])
def test_pay_forms(lines: list[str], country: str | None, expected: tuple[object, ...]) -> None:
    pay = find_salary(lines, country)
    assert pay is not None
    d = pay.as_dict()
    assert (d["min"], d["max"], d["currency"], d["period"]) == expected


# ---------------------------------------------------------------- titles and companies
@pytest.mark.parametrize("text, title", [
    ("Dog Groomer\nWe love dogs.\n", "Dog Groomer"),
    ("We're Hiring a Volunteer Coordinator\nJoin us.\n", "Volunteer Coordinator"),
    ("Welcome.\nAs an Evening Receptionist, you will greet guests.\n", "Evening Receptionist"),
    ("Harbourside Trust invites applications for the post of Ward Clerk; apply online.\n", "Ward Clerk"),
    ("Forklift Operator (6 months experience)\nShifts vary.\n", "Forklift Operator"),
    ("Audit Senior – Accounting Firm\nWe audit.\n", "Audit Senior"),
    ("Home Care Aide Level 2\nWe care.\n", "Home Care Aide"),
    ("- Jobs Home\n- Search\n- Firefighter Recruit\nDescription\nProtect the town.\n", "Firefighter Recruit"),
    ("Vacancy\nThe office will brief the Night Porter. The Night Porter keeps the keys. "
     "Each Night Porter works alone.\n", "Night Porter"),
])
def test_title_forms(text: str, title: str) -> None:
    assert parse_posting(text).title == title


@pytest.mark.parametrize("text, company", [
    ("Parks Assistant\nSend your letter to the Township of Elm Creek by Friday.\n", "Township of Elm Creek"),
    ("Tutor\nThe scheme is run locally.BrightPath is committed to every learner.\n", "BrightPath"),
    ("Clerk\nLocation\nUnited States\nPosted\n3 days ago\n", None),
    ("Brightwave Logo\nBrightwave\nData Analyst\nBrightwave builds meters.\n", "Brightwave"),
])
def test_company_forms(text: str, company: str | None) -> None:
    assert parse_posting(text).company == company


# ---------------------------------------------------------------- labelled fields
def test_pipe_table_and_caps_labels() -> None:
    out = parse_posting("| Title | Site Electrician |\n| Department / team | Facilities / Permanent |\n"
                        "| Location | Leeds |\n")
    assert (out.title, out.team, out.locations) == ("Site Electrician", "Facilities", ["Leeds"])
    glued = ("Intro text here.UNIT: Parks & OpenSpacesGRADE: 4SALARY: $30.10 to $33.00 per hourEMPLOYMENT TYPE: "
             "CasualTHE ROLE: To help. " + "Filler words go here. " * 12)
    out = parse_posting(glued)
    assert out.team == "Parks & OpenSpaces"
    assert out.employment_type == "part_time"


@pytest.mark.parametrize("text, etype", [
    ("Tutor\nHours: 8-12 hours per week\n", "part_time"),
    ("Ranger\nYou will work 40 hours per week outdoors.\n", "full_time"),
    ("Editor\n- Contract: Starts May, 6 months\n", "contract"),
    ("Writer\nThis is a part-time (20 hours) contract position for a year.\n", "contract"),
    ("Engineer\nBackend EngineerFull TimeRemoteTeam 12\n", "full_time"),
])
def test_employment_type_forms(text: str, etype: str) -> None:
    assert parse_posting(text).employment_type == etype


@pytest.mark.parametrize("text, workplace", [
    ("Engineer\nBackend EngineerFull TimeRemoteTeam 12\n", "remote"),
    ("Writer\nThe job is remote and open to all of Ontario.\n", "remote"),
    ("Bookkeeper\nLocation: Desk in the main office building\n", "onsite"),
])
def test_workplace_forms(text: str, workplace: str) -> None:
    assert parse_posting(text).workplace == workplace


# ---------------------------------------------------------------- lists
def test_subheadings_inside_a_duty_list_and_glued_ordinals() -> None:
    text = ("Coordinator\nKey Responsibilities\nEvents & Logistics\n- Book venues\n- Order supplies\n"
            "Budget Tracking\n- Track spend\nQualifications\n- 01Plan well\n- 023+ years in events\n")
    out = parse_posting(text)
    assert out.responsibilities == ["Book venues", "Order supplies", "Track spend"]
    assert out.requirements == ["Plan well", "3+ years in events"]
    assert out.min_years_experience == 3


def test_notice_under_a_duty_heading_does_not_end_the_list() -> None:
    text = ("Groundskeeper\nEssential Duties\nReasonable accommodations may be made to enable individuals "
            "with disabilities to perform the essential functions.\n- Mows lawns.\n- Trims hedges.\n")
    assert parse_posting(text).responsibilities == ["Mows lawns.", "Trims hedges."]


def test_lead_in_heading_and_glyphless_items() -> None:
    text = ("Porter\nAbout us\nWe run a hotel.\nDuties include but are not limited to\nCarrying bags.\n"
            "Greeting guests.\n")
    assert parse_posting(text).responsibilities == ["Carrying bags.", "Greeting guests."]


def test_flattened_paragraph_is_split_into_items() -> None:
    body = ("Outreach Assistant Location: Remote, Ohio Time: Part-Time, 15 hours per weekSummary: We are a small "
            "group that works on food access across the state and beyond.Responsibilities:Answer the hotline "
            "calls.Update the volunteer roster.Draft the monthly newsletter for members.")
    out = parse_posting(body)
    assert out.responsibilities == ["Answer the hotline calls.", "Update the volunteer roster.",
                                    "Draft the monthly newsletter for members."]
    assert out.locations == ["Ohio"]
    assert out.workplace == "remote"


def test_languages_only_from_requirement_lists() -> None:
    out = parse_posting("Engineer\nWe run Kotlin and Java services.\nRequirements:\n- 3+ years of SQL\n")
    assert out.languages == ["SQL"]
