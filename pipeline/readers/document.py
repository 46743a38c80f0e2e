"""What a reader makes of one input file: the article text, its metadata, and where each value came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Where an article's date came from (`meta.date_source`), most trusted first.
DATE_SOURCES = ("front-matter", "metadata-file", "html-meta", "html-text", "pdf-text", "pdf-info", "none")


@dataclass(frozen=True)
class Document:
    """An input file read: its article text (the text offsets refer to) and its metadata.

    `meta` holds what the file says about itself (`title`, `author`, `date` as YYYY-MM-DD,
    `source`, `url`, `language`, ...); `sources` names, for each key of `meta`, where its
    value was found ("html-meta", "html-text", "pdf-info", "pdf-text", "front-matter", ...).
    """

    text: str
    meta: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
