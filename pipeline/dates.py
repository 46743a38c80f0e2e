"""Normalize calendar expressions: `parse_date(text, *, reference, vocabulary)` -> `DateValue | None`.

`norm` follows the project's guideline: ISO 8601 at the precision the text gives
(`2021-04-16`, `2021-04`, `2021`); a range is `start/end`; a decade is a year range
(`1970/1979`); a quarter or a season is a month range (meteorological seasons); a fiscal year
is its label year; early / mid / late drop out of `norm` and into `mod`. `timex` is the
TIMEX3 value (`197X`, `2021-Q2`, `2020-SU`, `FY2019`).

A missing year or a relative expression ("last year", "next month", "Tuesday") is resolved
against an explicit `reference`, never the clock: the article's date (`anchor:
article_date`), or, when the article has none, the nearest earlier explicit year in the text
(`anchor: text_year`; relative expressions need a date and stay unresolved). An unresolved
value keeps `XXXX` where the year would be and `resolved=False`.

Month, weekday, season, quarter, modifier and relative words come from the vocabulary
(`patterns/normalization.yml`); this module holds only the grammar.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from .vocabulary import Vocabulary, alternation, per_vocabulary

Reference = dt.date | int | None
ARTICLE_DATE = "article_date"
TEXT_YEAR = "text_year"
UNKNOWN_YEAR = "XXXX"
# "FY19", "2005-06": a two-digit year belongs to the century of the four-digit year beside it,
# or to this one below the pivot.
TWO_DIGIT_YEAR_PIVOT = 50
# A bare weekday names the one nearest the reference date, at most this many days away.
WEEKDAY_WINDOW = 3
QUARTERS = 4
MONTHS_IN_YEAR = 12
# Policy commentary speaks of years 1000-2999; "0100-0200" or "the 0120s" are not dates.
YEAR = r"[12]\d{3}"


@dataclass(frozen=True)
class DateValue:
    """A normalized calendar expression."""

    norm: str
    timex: str
    granularity: str
    mod: str | None = None
    anchor: str | None = None
    resolved: bool = True

    @property
    def explicit_year(self) -> int | None:
        """The year the text itself states (the first, for a range), or None."""
        if self.anchor is not None or not self.resolved:
            return None
        return int(self.norm[:4])


@dataclass(frozen=True)
class _Year:
    """A year and what supplied it."""

    value: int | None
    anchor: str | None

    def text(self) -> str:
        return UNKNOWN_YEAR if self.value is None else f"{self.value:04d}"


def _calendar_year(value: int, anchor: str | None = ARTICLE_DATE) -> _Year:
    """A year reckoned from another ("next year" in an article of 2021); unknown when the arithmetic
    leaves the calendar ISO dates can write (years 1 to 9999), as "next year" in 9999 does."""
    return _Year(value, anchor) if dt.MINYEAR <= value <= dt.MAXYEAR else _Year(None, None)


def _shift_days(day: dt.date, days: int) -> dt.date | None:
    """`day` moved by `days`, or None when that leaves the calendar ("tomorrow" of 9999-12-31)."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return None


def parse_date(text: str, *, reference: Reference = None, vocabulary: Vocabulary) -> DateValue | None:
    """Normalize one calendar expression, or return None when `text` is not one.

    Args:
        text: the span text, e.g. "May 9-11, 2022", "mid-2020", "last year".
        reference: the article's date, or an explicit year from earlier in the text, or None.
        vocabulary: month, season, currency... words (`load_rules(...).vocabulary`).

    >>> from pathlib import Path
    >>> from pipeline.patterns import load_rules
    >>> words = load_rules(Path("patterns")).vocabulary
    >>> parse_date("May 9-11, 2022", vocabulary=words).norm
    '2022-05-09/2022-05-11'
    >>> value = parse_date("in July", reference=dt.date(2021, 9, 1), vocabulary=words)
    >>> value is None
    True
    >>> value = parse_date("July", reference=dt.date(2021, 9, 1), vocabulary=words)
    >>> value.norm, value.anchor
    ('2021-07', 'article_date')
    >>> parse_date("the 1970s", vocabulary=words).timex
    '197X'
    >>> parse_date("COVID-19", vocabulary=words) is None
    True
    """
    cleaned = _clean(text)
    mod = None
    modifier = re.match(rf"^({alternation(vocabulary.modifiers)})(?:-| )(.+)$", cleaned)
    if modifier:
        mod = vocabulary.modifiers[modifier.group(1)]
        cleaned = modifier.group(2)
    value = _parse_one(cleaned, reference, vocabulary) or _parse_range(cleaned, reference, vocabulary)
    if value is None:
        return None
    return DateValue(value.norm, value.timex, value.granularity, mod, value.anchor, value.resolved)


def _parse_one(text: str, reference: Reference, vocabulary: Vocabulary) -> DateValue | None:
    for parser in PARSERS:
        value = parser(text, reference, vocabulary)
        if value is not None:
            return value
    return None


def _parse_range(text: str, reference: Reference, vocabulary: Vocabulary) -> DateValue | None:
    """Two dates joined by "and", "to" or a dash ("October 2024 and May", "FY2023-FY2027"): first start to last end."""
    ends = re.fullmatch(r"(.+?)(?: (?:and|to|through|until) |-)(.+)", text)
    if ends is None:
        return None
    first = _parse_one(ends[1], reference, vocabulary)
    last = _parse_one(ends[2], reference, vocabulary)
    if first is None or last is None or last.norm.split("/")[-1] <= first.norm.split("/")[0]:
        return None  # ISO dates compare as strings: "2018-2016" runs backwards, "2020-2020" is no range
    return _span(first, last)


def _clean(text: str) -> str:
    cleaned = text.lower().strip()
    cleaned = re.sub(r"[–—−]", "-", cleaned)
    cleaned = re.sub(r"(?<=[a-z])\.", "", cleaned)
    cleaned = cleaned.replace(",", " ")
    cleaned = re.sub(r"(\d+)(?:st|nd|rd|th)\b", r"\1", cleaned)
    cleaned = re.sub(r"\s*-\s*", "-", cleaned)
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    return re.sub(r"^the ", "", cleaned)


def _missing_year(reference: Reference) -> _Year:
    if isinstance(reference, dt.date):
        return _Year(reference.year, ARTICLE_DATE)
    if isinstance(reference, int):
        return _Year(reference, TEXT_YEAR)
    return _Year(None, None)


def _stated(year: str | None, reference: Reference) -> _Year:
    return _Year(int(year), None) if year else _missing_year(reference)


def _two_digit(year: str, after: int | None = None) -> int:
    """A year written with two digits: the first such year after `after` ("1999-00" ends in 2000)."""
    if len(year) == 4:
        return int(year)
    if after is not None:
        candidate = after // 100 * 100 + int(year)
        return candidate if candidate > after else candidate + 100
    return (2000 if int(year) < TWO_DIGIT_YEAR_PIVOT else 1900) + int(year)


def _day(year: _Year, month: int, day: int) -> str | None:
    if year.value is not None:
        try:
            dt.date(year.value, month, day)
        except ValueError:
            return None
    return f"{year.text()}-{month:02d}-{day:02d}"


def _value(norm: str, timex: str, granularity: str, *years: _Year) -> DateValue:
    anchors = [year.anchor for year in years if year.anchor]
    resolved = all(year.value is not None for year in years)
    return DateValue(norm, timex, granularity, None, anchors[0] if anchors else None, resolved)


def _span(first: DateValue | None, last: DateValue | None) -> DateValue | None:
    if first is None or last is None:
        return None
    return DateValue(
        f"{first.norm.split('/')[0]}/{last.norm.split('/')[-1]}",
        f"{first.timex.split('/')[0]}/{last.timex.split('/')[-1]}",
        first.granularity,
        None,
        first.anchor or last.anchor,
        first.resolved and last.resolved,
    )


Parser = Callable[[str, Reference, Vocabulary], DateValue | None]


@per_vocabulary
def _compiled(vocabulary: Vocabulary) -> dict[str, re.Pattern[str]]:
    """The grammar's regular expressions, compiled once per vocabulary."""
    m = alternation(vocabulary.months)
    w = alternation(vocabulary.weekdays)
    s = alternation(vocabulary.seasons)
    q = alternation(_quarter_words(vocabulary))
    r = alternation(vocabulary.relative)
    y = YEAR
    return {
        "iso_day": re.compile(rf"^({y})-(\d{{2}})-(\d{{2}})$"),
        "cross_month_years": re.compile(rf"^({m}) ({y})-({m}) ({y})$"),
        "cross_year_days": re.compile(rf"^({m}) (\d{{1,2}}) ({y})-({m}) (\d{{1,2}}) ({y})$"),
        "cross_month": re.compile(rf"^({m}) (\d{{1,2}})-({m}) (\d{{1,2}})(?: ({y}))?$"),
        "day_range": re.compile(rf"^({m}) (\d{{1,2}})-(\d{{1,2}})(?: ({y}))?$"),
        "day_range_day_first": re.compile(rf"^(\d{{1,2}})-(\d{{1,2}}) ({m})(?: ({y}))?$"),
        "cross_month_day_first": re.compile(rf"^(\d{{1,2}}) ({m})-(\d{{1,2}}) ({m})(?: ({y}))?$"),
        "month_day": re.compile(rf"^({m}) (\d{{1,2}})(?: ({y}))?$"),
        "day_month": re.compile(rf"^(\d{{1,2}}) (?:of )?({m})(?: ({y}))?$"),
        "month_range": re.compile(rf"^({m})-({m})(?: ({y}))?$"),
        "month_year": re.compile(rf"^({m})(?: of)? ({y})$"),
        "month_relative_year": re.compile(rf"^({m})(?: of)? ({r}) year$"),
        "month": re.compile(rf"^({m})$"),
        "year": re.compile(rf"^({y})$"),
        "year_range": re.compile(rf"^(?:from |between )?({y})(?:-| to | through | until | and )({y}|\d{{2}})$"),
        "decade": re.compile(r"^([12]\d{2})0s$"),
        "fiscal_label": re.compile(rf"^(?:fy ?|fiscal (?:year )?)({y}|\d{{2}})$"),
        "fiscal_relative": re.compile(rf"^({r}) fiscal year$"),
        "quarter_code": re.compile(rf"^q([1-4])(?: of)?(?: ({y}))?$"),
        "year_quarter_code": re.compile(rf"^({y}) q([1-4])$"),
        "quarter_words": re.compile(rf"^({q}) quarter(?: of)?(?: ({y}))?$"),
        "quarter_relative": re.compile(rf"^({r}) quarter$"),
        "half_words": re.compile(rf"^(first|second|1st|2nd) half(?: of)?(?: ({y}))?$"),
        "half_code": re.compile(rf"^h([12])(?: ({y}))?$"),
        "numeric_day": re.compile(rf"^(\d{{1,2}})[/.](\d{{1,2}})[/.]({y})$"),
        "month_relative": re.compile(rf"^({r}) ({m})$"),
        "season": re.compile(rf"^({s})(?: of)?(?: ({y}))?$"),
        "season_relative": re.compile(rf"^({r}) ({s})$"),
        "relative_unit": re.compile(rf"^({r}) (year|month|week|decade)$"),
        "weekday": re.compile(rf"^(?:({r}) )?({w})$"),
    }


def _month_value(year: _Year, month: int) -> DateValue:
    text = f"{year.text()}-{month:02d}"
    return _value(text, text, "month", year)


def _day_value(year: _Year, month: int, day: int) -> DateValue | None:
    text = _day(year, month, day)
    return None if text is None else _value(text, text, "day", year)


def _parse_days(text: str, reference: Reference, words: Vocabulary) -> DateValue | None:
    g, month = _compiled(words), words.months
    if found := g["iso_day"].match(text):
        return _day_value(_Year(int(found[1]), None), int(found[2]), int(found[3]))
    if found := g["numeric_day"].match(text):
        # Day first, as most of the world writes it, unless only month first makes a date ("12/31/2025").
        leading, following = int(found[1]), int(found[2])
        day_number, month_number = (
            (following, leading) if following > MONTHS_IN_YEAR >= leading else (leading, following)
        )
        return _day_value(_Year(int(found[3]), None), month_number, day_number)
    if found := g["cross_year_days"].match(text):
        first, last = _Year(int(found[3]), None), _Year(int(found[6]), None)
        return _span(
            _day_value(first, month[found[1]], int(found[2])), _day_value(last, month[found[4]], int(found[5]))
        )
    if found := g["cross_month"].match(text):
        last_year = _stated(found[5], reference)
        first_month, last_month = month[found[1]], month[found[3]]
        # "Dec 30–Jan 2, 2022": the stated year is the end's; the range starts the year before.
        first_year = last_year
        if last_month < first_month and last_year.value is not None:
            first_year = _Year(last_year.value - 1, last_year.anchor)
        return _span(
            _day_value(first_year, first_month, int(found[2])), _day_value(last_year, last_month, int(found[4]))
        )
    if found := g["day_range"].match(text):
        year = _stated(found[4], reference)
        return _span(_day_value(year, month[found[1]], int(found[2])), _day_value(year, month[found[1]], int(found[3])))
    if found := g["cross_month_day_first"].match(text):
        year = _stated(found[5], reference)
        opening = _day_value(year, month[found[2]], int(found[1]))
        return _span(opening, _day_value(year, month[found[4]], int(found[3])))
    if found := g["day_range_day_first"].match(text):
        year = _stated(found[4], reference)
        return _span(_day_value(year, month[found[3]], int(found[1])), _day_value(year, month[found[3]], int(found[2])))
    if found := g["month_day"].match(text):
        return _day_value(_stated(found[3], reference), month[found[1]], int(found[2]))
    if found := g["day_month"].match(text):
        return _day_value(_stated(found[3], reference), month[found[2]], int(found[1]))
    return None


def _parse_months(text: str, reference: Reference, words: Vocabulary) -> DateValue | None:
    g, month = _compiled(words), words.months
    if found := g["cross_month_years"].match(text):
        first, last = _Year(int(found[2]), None), _Year(int(found[4]), None)
        return _span(_month_value(first, month[found[1]]), _month_value(last, month[found[3]]))
    if found := g["month_range"].match(text):
        year = _stated(found[3], reference)
        return _span(_month_value(year, month[found[1]]), _month_value(year, month[found[2]]))
    if found := g["month_year"].match(text):
        return _month_value(_Year(int(found[2]), None), month[found[1]])
    if found := g["month_relative_year"].match(text):
        if not isinstance(reference, dt.date):
            return _month_value(_Year(None, None), month[found[1]])
        return _month_value(_calendar_year(reference.year + words.relative[found[2]]), month[found[1]])
    if (found := g["month_relative"].match(text)) and isinstance(reference, dt.date):
        # "last November" is the latest November before the article's month, "next March" the first after it.
        wanted, offset = month[found[2]], words.relative[found[1]]
        shift = 0
        if offset < 0 and wanted >= reference.month:
            shift = -1
        elif offset > 0 and wanted <= reference.month:
            shift = 1
        return _month_value(_calendar_year(reference.year + shift), wanted)
    if found := g["month"].match(text):
        return _month_value(_missing_year(reference), month[found[1]])
    return None


def _parse_years(text: str, reference: Reference, words: Vocabulary) -> DateValue | None:
    g = _compiled(words)
    if found := g["year"].match(text):
        return _value(found[1], found[1], "year", _Year(int(found[1]), None))
    if found := g["year_range"].match(text):
        first = int(found[1])
        last = _two_digit(found[2], after=first)
        if last <= first:
            return None
        return DateValue(f"{first}/{last}", f"{first}/{last}", "year")
    if found := g["decade"].match(text):
        start = int(found[1]) * 10
        return DateValue(f"{start}/{start + 9}", f"{found[1]}X", "decade")
    return None


def _parse_fiscal_years(text: str, reference: Reference, words: Vocabulary) -> DateValue | None:
    g = _compiled(words)
    if found := g["fiscal_label"].match(text):
        year = _two_digit(found[1])
        return DateValue(str(year), f"FY{year}", "fiscal_year")
    if found := g["fiscal_relative"].match(text):
        return _relative_years(reference, words.relative[found[1]], "fiscal_year", timex_prefix="FY")
    return None


def _quarter_value(year: _Year, quarter: int) -> DateValue:
    first, last = 3 * quarter - 2, 3 * quarter
    norm = f"{year.text()}-{first:02d}/{year.text()}-{last:02d}"
    return _value(norm, f"{year.text()}-Q{quarter}", "quarter", year)


def _half_value(year: _Year, half: int) -> DateValue:
    first, last = (1, 6) if half == 1 else (7, 12)
    norm = f"{year.text()}-{first:02d}/{year.text()}-{last:02d}"
    return _value(norm, f"{year.text()}-H{half}", "half", year)


@per_vocabulary
def _quarter_words(vocabulary: Vocabulary) -> dict[str, int]:
    """The words that name a quarter: the ordinals one to four, and the quarter words ("final")."""
    return {**{word: n for word, n in vocabulary.ordinals.items() if n <= QUARTERS}, **vocabulary.quarters}


def _parse_quarters(text: str, reference: Reference, words: Vocabulary) -> DateValue | None:
    g = _compiled(words)
    if found := g["quarter_code"].match(text):
        return _quarter_value(_stated(found[2], reference), int(found[1]))
    if found := g["year_quarter_code"].match(text):
        return _quarter_value(_Year(int(found[1]), None), int(found[2]))
    if found := g["quarter_words"].match(text):
        return _quarter_value(_stated(found[2], reference), _quarter_words(words)[found[1]])
    if found := g["half_words"].match(text):
        return _half_value(_stated(found[2], reference), 1 if found[1] in ("first", "1st") else 2)
    if found := g["half_code"].match(text):
        return _half_value(_stated(found[2], reference), int(found[1]))
    if (found := g["quarter_relative"].match(text)) and isinstance(reference, dt.date):
        index = reference.year * 4 + (reference.month - 1) // 3 + words.relative[found[1]]
        return _quarter_value(_calendar_year(index // 4), index % 4 + 1)
    return None


def _season_value(year: _Year, season: dict) -> DateValue:
    first, last = season["months"]
    end = year if year.value is None or last >= first else _calendar_year(year.value + 1, year.anchor)
    norm = f"{year.text()}-{first:02d}/{end.text()}-{last:02d}"
    return _value(norm, f"{year.text()}-{season['code']}", "season", year, end)


def _parse_seasons(text: str, reference: Reference, words: Vocabulary) -> DateValue | None:
    g = _compiled(words)
    if found := g["season"].match(text):
        return _season_value(_stated(found[2], reference), words.seasons[found[1]])
    if (found := g["season_relative"].match(text)) and isinstance(reference, dt.date):
        season, offset = words.seasons[found[2]], words.relative[found[1]]
        first, last = season["months"]
        # "next summer" in March is this year's; "last summer" in October too.
        if (offset > 0 and first > reference.month) or (offset < 0 and first <= last < reference.month):
            offset = 0
        return _season_value(_calendar_year(reference.year + offset), season)
    return None


def _relative_years(reference: Reference, offset: int, granularity: str, timex_prefix: str = "") -> DateValue:
    if not isinstance(reference, dt.date):
        return DateValue(UNKNOWN_YEAR, f"{timex_prefix}{UNKNOWN_YEAR}", granularity, resolved=False)
    year = _calendar_year(reference.year + offset)
    if year.value is None:
        return _unresolved(granularity)
    return DateValue(year.text(), f"{timex_prefix}{year.text()}", granularity, anchor=ARTICLE_DATE)


def _parse_relative(text: str, reference: Reference, words: Vocabulary) -> DateValue | None:
    g = _compiled(words)
    if found := g["relative_unit"].match(text):
        offset, unit = words.relative[found[1]], found[2]
        if unit == "decade" and isinstance(reference, dt.date):
            start = (reference.year // 10 + offset) * 10
            first, last = _calendar_year(max(start, dt.MINYEAR)), _calendar_year(start + 9)
            if first.value is None or last.value is None:
                return _unresolved(unit)
            return DateValue(f"{first.text()}/{last.text()}", f"{start // 10:03d}X", "decade", anchor=ARTICLE_DATE)
        if unit == "decade":
            return _unresolved(unit)
        if unit == "year" or not isinstance(reference, dt.date):
            return _relative_years(reference, offset, unit) if unit == "year" else _unresolved(unit)
        if unit == "month":
            index = reference.year * 12 + reference.month - 1 + offset
            return _month_value(_calendar_year(index // 12), index % 12 + 1)
        monday = _shift_days(reference, 7 * offset - reference.weekday())
        sunday = None if monday is None else _shift_days(monday, 6)
        if monday is None or sunday is None:
            return _unresolved(unit)
        year, week, _ = monday.isocalendar()
        return DateValue(
            f"{monday.isoformat()}/{sunday.isoformat()}", f"{year:04d}-W{week:02d}", "week", anchor=ARTICLE_DATE
        )
    if text in words.days_relative:
        if not isinstance(reference, dt.date):
            return _unresolved("day")
        return _from_date(_shift_days(reference, words.days_relative[text]))
    if found := g["weekday"].match(text):
        if not isinstance(reference, dt.date):
            return _unresolved("day")
        return _from_date(_weekday_near(reference, words.weekdays[found[2]], words.relative.get(found[1] or "", 0)))
    return None


def _weekday_near(reference: dt.date, weekday: int, offset: int) -> dt.date | None:
    days = weekday - reference.weekday()
    if days > WEEKDAY_WINDOW:
        days -= 7
    elif days < -WEEKDAY_WINDOW:
        days += 7
    return _shift_days(reference, days + 7 * offset)


def _from_date(day: dt.date | None) -> DateValue:
    if day is None:
        return _unresolved("day")
    return DateValue(day.isoformat(), day.isoformat(), "day", anchor=ARTICLE_DATE)


def _unresolved(granularity: str) -> DateValue:
    return DateValue(UNKNOWN_YEAR, UNKNOWN_YEAR, granularity, resolved=False)


PARSERS: tuple[Parser, ...] = (
    _parse_days,
    _parse_months,
    _parse_years,
    _parse_fiscal_years,
    _parse_quarters,
    _parse_seasons,
    _parse_relative,
)
