"""Bad input: every class of bad article, pattern and gold file gets a clear message, and nothing else is lost."""

from __future__ import annotations

import json
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from conftest import CORPUS_DIR, PATTERNS_DIR

from pipeline.batch import RunOptions, run_batch
from pipeline.corpus import find_duplicate_ids, iter_articles, read_gold
from pipeline.errors import GoldError, PatternFileError
from pipeline.patterns import greedy_pattern_warnings, load_rules
from pipeline.types import Article, PipelineSettings, Skipped

GOOD = "The U.S. Department of Energy (DOE) signed a $2 billion deal in May 2021.\n"


def _png() -> bytes:
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))


def _read(path: Path, **kwargs) -> list[Article | Skipped]:
    return list(iter_articles([path], **kwargs))


def _reason(path: Path, **kwargs) -> str:
    (item,) = _read(path, **kwargs)
    assert isinstance(item, Skipped), item
    assert "\n" not in item.reason
    return item.reason


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "empty article"),
        ("blank.md", b"  \n\t\n  ", "empty article"),
        ("front-only.md", b"---\nid: x\n---\n   \n", "empty article"),
        ("image.txt", _png(), "not text"),
        ("nul.txt", b"Trade talks\x00 resumed.", "not text"),
        ("latin1.txt", "Caf\u00e9 de la Paix".encode("latin-1"), "not UTF-8 at byte 3"),
        ("cp1252.txt", "the \u201cCoRe\u201d Partnership".encode("cp1252"), "not UTF-8 at byte 4"),
        ("unclosed.md", b"---\nid: x\n\nBody without a closing fence.", "never closed"),
        ("tabs.md", b"---\nid: x\n\tdate: 2021-01-01\n---\nBody.", "front matter is not a YAML mapping"),
        ("list.md", b"---\n- a\n- b\n---\nBody.", "front matter is not a YAML mapping"),
        ("bad-date.md", b"---\nid: x\ndate: July 2021\n---\nBody.", "line 3: date 'July 2021' is not an ISO date"),
        ("impossible-date.md", b"---\nid: x\ndate: 2021-13-45\n---\nBody.", "front matter is not a YAML mapping"),
        ("notes.docx", b"PK\x03\x04", "unsupported file type '.docx'"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 20 else None,
)
def test_bad_article_is_skipped_with_its_reason(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    reason = _reason(path)
    assert str(path) in reason and message in reason


def test_latin1_decodes_with_an_explicit_encoding(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Caf\u00e9 de la Paix".encode("latin-1"))
    (article,) = _read(path, encoding="latin-1")
    assert article.text == "Caf\u00e9 de la Paix"


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8-sig", b""), ("utf-16", b""), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")],
    ids=["utf8-bom", "utf16-bom", "utf16le-bom", "utf16be-bom"],
)
def test_byte_order_marks_are_read_and_removed(tmp_path: Path, encoding: str, bom: bytes) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(bom + GOOD.encode(encoding))
    (article,) = _read(path)
    assert article.text == GOOD


def test_crlf_articles_keep_offsets_into_the_decoded_text(tmp_path: Path, rules) -> None:
    text = "---\r\nid: crlf\r\ndate: 2021-06-01\r\n---\r\n" + GOOD.replace("\n", "\r\n") * 3
    (tmp_path / "crlf.md").write_bytes(text.encode("utf-8"))
    run_batch(
        iter_articles([tmp_path / "crlf.md"]),
        PipelineSettings(patterns_dir=PATTERNS_DIR),
        rules,
        tmp_path / "out",
        RunOptions(),
    )
    (record,) = read_gold(tmp_path / "out" / "mentions.jsonl").values()
    assert "\r\n" in record["text"]
    assert record["spans"] and all(record["text"][s["start"] : s["end"]] == s["text"] for s in record["spans"])


def test_article_longer_than_the_limit_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_text("The Asian Development Bank met. " * 170_000, encoding="utf-8")
    assert "longer than" in _reason(path, max_length=1_000_000)


def test_unknown_front_matter_keys_are_kept(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\nid: a\nregion: ASEAN\n---\nBody.", encoding="utf-8")
    (article,) = _read(tmp_path / "a.md")
    assert article.meta == {"id": "a", "region": "ASEAN", "date_source": "none"}


def test_duplicate_ids_are_found_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "one.md").write_text("---\nid: same\n---\nOne.", encoding="utf-8")
    (tmp_path / "two.md").write_text("---\nid: same\n---\nTwo.", encoding="utf-8")
    (duplicate,) = find_duplicate_ids([tmp_path])
    assert str(tmp_path / "one.md") in duplicate and str(tmp_path / "two.md") in duplicate


@pytest.mark.parametrize(
    "make",
    ["missing", "loop", "unreadable"],
)
def test_unreachable_paths_are_skipped_with_the_path(tmp_path: Path, make: str, monkeypatch) -> None:
    path = tmp_path / "article.txt"
    if make == "loop":
        (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
        (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
        path = tmp_path / "a.txt"
    elif make == "unreadable":
        path.write_text(GOOD, encoding="utf-8")
        original = Path.read_bytes

        def refuse(self: Path) -> bytes:
            if self == path:
                raise PermissionError(13, "Permission denied", str(self))
            return original(self)

        monkeypatch.setattr(Path, "read_bytes", refuse)
    reason = _reason(path)
    assert str(path) in reason


# --- pattern files -----------------------------------------------------------------------------


def test_pattern_that_matches_every_token_is_warned(tmp_path: Path) -> None:
    shutil.copytree(PATTERNS_DIR, tmp_path / "patterns")
    (tmp_path / "patterns" / "greedy.yml").write_text(
        # One wildcard token: `[{OP: "+"}]` would be as broad, but its matches grow with the square of the text.
        "patterns:\n  - id: everything\n    label: ORG\n    pattern: [{}]\n"
        '    examples:\n      match: ["[anything]"]\n',
        encoding="utf-8",
    )
    rules = load_rules(tmp_path / "patterns")
    (warning,) = greedy_pattern_warnings(rules)
    assert "everything" in warning and "100%" in warning


def test_pattern_file_problems_name_file_entry_line_and_allowed(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text(
        "patterns:\n  - id: org-x\n    label: ORG\n    pattern: [{SHAPES: Xxxx}]\n"
        "    examples:\n      match: ['[X]']\n",
        encoding="utf-8",
    )
    with pytest.raises(PatternFileError) as raised:
        load_rules(tmp_path)
    message = str(raised.value)
    assert all(part in message for part in ("bad.yml", "line 2", "org-x", "SHAPES", "allowed token attributes"))


# --- gold files --------------------------------------------------------------------------------


def _gold_line(tmp_path: Path, spans: list[dict], text: str = "DOE met the G20 Osaka Summit.") -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps({"text": text, "meta": {"id": "g"}, "spans": spans}) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("spans", "message"),
    [
        ([{"start": 0, "end": 99, "label": "ORG", "text": "DOE"}], "outside the text"),
        ([{"start": 0, "end": 3, "label": "ORG", "text": "DOJ"}], "says 'DOJ'"),
        (
            [
                {"start": 12, "end": 28, "label": "EVENT", "text": "G20 Osaka Summit"},
                {"start": 16, "end": 28, "label": "ORG", "text": "Osaka Summit"},
                {"start": 12, "end": 21, "label": "DATE", "text": "G20 Osaka"},
            ],
            "overlap",
        ),
    ],
    ids=["outside", "text-mismatch", "forbidden-overlap"],
)
def test_bad_gold_is_refused_with_file_and_line(tmp_path: Path, spans: list[dict], message: str) -> None:
    with pytest.raises(GoldError) as raised:
        read_gold(_gold_line(tmp_path, spans))
    assert "gold.jsonl, line 1" in str(raised.value) and message in str(raised.value)


def test_broken_gold_line_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps({"text": "a", "meta": {"id": "a"}, "spans": []}) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(GoldError, match=r"gold\.jsonl, line 2: not valid JSON"):
        read_gold(path)


def test_corpus_gold_passes_every_check() -> None:
    files = sorted((CORPUS_DIR / "gold").glob("*.jsonl"))
    assert files and sorted(read_gold(CORPUS_DIR / "gold")) == [path.stem for path in files]


# --- the run as a whole ------------------------------------------------------------------------


def test_run_lists_every_skipped_input_in_summary_and_manifest(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import app

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.md").write_text("---\nid: good\n---\n" + GOOD, encoding="utf-8")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "image.txt").write_bytes(_png())
    (corpus / "latin1.txt").write_bytes("Caf\u00e9".encode("latin-1"))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["run", str(corpus), "--out", str(out), "--workers", "1", "--patterns", str(PATTERNS_DIR)]
    )
    assert result.exit_code == 1
    assert "1 articles" in result.stdout and "3 skipped" in result.stdout
    skipped = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["skipped"]
    reasons = {Path(item["path"]).name: item["reason"] for item in skipped}
    assert set(reasons) == {"empty.txt", "image.txt", "latin1.txt"}
    assert "empty article" in reasons["empty.txt"] and "not text" in reasons["image.txt"]
    assert "not UTF-8 at byte 3" in reasons["latin1.txt"]


def test_run_refuses_duplicate_ids_before_any_work(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import app

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("one.md", "two.md"):
        (corpus / name).write_text("---\nid: same\n---\n" + GOOD, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(corpus), "--out", str(out), "--patterns", str(PATTERNS_DIR)])
    assert result.exit_code == 2
    assert "one.md" in result.stderr and "two.md" in result.stderr
    assert not out.exists()


def test_evaluate_exits_non_zero_on_bad_gold(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import app

    gold = _gold_line(tmp_path, [{"start": 0, "end": 3, "label": "ORG", "text": "DOJ"}])
    result = CliRunner().invoke(
        app, ["evaluate", "--gold", str(gold), "--pred", str(gold), "--out", str(tmp_path / "e.json")]
    )
    assert result.exit_code == 2
    assert "gold.jsonl, line 1" in result.stderr
