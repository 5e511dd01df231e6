"""Topic keywords and actor aliases from the shipped actors.yml, found as whole words."""

import pytest

from crawler.config import DEFAULT_ACTORS_FILE, load_actors
from pipelines.actors import ActorFinder
from pipelines.terms import TermMatcher


@pytest.fixture(scope="module")
def finder():
    return ActorFinder(load_actors(DEFAULT_ACTORS_FILE).actors)


@pytest.fixture(scope="module")
def topic():
    keywords = load_actors(DEFAULT_ACTORS_FILE).topic_keywords
    return TermMatcher({k: (k,) for k in keywords})


def test_possessive_matches_but_a_longer_word_does_not(finder):
    assert set(finder.find(None, "Russia's envoy left. Belorussian media were silent.")) == {"Russia"}


def test_capitalised_aliases_match_only_in_capitals(finder):
    assert "US" not in finder.find(None, "The minister told us the talks had ended.")
    assert "US" in finder.find(None, "The US envoy arrived in Yerevan on Monday.")


@pytest.mark.parametrize("form", ["Путин", "Путина", "Путину", "Путиным", "Путине"])
def test_russian_inflected_forms_of_putin_are_found(finder, form):
    mentions = finder.find(None, f"В статье говорится о том, что {form} выступил на саммите.", "ru")
    assert list(mentions) == ["Putin"]
    mention = mentions["Putin"][0]
    assert mention.surface == form


def test_lukashenko_and_odkb_in_russian(finder):
    mentions = finder.find(None, "Лукашенко заявил, что ОДКБ должна укреплять союз.", "ru")
    assert set(mentions) == {"Lukashenko", "CSTO"}


def test_each_mention_keeps_its_own_sentence_and_span(finder):
    mentions = finder.find("Putin meets Tokayev", "Tokayev praised the deal. Later, Putin left Astana.")
    assert [m.sentence for m in mentions["Tokayev"]] == ["Putin meets Tokayev", "Tokayev praised the deal."]
    later = mentions["Putin"][1]
    assert later.sentence == "Later, Putin left Astana." and later.surface == "Putin"


@pytest.mark.parametrize("text", [
    "The CSTO summit ended.", "Саммит ОДКБ завершился.", "ՀԱՊԿ-ի գագաթնաժողովը ավարտվեց։",
    "ҰҚШҰ саммиті аяқталды.", "the collective security treaty organization met",
])
def test_topic_keywords_in_every_language(topic, text):
    assert topic.keys_in(text)


def test_unrelated_text_matches_no_topic_keyword(topic):
    assert topic.keys_in("The football cup final went to extra time in Shymkent.") == []


@pytest.mark.parametrize("form", ["Организация", "Организации", "Организацию", "Организацией"])
def test_inflected_full_name_of_the_csto_is_a_topic_keyword(topic, form):
    assert topic.keys_in(f"{form} Договора о коллективной безопасности провела учения.")


def test_topic_keywords_ignore_case(topic):
    assert topic.keys_in("The Csto secretariat replied.") and topic.keys_in("саммит одкб")
