"""`parse_money`: amounts normalize as the guideline's "Normalized values" says.

Expectations come from /work/shared/ANNOTATION.md and common sense, not from the code. A row the
code gets wrong stays correct and is marked strict xfail with the reason (none is, today).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import CORPUS_DIR
from spacy.language import Language

from pipeline.corpus import read_articles, read_gold
from pipeline.extract import extract
from pipeline.money import parse_money
from pipeline.patterns import RuleSet

K, M, B, T = 10**3, 10**6, 10**9, 10**12


# (text, amount, currency, amount_max or None, approximate); a str amount is a decimal fraction.
MONEY_CASES = [
    # Signs and prefixes.
    pytest.param("$252 billion", 252 * B, "USD", None, False, id="dollar-billion"),
    pytest.param("$7,500", 7500, "USD", None, False, id="dollar-thousands-separator"),
    pytest.param("$1,000,000", 1 * M, "USD", None, False, id="dollar-two-separators"),
    pytest.param("$1.5 million", 1500 * K, "USD", None, False, id="dollar-decimal-million"),
    pytest.param("$ 5 million", 5 * M, "USD", None, False, id="dollar-space"),
    pytest.param("$99.99", "99.99", "USD", None, False, id="dollar-cents"),
    pytest.param("US$4.2bn", 4200 * M, "USD", None, False, id="us-dollar-bn"),
    pytest.param("US$ 3 billion", 3 * B, "USD", None, False, id="us-dollar-space"),
    pytest.param("A$500 million", 500 * M, "AUD", None, False, id="aud-sign"),
    pytest.param("C$1.2 billion", 1200 * M, "CAD", None, False, id="cad-sign"),
    pytest.param("HK$3.5 billion", 3500 * M, "HKD", None, False, id="hkd-sign"),
    pytest.param("S$100 million", 100 * M, "SGD", None, False, id="sgd-sign"),
    pytest.param("NZ$50m", 50 * M, "NZD", None, False, id="nzd-sign-m"),
    pytest.param("NT$10 billion", 10 * B, "TWD", None, False, id="twd-sign"),
    pytest.param("R$1 billion", 1 * B, "BRL", None, False, id="brl-sign"),
    pytest.param("€350 million", 350 * M, "EUR", None, False, id="euro-sign"),
    pytest.param("€1,234.5 million", 1_234_500_000, "EUR", None, False, id="euro-separator-decimal"),
    pytest.param("€1.5bn", 1500 * M, "EUR", None, False, id="euro-bn"),
    pytest.param("£2bn", 2 * B, "GBP", None, False, id="pound-sign-bn"),
    pytest.param("£50,000", 50 * K, "GBP", None, False, id="pound-sign-plain"),
    pytest.param("£1.25 billion", 1250 * M, "GBP", None, False, id="pound-sign-decimal"),
    pytest.param("¥800 billion", 800 * B, "JPY", None, False, id="yen-sign"),
    pytest.param("¥10,000", 10 * K, "JPY", None, False, id="yen-sign-plain"),
    pytest.param("¥5 billion yuan", 5 * B, "CNY", None, False, id="yen-sign-yuan-word"),
    pytest.param("¥5 billion RMB", 5 * B, "CNY", None, False, id="yen-sign-rmb-code"),
    pytest.param("₹3,000 crore", 30 * B, "INR", None, False, id="rupee-sign-crore"),
    pytest.param("₹2 lakh", 200 * K, "INR", None, False, id="rupee-sign-lakh"),
    pytest.param("₩1 trillion", 1 * T, "KRW", None, False, id="won-sign"),
    pytest.param("Rs 500 crore", 5 * B, "INR", None, False, id="rs-crore"),
    pytest.param("Rs. 10 lakh", 1 * M, "INR", None, False, id="rs-dot-lakh"),
    pytest.param("Rs5,000", 5 * K, "INR", None, False, id="rs-no-space"),
    pytest.param(
        "US $3 billion",
        3 * B,
        "USD",
        None,
        False,
        id="us-space-dollar",
    ),
    # ISO codes before and after the number.
    pytest.param("USD 350 million", 350 * M, "USD", None, False, id="usd-before"),
    pytest.param("350 million USD", 350 * M, "USD", None, False, id="usd-after"),
    pytest.param("EUR 350 million", 350 * M, "EUR", None, False, id="eur-before"),
    pytest.param("500 million EUR", 500 * M, "EUR", None, False, id="eur-after"),
    pytest.param("JPY 1 trillion", 1 * T, "JPY", None, False, id="jpy-before"),
    pytest.param("CNY 20 billion", 20 * B, "CNY", None, False, id="cny-before"),
    pytest.param("RMB 20 billion", 20 * B, "CNY", None, False, id="rmb-before"),
    pytest.param("20 billion RMB", 20 * B, "CNY", None, False, id="rmb-after"),
    pytest.param("GBP 40m", 40 * M, "GBP", None, False, id="gbp-before-m"),
    pytest.param("INR 5,000 crore", 50 * B, "INR", None, False, id="inr-before-crore"),
    pytest.param("KRW 2 trillion", 2 * T, "KRW", None, False, id="krw-before"),
    pytest.param("AUD 1.2bn", 1200 * M, "AUD", None, False, id="aud-before-bn"),
    pytest.param("1.2 billion AUD", 1200 * M, "AUD", None, False, id="aud-after"),
    pytest.param("CHF 200 million", 200 * M, "CHF", None, False, id="chf-before"),
    pytest.param("ZAR 12 billion", 12 * B, "ZAR", None, False, id="zar-before"),
    pytest.param("KES 3.4 billion", 3400 * M, "KES", None, False, id="kes-before"),
    pytest.param("MXN 40 billion", 40 * B, "MXN", None, False, id="mxn-before"),
    pytest.param("12 billion ZAR", 12 * B, "ZAR", None, False, id="zar-after"),
    pytest.param("SDR 650 billion", 650 * B, "XDR", None, False, id="sdr-alias"),
    pytest.param("KSh 5 billion", 5 * B, "KES", None, False, id="ksh-sign"),
    pytest.param("₦500 billion", 500 * B, "NGN", None, False, id="naira-sign"),
    # Currency words.
    pytest.param("10 billion dollars", 10 * B, "USD", None, False, id="dollars-word"),
    pytest.param("5 billion US dollars", 5 * B, "USD", None, False, id="us-dollars-word"),
    pytest.param("5 million euros", 5 * M, "EUR", None, False, id="euros-word"),
    pytest.param("1,000 euros", 1 * K, "EUR", None, False, id="euros-word-plain"),
    pytest.param("800 billion yen", 800 * B, "JPY", None, False, id="yen-word"),
    pytest.param("1.5 trillion yuan", 1500 * B, "CNY", None, False, id="yuan-word"),
    pytest.param("100 billion renminbi", 100 * B, "CNY", None, False, id="renminbi-word"),
    pytest.param("5,000 crore rupees", 50 * B, "INR", None, False, id="rupees-word"),
    pytest.param("3 trillion won", 3 * T, "KRW", None, False, id="won-word"),
    pytest.param("300 million pounds", 300 * M, "GBP", None, False, id="pounds-word"),
    pytest.param("500 billion dong", 500 * B, "VND", None, False, id="dong-word"),
    pytest.param("3.2 billion rand", 3200 * M, "ZAR", None, False, id="rand-word"),
    pytest.param("20 billion naira", 20 * B, "NGN", None, False, id="naira-word"),
    pytest.param("2 billion Swiss francs", 2 * B, "CHF", None, False, id="swiss-francs"),
    pytest.param("500 million Mexican pesos", 500 * M, "MXN", None, False, id="mexican-pesos"),
    pytest.param("3 billion Kenyan shillings", 3 * B, "KES", None, False, id="kenyan-shillings"),
    pytest.param("5 billion Hong Kong dollars", 5 * B, "HKD", None, False, id="hong-kong-dollars"),
    # Scale words and abbreviations.
    pytest.param("$500 thousand", 500 * K, "USD", None, False, id="scale-thousand"),
    pytest.param("$50k", 50 * K, "USD", None, False, id="scale-k"),
    pytest.param("$50K", 50 * K, "USD", None, False, id="scale-k-upper"),
    pytest.param("$5m", 5 * M, "USD", None, False, id="scale-m"),
    pytest.param("$3mn", 3 * M, "USD", None, False, id="scale-mn"),
    pytest.param("$2 mln", 2 * M, "USD", None, False, id="scale-mln"),
    pytest.param("$0.5 million", 500 * K, "USD", None, False, id="scale-fraction-million"),
    pytest.param("$4 bln", 4 * B, "USD", None, False, id="scale-bln"),
    pytest.param("$3.5B", 3500 * M, "USD", None, False, id="scale-b"),
    pytest.param("$1.5 Billion", 1500 * M, "USD", None, False, id="scale-capitalized"),
    pytest.param("$1.2tn", 1200 * B, "USD", None, False, id="scale-tn"),
    pytest.param("$2 trillion", 2 * T, "USD", None, False, id="scale-trillion"),
    pytest.param(
        "Rs 1.5 lakh crore",
        1500 * B,
        "INR",
        None,
        False,
        id="scale-lakh-crore",
    ),
    # Ranges.
    pytest.param("$2.5-3 billion", 2500 * M, "USD", 3 * B, False, id="range-decimal"),
    pytest.param("$4-5bn", 4 * B, "USD", 5 * B, False, id="range-bn"),
    pytest.param("€150–200 million", 150 * M, "EUR", 200 * M, False, id="range-en-dash"),
    pytest.param("$10 - 20 million", 10 * M, "USD", 20 * M, False, id="range-spaced-hyphen"),
    pytest.param("US$1.5-2 billion", 1500 * M, "USD", 2 * B, False, id="range-us-dollar"),
    pytest.param("5-6 trillion yen", 5 * T, "JPY", 6 * T, False, id="range-currency-word"),
    pytest.param("USD 250 and USD 300 million", 250 * M, "USD", 300 * M, False, id="range-and-repeated-code"),
    pytest.param("Rs 2,45,000 crore", 2450000000000, "INR", None, False, id="indian-digit-grouping"),
    pytest.param("€4 to €6 billion", 4 * B, "EUR", 6 * B, False, id="range-to-repeated-sign"),
    pytest.param(
        "$2-$3 billion",
        2 * B,
        "USD",
        3 * B,
        False,
        id="range-repeated-sign",
    ),
    # Approximate markers stay outside the amount.
    pytest.param("about $5 billion", 5 * B, "USD", None, True, id="approx-about"),
    pytest.param("about ₹3,000 crore", 30 * B, "INR", None, True, id="approx-about-crore"),
    pytest.param("more than $100 million", 100 * M, "USD", None, True, id="approx-more-than"),
    pytest.param("nearly $1 trillion", 1 * T, "USD", None, True, id="approx-nearly"),
    pytest.param("up to $500 million", 500 * M, "USD", None, True, id="approx-up-to"),
    pytest.param("at least €2bn", 2 * B, "EUR", None, True, id="approx-at-least"),
    pytest.param("around £300m", 300 * M, "GBP", None, True, id="approx-around"),
    pytest.param("approximately US$1.5 billion", 1500 * M, "USD", None, True, id="approx-approximately"),
    pytest.param("roughly 10 billion yen", 10 * B, "JPY", None, True, id="approx-roughly-word"),
    pytest.param("an estimated $3 billion", 3 * B, "USD", None, True, id="approx-an-estimated"),
    pytest.param("About $5 billion", 5 * B, "USD", None, True, id="approx-capitalized"),
    pytest.param("up to $2.5-3 billion", 2500 * M, "USD", 3 * B, True, id="approx-range"),
]


def _decimal(value: int | str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


@pytest.mark.parametrize(("text", "amount", "currency", "amount_max", "approximate"), MONEY_CASES)
def test_parse_money_reads_amount(
    text: str,
    amount: int | str,
    currency: str,
    amount_max: int | str | None,
    approximate: bool,
    rules: RuleSet,
) -> None:
    money = parse_money(text, vocabulary=rules.vocabulary, default_currency="USD")
    assert money is not None
    assert money.amount == _decimal(amount)
    assert money.currency == currency
    assert money.amount_max == _decimal(amount_max)
    assert money.approximate is approximate
    norm = money.norm()
    expected: dict[str, object] = {"amount": amount if isinstance(amount, int) else float(amount), "currency": currency}
    if amount_max is not None:
        expected["amount_max"] = amount_max if isinstance(amount_max, int) else float(amount_max)
    assert norm == expected
    # JSON: a whole amount is an int, never 252000000000.0 or a Decimal.
    for key in ("amount", "amount_max"):
        if key in expected:
            assert type(norm[key]) is type(expected[key])


@pytest.mark.parametrize(
    ("text", "norm"),
    [
        pytest.param("$252 billion", {"amount": 252000000000, "currency": "USD"}, id="guideline-example"),
        pytest.param(
            "$2.5-3 billion",
            {"amount": 2500000000, "currency": "USD", "amount_max": 3000000000},
            id="guideline-range",
        ),
        pytest.param("EUR 350 million", {"amount": 350000000, "currency": "EUR"}, id="guideline-code"),
        pytest.param("$99.99", {"amount": 99.99, "currency": "USD"}, id="fraction-is-float"),
    ],
)
def test_parse_money_norm_is_guideline_json(text: str, norm: dict[str, object], rules: RuleSet) -> None:
    money = parse_money(text, vocabulary=rules.vocabulary)
    assert money is not None
    assert money.norm() == norm
    assert [type(value) for value in money.norm().values()] == [type(value) for value in norm.values()]


# default_currency="AUD": a bare dollar is the article's dollar; a marked one keeps its mark.
AUD_CASES = [
    pytest.param("$5 million", 5 * M, "AUD", None, False, id="bare-dollar"),
    pytest.param("$2.5-3 billion", 2500 * M, "AUD", 3 * B, False, id="bare-dollar-range"),
    pytest.param("about $40m", 40 * M, "AUD", None, True, id="bare-dollar-approx"),
    pytest.param("US$5 million", 5 * M, "USD", None, False, id="us-dollar-stays-usd"),
    pytest.param("A$5 million", 5 * M, "AUD", None, False, id="aud-sign"),
    pytest.param("€5 million", 5 * M, "EUR", None, False, id="euro-unaffected"),
    pytest.param(
        "5 million dollars",
        5 * M,
        "AUD",
        None,
        False,
        id="bare-dollars-word",
    ),
]


@pytest.mark.parametrize(("text", "amount", "currency", "amount_max", "approximate"), AUD_CASES)
def test_parse_money_bare_dollar_takes_default_currency(
    text: str,
    amount: int,
    currency: str,
    amount_max: int | None,
    approximate: bool,
    rules: RuleSet,
) -> None:
    money = parse_money(text, vocabulary=rules.vocabulary, default_currency="AUD")
    assert money is not None
    assert (money.amount, money.currency, money.amount_max, money.approximate) == (
        Decimal(amount),
        currency,
        _decimal(amount_max),
        approximate,
    )


NOT_MONEY = [
    pytest.param("800,000 jobs", id="jobs"),
    pytest.param("5 percent", id="percent"),
    pytest.param("5%", id="percent-sign"),
    pytest.param("COVID-19", id="covid"),
    pytest.param("2 million people", id="people"),
    pytest.param("2 million", id="bare-scale"),
    pytest.param("$5 billion people", id="dollar-then-noun"),
    pytest.param("Section 301", id="section"),
    pytest.param("2021", id="year"),
    pytest.param("1,000", id="bare-number"),
    pytest.param("$", id="sign-alone"),
    pytest.param("US$", id="prefix-alone"),
    pytest.param("€", id="euro-alone"),
    pytest.param("USD", id="code-alone"),
    pytest.param("the fund", id="words"),
    pytest.param("three billion", id="number-words"),
    pytest.param("billion dollars", id="scale-no-number"),
    pytest.param("", id="empty"),
    pytest.param("   ", id="blank"),
    pytest.param("US jobs", id="us-jobs"),
    pytest.param("$5-3 billion", id="backwards-range"),
    pytest.param("$1,00", id="bad-separator"),
    # A currency word several currencies share is money only with its country ("Mexican pesos").
    pytest.param("500 million pesos", id="pesos-alone"),
    pytest.param("3 billion shillings", id="shillings-alone"),
    pytest.param("2 billion francs", id="francs-alone"),
]


@pytest.mark.parametrize("text", NOT_MONEY)
def test_parse_money_rejects_look_alikes(text: str, rules: RuleSet) -> None:
    assert parse_money(text, vocabulary=rules.vocabulary, default_currency="USD") is None


# (text, amount, ISO code) found by the whole pipeline in a sentence: one MONEY span, valued.
PIPELINE_AMOUNTS = [
    pytest.param("ZAR 12 billion", 12 * B, "ZAR", id="zar-before"),
    pytest.param("KES 3.4 billion", 3400 * M, "KES", id="kes-before"),
    pytest.param("CHF 20 million", 20 * M, "CHF", id="chf-before"),
    pytest.param("HKD 3 billion", 3 * B, "HKD", id="hkd-before"),
    pytest.param("MXN 40 billion", 40 * B, "MXN", id="mxn-before"),
    pytest.param("NT$5 billion", 5 * B, "TWD", id="twd-sign"),
    pytest.param("R$1 billion", 1 * B, "BRL", id="brl-sign"),
    pytest.param("500 billion dong", 500 * B, "VND", id="dong-word"),
    pytest.param("5 billion yuan", 5 * B, "CNY", id="yuan-word"),
    pytest.param("3.2 billion rand", 3200 * M, "ZAR", id="rand-word"),
    pytest.param("12 billion ZAR", 12 * B, "ZAR", id="zar-after"),
    pytest.param("2 billion Swiss francs", 2 * B, "CHF", id="swiss-francs"),
    pytest.param("500 million Mexican pesos", 500 * M, "MXN", id="mexican-pesos"),
]


@pytest.mark.parametrize(("amount", "value", "currency"), PIPELINE_AMOUNTS)
def test_pipeline_finds_and_values_amount_in_any_currency(
    nlp: Language, amount: str, value: int, currency: str
) -> None:
    doc = nlp(f"Under the plan, the government will put {amount} into the fund by next spring.")
    money = [span for span in doc.spans["policy"] if span.label_ == "MONEY"]
    assert [(span.text, span._.norm) for span in money] == [(amount, {"amount": value, "currency": currency})]


def test_pipeline_money_spans_of_the_corpus_all_have_a_value(nlp: Language) -> None:
    articles, _ = read_articles([CORPUS_DIR / "articles"])
    predicted = [span for item in extract(nlp, articles) for span in item.record["spans"] if span["label"] == "MONEY"]
    gold = [span for record in read_gold(CORPUS_DIR / "gold").values() for span in record["spans"]]
    assert predicted
    assert [span["text"] for span in predicted if not span.get("norm")] == []
    assert [span["text"] for span in gold if span["label"] == "MONEY" and not span.get("norm")] == []
