"""Writing the datasets: three files, stable order, loadable back, and nothing half-written left over."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline.corpus import read_gold
from pipeline.export import write_atomically, write_outputs, write_text_atomically
from pipeline.records import MENTION_COLUMNS
from pipeline.spans import NAME_LABELS
from pipeline.types import Skipped

OUTPUT_NAMES = [
    "aliases.csv",
    "aliases.parquet",
    "articles.csv",
    "articles.parquet",
    "commitments.csv",
    "commitments.parquet",
    "entities.parquet",
    "initiatives.csv",
    "initiatives.parquet",
    "manifest.json",
    "mentions.csv",
    "mentions.jsonl",
    "mentions.parquet",
    "policy.duckdb",
]
# DuckDB's file holds page checksums and free-list state that differ between two writes of the same
# tables; tests/test_tables.py compares its contents instead.
BYTE_STABLE_NAMES = [name for name in OUTPUT_NAMES if name != "policy.duckdb"]

TEXT_A = (
    "The Ministry of Education, Culture, Sports Science and Technology of Japan (MEXT) "
    "and the Prime Minister’s Office of Japan met at the G20 Osaka Summit in June 2019 "
    "and pledged ¥800 billion."
)
TEXT_B = 'DOE said "$5 million" in April 2021; Joe Biden agreed.'


def _span(text: str, needle: str, label: str, **extra: object) -> dict:
    start = text.index(needle)
    return {"start": start, "end": start + len(needle), "label": label, "text": needle, **extra}


def _records() -> list[dict]:
    # Spans deliberately out of order: the writer sorts them. Articles keep the order given
    # (the input order, so that a streamed run needs no global sort).
    record_b = {
        "text": TEXT_B,
        "meta": {"id": "b-article", "date": "2021-04-20"},
        "spans": [
            _span(TEXT_B, "Joe Biden", "PERSON", source="model", scored=False),
            _span(TEXT_B, "April 2021", "DATE", norm="2021-04", source="dates"),
            _span(TEXT_B, "$5 million", "MONEY", norm={"currency": "USD", "amount": 5000000}, source="money"),
            _span(TEXT_B, "DOE", "ORG", canonical="U.S. Department of Energy", source="acronyms"),
        ],
    }
    record_a = {
        "text": TEXT_A,
        "meta": {"id": "a-article", "split": "dev"},
        "spans": [
            _span(TEXT_A, "¥800 billion", "MONEY", norm={"amount": 800000000000, "currency": "JPY"}, source="money"),
            _span(TEXT_A, "G20", "ORG", source="names"),
            _span(TEXT_A, "G20 Osaka Summit", "EVENT", source="names"),
            _span(
                TEXT_A,
                "MEXT",
                "ORG",
                canonical="Ministry of Education, Culture, Sports Science and Technology of Japan",
                source="acronyms",
            ),
            _span(TEXT_A, "Ministry of Education, Culture, Sports Science and Technology of Japan", "ORG"),
            _span(TEXT_A, "Prime Minister’s Office of Japan", "ORG", source="names"),
            _span(TEXT_A, "June 2019", "DATE", norm="2019-06", source="dates"),
        ],
    }
    return [record_b, record_a]


SKIPPED = [
    Skipped("in/empty.txt", "in/empty.txt: empty article (no text after the front matter)"),
    Skipped("in/latin1.txt", "in/latin1.txt: not UTF-8 at byte 7; re-save the file as UTF-8"),
]


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, dict]:
    out = tmp_path / "out"
    manifest = write_outputs(_records(), SKIPPED, out, {"tool": {"name": "policy-extract"}})
    return out, manifest


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def test_write_outputs_writes_every_dataset(written: tuple[Path, dict]) -> None:
    out, _ = written
    assert sorted(path.name for path in out.iterdir()) == OUTPUT_NAMES


def test_write_outputs_leaves_no_temporary_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_outputs(_records(), SKIPPED, out, {})
    write_outputs(_records(), [], out, {})
    assert sorted(path.name for path in out.iterdir()) == OUTPUT_NAMES


def test_write_outputs_csv_columns(written: tuple[Path, dict]) -> None:
    out, _ = written
    header = (out / "mentions.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == (
        "doc_id,start,end,label,text,norm,canonical,source,scored,"
        "timex,mod,granularity,anchor,resolved,amount,amount_max,currency,approximate,entity,entity_evidence"
    )
    assert tuple(header.split(",")) == MENTION_COLUMNS


def test_write_outputs_csv_keeps_article_order_and_sorts_spans(written: tuple[Path, dict]) -> None:
    out, _ = written
    rows = _csv_rows(out / "mentions.csv")
    assert [row["doc_id"] for row in rows] == ["b-article"] * 4 + ["a-article"] * 7
    for doc_id in ("a-article", "b-article"):
        keys = [(int(row["start"]), -int(row["end"]), row["label"]) for row in rows if row["doc_id"] == doc_id]
        assert keys == sorted(keys)
    # The outer EVENT comes before the ORG nested at its start.
    event, org = (row for row in rows if row["text"] in ("G20 Osaka Summit", "G20"))
    assert (event["label"], org["label"]) == ("EVENT", "ORG")


def test_write_outputs_csv_values_round_trip(written: tuple[Path, dict]) -> None:
    out, _ = written
    rows = {row["text"]: row for row in _csv_rows(out / "mentions.csv")}
    ministry = "Ministry of Education, Culture, Sports Science and Technology of Japan"
    assert rows["MEXT"]["canonical"] == ministry
    assert rows[ministry]["source"] == ""
    assert (rows["¥800 billion"]["amount"], rows["¥800 billion"]["currency"]) == ("800000000000", "JPY")
    assert (rows["$5 million"]["amount"], rows["$5 million"]["currency"]) == ("5000000", "USD")
    assert rows["$5 million"]["norm"] == ""
    assert rows["June 2019"]["norm"] == "2019-06"
    assert rows["Prime Minister’s Office of Japan"]["label"] == "ORG"
    assert rows["Joe Biden"]["scored"] == "False"
    assert rows["DOE"]["scored"] == "True"
    for row in rows.values():
        text = TEXT_A if row["doc_id"] == "a-article" else TEXT_B
        assert text[int(row["start"]) : int(row["end"])] == row["text"]


def test_write_outputs_csv_sort_is_stable_for_equal_keys(tmp_path: Path) -> None:
    text = "DOE met."
    spans = [_span(text, "DOE", "ORG", source="first"), _span(text, "DOE", "ORG", source="second")]
    record = {"text": text, "meta": {"id": "x"}, "spans": spans}
    write_outputs([record], [], tmp_path / "one", {})
    write_outputs([{**record, "spans": spans[::-1]}], [], tmp_path / "two", {})
    assert [row["source"] for row in _csv_rows(tmp_path / "one" / "mentions.csv")] == ["first", "second"]
    assert [row["source"] for row in _csv_rows(tmp_path / "two" / "mentions.csv")] == ["second", "first"]


def test_write_outputs_jsonl_loadable_by_read_gold(written: tuple[Path, dict]) -> None:
    out, _ = written
    lines = (out / "mentions.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["meta"]["id"] for line in lines] == ["b-article", "a-article"]
    gold = read_gold(out / "mentions.jsonl")
    assert list(gold) == ["b-article", "a-article"]
    originals = {record["meta"]["id"]: record for record in _records()}
    for doc_id, record in gold.items():
        assert record["text"] == originals[doc_id]["text"]
        assert record["meta"] == originals[doc_id]["meta"]
        # read_gold keeps only the scored labels; PERSON is dropped, everything else comes back intact,
        # and each name span has gained its entity.
        expected = [span for span in originals[doc_id]["spans"] if span["label"] != "PERSON"]
        entities = ("entity", "entity_evidence")
        assert [{k: v for k, v in span.items() if k not in entities} for span in record["spans"]] == expected
        assert all(("entity" in span) == (span["label"] in NAME_LABELS) for span in record["spans"])


def test_write_outputs_jsonl_keeps_non_ascii_unescaped(written: tuple[Path, dict]) -> None:
    out, _ = written
    raw = (out / "mentions.jsonl").read_text(encoding="utf-8")
    assert "Prime Minister’s Office of Japan" in raw
    assert "¥800 billion" in raw
    assert "\\u" not in raw


def test_write_outputs_manifest_counts_and_skipped(written: tuple[Path, dict]) -> None:
    out, returned = written
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == returned
    assert manifest["tool"] == {"name": "policy-extract"}
    assert manifest["articles"] == 2
    # PERSON is not scored and not counted; every scored label is listed, with 0 where absent.
    assert manifest["spans_per_label"] == {"ORG": 5, "INITIATIVE": 0, "EVENT": 1, "DATE": 2, "MONEY": 2}
    assert manifest["skipped"] == [{"path": item.path, "reason": item.reason} for item in SKIPPED]


def test_write_outputs_manifest_does_not_count_unscored_spans_of_scored_labels(tmp_path: Path) -> None:
    text = "DOE met."
    record = {"text": text, "meta": {"id": "x"}, "spans": [_span(text, "DOE", "ORG", scored=False)]}
    manifest = write_outputs([record], [], tmp_path, {})
    assert manifest["spans_per_label"]["ORG"] == 0


def test_write_outputs_twice_is_byte_identical(tmp_path: Path) -> None:
    write_outputs(_records(), SKIPPED, tmp_path / "one", {"run": 1})
    write_outputs(_records(), SKIPPED, tmp_path / "two", {"run": 1})
    manifests = [json.loads((tmp_path / out / "manifest.json").read_text(encoding="utf-8")) for out in ("one", "two")]
    for manifest in manifests:  # each file's size and time of writing differ between the two folders
        del manifest["datasets"]["files"]
    assert manifests[0] == manifests[1]
    for name in [name for name in BYTE_STABLE_NAMES if name != "manifest.json"]:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_write_outputs_rewrites_in_place_identically(tmp_path: Path) -> None:
    write_outputs(_records(), SKIPPED, tmp_path, {})
    first = {name: (tmp_path / name).read_bytes() for name in BYTE_STABLE_NAMES}
    write_outputs(_records(), SKIPPED, tmp_path, {})
    assert {name: (tmp_path / name).read_bytes() for name in BYTE_STABLE_NAMES} == first


def test_write_outputs_uses_unix_newlines(written: tuple[Path, dict]) -> None:
    out, _ = written
    for name in [name for name in OUTPUT_NAMES if name.endswith((".csv", ".jsonl", ".json"))]:
        raw = (out / name).read_bytes()
        assert b"\r\n" not in raw, name
        assert raw.endswith(b"\n"), name


def test_write_outputs_no_records_still_writes_header(tmp_path: Path) -> None:
    manifest = write_outputs([], [], tmp_path, {})
    assert (tmp_path / "mentions.csv").read_text(encoding="utf-8") == ",".join(MENTION_COLUMNS) + "\n"
    assert (tmp_path / "mentions.jsonl").read_text(encoding="utf-8") == ""
    assert manifest["articles"] == 0
    assert manifest["skipped"] == []


def test_write_atomically_failure_keeps_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "mentions.jsonl"
    target.write_text("old\n", encoding="utf-8")

    def broken(stream) -> None:
        stream.write("half a fi")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_atomically(target, broken)
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [path.name for path in tmp_path.iterdir()] == ["mentions.jsonl"]


def test_write_atomically_creates_missing_folder(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "scores.json"
    write_atomically(target, lambda stream: stream.write("{}\n"))
    assert target.read_text(encoding="utf-8") == "{}\n"
    assert [path.name for path in target.parent.iterdir()] == ["scores.json"]


def test_write_text_atomically_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "out" / "evaluation.json"
    write_text_atomically(target, "first\n")
    write_text_atomically(target, "second\n")
    assert target.read_text(encoding="utf-8") == "second\n"
    assert [path.name for path in target.parent.iterdir()] == ["evaluation.json"]


@pytest.mark.parametrize("breaker", ["\u2028", "\x85", "\n"], ids=["line-separator", "next-line", "line-feed"])
def test_write_outputs_csv_rows_stay_with_their_article_whatever_the_line_breaks(tmp_path: Path, breaker: str) -> None:
    texts = [f"DOE{breaker}met MEXT.", "JICA met."]
    records = [
        {
            "text": text,
            "meta": {"id": f"doc{i}"},
            "spans": [{"start": 0, "end": len(text.split(" ")[0]), "label": "ORG", "text": text.split(" ")[0]}],
        }
        for i, text in enumerate(texts)
    ]
    write_outputs(records, [], tmp_path, {})
    frame = pd.read_csv(tmp_path / "mentions.csv", dtype=str, keep_default_na=False)
    assert list(frame["doc_id"]) == ["doc0", "doc1"]
    assert list(frame["text"]) == [texts[0].split(" ")[0], "JICA"]


# --- CSV cells a spreadsheet would run (OWASP "CSV Injection") ----------------------------------

# Text as an article, a front matter or an acronym can bring it: (span text, the cell in the CSV).
FORMULA_CELLS = [
    ("=HYPERLINK(x)", "'=HYPERLINK(x)"),
    ("+1 Fund", "'+1 Fund"),
    ("-5%", "'-5%"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tTab Office", "'\tTab Office"),
    ("\rCR Office", "'\rCR Office"),
    ("'=already", "''=already"),
    ("'tis Fund", "'tis Fund"),
    ("US$5 billion", "US$5 billion"),
    ("Ministry = Office", "Ministry = Office"),
]


def _hostile_csv_records(texts: list[str]) -> tuple[list[dict], list[dict]]:
    text = " | ".join(texts)
    spans, offset = [], 0
    for surface in texts:
        spans.append({"start": offset, "end": offset + len(surface), "label": "ORG", "text": surface})
        offset += len(surface) + len(" | ")
    meta = {"id": "=id", "title": "@title", "author": "-Author", "url": "+url"}
    alias = {"doc_id": "=id", "short": "-S", "long": "=Long", "label": "ORG", "mentions": 2}
    return [{"text": text, "meta": meta, "spans": spans}], [alias]


@pytest.mark.parametrize(("text", "cell"), FORMULA_CELLS, ids=[repr(text) for text, _ in FORMULA_CELLS])
def test_write_outputs_csv_neutralizes_formula_text(tmp_path: Path, text: str, cell: str) -> None:
    records, aliases = _hostile_csv_records([text])
    write_outputs(records, [], tmp_path, {}, aliases)
    (row,) = _csv_rows(tmp_path / "mentions.csv")
    assert (row["doc_id"], row["text"]) == ("'=id", cell)
    # Offsets are numbers the tool wrote: never prefixed.
    assert (row["start"], row["end"]) == ("0", str(len(text)))
    # JSONL keeps the exact text.
    (line,) = (tmp_path / "mentions.jsonl").read_text(encoding="utf-8").split("\n")[:-1]
    assert json.loads(line)["spans"][0]["text"] == text


def test_write_outputs_csv_neutralizes_aliases_and_articles(tmp_path: Path) -> None:
    records, aliases = _hostile_csv_records(["DOE"])
    write_outputs(records, [], tmp_path, {}, aliases)
    (alias,) = _csv_rows(tmp_path / "aliases.csv")
    assert alias == {"doc_id": "'=id", "short": "'-S", "long": "'=Long", "label": "ORG", "mentions": "2"}
    (article,) = _csv_rows(tmp_path / "articles.csv")
    assert {key: article[key] for key in ("id", "title", "author", "url", "characters", "ORG")} == {
        "id": "'=id",
        "title": "'@title",
        "author": "'-Author",
        "url": "'+url",
        "characters": "3",
        "ORG": "1",
    }


def test_write_outputs_csv_keeps_negative_amounts_as_numbers(tmp_path: Path) -> None:
    text = "a change of -5 dollars"
    span = _span(text, "-5 dollars", "MONEY", norm={"amount": -5, "amount_max": -2, "currency": "USD"})
    write_outputs([{"text": text, "meta": {"id": "x"}, "spans": [span]}], [], tmp_path, {})
    (row,) = _csv_rows(tmp_path / "mentions.csv")
    assert (row["text"], row["amount"], row["amount_max"], row["currency"]) == ("'-5 dollars", "-5", "-2", "USD")


LINE_BREAKS = ["\r", "\r\n", "\n", "\n\r", "\u2028"]
LINE_BREAK_IDS = ["CR", "CRLF", "LF", "LFCR", "line-separator"]


@pytest.mark.parametrize("breaker", LINE_BREAKS, ids=LINE_BREAK_IDS)
def test_write_outputs_csv_quotes_fields_with_line_breaks(tmp_path: Path, breaker: str) -> None:
    texts = [f"Asian{breaker}Development Bank", "JICA"]
    records, _ = _hostile_csv_records(texts)
    write_outputs(records, [], tmp_path, {})
    assert [row["text"] for row in _csv_rows(tmp_path / "mentions.csv")] == texts
    # A carriage return is quoted like a line feed: no reader takes it for the end of a row.
    raw = (tmp_path / "mentions.csv").read_bytes().decode("utf-8")
    assert (f'"Asian{breaker}Development Bank"' in raw) == (breaker != "\u2028")
    frame = pd.read_csv(tmp_path / "mentions.csv", dtype=str, keep_default_na=False)
    assert list(frame["text"]) == texts


@pytest.mark.parametrize("breaker", LINE_BREAKS, ids=LINE_BREAK_IDS)
def test_write_outputs_articles_csv_quotes_fields_with_line_breaks(tmp_path: Path, breaker: str) -> None:
    records, _ = _hostile_csv_records(["DOE"])
    records[0]["meta"]["title"] = f"A{breaker}title"
    write_outputs(records, [], tmp_path, {})
    assert [row["title"] for row in _csv_rows(tmp_path / "articles.csv")] == [f"A{breaker}title"]
