"""Rule families added for issue 9, each on a made-up posting (invented employers and places)."""

import pytest

from bot.parsing import parse_posting


# ---------------------------------------------------------------- experience in months
@pytest.mark.parametrize("item, years", [
    ("Minimum of 6 months experience driving a box truck", 0),
    ("At least 18 months of warehouse experience", 1),
    ("Drivers with less than 6 months of experience need a co-driver", None),
    ("No accidents in the last 24 months", None),
    ("3+ years of dispatch experience; 6 months experience with our software", 3),
])
def test_experience_stated_in_months_counts_whole_years(item: str, years: int | None) -> None:
    text = f"Delivery Driver\nRequirements\n- {item}\n- Clean licence\n"
    assert parse_posting(text).min_years_experience == years


# ---------------------------------------------------------------- hybrid schedule vs hybrid work
@pytest.mark.parametrize("sentence, workplace", [
    ("The coordinator follows a hybrid schedule, leading classes on Mondays and doing admin in the office "
     "the rest of the week.", None),
    ("We offer a hybrid schedule with two days working from home.", "hybrid"),
    ("This is a hybrid role based in our Leeds studio.", "hybrid"),
])
def test_a_hybrid_schedule_is_not_hybrid_work_unless_part_is_away(sentence: str, workplace: str | None) -> None:
    text = f"Youth Worker\nAbout the role\n{sentence} You will run sessions for local teens.\n"
    assert parse_posting(text).workplace == workplace


# ---------------------------------------------------------------- seasonal work
@pytest.mark.parametrize("sentence, etype", [
    ("Staff are needed for the summer season at our lakeside cafe.", "temporary"),
    ("Lifeguards work throughout the season until Labour Day.", "temporary"),
    ("Nurses help our clinic cope during the flu season.", None),
])
def test_work_for_the_season_is_temporary(sentence: str, etype: str | None) -> None:
    text = f"Kitchen Porter\nPinecrest Lodge\n{sentence}\n"
    assert parse_posting(text).employment_type == etype


# ---------------------------------------------------------------- list items
def test_a_preferred_line_under_required_qualifications_is_a_nice_to_have() -> None:
    text = ("Audit Associate\nRequired Qualifications\n- Two years of audit experience\n"
            "- Experience with nonprofit clients strongly preferred\n- CPA licence required; CISA preferred\n")
    p = parse_posting(text)
    assert p.nice_to_have == ["Experience with nonprofit clients strongly preferred"]
    assert p.requirements == ["Two years of audit experience", "CPA licence required; CISA preferred"]


def test_pay_and_rota_lines_among_items_are_not_items() -> None:
    text = ("Warehouse Operative\nWhat you need\n- Forklift licence\n- Pay is between 17.50-19 an hour\n"
            "- 4 days on and 4 days off\n- Day rate: up to £180\n- Steel-toe boots\n")
    assert parse_posting(text).requirements == ["Forklift licence", "Steel-toe boots"]


def test_a_bullet_that_carries_on_the_one_before_is_merged() -> None:
    text = ("Line Cook\nRequirements\n- Able to work in hot conditions (ovens, grills,\n- and fryers.)\n"
            "- Able to lift 20 kg.\n")
    assert parse_posting(text).requirements == ["Able to work in hot conditions (ovens, grills, and fryers.)",
                                                "Able to lift 20 kg."]


def test_a_bonus_field_with_money_is_pay_not_a_wish_list() -> None:
    text = ("Server\nPay\nHourly: $14 per hour\nBonus: servers earn up to $1.00 per hour worked in peak weeks.\n"
            "Duties\n- Take orders\n- Clear tables\n")
    assert parse_posting(text).nice_to_have == []


def test_a_one_word_qualifier_after_a_heading_is_not_an_item() -> None:
    text = "Care Assistant\nKey Duties: clinical\n- Record observations\n- Support the nurse in charge\n"
    assert parse_posting(text).responsibilities == ["Record observations", "Support the nurse in charge"]


# ------------------------------------------------ notices: acronym employers, school leaving, pay per month
def test_an_acronym_that_is_the_posting_s_web_address_is_the_employer() -> None:
    text = ("Lab Technician\nApply online on the KIRMS website http://www.kirms.edu.in before the closing date.\n"
            "KIRMS invites applications from qualified candidates.\n")
    assert parse_posting(text).company == "KIRMS"


@pytest.mark.parametrize("line", ["Pass in PUC or equivalent", "Higher Secondary (10+2) pass",
                                  "Pre-University certificate"])
def test_indian_school_leaving_certificates_are_high_school(line: str) -> None:
    text = f"Ward Attendant\nEligibility\n- {line}\n- Hospital experience\n"
    assert parse_posting(text).education == "high_school"


def test_a_salary_line_takes_the_period_stated_on_the_next_pay_line() -> None:
    text = ("Junior Assistant\nSalary: Pay Level-4 (Rs. 25,500-81,100/-)\nStarting pay Rs.25,500 /-P.M plus DA\n")
    assert parse_posting(text).salary == {"min": 25500, "max": 81100, "currency": "INR", "period": "month"}


def test_a_salary_line_is_yearly_when_the_next_line_states_hours_not_pay() -> None:
    text = "Receptionist\nSalary: £24,000 - £26,000\nHours: 37.5 per week\n"
    assert parse_posting(text).salary == {"min": 24000, "max": 26000, "currency": "GBP", "period": "year"}


# ---------------------------------------------------------------- aggregator pages
def test_a_long_promo_bullet_above_the_header_does_not_hide_the_title() -> None:
    text = ("• JobFinderPro Match Score: our smart engine reads your CV and rates it against this opening before "
            "you apply for it today.\nCanada Jobs JobFinderPro\n\nJob description\n\n"
            "Data Science Intern, Fall 2026\n\nApplications are reviewed as they arrive.\n")
    p = parse_posting(text)
    assert (p.title, p.employment_type, p.seniority) == ("Data Science Intern, Fall 2026", "internship", "intern")


def test_a_number_left_alone_on_a_bullet_is_not_an_item() -> None:
    text = "Clerk\nResponsibilities\n+ 1.\nFile the day's letters.\n+ 2.\n- Answer the phone\n- Greet visitors\n"
    assert "1." not in parse_posting(text).responsibilities
    assert "2." not in parse_posting(text).responsibilities
