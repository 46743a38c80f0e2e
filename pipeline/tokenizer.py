"""The one change the rules make to spaCy's tokenizer: currency signs such as `NZ$` split off the number."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from spacy.language import Language


def customize_tokenizer(nlp: Language, currency_prefixes: Iterable[str]) -> None:
    """Split each of `currency_prefixes` off a following number, as the model already does for `US$`.

    Idempotent and additive: prefixes the tokenizer already splits are left alone, and the
    tokenizer's other prefix rules (the language's, or a user's) are kept.
    """
    tokenizer: Any = nlp.tokenizer  # a spaCy Tokenizer; the stubs type it as any callable
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
