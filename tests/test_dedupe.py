"""Exact and syndicated copies point at the earliest copy."""

from pathlib import Path

import numpy as np
import pytest

from crawler.storage.articles import store_article
from crawler.storage.database import open_database
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


def index_with(tmp_path, *articles, threshold=0.5):
    """A duplicate index over a real database holding `articles` (url, text, published), each
    stored as the dedupe and store stages would store it."""
    db = open_database(tmp_path / "monitor.db")
    index = DuplicateIndex(db, threshold=threshold)
    index.prepare()
    for url, text, published in articles:
        signature = minhash_of(text)
        found = index.find_original(text_hash(text), signature)
        original_id = db.execute("select id from articles where url = ?", [found[0]]).fetchone()[0] if found else None
        with db.atomic():
            store_article(db, {"url": url, "published": published, "text": text, "text_hash": text_hash(text),
                               "duplicate_of": original_id},
                          [], minhash=signature.hashvalues.astype(np.uint64).tobytes(), band_keys=index.band_keys(signature))
    return index


def original_url(index, text):
    found = index.find_original(text_hash(text), minhash_of(text))
    return found[0] if found else None


def test_exact_copy_is_found_whatever_the_case_and_punctuation(tmp_path):
    index = index_with(tmp_path, ("a", STORY, "2026-03-01"))
    assert original_url(index, STORY.upper().replace(",", "")) == "a"


def test_syndicated_copy_with_new_first_paragraph_and_credit_is_found(tmp_path):
    index = index_with(tmp_path, ("a", STORY, "2026-03-01"))
    assert original_url(index, SYNDICATED) == "a"


def test_a_different_story_is_not_a_copy(tmp_path):
    index = index_with(tmp_path, ("a", STORY, "2026-03-01"))
    assert original_url(index, OTHER_STORY) is None


def test_a_copy_of_a_copy_points_at_the_original_of_its_group(tmp_path):
    index = index_with(tmp_path, ("late", STORY, "2026-03-05"), ("later", SYNDICATED, "2026-03-06"))
    assert original_url(index, SYNDICATED + " Republished again.") == "late"
    assert index.is_stored("later") and not index.is_stored("elsewhere")


def test_signatures_stored_without_bands_are_indexed_when_the_stage_opens(tmp_path):
    """A database from before the on-disk index, or a bulk load that stored signatures only."""
    index_with(tmp_path, ("a", STORY, "2026-03-01"))
    db = open_database(tmp_path / "monitor.db")
    db.execute("delete from article_bands")
    db.conn.commit()
    assert original_url(DuplicateIndex(db, threshold=0.5), SYNDICATED) is None
    index = DuplicateIndex(db, threshold=0.5)
    assert index.prepare() == 1
    assert original_url(index, SYNDICATED) == "a"


def test_another_threshold_cuts_the_signatures_again(tmp_path):
    index_with(tmp_path, ("a", STORY, "2026-03-01"))
    db = open_database(tmp_path / "monitor.db")
    strict = DuplicateIndex(db, threshold=0.9)
    assert (strict.bands, strict.rows) != (25, 5)
    assert strict.prepare() == 1
    assert db.execute("select bands, rows from article_bands_layout").fetchone() == (strict.bands, strict.rows)
    assert db.execute("select count(*) from article_bands").fetchone()[0] == strict.bands
    assert original_url(strict, STORY.upper()) == "a" and original_url(strict, SYNDICATED) is None


def labelled_pairs():
    import yaml

    data = yaml.safe_load((Path(__file__).parent / "fixtures" / "near_duplicates.yml").read_text())
    return [pytest.param(p["a"], p["b"], p["copy"], id=p["name"]) for p in data["pairs"]]


@pytest.mark.parametrize("a, b, is_copy", labelled_pairs())
def test_the_threshold_separates_syndicated_copies_from_other_stories(tmp_path, a, b, is_copy):
    index = index_with(tmp_path, ("a", a, "2026-06-12"))
    assert (original_url(index, b) == "a") is is_copy
