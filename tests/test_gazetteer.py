"""patterns/gazetteer.yml stays well-formed: every form once, labels and groups as the guideline has them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from pipeline import yamlio
from pipeline.patterns import GAZETTEER_PREFIX, RuleSet

GAZETTEER = Path(__file__).resolve().parent.parent / "patterns" / "gazetteer.yml"
REGIONS = {"global", "africa", "americas", "europe", "middle-east", "asia-pacific", "south-asia"}
# "A few hundred entries" (the generalization issue): fewer means a group went missing.
MIN_ENTRIES = 200


@pytest.fixture(scope="module")
def groups() -> list[dict]:
    return yamlio.load(GAZETTEER.read_text(encoding="utf-8"))["groups"]


def test_every_name_and_alias_is_listed_once(groups: list[dict]) -> None:
    forms = Counter(
        form for group in groups for entry in group["entries"] for form in (entry["name"], *entry.get("aliases", []))
    )
    assert [form for form, count in forms.items() if count > 1] == []


def test_the_gazetteer_has_a_few_hundred_entries_in_groups_by_region_and_kind(groups: list[dict]) -> None:
    assert sum(len(group["entries"]) for group in groups) >= MIN_ENTRIES
    for group in groups:
        assert group["id"].startswith(GAZETTEER_PREFIX), group["id"]
        assert group["region"] in REGIONS, group["id"]
        assert group.get("kind") and group.get("description"), group["id"]
        assert len(group["examples"]["match"]) >= 2 and group["examples"].get("no_match"), group["id"]


def test_no_form_is_a_lower_case_word_or_carries_a_determiner(groups: list[dict]) -> None:
    forms = [
        form for group in groups for entry in group["entries"] for form in (entry["name"], *entry.get("aliases", []))
    ]
    assert [form for form in forms if form[:1].islower() or form.lower().startswith("the ")] == []


def test_gazetteer_groups_load_as_phrase_entries_with_their_names(rules: RuleSet) -> None:
    entries = [entry for entry in rules.entries if entry.id.startswith(GAZETTEER_PREFIX)]
    assert entries and all(entry.phrases for entry in entries)
    phrases = {phrase.text: phrase for entry in entries for phrase in entry.phrases}
    assert phrases["WHO"].canonical == "World Health Organization"
    assert phrases["WHO"].label == "ORG"
