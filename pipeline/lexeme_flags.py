"""Word-level Matcher predicates turned into lexeme flags, so the Matcher tests them in C.

spaCy's Matcher compares plain attributes (ORTH, LOWER, IS_TITLE, ...) in C, but calls back
into Python for each token a set or regex predicate (IN, NOT_IN, REGEX) is asked about; for
a predicate on a pattern's first token that is every token of every doc. A predicate on the
word's own string (ORTH/TEXT, LOWER, SHAPE) has one answer per vocabulary entry, so it can be
computed once per lexeme into one of the vocab's free flag bits (`Vocab.add_flag`), which the
Matcher then reads like IS_TITLE. On this corpus the span_ruler takes half the time.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from spacy import attrs
from spacy.vocab import Vocab

# Attributes that are a function of the word's string alone, by their lexeme attribute id.
WORD_ATTRS = {"ORTH": attrs.ORTH, "TEXT": attrs.ORTH, "LOWER": attrs.LOWER, "SHAPE": attrs.SHAPE}
WORD_OPERATORS = {"IN", "NOT_IN", "REGEX"}
# Bits below FLAG19 are spaCy's own IS_* and LIKE_* flags.
FREE_FLAG_BITS = range(attrs.FLAG19, 64)


class WordTest:
    """All word-level predicates of one token spec, as a flag getter `f(word) -> bool`."""

    def __init__(self, key: str, checks: list[tuple[Callable[[str], str], str, Any]]) -> None:
        self.key = key
        self.checks = checks

    def __call__(self, word: str) -> bool:
        for view, operator, value in self.checks:
            text = view(word)
            if operator == "IN" and text not in value:
                return False
            if operator == "NOT_IN" and text in value:
                return False
            if operator == "REGEX" and value.search(text) is None:
                return False
        return True


def flagged_patterns(vocab: Vocab, patterns: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """SpanRuler pattern dicts matching exactly what `patterns` match, with word-level predicates as flags.

    Flags already added to `vocab` for the same predicates are reused. Once the vocab's free
    flag bits run out, the remaining predicates stay as they are. Phrase patterns pass through.
    The flags live in `vocab`, not in the patterns: serialize the plain patterns, not these.
    The bits are few, so the tokens a match can start with get theirs first: the Matcher tests
    those against every token of every doc, the others only inside a partial match. Of those,
    the tokens of a loop (`*`, `+`) and the token just after one come next (a run of
    capitalized words keeps a partial match of every name pattern alive, testing them at each
    word), those that more patterns share first.
    """
    patterns = list(patterns)
    token_patterns = [pattern["pattern"] for pattern in patterns if isinstance(pattern["pattern"], list)]
    for pattern in token_patterns:
        for token in _opening_tokens(pattern):
            _flagged_token(vocab, token)
    for token in _looping_tokens(token_patterns):
        _flagged_token(vocab, token)
    return [
        {**pattern, "pattern": [_flagged_token(vocab, token) for token in pattern["pattern"]]}
        if isinstance(pattern["pattern"], list)
        else pattern
        for pattern in patterns
    ]


def _looping_tokens(patterns: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The tokens inside a loop or just after one, most often tested first.

    A partial match lives as long as its loop goes on, so these are tested at every word of
    the loop; the loops that run most are those of the patterns that open on the token most
    patterns open on (a capitalized word: every run of them starts a partial match of each).
    So a token counts the patterns with that opening that have it, then all patterns (ties: in order).
    """
    openings = Counter(_key(pattern[0]) for pattern in patterns if pattern)
    common_opening = openings.most_common(1)[0][0] if openings else None
    found: dict[str, tuple[dict[str, Any], int, int]] = {}
    for pattern in patterns:
        common = _key(pattern[0]) == common_opening
        for previous, token in zip([{}, *pattern], pattern, strict=False):
            if token.get("OP") in ("*", "+") or previous.get("OP") in ("*", "+"):
                _, in_common, in_all = found.get(_key(token), (token, 0, 0))
                found[_key(token)] = (token, in_common + common, in_all + 1)
    ranked = sorted(found.values(), key=lambda item: (-item[1], -item[2]))
    return [token for token, _, _ in ranked]


def _key(token: dict[str, Any]) -> str:
    return json.dumps(token, sort_keys=True, ensure_ascii=False, default=str)


def _opening_tokens(pattern: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tokens a match may start with: the first, and each after only optional ones."""
    opening = []
    for token in pattern:
        opening.append(token)
        if token.get("OP") not in ("?", "*"):
            break
    return opening


def _flagged_token(vocab: Vocab, token: dict[str, Any]) -> dict[Any, Any]:
    word_level = {key: value for key, value in token.items() if _is_word_level(vocab, key, value)}
    if not word_level:
        return token
    flag = _flag_for(vocab, word_level)
    if flag is None:
        return token
    rest = {key: value for key, value in token.items() if key not in word_level}
    return {**rest, flag: True}


def _is_word_level(vocab: Vocab, key: Any, value: Any) -> bool:
    if not isinstance(key, str) or key.upper() not in WORD_ATTRS or not isinstance(value, dict):
        return False
    attr_id = WORD_ATTRS[key.upper()]
    if attr_id != attrs.ORTH and attr_id not in _getters(vocab):
        return False
    for operator, operand in value.items():
        if not isinstance(operator, str) or operator.upper() not in WORD_OPERATORS:
            return False
        if operator.upper() == "REGEX" and not isinstance(operand, str):
            return False
        if operator.upper() != "REGEX" and not (
            isinstance(operand, list) and all(isinstance(item, str) for item in operand)
        ):
            return False
    return True


def _flag_for(vocab: Vocab, word_level: dict[str, dict[str, Any]]) -> int | None:
    key = json.dumps({attr.upper(): spec for attr, spec in word_level.items()}, sort_keys=True, ensure_ascii=False)
    for flag, getter in _getters(vocab).items():
        if isinstance(getter, WordTest) and getter.key == key:
            return flag
    free = next((bit for bit in FREE_FLAG_BITS if bit not in _getters(vocab)), None)
    if free is None:
        return None
    checks = []
    for attr, spec in word_level.items():
        attr_id = WORD_ATTRS[attr.upper()]
        view = _identity if attr_id == attrs.ORTH else _getters(vocab)[attr_id]
        for operator, operand in spec.items():
            operator = operator.upper()
            compiled = re.compile(operand) if operator == "REGEX" else frozenset(operand)
            checks.append((view, operator, compiled))
    return vocab.add_flag(WordTest(key, checks), free)


def _getters(vocab: Vocab) -> dict[int, Callable[[str], Any]]:
    """The vocab's lexeme attribute getters by attribute id (spaCy's stubs do not declare them)."""
    return vocab.lex_attr_getters  # type: ignore[attr-defined]


def _identity(word: str) -> str:
    return word
