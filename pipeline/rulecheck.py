"""Checking a rule set before it is used: spaCy's validation of its token patterns, and its examples.

Validating every token pattern with spaCy's schema costs an import of spaCy and a second or so;
a run does it once per exact set of pattern files and spaCy version, and leaves a marker in
its cache so that a warm re-run starts without spaCy. `check-patterns` runs every entry's
`match` / `no_match` examples on the tokenizer the pipeline uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

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
