"""One article as text, web page and PDF: the readers give the same text, so the same spans and values."""

from __future__ import annotations

import pytest
from spacy.language import Language

from pipeline.corpus import iter_articles
from pipeline.extract import extract
from pipeline.readers import convert
from pipeline.renditions import pdf_brief, web_page
from pipeline.types import Article

# Latin-1 prose, so that the PDF needs no font beyond Helvetica.
ARTICLE = """Japan and India agree a $2.5 billion chip fund

NEW DELHI - The Japan Bank for International Cooperation (JBIC) and the State Bank of India signed \
an agreement on Tuesday to set up the India-Japan Semiconductor Fund, which will lend up to \
$2.5 billion to chip packaging plants over the next five years.

The Fund will be managed from Mumbai. JBIC said the first loans, worth about ¥45 billion, would \
go out in the second half of 2025, after the Ministry of Electronics and Information Technology \
(MeitY) approves the list of projects.

Officials expect to report progress at the 16th India-Japan Annual Summit in Tokyo in March 2026, \
where the two governments will also review the Quad Critical Minerals Initiative launched last year.

The agreement follows two years of talks between the two lenders. Bankers in Mumbai say the \
terms are generous: loans will run for up to fifteen years, with a grace period of three, and \
the interest rate will be set a little above the yen swap rate. Plants that buy equipment from \
Japanese suppliers will be able to borrow more, a clause that officials in both capitals \
describe as a way to tie the two supply chains closer together.

Not everyone is convinced. Analysts at Crisil Ltd said the fund was small beside the needs of \
the industry, and that the plants it targets would still depend on imported wafers for years. \
Others point out that earlier schemes took a long time to pay out, because the projects they \
financed waited for land, water and power connections before any money could move.

The State Bank of India said it would publish the criteria for the first round of applications \
in June, and that companies of any size could apply. Officials said they hoped to approve the \
first projects before the end of the year, so that construction could start in 2026.

For the packaging plants already being built in Gujarat and Assam, the fund arrives at a useful \
moment. Several of them are looking for long-term money to finance their second lines, and \
domestic banks have been reluctant to lend for that long. A lender backed by two governments \
changes that calculation, bankers said, even if the sums involved remain modest for now.
"""
DATE = "2025-03-04"


def _spans(nlp: Language, article: Article) -> list[tuple[str, str, object]]:
    (extraction,) = extract(nlp, [article])
    return [
        (span["label"], span["text"], span.get("norm"))
        for span in extraction.record["spans"]
        if span.get("scored", True)
    ]


@pytest.fixture(scope="module")
def renditions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Article]:
    folder = tmp_path_factory.mktemp("formats")
    source = Article(id="brief", text=ARTICLE, meta={"id": "brief", "date": DATE}, path="brief.md")
    (folder / "brief.md").write_text(f"---\ndate: {DATE}\n---\n{ARTICLE}", encoding="utf-8")
    (folder / "brief.html").write_text(web_page(source), encoding="utf-8")
    # Large print, so that the brief runs over two pages and its running header can be told from its text.
    (folder / "brief.pdf").write_bytes(pdf_brief(source, font_size=18))
    read = {}
    for item in iter_articles([folder / "brief.md", folder / "brief.html", folder / "brief.pdf"]):
        article = convert(item) if isinstance(item, Article) else item
        assert isinstance(article, Article), article
        read[article.format] = article
    return read


def test_every_format_gives_the_article_text_and_its_date(renditions: dict[str, Article]) -> None:
    text = renditions["text"].text.strip()
    for reader in ("html", "pdf"):
        assert renditions[reader].text.strip() == text, reader
    sources = {reader: article.meta["date_source"] for reader, article in renditions.items()}
    assert sources == {"text": "front-matter", "html": "html-meta", "pdf": "pdf-text"}
    assert {article.meta["date"] for article in renditions.values()} == {DATE}


def test_every_format_gives_the_same_spans_and_values(nlp: Language, renditions: dict[str, Article]) -> None:
    expected = _spans(nlp, renditions["text"])
    assert ("MONEY", "$2.5 billion", {"amount": 2500000000, "currency": "USD"}) in expected
    assert ("DATE", "second half of 2025", "2025-07/2025-12") in expected
    for reader in ("html", "pdf"):
        assert _spans(nlp, renditions[reader]) == expected, reader
