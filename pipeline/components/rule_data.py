"""The rule data the components are configured from, and how it travels with a saved pipeline.

As spaCy's `span_ruler` does with its patterns, a component starts from data (here the rule
set packaged with the tool, so `nlp.add_pipe("policy_money")` works with no configuration),
takes other data through `initialize(rules=...)` (in a training config, from the registered
reader `policy_extract.rules.v1`), and writes what it holds with `to_disk` / `to_bytes`, so a
saved pipeline needs neither the YAML files nor the folder they came from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import Any

import srsly
from spacy.util import registry

from ..errors import Messages, PatternFileError
from ..patterns import RuleSet, load_rules
from ..vocabulary import Vocabulary, vocabulary_from_dict

VOCABULARY_FILE = "vocabulary.json"


@cache
def packaged_rules() -> RuleSet:
    """The rule set shipped with the tool, read once per process.

    Its token patterns are not re-validated here: the test suite and `check-patterns` run them.
    """
    return load_rules(None, check_tokens=False)


@registry.misc("policy_extract.rules.v1")
def read_rules(path: str | None = None) -> RuleSet:
    """A config reader for `[initialize.components.*.rules]`: the rule set in folder `path` (default: packaged)."""
    return load_rules(Path(path)) if path else packaged_rules()


def rules_vocabulary(rules: RuleSet) -> Vocabulary:
    """The normalization vocabulary of a rule set; a set without one cannot configure dates or money."""
    if rules.vocabulary is None:
        folders = sorted({str(Path(entry.path).parent) for entry in rules.entries}) or ["the rule set"]
        raise PatternFileError(Messages.P013.format(path=", ".join(folders)))
    return rules.vocabulary


class VocabularyComponent:
    """A component configured by the normalization vocabulary alone (`policy_dates`, `policy_money`)."""

    vocabulary: Vocabulary

    def __init__(self) -> None:
        self.vocabulary = rules_vocabulary(packaged_rules())

    def initialize(
        self, get_examples: Callable[[], Iterable[Any]] | None = None, *, nlp: Any = None, rules: RuleSet | None = None
    ) -> None:
        """Take the vocabulary of `rules` (default: the packaged rule set)."""
        self.vocabulary = rules_vocabulary(rules or packaged_rules())

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return srsly.msgpack_dumps({"vocabulary": asdict(self.vocabulary)})

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> VocabularyComponent:
        self.vocabulary = vocabulary_from_dict("<bytes>", srsly.msgpack_loads(data)["vocabulary"])
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        srsly.write_json(directory / VOCABULARY_FILE, asdict(self.vocabulary))

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> VocabularyComponent:
        file = Path(path) / VOCABULARY_FILE
        self.vocabulary = vocabulary_from_dict(file, srsly.read_json(file))
        return self
