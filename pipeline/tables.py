"""The datasets as tables: Parquet files written as a run streams, and the DuckDB database built from them.

`mentions.parquet` holds one row per span (the columns of `mentions.csv`, with the entity and
the sentence the span is in), `articles.parquet` one row per article, `aliases.parquet` one row
per acronym definition with the entity its long form resolves to, and `entities.parquet` one
row per entity with its names, counts and first and last article dates. Rows are written in
batches (`TableWriter`), so memory stays flat in the corpus's size. `build_database` then makes
`policy.duckdb` from the Parquet files in one process, since DuckDB allows one writer per
database file; the entities table is computed there, in SQL, from the mentions and articles.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .records import MENTION_COLUMNS

# Rows held before they are written as one Parquet row group: a few megabytes of Python objects.
ROWS_PER_GROUP = 16384

_TYPES = {
    "start": pa.int64(),
    "end": pa.int64(),
    "scored": pa.bool_(),
    "resolved": pa.bool_(),
    "amount": pa.float64(),
    "amount_max": pa.float64(),
    "approximate": pa.bool_(),
    "characters": pa.int64(),
    "words": pa.int64(),
    "mentions": pa.int64(),
    "sentence_start": pa.int64(),
    "sentence_end": pa.int64(),
}
SENTENCE_COLUMNS = ("sentence_start", "sentence_end", "sentence")
ENTITY_NAME_COLUMN = "entity_name"
MENTION_TABLE_COLUMNS = (*MENTION_COLUMNS, ENTITY_NAME_COLUMN, *SENTENCE_COLUMNS)
COUNT_TYPE = pa.int64()


def _schema(columns: tuple[str, ...], counts: tuple[str, ...] = ()) -> pa.Schema:
    return pa.schema([(name, COUNT_TYPE if name in counts else _TYPES.get(name, pa.string())) for name in columns])


class TableWriter:
    """One Parquet file written row by row, a row group at a time.

    `columns` name the fields of each row in order; `counts` are further integer columns
    (the spans per label of an article).
    """

    def __init__(self, path: Path, columns: tuple[str, ...], counts: tuple[str, ...] = ()) -> None:
        self.path = path
        self.columns = columns
        self.schema = _schema(columns, counts)
        self._writer = pq.ParquetWriter(path, self.schema, compression="zstd")
        self._rows: list[list[Any]] = []
        self.rows = 0

    def add(self, rows: list[list[Any]]) -> None:
        """Append rows (values in `columns` order); a full row group is written out."""
        self._rows += rows
        self.rows += len(rows)
        if len(self._rows) >= ROWS_PER_GROUP:
            self._flush()

    def close(self) -> None:
        """Write what is held and close the file; a second call does nothing."""
        if self._writer is not None:
            self._flush()
            self._writer.close()
            self._writer = None

    def _flush(self) -> None:
        if not self._rows:
            return
        columns = list(zip(*self._rows, strict=True))
        arrays = [_array(values, field.type) for values, field in zip(columns, self.schema, strict=True)]
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema), row_group_size=ROWS_PER_GROUP)
        self._rows = []


def _array(values: tuple[Any, ...], kind: pa.DataType) -> pa.Array:
    try:
        return pa.array(values, type=kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        if kind != pa.string():
            raise
        return pa.array([_text(value) for value in values], type=kind)


def _text(value: Any) -> str | None:
    """A value of a text column: front matter may hold a number or a list where text is usual."""
    return value if value is None or isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def build_database(database: Path, tables: dict[str, Path], alias_entities: list[tuple[str, str, str, str]]) -> None:
    """Write `database` from the Parquet files of `tables` (name -> path), and `entities.parquet` beside them.

    `tables` names the files of `mentions`, `articles`, `commitments`, `initiatives` and
    `raw_aliases` (the aliases without entities),
    and where `entities` and the final `aliases` go; `alias_entities` are (label, short,
    long, entity) rows that give each definition its entity.
    """
    import duckdb

    with duckdb.connect(str(database)) as connection:
        for name in ("mentions", "articles", "commitments", "initiatives"):
            connection.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet(?)", [str(tables[name])])
        connection.execute("CREATE TABLE alias_entities (label VARCHAR, short VARCHAR, long VARCHAR, entity VARCHAR)")
        if alias_entities:
            connection.executemany("INSERT INTO alias_entities VALUES (?, ?, ?, ?)", alias_entities)
        connection.execute(
            """
            CREATE TABLE aliases AS
            SELECT a.*, e.entity
            FROM read_parquet(?) AS a
            LEFT JOIN alias_entities AS e USING (label, short, long)
            ORDER BY a.doc_id, a.short, a.long
            """,
            [str(tables["raw_aliases"])],
        )
        connection.execute("DROP TABLE alias_entities")
        connection.execute(_ENTITIES_SQL)
        for name in ("aliases", "entities"):
            connection.execute(f"COPY {name} TO '{_quoted(tables[name])}' (FORMAT parquet, COMPRESSION zstd)")


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


# The name of an entity is the one its mentions resolve to most often (then the longest, then the
# first in order); its dates are those of the articles that mention it.
_ENTITIES_SQL = f"""
CREATE TABLE entities AS
WITH names AS (
    SELECT entity, {ENTITY_NAME_COLUMN} AS name, count(*) AS uses
    FROM mentions WHERE entity IS NOT NULL GROUP BY ALL
), named AS (
    SELECT entity, first(name ORDER BY uses DESC, length(name) DESC, name) AS name FROM names GROUP BY entity
), counted AS (
    SELECT m.entity,
           min(m.label) AS label,
           list(DISTINCT m.text ORDER BY m.text) AS aliases,
           count(DISTINCT m.doc_id) AS articles,
           count(*) AS mentions,
           min(TRY_CAST(a.date AS DATE)) AS first_date,
           max(TRY_CAST(a.date AS DATE)) AS last_date
    FROM mentions AS m LEFT JOIN articles AS a ON a.id = m.doc_id
    WHERE m.entity IS NOT NULL
    GROUP BY m.entity
)
SELECT c.entity, c.label, n.name, c.aliases, c.articles, c.mentions, c.first_date, c.last_date
FROM counted AS c JOIN named AS n USING (entity)
ORDER BY c.entity
"""
