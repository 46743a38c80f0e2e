"""Entities across the corpus: one id for every mention of one thing, never a merge on an ambiguous acronym."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import PATTERNS_DIR

from pipeline.batch import RunOptions, run_batch
from pipeline.corpus import iter_articles
from pipeline.entities import EntityResolver, EntityRules, entity_id
from pipeline.errors import PatternFileError
from pipeline.patterns import RuleSet, load_rules
from pipeline.types import PipelineSettings

SETTINGS = PipelineSettings(patterns_dir=PATTERNS_DIR)

# Three short pieces: ADF defined two different ways, then used undefined.
AMBIGUOUS_ADF = {
    "fund.md": "The African Development Fund (ADF) approved a grant for Malawi. "
    "The ADF said the money would go to clinics.\n",
    "forum.md": "The African Development Forum (ADF) met in Addis Ababa. Delegates at the ADF adopted a statement.\n",
    "undefined.md": "Officials said the ADF would decide in March.\n",
}
# The same institutions named in different ways in different pieces.
VARIANTS = {
    "a.md": "The Japanese Ministry of Foreign Affairs and the U.S. Department of Energy signed a memorandum. "
    "The Japan International Cooperation Agency (JICA) will carry it out.\n",
    "b.md": "The Ministry of Foreign Affairs of Japan said on Monday that the US Department of Energy "
    "and JICA would report in May.\n",
}


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _run(tmp_path: Path, rules: RuleSet, files: dict[str, str], **options) -> tuple[dict, list[dict]]:
    articles = _write(tmp_path / "in", files)
    manifest, _ = run_batch(iter_articles([articles]), SETTINGS, rules, tmp_path / "out", RunOptions(**options))
    records = [json.loads(line) for line in (tmp_path / "out" / "mentions.jsonl").read_text().splitlines()]
    return manifest, records


def _entities(records: list[dict], text: str) -> dict[str, set[str]]:
    """The entities of the spans with this text, by article."""
    return {
        record["meta"]["id"]: {span["entity"] for span in record["spans"] if span["text"] == text} for record in records
    }


def test_an_acronym_defined_two_ways_stays_split_and_its_undefined_use_is_not_linked(
    tmp_path: Path, rules: RuleSet
) -> None:
    manifest, records = _run(tmp_path, rules, AMBIGUOUS_ADF)
    found = _entities(records, "ADF")
    assert found["fund"] == {"org:african-development-fund"}
    assert found["forum"] and found["forum"] != found["fund"]
    assert found["undefined"] == {"org:adf"}
    undefined = [span for span in records[2]["spans"] if span["text"] == "ADF"]
    assert [span["entity_evidence"] for span in undefined] == ["ambiguous-acronym"]
    assert any(key.endswith(":ADF") for key in manifest["entities"]["ambiguous_acronyms"])


def test_an_acronym_the_corpus_defines_one_way_links_its_undefined_use(tmp_path: Path, rules: RuleSet) -> None:
    files = {"fund.md": AMBIGUOUS_ADF["fund.md"], "undefined.md": AMBIGUOUS_ADF["undefined.md"]}
    manifest, records = _run(tmp_path, rules, files)
    undefined = [span for span in records[1]["spans"] if span["text"] == "ADF"]
    assert [(span["entity"], span["entity_evidence"]) for span in undefined] == [
        ("org:african-development-fund", "corpus-acronym")
    ]
    assert manifest["entities"]["ambiguous_acronyms"] == {}


def test_variant_names_in_different_articles_are_one_entity(tmp_path: Path, rules: RuleSet) -> None:
    _, records = _run(tmp_path, rules, VARIANTS)
    by_text = {span["text"]: span["entity"] for record in records for span in record["spans"] if "entity" in span}
    ministry = "org:ministry-of-foreign-affairs-of-japan"
    assert by_text["Japanese Ministry of Foreign Affairs"] == ministry
    assert by_text["Ministry of Foreign Affairs of Japan"] == ministry
    assert by_text["U.S. Department of Energy"] == by_text["US Department of Energy"]
    assert by_text["JICA"] == by_text["Japan International Cooperation Agency"]


def test_the_alias_table_merges_and_splits_what_a_curator_says(tmp_path: Path, rules: RuleSet) -> None:
    patterns = tmp_path / "patterns"
    shutil.copytree(PATTERNS_DIR, patterns)
    table = (patterns / "aliases.yml").read_text(encoding="utf-8")
    table = table.replace(
        "  aliases: []",
        "  aliases:\n    - {name: Ministry of Foreign Affairs of Japan, label: ORG, aliases: [Gaimusho]}",
    ).replace("  distinct: []", "  distinct:\n    - {name: US Department of Energy, label: ORG}")
    (patterns / "aliases.yml").write_text(table, encoding="utf-8")
    resolver = EntityResolver(EntityRules.from_rules(load_rules(patterns, check_tokens=False)))
    spans = [
        {"label": "ORG", "text": "Gaimusho", "source": "model"},
        {"label": "ORG", "text": "US Department of Energy", "source": "model"},
        {"label": "ORG", "text": "Department of Energy of the United States", "source": "model"},
    ]
    gaimusho, distinct, qualified = resolver.links(spans)
    assert (gaimusho.entity, gaimusho.evidence) == ("org:ministry-of-foreign-affairs-of-japan", "alias-table")
    # Kept apart from the national-qualifier variant it would otherwise merge with.
    assert distinct.entity == "org:us-department-of-energy" and qualified.entity != distinct.entity


def test_dates_money_and_unscored_spans_get_no_entity() -> None:
    spans = [
        {"label": "DATE", "text": "May 2023", "norm": "2023-05"},
        {"label": "GPE", "text": "Japan", "scored": False},
        {"label": "INITIATIVE", "text": "Blue Dot Network", "source": "names"},
    ]
    links = EntityResolver(EntityRules()).links(spans)
    assert links[:2] == [None, None]
    assert links[2] is not None and links[2].entity == entity_id("INITIATIVE", "blue dot network")


def test_an_unknown_section_of_the_entity_tables_is_refused_with_its_file(tmp_path: Path) -> None:
    patterns = tmp_path / "patterns"
    shutil.copytree(PATTERNS_DIR, patterns)
    with (patterns / "aliases.yml").open("a", encoding="utf-8") as stream:
        stream.write("  merges: []\n")
    with pytest.raises(PatternFileError, match=r"aliases\.yml: unknown entities section 'merges'"):
        load_rules(patterns, check_tokens=False)
