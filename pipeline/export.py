"""Write the datasets atomically: `mentions.jsonl`, the CSV files, the tables and `manifest.json`."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .commitments import COMMITMENT_COLUMNS, INITIATIVE_COLUMNS, commitment_rows, initiative_rows
from .entities import EntityResolver, EntityRules
from .errors import Messages, PolicyExtractError, printable, shown_path
from .records import (
    ALIAS_COLUMNS,
    ARTICLE_COLUMNS,
    MENTION_COLUMNS,
    Extraction,
    Rendered,
    Sentences,
    article_row,
    csv_lines,
    mention_fields,
    render,
)
from .spans import sort_spans
from .types import SCORED_LABELS, Skipped

if TYPE_CHECKING:
    from .tables import TableWriter

# Temporary files carry a prefix only this tool uses, so cleaning up never touches a user's `*.tmp`.
TEMPORARY_PREFIX = ".policy-extract-"
TEMPORARY_SUFFIX = ".tmp"
# The temporary files a run writes before `commit` turns them into the datasets.
RECORDS_AS_READ = "mentions.jsonl.as-read"
RAW_ALIASES = "aliases.parquet.as-read"
ROWS_AS_READ = "articles-and-aliases.jsonl.as-read"


def write_atomically(path: Path, write: Callable[[IO[str]], object]) -> None:
    """Write through a temporary file in the same folder, then rename, so no reader sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = temporary_file(path.parent, path.name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            write(stream)
        os.replace(temporary, path)
    except BaseException:
        remove_quietly(temporary)
        raise


def temporary_file(folder: Path, name: str) -> tuple[int, Path]:
    """A new temporary file in `folder` for the file `name`, with the mode any new file gets there.

    `mkstemp` makes it readable by its owner only; the datasets are ordinary files, so the
    mode is set from the umask as `open` would.
    """
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f"{TEMPORARY_PREFIX}{name}.", suffix=TEMPORARY_SUFFIX)
    os.fchmod(handle, 0o666 & ~_umask())
    return handle, Path(temporary)


def remove_temporary_files(folder: Path) -> None:
    """Remove what runs killed before their end left in `folder`: this tool's temporary files only."""
    for stale in folder.glob(f"{TEMPORARY_PREFIX}*{TEMPORARY_SUFFIX}"):
        remove_quietly(stale)


def remove_quietly(path: Path) -> None:
    """Remove a temporary file, trying twice; one left behind is removed by the next run in the folder."""
    for _ in range(2):
        try:
            path.unlink(missing_ok=True)
            return
        except OSError:
            continue


@functools.cache
def _umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it: put it straight back
    os.umask(mask)
    return mask


def write_text_atomically(path: Path, text: str) -> None:
    """`write_atomically` for a text already in memory."""
    write_atomically(path, lambda stream: stream.write(text))


class DatasetWriter:
    """Stream the datasets into temporary files in `out_dir`; `commit` resolves entities and renames them into place.

    While articles are added, their records go to a temporary file as they came (from the
    workers or the cache) and their acronym definitions to `resolver`. `commit` then reads the
    records back once, in order, gives each name span its entity, and writes `mentions.jsonl`,
    `mentions.csv` and the tables (`pipeline.tables`). Until `commit`, readers see the previous
    complete files (or none); a run that fails or is killed leaves only hidden temporary
    files, which the next writer in the folder removes.
    """

    NAMES = ("mentions.jsonl", "mentions.csv", "aliases.csv", "articles.csv", "commitments.csv", "initiatives.csv")
    TABLES = ("mentions", "articles", "aliases", "entities", "commitments", "initiatives")
    DATABASE = "policy.duckdb"
    DATASETS = (*NAMES, *(f"{table}.parquet" for table in TABLES), DATABASE)

    def __init__(
        self,
        out_dir: Path,
        resolver: EntityResolver,
        identity: str = "",
        statuses: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.out_dir = out_dir
        self.resolver = resolver
        # The word forms of each commitment status (the rule set's `relations.statuses`).
        self.statuses = statuses or {}
        # What the datasets are made from: `identity` (the run's fingerprint), then each article's
        # record and origin, in order.
        self._made_from = hashlib.sha256(identity.encode("utf-8"))
        out_dir.mkdir(parents=True, exist_ok=True)
        remove_temporary_files(out_dir)
        self._temporary: dict[str, Path] = {}
        self._streams: dict[str, IO[str]] = {}
        for name in (*self.NAMES, RECORDS_AS_READ):
            self._streams[name] = self._open(name)
        self._streams["mentions.csv"].write(",".join(MENTION_COLUMNS) + "\n")
        self._streams["aliases.csv"].write(",".join(ALIAS_COLUMNS) + "\n")
        self._streams["articles.csv"].write(",".join(ARTICLE_COLUMNS) + "\n")
        self._streams["commitments.csv"].write(",".join(COMMITMENT_COLUMNS) + "\n")
        self._streams["initiatives.csv"].write(",".join(INITIATIVE_COLUMNS) + "\n")
        self._tables: dict[str, TableWriter] = {}
        # Rows of the articles and aliases tables wait as JSON lines: a run that keeps its tables
        # then never imports pyarrow.
        self._streams[ROWS_AS_READ] = self._open(ROWS_AS_READ)
        self.articles = 0
        self.counts: Counter[str] = Counter()

    def _open(self, name: str) -> IO[str]:
        handle, temporary = temporary_file(self.out_dir, name)
        self._temporary[name] = temporary
        return os.fdopen(handle, "w", encoding="utf-8", newline="")

    def _table(self, name: str, columns: tuple[str, ...], counts: tuple[str, ...] = ()) -> TableWriter:
        from .tables import TableWriter  # pyarrow, only when tables are written

        handle, temporary = temporary_file(self.out_dir, name)
        os.close(handle)
        self._temporary[name] = temporary
        return TableWriter(temporary, columns, counts)

    def add(self, rendered: Sequence[Rendered], origins: Sequence[tuple[str, str, str]]) -> None:
        """Append rendered articles, in order, each with its origin: (input path, its sha256, its reader)."""
        article_rows, alias_rows = [], []
        for article, (path, sha256, reader) in zip(rendered, origins, strict=True):
            self._streams[RECORDS_AS_READ].write(article.jsonl)
            self._made_from.update(f"{article.jsonl}{path}\0{sha256}\0{reader}\n".encode())
            doc_id = article.meta.get("id")
            aliases = [[doc_id, *definition] for definition in article.definitions]
            self._streams["aliases.csv"].writelines(csv_lines(aliases))
            self.resolver.add_definitions((short, long, label) for short, long, label, _ in article.definitions)
            row = article_row(article, path=path, sha256=sha256, reader=reader)
            self._streams["articles.csv"].write(csv_lines([row])[0])
            article_rows.append(row)
            alias_rows += aliases
            self.counts.update(article.counts)
        self._streams[ROWS_AS_READ].writelines(
            json.dumps([table, row], ensure_ascii=False) + "\n"
            for table, rows in (("articles", article_rows), ("raw_aliases", alias_rows))
            for row in rows
        )
        self.articles += len(rendered)

    def commit(self, manifest: dict[str, Any], skipped: Sequence[Skipped]) -> dict[str, Any]:
        """Resolve the entities, write the datasets and tables, and move them all into place, the manifest last.

        When the previous datasets in `out_dir` were made from the same articles, origins and
        `identity`, and their files still have the size and modification time the previous
        manifest gives them, they are kept and only the manifest is written: a warm re-run over
        an unchanged corpus does not rebuild the tables. Every destination is checked before the
        first rename (a folder where a dataset goes stops the commit), so the datasets are
        replaced all together or not at all.

        Raises:
            PolicyExtractError: when a destination is a folder; nothing is replaced then.
            OSError: when a file cannot be written (a full disk); `abort` keeps the previous datasets.
        """
        started = time.perf_counter()
        made_from = self._made_from.hexdigest()
        previous = _previous_datasets(self.out_dir)
        reused = previous.get("made_from") == made_from and _files_hold(self.out_dir, previous.get("files"))
        if reused:
            self.abort()
            self._temporary, self._streams, self._tables = {}, {}, {}
            datasets = previous
        else:
            self._write_tables()
            files = {name: _identity(temporary) for name, temporary in sorted(self._temporary.items())}
            datasets = {"made_from": made_from, "files": files}
        if isinstance(manifest.get("run"), dict):  # a batch run's figures: the time entities and tables took
            run = {**manifest["run"], "tables_seconds": round(time.perf_counter() - started, 3), "tables_kept": reused}
            manifest["run"] = run
        manifest = {
            **manifest,
            "articles": self.articles,
            "spans_per_label": {label: self.counts.get(label, 0) for label in SCORED_LABELS},
            "entities": {"ambiguous_acronyms": self.resolver.ambiguous},
            "datasets": datasets,
            "skipped": [{"path": printable(item.path), "reason": printable(item.reason)} for item in skipped],
        }
        text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True, allow_nan=False) + "\n"
        self._streams["manifest.json"] = self._open("manifest.json")
        self._streams["manifest.json"].write(text)
        for stream in self._streams.values():
            stream.close()
        for name in self._temporary:
            destination = self.out_dir / name
            if destination.is_dir() and not destination.is_symlink():
                raise PolicyExtractError(Messages.E009.format(path=shown_path(destination)))
        for name, temporary in self._temporary.items():
            os.replace(temporary, self.out_dir / name)
        return manifest

    def _write_tables(self) -> None:
        """Read the records back with their entities into mentions.*, then build the database from the tables."""
        from .tables import MENTION_TABLE_COLUMNS, build_database

        self._streams.pop(RECORDS_AS_READ).close()
        self._write_article_and_alias_tables()
        for name in ("aliases.parquet", "entities.parquet"):  # DuckDB writes them
            handle, self._temporary[name] = temporary_file(self.out_dir, name)
            os.close(handle)
        self._tables["mentions"] = self._table("mentions.parquet", MENTION_TABLE_COLUMNS)
        self._tables["commitments"] = self._table("commitments.parquet", COMMITMENT_COLUMNS)
        self._tables["initiatives"] = self._table("initiatives.parquet", INITIATIVE_COLUMNS)
        self._write_mentions()
        for name in ("mentions", "commitments", "initiatives"):
            self._tables[name].close()
        handle, database = temporary_file(self.out_dir, self.DATABASE)
        os.close(handle)
        database.unlink()  # DuckDB creates its database file itself
        self._temporary[self.DATABASE] = database
        build_database(
            database,
            {
                "mentions": self._tables["mentions"].path,
                "articles": self._tables["articles"].path,
                "commitments": self._tables["commitments"].path,
                "initiatives": self._tables["initiatives"].path,
                "raw_aliases": self._tables["raw_aliases"].path,
                "aliases": self._temporary["aliases.parquet"],
                "entities": self._temporary["entities.parquet"],
            },
            self.resolver.alias_entities(),
        )
        remove_quietly(self._temporary.pop(RECORDS_AS_READ))
        remove_quietly(self._temporary.pop(RAW_ALIASES))
        for stream in self._streams.values():
            stream.close()  # before their digests are taken

    def _write_article_and_alias_tables(self) -> None:
        self._streams.pop(ROWS_AS_READ).close()
        self._tables["articles"] = self._table("articles.parquet", ARTICLE_COLUMNS, counts=SCORED_LABELS)
        self._tables["raw_aliases"] = self._table(RAW_ALIASES, ALIAS_COLUMNS)
        with self._temporary[ROWS_AS_READ].open(encoding="utf-8") as rows:
            for line in rows:
                table, row = json.loads(line)
                self._tables[table].add([row])
        for name in ("articles", "raw_aliases"):
            self._tables[name].close()
        remove_quietly(self._temporary.pop(ROWS_AS_READ))

    def _write_mentions(self) -> None:
        """Read the records back in order; write each with its entities to mentions.jsonl, .csv and .parquet,
        and its commitments and initiatives (`pipeline.commitments`) to their CSV and Parquet files."""
        with self._temporary[RECORDS_AS_READ].open(encoding="utf-8", newline="") as records:
            for line in records:
                record = json.loads(line)
                names = {
                    (span["start"], span["end"], span["label"]): link.name
                    for span, link in zip(record["spans"], self.resolver.annotate(record["spans"]), strict=True)
                    if link is not None
                }
                sentences = Sentences(record.get("sentences", []))
                doc_id = record["meta"]["id"]
                rows = []
                for span in sort_spans(record["spans"]):
                    sentence = sentences.holding(span["start"])
                    rows.append(
                        [
                            *mention_fields(doc_id, span).values(),
                            names.get((span["start"], span["end"], span["label"])),
                            *(sentence or (None, None)),
                            record["text"][slice(*sentence)] if sentence else None,
                        ]
                    )
                self._tables["mentions"].add(rows)
                self._streams["mentions.csv"].writelines(csv_lines(row[: len(MENTION_COLUMNS)] for row in rows))
                self._streams["mentions.jsonl"].write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
                made = {"commitments": commitment_rows(record, self.statuses), "initiatives": initiative_rows(record)}
                for name, rows_made in made.items():
                    self._tables[name].add(rows_made)
                    self._streams[f"{name}.csv"].writelines(csv_lines(rows_made))

    def abort(self) -> None:
        """Drop the temporary files; the previous outputs stay as they were."""
        for stream in self._streams.values():
            with suppress(OSError):  # the disk is full: what is left unwritten goes with the file
                stream.close()
        for table in self._tables.values():
            with suppress(OSError):
                table.close()
        for temporary in self._temporary.values():
            remove_quietly(temporary)
            remove_quietly(temporary.with_name(f"{temporary.name}.wal"))


def _previous_datasets(out_dir: Path) -> dict[str, Any]:
    """What the manifest in `out_dir` says its datasets were made from and hold; empty when it says nothing."""
    try:
        manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return {}
    datasets = manifest.get("datasets") if isinstance(manifest, dict) else None
    return datasets if isinstance(datasets, dict) else {}


def _files_hold(out_dir: Path, files: Any) -> bool:
    """Whether every file named in `files` (name -> its `_identity`) is in `out_dir` as it was written."""
    if not isinstance(files, dict) or set(files) != set(DatasetWriter.DATASETS):
        return False
    for name, identity in files.items():
        path = out_dir / name
        if path.is_symlink() or not path.is_file() or _identity(path) != identity:
            return False
    return True


def _identity(path: Path) -> dict[str, int]:
    """A file's size and modification time: a rename keeps them, any write changes them (as `make` and git's index
    tell a file unchanged), and reading them costs nothing next to hashing a corpus's tables."""
    status = path.stat()
    return {"bytes": status.st_size, "mtime_ns": status.st_mtime_ns}


def write_outputs(
    records: list[dict[str, Any]],
    skipped: list[Skipped],
    out_dir: Path,
    manifest: dict[str, Any],
    aliases: list[dict[str, Any]] | None = None,
    resolver: EntityResolver | None = None,
) -> dict[str, Any]:
    """Write all datasets for records already in memory, in the order given; return the manifest."""
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for alias in aliases or []:
        by_doc.setdefault(alias["doc_id"], []).append(alias)
    writer = DatasetWriter(out_dir, resolver or EntityResolver(EntityRules()))
    try:
        rendered = render([Extraction(record, by_doc.get(record["meta"]["id"], [])) for record in records])
        writer.add(rendered, [(record.get("_where", ""), "", "jsonl") for record in records])
    except BaseException:
        writer.abort()
        raise
    return writer.commit(manifest, skipped)
