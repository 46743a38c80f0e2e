"""Properties of `parse_date` and `parse_money` on arbitrary text: a value or None, never an exception;
a resolved date against an article date has one of the guideline's ISO shapes."""

from __future__ import annotations

import datetime as dt
import re

from conftest import PATTERNS_DIR
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.dates import DateValue, parse_date
from pipeline.money import Money, parse_money
from pipeline.patterns import load_rules

VOCABULARY = load_rules(PATTERNS_DIR).vocabulary
ISO_SHAPE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?(/\d{4}(-\d{2}(-\d{2})?)?)?$|^\d{4}-W\d{2}$")

WORDS = sorted(
    {
        *VOCABULARY.months,
        *VOCABULARY.weekdays,
        *VOCABULARY.seasons,
        *VOCABULARY.modifiers,
        *VOCABULARY.relative,
        *VOCABULARY.currency_signs,
        *VOCABULARY.currency_codes,
        *VOCABULARY.code_aliases,
        *VOCABULARY.currency_words,
        *VOCABULARY.scales,
        *VOCABULARY.approximate_words,
        "the",
        "of",
        "quarter",
        "year",
        "month",
        "week",
        "fiscal",
        "FY",
        "Q",
        "s",
        "0s",
        "th",
        "-",
        "–",
        "—",
        ",",
        ".",
    }
)
NUMBERS = st.one_of(
    st.integers(min_value=0, max_value=3000).map(str),
    st.from_regex(r"\d{1,3}(,\d{3}){0,4}(\.\d{1,3})?", fullmatch=True),
    st.integers(min_value=0, max_value=10**40).map(str),
)
PIECES = st.one_of(NUMBERS, st.sampled_from(WORDS))
DASHES = st.sampled_from(["-", "–", "—", " - ", " to "])
SPACE = st.sampled_from(["", " "])
# Amount-shaped text: [approximator] [sign | code] number [dash number] [scale] [code | currency word].
AMOUNTS = st.tuples(
    st.sampled_from(["", *(word + " " for word in VOCABULARY.approximate_words)]),
    st.sampled_from(["", *VOCABULARY.currency_signs, *(code + " " for code in VOCABULARY.currency_codes)]),
    NUMBERS,
    st.one_of(st.just(""), st.tuples(DASHES, NUMBERS).map("".join)),
    st.one_of(st.just(""), st.tuples(SPACE, st.sampled_from(sorted(VOCABULARY.scales))).map("".join)),
    st.sampled_from(
        ["", *(" " + code for code in VOCABULARY.currency_codes), *(" " + w for w in VOCABULARY.currency_words)]
    ),
).map("".join)
# Date-shaped text: [modifier] then month, day, year, decade, quarter, season or fiscal pieces with dashes.
DATE_PIECES = st.one_of(
    NUMBERS,
    st.sampled_from(
        [
            *VOCABULARY.months,
            *VOCABULARY.weekdays,
            *VOCABULARY.seasons,
            *VOCABULARY.ordinals,
            *VOCABULARY.quarters,
            "quarter",
            "fiscal",
        ]
    ),
    st.from_regex(r"(FY ?|Q)\d{1,4}|\d{1,4}0?s", fullmatch=True),
)
DATES = st.tuples(
    st.sampled_from(["", "the ", *(word + " " for word in VOCABULARY.modifiers), "mid-"]),
    st.lists(st.one_of(DATE_PIECES, DASHES), min_size=1, max_size=5).map(" ".join),
).map("".join)
# Text built from the grammar's own pieces: digits, currency signs, month names, dashes, scale words.
MIXED = st.one_of(
    st.lists(PIECES, max_size=7).map(" ".join),
    st.lists(PIECES, max_size=7).map("".join),
    AMOUNTS,
    DATES,
)
ARTICLE_DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))
REFERENCES = st.one_of(st.none(), st.integers(min_value=1900, max_value=2100), ARTICLE_DATES)
CURRENCIES = st.sampled_from(["USD", "AUD", "EUR"])


@settings(max_examples=300, deadline=None)
@given(text=st.text(), reference=REFERENCES)
def test_parse_date_any_text_gives_value_or_none(text: str, reference: dt.date | int | None) -> None:
    value = parse_date(text, reference=reference, vocabulary=VOCABULARY)
    assert value is None or isinstance(value, DateValue)


@settings(max_examples=300, deadline=None)
@given(text=MIXED, reference=REFERENCES)
def test_parse_date_mixed_text_gives_value_or_none(text: str, reference: dt.date | int | None) -> None:
    value = parse_date(text, reference=reference, vocabulary=VOCABULARY)
    assert value is None or isinstance(value, DateValue)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(MIXED, st.text()), reference=ARTICLE_DATES)
@example(text="FY0000", reference=dt.date(2000, 1, 1))
@example(text="the 0120s", reference=dt.date(2000, 1, 1))
@example(text="0100-0200", reference=dt.date(2000, 1, 1))
def test_parse_date_resolved_norm_has_iso_shape(text: str, reference: dt.date) -> None:
    value = parse_date(text, reference=reference, vocabulary=VOCABULARY)
    if value is not None and value.resolved:
        assert ISO_SHAPE.match(value.norm), value


@settings(max_examples=300, deadline=None)
@given(text=st.text(), default_currency=CURRENCIES)
def test_parse_money_any_text_gives_value_or_none(text: str, default_currency: str) -> None:
    value = parse_money(text, vocabulary=VOCABULARY, default_currency=default_currency)
    assert value is None or isinstance(value, Money)


@settings(max_examples=300, deadline=None)
@given(text=MIXED, default_currency=CURRENCIES)
@example(text="$10000000000000000000000000000", default_currency="USD")
@example(text="0-10000000000000000000b USD", default_currency="USD")
def test_parse_money_mixed_text_gives_value_or_none(text: str, default_currency: str) -> None:
    value = parse_money(text, vocabulary=VOCABULARY, default_currency=default_currency)
    assert value is None or isinstance(value, Money)
