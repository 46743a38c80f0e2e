"""The layout repair of a PDF's text: from characters with boxes to paragraphs, page by page.

PDF text extraction gives characters with positions, not paragraphs. The repair runs in small pure
steps over simple line records (`Line`: text and box on one page), so each step is testable without a PDF:

1. `group_chars`: a page's characters, in pdfium's order, into lines (a new line where pdfium breaks the
   line, where a character is not on the current line, or across a gap wide enough to be a column gutter).
2. `drop_running_lines`: headers, footers and page numbers repeated at the edge of most pages go.
3. `order_columns`: a two-column page is read left column, then right column; full-width lines (a title,
   a table caption) stay in place between the column bands; `merge_fragments` rejoins the pieces of one line
   that step 1 cut at a wide gap which is no gutter (a stretched space of justified text).
4. `join_lines`: lines into paragraphs; a hyphen at a line end is kept only in a real compound
   (`join_hyphenated`).
Characters are repaired line by line first (`repair_characters`): ligatures, odd spaces, soft hyphens.

Coordinates are PDF points with the origin at the page's bottom left: `y1` is a line's top, `y0` its bottom.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

# A line box: left, bottom, right, top.
Box = tuple[float, float, float, float]
# One character as pdfium gives it: its text and its box (None for spaces and line breaks pdfium generates).
Char = tuple[str, Box | None]

# Two characters are on one line when their boxes overlap by this share of the smaller height.
SAME_LINE_OVERLAP = 0.5
# A horizontal gap wider than this many line heights inside one line is a column gutter, not a word space
# (justified text rarely stretches a space past one em; a gutter is rarely under 1.5 em).
GUTTER_GAP = 1.5
# Running headers and footers are looked for among this many lines at the top and at the bottom of a page.
EDGE_LINES = 2
# A masked edge line repeated on at least this share of the pages (and on two or more) is a running line.
RUNNING_SHARE = 0.5
# How far (points) a running line's top may move from page to page (a header a line lower on page 1).
RUNNING_DRIFT = 12.0
# A two-column page: the gutter is looked for in this middle band of the page width, ...
GUTTER_BAND = (0.3, 0.7)
# ... each column has at least this many lines, ...
MIN_COLUMN_LINES = 3
# ... and at least this share of the page's lines lies entirely on one side of the gutter.
COLUMN_LINE_SHARE = 0.7
# Line heights differing by more than this ratio are different type sizes (a heading, then body text).
HEADING_RATIO = 1.25
# A gap between lines larger than the usual leading by this share of a line height is a paragraph break.
PARAGRAPH_GAP = 0.5
# A first line indented by more than this many average character widths starts a paragraph.
INDENT_CHARS = 1.5

# Ligatures a font may map to one code point: NFKC splits exactly these into their letters.
LIGATURES = frozenset("\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06")
# Spaces that are not U+0020 (no-break, thin, narrow no-break, figure, em ...): a plain space each,
# so "₹\u202f10,000" reads "₹ 10,000" and the amount is still found.
ODD_SPACES = frozenset(
    "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
)
# Characters that carry no text: soft hyphen, zero-width space and joiners, byte-order mark.
INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")
# pdfium's marks of a hyphen it sees at a line end (U+0002, U+FFFE in its page text); Unicode's hyphens as ASCII.
HYPHENS = {"\x02": "-", "\ufffe": "-", "\u2010": "-", "\u2011": "-"}

# Compound parts that stand as words on their own: a line-end hyphen before or after one is a compound's
# ("state-owned", "long-term", "self-reliance"), unless the part after it is a suffix (below).
COMPOUND_FIRST = frozenset({
    "state", "long", "short", "high", "low", "well", "self", "cross", "non", "multi", "public", "private", "small",
    "medium", "large", "mid", "post", "pre", "anti", "one", "two", "three", "four", "five", "ten", "half", "full",
    "part", "year", "month", "week", "day", "time", "cost", "market", "policy", "government",
})  # fmt: skip
COMPOUND_SECOND = frozenset({
    "owned", "based", "led", "run", "term", "level", "scale", "wide", "making", "related", "specific", "oriented",
    "driven", "funded", "backed", "linked", "free", "friendly", "sector", "income", "year", "month", "old", "time",
    "up", "down", "off",
})  # fmt: skip
# Word endings a layout split leaves on the next line ("coopera-tion", "govern-ment", "state-ment").
SPLIT_SUFFIXES = (
    "tion", "tions", "sion", "sions", "ment", "ments", "ness", "ity", "ities", "ance", "ence", "ances", "ences",
    "ing", "ings", "able", "ible", "ally", "ous", "ive", "ives", "ure", "ures", "ogy", "ical", "ics", "ism",
    "ist", "ists", "ise", "ize", "ised", "ized", "ship", "ly", "al",
)  # fmt: skip
# A lone page number: "7", "- 7 -", "Page 7", "7 of 12", "Page 7 / 12", "vii".
PAGE_NUMBER = re.compile(
    r"^[-–—\s]*(?:page\s*)?"
    r"(?:\d+|(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3}))"
    r"(?:\s*(?:of|/)\s*\d+)?[-–—\s]*$",
    re.IGNORECASE,
)
LIST_ITEM = re.compile(r"^(?:[•▪◦●■\-–—*]\s|\(?\d{1,2}[.)]\s|\(?[a-z][.)]\s)")
TERMINAL = (".", "!", "?", ":", '"', "”", "’", ")")


@dataclass(frozen=True)
class Line:
    """One line of text on a page and its box (PDF points, origin bottom left).

    `column` is set by `order_columns`: 0 for a line of a one-column page or a full-width line, 1 and 2 for
    the left and right column of a two-column page. `lead_width` is the width of the line's first word as
    laid out (None when unknown: it is then estimated from the average character width).
    """

    text: str
    x0: float
    x1: float
    y0: float
    y1: float
    page: int
    column: int = 0
    lead_width: float | None = None

    @property
    def height(self) -> float:
        """The line's height, at least one point (a line of dots has next to none)."""
        return max(self.y1 - self.y0, 1.0)

    @property
    def char_width(self) -> float:
        """The average width of the line's characters."""
        return max(self.x1 - self.x0, 1.0) / max(len(self.text), 1)


@dataclass(frozen=True)
class Page:
    """A page's lines, in reading order once `order_columns` has run, and its size."""

    number: int
    width: float
    height: float
    lines: tuple[Line, ...]


# ---------------------------------------------------------------------------------------------------------------
# Characters


def repair_characters(text: str) -> str:
    """Text with ligatures split, odd spaces made plain, invisible characters and soft hyphens removed.

    Only the ligature code points go through NFKC: on the whole text NFKC would also rewrite "²", "½"
    and full-width forms, and move offsets for no gain.

    >>> repair_characters("e\ufb03cient \ufb01nance: \u20b9\u00a010,000 co\u00adoperation")
    'efficient finance: ₹ 10,000 cooperation'
    """
    out = []
    for char in text:
        if char in LIGATURES:
            out.append(unicodedata.normalize("NFKC", char))
        elif char in ODD_SPACES or char == "\t":
            out.append(" ")
        elif char in INVISIBLE:
            continue
        elif char in HYPHENS:
            out.append(HYPHENS[char])
        elif ord(char) < 0x20:
            continue
        else:
            out.append(char)
    return "".join(out)


def clean_line(text: str) -> str:
    """A line's text repaired and its spaces collapsed; a soft hyphen at its end stays, to mark a split word.

    >>> clean_line("  co\u00a0 opera\u00ad "), clean_line("Policy\u2009Brief")
    ('co opera\\xad', 'Policy Brief')
    """
    stripped = text.strip()
    soft_end = stripped.endswith("\u00ad")
    repaired = " ".join(repair_characters(stripped).split())
    return repaired + "\u00ad" if soft_end and repaired else repaired


def _fix_surrogates(text: str) -> str:
    """Pair the UTF-16 halves pdfium gives one by one for a character beyond the BMP."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


# ---------------------------------------------------------------------------------------------------------------
# Lines


def group_chars(chars: Iterable[Char], page: int) -> list[Line]:
    """A page's characters (in pdfium's order) grouped into lines.

    A line ends where pdfium puts a line break, where a character does not overlap the line vertically
    by SAME_LINE_OVERLAP of the smaller height (pdfium has not noticed the break), where it steps back by
    more than a line height, or across a horizontal gap of more than GUTTER_GAP line heights (text on the
    same baseline in two columns). Spaces without a box join the current line.
    """
    lines: list[Line] = []
    text: list[str] = []
    # The line's box so far, kept as four floats: this loop runs once per character of the document.
    left = bottom = right = top = 0.0
    open_line = False
    first_word_end: float | None = None

    def close() -> None:
        nonlocal text, open_line, first_word_end
        cleaned = clean_line(_fix_surrogates("".join(text)))
        if open_line and cleaned:
            lead = (first_word_end if first_word_end is not None else right) - left
            lines.append(Line(cleaned, left, right, bottom, top, page, lead_width=lead))
        text, open_line, first_word_end = [], False, None

    for char, char_box in chars:
        if char == "\r" or char == "\n":
            close()
        elif char_box is None or char.isspace():
            if open_line:
                text.append(char)
                if first_word_end is None:
                    first_word_end = right
        else:
            c_left, c_bottom, c_right, c_top = char_box
            if open_line:
                height = top - bottom if top - bottom > 1.0 else 1.0
                smaller = max(min(top - bottom, c_top - c_bottom), 0.1)
                overlap = min(top, c_top) - max(bottom, c_bottom)
                gap = c_left - right
                if overlap < SAME_LINE_OVERLAP * smaller or not -height < gap <= GUTTER_GAP * height:
                    close()
            if open_line:
                text.append(char)
                left, bottom = min(left, c_left), min(bottom, c_bottom)
                right, top = max(right, c_right), max(top, c_top)
            else:
                text.append(char)
                left, bottom, right, top = c_left, c_bottom, c_right, c_top
                open_line = True
    close()
    return lines


# ---------------------------------------------------------------------------------------------------------------
# Running headers, footers and page numbers


def running_key(text: str) -> str:
    """What stays of a line across pages: lower case, digits masked ("Page 3 of 9" -> "page # of #")."""
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def edge_lines(page: Page) -> list[Line]:
    """The EDGE_LINES topmost and bottommost lines of a page, where running heads and feet sit."""
    by_top = sorted(page.lines, key=lambda line: -line.y1)
    return list(dict.fromkeys(by_top[:EDGE_LINES] + by_top[-EDGE_LINES:]))


def drop_running_lines(pages: Sequence[Page]) -> list[Page]:
    """Pages without their running headers, footers and page numbers.

    A line among a page's edge lines is dropped when it is a lone page number, or when its text with
    digits masked is an edge line at about the same height (RUNNING_DRIFT) on at least RUNNING_SHARE of
    the pages, and on two or more: the first page's own header may differ, page numbers change from
    page to page, and a body line that happens to repeat ends a page at another height.
    """
    places: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for page in pages:
        for line in edge_lines(page):
            places[running_key(line.text)].append((page.number, line.y1))
    needed = max(2, RUNNING_SHARE * len(pages))

    def is_running(line: Line) -> bool:
        near = {number for number, top in places[running_key(line.text)] if abs(top - line.y1) <= RUNNING_DRIFT}
        return len(near) >= needed

    kept = []
    for page in pages:
        edges = set(edge_lines(page))
        lines = tuple(
            line for line in page.lines if line not in edges or not (PAGE_NUMBER.match(line.text) or is_running(line))
        )
        kept.append(replace(page, lines=lines))
    return kept


# ---------------------------------------------------------------------------------------------------------------
# Columns


def find_gutter(lines: Sequence[Line], width: float) -> float | None:
    """The x of a two-column page's gutter, or None for a one-column page.

    The gutter is the x in the middle band of the page crossed by the fewest lines; the page has two
    columns when at least MIN_COLUMN_LINES lines lie entirely on each side of it and COLUMN_LINE_SHARE
    of all its lines on one side or the other (a title or a wide table may cross it).
    """
    if len(lines) < 2 * MIN_COLUMN_LINES:
        return None
    best: tuple[int, float, float] | None = None
    x = GUTTER_BAND[0] * width
    while x <= GUTTER_BAND[1] * width:
        crossing = sum(1 for line in lines if line.x0 < x < line.x1)
        candidate = (crossing, abs(x - width / 2), x)
        best = candidate if best is None or candidate < best else best
        x += 1.0
    if best is None:
        return None
    gutter = best[2]
    left = sum(1 for line in lines if line.x1 <= gutter)
    right = sum(1 for line in lines if line.x0 >= gutter)
    two_columns = min(left, right) >= MIN_COLUMN_LINES and left + right >= COLUMN_LINE_SHARE * len(lines)
    return gutter if two_columns else None


def order_columns(page: Page) -> Page:
    """The page with its lines in reading order: a two-column page column by column.

    Lines are taken from the top down; the lines between two full-width lines form a band, read left
    column first, then right column; a full-width line (a title, a caption) stays where it is. A
    one-column page keeps pdfium's order, which follows the content stream.
    """
    gutter = find_gutter(page.lines, page.width)
    if gutter is None:
        return page
    ordered: list[Line] = []
    band: list[Line] = []

    def flush() -> None:
        ordered.extend(replace(line, column=1) for line in band if line.x1 <= gutter)
        ordered.extend(replace(line, column=2) for line in band if line.x1 > gutter)
        band.clear()

    for line in sorted(page.lines, key=lambda line: (-line.y1, line.x0)):
        if line.x0 < gutter < line.x1:
            flush()
            ordered.append(line)
        else:
            band.append(line)
    flush()
    return replace(page, lines=tuple(ordered))


def merge_fragments(lines: Sequence[Line]) -> list[Line]:
    """Lines in reading order with the pieces of one line rejoined.

    `group_chars` cuts a line at a gap wide enough to be a gutter; on a page without one (or within one
    column) such a gap is a stretched word space of justified text or a table's cell gap, so the pieces
    that follow each other on the same line of the same column are one line again.
    """
    merged: list[Line] = []
    for line in lines:
        last = merged[-1] if merged else None
        if last is not None and _same_line(last, line):
            merged[-1] = replace(
                last,
                text=f"{last.text} {line.text}",
                x1=max(last.x1, line.x1),
                y0=min(last.y0, line.y0),
                y1=max(last.y1, line.y1),
            )
        else:
            merged.append(line)
    return merged


def _same_line(left: Line, right: Line) -> bool:
    overlap = min(left.y1, right.y1) - max(left.y0, right.y0)
    return (
        left.page == right.page
        and left.column == right.column
        and right.x0 >= left.x1 - left.char_width
        and overlap >= SAME_LINE_OVERLAP * min(left.height, right.height)
    )


# ---------------------------------------------------------------------------------------------------------------
# Paragraphs and hyphens


def words_of(lines: Iterable[Line]) -> frozenset[str]:
    """The lower-case words written whole on the lines (hyphenated compounds too): a hyphen's evidence."""
    words = set()
    for line in lines:
        for token in line.text.split():
            word = token.strip(".,;:!?()[]{}\"'“”‘’").lower()
            if word:
                words.add(word)
    return frozenset(words)


def keep_hyphen(left: str, right: str, vocabulary: frozenset[str] = frozenset()) -> bool:
    """Whether a hyphen between `left` (line end) and `right` (next line's start) belongs to the word.

    In order: kept before a capital or a digit ("U.S.-India", "COVID-19") and after a capital or a
    period ("G-", "U.S.-"); then the document decides: kept when it writes "left-right" elsewhere,
    dropped when it writes "leftright"; then dropped when `right` is a word ending a layout split leaves
    ("coopera-tion", "state-ment"); kept when either part is a common compound part ("state-owned",
    "long-term"); dropped otherwise (a layout split is the likelier cause).

    Known failure: a compound of uncommon parts that the brief writes nowhere else loses its hyphen
    ("rupee-denominated" -> "rupeedenominated"), and a split word whose first part is in
    COMPOUND_FIRST and whose rest is no suffix keeps one ("pre-dict" stays "pre-dict").

    >>> keep_hyphen("coopera", "tion"), keep_hyphen("state", "owned"), keep_hyphen("U.S.", "India")
    (False, True, True)
    """
    if not left or not right:
        return True
    if right[0].isupper() or right[0].isdigit() or left[-1].isupper() or left[-1] in ".0123456789":
        return True
    bare_right = right.rstrip(".,;:!?)]}\"'”’").lower()
    bare_left = left.lower().split("-")[-1]
    if f"{left.lower()}-{bare_right}" in vocabulary:
        return True
    if f"{left.lower()}{bare_right}" in vocabulary:
        return False
    if bare_right in SPLIT_SUFFIXES:
        return False
    return bare_left in COMPOUND_FIRST or bare_right.split("-")[0] in COMPOUND_SECOND


def join_hyphenated(left: str, right: str, vocabulary: frozenset[str] = frozenset()) -> str:
    """Two line texts joined where the first ends in a hyphen (or a soft hyphen) after a letter.

    >>> join_hyphenated("closer coopera-", "tion between them"), join_hyphenated("the state-", "owned banks")
    ('closer cooperation between them', 'the state-owned banks')
    >>> join_hyphenated("the U.S.-", "India dialogue")
    'the U.S.-India dialogue'
    """
    head, _, word = left[:-1].rpartition(" ")
    head = f"{head} " if head else ""
    if left.endswith("\u00ad"):
        return f"{head}{word}{right}"
    next_word = right.split(" ", 1)[0]
    hyphen = "-" if keep_hyphen(word, next_word, vocabulary) else ""
    return f"{head}{word}{hyphen}{right}"


def ends_in_split(text: str) -> bool:
    """Whether a line ends in a hyphen (or soft hyphen) right after a letter or a period: a word goes on."""
    return len(text) >= 2 and text[-1] in "-\u00ad" and (text[-2].isalpha() or text[-2] == ".")


def join_lines(lines: Sequence[Line]) -> list[str]:
    """Lines in reading order rejoined into paragraphs.

    A paragraph ends between two lines when (see `is_paragraph_break`) the next line is a list item,
    is set in another type size, sits further below than the usual leading, or is indented; or when the
    first word of the next line would have fit at the end of this one (the writer broke the line, not the
    layout: the last line of a paragraph, a heading). Lines of one paragraph are joined with a space, or
    across a line-end hyphen by `join_hyphenated`.

    Known failure: a paragraph whose last line is (nearly) full and is the last line of a column or page
    runs on into the next column's first paragraph, unless that one is indented: nothing in the layout
    tells it from a paragraph that goes on (a sentence end there is the likelier of the two).
    """
    if not lines:
        return []
    leading = usual_leading(lines)
    frames = column_frames(lines)
    vocabulary = words_of(lines)
    paragraphs: list[str] = []
    current = lines[0].text
    for previous, line in pairwise(lines):
        if is_paragraph_break(previous, line, leading, frames):
            paragraphs.append(current.rstrip("\u00ad"))
            current = line.text
        elif ends_in_split(current):
            current = join_hyphenated(current, line.text, vocabulary)
        else:
            current = f"{current} {line.text}"
    paragraphs.append(current.rstrip("\u00ad"))
    return paragraphs


def directly_below(upper: Line, lower: Line) -> bool:
    """Whether `lower` is the next line down in the same column (same page, below, overlapping in x)."""
    return (
        upper.page == lower.page
        and lower.y1 <= upper.y0 + 0.5 * upper.height
        and min(upper.x1, lower.x1) > max(upper.x0, lower.x0)
    )


def usual_leading(lines: Sequence[Line]) -> float:
    """The median gap between a line and the next one directly below it (0 when none is)."""
    gaps = [a.y0 - b.y1 for a, b in pairwise(lines) if directly_below(a, b)]
    return statistics.median(gaps) if gaps else 0.0


# A frame: the lines of one type size in one column of one page.
FrameKey = tuple[int, int, int]
Frames = dict[FrameKey, tuple[float, float]]


def frame_of(line: Line) -> FrameKey:
    """The frame a line belongs to: its page, its column and its type size (a heading has a frame of its own)."""
    return (line.page, line.column, round(line.height))


def column_frames(lines: Iterable[Line]) -> Frames:
    """Each frame's left and right text edge: where a full line of that column and size starts and ends."""
    frames: Frames = {}
    for line in lines:
        key = frame_of(line)
        left, right = frames.get(key, (line.x0, line.x1))
        frames[key] = (min(left, line.x0), max(right, line.x1))
    return frames


def is_paragraph_break(previous: Line, line: Line, leading: float, frames: Frames) -> bool:
    """Whether `line` starts a new paragraph after `previous` (the rules are listed in `join_lines`)."""
    if LIST_ITEM.match(line.text):
        return True
    ratio = previous.height / line.height
    if ratio > HEADING_RATIO or ratio < 1 / HEADING_RATIO:
        return True
    if directly_below(previous, line):
        if previous.y0 - line.y1 > leading + PARAGRAPH_GAP * line.height:
            return True
        if line.x0 - previous.x0 > INDENT_CHARS * line.char_width:
            return True
    else:
        left_edge = frames[frame_of(line)][0]
        if line.x0 - left_edge > INDENT_CHARS * line.char_width:
            return True
    if ends_in_split(previous.text):
        return False
    right_edge = frames[frame_of(previous)][1]
    first_word = line.text.split(" ", 1)[0]
    lead = line.lead_width if line.lead_width is not None else len(first_word) * line.char_width
    # One average character of slack for the space before the word.
    return right_edge - previous.x1 > lead + line.char_width
