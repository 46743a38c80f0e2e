"""`parse_date`: calendar expressions normalize as the guideline's "Normalized values" says.

Expectations come from /work/shared/ANNOTATION.md and common sense, not from the code. A row the
code gets wrong stays correct and is marked strict xfail with the reason (none is, today).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from pipeline.dates import parse_date
from pipeline.patterns import RuleSet

ARTICLE = dt.date(2021, 9, 15)  # a Wednesday, ISO week 2021-W37
A = "article_date"
T = "text_year"


@dataclass(frozen=True)
class Want:
    """The expected value; `timex` and `granularity` are checked only when given."""

    norm: str
    timex: str | None = None
    granularity: str | None = None
    mod: str | None = None
    anchor: str | None = None
    resolved: bool = True


def row(text: str, reference: dt.date | int | None, want: Want, slug: str, *marks: pytest.MarkDecorator):
    return pytest.param(text, reference, want, id=slug, marks=marks)


DATE_CASES = [
    # Full dates, both orders, ordinals, abbreviations.
    row("16 April 2021", None, Want("2021-04-16", "2021-04-16", "day"), "day-month-year"),
    row("April 16, 2021", None, Want("2021-04-16", "2021-04-16", "day"), "month-day-year"),
    row("October 3rd 2019", None, Want("2019-10-03", granularity="day"), "ordinal-day"),
    row("Sept. 5, 2020", None, Want("2020-09-05", granularity="day"), "sept-abbrev"),
    row("5 Sept 2020", None, Want("2020-09-05"), "day-sept-year"),
    row("Jan 1, 2022", None, Want("2022-01-01"), "jan-abbrev"),
    row("the 21st of June 2019", None, Want("2019-06-21"), "day-of-month"),
    row("2021-04-16", None, Want("2021-04-16", "2021-04-16", "day"), "iso-day"),
    row("February 29, 2020", None, Want("2020-02-29"), "leap-day"),
    row("April 16, 2021", dt.date(2022, 1, 1), Want("2021-04-16"), "explicit-year-beats-reference"),
    # Month and year.
    row("April 2021", None, Want("2021-04", "2021-04", "month"), "month-year"),
    row("Dec 2019", None, Want("2019-12", granularity="month"), "month-abbrev-year"),
    row("June of 2018", None, Want("2018-06"), "month-of-year"),
    # Bare months and days: the article's year, else the text's year, else unresolved.
    row("July", ARTICLE, Want("2021-07", "2021-07", "month", anchor=A), "month-article"),
    row("July", 2018, Want("2018-07", granularity="month", anchor=T), "month-text-year"),
    row("July", None, Want("XXXX-07", granularity="month", resolved=False), "month-unresolved"),
    row("August 19", ARTICLE, Want("2021-08-19", "2021-08-19", "day", anchor=A), "month-day-article"),
    row("19 August", 2019, Want("2019-08-19", anchor=T), "day-month-text-year"),
    row("August 19", None, Want("XXXX-08-19", resolved=False), "month-day-unresolved"),
    row("Tuesday", ARTICLE, Want("2021-09-14", "2021-09-14", "day", anchor=A), "weekday-before"),
    row("Friday", ARTICLE, Want("2021-09-17", granularity="day", anchor=A), "weekday-after"),
    row("Sunday", ARTICLE, Want("2021-09-12", anchor=A), "weekday-nearest-back"),
    row("last Friday", ARTICLE, Want("2021-09-10", anchor=A), "last-weekday"),
    row("next Monday", ARTICLE, Want("2021-09-20", anchor=A), "next-weekday"),
    row("Tuesday", None, Want("XXXX", granularity="day", resolved=False), "weekday-unresolved"),
    row("Tuesday", 2020, Want("XXXX", resolved=False), "weekday-text-year-unresolved"),
    # Years and decades.
    row("2020", None, Want("2020", "2020", "year"), "year"),
    row("2020", ARTICLE, Want("2020", "2020", "year"), "year-with-reference"),
    row("the 1970s", None, Want("1970/1979", "197X", "decade"), "decade"),
    row("1990s", None, Want("1990/1999", "199X", "decade"), "decade-bare"),
    row("the 2000s", None, Want("2000/2009", "200X"), "decade-2000s"),
    row("the early 1990s", None, Want("1990/1999", "199X", mod="START"), "decade-early"),
    # Fiscal years: the label year.
    row("FY2019", None, Want("2019", "FY2019", "fiscal_year"), "fy"),
    row("FY 2019", None, Want("2019", "FY2019"), "fy-space"),
    row("FY19", None, Want("2019", "FY2019"), "fy-two-digit"),
    row("FY99", None, Want("1999", "FY1999"), "fy-two-digit-1900s"),
    row("fiscal year 2018", None, Want("2018", "FY2018", "fiscal_year"), "fiscal-year"),
    row("fiscal 2024", None, Want("2024", "FY2024"), "fiscal-label"),
    row("next fiscal year", ARTICLE, Want("2022", "FY2022", "fiscal_year", anchor=A), "fiscal-next"),
    row("this fiscal year", ARTICLE, Want("2021", "FY2021", anchor=A), "fiscal-this"),
    row("the current fiscal year", ARTICLE, Want("2021", "FY2021", anchor=A), "fiscal-current"),
    row("last fiscal year", ARTICLE, Want("2020", "FY2020", anchor=A), "fiscal-last"),
    row("next fiscal year", None, Want("XXXX", resolved=False), "fiscal-next-unresolved"),
    # Quarters: a month range, TIMEX3 YYYY-Qn.
    row("Q2 2021", None, Want("2021-04/2021-06", "2021-Q2", "quarter"), "quarter-code"),
    row("2021 Q1", None, Want("2021-01/2021-03", "2021-Q1"), "year-quarter-code"),
    row("the first quarter of 2025", None, Want("2025-01/2025-03", "2025-Q1", "quarter"), "quarter-words"),
    row("the final quarter of 2020", None, Want("2020-10/2020-12", "2020-Q4"), "quarter-final"),
    row("the second quarter of 2024", None, Want("2024-04/2024-06", "2024-Q2"), "quarter-ordinal-second"),
    row("fourth quarter", ARTICLE, Want("2021-10/2021-12", "2021-Q4", anchor=A), "quarter-article"),
    row("Q3", 2019, Want("2019-07/2019-09", "2019-Q3", anchor=T), "quarter-text-year"),
    row("third quarter", None, Want("XXXX-07/XXXX-09", "XXXX-Q3", resolved=False), "quarter-unresolved"),
    row("next quarter", ARTICLE, Want("2021-10/2021-12", "2021-Q4", anchor=A), "quarter-next"),
    row("last quarter", dt.date(2021, 2, 10), Want("2020-10/2020-12", "2020-Q4", anchor=A), "quarter-last-wrap"),
    row(
        "Q1 of 2020",
        None,
        Want("2020-01/2020-03", "2020-Q1"),
        "quarter-code-of-year",
    ),
    # Seasons: meteorological months, winter runs into the next year.
    row("summer 2022", None, Want("2022-06/2022-08", "2022-SU", "season"), "season-summer"),
    row("winter 2022", None, Want("2022-12/2023-02", "2022-WI", "season"), "season-winter-wraps"),
    row("spring of 2020", None, Want("2020-03/2020-05", "2020-SP"), "season-spring-of"),
    row("autumn 2019", None, Want("2019-09/2019-11", "2019-FA"), "season-autumn"),
    row("fall", ARTICLE, Want("2021-09/2021-11", "2021-FA", "season", anchor=A), "season-article"),
    row("summer", 2019, Want("2019-06/2019-08", "2019-SU", anchor=T), "season-text-year"),
    row("summer", None, Want("XXXX-06/XXXX-08", "XXXX-SU", resolved=False), "season-unresolved"),
    row("this summer", ARTICLE, Want("2021-06/2021-08", "2021-SU", anchor=A), "season-this"),
    row("next summer", ARTICLE, Want("2022-06/2022-08", "2022-SU", anchor=A), "season-next-after"),
    row("next summer", dt.date(2021, 3, 10), Want("2021-06/2021-08", "2021-SU", anchor=A), "season-next-before"),
    row("last summer", dt.date(2021, 3, 10), Want("2020-06/2020-08", "2020-SU", anchor=A), "season-last"),
    # early / mid / late: out of norm, into mod.
    row("mid-2020", None, Want("2020", "2020", "year", mod="MID"), "mid-year"),
    row("early 2020", None, Want("2020", "2020", "year", mod="START"), "early-year"),
    row("Late 2019", None, Want("2019", mod="END"), "late-year-capital"),
    row("late August", ARTICLE, Want("2021-08", "2021-08", "month", mod="END", anchor=A), "late-month-article"),
    row("late August", 2020, Want("2020-08", mod="END", anchor=T), "late-month-text-year"),
    row("mid-March 2021", None, Want("2021-03", mod="MID"), "mid-month-year"),
    row("late summer 2020", None, Want("2020-06/2020-08", "2020-SU", mod="END"), "late-season"),
    row("early next year", ARTICLE, Want("2022", mod="START", anchor=A), "early-relative"),
    # Ranges.
    row("2016-2018", None, Want("2016/2018", granularity="year"), "year-range"),
    row("2019–2020", None, Want("2019/2020"), "year-range-en-dash"),
    row("2016 to 2018", None, Want("2016/2018"), "year-range-to"),
    row("2005-06", None, Want("2005/2006"), "year-range-short"),
    row("2019-20", None, Want("2019/2020"), "year-range-short-2019"),
    row(
        "1999-00",
        None,
        Want("1999/2000"),
        "year-range-short-century",
    ),
    row("May 9-11, 2022", None, Want("2022-05-09/2022-05-11", granularity="day"), "day-range"),
    row("9-11 May 2022", None, Want("2022-05-09/2022-05-11"), "day-range-day-first"),
    row("Aug 30–Sept 3, 2022", None, Want("2022-08-30/2022-09-03", granularity="day"), "cross-month-range"),
    row("June 28–July 2", ARTICLE, Want("2021-06-28/2021-07-02", anchor=A), "cross-month-article"),
    row("June 28–July 2", 2020, Want("2020-06-28/2020-07-02", anchor=T), "cross-month-text-year"),
    row("March-May 2020", None, Want("2020-03/2020-05", granularity="month"), "month-range"),
    row("December 2021–January 2022", None, Want("2021-12/2022-01", granularity="month"), "cross-year-months"),
    row(
        "Dec 30–Jan 2, 2022",
        None,
        Want("2021-12-30/2022-01-02"),
        "cross-year-days-one-year",
    ),
    row(
        "December 28, 2021–January 3, 2022",
        None,
        Want("2021-12-28/2022-01-03"),
        "cross-year-days-two-years",
    ),
    # Relative expressions: against the article's date only.
    row("last year", ARTICLE, Want("2020", "2020", "year", anchor=A), "last-year"),
    row("previous year", ARTICLE, Want("2020", anchor=A), "previous-year"),
    row("next year", ARTICLE, Want("2022", anchor=A), "next-year"),
    row("this year", ARTICLE, Want("2021", anchor=A), "this-year"),
    row("the coming year", ARTICLE, Want("2022", anchor=A), "coming-year"),
    row("earlier this year", ARTICLE, Want("2021", "2021", anchor=A), "earlier-this-year"),
    row("late last year", ARTICLE, Want("2020", mod="END", anchor=A), "late-last-year"),
    row("last year", None, Want("XXXX", resolved=False), "last-year-unresolved"),
    row("last year", 2019, Want("XXXX", resolved=False), "last-year-text-year-unresolved"),
    row("next month", ARTICLE, Want("2021-10", "2021-10", "month", anchor=A), "next-month"),
    row("next month", dt.date(2021, 12, 10), Want("2022-01", "2022-01", "month", anchor=A), "next-month-wraps"),
    row("last month", dt.date(2021, 1, 10), Want("2020-12", anchor=A), "last-month-wraps"),
    row("this month", ARTICLE, Want("2021-09", "2021-09", "month", anchor=A), "this-month"),
    row("next month", None, Want("XXXX", resolved=False), "next-month-unresolved"),
    row("May this year", ARTICLE, Want("2021-05", "2021-05", "month", anchor=A), "month-this-year"),
    row("June last year", ARTICLE, Want("2020-06", "2020-06", "month", anchor=A), "month-last-year"),
    row("May this year", None, Want("XXXX-05", resolved=False), "month-this-year-unresolved"),
    row("yesterday", ARTICLE, Want("2021-09-14", "2021-09-14", "day", anchor=A), "yesterday"),
    row("today", ARTICLE, Want("2021-09-15", anchor=A), "today"),
    row("tomorrow", ARTICLE, Want("2021-09-16", anchor=A), "tomorrow"),
    row("yesterday", None, Want("XXXX", resolved=False), "yesterday-unresolved"),
    row("this week", ARTICLE, Want("2021-09-13/2021-09-19", "2021-W37", "week", anchor=A), "this-week"),
    row("next week", ARTICLE, Want("2021-09-20/2021-09-26", anchor=A), "next-week"),
    row(
        "last week",
        dt.date(2021, 1, 6),
        Want("2020-12-28/2021-01-03", "2020-W53", "week", anchor=A),
        "last-week-iso-year",
    ),
    row("H2 2027", None, Want("2027-07/2027-12", "2027-H2", "half"), "half-code"),
    row("second half of 2025", None, Want("2025-07/2025-12", "2025-H2", "half"), "half-words"),
    row("the first half", ARTICLE, Want("2021-01/2021-06", anchor=A), "half-article-year"),
    row("last November", dt.date(2025, 3, 4), Want("2024-11", anchor=A), "last-month-name"),
    row("last March", dt.date(2025, 9, 18), Want("2025-03", anchor=A), "last-month-name-same-year"),
    row("next March", dt.date(2025, 11, 28), Want("2026-03", anchor=A), "next-month-name"),
    row("this decade", dt.date(2025, 11, 28), Want("2020/2029", anchor=A), "this-decade"),
    row("15/09/2025", None, Want("2025-09-15"), "numeric-day-first"),
    row("12/31/2025", None, Want("2025-12-31"), "numeric-month-first-when-only-it-is-a-date"),
    row("FY2023-FY2027", None, Want("2023/2027"), "fiscal-year-range"),
    row("30 June-3 July 2025", None, Want("2025-06-30/2025-07-03"), "cross-month-day-first"),
    row("October 2024 and May", dt.date(2025, 6, 12), Want("2024-10/2025-05", anchor=A), "range-with-and"),
]


@pytest.mark.parametrize(("text", "reference", "want"), DATE_CASES)
def test_parse_date_normalizes(text: str, reference: dt.date | int | None, want: Want, rules: RuleSet) -> None:
    value = parse_date(text, reference=reference, vocabulary=rules.vocabulary)
    assert value is not None
    assert value.norm == want.norm
    if want.timex is not None:
        assert value.timex == want.timex
    if want.granularity is not None:
        assert value.granularity == want.granularity
    assert value.mod == want.mod
    assert value.anchor == want.anchor
    assert value.resolved is want.resolved
    assert ("XXXX" in value.norm) is not want.resolved


NOT_DATES = [
    pytest.param("800,000 jobs", None, id="jobs"),
    pytest.param("5 percent", None, id="percent"),
    pytest.param("COVID-19", ARTICLE, id="covid"),
    pytest.param("2 million people", None, id="people"),
    pytest.param("Section 301", None, id="section"),
    pytest.param("three years", ARTICLE, id="duration"),
    pytest.param("a decade", ARTICLE, id="decade-duration"),
    pytest.param("G20", None, id="g20"),
    pytest.param("Q5 2021", None, id="quarter-5"),
    pytest.param("Q0 2021", None, id="quarter-0"),
    pytest.param("the fifth quarter of 2021", None, id="quarter-fifth-ordinal"),
    pytest.param("the past year", ARTICLE, id="past-year-is-a-duration"),
    pytest.param("May 32, 2021", None, id="day-32"),
    pytest.param("February 29, 2021", None, id="not-leap-year"),
    pytest.param("February 30", ARTICLE, id="feb-30-article"),
    pytest.param("2021-13-01", None, id="iso-month-13"),
    pytest.param("2018-2016", None, id="backwards-years"),
    pytest.param("2020-2020", None, id="empty-year-range"),
    pytest.param("", None, id="empty"),
    pytest.param("   ", ARTICLE, id="blank"),
    pytest.param("the program", ARTICLE, id="words"),
    pytest.param("1,000", None, id="thousand"),
    pytest.param("in July", ARTICLE, id="preposition-outside-span"),
    pytest.param("12 months", ARTICLE, id="months-duration"),
]


@pytest.mark.parametrize(("text", "reference"), NOT_DATES)
def test_parse_date_rejects_look_alikes(text: str, reference: dt.date | int | None, rules: RuleSet) -> None:
    assert parse_date(text, reference=reference, vocabulary=rules.vocabulary) is None


CALENDAR_EDGES = [
    pytest.param("tomorrow", dt.date(9999, 12, 31), "XXXX", id="tomorrow-after-9999"),
    pytest.param("next week", dt.date(9999, 12, 31), "XXXX", id="next-week-after-9999"),
    pytest.param("next Tuesday", dt.date(9999, 12, 31), "XXXX", id="next-weekday-after-9999"),
    pytest.param("next year", dt.date(9999, 6, 1), "XXXX", id="next-year-after-9999"),
    pytest.param("next month", dt.date(9999, 12, 31), "XXXX-01", id="next-month-after-9999"),
    pytest.param("next decade", dt.date(9999, 1, 1), "XXXX", id="next-decade-after-9999"),
    pytest.param("yesterday", dt.date(1, 1, 1), "XXXX", id="yesterday-before-year-1"),
    pytest.param("last year", dt.date(1, 6, 1), "XXXX", id="last-year-before-year-1"),
    pytest.param("this year", dt.date(1, 6, 1), "0001", id="year-1-four-digits"),
    pytest.param("next year", dt.date(1, 6, 1), "0002", id="year-2-four-digits"),
    pytest.param("this decade", dt.date(1, 6, 1), "0001/0009", id="first-decade-starts-in-year-1"),
    pytest.param("today", dt.date(1, 1, 1), "0001-01-01", id="day-in-year-1"),
]


@pytest.mark.parametrize(("text", "reference", "norm"), CALENDAR_EDGES)
def test_relative_dates_at_the_calendar_edges(text: str, reference: dt.date, norm: str, rules: RuleSet) -> None:
    """Arithmetic that leaves years 1-9999 gives an unresolved value, never an exception; years keep four digits."""
    value = parse_date(text, reference=reference, vocabulary=rules.vocabulary)
    assert value is not None
    assert value.norm == norm
    assert value.resolved is ("XXXX" not in norm)
