"""Saved web pages (`.html`, `.htm`, `.html.gz`) in: the article's main text and its metadata.

Trafilatura finds the main text (navigation, cookie banners, share buttons, related-article lists
and footers stay out; lists and tables inside the article stay in) and the title, author, site
name and canonical URL. The date comes from htmldate, in two steps so that `date_source` can say
which evidence it rests on: first the page's metadata alone (meta tags, JSON-LD, the canonical
URL) -> "html-meta"; failing that, htmldate's extensive search of the visible page (bylines,
`<time>` elements, free text) -> "html-text". Scripts are never run: trafilatura parses the markup
and drops `<script>` elements before it reads any text.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from pathlib import Path
from typing import Any

import htmldate
import lxml.etree
import lxml.html
import trafilatura
from trafilatura.settings import Document as PageExtraction

from ..errors import ArticleError, Messages, shown_path
from .base import MONTH_NAMES
from .document import Document

# A page larger than this is not one article (or is a decompression bomb); issue 12 asks that a 50 MB page is refused.
MAX_PAGE_BYTES = 20 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
PDF_MAGIC = b"%PDF-"
# How much of a too-large gzip page is decompressed just to report its size; beyond it the message shows this floor.
MAX_COUNTED_BYTES = 50 * MAX_PAGE_BYTES
READ_CHUNK_BYTES = 1024 * 1024
ISO_DATE = "%Y-%m-%d"

# Elements that describe the page rather than show it: what "the page's metadata" means for the date and its source.
METADATA_XPATH = (
    '//meta | //head/title | //link[@rel="canonical"]'
    ' | //script[@type="application/ld+json" or @type="application/settings+json"]'
)
# In recall mode trafilatura falls back to whatever text a page has, so a page without an article still gives a
# few words of menu, banner or share links; the shortest real article (a news brief) has several sentences.
MIN_ARTICLE_WORDS = 30
# A markdown table rule ("|---|---|") that trafilatura writes under a header row: layout, not text.
TABLE_RULE = re.compile(r"^\|?(?:\s*:?-{3,}:?\s*\|)+\s*$")
# A metadata title often adds the site's name; the page's own headline is then a prefix of it, near the top.
HEADLINE_SEARCH_PARAGRAPHS = 3
# An <h1> of one or two words is a logo or section name ("Analysis"), not a headline.
MIN_HEADLINE_WORDS = 3
MIN_HEADLINE_PREFIX = 12
# A byline is short, near the top, opens with "By" and, unlike a sentence that opens so, names the author
# or ends without a full stop.
BYLINE_SEARCH_PARAGRAPHS = 4
MAX_BYLINE_CHARACTERS = 120
BYLINE_START = re.compile(r"^(?:(?:written|words|text|reporting)\s+)?by\s+\S", re.IGNORECASE)
SENTENCE_ENDS = (".", "!", "?", ".\u201d", '."')
# A month as a date may write it: its name, or its first three letters ("Mar", "March").
MONTH_PATTERNS = tuple(f"{name[:3]}(?:{name[3:]})?" if len(name) > 3 else name for name in MONTH_NAMES)
LANGUAGE_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*$")


def read(raw: bytes, path: Path) -> Document:
    """Read one saved web page: its article text (headline first) and metadata with their sources.

    Args:
        raw: The file's bytes (gzip-compressed when they start with the gzip magic number).
        path: Where the bytes came from, for messages.

    Returns:
        The article text, paragraphs separated by a blank line and the headline first, with `meta`
        (`title`, `author`, `date` as YYYY-MM-DD, `date_source`, `source`, `url`, `language`, those found)
        and `sources` naming for each key where it was found ("html-meta" or "html-text").

    Raises:
        ArticleError: The page is too large (A022), really a PDF (A021), a damaged gzip file (A012),
            or has no article text (A017: fewer than MIN_ARTICLE_WORDS words besides the headline).
    """
    html = _page_bytes(raw, path)
    tree = _parse(html, path)
    # Read before trafilatura, which may clean the tree in place.
    metadata_page = _metadata_page(tree)
    language = _language(tree)
    page_headline = _page_headline(tree)
    extraction = _extract(tree, path)
    if page_headline and page_headline != extraction.sitename:
        extraction.title = page_headline
    text = _article_text(extraction.text or "", extraction.title, extraction.author)
    if len(text.split()) - len((extraction.title or "").split()) < MIN_ARTICLE_WORDS:
        raise ArticleError(str(path), Messages.A017.format(path=shown_path(path)))
    searched_date = _stated_date(extraction.date, html.decode("utf-8", "replace"))
    meta, sources = _page_metadata(extraction, text, metadata_page, language, searched_date)
    return Document(text=text, meta=meta, sources=sources)


def _page_bytes(raw: bytes, path: Path) -> bytes:
    """The page's HTML bytes: size-checked, gunzipped when compressed, and refused when really a PDF.

    Raises:
        ArticleError: More than MAX_PAGE_BYTES before or after decompression (A022), a PDF (A021),
            or a damaged gzip stream (A012).
    """
    _check_size(len(raw), path)
    if raw.startswith(GZIP_MAGIC):
        raw = _gunzip(raw, path)
    if raw.lstrip()[: len(PDF_MAGIC)] == PDF_MAGIC:
        raise ArticleError(
            str(path), Messages.A021.format(path=shown_path(path), actual="a PDF", expected="a web page")
        )
    return raw


def _check_size(size: int, path: Path) -> None:
    """Raises ArticleError (A022) when a page of `size` bytes is over the limit."""
    if size > MAX_PAGE_BYTES:
        message = Messages.A022.format(path=shown_path(path), size=size, limit=MAX_PAGE_BYTES, kind="web page")
        raise ArticleError(str(path), message)


def _gunzip(raw: bytes, path: Path) -> bytes:
    """Decompress a gzip page, never holding more than MAX_PAGE_BYTES + 1 of it in memory.

    Raises:
        ArticleError: The page decompresses to more than MAX_PAGE_BYTES (A022) or the stream is damaged (A012).
    """
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            html = stream.read(MAX_PAGE_BYTES + 1)
            if len(html) > MAX_PAGE_BYTES:
                _check_size(_count_rest(stream, len(html)), path)
    except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
        problem = f"not a complete gzip file ({error or type(error).__name__})"
        raise ArticleError(str(path), Messages.A012.format(path=shown_path(path), problem=problem)) from error
    return html


def _count_rest(stream: gzip.GzipFile, counted: int) -> int:
    """The decompressed size of a too-large page, for its message; counting stops at MAX_COUNTED_BYTES."""
    while counted < MAX_COUNTED_BYTES:
        chunk = stream.read(READ_CHUNK_BYTES)
        if not chunk:
            break
        counted += len(chunk)
    return counted


def _parse(html: bytes, path: Path) -> lxml.html.HtmlElement:
    """Parse the page (trafilatura detects its charset), never running its scripts.

    Raises:
        ArticleError: Nothing parseable as HTML (A017).
    """
    try:
        tree = trafilatura.load_html(html)
    except (ValueError, TypeError, lxml.etree.LxmlError) as error:
        raise ArticleError(str(path), Messages.A017.format(path=shown_path(path))) from error
    if tree is None:
        raise ArticleError(str(path), Messages.A017.format(path=shown_path(path)))
    return tree


def _metadata_page(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """A page holding only the original's metadata elements, so htmldate cannot find a date in the visible text."""
    head = "".join(
        lxml.html.tostring(element, encoding="unicode", with_tail=False) for element in tree.xpath(METADATA_XPATH)
    )
    return lxml.html.document_fromstring(f"<html><head>{head}</head><body></body></html>")


def _page_headline(tree: lxml.html.HtmlElement) -> str | None:
    """The page's one `<h1>` of a few words: the headline as the reader sees it, or None.

    Trafilatura's title prefers the metadata (JSON-LD `headline`, `og:title`), which may be a
    search-engine wording that differs from the page's own; a page with several `<h1>` has none that is surely it.
    """
    headings = tree.xpath("//h1")
    if len(headings) != 1:
        return None
    headline = _squeeze(headings[0].text_content())
    return headline if len(headline.split()) >= MIN_HEADLINE_WORDS else None


def _extract(tree: lxml.html.HtmlElement, path: Path) -> PageExtraction:
    """Trafilatura's main text and metadata of the page; the date is searched extensively (byline, free text).

    Raises:
        ArticleError: Trafilatura finds no main text (A017).
    """
    try:
        extraction = trafilatura.bare_extraction(
            tree,
            favor_recall=True,
            include_tables=True,
            include_comments=False,
            include_links=False,
            include_images=False,
            include_formatting=False,
            with_metadata=True,
            date_extraction_params={"extensive_search": True, "original_date": True, "outputformat": ISO_DATE},
        )
    except (ValueError, TypeError, lxml.etree.LxmlError, RecursionError) as error:
        raise ArticleError(str(path), Messages.A017.format(path=shown_path(path))) from error
    if not isinstance(extraction, PageExtraction):
        raise ArticleError(str(path), Messages.A017.format(path=shown_path(path)))
    return extraction


def _article_text(text: str, title: str | None, author: str | None = None) -> str:
    """Trafilatura's text as paragraphs separated by a blank line, the headline first, no byline.

    Every line trafilatura writes is a block of the page (paragraph, heading, list item, table row),
    so each becomes a paragraph. When the headline appears among them it moves to the front (a
    section label may precede it on the page); otherwise it is prepended. Trafilatura drops a byline
    marked as one (class "byline", "author"); an unmarked one near the top is dropped here.

    >>> _article_text("Kicker\\nA headline\\nBody one.\\n|---|---|\\n| a | b |", "A headline")
    'A headline\\n\\nKicker\\n\\nBody one.\\n\\n| a | b |'
    >>> _article_text("Body.", "Title")
    'Title\\n\\nBody.'
    """
    paragraphs = [_squeeze(line) for line in text.splitlines()]
    paragraphs = [line for line in paragraphs if line and not TABLE_RULE.match(line)]
    paragraphs = [
        line
        for index, line in enumerate(paragraphs)
        if index >= BYLINE_SEARCH_PARAGRAPHS or not _is_byline(line, author)
    ]
    if not paragraphs:
        return ""
    headline = _squeeze(title or "")
    if headline:
        shown = _shown_headline(paragraphs, headline)
        if shown is None:
            paragraphs.insert(0, headline)
        else:
            paragraphs.insert(0, paragraphs.pop(shown))
    return "\n\n".join(paragraphs)


def _shown_headline(paragraphs: list[str], headline: str) -> int | None:
    """Where the page shows the headline: the paragraph equal to it, or, near the top, the page's `<h1>`
    wording of a metadata title that adds the site's name ("Headline | Site"); None when not shown.

    >>> _shown_headline(["Analysis", "Grid money flows", "Body."], "Grid money flows | Think Tank")
    1
    """
    if headline in paragraphs:
        return paragraphs.index(headline)
    for index, paragraph in enumerate(paragraphs[:HEADLINE_SEARCH_PARAGRAPHS]):
        if len(paragraph) >= MIN_HEADLINE_PREFIX and headline.startswith(paragraph):
            return index
    return None


def _is_byline(paragraph: str, author: str | None) -> bool:
    """Whether a paragraph is a byline ("By Jane Doe | 4 March 2025"), not a sentence ("By July, the Bank ...").

    >>> _is_byline("By Jane Doe | 4 March 2025", None), _is_byline("By July, the Bank will lend more.", None)
    (True, False)
    """
    if len(paragraph) > MAX_BYLINE_CHARACTERS or not BYLINE_START.match(paragraph):
        return False
    return bool(author and author in paragraph) or not paragraph.endswith(SENTENCE_ENDS)


def _squeeze(text: str) -> str:
    """Whitespace runs (also non-breaking spaces) to one space, ends stripped."""
    return " ".join(text.split())


def _page_metadata(
    extraction: PageExtraction,
    text: str,
    metadata_page: lxml.html.HtmlElement,
    language: str | None,
    searched_date: str | None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The article's metadata and, for each key, where it came from.

    A value found in the page's metadata elements (meta tags, JSON-LD, `<title>`, canonical link)
    is "html-meta"; one trafilatura read from the visible page (a byline, an `<h1>`) is "html-text".
    """
    metadata_text = _squeeze(" ".join(metadata_page.xpath("//@content | //@href | //text()")))
    meta: dict[str, Any] = {}
    sources: dict[str, str] = {}
    found = {
        "title": text.split("\n\n", 1)[0] if extraction.title else None,
        "author": extraction.author,
        "source": extraction.sitename,
        "url": extraction.url,
    }
    for key, value in found.items():
        if value:
            meta[key] = _squeeze(value)
            sources[key] = "html-meta" if meta[key] in metadata_text else "html-text"
    if language:
        meta["language"], sources["language"] = language, "html-meta"
    date, date_source = _date(metadata_page, searched_date)
    if date:
        meta["date"], sources["date"] = date, date_source
    meta["date_source"] = date_source
    return meta, sources


def _date(metadata_page: lxml.html.HtmlElement, searched_date: str | None) -> tuple[str | None, str]:
    """The publication date and its DATE_SOURCES name: the metadata's first, else the visible page's.

    `searched_date` is htmldate's extensive search over the whole page (run by trafilatura);
    the metadata-only search runs on the small page of metadata elements.
    """
    try:
        meta_date = htmldate.find_date(metadata_page, extensive_search=False, original_date=True, outputformat=ISO_DATE)
    except (ValueError, TypeError, lxml.etree.LxmlError):
        meta_date = None
    if meta_date:
        return meta_date, "html-meta"
    if searched_date:
        return searched_date, "html-text"
    return None, "none"


def _stated_date(date: str | None, page: str) -> str | None:
    """The date htmldate's extensive search found, unless it is a guess from a year or a month alone.

    For "Copyright 2025" or "March 2025" htmldate answers the first of the month (2025-01-01,
    2025-03-01); a publication date that coarse would anchor "last month" wrongly, so a first of
    the month stands only when the page writes that day (ISO, numeric, or "1 March" / "March 1st").

    >>> _stated_date("2025-01-01", "<p>Copyright 2025</p>"), _stated_date("2025-03-01", "<p>1 March 2025</p>")
    (None, '2025-03-01')
    """
    if not date or not date.endswith("-01"):
        return date
    year, month = int(date[:4]), int(date[5:7])
    numeric = (
        rf"{year}[-/.]0?{month}[-/.]0?1(?!\d)|(?<!\d)0?1[-/.]0?{month}[-/.]{year}|(?<!\d)0?{month}[-/.]0?1[-/.]{year}"
    )
    name = MONTH_PATTERNS[month - 1]
    written = rf"\b0?1(?:st)?\s+(?:of\s+)?{name}|\b{name}\.?\s+0?1(?:st)?\b"
    return date if re.search(f"{numeric}|{written}", page, re.IGNORECASE) else None


def _language(tree: lxml.html.HtmlElement) -> str | None:
    """The page's declared language as a lower-case ISO 639 code ("en" for `<html lang="en-GB">`), or None.

    >>> _language(lxml.html.document_fromstring('<html lang="en-GB"><body><p>x</p></body></html>'))
    'en'
    """
    declared = tree.xpath(
        "/html/@lang | /html/@xml:lang"
        ' | //meta[translate(@http-equiv, "CONTENT-LANGUAGE", "content-language") = "content-language"]/@content'
        ' | //meta[@property="og:locale"]/@content',
        namespaces={"xml": "http://www.w3.org/XML/1998/namespace"},
    )
    for value in declared:
        match = LANGUAGE_TAG.match(str(value).strip())
        if match:
            return match.group(1).lower()
    return None
