"""Shared fixtures: the real model pipeline is built once per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import spacy
from hypothesis import settings
from spacy.language import Language

from pipeline.nlp import build_nlp
from pipeline.patterns import RuleSet, load_rules
from pipeline.tokenizer import customize_tokenizer
from pipeline.types import PipelineSettings

ROOT = Path(__file__).resolve().parent.parent
PATTERNS_DIR = ROOT / "patterns"
CORPUS_DIR = ROOT / "corpus"

# Tests never write into the checkout: no .hypothesis/ example database beside the sources.
settings.register_profile("policy-extract", database=None)
settings.load_profile("policy-extract")


# Tests of the run's machinery (engines, cache, faults) read this many corpus articles, so the
# suite's time does not grow with the corpus; the end-to-end tests read all of it.
SAMPLE_ARTICLES = 6


@pytest.fixture(scope="session")
def article_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a copy of the first SAMPLE_ARTICLES corpus articles (one article a file)."""
    folder = tmp_path_factory.mktemp("article-sample")
    for path in sorted((CORPUS_DIR / "articles").glob("*.md"))[:SAMPLE_ARTICLES]:
        shutil.copy2(path, folder / path.name)
    return folder


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return load_rules(PATTERNS_DIR)


@pytest.fixture(scope="session")
def blank_nlp(rules: RuleSet) -> Language:
    """A tokenizer-only pipeline with the project's tokenizer settings, for unit tests."""
    nlp = spacy.blank("en")
    customize_tokenizer(nlp, rules.lexicon.get("currency_prefixes", []))
    return nlp


@pytest.fixture(scope="session")
def nlp(rules: RuleSet) -> Language:
    """The full extraction pipeline on the real model."""
    return build_nlp(PipelineSettings(patterns_dir=PATTERNS_DIR), rules)
