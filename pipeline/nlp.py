"""`build_nlp`: the one place where the pipe order is written, and `save_pipeline`, which ships it.

The model is loaded with `exclude=` (not `disable=`, which still loads the weights) for every
component extraction does not read: in en_core_web_sm the `ner` carries its own tok2vec, and
no pattern uses POS, lemmas or the parse, so only the tokenizer and `ner` remain.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.pipeline import Sentencizer

from . import __version__
from .components import acronyms, dates, money, policy_spans, relations  # noqa: F401  (registers the factories)
from .errors import Messages, PolicyExtractError
from .patterns import RuleSet, load_rules
from .spans import SPANS_KEY
from .types import PipelineSettings

# The components, in pipe order; each starts with the packaged rules and is given `rules` by `initialize`.
RELATIONS_PIPE = "policy_relations"
POLICY_PIPES = ("policy_spans", "policy_acronyms", "policy_dates", "policy_money", RELATIONS_PIPE)
# The components that set sentence boundaries; without one, a sentencizer is added, which also
# ends a sentence at a blank line: a heading, a dateline or a menu has no full stop.
SENTENCE_PIPES = ("sentencizer", "senter", "parser")
PARAGRAPH_BREAKS = ("\n\n", "\n\n\n", "\n\n\n\n")


def add_policy_pipes(nlp: Language, rules: RuleSet | None = None, *, with_relations: bool = True) -> Language:
    """Append the five policy components to `nlp`, configured from `rules` (default: the packaged rule set).

    Order: policy_spans (rule matches and the model's entities, merged and cleaned into
    doc.spans["policy"]) -> policy_acronyms (definitions and mentions) -> policy_dates and
    policy_money (normalized values) -> policy_relations (PARTY, DATE, FUNDER and TARGET within
    a sentence, parsing only the sentences with two linkable spans). A rule-based `sentencizer`
    goes before them unless the pipeline already sets sentence boundaries (a parser or senter):
    relations stay within a sentence and the mentions table gives each span its sentence.
    Without `with_relations`, policy_relations is left out, and the parse with it.
    """
    if not any(name in nlp.pipe_names for name in SENTENCE_PIPES):
        nlp.add_pipe("sentencizer", config={"punct_chars": [*Sentencizer.default_punct_chars, *PARAGRAPH_BREAKS]})
    for name in POLICY_PIPES if with_relations else POLICY_PIPES[:-1]:
        pipe = nlp.add_pipe(name)
        if rules is not None and hasattr(pipe, "initialize"):
            pipe.initialize(lambda: [], nlp=nlp, rules=rules)
    return nlp


def build_nlp(settings: PipelineSettings, rules: RuleSet | None = None) -> Language:
    """Load the model and, unless `settings.use_rules` is off, add the policy components.

    Raises:
        PatternFileError: when a file in `settings.patterns_dir` is malformed.
        PolicyExtractError: when the model is not installed.
    """
    try:
        nlp = spacy.load(settings.model, exclude=list(settings.exclude))
    except OSError as error:  # spaCy's E050: neither an installed package nor a saved pipeline's folder
        raise PolicyExtractError(Messages.E012.format(model=settings.model)) from error
    if not settings.use_rules:
        return nlp
    return add_policy_pipes(nlp, rules or load_rules(settings.patterns_dir), with_relations=settings.relations)


def save_pipeline(settings: PipelineSettings, rules: RuleSet, out: Path) -> dict[str, Any]:
    """Write the assembled pipeline to `out` as a spaCy pipeline directory; return its meta.

    `spacy.load(out)` gives it back with the same spans (policy-extract must be installed
    there: it registers the components). The meta names the tool's version, the model it
    was built on and the digest of every pattern file.
    """
    nlp = build_nlp(settings, rules)
    nlp.meta.update(
        {
            "name": "policy_extract",
            "version": __version__,
            "description": f"policy-extract {__version__}: ORG, INITIATIVE, EVENT, DATE and MONEY spans "
            f'in doc.spans["{SPANS_KEY}"], on {settings.model} {nlp.meta.get("version")}',
            "policy_extract": {
                "version": __version__,
                "model": {"name": settings.model, "version": nlp.meta.get("version")},
                "rules_digest": rules.digest(),
                "patterns": rules.file_digests,
            },
        }
    )
    nlp.to_disk(out)
    return nlp.meta
