"""The incremental cache knows the code: an edited module redoes every article, a damaged entry is never served."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PATTERNS_DIR, ROOT

from pipeline.batch import RunOptions, run_batch
from pipeline.cache import code_digest
from pipeline.corpus import iter_articles
from pipeline.patterns import RuleSet
from pipeline.types import PipelineSettings

DATASETS = ("mentions.jsonl", "mentions.csv", "aliases.csv")
SETTINGS = PipelineSettings(patterns_dir=PATTERNS_DIR)


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def _datasets(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in DATASETS}


def _run(out: Path, rules: RuleSet, articles: Path, **options) -> dict:
    manifest, _ = run_batch(iter_articles([articles]), SETTINGS, rules, out, RunOptions(**options))
    return manifest


# --- an edited module ----------------------------------------------------------------------------


def _package_copy(folder: Path) -> Path:
    """The package as a wheel lays it out (the rule set as `pipeline.default_patterns`), outside the checkout."""
    shutil.copytree(ROOT / "pipeline", folder / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(PATTERNS_DIR, folder / "pipeline" / "default_patterns", dirs_exist_ok=True)
    return folder


def _cli_run(package: Path, out: Path, articles: Path) -> dict:
    """`python -m pipeline run` on `articles` with `package` first on the path; the run's manifest."""
    command = [sys.executable, "-m", "pipeline", "run", str(articles), "--out", str(out)]
    command += ["--workers", "1", "--patterns", str(PATTERNS_DIR)]
    # The working directory is the copy: `python -m` puts it first on sys.path, so the copy is what runs.
    environment = {**os.environ, "PYTHONPATH": str(package)}
    result = subprocess.run(command, cwd=package, env=environment, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return _manifest(out)


def test_cache_edited_component_redoes_every_article(tmp_path: Path, article_sample: Path) -> None:
    package = _package_copy(tmp_path / "package")
    out = tmp_path / "out"
    first = _cli_run(package, out, article_sample)
    unchanged = _cli_run(package, out, article_sample)
    with (package / "pipeline" / "components" / "dates.py").open("a", encoding="utf-8") as stream:
        stream.write("# an edit that changes no behaviour, but the code all the same\n")
    edited = _cli_run(package, out, article_sample)

    articles = first["run"]["articles"]
    assert articles > 1 and first["run"]["processed"] == articles
    assert (unchanged["run"]["reused"], unchanged["run"]["processed"]) == (articles, 0)
    assert (edited["run"]["reused"], edited["run"]["processed"]) == (0, articles)
    assert unchanged["tool"]["code"] == first["tool"]["code"]
    assert edited["tool"]["code"] != first["tool"]["code"]


# --- damaged entries -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory, rules: RuleSet, article_sample: Path) -> tuple[Path, dict]:
    """A run into a fresh folder: its datasets and cache are what every damaged run must give back."""
    out = tmp_path_factory.mktemp("clean")
    return out, _run(out, rules, article_sample)


def test_cache_code_digest_is_in_the_manifest_and_stable(clean_run: tuple[Path, dict]) -> None:
    _, manifest = clean_run
    assert manifest["tool"]["code"] == code_digest() == code_digest()
    assert len(manifest["tool"]["code"]) == 64


def _flip_a_body_byte(entry: Path) -> None:
    data = bytearray(entry.read_bytes())
    middle = data.index(b"\n") + (len(data) - data.index(b"\n")) // 2
    data[middle] ^= 0x01  # still valid UTF-8 and the same size: only the checksum can tell
    entry.write_bytes(bytes(data))


def _flip_a_header_byte(entry: Path) -> None:
    data = entry.read_bytes()
    entry.write_bytes(data.replace(b'"format": ', b'"formst": ', 1))


def _truncate(entry: Path) -> None:
    data = entry.read_bytes()
    entry.write_bytes(data[: len(data) // 2])


def _lie_about_sizes(entry: Path) -> None:
    header, body = entry.read_bytes().split(b"\n", 1)
    fields = json.loads(header)
    fields["size"] = str(fields["size"])
    entry.write_bytes(json.dumps(fields).encode() + b"\n" + body)


def _make_a_folder(entry: Path) -> None:
    entry.unlink()
    (entry / "inside").mkdir(parents=True)


def _make_its_folder_a_file(entry: Path) -> None:
    shutil.rmtree(entry.parent)
    entry.parent.write_bytes(b"not a folder")


DAMAGE: dict[str, Callable[[Path], None]] = {
    "flipped-body-byte": _flip_a_body_byte,
    "flipped-header-byte": _flip_a_header_byte,
    "truncated": _truncate,
    "empty": lambda entry: entry.write_bytes(b""),
    "not-utf8": lambda entry: entry.write_bytes(b"\xff\xfe" + entry.read_bytes()),
    "size-as-text": _lie_about_sizes,
    "a-folder": _make_a_folder,
    "its-folder-a-file": _make_its_folder_a_file,
}


def _damaged_copy(clean: Path, folder: Path, damage: Callable[[Path], None]) -> int:
    """Copy the clean run's cache into `folder` and damage its first entry; how many entries are no longer intact."""
    shutil.copytree(clean / ".cache", folder / ".cache")
    damage(sorted((folder / ".cache").glob("*/*.entry"))[0])
    copies = [(entry, folder / entry.relative_to(clean)) for entry in (clean / ".cache").glob("*/*.entry")]
    return sum(1 for entry, copy in copies if not copy.is_file() or copy.read_bytes() != entry.read_bytes())


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_cache_damaged_entry_is_recomputed_never_served(
    tmp_path: Path, rules: RuleSet, clean_run: tuple[Path, dict], damage: Callable[[Path], None], article_sample: Path
) -> None:
    clean, clean_manifest = clean_run
    lost = _damaged_copy(clean, tmp_path, damage)
    manifest = _run(tmp_path, rules, article_sample)
    articles = clean_manifest["run"]["articles"]
    assert lost >= 1 and (manifest["run"]["processed"], manifest["run"]["reused"]) == (lost, articles - lost)
    assert _datasets(tmp_path) == _datasets(clean)
    # The entry was written anew: the next run takes everything from the cache.
    assert _run(tmp_path, rules, article_sample)["run"]["reused"] == articles


def test_cache_force_recomputes_over_a_damaged_entry(
    tmp_path: Path, rules: RuleSet, clean_run: tuple[Path, dict], article_sample: Path
) -> None:
    clean, clean_manifest = clean_run
    _damaged_copy(clean, tmp_path, _make_a_folder)
    manifest = _run(tmp_path, rules, article_sample, force=True)
    assert manifest["run"]["processed"] == clean_manifest["run"]["articles"]
    assert _datasets(tmp_path) == _datasets(clean)
    assert _run(tmp_path, rules, article_sample)["run"]["reused"] == clean_manifest["run"]["articles"]


def test_cache_unchanged_rerun_reuses_everything(
    tmp_path: Path, rules: RuleSet, clean_run: tuple[Path, dict], article_sample: Path
) -> None:
    clean, clean_manifest = clean_run
    shutil.copytree(clean / ".cache", tmp_path / ".cache")
    manifest = _run(tmp_path, rules, article_sample)
    assert (manifest["run"]["processed"], manifest["run"]["reused"]) == (0, clean_manifest["run"]["articles"])
    assert manifest["tool"] == clean_manifest["tool"]
    assert _datasets(tmp_path) == _datasets(clean)
