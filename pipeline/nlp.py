"""`build_nlp`: the one place where the pipe order is written.

The model is loaded with `exclude=` (not `disable=`, which still loads the weights) for every
component extraction does not read: in en_core_web_sm the `ner` carries its own tok2vec, and
no pattern uses POS, lemmas or the parse, so only the tokenizer and `ner` remain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict

import spacy
from spacy.language import Language
from spacy.util import compile_prefix_regex

from . import components  # noqa: F401  (registers the factories when the package is not installed)
from .components import acronyms, dates, money, policy_spans  # noqa: F401
from .errors import Messages, PatternFileError
from .lexeme_flags import flagged_patterns
from .patterns import RuleSet, load_rules
from .types import PipelineSettings

RULES_KEY = "policy_rules"
SPANS_KEY = "policy"


def customize_tokenizer(nlp: Language, currency_prefixes: Iterable[str]) -> None:
    """Split currency prefixes such as `NZ$` or `HK$` off the number, as the model already does for `US$`."""
    prefixes = [*nlp.Defaults.prefixes, *(re.escape(prefix) for prefix in currency_prefixes)]
    nlp.tokenizer.prefix_search = compile_prefix_regex(prefixes).search


def build_nlp(settings: PipelineSettings, rules: RuleSet | None = None) -> Language:
    """Load the model and, unless `settings.use_rules` is off, add the rule components.

    Order: ner -> span_ruler (patterns/*.yml into doc.spans["policy_rules"], with word-level
    predicates as lexeme flags) -> policy_spans (merge and clean into doc.spans["policy"])
    -> policy_acronyms (definitions and mentions) -> policy_dates and policy_money (normalized values).

    Raises:
        PatternFileError: when a file in `settings.patterns_dir` is malformed.
    """
    nlp = spacy.load(settings.model, exclude=list(settings.exclude))
    if not settings.use_rules:
        return nlp
    rules = rules or load_rules(settings.patterns_dir)
    customize_tokenizer(nlp, rules.lexicon.get("currency_prefixes", []))
    ruler = nlp.add_pipe(
        "span_ruler",
        name=RULES_KEY,
        # load_rules has validated the patterns; spaCy's schema would refuse the flag ids they now hold.
        config={"spans_key": RULES_KEY, "spans_filter": None, "annotate_ents": False, "validate": False},
    )
    patterns = flagged_patterns(nlp.vocab, [entry.as_spacy_pattern() for entry in rules.entries])
    ruler.add_patterns(patterns)  # type: ignore[attr-defined]
    nlp.add_pipe("policy_spans", config={"rules_key": RULES_KEY, "spans_key": SPANS_KEY, "lexicon": rules.lexicon})
    nlp.add_pipe("policy_acronyms", config={"spans_key": SPANS_KEY})
    if rules.vocabulary is None:
        raise PatternFileError(Messages.P013.format(path=settings.patterns_dir))
    vocabulary = asdict(rules.vocabulary)
    nlp.add_pipe("policy_dates", config={"spans_key": SPANS_KEY, "vocabulary": vocabulary})
    nlp.add_pipe("policy_money", config={"spans_key": SPANS_KEY, "vocabulary": vocabulary})
    return nlp
