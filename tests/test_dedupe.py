"""Exact and syndicated copies point at the earliest copy."""

from pathlib import Path

import pytest

from pipelines.dedupe import DuplicateIndex, minhash_of, text_hash

STORY = " ".join([
    "Officials in Astana confirmed on Monday that the president declined a request to send troops abroad.",
    "The decision was welcomed by voters across the regions, who praised the government's restraint.",
    "Diplomats said the alliance had pressured its members for months and issued veiled threats.",
    "Analysts in Almaty said the decision shows that the country now sets its own course inside the bloc.",
    "The ministry of defence said the armed forces would continue training at home throughout the year.",
])
SYNDICATED = "Partner Wire republishes this report as received. " + STORY.split(". ", 1)[1] + " Source: Partner Wire"
OTHER_STORY = " ".join([
    "A football club from Shymkent won the national cup after extra time in front of a full stadium.",
    "The winning goal came from a header, and supporters celebrated in the streets until dawn.",
    "The coach dedicated the trophy to the youth academy that trained most of the players.",
])


def index_with(*articles):
    index = DuplicateIndex(threshold=0.5)
    for url, text, published in articles:
        signature = minhash_of(text)
        original = index.find_original(text_hash(text), signature) or url
        index.add(url, text_hash(text), signature, published, original)
    return index


def test_exact_copy_is_found_whatever_the_case_and_punctuation():
    index = index_with(("a", STORY, "2026-03-01"))
    copy = STORY.upper().replace(",", "")
    assert index.find_original(text_hash(copy), minhash_of(copy)) == "a"


def test_syndicated_copy_with_new_first_paragraph_and_credit_is_found():
    index = index_with(("a", STORY, "2026-03-01"))
    assert index.find_original(text_hash(SYNDICATED), minhash_of(SYNDICATED)) == "a"


def test_a_different_story_is_not_a_copy():
    index = index_with(("a", STORY, "2026-03-01"))
    assert index.find_original(text_hash(OTHER_STORY), minhash_of(OTHER_STORY)) is None


def test_an_earlier_copy_becomes_the_original_of_the_group():
    index = index_with(("late", STORY, "2026-03-05"), ("later", SYNDICATED, "2026-03-06"))
    assert index.original_of["later"] == "late"
    index.promote("early", "late")
    assert index.original_of["late"] == "early" and index.original_of["later"] == "early"


def labelled_pairs():
    import yaml

    data = yaml.safe_load((Path(__file__).parent / "fixtures" / "near_duplicates.yml").read_text())
    return [pytest.param(p["a"], p["b"], p["copy"], id=p["name"]) for p in data["pairs"]]


@pytest.mark.parametrize("a, b, is_copy", labelled_pairs())
def test_the_threshold_separates_syndicated_copies_from_other_stories(a, b, is_copy):
    index = index_with(("a", a, "2026-06-12"))
    assert (index.find_original(text_hash(b), minhash_of(b)) == "a") is is_copy
