"""Hostile and unlucky inputs (issue 13): one bad input costs only itself, nothing outside `--out` is touched.

Each table row is one input an attacker or an unlucky user could give; the run beside it
always writes the good article, and the bad one is skipped with a one-line reason.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import PATTERNS_DIR
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import workers
from pipeline.batch import RunOptions, run_batch
from pipeline.corpus import Selection, iter_articles, read_gold
from pipeline.errors import GoldError, PolicyExtractError
from pipeline.lock import LOCK_NAME
from pipeline.patterns import RuleSet
from pipeline.types import Article, PipelineSettings, Skipped

SETTINGS = PipelineSettings(patterns_dir=PATTERNS_DIR)
GOOD = "---\nid: good\ndate: 2021-07-01\n---\nThe Asian Development Bank (ADB) lent $2 billion in May 2021.\n"
LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 10)}]\n" for n in range(8)
)


def _front(header: str) -> bytes:
    return f"---\n{header}---\nThe World Bank approved the loan.\n".encode()


def _line(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass") + b"\n"


# (file name, its bytes, a fragment of the reason it is skipped for)
ONE_BAD_INPUT = [
    ("nested-date.md", _front("id: n\nrevisions: [{date: 2021-01-01}]\n"), "revisions[0].date is an unquoted date"),
    ("integer-date.md", _front("id: i\ndate: 20210701\n"), "is not an ISO date"),
    ("binary.md", _front("id: b\nblob: !!binary aGVsbG8=\n"), "binary data (!!binary)"),
    ("set.md", _front("id: s\ntags: !!set {a, b}\n"), "a set (!!set)"),
    ("mixed-keys.md", _front("id: m\n1: one\n'1': text one\n"), "key 1 is not text but int"),
    ("nan.md", _front("id: nan\nscore: .nan\n"), "JSON cannot hold"),
    ("infinity.md", _front("id: inf\nscore: .inf\n"), "JSON cannot hold"),
    ("laughs.md", _front("id: l\n" + LAUGHS), "aliases expand to more than"),
    ("deep.md", _front("id: d\nx: " + "[" * 50 + "]" * 50 + "\n"), "nests deeper than"),
    ("surrogate.jsonl", _line('{"text": "Aid \\ud800 flows.", "meta": {"id": "sur"}}'), "lone surrogate"),
    ("digits.jsonl", _line('{"text": "x", "meta": {"n": ' + "9" * 5000 + "}}"), "more than 4,300 digits"),
    ("brackets.jsonl", _line("[" * 100_000 + "]" * 100_000), "nested deeper than the parser"),
    ("nan.jsonl", _line('{"text": "x", "meta": {"id": "jn", "score": NaN}}'), "JSON cannot hold"),
    ("latin1.jsonl", '{"text": "Caf\u00e9"}\n'.encode("latin-1"), "line 1: not UTF-8 at byte 13"),
]


@pytest.mark.parametrize(("name", "content", "reason"), ONE_BAD_INPUT, ids=[row[0] for row in ONE_BAD_INPUT])
def test_one_bad_input_costs_only_itself(
    tmp_path: Path, rules: RuleSet, name: str, content: bytes, reason: str
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.md").write_text(GOOD, encoding="utf-8")
    (corpus / name).write_bytes(content)
    manifest, _ = run_batch(iter_articles([corpus]), SETTINGS, rules, tmp_path / "out", RunOptions())
    assert manifest["articles"] == 1
    (skipped,) = manifest["skipped"]
    assert reason in skipped["reason"], skipped
    assert "\n" not in skipped["reason"]
    assert set(read_gold(tmp_path / "out" / "mentions.jsonl")) == {"good"}
    json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))  # strict JSON: no NaN


def test_an_internal_error_costs_only_its_article(tmp_path: Path, rules: RuleSet, monkeypatch) -> None:
    """A bug that one article trips (here: a renderer that fails on it) skips that article, not its partition."""
    render = workers.render

    def fragile(extractions):
        if any("Trip" in item.record["text"] for item in extractions):
            raise RuntimeError("tripped")
        return render(extractions)

    monkeypatch.setattr(workers, "render", fragile)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.md").write_text(GOOD, encoding="utf-8")
    (corpus / "trip.md").write_text("---\nid: trip\n---\nTrip the World Bank.\n", encoding="utf-8")
    manifest, _ = run_batch(iter_articles([corpus]), SETTINGS, rules, tmp_path / "out", RunOptions(force=True))
    assert manifest["articles"] == 1
    (skipped,) = manifest["skipped"]
    assert "internal error (RuntimeError: tripped)" in skipped["reason"]
    assert "please report it" in skipped["reason"]


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    (corpus / "good.md").write_text(GOOD, encoding="utf-8")
    return corpus


def _run(corpus: Path, out: Path, rules: RuleSet, **options) -> dict:
    manifest, _ = run_batch(
        iter_articles([corpus], **options.pop("read", {})), SETTINGS, rules, out, RunOptions(**options)
    )
    return manifest


# --- 1. never outside --out -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["symlink", "folder"])
def test_a_lock_that_is_not_a_plain_file_is_refused_and_its_target_untouched(
    tmp_path: Path, rules: RuleSet, kind: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    if kind == "symlink":
        (out / LOCK_NAME).symlink_to(victim)
    else:
        (out / LOCK_NAME).mkdir()
    with pytest.raises(PolicyExtractError, match="the lock is a plain file"):
        _run(_corpus(tmp_path), out, rules)
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert not (out / "mentions.jsonl").exists()


def test_a_stale_lock_is_taken_over(tmp_path: Path, rules: RuleSet) -> None:
    """A lock whose pid is dead, or alive but another process (a reused pid: its start time differs)."""
    out = tmp_path / "out"
    out.mkdir()
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        for holder in (
            {"tool": "policy-extract", "pid": 2**22 + 17, "started": 1},
            {"tool": "policy-extract", "pid": sleeper.pid, "started": -1},
            "12345 from an old version",
        ):
            (out / LOCK_NAME).write_text(json.dumps(holder), encoding="utf-8")
            assert _run(_corpus(tmp_path), out, rules)["articles"] == 1
            assert not (out / LOCK_NAME).exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_only_the_tools_own_temporary_files_are_cleaned_up(tmp_path: Path, rules: RuleSet) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / ".notes.tmp").write_text("mine\n", encoding="utf-8")
    (out / ".policy-extract-mentions.jsonl.abc.tmp").write_text("left by a killed run\n", encoding="utf-8")
    _run(_corpus(tmp_path), out, rules)
    assert (out / ".notes.tmp").read_text(encoding="utf-8") == "mine\n"
    assert not list(out.glob(".policy-extract-*"))


def test_outputs_get_ordinary_file_modes(tmp_path: Path, rules: RuleSet) -> None:
    out = tmp_path / "out"
    _run(_corpus(tmp_path), out, rules)
    mask = os.umask(0o022)
    os.umask(mask)
    for name in ("mentions.jsonl", "mentions.csv", "articles.csv", "manifest.json"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o666 & ~mask, name


# --- 3. the cache ----------------------------------------------------------------------------------


def test_a_fifo_in_the_cache_is_recomputed_never_waited_on(tmp_path: Path, rules: RuleSet) -> None:
    out = tmp_path / "out"
    _run(_corpus(tmp_path), out, rules)
    (entry,) = (out / ".cache").glob("*/*.entry")
    entry.unlink()
    os.mkfifo(entry)
    manifest = _run(_corpus(tmp_path), tmp_path / "again", rules, cache_dir=out / ".cache")
    assert manifest["run"]["processed"] == 1


# --- 4. symbolic links and the output folder -------------------------------------------------------


def test_links_out_of_an_input_folder_are_skipped_unless_followed(tmp_path: Path, rules: RuleSet) -> None:
    corpus = _corpus(tmp_path)
    outside = tmp_path / "elsewhere.md"
    outside.write_text("---\nid: outside\n---\nThe World Bank lent more.\n", encoding="utf-8")
    (corpus / "link.md").symlink_to(outside)
    manifest = _run(corpus, tmp_path / "out", rules)
    (skipped,) = manifest["skipped"]
    assert "outside the folder being read" in skipped["reason"]
    followed = _run(corpus, tmp_path / "followed", rules, read={"selection": Selection(follow_symlinks=True)})
    assert followed["articles"] == 2 and not followed["skipped"]


def test_out_inside_an_input_folder_is_never_read_back(tmp_path: Path, rules: RuleSet) -> None:
    corpus = _corpus(tmp_path)
    out = corpus / "out"
    selection = Selection(exclude=(out,))
    for _ in range(2):  # the second run would find mentions.jsonl in the folder it reads
        manifest = _run(corpus, out, rules, read={"selection": selection})
        assert manifest["articles"] == 1 and not manifest["skipped"]


def test_overlapping_paths_and_upper_case_suffixes_read_once(tmp_path: Path, rules: RuleSet) -> None:
    corpus = _corpus(tmp_path)
    (corpus / "LOUD.TXT").write_text("The Asian Development Bank met.\n", encoding="utf-8")
    (corpus / "Mixed.Md").write_text("The World Bank met.\n", encoding="utf-8")
    items = iter_articles([corpus, corpus / "good.md", corpus / "LOUD.TXT"])
    manifest, _ = run_batch(items, SETTINGS, rules, tmp_path / "out", RunOptions())
    assert manifest["articles"] == 3 and not manifest["skipped"]


# --- 9. clear errors ---------------------------------------------------------------------------------


def test_out_that_is_a_file_or_a_cache_that_is_a_file_is_refused(tmp_path: Path, rules: RuleSet) -> None:
    plain = tmp_path / "plain"
    plain.write_text("x", encoding="utf-8")
    with pytest.raises(PolicyExtractError, match="is not a folder; --out"):
        _run(_corpus(tmp_path), plain, rules)
    with pytest.raises(PolicyExtractError, match="is not a folder; the cache"):
        _run(_corpus(tmp_path), tmp_path / "out", rules, cache_dir=plain)


def test_a_full_disk_keeps_the_previous_datasets(tmp_path: Path, rules: RuleSet, monkeypatch) -> None:
    out = tmp_path / "out"
    _run(_corpus(tmp_path), out, rules)
    before = {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()}
    real_replace = os.replace

    def full(source, destination):
        if str(destination).endswith("mentions.jsonl"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_replace(source, destination)

    monkeypatch.setattr(os, "replace", full)
    corpus = _corpus(tmp_path)
    (corpus / "more.md").write_text("The World Bank met.\n", encoding="utf-8")  # new datasets to write
    with pytest.raises(PolicyExtractError, match=r"No space left on device.*previous datasets are left"):
        _run(corpus, out, rules, force=True)
    assert {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()} == before
    assert not list(out.glob(".policy-extract-*"))


def test_a_folder_where_a_dataset_goes_replaces_nothing(tmp_path: Path, rules: RuleSet) -> None:
    out = tmp_path / "out"
    _run(_corpus(tmp_path), out, rules)
    (out / "mentions.jsonl").unlink()
    (out / "mentions.jsonl").mkdir()
    before = (out / "manifest.json").read_bytes()
    with pytest.raises(PolicyExtractError, match="is a folder where a dataset goes; nothing was replaced"):
        _run(_corpus(tmp_path), out, rules, force=True)
    assert (out / "manifest.json").read_bytes() == before
    assert not list(out.glob(".policy-extract-*"))


def test_a_run_that_reads_no_article_keeps_the_datasets(tmp_path: Path, rules: RuleSet) -> None:
    out = tmp_path / "out"
    _run(_corpus(tmp_path), out, rules)
    before = (out / "mentions.jsonl").read_bytes()
    (tmp_path / "empty").mkdir()
    with pytest.raises(PolicyExtractError, match="no article was read"):
        _run(tmp_path / "empty", out, rules)
    assert (out / "mentions.jsonl").read_bytes() == before


# --- 7. every line break round-trips -------------------------------------------------------------

LINE_BREAKS = ["\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\r"]


def test_every_unicode_line_break_survives_a_run_and_a_re_run(tmp_path: Path, rules: RuleSet) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = [
        json.dumps({"text": f"The World Bank{brk}lent $2 billion.", "meta": {"id": f"b{n}"}})
        for n, brk in enumerate(LINE_BREAKS)
    ]
    (corpus / "breaks.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    first = _run(corpus, tmp_path / "first", rules)
    assert first["articles"] == len(LINE_BREAKS) and not first["skipped"]
    records = read_gold(tmp_path / "first" / "mentions.jsonl")
    assert [records[f"b{n}"]["text"] for n in range(len(LINE_BREAKS))] == [
        f"The World Bank{brk}lent $2 billion." for brk in LINE_BREAKS
    ]
    again = _run(tmp_path / "first" / "mentions.jsonl", tmp_path / "second", rules)
    assert again["articles"] == len(LINE_BREAKS)
    assert (tmp_path / "second" / "mentions.jsonl").read_bytes() == (tmp_path / "first" / "mentions.jsonl").read_bytes()


# --- fuzz: random front matter, JSONL lines and bytes never raise, and every good article is read -------

YAML_PIECES = st.sampled_from(
    [
        "id: x",
        "date: 2021-01-01",
        "date: 20210101",
        "date: [2021-01-01]",
        "a: &x [1, 2, {b: 2021-01-01}]",
        "b: [*x, *x, *x]",
        "c: !!binary aGk=",
        "d: !!set {a, b}",
        "? [a, b]\n: c",
        "1: one",
        "'1': one",
        "e: .nan",
        "f: -.inf",
        'g: "\\ud800"',
        "h: " + "[" * 30,
        "- item",
        "\t",
        "---",
        "...",
        "%YAML 1.2",
        "i: !!python/object:os.system ls",
    ]
)
FRONT_MATTER = st.lists(st.one_of(YAML_PIECES, st.text(max_size=20)), max_size=12).map("\n".join)
JSONL_LINE = st.one_of(
    st.binary(max_size=80),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=10,
    ).map(lambda value: json.dumps({"text": "The World Bank.", "meta": {"x": value}}).encode()),
)


def _read_all(paths: list[Path]) -> list[Article | Skipped]:
    items = list(iter_articles(paths))
    for item in items:
        if isinstance(item, Article):  # whatever was read can be written as strict JSON in UTF-8
            json.dumps({"text": item.text, "meta": item.meta}, ensure_ascii=False, allow_nan=False).encode("utf-8")
        else:
            assert "\n" not in item.reason
    return items


@settings(max_examples=150, deadline=None)
@given(header=FRONT_MATTER)
def test_random_front_matter_never_raises(header: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        bad = Path(folder) / "random.md"
        bad.write_text(
            f"---\n{header}\n---\nThe Asian Development Bank met.\n", encoding="utf-8", errors="surrogatepass"
        )
        good = Path(folder) / "good.md"
        good.write_text(GOOD, encoding="utf-8")
        items = _read_all([good, bad])
        assert isinstance(items[0], Article) and items[0].id == "good"


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(JSONL_LINE, max_size=6), noise=st.binary(max_size=200))
def test_random_jsonl_lines_and_bytes_never_raise(lines: list[bytes], noise: bytes) -> None:
    good = json.dumps({"text": "The World Bank lent $2 billion.", "meta": {"id": "good"}}).encode()
    with tempfile.TemporaryDirectory() as folder:
        records = Path(folder) / "random.jsonl"
        # The good line first: bytes at the very start could be a byte-order mark, which names the file's codec.
        records.write_bytes(b"\n".join([good, *lines, noise.replace(b"\n", b"")]) + b"\n")
        (Path(folder) / "noise.txt").write_bytes(noise)
        items = _read_all([records, Path(folder) / "noise.txt"])
        assert any(isinstance(item, Article) and item.id == "good" for item in items)


def test_a_missing_model_is_one_line(tmp_path: Path, rules: RuleSet) -> None:
    settings = PipelineSettings(model="no_such_model", patterns_dir=PATTERNS_DIR)
    with pytest.raises(PolicyExtractError, match="model 'no_such_model' is not installed"):
        run_batch(iter_articles([_corpus(tmp_path)]), settings, rules, tmp_path / "out", RunOptions(force=True))
    assert not (tmp_path / "out" / "mentions.jsonl").exists()


MALFORMED_GOLD = [
    ('{"text": "abc", "meta": {"id": "a"}, "spans": [1, 2]}', "`spans` must be a list of objects"),
    ('{"text": "abc", "meta": {"id": "a"}, "spans": "ORG"}', "`spans` must be a list of objects"),
    ("[" * 100_000, "nesting beyond what JSON readers take"),
    ('{"text": "abc", "meta": {"id": ' + "7" * 5000 + "}}", "numbers or nesting beyond"),
    ('{"text": "abc", "meta": {"id": "a"}, "spans": [{"start": "0", "end": 1}]}', "lies outside the text"),
]


@pytest.mark.parametrize(("line", "message"), MALFORMED_GOLD, ids=range(len(MALFORMED_GOLD)))
def test_malformed_gold_or_predictions_are_one_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(GoldError, match=re.escape(message)) as raised:
        read_gold(path)
    assert "\n" not in str(raised.value)
