"""The PDF reader: a brief's text, read with pypdfium2 and repaired from its layout (`pdf_layout`), and its metadata.

Title from the document info, else the first heading; author from the info, else a byline; date from a
dateline or byline on the first page (`pdf-text`), else the PDF's creation date (`pdf-info`, less sure).
A scanned, encrypted, corrupt or oversize PDF, or a web page named `.pdf`, is refused with one line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ..errors import ArticleError, Messages, shown_path
from .base import MONTHS
from .document import Document
from .pdf_layout import (
    Char,
    Line,
    Page,
    drop_running_lines,
    group_chars,
    join_lines,
    merge_fragments,
    order_columns,
    repair_characters,
)

# A PDF brief is a few MB; 50 MB is a scanned book or an image dump, not one article.
MAX_PDF_BYTES = 50 * 1024 * 1024
# The date of a brief is looked for in its first page's first lines (dateline or byline).
DATELINE_LINES = 15
# A title from the document info longer than this is a description, not a title.
MAX_TITLE_CHARS = 300

_MONTH = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
DAY_MONTH_YEAR = re.compile(rf"\b{_DAY}\s+{_MONTH},?\s+(\d{{4}})\b", re.IGNORECASE)
MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+(\d{{4}})\b", re.IGNORECASE)
ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})(\d{2})")
# What may stand beside the date on a dateline ("Published: 4 March 2025", "Updated on March 4, 2025 |").
DATELINE_WORDS = re.compile(r"^(?:published|updated|posted|issued|released|dated|date|on|as of|[\s|:·•,–—-])*$", re.I)
# A byline: "By" (capitalized: "by the end of June" is text) and capitalized names, then a separator or the end.
BYLINE = re.compile(
    r"^(?:By|BY)\s+(?P<names>[A-Z][\w.'-]*(?:\s+(?:[A-Z][\w.'-]*|and|&|de|van|von|bin|al))*)\s*(?:[|·•,–—-]|$)"
)
MAX_BYLINE_WORDS = 10
# A document-info title that is only a file name or an editor's placeholder says nothing about the brief.
JUNK_TITLE = re.compile(r"^(?:untitled.*|microsoft word - .*|.*\.(?:docx?|pdf|odt|rtf|indd|tex|pptx?))$", re.I)


# ---------------------------------------------------------------------------------------------------------------
# Metadata


def find_date(text: str) -> str | None:
    """The first explicit calendar date in `text`, as YYYY-MM-DD, or None.

    >>> find_date("4 March 2025"), find_date("Published March 4, 2025"), find_date("on 2025-03-04")
    ('2025-03-04', '2025-03-04', '2025-03-04')
    >>> find_date("March 2025") is None
    True
    """
    found: list[tuple[int, str]] = []
    for pattern, order in ((DAY_MONTH_YEAR, "dmy"), (MONTH_DAY_YEAR, "mdy"), (ISO_DATE, "ymd")):
        for match in pattern.finditer(text):
            parts = dict(zip(order, match.groups(), strict=True))
            iso = _iso_day(parts["y"], parts["m"], parts["d"])
            if iso:
                found.append((match.start(), iso))
    return min(found)[1] if found else None


def _iso_day(year: str, month: str, day: str) -> str | None:
    number = MONTHS.get(month.lower().rstrip(".")) if not month.isdigit() else int(month)
    try:
        return dt.date(int(year), number or 0, int(day)).isoformat()
    except ValueError:
        return None


def pdf_info_date(value: str) -> str | None:
    """The day of a PDF info date ("D:20250304120000+05'30'") as YYYY-MM-DD, or None.

    >>> pdf_info_date("D:20250304120000+05'30'"), pdf_info_date("D:2025"), pdf_info_date("")
    ('2025-03-04', None, None)
    """
    match = PDF_DATE.match(value.strip())
    return _iso_day(*match.groups()) if match else None


def is_dateline(text: str) -> bool:
    """Whether a line is only a date, with words such as "Published" or "Updated on" beside it.

    >>> is_dateline("4 March 2025"), is_dateline("Published: March 4, 2025"), is_dateline("On 4 March 2025 we met")
    (True, True, False)
    """
    rest = text
    for pattern in (DAY_MONTH_YEAR, MONTH_DAY_YEAR, ISO_DATE):
        rest = pattern.sub(" ", rest)
    return rest != text and bool(DATELINE_WORDS.match(rest))


def byline_author(text: str) -> str | None:
    """The names of a byline ("By Priya Sharma | 4 March 2025" -> "Priya Sharma"), or None.

    >>> byline_author("By Priya Sharma | 4 March 2025"), byline_author("By 2030, the plan ends.")
    ('Priya Sharma', None)
    """
    match = BYLINE.match(text)
    if not match or len(text.split()) > MAX_BYLINE_WORDS or text.rstrip().endswith("."):
        return None
    names = match.group("names").strip()
    return names or None


def drop_front_furniture(lines: Sequence[Line]) -> tuple[list[Line], str | None]:
    """The lines without the first page's dateline and byline, and the byline's author if there is one.

    Only among the first DATELINE_LINES lines of the first page: further down, a date alone on a line
    is part of the text (a table, a timeline).
    """
    first_page = lines[0].page if lines else 0
    kept: list[Line] = []
    author = None
    for index, line in enumerate(lines):
        if index < DATELINE_LINES and line.page == first_page:
            names = byline_author(line.text)
            if names or is_dateline(line.text):
                author = author or names
                continue
        kept.append(line)
    return kept, author


def document_title(info: dict[str, str]) -> str | None:
    """The document info's title, unless it is empty, a file name or a placeholder ("Untitled")."""
    title = " ".join(repair_characters(info.get("Title", "")).split())
    if not title or len(title) > MAX_TITLE_CHARS or JUNK_TITLE.match(title):
        return None
    return title


def build_document(pages: Sequence[Page], info: dict[str, str], path: Path) -> Document:
    """The article of a PDF's pages (lines in pdfium's order) and its document info.

    Raises:
        ArticleError: when more than half the pages have no text, so the PDF is a scan (A018).
    """
    if not pages or sum(1 for page in pages if not page.lines) > len(pages) / 2:
        raise ArticleError(str(path), Messages.A018.format(path=shown_path(path)))
    first_page = next(page for page in pages if page.lines)
    first_lines = "\n".join(line.text for line in first_page.lines[:DATELINE_LINES])
    cleaned = [order_columns(page) for page in drop_running_lines(pages)]
    ordered = merge_fragments([line for page in cleaned for line in page.lines])
    lines, byline = drop_front_furniture(ordered)
    paragraphs = join_lines(lines)
    if not paragraphs:
        raise ArticleError(str(path), Messages.A018.format(path=shown_path(path)))
    meta: dict[str, Any] = {}
    sources: dict[str, str] = {}
    title = document_title(info)
    if title:
        meta["title"], sources["title"] = title, "pdf-info"
    elif len(paragraphs[0]) <= MAX_TITLE_CHARS:
        meta["title"], sources["title"] = paragraphs[0], "pdf-text"
    author = " ".join(repair_characters(info.get("Author", "")).split())
    if author or byline:
        meta["author"], sources["author"] = (author, "pdf-info") if author else (byline, "pdf-text")
    text_date = find_date(first_lines)
    info_date = pdf_info_date(info.get("CreationDate", ""))
    if text_date or info_date:
        meta["date"], sources["date"] = (text_date, "pdf-text") if text_date else (info_date, "pdf-info")
    meta["date_source"] = sources.get("date", "none")
    return Document(text="\n\n".join(paragraphs), meta=meta, sources=sources)


# ---------------------------------------------------------------------------------------------------------------
# pypdfium2


def read(raw: bytes, path: Path) -> Document:
    """The article of a PDF brief: repaired text, title, author and date with where each came from.

    Raises:
        ArticleError: The file is over MAX_PDF_BYTES (A022), a web page (A021), encrypted (A019),
            damaged (A020), or has no text layer (A018).
    """
    _check_bytes(raw, path)
    pdf = _open(raw, path)
    try:
        pages = [_read_page(pdf, number, path) for number in range(len(pdf))]
        info = {key: str(value) for key, value in pdf.get_metadata_dict(skip_empty=True).items()}
    except pdfium.PdfiumError as error:
        raise _not_readable(path, error) from error
    finally:
        pdf.close()
    return build_document(pages, info, path)


def _check_bytes(raw: bytes, path: Path) -> None:
    """Refuse what is no PDF before pdfium sees it: too large (A022), a web page (A021), nothing (A020)."""
    if len(raw) > MAX_PDF_BYTES:
        message = Messages.A022.format(path=shown_path(path), size=len(raw), limit=MAX_PDF_BYTES, kind="PDF")
        raise ArticleError(str(path), message)
    # A PDF starts with "%PDF-"; a page saved with a .pdf name starts with "<!doctype", "<html" or "<?xml".
    if raw[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        message = Messages.A021.format(path=shown_path(path), actual="a web page", expected="a PDF")
        raise ArticleError(str(path), message)
    if not raw.strip():
        raise ArticleError(str(path), Messages.A020.format(path=shown_path(path), problem="the file is empty"))


def _open(raw: bytes, path: Path) -> pdfium.PdfDocument:
    """The PDF opened by pdfium.

    Raises:
        ArticleError: when it needs a password (A019) or pdfium cannot load it (A020).
    """
    try:
        return pdfium.PdfDocument(raw)
    except pdfium.PdfiumError as error:
        if getattr(error, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            raise ArticleError(str(path), Messages.A019.format(path=shown_path(path))) from error
        raise _not_readable(path, error) from error


def _not_readable(path: Path, error: Exception) -> ArticleError:
    problem = " ".join(str(error).split()).rstrip(".") or type(error).__name__
    return ArticleError(str(path), Messages.A020.format(path=shown_path(path), problem=problem))


def _read_page(pdf: pdfium.PdfDocument, number: int, path: Path) -> Page:
    """One page's size and lines, from its characters and their loose boxes (the font's full height)."""
    page = pdf[number]
    try:
        width, height = page.get_size()
        textpage = page.get_textpage()
        try:
            lines = group_chars(_page_chars(textpage), number)
        finally:
            textpage.close()
    finally:
        page.close()
    return Page(number=number, width=width, height=height, lines=tuple(lines))


def _page_chars(textpage: pdfium.PdfTextPage) -> list[Char]:
    """The page's characters with their boxes, through the raw API: one call per character, not three."""
    handle = textpage.raw
    rect = pdfium_c.FS_RECTF()
    chars: list[Char] = []
    for index in range(pdfium_c.FPDFText_CountChars(handle)):
        char = chr(pdfium_c.FPDFText_GetUnicode(handle, index))
        if char.isspace() or not pdfium_c.FPDFText_GetLooseCharBox(handle, index, rect):
            chars.append((char, None))
        else:
            chars.append((char, (rect.left, rect.bottom, rect.right, rect.top)))
    return chars
