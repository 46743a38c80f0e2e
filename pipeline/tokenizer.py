"""The two changes the pipeline makes to spaCy's tokenizer.

- Currency signs such as `NZ$` split off a following number, as the model already does for `US$`.
- The suffix rules are searched in the end of a word only. spaCy strips a word's affixes one at
  a time and searches the suffix rules over the whole rest of the word each time, so a word of n
  affixes (20 KB of `(` or `$` with no space) costs n² steps: 47 s for 20,000 characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from spacy.language import Language

# How much of a word's end the suffix rules are searched in. spaCy's suffixes are short (the
# longest a few characters, with a lookbehind of one or two), except runs of one character
# ("...."), which a search in the tail still finds, from its first character.
SUFFIX_TAIL_CHARS = 64
# A suffix found this close to the tail's start may begin before it (a longer run), or have a
# lookbehind that needs characters before it: then the whole word is searched.
SUFFIX_LOOKBEHIND_CHARS = 16


class TailSearch:
    """A compiled suffix regex searched in a word's last SUFFIX_TAIL_CHARS characters.

    Its `search` is what the tokenizer calls; `pattern` is what the tokenizer saves, so a saved
    pipeline holds the plain regex, and loading the policy components wraps it again.
    """

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.regex = regex
        self.pattern = regex.pattern

    def search(self, word: str) -> re.Match[str] | None:
        """The suffix match of `word`, as `regex.search` finds it; only its length is read."""
        if len(word) <= SUFFIX_TAIL_CHARS:
            return self.regex.search(word)
        found = self.regex.search(word[-SUFFIX_TAIL_CHARS:])
        if found is not None and found.start() < SUFFIX_LOOKBEHIND_CHARS:
            return self.regex.search(word)
        return found


def customize_tokenizer(nlp: Language, currency_prefixes: Iterable[str]) -> None:
    """Split `currency_prefixes` off a following number, and search the suffix rules in a word's end.

    Idempotent and additive: prefixes the tokenizer already splits are left alone, the
    tokenizer's other prefix rules (the language's, or a user's) are kept, and a suffix search
    that is not a compiled regex's (a user's own function) is left as it is.
    """
    tokenizer: Any = nlp.tokenizer  # a spaCy Tokenizer; the stubs type it as any callable
    suffix_regex = getattr(tokenizer.suffix_search, "__self__", None)
    if isinstance(suffix_regex, re.Pattern):
        tokenizer.suffix_search = TailSearch(suffix_regex).search
    search = tokenizer.prefix_search
    missing = [prefix for prefix in dict.fromkeys(currency_prefixes) if not _splits(search, prefix)]
    if not missing:
        return
    current = search.__self__.pattern if search is not None else ""
    added = "|".join(f"^{re.escape(prefix)}" for prefix in missing)
    tokenizer.prefix_search = re.compile(f"{current}|{added}" if current else added).search


def _splits(search: object, prefix: str) -> bool:
    found = search(f"{prefix}1") if callable(search) else None
    return found is not None and found.group() == prefix
