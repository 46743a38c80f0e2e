"""The tables: Parquet files and the DuckDB database agree with mentions.jsonl, whatever the number of workers."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from conftest import PATTERNS_DIR

from pipeline.batch import RunOptions, run_batch
from pipeline.commitments import commitment_rows, initiative_rows
from pipeline.corpus import iter_articles
from pipeline.patterns import RuleSet
from pipeline.records import MENTION_COLUMNS, mention_fields
from pipeline.spans import sort_spans
from pipeline.tables import MENTION_TABLE_COLUMNS
from pipeline.types import PipelineSettings

SETTINGS = PipelineSettings(patterns_dir=PATTERNS_DIR)
TABLES = ("mentions", "articles", "aliases", "entities", "commitments", "initiatives")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, article_sample: Path, rules: RuleSet) -> dict[int, Path]:
    """The sample articles run with one worker and with two."""
    outs = {}
    for workers in (1, 2):
        out = tmp_path_factory.mktemp(f"workers-{workers}")
        run_batch(iter_articles([article_sample]), SETTINGS, rules, out, RunOptions(workers=workers))
        outs[workers] = out
    return outs


def _database_rows(out: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(out / "policy.duckdb"), read_only=True) as connection:
        return connection.execute(f"SELECT * FROM {table}").fetchall()


def test_the_mentions_table_holds_mentions_jsonl_row_for_row(runs: dict[int, Path]) -> None:
    out = runs[1]
    expected = []
    for line in (out / "mentions.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        for span in sort_spans(record["spans"]):
            expected.append(tuple(mention_fields(record["meta"]["id"], span).values()))
    parquet = pq.read_table(out / "mentions.parquet").to_pylist()
    assert [tuple(row[column] for column in MENTION_COLUMNS) for row in parquet] == expected
    in_database = [row[: len(MENTION_COLUMNS)] for row in _database_rows(out, "mentions")]
    assert in_database == expected


def test_each_mention_carries_the_sentence_it_is_in(runs: dict[int, Path]) -> None:
    out = runs[1]
    texts = {}
    for line in (out / "mentions.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        texts[record["meta"]["id"]] = record["text"]
    rows = pq.read_table(out / "mentions.parquet").to_pylist()
    assert rows and all(row["sentence"] is not None for row in rows)
    for row in rows:
        assert row["sentence_start"] <= row["start"] < row["sentence_end"]
        assert row["sentence"] == texts[row["doc_id"]][row["sentence_start"] : row["sentence_end"]]
        assert row["sentence"] == row["sentence"].strip()
    assert set(MENTION_TABLE_COLUMNS) == set(rows[0])


def test_the_commitment_tables_hold_the_relations_of_mentions_jsonl(runs: dict[int, Path], rules: RuleSet) -> None:
    """Each table has the rows `pipeline.commitments` makes of the records, as the CSV file has them."""
    out = runs[1]
    records = [json.loads(line) for line in (out / "mentions.jsonl").read_text(encoding="utf-8").splitlines()]
    made = {
        "commitments": [row for record in records for row in commitment_rows(record, rules.relations.statuses)],
        "initiatives": [row for record in records for row in initiative_rows(record)],
    }
    assert made["commitments"] and made["initiatives"], "the sample articles state commitments"
    for table, rows in made.items():
        assert [tuple(row) for row in rows] == _database_rows(out, table), table
        assert [list(row.values()) for row in pq.read_table(out / f"{table}.parquet").to_pylist()] == rows
        with (out / f"{table}.csv").open(encoding="utf-8", newline="") as stream:
            header, *csv_rows = csv.reader(stream)
        assert header[0] == "doc_id" and [row[0] for row in csv_rows] == [row[0] for row in rows]


def test_one_and_two_workers_give_identical_tables(runs: dict[int, Path]) -> None:
    for table in TABLES:
        assert _database_rows(runs[1], table) == _database_rows(runs[2], table), table
        parquet = [pq.read_table(out / f"{table}.parquet").to_pylist() for out in (runs[1], runs[2])]
        assert parquet[0] == parquet[1], table


def test_the_entities_table_counts_what_the_mentions_say(runs: dict[int, Path]) -> None:
    out = runs[1]
    mentions = pq.read_table(out / "mentions.parquet").to_pylist()
    articles = {row["id"]: row["date"] for row in pq.read_table(out / "articles.parquet").to_pylist()}
    for entity in pq.read_table(out / "entities.parquet").to_pylist():
        own = [row for row in mentions if row["entity"] == entity["entity"]]
        assert entity["mentions"] == len(own)
        assert entity["articles"] == len({row["doc_id"] for row in own})
        assert entity["aliases"] == sorted({row["text"] for row in own})
        assert str(entity["first_date"]) == min(articles[row["doc_id"]] for row in own)
    named = {row["entity"] for row in mentions if row["label"] in ("ORG", "INITIATIVE", "EVENT") and row["scored"]}
    assert named == {row["entity"] for row in pq.read_table(out / "entities.parquet").to_pylist()}


def test_every_alias_row_names_the_entity_of_its_long_form(runs: dict[int, Path]) -> None:
    out = runs[1]
    csv_rows = (out / "aliases.csv").read_text(encoding="utf-8").splitlines()[1:]
    rows = pq.read_table(out / "aliases.parquet").to_pylist()
    assert len(rows) == len(csv_rows) > 0
    entities = {row["entity"] for row in pq.read_table(out / "entities.parquet").to_pylist()}
    assert all(row["entity"] in entities for row in rows if row["mentions"])


def test_a_re_run_over_unchanged_articles_keeps_the_tables_and_a_changed_file_is_rebuilt(
    tmp_path: Path, article_sample: Path, rules: RuleSet
) -> None:
    def run() -> dict:
        manifest, _ = run_batch(iter_articles([article_sample]), SETTINGS, rules, tmp_path, RunOptions())
        return manifest

    first = run()
    written = {name: (tmp_path / name).read_bytes() for name in first["datasets"]["files"]}
    second = run()
    assert (first["run"]["tables_kept"], second["run"]["tables_kept"]) == (False, True)
    assert {name: (tmp_path / name).read_bytes() for name in written} == written
    (tmp_path / "entities.parquet").write_bytes(b"edited by hand")
    third = run()
    assert third["run"]["tables_kept"] is False
    assert (tmp_path / "entities.parquet").read_bytes() == written["entities.parquet"]
