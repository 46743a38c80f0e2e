"""Normalize amounts of money: `parse_money(text, *, vocabulary, default_currency)` -> `Money | None`.

An amount is a currency (sign or prefix before the number, ISO code before or after it, or a
currency word after it), a number with thousands separators and decimals, optionally a second
number for a range ("$2.5-3 billion"), and a scale word or abbreviation (million, bn, crore).
Text without a currency ("800,000 jobs", "5 percent", "2 million people") is not money. A
leading "about", "more than", "nearly" ... marks the amount approximate. `$` alone (and
"dollars") is `default_currency`; `¥` is the yen unless the text names the yuan (by a word,
code or alias of CNY).

Signs, codes, currency words, scale words and approximators come from the vocabulary
(`patterns/normalization.yml`); this module holds only the grammar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext

from .vocabulary import Vocabulary, alternation, per_vocabulary

# What the vocabulary maps a sign or word to when it stands for `default_currency`.
DEFAULT_CURRENCY = "$"
# `¥` is both the yen's sign and the yuan's; the text's naming of the yuan decides.
SHARED_SIGN, YUAN = "¥", "CNY"

# Western grouping (2,450,000), Indian grouping (24,50,000: lakhs and crores in pairs), or none.
NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,2}(?:,\d{2})+,\d{3}(?:\.\d+)?|\d+(?:\.\d+)?"
# Enough digits for any amount written out, so arithmetic stays exact; beyond it is not money.
DECIMAL_DIGITS = 40


@dataclass(frozen=True)
class Money:
    """An amount in full units of an ISO 4217 currency; `amount_max` closes a range."""

    amount: Decimal
    currency: str
    amount_max: Decimal | None = None
    approximate: bool = False

    def norm(self) -> dict[str, int | float | str]:
        """The JSON form of ANNOTATION.md: `{"amount", "currency"}`, plus `amount_max` for a range."""
        value: dict[str, int | float | str] = {"amount": _json_number(self.amount), "currency": self.currency}
        if self.amount_max is not None:
            value["amount_max"] = _json_number(self.amount_max)
        return value


def _json_number(amount: Decimal) -> int | float:
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def parse_money(text: str, *, vocabulary: Vocabulary, default_currency: str = "USD") -> Money | None:
    """Read an amount of money, or return None when `text` is not one.

    >>> from pathlib import Path
    >>> from pipeline.patterns import load_rules
    >>> words = load_rules(Path("patterns")).vocabulary
    >>> parse_money("US$4.2bn", vocabulary=words).norm()
    {'amount': 4200000000, 'currency': 'USD'}
    >>> parse_money("$2.5-3 billion", vocabulary=words).norm()
    {'amount': 2500000000, 'currency': 'USD', 'amount_max': 3000000000}
    >>> parse_money("about ₹3,000 crore", vocabulary=words)
    Money(amount=Decimal('30000000000'), currency='INR', amount_max=None, approximate=True)
    >>> parse_money("2 billion Swiss francs", vocabulary=words).norm()
    {'amount': 2000000000, 'currency': 'CHF'}
    >>> parse_money("VND500 billion", vocabulary=words).norm()
    {'amount': 500000000000, 'currency': 'VND'}
    >>> parse_money("a quarter of a billion euros", vocabulary=words).norm()
    {'amount': 250000000, 'currency': 'EUR'}
    >>> parse_money("ZAR 90 billion and ZAR 110 billion", vocabulary=words).norm()
    {'amount': 90000000000, 'currency': 'ZAR', 'amount_max': 110000000000}
    >>> parse_money("US$200,000 to US$1.5 million", vocabulary=words).norm()
    {'amount': 200000, 'currency': 'USD', 'amount_max': 1500000}
    >>> parse_money("800,000 jobs", vocabulary=words) is None
    True
    """
    cleaned = re.sub(r"\s+", " ", re.sub(r"[–—−]", "-", text)).strip()
    cleaned = re.sub(r"\b([A-Z]{1,3}) \$", r"\1$", cleaned)  # "US $3 billion" is "US$3 billion"
    approximate = False
    lowered = cleaned.lower()
    for word in sorted(vocabulary.approximate_words, key=len, reverse=True):
        if lowered.startswith(word + " "):
            approximate, cleaned = True, cleaned[len(word) + 1 :]
            break
    cleaned = _fraction_for(vocabulary).sub(lambda found: f"{vocabulary.fractions[found[1].lower()]} ", cleaned)
    found = _grammar_for(vocabulary).match(cleaned)
    if found is None:
        return None
    currency = _currency(found, cleaned, vocabulary, default_currency)
    if currency is None:
        return None
    scale = Decimal(1)
    for word in (found["scale"], found["scale2"]):  # "1.5 lakh crore" is 1.5 * 10**5 * 10**7
        if word:
            scale *= vocabulary.scales[word.lower()]
    # "ZAR 90 billion and ZAR 110 billion": each end has its scale; "$2.5-3 billion" and "USD 250 and
    # USD 300 million" share one, unless that would put the low end above the high one ("US$200,000
    # to US$1.5 million").
    min_scale = Decimal(vocabulary.scales[found["scale_min"].lower()]) if found["scale_min"] else scale
    if found["sign_max"] and not found["scale_min"] and found["amount_max"]:
        low, high = Decimal(found["amount"].replace(",", "")), Decimal(found["amount_max"].replace(",", ""))
        if low >= high:
            min_scale = Decimal(1)
    with localcontext() as context:
        context.prec = DECIMAL_DIGITS
        try:
            amount = _tidy(Decimal(found["amount"].replace(",", "")) * min_scale)
            amount_max = _tidy(Decimal(found["amount_max"].replace(",", "")) * scale) if found["amount_max"] else None
        except InvalidOperation:
            return None
    if amount_max is not None and amount_max <= amount:
        return None
    return Money(amount, currency, amount_max, approximate)


def _tidy(amount: Decimal) -> Decimal:
    """`Decimal("4.2") * 10**9` prints as 4.2E+9; an integral amount is written out."""
    return amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount.normalize()


def _currency(found: re.Match[str], text: str, vocabulary: Vocabulary, default_currency: str) -> str | None:
    sign = found["sign"] or found["code_before"] or found["code_after"] or found["word"]
    if sign is None:
        return None
    currency = (
        vocabulary.currency_signs.get(sign) or _code(sign, vocabulary) or vocabulary.currency_words.get(sign.lower())
    )
    if currency == DEFAULT_CURRENCY:
        return default_currency
    if sign == SHARED_SIGN and any(marker in text.lower() for marker in _yuan_markers(vocabulary)):
        return YUAN
    return currency


def _code(sign: str, vocabulary: Vocabulary) -> str | None:
    code = sign.upper()
    if code in vocabulary.code_aliases:
        return vocabulary.code_aliases[code]
    return code if code in vocabulary.currency_codes else None


@per_vocabulary
def _yuan_markers(vocabulary: Vocabulary) -> tuple[str, ...]:
    """The yuan's code, aliases and words, in lower case: "¥5 billion yuan" is CNY."""
    named = {**vocabulary.currency_words, **vocabulary.code_aliases}
    return (YUAN.lower(), *(name.lower() for name, currency in named.items() if currency == YUAN))


@per_vocabulary
def _fraction_for(vocabulary: Vocabulary) -> re.Pattern[str]:
    """ "a quarter of a" / "half a" before a scale word: the fraction, read as a number."""
    return re.compile(rf"^(?:an? |one )?({alternation(vocabulary.fractions)}) (?:of )?an? ", re.IGNORECASE)


# Between the two ends of a range written out ("between USD 250 and USD 300 million", "€4 to €6 billion").
RANGE_WORDS = "and|to"


@per_vocabulary
def _grammar_for(vocabulary: Vocabulary) -> re.Pattern[str]:
    """One expression for every form: [sign|code] number [-number] [scale] [code|currency word]."""
    signs = alternation(vocabulary.currency_signs)
    codes = alternation([*vocabulary.currency_codes, *vocabulary.code_aliases])
    scales = alternation(vocabulary.scales)
    words = alternation(vocabulary.currency_words)
    return re.compile(
        rf"^(?:(?P<sign>{signs}) ?|(?P<code_before>{codes}) ?)?"
        rf"(?P<amount>{NUMBER})(?: ?(?P<scale_min>{scales})\b(?= (?:{RANGE_WORDS}) ))?"
        rf"(?:(?: ?- ?| (?:{RANGE_WORDS}) )(?P<sign_max>(?:{signs}) ?|(?:{codes}) )?(?P<amount_max>{NUMBER}))?"
        rf"(?: ?(?P<scale>{scales})\b(?: (?P<scale2>{scales})\b)?)?"
        rf"(?: (?P<code_after>{codes})\b| (?P<word>{words})\b)?$",
        re.IGNORECASE,
    )
