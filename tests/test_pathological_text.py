"""Pathological text (issue 13, item 8): the real pipeline does work linear in a text's length.

Each row is a text no article holds but a scraper or an attacker can hand over: 20 KB of one
punctuation mark, a head word repeated a thousand times, a menu of Title Case words, one long
line. Before the bounds these took minutes and gigabytes ("Fund " x 1,000: 81 s and 4 GB; the
menu x 300: more than 4 minutes; "Asian Development Bank (ADB) " x 1,000: more than 4 minutes;
20 KB of `(` in spaCy's tokenizer: 47 s). Each row runs at a quarter of its size and at its full
size (about 20 KB) in the same test, so the check does not depend on the machine's speed: linear
work gives a ratio of about 4, quadratic about 16; the bound, 8, leaves room for noise. The
absolute bounds are generous on purpose; they only catch a return of the minutes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.tokenizer import TailSearch

# Linear work gives a time ratio of about 4 between a text and one four times as long, quadratic 16.
MAX_RATIO = 8
# Timings of each size taken at most, stopping at the first round whose fastest times meet the ratio.
ROUNDS = 3
# Generous: a full-size row takes a few seconds; before the bounds the slow rows took minutes.
MAX_SECONDS = 30
# How far the process's resident memory may grow while one full-size row runs: the model's NER
# alone takes about 330 MB for 20,000 tokens; "Fund " x 1,000 used to take 4 GB.
MAX_PEAK_GROWTH_MB = 1024
# Linux: writing 5 to clear_refs resets the peak resident size (VmHWM) that status reports.
PROC_STATUS, PROC_CLEAR_REFS = Path("/proc/self/status"), Path("/proc/self/clear_refs")


def _text(unit: str) -> Callable[[int], str]:
    return lambda count: unit * count


def _numbered(template: str) -> Callable[[int], str]:
    return lambda count: " ".join(template.format(number=number) for number in range(count))


# (id, the text for a count of repeats, the count at full size)
TEXTS = [
    ("head-word", _text("Fund "), 1000),
    ("ministry-of", _text("Ministry of "), 1000),
    ("repeated-name", _text("Asian Development Bank "), 500),
    ("menu", _text("Home About Us Our Work Programs News Events Contact Donate "), 300),
    ("capitalized-words", _text("Alpha "), 3000),
    ("definitions", _text("Asian Development Bank (ADB) "), 700),
    ("companies", _numbered("Firm{number} Steel Ltd and Firm{number} said."), 600),
    ("names-on-one-line", _text("Reuters, AP, Xinhua and Bloomberg said; "), 500),
    ("numbers", _text("1 "), 10000),
    ("dates", _text("January 2021, "), 1000),
    ("amounts", _text("$1 "), 5000),
    ("no-spaces", _text("a-"), 10000),  # one 20 KB line the tokenizer splits into 19,999 tokens
]
# 20 KB of one character with no space, which the tokenizer splits into one token per character.
CHARACTERS = [("open-parenthesis", "("), ("dollar", "$"), ("apostrophe", "'"), ("emoji", "😀")]
CHARACTER_COUNT = 20000


def _memory_mb(key: str) -> int:
    found = re.search(rf"^{key}:\s+(\d+) kB", PROC_STATUS.read_text(), re.MULTILINE)
    assert found, f"no {key} in {PROC_STATUS}"
    return int(found.group(1)) // 1024


def _timed(nlp: Language, make_input: Callable[[], str]) -> tuple[float, Doc]:
    started = time.perf_counter()
    doc = nlp(make_input())
    return time.perf_counter() - started, doc


def _assert_linear_and_bounded(nlp: Language, make_input: Callable[[int], str], count: int) -> None:
    """Time the input at a quarter of `count` and at `count`, and the memory the first full run takes.

    The ratio compares the fastest of up to `ROUNDS` timings of each size, the usual estimate of a
    time without the machine's noise: a busy CI machine once slowed one full run twice over. The
    first quarter run also makes the words' lexemes, which only lowers the ratio.
    """
    measures_memory = PROC_CLEAR_REFS.exists()
    quarter = full = float("inf")
    growth = 0
    for round_number in range(ROUNDS):
        quarter = min(quarter, _timed(nlp, lambda: make_input(count // 4))[0])
        if measures_memory and round_number == 0:
            PROC_CLEAR_REFS.write_text("5")
            before = _memory_mb("VmRSS")
        seconds, doc = _timed(nlp, lambda: make_input(count))
        if measures_memory and round_number == 0:
            growth = _memory_mb("VmHWM") - before
        assert seconds < MAX_SECONDS, f"{len(doc)} tokens took {seconds:.1f} s"
        full = min(full, seconds)
        if full / quarter < MAX_RATIO:
            break
    assert full / quarter < MAX_RATIO, f"{quarter:.2f} s at a quarter, {full:.2f} s at full size"
    if not measures_memory:
        pytest.skip("the peak memory is read from /proc/self (Linux); the times were checked")
    assert growth < MAX_PEAK_GROWTH_MB, f"resident memory grew by {growth} MB"


@pytest.mark.parametrize(("make_text", "count"), [row[1:] for row in TEXTS], ids=[row[0] for row in TEXTS])
def test_pathological_text_takes_linear_time_and_bounded_memory(
    nlp: Language, make_text: Callable[[int], str], count: int
) -> None:
    _assert_linear_and_bounded(nlp, make_text, count)


@pytest.mark.parametrize("character", [row[1] for row in CHARACTERS], ids=[row[0] for row in CHARACTERS])
def test_a_run_of_one_character_takes_linear_time_and_bounded_memory(nlp: Language, character: str) -> None:
    """Through the tokenizer too: spaCy's searched the suffix rules over the whole rest of the run
    once per character it split off, and 20 KB of `(` took 47 s."""
    _assert_linear_and_bounded(nlp, _text(character), CHARACTER_COUNT)


def test_the_suffix_search_in_a_word_end_splits_as_the_whole_word_search_does(nlp: Language) -> None:
    """Long words ending in runs of suffixes, a lookbehind's context and a long ellipsis split as before."""
    suffix_search = nlp.tokenizer.suffix_search  # type: ignore[attr-defined]
    regex = suffix_search.__self__.regex
    words = [
        "a" * 100 + ")" * 3,
        "(" * 70 + "5km",
        "x" * 80 + "." * 70,
        "y" * 90 + "…" * 20,
        "3" * 100 + "°C.",
        "US" + "$" * 100,
        "word" * 30 + "'s",
    ]
    for word in words:
        expected = regex.search(word)
        found = suffix_search(word)
        assert (found and found.group()) == (expected and expected.group()), word


def test_a_saved_pipeline_searches_suffixes_in_a_word_end_after_loading(nlp: Language, tmp_path: Path) -> None:
    nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert isinstance(loaded.tokenizer.suffix_search.__self__, TailSearch)  # type: ignore[attr-defined]
    assert len(loaded("(" * 5000)) == 5000


def test_the_bounds_leave_ordinary_names_whole(nlp: Language) -> None:
    """The longest names of the corpus, far under the match bound, are still found whole."""
    name = "Standing Committee on Science and Technology, Environment, Forests and Climate Change"
    doc = nlp(f"The {name} met in Delhi. " + "Home About Us Our Work Programs News Events Contact Donate " * 40)
    assert (name, "ORG") in [(span.text, span.label_) for span in doc.spans["policy"]]
