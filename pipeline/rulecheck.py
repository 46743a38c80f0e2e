"""Checking a rule set before it is used: spaCy's validation of its token patterns, and its examples.

Validating every token pattern with spaCy's schema costs an import of spaCy and a second or so;
a run does it once per exact set of pattern files and spaCy version, and leaves a marker in
its cache so that a warm re-run starts without spaCy. `check-patterns` runs every entry's
`match` / `no_match` examples on the tokenizer the pipeline uses, and every relation rule's
examples on the whole pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, cast

from .cache import code_digest, validation_marker
from .export import write_text_atomically
from .patterns import (
    RuleSet,
    example_failures,
    greedy_pattern_warnings,
    load_rules,
    packaged_patterns_dir,
    pattern_file_digests,
    rules_digest,
)

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc


@dataclass(frozen=True)
class CheckedRules:
    """A validated rule set, and the warnings its validation raised (patterns that look too broad)."""

    rules: RuleSet
    warnings: list[str]


def load_checked_rules(patterns_dir: Path | None, cache_dir: Path) -> CheckedRules:
    """Load the rules in `patterns_dir` (None: the packaged rule set), validated with spaCy once per set of files.

    Unless a marker under `cache_dir` says these exact files passed under this spaCy version,
    the token patterns are checked with spaCy and the too-broad ones warned about; the marker
    is then written. With the marker, the files are only parsed and no warning is repeated.

    Raises:
        PatternFileError: when a file is malformed (naming the file, the entry and its line).
    """
    folder = packaged_patterns_dir() if patterns_dir is None else patterns_dir
    # The checks are code too: a changed validator revalidates, as a changed pattern file does.
    digest = rules_digest({**pattern_file_digests(folder), "spacy": metadata.version("spacy"), "code": code_digest()})
    marker = validation_marker(cache_dir, digest)
    if marker.exists():
        return CheckedRules(load_rules(folder, check_tokens=False), [])
    rules = load_rules(folder)
    warnings = greedy_pattern_warnings(rules)
    write_text_atomically(marker, "")
    return CheckedRules(rules, warnings)


def failing_examples(rules: RuleSet) -> list[str]:
    """Every `match` / `no_match` example that its entry gets wrong, each described on one line.

    The examples run on a blank English tokenizer with the rules' currency prefixes, as in the pipeline.
    """
    import spacy

    from .tokenizer import customize_tokenizer

    nlp = spacy.blank("en")
    customize_tokenizer(nlp, rules.lexicon.get("currency_prefixes", []))
    return [failure for entry in rules.entries for failure in example_failures(entry, nlp)]


def relation_example_failures(nlp: Language) -> list[str]:
    """Every relation example its rule gets wrong in `nlp` (a pipeline with `policy_relations`), one line each.

    A listed [head, child] pair must be related with the rule's label in the pipeline and by the
    rule alone (so that it is that rule's example, not another's); a `no_relation` pair by none.
    """
    from .components.relations import RelationExtractor
    from .nlp import RELATIONS_PIPE

    component = cast(RelationExtractor, nlp.get_pipe(RELATIONS_PIPE))
    failures = []
    for rule in component.rules:
        alone = RelationExtractor(nlp, rule.id, spans_key=component.spans_key, parser_model=component.parser_model)
        alone.use_parser(component.parser)
        alone.set_rules([rule])
        for example in rule.examples:
            found, by_rule = related_texts(nlp(example.text)), related_texts(alone(nlp(example.text)))
            for head, child in example.relations:
                if (head, rule.label, child) not in found or (head, rule.label, child) not in by_rule:
                    failures.append(
                        f"{rule.id}: {example.text!r} should relate {head!r} -{rule.label}-> {child!r}; "
                        f"the pipeline found {sorted(found)}, the rule alone {sorted(by_rule)}"
                    )
            for head, child in example.no_relation:
                wrong = sorted(triple for triple in found if (triple[0], triple[2]) == (head, child))
                if wrong:
                    failures.append(f"{rule.id}: {example.text!r} should not relate {head!r} and {child!r}: {wrong}")
    return failures


def related_texts(doc: Doc) -> set[tuple[str, str, str]]:
    """The relations of a doc as (head text, label, child text)."""
    text = doc.text
    return {
        (
            text[relation["head_span"]["start"] : relation["head_span"]["end"]],
            relation["label"],
            text[relation["child_span"]["start"] : relation["child_span"]["end"]],
        )
        for relation in doc._.relations or []
    }
