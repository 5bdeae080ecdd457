"""Unit tests of individual parser rules, on short made-up snippets."""

import pytest

from bot.parsing import parse_posting
from bot.parsing.facts import base_path, find_min_years
from bot.parsing.salary import find_salary


@pytest.mark.parametrize("line, expected", [
    ("Pay: $25.50 - $31.25 per hour", (25.5, 31.25, "USD", "hour")),
    ("Salary range: USD $139,900 - $274,800 per year", (139900, 274800, "USD", "year")),
    ("Compensation: $120k–$150k", (120000, 150000, "USD", "year")),
    ("£30,000 to £35,000 per annum", (30000, 35000, "GBP", "year")),
    ("Gehalt: 55.000 € - 65.000 € brutto pro Jahr", (55000, 65000, "EUR", "year")),
    ("Salary: 50-70K EUR", (50000, 70000, "EUR", "year")),
    ("Starting at $18/hr", (18, None, "USD", "hour")),
    ("Pay rate: CAD 42.00/hour", (42, 42, "CAD", "hour")),
    ("Monthly salary: ₹1,20,000 per month", None),  # Indian grouping is ambiguous: better nothing than wrong
])
def test_salary_forms(line: str, expected) -> None:
    pay = find_salary([line])
    if expected is None:
        assert pay is None or pay.currency == "INR"
        return
    assert pay is not None, line
    d = pay.as_dict()
    assert (d["min"], d["max"], d["currency"], d["period"]) == expected


@pytest.mark.parametrize("line", [
    "We raised $50M in Series B funding", "Up to $5,000 signing bonus", "A $2 billion company",
    "Requires 5 years of experience", "401(k) match up to 6%",
])
def test_money_that_is_not_pay_is_ignored(line: str) -> None:
    assert find_salary([line]) is None


def test_years_take_the_base_path_and_skip_alternatives() -> None:
    reqs = [
        "Bachelor's degree AND 4+ years of experience OR Master's degree AND 2+ years",
        "OR equivalent experience with 10+ years",
        "3+ years working with Kubernetes",
    ]
    assert find_min_years(reqs) == 4


@pytest.mark.parametrize("text, years", [
    ("Minimum of two (2) years of experience", 2),
    ("3-5 years of experience in retail", 3),
    ("five or more years of progressive experience", 5),
    ("Must pass a check every two years thereafter", None),
    ("Applicants must be 18 years of age", None),
])
def test_years_phrasings(text: str, years) -> None:
    assert find_min_years([text]) == years


def test_base_path_ignores_item_starting_with_or() -> None:
    assert base_path("OR Master's degree and 2 years") is None


def test_headings_glued_to_first_item_are_split() -> None:
    out = parse_posting("Data Engineer\nResponsibilities: Build pipelines\n- Own data quality\n"
                        "Requirements: 3+ years of SQL\n- Python\nPreferred: Airflow experience\n")
    assert out.responsibilities == ["Build pipelines", "Own data quality"]
    assert out.requirements == ["3+ years of SQL", "Python"]
    assert out.nice_to_have == ["Airflow experience"]
    assert out.languages == ["SQL", "Python"]


def test_unknown_section_lines_are_not_items_and_eeo_ends_a_list() -> None:
    text = ("Accountant\nQualifications\n- CPA license\n- 2+ years of audit experience\n"
            "Acme Corp is an equal opportunity employer and values diversity.\n- Not an item after EEO\n"
            "Benefits\n- Dental\n")
    out = parse_posting(text)
    assert out.requirements == ["CPA license", "2+ years of audit experience"]
    assert out.company == "Acme Corp"


def test_remote_replication_is_not_remote_work_nor_hybrid_cloud_hybrid() -> None:
    out = parse_posting("Storage Engineer\nWork on remote replication and hybrid cloud storage.\n")
    assert out.workplace is None


@pytest.mark.parametrize("title, level", [
    ("Senior Software Engineer", "senior"), ("Sr. Nurse Practitioner", "senior"),
    ("Principal Engineer", "principal"), ("Staff Data Scientist", "staff"),
    ("Engineering Manager", "manager"), ("Product Manager", None), ("Director of Nursing", "director"),
    ("VP, Engineering", "executive"), ("Software Engineering Intern", "intern"), ("Junior Developer", "junior"),
    ("Registered Nurse", None), ("Tech Lead, Payments", "lead"),
])
def test_seniority_from_title(title: str, level) -> None:
    assert parse_posting(title + "\n\nWe are a company.\n").seniority == level


def test_languages_c_and_go_only_in_list_context() -> None:
    out = parse_posting("Engineer\nRequirements:\n- Experience in C, C++ or Go\n- Go-to person for C-level reports\n")
    assert out.languages == ["C", "C++", "Go"]
    out = parse_posting("Engineer\nRequirements:\n- Be the go-to expert, ready to go live\n- Grade C or above\n")
    assert "Go" not in out.languages


def test_never_guesses_title_from_prose_without_role_noun() -> None:
    assert parse_posting("Welcome to our careers page.\nWe build things.\n").title is None
