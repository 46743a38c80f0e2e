"""The web-page reader: main text without the page furniture, metadata with its sources, bad pages refused."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from pipeline.errors import ArticleError, Messages, shown_path
from pipeline.readers import html
from pipeline.readers.document import DATE_SOURCES, Document

HEADLINE = "Grid Finance Compact Puts EUR 2 Billion Behind Regional Interconnectors"
PARAGRAPHS = (
    "The European Investment Bank (EIB) and the Asian Development Bank agreed on Tuesday to co-finance "
    "a pipeline of cross-border transmission lines, the first such arrangement between the two lenders.",
    "Under the compact, the banks will share due diligence on each project and pool guarantees, which "
    "officials said could cut preparation time by a third compared with last year.",
    "Three priorities stand out in the compact's first annex:",
    "By July, negotiators expect the first tranche to close, subject to board approval in both institutions.",
)
LIST_ITEMS = (
    "Interconnectors between Kazakhstan and Uzbekistan",
    "Battery storage at the Caspian landing points",
    "A shared grid-code secretariat in Almaty",
)
TABLE_CELLS = ("Lender", "Commitment", "European Investment Bank", "EUR 1.2 billion", "Asian Development Bank")

FURNITURE = (
    "Home",
    "Our research",
    "Subscribe to our newsletter",
    "We use cookies to improve your experience",
    "Accept all cookies",
    "Share on Twitter",
    "Share on LinkedIn",
    "Jane Doe",
    "4 March 2025",
    "Related articles",
    "Why transmission permits take a decade",
    "Copyright 2025 Meridian Policy Institute",
    "Privacy policy",
)

ARTICLE_BODY = f"""
<p>{PARAGRAPHS[0]}</p>
<p>{PARAGRAPHS[1]}</p>
<p>{PARAGRAPHS[2]}</p>
<ul>{"".join(f"<li>{item}</li>" for item in LIST_ITEMS)}</ul>
<table>
  <tr><th>Lender</th><th>Commitment</th></tr>
  <tr><td>European Investment Bank</td><td>EUR 1.2 billion</td></tr>
  <tr><td>Asian Development Bank</td><td>USD 0.9 billion</td></tr>
</table>
<p>{PARAGRAPHS[3]}</p>
"""


def think_tank_page(
    *,
    head: str = "",
    byline: str = '<div class="byline"><span class="author">By Jane Doe | 4 March 2025</span></div>',
    body: str = ARTICLE_BODY,
) -> str:
    """A think-tank article page with every kind of furniture around the article."""
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
  <meta charset="utf-8">
  <title>{HEADLINE} | Meridian Policy Institute</title>
  <meta property="og:site_name" content="Meridian Policy Institute">
  <link rel="canonical" href="https://meridian-policy.example.org/analysis/grid-finance-compact">
  {head}
</head>
<body>
  <div id="cookie-banner" class="cookie-consent">
    <p>We use cookies to improve your experience on our site. By browsing you agree to our use of cookies.</p>
    <button>Accept all cookies</button>
  </div>
  <header class="site-header">
    <a class="logo" href="/">Meridian Policy Institute</a>
    <nav class="main-nav"><ul>
      <li><a href="/">Home</a></li><li><a href="/research">Our research</a></li>
      <li><a href="/events">Events</a></li><li><a href="/subscribe">Subscribe to our newsletter</a></li>
    </ul></nav>
  </header>
  <main>
    <article>
      <h1>{HEADLINE}</h1>
      {byline}
      <div class="share-buttons social-share">
        <a href="https://twitter.com/share">Share on Twitter</a>
        <a href="https://linkedin.com/share">Share on LinkedIn</a>
      </div>
      <div class="article-body">{body}</div>
    </article>
    <aside class="related-articles">
      <h2>Related articles</h2>
      <ul>
        <li><a href="/a/1">Why transmission permits take a decade</a></li>
        <li><a href="/a/2">Five lessons from the Nordic power market for Central Asia</a></li>
      </ul>
    </aside>
  </main>
  <footer class="site-footer">
    <p>Copyright 2025 Meridian Policy Institute. All rights reserved.</p>
    <a href="/privacy">Privacy policy</a>
  </footer>
</body>
</html>"""


JSON_LD_ARTICLE = {
    "@context": "https://schema.org",
    "@type": "NewsArticle",
    "headline": HEADLINE,
    "datePublished": "2025-03-04T09:00:00Z",
    "author": {"@type": "Person", "name": "Jane Doe"},
    "publisher": {"@type": "Organization", "name": "Meridian Policy Institute"},
}
JSON_LD = f'<script type="application/ld+json">{json.dumps(JSON_LD_ARTICLE, indent=1)}</script>'


def read_page(page: str | bytes, tmp_path: Path, name: str = "page.html") -> Document:
    """Write the page into tmp_path and read it back as the pipeline would."""
    path = tmp_path / name
    path.write_bytes(page.encode("utf-8") if isinstance(page, str) else page)
    return html.read(path.read_bytes(), path)


def test_reader_html_keeps_the_article_and_drops_the_furniture(tmp_path: Path) -> None:
    document = read_page(think_tank_page(head=JSON_LD), tmp_path)
    for furniture in FURNITURE:
        assert furniture not in document.text, furniture
    for kept in (*PARAGRAPHS, *LIST_ITEMS, *TABLE_CELLS):
        assert kept in document.text, kept
    assert "Meridian Policy Institute" not in document.text


def test_reader_html_headline_is_the_first_paragraph(tmp_path: Path) -> None:
    document = read_page(think_tank_page(head=JSON_LD), tmp_path)
    paragraphs = document.text.split("\n\n")
    assert paragraphs[0] == HEADLINE
    assert paragraphs[1] == PARAGRAPHS[0]
    assert document.text.count(HEADLINE) == 1
    assert all(paragraph == paragraph.strip() and paragraph for paragraph in paragraphs)


def test_reader_html_headline_as_the_page_shows_it(tmp_path: Path) -> None:
    seo_headline = JSON_LD.replace(HEADLINE, "EIB ADB grid finance compact 2025: what it means")
    document = read_page(think_tank_page(head=seo_headline), tmp_path)
    assert document.text.split("\n\n")[0] == HEADLINE
    assert (document.meta["title"], document.sources["title"]) == (HEADLINE, "html-meta")
    assert "what it means" not in document.text


def test_reader_html_metadata_from_json_ld(tmp_path: Path) -> None:
    document = read_page(think_tank_page(head=JSON_LD), tmp_path)
    assert document.meta == {
        "title": HEADLINE,
        "author": "Jane Doe",
        "date": "2025-03-04",
        "date_source": "html-meta",
        "source": "Meridian Policy Institute",
        "url": "https://meridian-policy.example.org/analysis/grid-finance-compact",
        "language": "en",
    }
    assert document.sources["date"] == "html-meta"
    assert set(document.sources) == {"title", "author", "date", "source", "url", "language"}
    assert set(document.sources.values()) <= set(DATE_SOURCES)


def test_reader_html_date_from_meta_tag(tmp_path: Path) -> None:
    head = '<meta property="article:published_time" content="2024-11-20T08:00:00+00:00">'
    document = read_page(think_tank_page(head=head), tmp_path)
    assert (document.meta["date"], document.meta["date_source"]) == ("2024-11-20", "html-meta")


def test_reader_html_date_from_the_visible_byline(tmp_path: Path) -> None:
    document = read_page(think_tank_page(), tmp_path)
    assert (document.meta["date"], document.meta["date_source"]) == ("2025-03-04", "html-text")
    assert document.sources["date"] == "html-text"


def test_reader_html_unmarked_byline_is_dropped(tmp_path: Path) -> None:
    document = read_page(think_tank_page(head=JSON_LD, byline="<p>By Jane Doe | 4 March 2025</p>"), tmp_path)
    assert "Jane Doe" not in document.text
    assert document.text.split("\n\n")[:2] == [HEADLINE, PARAGRAPHS[0]]
    assert PARAGRAPHS[3] in document.text


def test_reader_html_no_date(tmp_path: Path) -> None:
    document = read_page(think_tank_page(byline='<div class="byline">By Jane Doe</div>'), tmp_path)
    assert "date" not in document.meta
    assert "date" not in document.sources
    assert document.meta["date_source"] == "none"


def test_reader_html_gzip_page(tmp_path: Path) -> None:
    page = think_tank_page(head=JSON_LD)
    document = read_page(gzip.compress(page.encode("utf-8")), tmp_path, "page.html.gz")
    assert document == read_page(page, tmp_path)


def test_reader_html_declared_charset(tmp_path: Path) -> None:
    page = think_tank_page(head=JSON_LD).replace('charset="utf-8"', 'charset="windows-1252"')
    page = page.replace(PARAGRAPHS[1], PARAGRAPHS[1] + " Ministers called it a “bankable” step.")
    document = read_page(page.encode("cp1252"), tmp_path)
    assert "Ministers called it a “bankable” step." in document.text


@pytest.mark.parametrize(
    "page",
    [
        "",
        "<html><head><title>Log in</title></head><body></body></html>",
        '<html><body><nav><a href="/">Home</a> <a href="/about">About us</a></nav>'
        '<footer class="site-footer">Copyright 2025</footer></body></html>',
        think_tank_page(head=JSON_LD, body=""),
        think_tank_page(head=JSON_LD, byline="", body="").replace(f"<h1>{HEADLINE}</h1>", ""),
    ],
    ids=["empty", "empty-body", "menu-and-footer", "furniture-and-headline", "furniture-only"],
)
def test_reader_html_no_article_text(tmp_path: Path, page: str) -> None:
    path = tmp_path / "page.html"
    with pytest.raises(ArticleError) as caught:
        html.read(page.encode("utf-8"), path)
    assert str(caught.value) == Messages.A017.format(path=shown_path(path))
    assert caught.value.path == str(path)


def test_reader_html_pdf_renamed_html(tmp_path: Path) -> None:
    path = tmp_path / "brief.html"
    with pytest.raises(ArticleError) as caught:
        html.read(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", path)
    assert str(caught.value) == Messages.A021.format(path=shown_path(path), actual="a PDF", expected="a web page")


def test_reader_html_too_large_page(tmp_path: Path) -> None:
    path = tmp_path / "huge.html"
    raw = b"<p>" + b"x" * html.MAX_PAGE_BYTES + b"</p>"
    with pytest.raises(ArticleError) as caught:
        html.read(raw, path)
    expected = Messages.A022.format(path=shown_path(path), size=len(raw), limit=html.MAX_PAGE_BYTES, kind="web page")
    assert str(caught.value) == expected


def test_reader_html_too_large_after_gunzip(tmp_path: Path) -> None:
    path = tmp_path / "bomb.html.gz"
    raw = b"<html><body><p>" + b"a" * (html.MAX_PAGE_BYTES + 10) + b"</p></body></html>"
    compressed = gzip.compress(raw)
    assert len(compressed) < html.MAX_PAGE_BYTES
    with pytest.raises(ArticleError) as caught:
        html.read(compressed, path)
    expected = Messages.A022.format(path=shown_path(path), size=len(raw), limit=html.MAX_PAGE_BYTES, kind="web page")
    assert str(caught.value) == expected


def test_reader_html_damaged_gzip(tmp_path: Path) -> None:
    path = tmp_path / "cut.html.gz"
    truncated = gzip.compress(think_tank_page().encode("utf-8"))[:200]
    with pytest.raises(ArticleError) as caught:
        html.read(truncated, path)
    assert str(caught.value).startswith(f"{shown_path(path)}: cannot read: not a complete gzip file")


def test_reader_html_scripts_never_reach_the_text(tmp_path: Path) -> None:
    script = (
        "<script>document.write('<p>SCRIPTED PARAGRAPH about the Injected Development Fund</p>');"
        "var note = 'SCRIPTED VARIABLE';</script>"
        "<noscript><p>NOSCRIPT FALLBACK asking to enable JavaScript</p></noscript>"
    )
    body = ARTICLE_BODY.replace(f"<p>{PARAGRAPHS[1]}</p>", f"<p>{PARAGRAPHS[1]}</p>{script}")
    document = read_page(think_tank_page(head=JSON_LD + script, body=body), tmp_path)
    assert "SCRIPTED" not in document.text
    assert "Injected Development Fund" not in document.text
    assert "document.write" not in document.text
    assert "NOSCRIPT" not in document.text
    assert PARAGRAPHS[1] in document.text


def test_reader_html_keeps_the_wording(tmp_path: Path) -> None:
    """Trafilatura must not rewrite text: odd spacing, punctuation and casing come through, inline tags joined."""
    odd = "The U.S.-India “TRUST” initiative — worth ₹ 10,000 crore — ends in FY2026/27 (see §4.2)."
    body = ARTICLE_BODY.replace(PARAGRAPHS[3], f"{PARAGRAPHS[3]} The <em>U.S.-India</em> <b>“TRUST”</b>{odd[22:]}")
    document = read_page(think_tank_page(head=JSON_LD, body=body), tmp_path)
    assert f"{PARAGRAPHS[3]} {odd}" in document.text.split("\n\n")
