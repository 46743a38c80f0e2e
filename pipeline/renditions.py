"""Articles rendered as the documents analysts receive: a saved web page with its site's furniture, a PDF brief.

`make bench` renders its synthetic corpus as web pages, the cross-format tests render their own
articles, and `python -m pipeline.renditions` writes `corpus/pages/` (web pages and PDFs of dev
articles, which `make run` extracts and scores against the articles' gold). The web page holds
what a reader must leave out (menus, a cookie banner, share buttons, a byline, related links,
a footer) around the article; its date is in JSON-LD. The PDF has a running header, page
numbers, a dateline and, if asked, two columns; it needs fpdf2 (a dev dependency) and, for
text beyond Latin-1, a TrueType font.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
from pathlib import Path
from typing import Any

from .types import Article

SITE = "Policy Review"
# A Unicode font most Debian machines have; without it the PDF is written in Latin-1 Helvetica.
UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def paragraphs(text: str) -> list[str]:
    """The article's paragraphs: blocks separated by blank lines, each on one line."""
    return [" ".join(block.split()) for block in text.split("\n\n") if block.strip()]


def web_page(article: Article) -> str:
    """The article as a saved page of a think-tank site: its first paragraph the headline, the rest the body."""
    headline, *body = paragraphs(article.text)
    date = article.meta.get("date")
    ld: dict[str, Any] = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": headline}
    if date:
        ld["datePublished"] = str(date)
    paras = "\n".join(f"<p>{html.escape(p)}</p>" for p in body)
    byline = f"<p class='byline'>By Staff Writer | {_long_date(date)}</p>" if date else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(headline)} | {SITE}</title>
<meta property="og:site_name" content="{SITE}">
<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>
</head><body>
<div class="cookie-banner">We use cookies to improve your experience. <button>Accept all</button></div>
<nav><ul><li><a href="/">Home</a></li><li><a href="/research">Research</a></li>
<li><a href="/events">Events</a></li><li><a href="/about">About us</a></li></ul></nav>
<main><article>
<h1>{html.escape(headline)}</h1>
{byline}
<div class="share">Share: <a href="#">Facebook</a> <a href="#">X</a> <a href="#">LinkedIn</a></div>
{paras}
</article>
<aside class="related"><h2>Related</h2><ul><li><a href="/a">More analysis from our experts</a></li>
<li><a href="/b">Subscribe to our newsletter</a></li></ul></aside></main>
<footer><p>© {SITE}. All rights reserved.</p><p><a href="/privacy">Privacy policy</a></p></footer>
</body></html>
"""


def pdf_brief(article: Article, *, columns: int = 1, font_size: int = 12) -> bytes:
    """The article as a PDF brief: headline, dateline, body (in `columns`), running header and page numbers."""
    from fpdf import FPDF  # a dev dependency: only the scripts that write PDFs need it

    headline, *body = paragraphs(article.text)
    date = article.meta.get("date")
    unicode_font = UNICODE_FONT.exists()

    class Brief(FPDF):
        def header(self) -> None:
            self.set_font(family, size=8)
            self.cell(0, 6, f"{SITE} | Policy Brief", align="R", new_x="LMARGIN", new_y="NEXT")
            self.ln(4)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(family, size=8)
            self.cell(0, 6, str(self.page_no()), align="C")

    pdf = Brief(format="A4")
    if unicode_font:
        pdf.add_font("body", fname=str(UNICODE_FONT))
    family = "body" if unicode_font else "Helvetica"
    pdf.set_title(str(article.meta.get("title") or headline))
    pdf.set_creation_date(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))  # never the article's date: the dateline is
    pdf.add_page()
    pdf.set_font(family, size=15)
    pdf.multi_cell(0, 7, _printable(headline, unicode_font), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(family, size=9)
    if date:
        pdf.cell(0, 5, _long_date(date), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.set_font(family, size=font_size)
    with pdf.text_columns(ncols=columns, gutter=8, line_height=1.6) as text:
        for paragraph in body:
            text.write(_printable(paragraph, unicode_font) + "\n")
            text.ln(0.6)
    return bytes(pdf.output())


def _printable(text: str, unicode_font: bool) -> str:
    return text if unicode_font else text.encode("latin-1", "replace").decode("latin-1")


def _long_date(date: Any) -> str:
    """ "4 March 2025" for 2025-03-04."""
    day = dt.date.fromisoformat(str(date))
    return f"{day.day} {day:%B %Y}"


def main(argv: list[str] | None = None) -> None:
    """Write web pages and PDFs of the named articles, for `make run` to extract and score."""
    from .corpus import read_articles

    parser = argparse.ArgumentParser(prog="python -m pipeline.renditions", description=main.__doc__)
    parser.add_argument("--articles", type=Path, default=Path("corpus/articles"))
    parser.add_argument("--out", type=Path, default=Path("corpus/pages"))
    parser.add_argument("--html", nargs="*", default=[], metavar="ID", help="articles to render as web pages")
    parser.add_argument("--pdf", nargs="*", default=[], metavar="ID", help="articles to render as one-column PDFs")
    parser.add_argument("--pdf2", nargs="*", default=[], metavar="ID", help="articles to render as two-column PDFs")
    args = parser.parse_args(argv)
    articles = {article.id: article for article in read_articles([args.articles])[0]}
    args.out.mkdir(parents=True, exist_ok=True)
    for doc_id in args.html:
        (args.out / f"{doc_id}.html").write_text(web_page(articles[doc_id]), encoding="utf-8")
    for doc_id, columns in [*((d, 1) for d in args.pdf), *((d, 2) for d in args.pdf2)]:
        (args.out / f"{doc_id}.pdf").write_bytes(pdf_brief(articles[doc_id], columns=columns))


if __name__ == "__main__":
    main()
