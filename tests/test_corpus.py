"""Reading articles and gold: front matter, ids, encodings, and bad input skipped with where and why."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline.corpus import (
    articles_from_gold,
    count_input_files,
    find_duplicate_ids,
    iter_articles,
    read_articles,
    read_gold,
)
from pipeline.errors import ArticleError, GoldError, Messages
from pipeline.readers import formats_text
from pipeline.readers.text import split_front_matter
from pipeline.types import Article, Skipped

BODY = "In July, the U.S. Department of Energy (DOE) met MEXT.\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _only_skip(skipped: list[Skipped]) -> Skipped:
    assert len(skipped) == 1, skipped
    return skipped[0]


# --- front matter ---------------------------------------------------------------------------------


def test_split_front_matter_returns_mapping_and_body() -> None:
    meta, body = split_front_matter("---\nid: a1\ndate: 2021-07-01\n---\nBody.")
    assert meta == {"id": "a1", "date": "2021-07-01"}
    assert body == "Body."


def test_split_front_matter_without_fence_keeps_text() -> None:
    text = "No front matter.\n---\nstill body"
    assert split_front_matter(text) == ({}, text)


def test_split_front_matter_unclosed_raises_article_error() -> None:
    with pytest.raises(ArticleError, match="never closed"):
        split_front_matter("---\nid: a1\nBody.", "a1.md")


def test_read_articles_front_matter_keeps_id_date_and_unknown_keys(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "file-name.md",
        "---\nid: eu-japan\ndate: 2021-07-01\ntitle: Chips\nsplit: dev\nreviewer: [ana, ben]\n---\n" + BODY,
    )
    articles, skipped = read_articles([path])
    assert skipped == []
    (article,) = articles
    assert article.id == "eu-japan"
    assert article.meta == {
        "id": "eu-japan",
        "date": "2021-07-01",
        "title": "Chips",
        "split": "dev",
        "reviewer": ["ana", "ben"],
        "date_source": "front-matter",
    }
    assert article.path == str(path)
    assert article.line is None


def test_read_articles_offsets_refer_to_body(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.md", "---\nid: a\ndate: 2021-07-01\n---\n" + BODY)
    (article,), _ = read_articles([path])
    assert article.text == BODY
    assert article.text[3:7] == "July"
    start = BODY.index("DOE")
    assert article.text[start : start + 3] == "DOE"


def test_read_articles_file_stem_is_id_without_front_matter_id(tmp_path: Path) -> None:
    plain = _write(tmp_path / "plain-article.txt", BODY)
    dated = _write(tmp_path / "dated-article.md", "---\ndate: 2022-05-09\n---\n" + BODY)
    articles, skipped = read_articles([plain, dated])
    assert skipped == []
    assert [article.id for article in articles] == ["plain-article", "dated-article"]
    assert articles[0].meta == {"id": "plain-article", "date_source": "none"}
    assert articles[1].meta == {"date": "2022-05-09", "id": "dated-article", "date_source": "front-matter"}


def test_read_articles_numeric_id_is_a_string(tmp_path: Path) -> None:
    (article,), _ = read_articles([_write(tmp_path / "a.md", "---\nid: 42\n---\n" + BODY)])
    assert article.id == "42"
    assert article.meta["id"] == "42"


def test_read_articles_zero_id_is_kept(tmp_path: Path) -> None:
    (article,), _ = read_articles([_write(tmp_path / "a.md", "---\nid: 0\n---\n" + BODY)])
    assert article.id == "0"


def test_read_articles_folder_is_searched_recursively_and_sorted(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "sub" / "b.txt", BODY)
    _write(tmp_path / "a.md", BODY)
    _write(tmp_path / "notes.csv", "not,an,article\n")
    articles, skipped = read_articles([tmp_path])
    assert [article.id for article in articles] == ["a", "b"]
    assert skipped == []


# --- JSONL articles -------------------------------------------------------------------------------


def test_read_articles_jsonl_one_article_a_line(tmp_path: Path) -> None:
    lines = [
        {"text": "DOE met MEXT.", "meta": {"id": "j1", "date": "2021-07-01", "split": "dev"}},
        {"text": "The Quad met in Tokyo."},
    ]
    path = _write(tmp_path / "batch.jsonl", "\n".join(json.dumps(line) for line in lines) + "\n\n")
    articles, skipped = read_articles([path])
    assert skipped == []
    assert articles == [
        Article(
            id="j1",
            text="DOE met MEXT.",
            meta={"id": "j1", "date": "2021-07-01", "split": "dev", "date_source": "front-matter"},
            path=str(path),
            line=1,
            format="jsonl",
        ),
        Article(
            id="batch-2",
            text="The Quad met in Tokyo.",
            meta={"id": "batch-2", "date_source": "none"},
            path=str(path),
            line=2,
            format="jsonl",
        ),
    ]
    assert articles[1].where == f"{path}:2"


@pytest.mark.parametrize("separator", ["\u2028", "\x85", "\x0c"], ids=["line-separator", "next-line", "form-feed"])
def test_read_articles_jsonl_lines_end_at_line_feeds_only(tmp_path: Path, separator: str) -> None:
    text = f"DOE met{separator}MEXT."
    rows = [json.dumps({"text": text, "meta": {"id": doc_id}}, ensure_ascii=False) for doc_id in ("a", "b")]
    path = tmp_path / "rows.jsonl"
    path.write_bytes("\r\n".join(rows).encode("utf-8"))
    articles, skipped = read_articles([path])
    assert skipped == []
    assert [(article.id, article.text, article.line) for article in articles] == [("a", text, 1), ("b", text, 2)]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(row[:-1] + ', "spans": []}' for row in rows) + "\n", encoding="utf-8")
    assert [record["text"] for record in read_gold(gold).values()] == [text, text]


def test_read_articles_jsonl_broken_line_is_skipped_with_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "batch.jsonl", '{"text": "A", "meta": {"id": "x"}\n')
    articles, skipped = read_articles([path])
    assert articles == []
    skip = _only_skip(skipped)
    assert skip.path == f"{path}:1"
    assert skip.reason.startswith(f"{path}, line 1: not a JSON object")


def test_read_articles_jsonl_line_without_text_is_skipped(tmp_path: Path) -> None:
    path = _write(tmp_path / "batch.jsonl", '{"body": "A"}\n')
    _, skipped = read_articles([path])
    problem = 'expected an object with a string `text`, like {"text": "...", "meta": {"id": "..."}}'
    assert _only_skip(skipped).reason == Messages.A007.format(path=path, line=1, problem=problem)


def test_read_articles_jsonl_bad_line_keeps_the_good_lines(tmp_path: Path) -> None:
    path = _write(tmp_path / "batch.jsonl", '{"text": "Good one.", "meta": {"id": "good"}}\nnot json\n')
    articles, skipped = read_articles([path])
    assert [article.id for article in articles] == ["good"]
    assert _only_skip(skipped).path == f"{path}:2"


def test_read_articles_jsonl_meta_not_a_mapping_is_skipped(tmp_path: Path) -> None:
    path = _write(tmp_path / "batch.jsonl", '{"text": "A", "meta": "dev"}\n')
    good = _write(tmp_path / "good.txt", BODY)
    articles, skipped = read_articles([path, good])
    assert [article.id for article in articles] == ["good"]
    assert str(path) in _only_skip(skipped).reason


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        ("batch.jsonl", '{"text": "A"}\n{"text": "B", "meta": {"id": "b", "date": "July"}}\n', 2),
        ("dated.md", "---\nid: d\ntitle: T\ndate: July\n---\nBody.\n", 4),
    ],
    ids=["jsonl-line-2", "front-matter-line-4"],
)
def test_read_articles_bad_date_names_its_line(tmp_path: Path, name: str, content: str, line: int) -> None:
    _, skipped = read_articles([_write(tmp_path / name, content)])
    reason = _only_skip(skipped).reason
    assert f"line {line}" in reason
    assert "line 1:" not in reason


# --- encodings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    ["---\nid: bom\n---\n" + BODY, BODY],
    ids=["with-front-matter", "without-front-matter"],
)
def test_read_articles_utf8_bom_removed(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bom.md"
    path.write_bytes(b"\xef\xbb\xbf" + content.encode("utf-8"))
    (article,), skipped = read_articles([path])
    assert skipped == []
    assert article.id == "bom"
    assert article.text == BODY
    assert not article.text.startswith("\ufeff")


def test_read_articles_keeps_non_ascii_utf8(tmp_path: Path) -> None:
    text = "Prime Minister’s Office of Japan pledged ¥800 billion — «vite».\n"
    (article,), _ = read_articles([_write(tmp_path / "a.txt", text)])
    assert article.text == text


# --- bad input: skipped with a one-line reason, the rest of the batch still read ------------------


def _missing(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "missing.md"
    return path, Messages.A001.format(path=path)


def _empty(tmp_path: Path) -> tuple[Path, str]:
    path = _write(tmp_path / "empty.txt", "")
    return path, Messages.A002.format(path=path)


def _blank(tmp_path: Path) -> tuple[Path, str]:
    path = _write(tmp_path / "blank.txt", "  \n\t\n   \n")
    return path, Messages.A002.format(path=path)


def _front_matter_only(tmp_path: Path) -> tuple[Path, str]:
    path = _write(tmp_path / "header-only.md", "---\nid: h\n---\n\n  \n")
    return path, Messages.A002.format(path=path)


def _latin1(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "latin1.txt"
    path.write_bytes("The caf\xe9 summit.\n".encode("latin-1"))
    return path, Messages.A003.format(path=path, offset=7)


def _unclosed(tmp_path: Path) -> tuple[Path, str]:
    path = _write(tmp_path / "unclosed.md", "---\nid: u\ndate: 2021-07-01\n" + BODY)
    return path, Messages.A004.format(path=path)


def _not_mapping(tmp_path: Path) -> tuple[Path, str]:
    path = _write(tmp_path / "listed.md", "---\n- a\n- b\n---\n" + BODY)
    return path, Messages.A005.format(path=path, problem="got list")


def _bad_date(tmp_path: Path) -> tuple[Path, str]:
    path = _write(tmp_path / "bad-date.md", "---\nid: d\ndate: July 2021\n---\n" + BODY)
    return path, "date 'July 2021' is not an ISO date; write it as YYYY-MM-DD"


def _unsupported(tmp_path: Path) -> tuple[Path, str]:
    path = _write(tmp_path / "article.docx", BODY)
    return path, Messages.A008.format(path=path, suffix=".docx", formats=formats_text())


BAD_INPUTS = [_missing, _empty, _blank, _front_matter_only, _latin1, _unclosed, _not_mapping, _bad_date, _unsupported]


@pytest.mark.parametrize("make", BAD_INPUTS, ids=[make.__name__.lstrip("_") for make in BAD_INPUTS])
def test_read_articles_bad_input_is_skipped_and_batch_goes_on(tmp_path: Path, make) -> None:
    bad, reason_end = make(tmp_path)
    before = _write(tmp_path / "aaa-good.txt", BODY)
    after = _write(tmp_path / "zzz-good.md", "---\nid: zzz\n---\n" + BODY)
    articles, skipped = read_articles([before, bad, after])
    assert [article.id for article in articles] == ["aaa-good", "zzz"]
    skip = _only_skip(skipped)
    assert skip.path == str(bad)
    assert skip.reason.startswith(str(bad))
    assert skip.reason.endswith(reason_end)
    assert "\n" not in skip.reason


def test_read_articles_broken_front_matter_yaml_reason_is_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "broken.md", "---\nid: [unclosed\n---\n" + BODY)
    articles, skipped = read_articles([path])
    assert articles == []
    reason = _only_skip(skipped).reason
    assert reason.startswith(f"{path}: front matter is not a YAML mapping")
    assert "\n" not in reason


def test_read_articles_impossible_yaml_date_is_skipped(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.md", "---\nid: bad\ndate: 2021-13-45\n---\n" + BODY)
    good = _write(tmp_path / "good.md", BODY)
    articles, skipped = read_articles([bad, good])
    assert [article.id for article in articles] == ["good"]
    assert str(bad) in _only_skip(skipped).reason


def test_read_articles_empty_jsonl_is_skipped(tmp_path: Path) -> None:
    path = _write(tmp_path / "empty.jsonl", "")
    articles, skipped = read_articles([path])
    assert articles == []
    assert str(path) in _only_skip(skipped).reason


def test_read_articles_latin1_offset_counts_bytes_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "late.md"
    raw = b"---\nid: late\n---\nCaf\xe9"
    path.write_bytes(raw)
    _, skipped = read_articles([path])
    assert _only_skip(skipped).reason == Messages.A003.format(path=path, offset=len(raw) - 1)


def test_read_articles_duplicate_ids_both_refused_both_paths_named(tmp_path: Path) -> None:
    first = _write(tmp_path / "one.md", "---\nid: same\n---\nFirst body.\n")
    second = _write(tmp_path / "two.md", "---\nid: same\n---\nSecond body.\n")
    other = _write(tmp_path / "other.md", BODY)
    articles, skipped = read_articles([first, second, other])
    assert [article.id for article in articles] == ["other"]
    skip = _only_skip(skipped)
    assert skip.reason == Messages.A009.format(id="same", first=first, second=second)
    assert "\n" not in skip.reason


def test_read_articles_duplicate_id_across_md_and_jsonl(tmp_path: Path) -> None:
    markdown = _write(tmp_path / "a.md", "---\nid: dup\n---\n" + BODY)
    lines = _write(
        tmp_path / "b.jsonl", '{"text": "x", "meta": {"id": "keep"}}\n{"text": "y", "meta": {"id": "dup"}}\n'
    )
    articles, skipped = read_articles([markdown, lines])
    assert [article.id for article in articles] == ["keep"]
    assert _only_skip(skipped).reason == Messages.A009.format(id="dup", first=markdown, second=f"{lines}:2")


# --- the duplicate-id pass ------------------------------------------------------------------------


def test_find_duplicate_ids_names_both_places_across_md_and_jsonl(tmp_path: Path) -> None:
    markdown = _write(tmp_path / "a.md", "---\nid: dup\n---\n" + BODY)
    lines = _write(
        tmp_path / "b.jsonl", '{"text": "x", "meta": {"id": "keep"}}\n{"text": "y", "meta": {"id": "dup"}}\n'
    )
    assert find_duplicate_ids([markdown, lines]) == [
        Messages.A009.format(id="dup", first=markdown, second=f"{lines}:2")
    ]


def test_find_duplicate_ids_file_name_is_the_id_without_front_matter(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    _write(tmp_path / "one" / "same.txt", BODY)
    _write(tmp_path / "two.md", "---\nid: same\n---\n" + BODY)
    (problem,) = find_duplicate_ids([tmp_path])
    assert str(tmp_path / "one" / "same.txt") in problem and str(tmp_path / "two.md") in problem


def test_find_duplicate_ids_reads_a_text_file_only_up_to_its_body(tmp_path: Path, monkeypatch) -> None:
    # Past the first line of the body there is nothing the id depends on: no whole read, no decoding of it.
    first = _write(tmp_path / "first.md", "---\nid: same\ntitle: One\n---\nThe body.\n" + "More text.\n" * 50_000)
    second = _write(tmp_path / "second.txt", "---\nid: same\n---\n\nThe body.\n")

    def refuse(self: Path) -> bytes:
        raise AssertionError(f"{self} read whole")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert find_duplicate_ids([first, second]) == [Messages.A009.format(id="same", first=first, second=second)]


@pytest.mark.parametrize(
    "content",
    ["", "---\nid: same\n---\n  \n", "---\nid: same\n\nno closing fence\n", "---\nid: same\ndate: July\n---\nBody."],
    ids=["empty", "no-body", "unclosed", "bad-date"],
)
def test_find_duplicate_ids_ignores_inputs_the_run_skips(tmp_path: Path, content: str) -> None:
    _write(tmp_path / "same.md", content)
    _write(tmp_path / "good.md", "---\nid: same\n---\n" + BODY)
    assert find_duplicate_ids([tmp_path]) == []


def test_find_duplicate_ids_agrees_with_the_readers_ids(tmp_path: Path) -> None:
    corpus, copies = tmp_path / "corpus", tmp_path / "copies"
    corpus.mkdir()
    copies.mkdir()
    (corpus / "bom.txt").write_bytes("---\nid: bom\n---\nBody.\n".encode("utf-16"))
    (corpus / "crlf.md").write_bytes(b"---\r\nid: 42\r\n---\r\n\r\nBody.\r\n")
    _write(corpus / "blank-id.md", "---\nid: ' '\n---\n" + BODY)
    _write(corpus / "rows.jsonl", '{"text": "x"}\n')
    ids = [item.id for item in iter_articles([corpus]) if isinstance(item, Article)]
    assert sorted(ids) == ["42", "blank-id", "bom", "rows-1"]
    for doc_id in ids:
        _write(copies / f"{doc_id}.txt", BODY)
    problems = find_duplicate_ids([corpus, copies])
    assert sorted(problem.split("'")[1] for problem in problems) == sorted(ids)


def test_find_duplicate_ids_leaves_standard_input_to_the_run(tmp_path: Path) -> None:
    assert find_duplicate_ids([Path("-"), _write(tmp_path / "a.md", BODY)]) == []


def test_count_input_files_is_none_for_standard_input(tmp_path: Path) -> None:
    _write(tmp_path / "a.md", BODY)
    _write(tmp_path / "b.jsonl", '{"text": "x"}\n')
    assert count_input_files([tmp_path, tmp_path / "missing.md"]) == 2
    assert count_input_files([tmp_path, Path("-")]) is None


# --- messages name paths absolutely ---------------------------------------------------------------


def test_messages_name_relative_paths_absolutely(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "empty.md", "")
    _write(tmp_path / "linked.md", "")
    (tmp_path / "link.md").symlink_to(tmp_path / "linked.md")
    _, skipped = read_articles([Path("missing.md"), Path("empty.md"), Path("link.md")])
    assert [item.path for item in skipped] == ["missing.md", "empty.md", "link.md"]
    assert [item.reason for item in skipped] == [
        Messages.A001.format(path=tmp_path / "missing.md"),
        Messages.A002.format(path=tmp_path / "empty.md"),
        # A symbolic link keeps its own name (absolute, not resolved).
        Messages.A002.format(path=tmp_path / "link.md"),
    ]
    assert skipped[0].reason.endswith("; check the path")


def test_messages_name_jsonl_lines_and_gold_files_absolutely(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "rows.jsonl", '{"text": "x", "meta": {"id": "a"}}\n{"text": "  "}\n')
    (skip,) = [item for item in iter_articles([Path("rows.jsonl")]) if isinstance(item, Skipped)]
    assert skip.reason == Messages.A002.format(path=f"{tmp_path / 'rows.jsonl'}:2")
    _write(tmp_path / "gold.jsonl", "{broken\n")
    with pytest.raises(GoldError, match=rf"^{re.escape(str(tmp_path / 'gold.jsonl'))}, line 1: not valid JSON"):
        read_gold(Path("gold.jsonl"))


# --- gold -----------------------------------------------------------------------------------------

GOLD_TEXT = "In July, the U.S. Department of Energy (DOE) met."


def _gold_line(doc_id: str, spans: list[dict], text: str = GOLD_TEXT) -> str:
    return json.dumps({"text": text, "meta": {"id": doc_id}, "spans": spans})


def _span(text: str, label: str, needle: str, **extra) -> dict:
    start = text.index(needle)
    return {"start": start, "end": start + len(needle), "label": label, "text": needle, **extra}


def test_read_gold_file_keyed_by_id_with_where(tmp_path: Path) -> None:
    spans = [_span(GOLD_TEXT, "DATE", "July", norm="2021-07"), _span(GOLD_TEXT, "ORG", "DOE")]
    path = _write(tmp_path / "gold.jsonl", _gold_line("a", spans) + "\n\n" + _gold_line("b", []) + "\n")
    gold = read_gold(path)
    assert list(gold) == ["a", "b"]
    assert gold["a"]["spans"] == spans
    assert gold["a"]["_where"] == f"{path}:1"
    assert gold["b"]["_where"] == f"{path}:3"


def test_read_gold_folder_reads_every_jsonl(tmp_path: Path) -> None:
    _write(tmp_path / "b.jsonl", _gold_line("b", []) + "\n")
    _write(tmp_path / "a.jsonl", _gold_line("a", []) + "\n")
    _write(tmp_path / "notes.txt", "not gold\n")
    assert sorted(read_gold(tmp_path)) == ["a", "b"]


def test_read_gold_drops_unscored_labels(tmp_path: Path) -> None:
    spans = [_span(GOLD_TEXT, "GPE", "U.S."), _span(GOLD_TEXT, "ORG", "DOE")]
    gold = read_gold(_write(tmp_path / "g.jsonl", _gold_line("a", spans) + "\n"))
    assert [span["label"] for span in gold["a"]["spans"]] == ["ORG"]


def test_read_gold_span_text_differs_from_offsets(tmp_path: Path) -> None:
    bad = {**_span(GOLD_TEXT, "ORG", "DOE"), "text": "DOT"}
    path = _write(tmp_path / "g.jsonl", _gold_line("a", []) + "\n" + _gold_line("b", [bad]) + "\n")
    start = GOLD_TEXT.index("DOE")
    message = Messages.G002.format(path=path, line=2, start=start, end=start + 3, label="ORG", text="DOT", actual="DOE")
    with pytest.raises(GoldError) as caught:
        read_gold(path)
    assert str(caught.value) == message
    assert str(caught.value).startswith(f"{path}, line 2:")


def test_read_gold_broken_json_line_names_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "g.jsonl", _gold_line("a", []) + "\n" + '{"text": "x", "meta": \n')
    with pytest.raises(GoldError, match=rf"^{re.escape(str(path))}, line 2: not valid JSON"):
        read_gold(path)


@pytest.mark.parametrize(
    ("start", "end"),
    [(-1, 3), (40, len(GOLD_TEXT) + 1), (5, 5), (9, 4), ("3", 7)],
    ids=["negative-start", "past-the-end", "empty", "reversed", "string-offset"],
)
def test_read_gold_offsets_outside_text(tmp_path: Path, start: object, end: object) -> None:
    span = {"start": start, "end": end, "label": "ORG", "text": "x"}
    path = _write(tmp_path / "g.jsonl", _gold_line("a", [span]) + "\n")
    expected = rf"^{re.escape(str(path))}, line 1: span .* lies outside the text \(length {len(GOLD_TEXT)}\)"
    with pytest.raises(GoldError, match=expected):
        read_gold(path)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"meta": {"id": "a"}, "spans": []}', "expected an object with `text`, `meta` and `spans`"),
        ('["text"]', "expected an object with `text`, `meta` and `spans`"),
        ('{"text": "x", "meta": {}, "spans": []}', "`meta.id` is missing; give the record an id"),
    ],
    ids=["no-text", "not-an-object", "no-id"],
)
def test_read_gold_malformed_record(tmp_path: Path, line: str, problem: str) -> None:
    path = _write(tmp_path / "g.jsonl", line + "\n")
    with pytest.raises(GoldError) as caught:
        read_gold(path)
    assert str(caught.value) == Messages.G001.format(path=path, line=1, problem=problem)


def test_read_gold_duplicate_id(tmp_path: Path) -> None:
    _write(tmp_path / "a.jsonl", _gold_line("same", []) + "\n")
    second = _write(tmp_path / "b.jsonl", _gold_line("same", []) + "\n")
    with pytest.raises(GoldError, match=rf"^{re.escape(str(second))}, line 1: id 'same' seen before"):
        read_gold(tmp_path)


def test_read_gold_missing_path(tmp_path: Path) -> None:
    with pytest.raises(GoldError, match="no such file or folder"):
        read_gold(tmp_path / "nope.jsonl")


def test_read_gold_not_utf8_is_refused_with_its_offset(tmp_path: Path) -> None:
    path = tmp_path / "g.jsonl"
    path.write_bytes(b'{"text": "caf\xe9"}\n')
    with pytest.raises(GoldError) as caught:
        read_gold(path)
    assert str(caught.value) == Messages.A003.format(path=path, offset=13)


def test_articles_from_gold_keep_id_text_meta_and_where(tmp_path: Path) -> None:
    path = _write(tmp_path / "g.jsonl", _gold_line("a", [_span(GOLD_TEXT, "ORG", "DOE")]) + "\n")
    (article,) = articles_from_gold(read_gold(path))
    assert (article.id, article.text, article.meta, article.where) == ("a", GOLD_TEXT, {"id": "a"}, f"{path}:1")
